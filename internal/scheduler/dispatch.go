package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/store"
)

// dispatch queues scheduled task instances, highest priority first, within
// the executors' free slots, the pools' slots and each DAG's
// max_active_tasks, then hands them to their executors. "queued" is
// committed before the executor is asked, so a crash in between leaves a
// queued try that recovery puts back, never a process the store does not
// know about.
func (s *Scheduler) dispatch(ctx context.Context) error {
	free := map[string]int{}
	total := 0
	for name, ex := range s.cfg.Executors {
		free[name] = ex.FreeSlots()
		total += free[name]
	}
	if total == 0 {
		return nil
	}
	var picked []*queuedTry
	runs := map[int64]*store.DagRun{}
	now := s.now()
	var changes []*store.TaskInstanceChange
	applied, err := s.st.TaskInstanceDispatch(ctx, func(ctx context.Context, tx store.DispatchTx) ([]*store.TaskInstanceChange, error) {
		var err error
		picked, changes, err = s.decideDispatch(ctx, tx, free, total, runs, now)
		return changes, err
	})
	if err != nil {
		return err
	}
	ok := map[*store.TaskInstanceChange]bool{}
	for i, c := range changes {
		ok[c] = i < len(applied) && applied[i]
		if ok[c] && c.State != dag.TaskQueued {
			r := runs[c.RunPK]
			s.observe(Transition{Time: now, DagID: r.DagID, RunID: r.RunID, RunPK: r.ID, TaskID: c.TaskID,
				Try: c.Try + 1, State: c.State.String(), Reason: *c.Reason})
		}
	}
	for _, q := range picked {
		if !ok[q.change] {
			continue
		}
		if err := s.cfg.Executors[q.executor].Submit(ctx, q.req); err != nil {
			s.submitFailed(q, err)
			continue
		}
		s.inflight[q.req.Key] = q.executor
	}
	return nil
}

