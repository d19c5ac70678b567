package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// exerciseScheduler covers what several schedulers sharing one store rely
// on: their jobs and heartbeats, the tries nobody follows, dispatch that
// neither queues a try twice nor breaks a limit, max_active_runs.
func exerciseScheduler(t *testing.T, open Opener) {
	t.Run("JobLifecycle", func(t *testing.T) {
		s, ctx := setup(t, open)
		a, err := s.SchedulerJobStart(ctx, &store.SchedulerJobStartParams{Hostname: "host-a", PID: 101, At: hour(0)})
		noErr(t, "start a", err)
		b, err := s.SchedulerJobStart(ctx, &store.SchedulerJobStartParams{Hostname: "host-b", PID: 202, At: hour(1)})
		noErr(t, "start b", err)
		if a.ID == 0 || a.ID == b.ID {
			t.Fatalf("job ids %d and %d: want distinct and not zero", a.ID, b.ID)
		}
		equal(t, "a.state", a.State, store.JobRunning)
		equal(t, "a.hostname", a.Hostname, "host-a")
		equal(t, "a.pid", a.PID, 101)
		equalTime(t, "a.start_date", a.StartDate, hour(0))
		equalTime(t, "a.latest_heartbeat", a.LatestHeartbeat, hour(0))

		noErr(t, "heartbeat a", s.SchedulerJobHeartbeat(ctx, a.ID, hour(2)))
		// b heartbeats last at hour(1): stale before hour(2), a is not.
		dead, err := s.SchedulerJobFailStale(ctx, hour(2), 0, hour(3))
		noErr(t, "fail stale", err)
		equalSlice(t, "declared dead", pluck(dead, func(j *store.SchedulerJob) int64 { return j.ID }), []int64{b.ID})
		equal(t, "dead.state", dead[0].State, store.JobFailed)
		equalOptTime(t, "dead.end_date", dead[0].EndDate, ptr(hour(3)))
		// Declared once: a second look finds nothing new.
		again, err := s.SchedulerJobFailStale(ctx, hour(2), 0, hour(3))
		noErr(t, "fail stale again", err)
		equal(t, "declared dead again", len(again), 0)
		// A job declared dead learns it from its next heartbeat.
		wantNotFound(t, "heartbeat of a dead job", s.SchedulerJobHeartbeat(ctx, b.ID, hour(4)))

		// except keeps the caller alive however old its heartbeat.
		dead, err = s.SchedulerJobFailStale(ctx, hour(10), a.ID, hour(10))
		noErr(t, "fail stale except a", err)
		equal(t, "declared dead except a", len(dead), 0)

		running, err := s.SchedulerJobList(ctx, true)
		noErr(t, "list running", err)
		equalSlice(t, "running jobs", pluck(running, func(j *store.SchedulerJob) int64 { return j.ID }), []int64{a.ID})
		equalTime(t, "a.latest_heartbeat", running[0].LatestHeartbeat, hour(2))

		c, err := s.SchedulerJobStart(ctx, &store.SchedulerJobStartParams{Hostname: "host-c", PID: 303, At: hour(4)})
		noErr(t, "start c", err)
		ok, err := s.SchedulerJobFail(ctx, c.ID, hour(4))
		noErr(t, "fail c", err)
		equal(t, "c was running", ok, true)
		ok, err = s.SchedulerJobFail(ctx, c.ID, hour(4))
		noErr(t, "fail c again", err)
		equal(t, "c was running when failed twice", ok, false)

		noErr(t, "end a", s.SchedulerJobEnd(ctx, a.ID, hour(5)))
		all, err := s.SchedulerJobList(ctx, false)
		noErr(t, "list all", err)
		equalSlice(t, "all jobs, latest first", pluck(all, func(j *store.SchedulerJob) int64 { return j.ID }), []int64{c.ID, b.ID, a.ID})
		equal(t, "c.state", all[0].State, store.JobFailed)
		equal(t, "a.state after end", all[2].State, store.JobSuccess)
		equalOptTime(t, "a.end_date", all[2].EndDate, ptr(hour(5)))
		wantNotFound(t, "heartbeat of an ended job", s.SchedulerJobHeartbeat(ctx, a.ID, hour(6)))
	})

	t.Run("OrphanedAndQueuedBy", func(t *testing.T) {
		s, ctx := setup(t, open)
		live, err := s.SchedulerJobStart(ctx, &store.SchedulerJobStartParams{Hostname: "h", PID: 1, At: hour(0)})
		noErr(t, "start live", err)
		gone, err := s.SchedulerJobStart(ctx, &store.SchedulerJobStartParams{Hostname: "h", PID: 2, At: hour(0)})
		noErr(t, "start gone", err)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("mine"), task("lost"), task("never"), task("done"))
		for task, job := range map[string]int64{"mine": live.ID, "lost": gone.ID, "never": 0, "done": gone.ID} {
			state := dag.TaskRunning
			if task == "done" {
				state = dag.TaskSuccess
			}
			mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: task, MapIndex: -1, State: state,
				TryDelta: 1, QueuedByJob: ptr(job)})
		}
		equal(t, "queued_by_job_id", mustTI(t, s, r.ID, "mine").QueuedByJob, live.ID)
		_, err = s.SchedulerJobFailStale(ctx, hour(1), live.ID, hour(1))
		noErr(t, "fail stale", err)

		active := []dag.TaskState{dag.TaskQueued, dag.TaskRunning, dag.TaskRestarting}
		orphans, err := s.TaskInstanceListByState(ctx, &store.TaskInstanceListParams{States: active, Orphaned: true})
		noErr(t, "orphaned", err)
		equalSet(t, "orphaned tries", pluck(orphans, func(ti *store.TaskInstance) string { return ti.TaskID }), []string{"lost", "never"})
		mine, err := s.TaskInstanceListByState(ctx, &store.TaskInstanceListParams{States: active, QueuedByJob: live.ID})
		noErr(t, "queued by live", err)
		equalSet(t, "tries of the live job", pluck(mine, func(ti *store.TaskInstance) string { return ti.TaskID }), []string{"mine"})
	})

	t.Run("DispatchApplies", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("a"), task("b"))
		force(t, s, r.ID, "a", dag.TaskScheduled)
		force(t, s, r.ID, "b", dag.TaskScheduled)
		applied, err := s.TaskInstanceDispatch(ctx, func(ctx context.Context, tx store.DispatchTx) ([]*store.TaskInstanceChange, error) {
			cands, err := tx.Candidates(ctx, &store.TaskInstanceListParams{States: []dag.TaskState{dag.TaskScheduled}})
			if err != nil {
				return nil, err
			}
			pools, err := tx.Pools(ctx)
			if err != nil {
				return nil, err
			}
			if len(pools) != 1 || pools[0].Name != "default_pool" {
				return nil, fmt.Errorf("pools = %v, want default_pool only", pools)
			}
			var changes []*store.TaskInstanceChange
			for _, ti := range cands {
				changes = append(changes, &store.TaskInstanceChange{RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
					From: []dag.TaskState{dag.TaskScheduled}, Try: ti.TryNumber, State: dag.TaskQueued, TryDelta: 1})
			}
			return changes, nil
		})
		noErr(t, "dispatch", err)
		equalSlice(t, "applied", applied, []bool{true, true})
		equal(t, "a", mustTI(t, s, r.ID, "a").State, dag.TaskQueued)
		counts, err := s.TaskInstanceCountActive(ctx)
		noErr(t, "count active", err)
		equal(t, "default_pool slots", counts.PoolSlots["default_pool"], 2)

		// An error from decide writes nothing.
		force(t, s, r.ID, "a", dag.TaskScheduled)
		boom := errors.New("boom")
		_, err = s.TaskInstanceDispatch(ctx, func(context.Context, store.DispatchTx) ([]*store.TaskInstanceChange, error) {
			return nil, boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("dispatch error = %v, want decide's error", err)
		}
		equal(t, "a after a failed dispatch", mustTI(t, s, r.ID, "a").State, dag.TaskScheduled)
	})

	t.Run("DispatchConcurrent", func(t *testing.T) {
		s, ctx := setup(t, open)
		noErr(t, "pool", s.PoolSet(ctx, &store.Pool{Name: "small", Slots: 7}))
		v := syncDag(t, s, "etl")
		var tasks []store.TaskInstanceInit
		for i := range 40 {
			ti := task(fmt.Sprintf("t%02d", i))
			ti.Pool = "small"
			tasks = append(tasks, ti)
		}
		r := createRun(t, s, v, "r1", day(1), tasks...)
		for _, ti := range tasks {
			force(t, s, r.ID, ti.TaskID, dag.TaskScheduled)
		}
		// Four dispatchers at once, each taking up to 3 per round while the
		// pool has room; each claimed task ends at once to make room. The
		// pool's 7 slots must never be exceeded and no try queued twice.
		var mu sync.Mutex
		queued := map[string]int{}
		var overflow error
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for round := 0; round < 200; round++ {
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
						cands, err := tx.Candidates(ctx, &store.TaskInstanceListParams{States: []dag.TaskState{dag.TaskScheduled}, Limit: 3})
						if err != nil {
							return nil, err
						}
						used := active.PoolSlots["small"]
						for _, ti := range cands {
							if used >= slotsOf(pools, "small") {
								break
							}
							used++
							mine = append(mine, &store.TaskInstanceChange{RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
								From: []dag.TaskState{dag.TaskScheduled}, Try: ti.TryNumber, State: dag.TaskQueued, TryDelta: 1})
						}
						return mine, nil
					})
					if err != nil {
						t.Errorf("dispatcher %d: %v", w, err)
						return
					}
					counts, err := s.TaskInstanceCountActive(ctx)
					if err != nil {
						t.Errorf("count: %v", err)
						return
					}
					mu.Lock()
					if counts.PoolSlots["small"] > 7 && overflow == nil {
						overflow = fmt.Errorf("pool small holds %d slots, limit 7", counts.PoolSlots["small"])
					}
					for i, c := range mine {
						if i < len(applied) && applied[i] {
							queued[c.TaskID]++
						}
					}
					done := len(queued)
					mu.Unlock()
					for i, c := range mine {
						if i < len(applied) && applied[i] {
							if _, err := s.TaskInstanceApply(ctx, []*store.TaskInstanceChange{{RunPK: c.RunPK, TaskID: c.TaskID,
								MapIndex: -1, From: []dag.TaskState{dag.TaskQueued}, State: dag.TaskSuccess, EndDate: ptr(hour(2))}}); err != nil {
								t.Errorf("end %s: %v", c.TaskID, err)
								return
							}
						}
					}
					if done == len(tasks) {
						return
					}
				}
			})
		}
		wg.Wait()
		if overflow != nil {
			t.Error(overflow)
		}
		equal(t, "task instances queued", len(queued), len(tasks))
		for id, n := range queued {
			if n != 1 {
				t.Errorf("%s queued %d times", id, n)
			}
		}
	})

	t.Run("MaxRunning", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		var runs []*store.DagRun
		for i := range 6 {
			runs = append(runs, createRun(t, s, v, fmt.Sprintf("r%d", i), day(i+1), task("a")))
		}
		start := func(r *store.DagRun) bool {
			ok, err := s.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: r.ID, State: dag.DagRunRunning,
				From: []dag.DagRunState{dag.DagRunQueued}, StartDate: ptr(hour(1)), MaxRunning: 2})
			if err != nil {
				t.Errorf("start %s: %v", r.RunID, err)
			}
			return ok
		}
		var wg sync.WaitGroup
		started := make([]bool, len(runs))
		for i, r := range runs {
			wg.Go(func() { started[i] = start(r) })
		}
		wg.Wait()
		n := 0
		for _, ok := range started {
			if ok {
				n++
			}
		}
		equal(t, "runs started with max 2 running", n, 2)
		// Another DAG's running runs do not count.
		w := syncDag(t, s, "other")
		o := createRun(t, s, w, "o1", day(1), task("a"))
		if !start(o) {
			t.Error("a run of another DAG did not start")
		}
	})
}

func slotsOf(pools []*store.Pool, name string) int {
	for _, p := range pools {
		if p.Name == name {
			return p.Slots
		}
	}
	return 0
}
