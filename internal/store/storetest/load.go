package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// LoadParams sizes the data Load writes.
type LoadParams struct {
	Dags        int
	RunsPerDag  int
	TasksPerRun int
	// Workers load that many DAGs at once; one when 0. A store with one
	// writer (SQLite) gains nothing from more.
	Workers int
}

// applyBatch is how many task instance changes Load sends at once.
const applyBatch = 1000

// Load fills an empty store through its interface, as a scheduler would
// have left it: p.Dags DAGs with p.RunsPerDag runs each, an hour apart and
// interleaved across DAGs, each with p.TasksPerRun task instances. Of a
// DAG's runs the latest two are queued (their task instances without a
// state), the three before them running (half their tasks done, one
// running, one queued, one scheduled, the rest without a state); of the
// others one in ten failed (tasks before the failed one succeeded, the
// ones after it upstream_failed) and the rest succeeded, one in twenty
// with its last task skipped. One run in fifty is manual; a third of the
// tasks run in pool "db".
func Load(ctx context.Context, s store.Store, p LoadParams) error {
	work := make(chan int)
	errs := make(chan error, p.Dags)
	var wg sync.WaitGroup
	for range max(p.Workers, 1) {
		wg.Go(func() {
			for d := range work {
				if err := loadDag(ctx, s, p, d); err != nil {
					errs <- fmt.Errorf("load dag %d: %w", d, err)
				}
			}
		})
	}
	for d := range p.Dags {
		work <- d
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}

func loadDagID(d int) string { return fmt.Sprintf("dag_%03d", d) }

// loadBase is the first logical date Load writes.
var loadBase = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

func loadDag(ctx context.Context, s store.Store, p LoadParams, d int) error {
	dagID := loadDagID(d)
	v, _, err := s.DagSync(ctx, &store.DagSyncParams{
		DagID: dagID, FileLoc: "dags/" + dagID + ".py", Source: []byte("# " + dagID), Hash: "h1",
		Description: "loaded", Owner: "bench", Tags: []string{fmt.Sprintf("team_%d", d%5), "bench"},
		Schedule: "@hourly", ParsedAt: loadBase,
	})
	if err != nil {
		return err
	}
	inits := make([]store.TaskInstanceInit, p.TasksPerRun)
	for j := range inits {
		pool := "default_pool"
		if j%3 == 0 {
			pool = "db"
		}
		inits[j] = store.TaskInstanceInit{TaskID: fmt.Sprintf("task_%02d", j), MapIndex: -1, Pool: pool, PoolSlots: 1,
			PriorityWeight: p.TasksPerRun - j, MaxTries: 1}
	}
	var changes []*store.TaskInstanceChange
	flush := func() error {
		if len(changes) == 0 {
			return nil
		}
		ok, err := s.TaskInstanceApply(ctx, changes)
		if err != nil {
			return err
		}
		if i := slices.Index(ok, false); i >= 0 {
			return fmt.Errorf("change of %s in run %d did not apply", changes[i].TaskID, changes[i].RunPK)
		}
		changes = changes[:0]
		return nil
	}
	for i := range p.RunsPerDag {
		logical := loadBase.Add(time.Duration(i)*time.Hour + time.Duration(d)*time.Second)
		state := loadRunState(i, p.RunsPerDag)
		runType := dag.RunScheduled
		if i%50 == 0 {
			runType = dag.RunManual
		}
		r, err := s.DagRunCreate(ctx, &store.DagRunCreateParams{
			DagID: dagID, RunID: string(runType) + "__" + logical.Format(time.RFC3339), VersionID: v.ID,
			RunType: runType, State: state, LogicalDate: logical,
			DataInterval: dag.DataInterval{Start: logical, End: logical.Add(time.Hour)},
			CreatedAt:    logical.Add(time.Hour), Tasks: inits,
		})
		if err != nil {
			return err
		}
		if state == dag.DagRunQueued {
			continue
		}
		start := logical.Add(time.Hour + time.Minute)
		var end *time.Time
		if state.Finished() {
			end = ptr(start.Add(time.Duration(p.TasksPerRun) * time.Minute))
		}
		if _, err := s.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: r.ID, State: state, StartDate: &start,
			EndDate: end}); err != nil {
			return err
		}
		for j, init := range inits {
			c := loadTaskChange(i, j, p.TasksPerRun, state, start)
			if c == nil {
				continue
			}
			c.RunPK, c.TaskID, c.MapIndex = r.ID, init.TaskID, -1
			changes = append(changes, c)
		}
		if len(changes) >= applyBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func loadRunState(i, n int) dag.DagRunState {
	switch {
	case i >= n-2:
		return dag.DagRunQueued
	case i >= n-5:
		return dag.DagRunRunning
	case i%10 == 3:
		return dag.DagRunFailed
	default:
		return dag.DagRunSuccess
	}
}

// loadTaskChange is the one change that takes task j of run i, which is in
// state, where Load leaves it; nil to leave it without a state.
func loadTaskChange(i, j, tasks int, state dag.DagRunState, runStart time.Time) *store.TaskInstanceChange {
	start := runStart.Add(time.Duration(j) * 30 * time.Second)
	end := start.Add(time.Duration(j+1) * 7 * time.Second)
	done := func(st dag.TaskState) *store.TaskInstanceChange {
		return &store.TaskInstanceChange{State: st, TryDelta: 1, QueuedAt: ptr(start.Add(-time.Second)), StartDate: &start,
			EndDate: &end, Hostname: ptr("worker"), PID: ptr(1000 + j)}
	}
	switch state {
	case dag.DagRunSuccess:
		if j == tasks-1 && i%20 == 5 {
			return &store.TaskInstanceChange{State: dag.TaskSkipped}
		}
		return done(dag.TaskSuccess)
	case dag.DagRunFailed:
		failed := (i / 10) % tasks
		switch {
		case j < failed:
			return done(dag.TaskSuccess)
		case j == failed:
			return done(dag.TaskFailed)
		default:
			return &store.TaskInstanceChange{State: dag.TaskUpstreamFailed}
		}
	case dag.DagRunRunning:
		half := tasks / 2
		switch {
		case j < half:
			return done(dag.TaskSuccess)
		case j == half:
			return &store.TaskInstanceChange{State: dag.TaskRunning, TryDelta: 1, QueuedAt: &start, StartDate: &start,
				Hostname: ptr("worker"), PID: ptr(1000 + j)}
		case j == half+1:
			return &store.TaskInstanceChange{State: dag.TaskQueued, TryDelta: 1, QueuedAt: &start}
		case j == half+2:
			return &store.TaskInstanceChange{State: dag.TaskScheduled}
		}
	case dag.DagRunQueued:
	}
	return nil
}

// BenchmarkQueries times the API's usual first pages on a store Load
// filled, and reports each list's median and 99th percentile latency. It
// goes through the DAGs in turn, and through their runs.
func BenchmarkQueries(b *testing.B, s store.Store) {
	dags, _, err := s.DagQuery(b.Context(), &store.DagQueryParams{})
	if err != nil {
		b.Fatal(err)
	}
	runs := make([][]int64, len(dags))
	for d, dg := range dags {
		rs, _, err := s.DagRunQuery(b.Context(), &store.DagRunQueryParams{DagIDs: []string{dg.DagID}})
		if err != nil {
			b.Fatal(err)
		}
		runs[d] = pluck(rs, func(r *store.DagRun) int64 { return r.ID })
	}
	if len(dags) == 0 || len(runs[0]) == 0 {
		b.Fatal("no runs: load the store first")
	}
	pick := func(i int) (string, []int64) {
		d := i % len(dags)
		return dags[d].DagID, runs[d]
	}
	for _, c := range []struct {
		name  string
		query func(ctx context.Context, i int) (int, error)
	}{
		{"dags", func(ctx context.Context, _ int) (int, error) {
			_, n, err := s.DagQuery(ctx, &store.DagQueryParams{Page: store.Page{Limit: 100}})
			return n, err
		}},
		{"runs/all/-logical_date", func(ctx context.Context, _ int) (int, error) {
			_, n, err := s.DagRunQuery(ctx, &store.DagRunQueryParams{Page: store.Page{Limit: 50, OrderBy: "-logical_date"}})
			return n, err
		}},
		{"runs/dag/state", func(ctx context.Context, i int) (int, error) {
			dagID, _ := pick(i)
			_, n, err := s.DagRunQuery(ctx, &store.DagRunQueryParams{Page: store.Page{Limit: 50}, DagIDs: []string{dagID},
				States: []dag.DagRunState{dag.DagRunSuccess}})
			return n, err
		}},
		{"tis/run", func(ctx context.Context, i int) (int, error) {
			_, runs := pick(i)
			_, n, err := s.TaskInstanceQuery(ctx, &store.TaskInstanceQueryParams{Page: store.Page{Limit: 100},
				RunPK: runs[(i*7919)%len(runs)]})
			return n, err
		}},
		{"tis/dag/state", func(ctx context.Context, i int) (int, error) {
			dagID, _ := pick(i)
			_, n, err := s.TaskInstanceQuery(ctx, &store.TaskInstanceQueryParams{Page: store.Page{Limit: 100},
				DagIDs: []string{dagID}, States: []dag.TaskState{dag.TaskSuccess}})
			return n, err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := b.Context()
			took := make([]time.Duration, 0, b.N)
			total := 0
			for i := range b.N {
				start := time.Now()
				n, err := c.query(ctx, i)
				took = append(took, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				total = n
			}
			slices.Sort(took)
			at := func(q float64) float64 {
				return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(at(0.50), "p50-ms")
			b.ReportMetric(at(0.99), "p99-ms")
			b.ReportMetric(float64(total), "total")
		})
	}
}
