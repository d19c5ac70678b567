package local_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/executor/local"
	"github.com/updraft-dev/updraft/internal/logstore"
)

type testBundle struct {
	cfg local.Config
}

// setup returns an executor writing under fresh temporary directories,
// stopped at the end of the test.
func setup(t testing.TB, modify func(*local.Config)) (*local.Executor, *testBundle) {
	t.Helper()
	cfg := local.Config{
		Parallelism: 8,
		Logs:        logstore.FileStore{Dir: t.TempDir()},
		TempDir:     t.TempDir(),
		KillGrace:   5 * time.Second,
		Env:         []string{"PATH=" + os.Getenv("PATH")},
		Logger:      slog.New(slog.DiscardHandler),
	}
	if modify != nil {
		modify(&cfg)
	}
	ex := local.New(cfg)
	t.Cleanup(ex.Stop)
	return ex, &testBundle{cfg: cfg}
}

func key(task string) executor.TryKey {
	return executor.TryKey{DagID: "dag", RunID: "manual__2026-03-01T12:00:00+00:00", TaskID: task, MapIndex: -1, TryNumber: 1}
}

func submit(t testing.TB, ex *local.Executor, k executor.TryKey, argv ...string) {
	t.Helper()
	if err := ex.Submit(t.Context(), &executor.Request{Key: k, Argv: argv}); err != nil {
		t.Fatalf("Submit %s: %v", k, err)
	}
}

// waitFinished reads events until every key has finished and returns the
// events read, per key, in order.
func waitFinished(t testing.TB, ex *local.Executor, keys ...executor.TryKey) map[executor.TryKey][]executor.Event {
	t.Helper()
	want := make(map[executor.TryKey]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	got := make(map[executor.TryKey][]executor.Event)
	timeout := time.After(30 * time.Second)
	for len(want) > 0 {
		select {
		case ev, ok := <-ex.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %v", want)
			}
			got[ev.Key] = append(got[ev.Key], ev)
			if ev.Kind == executor.Finished {
				delete(want, ev.Key)
			}
		case <-timeout:
			t.Fatalf("no Finished event for %v; got %v", want, got)
		}
	}
	return got
}

// finished waits for the try and returns its Finished event, checking that
// a Started event with a PID came first.
func finished(t testing.TB, ex *local.Executor, k executor.TryKey) executor.Event {
	t.Helper()
	evs := waitFinished(t, ex, k)[k]
	if len(evs) != 2 || evs[0].Kind != executor.Started || evs[0].PID <= 0 {
		t.Fatalf("events = %+v, want Started with a PID then Finished", evs)
	}
	return evs[1]
}

// waitStarted reads events until k has started and returns that event.
func waitStarted(t testing.TB, ex *local.Executor, k executor.TryKey) executor.Event {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-ex.Events():
			if ev.Key != k {
				t.Fatalf("unexpected event %+v while waiting for %s to start", ev, k)
			}
			if ev.Kind != executor.Started {
				t.Fatalf("%s finished without starting: %+v", k, ev)
			}
			return ev
		case <-timeout:
			t.Fatalf("%s did not start", k)
		}
	}
}

func readLog(t testing.TB, b *testBundle, k executor.TryKey) string {
	t.Helper()
	data, _, err := b.cfg.Logs.Read(logstore.Key{DagID: k.DagID, RunID: k.RunID, TaskID: k.TaskID, MapIndex: k.MapIndex, TryNumber: k.TryNumber}, 0, 0)
	if err != nil {
		t.Fatalf("read log of %s: %v", k, err)
	}
	return string(data)
}

// waitLog waits until the try's log contains s, and returns the log.
func waitLog(t testing.TB, b *testBundle, k executor.TryKey, s string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		log := readLog(t, b, k)
		if strings.Contains(log, s) {
			return log
		}
		if time.Now().After(deadline) {
			t.Fatalf("log = %q, want %q in it", log, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var childRE = regexp.MustCompile(`child=(\d+)`)

// childPID finds the "child=<pid>" line a test command prints.
func childPID(t testing.TB, out string) int {
	t.Helper()
	m := childRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no child=<pid> in %q", out)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// running reports whether pid is a process that still runs. A zombie does
// not: PID 1 of this kind of sandbox or container may never reap the
// orphans the tests kill.
func running(pid int) bool {
	if errors.Is(unix.Kill(pid, 0), unix.ESRCH) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	state := strings.Fields(string(b[i+1:]))[0]
	return state != "Z" && state != "X"
}

// assertGone fails unless every pid stops running within a few seconds; the
// executor reaps its own children before reporting, but orphans are reaped
// by init at its own pace.
func assertGone(t testing.TB, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for running(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d still runs", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func killAtEnd(t testing.TB, pids ...int) {
	t.Cleanup(func() {
		for _, pid := range pids {
			_ = unix.Kill(-pid, unix.SIGKILL)
			_ = unix.Kill(pid, unix.SIGKILL)
		}
	})
}
