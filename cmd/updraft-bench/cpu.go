package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuTimes is the machine's CPU time so far, in clock ticks, from the first
// line of /proc/stat. Throughput on a small machine is often bounded by its
// cores; the share of them busy during a scenario tells whether it was.
type cpuTimes struct {
	busy, total uint64
}

func readCPU() (cpuTimes, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuTimes{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return cpuTimes{}, fmt.Errorf("/proc/stat: empty")
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 5 || fields[0] != "cpu" {
		return cpuTimes{}, fmt.Errorf("/proc/stat: unexpected first line %q", sc.Text())
	}
	var t cpuTimes
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("/proc/stat: %w", err)
		}
		t.total += v
		// idle and iowait are the 4th and 5th columns.
		if i != 3 && i != 4 {
			t.busy += v
		}
	}
	return t, nil
}

// busySince describes the share of all cores busy since start, or nothing
// where /proc/stat cannot be read.
func busySince(start cpuTimes, startErr error) string {
	end, err := readCPU()
	if startErr != nil || err != nil || end.total <= start.total {
		return ""
	}
	return fmt.Sprintf("; CPU %.0f%% busy", 100*float64(end.busy-start.busy)/float64(end.total-start.total))
}
