package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// churn runs one worker of the concurrency tests: it takes every task
// instance of its run through cycles of scheduled, queued, running and
// success, in batches, clearing the run between cycles, and reads from
// both connection pools between writes.
func churn(ctx context.Context, s *Store, run *store.DagRun, tasks []string, cycles int) error {
	batch := func(mk func(id string) *store.TaskInstanceChange) error {
		changes := make([]*store.TaskInstanceChange, 0, len(tasks))
		for _, id := range tasks {
			changes = append(changes, mk(id))
		}
		ok, err := s.TaskInstanceApply(ctx, changes)
		if err != nil {
			return err
		}
		for i, applied := range ok {
			if !applied {
				return fmt.Errorf("run %d: change of %s did not apply", run.ID, tasks[i])
			}
		}
		return nil
	}
	read := func() error {
		if _, err := s.TaskInstanceListByState(ctx, &store.TaskInstanceListParams{States: []dag.TaskState{dag.TaskScheduled, dag.TaskQueued}, Limit: 50}); err != nil {
			return err
		}
		if _, err := s.TaskInstanceCountActive(ctx); err != nil {
			return err
		}
		if _, err := s.DagRunList(ctx, &store.DagRunListParams{DagID: run.DagID, Limit: 10}); err != nil {
			return err
		}
		if _, err := s.XComList(ctx, run.ID); err != nil {
			return err
		}
		if _, err := s.TaskInstanceTries(ctx, run.ID, tasks[0], -1); err != nil {
			return err
		}
		_, err := s.DagList(ctx, &store.DagListParams{})
		return err
	}
	now := time.Now()
	for cycle := 1; cycle <= cycles; cycle++ {
		steps := []func(id string) *store.TaskInstanceChange{
			func(id string) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{RunPK: run.ID, TaskID: id, MapIndex: -1,
					From: []dag.TaskState{dag.TaskNone}, State: dag.TaskScheduled}
			},
			func(id string) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{RunPK: run.ID, TaskID: id, MapIndex: -1,
					From: []dag.TaskState{dag.TaskScheduled}, State: dag.TaskQueued, TryDelta: 1, QueuedAt: &now}
			},
			func(id string) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{RunPK: run.ID, TaskID: id, MapIndex: -1, Try: cycle,
					From: []dag.TaskState{dag.TaskQueued}, State: dag.TaskRunning, StartDate: &now}
			},
			func(id string) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{RunPK: run.ID, TaskID: id, MapIndex: -1, Try: cycle,
					From: []dag.TaskState{dag.TaskRunning}, State: dag.TaskSuccess, EndDate: &now,
					RecordTry: true, XCom: json.RawMessage(fmt.Sprint(cycle))}
			},
		}
		for _, step := range steps {
			if err := batch(step); err != nil {
				return err
			}
			if err := read(); err != nil {
				return err
			}
		}
		if cycle < cycles {
			if _, err := s.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: run.ID}); err != nil {
				return err
			}
		}
	}
	return nil
}

// runChurn creates a run per worker on the store it is given and churns
// them all at once, then checks every run ended as the cycles say.
func runChurn(t *testing.T, stores []*Store, workers, cycles int) {
	t.Helper()
	ctx := t.Context()
	v, _, err := stores[0].DagSync(ctx, &store.DagSyncParams{DagID: "busy", FileLoc: "dags/busy.yaml",
		Source: []byte("x"), Hash: "h1", ParsedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var tasks []string
	var inits []store.TaskInstanceInit
	for i := range 16 {
		id := fmt.Sprintf("t%02d", i)
		tasks = append(tasks, id)
		inits = append(inits, store.TaskInstanceInit{TaskID: id, MapIndex: -1, Pool: "default_pool", PoolSlots: 1, PriorityWeight: i})
	}

	var wg sync.WaitGroup
	errs := make([]error, workers)
	runs := make([]*store.DagRun, workers)
	start := make(chan struct{})
	for w := range workers {
		s := stores[w%len(stores)]
		wg.Go(func() {
			<-start
			now := time.Now()
			r, err := s.DagRunCreate(ctx, &store.DagRunCreateParams{DagID: "busy", RunID: fmt.Sprint("run", w),
				VersionID: v.ID, RunType: dag.RunManual, State: dag.DagRunRunning, LogicalDate: now.Add(time.Duration(w) * time.Hour),
				DataInterval: dag.DataInterval{Start: now, End: now}, CreatedAt: now, Tasks: inits})
			if err != nil {
				errs[w] = err
				return
			}
			runs[w] = r
			errs[w] = churn(ctx, s, r, tasks, cycles)
		})
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			if strings.Contains(err.Error(), "database is locked") || strings.Contains(err.Error(), "SQLITE_BUSY") {
				t.Errorf("worker %d: the database was busy: %v", w, err)
			} else {
				t.Errorf("worker %d: %v", w, err)
			}
		}
	}
	if t.Failed() {
		return
	}

	s := stores[0]
	for _, r := range runs {
		tis, err := s.TaskInstanceListByRun(ctx, r.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range tis {
			if ti.State != dag.TaskSuccess || ti.TryNumber != cycles {
				t.Errorf("%s/%s: state %s, try %d; want success, try %d", r.RunID, ti.TaskID, ti.State, ti.TryNumber, cycles)
			}
		}
		tries, err := s.TaskInstanceTries(ctx, r.ID, tasks[len(tasks)-1], -1)
		if err != nil || len(tries) != cycles {
			t.Errorf("%s: %d tries recorded (%v), want %d", r.RunID, len(tries), err, cycles)
		}
		x, err := s.XComGet(ctx, r.ID, tasks[0], -1, "return_value")
		if err != nil || string(x.Value) != fmt.Sprint(cycles) {
			t.Errorf("%s: return value %v (%v), want %d", r.RunID, x, err, cycles)
		}
		if got, err := s.DagRunGetByID(ctx, r.ID); err != nil || got.ClearNumber != cycles-1 {
			t.Errorf("%s: clear number %v (%v), want %d", r.RunID, got, err, cycles-1)
		}
	}
}

// TestConcurrentApplyAndRead is the scheduler's load on one store: writers
// queue on the one writer connection, readers share WAL snapshots, and no
// one sees "database is locked".
func TestConcurrentApplyAndRead(t *testing.T) {
	t.Parallel()
	runChurn(t, []*Store{openStore(t)}, 8, 5)
}

// TestConcurrentHandles is the scheduler and a CLI command on one file:
// two writer connections, so the file lock and busy_timeout keep them apart.
func TestConcurrentHandles(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "updraft.db")
	runChurn(t, []*Store{openAt(t, path), openAt(t, path)}, 8, 3)
}
