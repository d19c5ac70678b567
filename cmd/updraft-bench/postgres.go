package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
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
	"github.com/updraft-dev/updraft/internal/store/postgres"
	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
)

// pgFanouts runs the fan-out on a throwaway PostgreSQL server, durable
// (fsync and synchronous commit on), once per scheduler count, each on a
// fresh database, with each scheduler a process of its own.
func pgFanouts(ctx context.Context, n, parallel int, counts []int) ([]row, error) {
	srv, err := pgserver.StartWith(ctx, pgserver.Options{Fsync: true})
	if err != nil {
		return nil, err
	}
	defer func() { _ = srv.Stop() }()
	var rows []row
	for _, k := range counts {
		fmt.Fprintf(os.Stderr, "running fanout on PostgreSQL with %d scheduler(s)...\n", k)
		url, err := srv.NewDatabase(ctx, fmt.Sprintf("bench_%d", k))
		if err != nil {
			return nil, err
		}
		r, err := pgFanout(ctx, url, n, parallel, k)
		if err != nil {
			return nil, fmt.Errorf("fan-out on PostgreSQL with %d schedulers: %w", k, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// pgFanout triggers one run of n no-op tasks, at most parallel at once
// (the DAG's max_active_tasks, which holds across schedulers), and runs k
// scheduler processes until it ends. The figure is the run's own duration
// as the store recorded it, from running to success.
func pgFanout(ctx context.Context, url string, n, parallel, k int) (row, error) {
	dir, err := os.MkdirTemp("", "updraft-bench-pg-")
	if err != nil {
		return row{}, err
	}
	defer os.RemoveAll(dir)
	dags := filepath.Join(dir, "dags")
	if err := os.MkdirAll(dags, 0o755); err != nil {
		return row{}, err
	}
	if err := os.WriteFile(filepath.Join(dags, "bench.yaml"), []byte(fanoutDag(n, parallel)), 0o644); err != nil {
		return row{}, err
	}
	st, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		return row{}, err
	}
	defer st.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	src := &source.Dir{Path: dags, Store: st, Parse: spec.Parse, Logger: quiet, Now: time.Now}
	if _, err := src.Sync(ctx); err != nil {
		return row{}, err
	}
	r, err := scheduler.Trigger(ctx, st, scheduler.NewVersions(st, spec.Parse), time.Now(), &scheduler.TriggerParams{DagID: "fanout"})
	if err != nil {
		return row{}, err
	}
	self, err := os.Executable()
	if err != nil {
		return row{}, err
	}
	cpu, cpuErr := readCPU()
	var workers []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range k {
		cmd := exec.Command(self, "-scenario", "pg-scheduler", "-database-url", url, //nolint:gosec // this binary
			"-run", strconv.FormatInt(r.ID, 10), "-parallel", strconv.Itoa(parallel),
			"-data-dir", filepath.Join(dir, "scheduler"+strconv.Itoa(i)))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			return row{}, err
		}
		workers, outs = append(workers, cmd), append(outs, &out)
	}
	var errs []error
	for i, w := range workers {
		if err := w.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("scheduler %d: %w: %s", i, err, outs[i]))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return row{}, err
	}
	busy := busySince(cpu, cpuErr)
	end, err := st.DagRunGetByID(ctx, r.ID)
	if err != nil {
		return row{}, err
	}
	tis, err := st.TaskInstanceListByRun(ctx, r.ID, nil)
	if err != nil {
		return row{}, err
	}
	perJob := map[int64]int{}
	for _, ti := range tis {
		if ti.State != dag.TaskSuccess {
			return row{}, fmt.Errorf("task %s ended %s: %s", ti.TaskID, ti.State, ti.Reason)
		}
		perJob[ti.QueuedByJob]++
	}
	if end.State != dag.DagRunSuccess || end.StartDate == nil || end.EndDate == nil {
		return row{}, fmt.Errorf("run ended %s", end.State)
	}
	elapsed := end.EndDate.Sub(*end.StartDate)
	rate := float64(n) / elapsed.Seconds()
	var spread []string
	for _, c := range perJob {
		spread = append(spread, strconv.Itoa(c))
	}
	target, met := "beside SQLite's", true
	if k >= 3 {
		target, met = ">= 1000 tasks/s", rate >= 1000
	}
	return row{
		Name: fmt.Sprintf("fan-out of %d on PostgreSQL (durable), %d scheduler(s): throughput", n, k),
		Figure: fmt.Sprintf("%.0f tasks/s (%.1f s; tasks per scheduler %s%s)", rate, elapsed.Seconds(),
			strings.Join(spread, "/"), busy),
		Target: target, Met: met,
	}, nil
}

// pgScheduler is one scheduler process of pgFanout: it runs until the run
// ends, then stops cleanly.
func pgScheduler(ctx context.Context, url string, runPK int64, parallel int, dataDir string) error {
	st, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ex := local.New(local.Config{Parallelism: parallel, Logs: logstore.FileStore{Dir: filepath.Join(dataDir, "logs")},
		TempDir: os.TempDir(), Env: os.Environ(), Logger: quiet})
	defer ex.Stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := scheduler.New(scheduler.Config{
		Store: st, Executors: map[string]executor.Executor{"local": ex}, Versions: scheduler.NewVersions(st, spec.Parse),
		Logger: quiet, Tick: time.Second,
		Observe: func(t scheduler.Transition) {
			if t.TaskID == "" && t.RunPK == runPK && dag.DagRunState(t.State).Finished() {
				cancel()
			}
		},
	})
	if err != nil {
		return err
	}
	// Another scheduler may record the run's end: look now and then too.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			r, err := st.DagRunGetByID(ctx, runPK)
			if err == nil && r.State.Finished() {
				cancel()
				return
			}
		}
	}()
	return s.Run(ctx)
}

// fanoutDag is n independent no-op tasks, parallel at most at once.
func fanoutDag(n, parallel int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dag_id: fanout\nschedule: null\nmax_active_tasks: %d\ntasks:\n", parallel)
	for i := range n {
		fmt.Fprintf(&b, "  t%05d: {command: [\"true\"]}\n", i)
	}
	return b.String()
}
