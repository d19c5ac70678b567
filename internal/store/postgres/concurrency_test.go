package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
)

// Tests here play several scheduler processes on one database: each store
// has its own pool, as each process would.

// openStores opens n stores on one new database.
func openStores(t *testing.T, n int) []*Store {
	t.Helper()
	url := pgserver.ForTest(t)
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = openURL(t, url, Options{})
	}
	return stores
}

// together runs fn once per store at the same moment and waits for all.
func together(stores []*Store, fn func(i int, s *Store)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		wg.Go(func() {
			<-start
			fn(i, s)
		})
	}
	close(start)
	wg.Wait()
}

func TestConcurrentDagSync(t *testing.T) {
	t.Parallel()
	stores := openStores(t, 6)
	for round, hash := range []string{"h1", "h2", "h3", "h1"} {
		versions := make([]*store.DagVersion, len(stores))
		created := make([]bool, len(stores))
		together(stores, func(i int, s *Store) {
			var err error
			versions[i], created[i], err = s.DagSync(t.Context(), &store.DagSyncParams{DagID: "etl", FileLoc: "dags/etl.yaml",
				Source: []byte("source " + hash), Hash: hash, ParsedAt: time.Now()})
			if err != nil {
				t.Errorf("round %d, store %d: %v", round, i, err)
			}
		})
		if t.Failed() {
			return
		}
		if n := len(slices.DeleteFunc(slices.Clone(created), func(c bool) bool { return !c })); n != 1 {
			t.Errorf("round %d: %d callers created a version, want exactly 1", round, n)
		}
		for i, v := range versions {
			if v.ID != versions[0].ID || v.VersionNumber != round+1 || v.Hash != hash {
				t.Errorf("round %d, store %d: got version %d (number %d, hash %s), want the one version %d, number %d",
					round, i, v.ID, v.VersionNumber, v.Hash, versions[0].ID, round+1)
			}
		}
		d, err := stores[0].DagGet(t.Context(), "etl")
		if err != nil || d.LatestVersionID != versions[0].ID {
			t.Errorf("round %d: dag's latest version = %v, %v; want %d", round, d, err, versions[0].ID)
		}
	}
}

// Schedulers creating the same run at once: one creates it, the others
// get store.ErrConflict, and the run has its task instances once.
func TestConcurrentDagRunCreate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	stores := openStores(t, 5)
	v, _, err := stores[0].DagSync(ctx, &store.DagSyncParams{DagID: "etl", FileLoc: "f", Source: []byte("x"), Hash: "h", ParsedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	logical := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	errs := make([]error, len(stores))
	together(stores, func(i int, s *Store) {
		_, errs[i] = s.DagRunCreate(ctx, &store.DagRunCreateParams{DagID: "etl", RunID: "scheduled__2026-03-01", VersionID: v.ID,
			RunType: dag.RunScheduled, State: dag.DagRunQueued, LogicalDate: logical,
			DataInterval: dag.DataInterval{Start: logical, End: logical.Add(24 * time.Hour)}, CreatedAt: time.Now(),
			Tasks: []store.TaskInstanceInit{{TaskID: "a", MapIndex: -1, Pool: "default_pool", PoolSlots: 1}}})
	})
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("store %d: %v, want nil or store.ErrConflict", i, err)
		}
	}
	if created != 1 {
		t.Errorf("%d stores created the run, want 1", created)
	}
	r, err := stores[0].DagRunGet(ctx, "etl", "scheduled__2026-03-01")
	if err != nil {
		t.Fatal(err)
	}
	tis, err := stores[0].TaskInstanceListByRun(ctx, r.ID, nil)
	if err != nil || len(tis) != 1 {
		t.Errorf("the run's task instances: %d, %v; want 1", len(tis), err)
	}
}

