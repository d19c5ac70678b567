package postgres

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
)

// BenchmarkTaskStateChanges measures what the scheduler asks most: batches
// of guarded task state changes, here by three schedulers (stores with
// their own pools) at once, each on its own run, every task instance
// taken through scheduled, queued, running and success (with its try's
// history and return value). It reports changes per second, on the test
// server (fsync off) and on one that makes every commit durable (fsync on),
// as production does.
func BenchmarkTaskStateChanges(b *testing.B) {
	b.Run("fsync=off", func(b *testing.B) { benchmarkTaskStateChanges(b, pgserver.ForTest(b)) })
	b.Run("fsync=on", func(b *testing.B) {
		srv, err := pgserver.StartWith(b.Context(), pgserver.Options{Fsync: true})
		if err != nil {
			b.Fatal(err)
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				b.Error(err)
			}
		}()
		benchmarkTaskStateChanges(b, srv.URL())
	})
}

func benchmarkTaskStateChanges(b *testing.B, url string) {
	const schedulers, tasks = 3, 50
	ctx := b.Context()
	var stores []*Store
	for range schedulers {
		s, err := Open(ctx, url, Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	v, _, err := stores[0].DagSync(ctx, &store.DagSyncParams{DagID: "bench", FileLoc: "f", Source: []byte("x"), Hash: "h",
		ParsedAt: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	var inits []store.TaskInstanceInit
	for i := range tasks {
		inits = append(inits, store.TaskInstanceInit{TaskID: fmt.Sprintf("t%02d", i), MapIndex: -1, Pool: "default_pool", PoolSlots: 1})
	}
	runs := make([]*store.DagRun, schedulers)
	for i := range runs {
		now := time.Now()
		runs[i], err = stores[0].DagRunCreate(ctx, &store.DagRunCreateParams{DagID: "bench", RunID: fmt.Sprint("r", i), VersionID: v.ID,
			RunType: dag.RunManual, State: dag.DagRunRunning, LogicalDate: now, DataInterval: dag.DataInterval{Start: now, End: now},
			CreatedAt: now, Tasks: inits})
		if err != nil {
			b.Fatal(err)
		}
	}
	cycle := func(s *Store, run *store.DagRun) error {
		now := time.Now()
		host, pid := "worker", 42
		steps := []func(ti store.TaskInstanceInit) *store.TaskInstanceChange{
			func(ti store.TaskInstanceInit) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{From: []dag.TaskState{dag.TaskNone}, State: dag.TaskScheduled}
			},
			func(ti store.TaskInstanceInit) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{From: []dag.TaskState{dag.TaskScheduled}, State: dag.TaskQueued, TryDelta: 1, QueuedAt: &now}
			},
			func(ti store.TaskInstanceInit) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{From: []dag.TaskState{dag.TaskQueued}, State: dag.TaskRunning, StartDate: &now,
					Hostname: &host, PID: &pid}
			},
			func(ti store.TaskInstanceInit) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{From: []dag.TaskState{dag.TaskRunning}, State: dag.TaskSuccess, EndDate: &now,
					RecordTry: true, XCom: json.RawMessage(`{"rows": 1}`)}
			},
		}
		for _, step := range steps {
			var changes []*store.TaskInstanceChange
			for _, ti := range inits {
				c := step(ti)
				c.RunPK, c.TaskID, c.MapIndex = run.ID, ti.TaskID, -1
				changes = append(changes, c)
			}
			ok, err := s.TaskInstanceApply(ctx, changes)
			if err != nil {
				return err
			}
			for i, applied := range ok {
				if !applied {
					return fmt.Errorf("change of %s did not apply", changes[i].TaskID)
				}
			}
		}
		_, err := s.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: run.ID})
		return err
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			for range b.N {
				if err := cycle(s, runs[i]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N*schedulers*tasks*4)/time.Since(start).Seconds(), "changes/s")
}