// decideDispatch picks, inside the dispatch transaction, the scheduled task
// instances to queue and the ones to fail (unknown pool or executor, a
// template that does not render).
func (s *Scheduler) decideDispatch(ctx context.Context, tx store.DispatchTx, free map[string]int, total int,
	runs map[int64]*store.DagRun, now time.Time) (picked []*queuedTry, changes []*store.TaskInstanceChange, err error) {
	// Pools first: in PostgreSQL this takes the pools' row locks, so the
	// active counts read next stay true until the commit.
	pools, err := s.poolSlots(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	active, err := tx.CountActive(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Candidates come a page at a time, highest priority first. When a page
	// shows a DAG at max_active_tasks or a full pool, the next page leaves
	// them out: a large blocked backlog must not hide other DAGs' tasks.
	// Bounded, so one pass stays short.
	page := 2*total + 16
	list := &store.TaskInstanceListParams{States: []dag.TaskState{dag.TaskScheduled}, RunningRuns: true, Limit: page}
	// DAGs at max_active_tasks as last seen are left out from the start:
	// under a large backlog their rows would fill the page only to be
	// locked and passed over. A DAG whose new version raised the limit is
	// seen again once its active count drops below the old one.
	// The page is also kept near the room those DAGs have left, with some
	// to spare for DAGs not seen yet: every row read is locked.
	blockedDag, blockedPool := map[string]bool{}, map[string]bool{}
	room := 0
	for dagID, limit := range s.maxActiveTasks {
		if active.Dag[dagID] >= limit {
			blockedDag[dagID] = true
		} else {
			room += limit - active.Dag[dagID]
		}
	}
	page = min(page, room+16)
	// Full pools likewise. When every pool is full nothing can be queued
	// and the candidates are not read at all: under a backlog larger than
	// the pools, each pass would otherwise read through every scheduled row
	// to find no slot. (A task naming a pool that does not exist is failed
	// at the first pass with a free slot.)
	for name, slots := range pools {
		if active.PoolSlots[name] >= slots {
			blockedPool[name] = true
		}
	}
	if len(pools) > 0 && len(blockedPool) == len(pools) {
		return nil, nil, nil
	}
	list.ExcludeDags, list.ExcludePools = keys(blockedDag), keys(blockedPool)
	cands, err := tx.Candidates(ctx, list)
	if err != nil || len(cands) == 0 {
		return nil, nil, err
	}
	seen := map[executor.TryKey]bool{}
	for pages := 1; ; pages++ {
		blocked := false
		for _, ti := range cands {
			if seen[tryKey(ti)] {
				continue
			}
			seen[tryKey(ti)] = true
			if s.cfg.OnlyRun != 0 && ti.RunPK != s.cfg.OnlyRun {
				continue
			}
			exName := s.executorName(ti.Executor)
			if ti.Executor != "" && exName != ti.Executor {
				reason := fmt.Sprintf("executor %q is not configured", ti.Executor)
				c := &store.TaskInstanceChange{RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
					From: []dag.TaskState{dag.TaskScheduled}, Try: ti.TryNumber, TryDelta: 1, ClearXCom: true, State: dag.TaskFailed,
					EndDate: &now, Reason: &reason, RecordTry: true}
				changes = append(changes, c)
				continue
			}
			if free[exName] <= 0 {
				continue
			}
			r := runs[ti.RunPK]
			if r == nil {
				if r, err = s.st.DagRunGetByID(ctx, ti.RunPK); err != nil {
					return nil, nil, err
				}
				runs[ti.RunPK] = r
			}
			d, err := s.runDAG(ctx, r)
			if errors.Is(err, errRunFailed) {
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			s.maxActiveTasks[ti.DagID] = d.MaxActiveTasks
			task := d.Task(ti.TaskID)
			// The pid of an earlier try goes: a try's pid is its own. So do
			// the XCom earlier tries returned or pushed, as in Airflow.
			noPID := 0
			c := &store.TaskInstanceChange{RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
				From: []dag.TaskState{dag.TaskScheduled}, Try: ti.TryNumber, TryDelta: 1, ClearXCom: true, QueuedAt: &now,
				Hostname: &s.cfg.Hostname, PID: &noPID, QueuedByJob: &s.jobID}
			slots, ok := pools[ti.Pool]
			if !ok {
				reason := fmt.Sprintf("pool %q does not exist", ti.Pool)
				c.State, c.EndDate, c.Reason, c.RecordTry = dag.TaskFailed, &now, &reason, true
				changes = append(changes, c)
				continue
			}
			if active.PoolSlots[ti.Pool]+ti.PoolSlots > slots {
				blocked = blocked || !blockedPool[ti.Pool]
				blockedPool[ti.Pool] = true
				continue
			}
			if active.Dag[ti.DagID] >= d.MaxActiveTasks {
				blocked = blocked || !blockedDag[ti.DagID]
				blockedDag[ti.DagID] = true
				continue
			}
			try := ti.TryNumber + 1
			req, rerr := s.request(ctx, r, d, task, try)
			if rerr != nil {
				// A template that cannot render fails the try; retries apply
				// as for any failure, since a variable may appear meanwhile.
				reason := rerr.Error()
				c.State, c.EndDate, c.Reason, c.RecordTry = dag.TaskFailed, &now, &reason, true
				if try <= ti.MaxTries {
					at := now.Add(RetryDelay(task, try))
					c.State, c.NextRetryAt = dag.TaskUpForRetry, &at
					s.retryBy(at)
				}
				changes = append(changes, c)
				s.log.Warn("task failed to render", "dag_id", ti.DagID, "run_id", ti.RunID, "task_id", ti.TaskID, "err", rerr)
				continue
			}
			c.State = dag.TaskQueued
			// The executor gets the real values; the store keeps them masked.
			c.Rendered, _ = json.Marshal(rendered{Command: maskAll(s.cfg.Mask, req.Argv), Env: maskAll(s.cfg.Mask, req.Env)})
			changes = append(changes, c)
			picked = append(picked, &queuedTry{change: c, executor: exName, req: req})
			free[exName]--
			total--
			active.PoolSlots[ti.Pool] += ti.PoolSlots
			active.Dag[ti.DagID]++
		}
		// Another page only when this one found a newly blocked DAG or pool
		// that can be left out; otherwise it would show the same rows.
		if len(cands) < page || total <= 0 || !blocked || pages >= maxDispatchPages {
			return picked, changes, nil
		}
		list.ExcludeDags, list.ExcludePools = keys(blockedDag), keys(blockedPool)
		if cands, err = tx.Candidates(ctx, list); err != nil {
			return nil, nil, err
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// maxDispatchPages bounds the candidate pages one dispatch reads.
const maxDispatchPages = 8

type queuedTry struct {
	change   *store.TaskInstanceChange
	executor string
	req      *executor.Request
}

// rendered is what the store keeps of a try's rendered templates.
type rendered struct {
	Command []string `json:"command"`
	Env     []string `json:"env,omitempty"`
}

// submitFailed fails a try its executor refused: that is the executor's
// trouble, not the task's, so the reason says so; retries apply.
func (s *Scheduler) submitFailed(q *queuedTry, err error) {
	s.log.Error("executor refused a task", "try", q.req.Key.String(), "err", err)
	// Recorded like any other finish on the next pass; the loop is woken
	// for it.
	s.pending = append(s.pending, executor.Event{Key: q.req.Key, Kind: executor.Finished, Time: s.now(),
		State: dag.TaskFailed, ExitCode: -1, Reason: "executor: " + err.Error()})
	s.Wake()
}

func (s *Scheduler) poolSlots(ctx context.Context, tx store.DispatchTx) (map[string]int, error) {
	pools, err := tx.Pools(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(pools))
	for _, p := range pools {
		out[p.Name] = p.Slots
	}
	return out, nil
}

// executorName resolves a task's executor; one that is not configured
// resolves to the default, and dispatch refuses it.
func (s *Scheduler) executorName(name string) string {
	if name == "" || s.cfg.Executors[name] == nil {
		return s.cfg.DefaultExecutor
	}
	return name
}

func (s *Scheduler) executorFor(name string) executor.Executor {
	return s.cfg.Executors[s.executorName(name)]
}

func maskAll(mask func(string) string, list []string) []string {
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = mask(x)
	}
	return out
}