// schedule creates a run of n task instances in pool, all scheduled.
func schedule(t *testing.T, s *Store, pool string, n int) *store.DagRun {
	t.Helper()
	ctx := t.Context()
	v, _, err := s.DagSync(ctx, &store.DagSyncParams{DagID: "etl", FileLoc: "f", Source: []byte("x"), Hash: "h", ParsedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var inits []store.TaskInstanceInit
	for i := range n {
		inits = append(inits, store.TaskInstanceInit{TaskID: fmt.Sprintf("t%03d", i), MapIndex: -1, Pool: pool, PoolSlots: 1,
			PriorityWeight: i % 7})
	}
	now := time.Now()
	r, err := s.DagRunCreate(ctx, &store.DagRunCreateParams{DagID: "etl", RunID: "r", VersionID: v.ID, RunType: dag.RunManual,
		State: dag.DagRunRunning, LogicalDate: now, DataInterval: dag.DataInterval{Start: now, End: now}, CreatedAt: now, Tasks: inits})
	if err != nil {
		t.Fatal(err)
	}
	var changes []*store.TaskInstanceChange
	for _, ti := range inits {
		changes = append(changes, &store.TaskInstanceChange{RunPK: r.ID, TaskID: ti.TaskID, MapIndex: -1, State: dag.TaskScheduled})
	}
	if _, err := s.TaskInstanceApply(ctx, changes); err != nil {
		t.Fatal(err)
	}
	return r
}

// Three schedulers, two dispatch loops each, share a pool of 5 slots: no
// try is queued twice, and the pool never holds more than its slots.
func TestConcurrentDispatch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	stores := openStores(t, 3)
	const slots, tasks = 5, 60
	if err := stores[0].PoolSet(ctx, &store.Pool{Name: "small", Slots: slots}); err != nil {
		t.Fatal(err)
	}
	run := schedule(t, stores[0], "small", tasks)

	var mu sync.Mutex
	queued := map[string]int{}
	dispatch := func(s *Store, job int64) ([]*store.TaskInstanceChange, error) {
		var mine []*store.TaskInstanceChange
		applied, err := s.TaskInstanceDispatch(ctx, func(ctx context.Context, tx store.DispatchTx) ([]*store.TaskInstanceChange, error) {
			mine = nil
			pools, err := tx.Pools(ctx)
			if err != nil {
				return nil, err
			}
			active, err := tx.CountActive(ctx)
			if err != nil {
				return nil, err
			}
			cands, err := tx.Candidates(ctx, &store.TaskInstanceListParams{States: []dag.TaskState{dag.TaskScheduled}, Limit: 4})
			if err != nil {
				return nil, err
			}
			free := 0
			for _, p := range pools {
				if p.Name == "small" {
					free = p.Slots - active.PoolSlots["small"]
				}
			}
			for _, ti := range cands[:min(len(cands), max(free, 0))] {
				mine = append(mine, &store.TaskInstanceChange{RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
					From: []dag.TaskState{dag.TaskScheduled}, Try: ti.TryNumber, State: dag.TaskQueued, TryDelta: 1,
					QueuedByJob: &job})
			}
			return mine, nil
		})
		if err != nil {
			return nil, err
		}
		var got []*store.TaskInstanceChange
		for i, c := range mine {
			if !applied[i] {
				return nil, fmt.Errorf("a locked candidate's change did not apply: %s", c.TaskID)
			}
			got = append(got, c)
		}
		return got, nil
	}
	var loops []*Store
	for _, s := range stores {
		loops = append(loops, s, s)
	}
	deadline := time.Now().Add(time.Minute)
	together(loops, func(i int, s *Store) {
		job := int64(i/2 + 1)
		for time.Now().Before(deadline) {
			mine, err := dispatch(s, job)
			if err != nil {
				t.Errorf("dispatcher %d: %v", i, err)
				return
			}
			active, err := s.TaskInstanceCountActive(ctx)
			if err != nil {
				t.Errorf("dispatcher %d: %v", i, err)
				return
			}
			if active.PoolSlots["small"] > slots {
				t.Errorf("pool small holds %d slots, limit %d", active.PoolSlots["small"], slots)
			}
			mu.Lock()
			for _, c := range mine {
				queued[c.TaskID]++
			}
			done := len(queued) == tasks
			mu.Unlock()
			// The tries run and end, which frees their slots.
			var ends []*store.TaskInstanceChange
			for _, c := range mine {
				ends = append(ends, &store.TaskInstanceChange{RunPK: c.RunPK, TaskID: c.TaskID, MapIndex: -1, Try: 1,
					From: []dag.TaskState{dag.TaskQueued}, State: dag.TaskSuccess})
			}
			if _, err := s.TaskInstanceApply(ctx, ends); err != nil {
				t.Errorf("dispatcher %d: %v", i, err)
				return
			}
			if done {
				return
			}
		}
	})
	if len(queued) != tasks {
		t.Errorf("%d task instances queued, want %d", len(queued), tasks)
	}
	for id, n := range queued {
		if n != 1 {
			t.Errorf("%s queued %d times", id, n)
		}
	}
	tis, err := stores[0].TaskInstanceListByRun(ctx, run.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tis {
		if ti.State != dag.TaskSuccess || ti.TryNumber != 1 || ti.QueuedByJob == 0 {
			t.Errorf("%s: state %s, try %d, queued by job %d; want success, try 1, a job", ti.TaskID, ti.State, ti.TryNumber, ti.QueuedByJob)
		}
	}
}

// While one dispatch holds candidates, another takes the next ones at once
// instead of waiting for them (SKIP LOCKED).
func TestDispatchSkipsLocked(t *testing.T) {
	t.Parallel()
	stores := openStores(t, 2)
	schedule(t, stores[0], "default_pool", 6)
	scheduled := &store.TaskInstanceListParams{States: []dag.TaskState{dag.TaskScheduled}, Limit: 3}

	holding, release := make(chan []string), make(chan struct{})
	// Released on every way out: a dispatch left waiting would keep its
	// connection, and closing the store would wait for it for ever.
	var releaseOnce sync.Once
	releaseFirst := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseFirst()
	firstDone := make(chan error, 1)
	go func() {
		_, err := stores[0].TaskInstanceDispatch(t.Context(), func(ctx context.Context, tx store.DispatchTx) ([]*store.TaskInstanceChange, error) {
			cands, err := tx.Candidates(ctx, scheduled)
			if err != nil {
				return nil, err
			}
			holding <- ids(cands)
			<-release
			return nil, nil
		})
		firstDone <- err
	}()
	first := <-holding

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var second []string
	_, err := stores[1].TaskInstanceDispatch(ctx, func(ctx context.Context, tx store.DispatchTx) ([]*store.TaskInstanceChange, error) {
		cands, err := tx.Candidates(ctx, scheduled)
		second = ids(cands)
		return nil, err
	})
	releaseFirst()
	if err != nil {
		t.Fatalf("second dispatch while the first holds its candidates: %v", err)
	}
	if err := <-firstDone; err != nil {
		t.Fatalf("first dispatch: %v", err)
	}
	if len(first) != 3 || len(second) != 3 {
		t.Fatalf("candidates %v and %v, want 3 each", first, second)
	}
	for _, id := range second {
		if slices.Contains(first, id) {
			t.Errorf("%s is a candidate of both dispatches", id)
		}
	}
	// The locks go with the transaction: a third dispatch sees them again.
	var third []string
	_, err = stores[1].TaskInstanceDispatch(t.Context(), func(ctx context.Context, tx store.DispatchTx) ([]*store.TaskInstanceChange, error) {
		cands, err := tx.Candidates(ctx, scheduled)
		third = ids(cands)
		return nil, err
	})
	if err != nil || !slices.Equal(third, first) {
		t.Errorf("candidates after both ended = %v, %v; want the first dispatch's %v again", third, err, first)
	}
}

func ids(tis []*store.TaskInstance) []string {
	var out []string
	for _, ti := range tis {
		out = append(out, ti.TaskID)
	}
	return out
}

// Dispatches that count pool slots take turns: the second's first read of
// the pools or the counts returns only once the first has committed, so it
// counts what the first queued, whichever it reads first.
func TestDispatchPoolsTakeTurns(t *testing.T) {
	t.Parallel()
	for _, first := range []string{"Pools", "CountActive"} {
		t.Run(first+"First", func(t *testing.T) {
			t.Parallel()
			testDispatchPoolsTakeTurns(t, first == "Pools")
		})
	}
}

func testDispatchPoolsTakeTurns(t *testing.T, poolsFirst bool) {
	stores := openStores(t, 2)
	run := schedule(t, stores[0], "default_pool", 1)

	holding, release := make(chan struct{}), make(chan struct{})
	// Released on every way out, as in TestDispatchSkipsLocked.
	var releaseOnce sync.Once
	releaseFirst := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseFirst()
	firstDone := make(chan error, 1)
	go func() {
		_, err := stores[0].TaskInstanceDispatch(t.Context(), func(ctx context.Context, tx store.DispatchTx) ([]*store.TaskInstanceChange, error) {
			if _, err := tx.Pools(ctx); err != nil {
				return nil, err
			}
			close(holding)
			<-release
			return []*store.TaskInstanceChange{{RunPK: run.ID, TaskID: "t000", MapIndex: -1, State: dag.TaskQueued, TryDelta: 1}}, nil
		})
		firstDone <- err
	}()
	<-holding

	secondRead := make(chan struct{})
	var active int
	secondDone := make(chan error, 1)
	go func() {
		_, err := stores[1].TaskInstanceDispatch(t.Context(), func(ctx context.Context, tx store.DispatchTx) ([]*store.TaskInstanceChange, error) {
			if poolsFirst {
				if _, err := tx.Pools(ctx); err != nil {
					return nil, err
				}
			}
			c, err := tx.CountActive(ctx)
			close(secondRead)
			if err == nil {
				active = c.PoolSlots["default_pool"]
			}
			return nil, err
		})
		secondDone <- err
	}()
	select {
	case <-secondRead:
		t.Error("a second dispatch read while the first held the pools")
	case <-time.After(300 * time.Millisecond):
	}
	releaseFirst()
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := <-secondDone; err != nil {
		t.Fatal(err)
	}
	if active != 1 {
		t.Errorf("the second dispatch counted %d active slots, want the 1 the first queued", active)
	}
}

// Schedulers starting runs of one DAG at once keep max_active_runs.
func TestConcurrentMaxRunning(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	stores := openStores(t, 4)
	v, _, err := stores[0].DagSync(ctx, &store.DagSyncParams{DagID: "etl", FileLoc: "f", Source: []byte("x"), Hash: "h", ParsedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var runs []*store.DagRun
	for i := range 12 {
		now := time.Now()
		r, err := stores[0].DagRunCreate(ctx, &store.DagRunCreateParams{DagID: "etl", RunID: fmt.Sprint("r", i), VersionID: v.ID,
			RunType: dag.RunManual, State: dag.DagRunQueued, LogicalDate: now, DataInterval: dag.DataInterval{Start: now, End: now},
			CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	const maxRunning = 3
	for round := range 5 {
		started := make([]int, len(stores))
		together(stores, func(i int, s *Store) {
			// Each store starts with other runs, so they race on the
			// count, not on one run's row.
			for k := range runs {
				r := runs[(k+i*len(runs)/len(stores))%len(runs)]
				ok, err := s.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: r.ID, State: dag.DagRunRunning,
					From: []dag.DagRunState{dag.DagRunQueued}, MaxRunning: maxRunning})
				if err != nil {
					t.Errorf("store %d: %v", i, err)
					return
				}
				if ok {
					started[i]++
				}
			}
		})
		total := 0
		for _, n := range started {
			total += n
		}
		if total != maxRunning {
			t.Errorf("round %d: %d runs started (%v per store), want %d", round, total, started, maxRunning)
		}
		_, running, err := stores[0].DagRunCountActive(ctx, "etl")
		if err != nil || running != maxRunning {
			t.Errorf("round %d: running runs = %d, %v; want %d", round, running, err, maxRunning)
		}
		for _, r := range runs {
			if _, err := stores[0].DagRunSetState(ctx, &store.DagRunSetStateParams{ID: r.ID, State: dag.DagRunQueued}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Schedulers looking for dead ones at once declare each dead job once.
func TestConcurrentFailStale(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	stores := openStores(t, 5)
	long := time.Now().Add(-time.Hour)
	var stale []int64
	for i := range 3 {
		j, err := stores[0].SchedulerJobStart(ctx, &store.SchedulerJobStartParams{Hostname: "h", PID: i, At: long})
		if err != nil {
			t.Fatal(err)
		}
		stale = append(stale, j.ID)
	}
	declared := make([][]*store.SchedulerJob, len(stores))
	together(stores, func(i int, s *Store) {
		var err error
		declared[i], err = s.SchedulerJobFailStale(ctx, time.Now().Add(-time.Minute), 0, time.Now())
		if err != nil {
			t.Error(err)
		}
	})
	var got []int64
	for _, js := range declared {
		for _, j := range js {
			got = append(got, j.ID)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, stale) {
		t.Errorf("jobs declared dead = %v, want each of %v once", got, stale)
	}

	// One job declared dead by name: one caller gets to.
	j, err := stores[0].SchedulerJobStart(ctx, &store.SchedulerJobStartParams{Hostname: "h", PID: 9, At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	failed := make([]bool, len(stores))
	together(stores, func(i int, s *Store) {
		var err error
		if failed[i], err = s.SchedulerJobFail(ctx, j.ID, time.Now()); err != nil {
			t.Error(err)
		}
	})
	if n := len(slices.DeleteFunc(failed, func(ok bool) bool { return !ok })); n != 1 {
		t.Errorf("%d callers declared job %d dead, want 1", n, j.ID)
	}
}
