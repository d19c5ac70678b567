package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/executor/local"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/source"
	"github.com/updraft-dev/updraft/internal/spec"
	"github.com/updraft-dev/updraft/internal/store/sqlite"
)

// harness is a scheduler on a fresh data directory with one DAG file.
type harness struct {
	dir      string
	st       *sqlite.Store
	versions *scheduler.Versions
	ex       *local.Executor
	// executors run the tasks, by name; the local one unless a scenario
	// says otherwise.
	executors       map[string]executor.Executor
	defaultExecutor string
}

func newHarness(ctx context.Context, dagYAML string, parallel int) (*harness, error) {
	dir, err := os.MkdirTemp("", "updraft-bench-")
	if err != nil {
		return nil, err
	}
	dags := filepath.Join(dir, "dags")
	if err := os.MkdirAll(dags, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dags, "bench.yaml"), []byte(dagYAML), 0o644); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "updraft.db"))
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	src := &source.Dir{Path: dags, Store: st, Parse: spec.Parse, Logger: quiet, Now: time.Now}
	if _, err := src.Sync(ctx); err != nil {
		return nil, err
	}
	ex := local.New(local.Config{Parallelism: parallel, Logs: logstore.FileStore{Dir: filepath.Join(dir, "logs")},
		TempDir: dir, Env: os.Environ(), Logger: quiet})
	return &harness{dir: dir, st: st, versions: scheduler.NewVersions(st, spec.Parse), ex: ex,
		executors: map[string]executor.Executor{"local": ex}, defaultExecutor: "local"}, nil
}

func (h *harness) close() {
	h.ex.Stop()
	_ = h.st.Close()
	_ = os.RemoveAll(h.dir)
}

// run triggers the DAG and runs a scheduler until the run ends, calling
// observe with every transition.
func (h *harness) run(ctx context.Context, dagID string, observe func(scheduler.Transition)) (dag.DagRunState, time.Duration, error) {
	r, err := scheduler.Trigger(ctx, h.st, h.versions, time.Now(), &scheduler.TriggerParams{DagID: dagID})
	if err != nil {
		return "", 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var final dag.DagRunState
	var started, ended time.Time
	s, err := scheduler.New(scheduler.Config{
		Store: h.st, Executors: h.executors, DefaultExecutor: h.defaultExecutor, Versions: h.versions,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), OnlyRun: r.ID, Tick: time.Second,
		Observe: func(t scheduler.Transition) {
			if t.TaskID == "" {
				switch st := dag.DagRunState(t.State); {
				case st == dag.DagRunRunning:
					started = t.Time
				case st.Finished():
					final, ended = st, t.Time
					cancel()
				}
				return
			}
			observe(t)
		},
	})
	if err != nil {
		return "", 0, err
	}
	if err := s.Run(ctx); err != nil {
		return "", 0, err
	}
	return final, ended.Sub(started), nil
}

func runChain(ctx context.Context, n int) (*result, error) {
	var b strings.Builder
	b.WriteString("dag_id: chain\nschedule: null\ntasks:\n")
	for i := range n {
		fmt.Fprintf(&b, "  t%04d:\n    command: [\"true\"]\n", i)
		if i > 0 {
			fmt.Fprintf(&b, "    depends_on: [t%04d]\n", i-1)
		}
	}
	h, err := newHarness(ctx, b.String(), 4)
	if err != nil {
		return nil, err
	}
	defer h.close()
	success := map[string]time.Time{}
	start := map[string]time.Time{}
	state, _, err := h.run(ctx, "chain", func(t scheduler.Transition) {
		switch {
		case t.Started:
			start[t.TaskID] = t.Time
		case t.State == string(dag.TaskSuccess):
			success[t.TaskID] = t.Time
		}
	})
	if err != nil {
		return nil, err
	}
	if state != dag.DagRunSuccess {
		return nil, fmt.Errorf("chain run ended %s", state)
	}
	var hops []time.Duration
	for i := 1; i < n; i++ {
		up, down := success[fmt.Sprintf("t%04d", i-1)], start[fmt.Sprintf("t%04d", i)]
		if up.IsZero() || down.IsZero() {
			return nil, fmt.Errorf("task t%04d: missing transition", i)
		}
		hops = append(hops, down.Sub(up))
	}
	p50, p99 := percentile(hops, 50), percentile(hops, 99)
	return &result{Rows: []row{
		{Name: fmt.Sprintf("chain of %d: hop p50", n), Figure: ms(p50), Target: "<= 5 ms", Met: p50 <= 5*time.Millisecond},
		{Name: fmt.Sprintf("chain of %d: hop p99", n), Figure: ms(p99), Target: "<= 25 ms", Met: p99 <= 25*time.Millisecond},
	}}, nil
}

func runFanout(ctx context.Context, n, parallel int) (*result, error) {
	h, err := newHarness(ctx, fanoutDag(n, parallel), parallel)
	if err != nil {
		return nil, err
	}
	defer h.close()
	done := 0
	cpu, cpuErr := readCPU()
	state, elapsed, err := h.run(ctx, "fanout", func(t scheduler.Transition) {
		if t.State == string(dag.TaskSuccess) {
			done++
		}
	})
	if err != nil {
		return nil, err
	}
	if state != dag.DagRunSuccess || done != n {
		return nil, fmt.Errorf("fan-out run ended %s with %d of %d tasks succeeded", state, done, n)
	}
	rate := float64(n) / elapsed.Seconds()
	rss := peakRSS()
	return &result{Rows: []row{
		{Name: fmt.Sprintf("fan-out of %d, %d at once, SQLite: throughput", n, parallel), Figure: fmt.Sprintf("%.0f tasks/s (%.1f s%s)", rate, elapsed.Seconds(), busySince(cpu, cpuErr)),
			Target: ">= 1000 tasks/s", Met: rate >= 1000},
		{Name: "fan-out: peak RSS of the scheduler process", Figure: fmt.Sprintf("%.0f MB", float64(rss)/1e6),
			Target: "<= 150 MB", Met: rss <= 150e6},
	}}, nil
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// peakRSS is VmHWM of this process, in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
