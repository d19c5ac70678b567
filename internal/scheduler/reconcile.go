package scheduler

import (
	"context"
	"errors"
	"slices"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// reconcileRun decides the next state of a running run's task instances whose
// upstream changed, and finishes the run when every task instance has.
// finished names the tasks that just ended; nil means look at every task.
// Reading only the downstream of what just finished keeps a pass cheap in a
// run of ten thousand tasks.
func (s *Scheduler) reconcileRun(ctx context.Context, runPK int64, finished []string) error {
	if s.cfg.OnlyRun != 0 && runPK != s.cfg.OnlyRun {
		return nil
	}
	r, err := s.st.DagRunGetByID(ctx, runPK)
	if err != nil {
		return err
	}
	if r.State != dag.DagRunRunning {
		return nil
	}
	d, err := s.runDAG(ctx, r)
	if errors.Is(err, errRunFailed) {
		return nil
	}
	if err != nil {
		return err
	}
	rc := &runReconcile{s: s, run: r, d: d, g: d.Graph(), tis: map[string]*store.TaskInstance{}}
	var candidates []string
	if finished == nil {
		// Only a task instance in none can change here; reading just those
		// keeps the periodic pass cheap on a run of ten thousand tasks.
		waiting, err := rc.s.st.TaskInstanceListByRunState(ctx, r.ID, []dag.TaskState{dag.TaskNone})
		if err != nil {
			return err
		}
		for _, ti := range waiting {
			rc.tis[ti.TaskID] = ti
			candidates = append(candidates, ti.TaskID)
		}
	} else {
		for _, id := range finished {
			candidates = append(candidates, rc.g.Downstream(id)...)
			// The same task in the next run may wait for this one
			// (depends_on_past): a full pass looks at it now rather than at
			// the next tick.
			if t := d.Task(id); t != nil && t.DependsOnPast {
				s.Wake()
			}
		}
	}
	if err := rc.evaluate(ctx, candidates); err != nil {
		return err
	}
	if err := rc.commit(ctx); err != nil {
		return err
	}
	return rc.finishIfDone(ctx)
}

type runReconcile struct {
	s       *Scheduler
	run     *store.DagRun
	d       *dag.DAG
	g       *dag.Graph
	tis     map[string]*store.TaskInstance
	loaded  bool // every task instance is in tis
	changes []*store.TaskInstanceChange
}

// load reads the task instances of ids (all when nil) that are not yet read.
func (rc *runReconcile) load(ctx context.Context, ids []string) error {
	if rc.loaded {
		return nil
	}
	if ids != nil {
		ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return rc.tis[id] != nil })
		if len(ids) == 0 {
			return nil
		}
	}
	tis, err := rc.s.st.TaskInstanceListByRun(ctx, rc.run.ID, ids)
	if err != nil {
		return err
	}
	for _, ti := range tis {
		rc.tis[ti.TaskID] = ti
	}
	rc.loaded = ids == nil
	return nil
}

// evaluate applies trigger rules to the candidates in topological order; a
// task that becomes final here (skipped, upstream_failed, or an empty task's
// success) makes its downstream candidates too, so a failure propagates
// through the whole graph in one pass.
func (rc *runReconcile) evaluate(ctx context.Context, candidates []string) error {
	pos := make(map[string]int, len(rc.g.Order()))
	for i, id := range rc.g.Order() {
		pos[id] = i
	}
	queue := map[string]bool{}
	for _, c := range candidates {
		queue[c] = true
	}
	for len(queue) > 0 {
		batch := make([]string, 0, len(queue))
		for id := range queue {
			batch = append(batch, id)
		}
		clear(queue)
		slices.SortFunc(batch, func(a, b string) int { return pos[a] - pos[b] })
		need := slices.Clone(batch)
		for _, id := range batch {
			need = append(need, rc.g.Upstream(id)...)
		}
		if err := rc.load(ctx, need); err != nil {
			return err
		}
		for _, id := range batch {
			next, err := rc.decide(ctx, id)
			if err != nil {
				return err
			}
			if next.Finished() {
				for _, down := range rc.g.Downstream(id) {
					queue[down] = true
				}
			}
		}
	}
	return nil
}

// decide looks at one task instance in state none and records its next state.
func (rc *runReconcile) decide(ctx context.Context, taskID string) (dag.TaskState, error) {
	ti := rc.tis[taskID]
	if ti == nil || ti.State != dag.TaskNone {
		return dag.TaskNone, nil
	}
	task := rc.d.Task(taskID)
	var counts dag.UpstreamCounts
	for _, up := range rc.g.Upstream(taskID) {
		if u := rc.tis[up]; u != nil {
			counts.Add(u.State)
		}
	}
	now := rc.s.now()
	next := dag.TaskNone
	var reason string
	switch task.TriggerRule.Evaluate(counts) {
	case dag.Wait:
		return dag.TaskNone, nil
	case dag.Skip:
		next, reason = dag.TaskSkipped, "trigger rule "+string(task.TriggerRule)+" not met"
	case dag.FailUpstream:
		next, reason = dag.TaskUpstreamFailed, "an upstream task failed"
	case dag.Run:
		if task.DependsOnPast {
			ok, err := rc.pastSucceeded(ctx, taskID)
			if err != nil || !ok {
				return dag.TaskNone, err
			}
		}
		next = dag.TaskScheduled
		if task.Empty() {
			next = dag.TaskSuccess
		}
	}
	c := &store.TaskInstanceChange{
		RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex, From: []dag.TaskState{dag.TaskNone}, State: next,
	}
	if next.Finished() {
		c.StartDate, c.EndDate = &now, &now
		if reason != "" {
			c.Reason = &reason
		}
	}
	rc.changes = append(rc.changes, c)
	ti.State = next
	return next, nil
}

// pastSucceeded is depends_on_past: the same task in the previous run must
// have succeeded or been skipped.
func (rc *runReconcile) pastSucceeded(ctx context.Context, taskID string) (bool, error) {
	prev, err := rc.s.st.TaskInstancePrevious(ctx, rc.run.ID, taskID)
	if isNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return prev.State == dag.TaskSuccess || prev.State == dag.TaskSkipped, nil
}

func (rc *runReconcile) commit(ctx context.Context) error {
	if len(rc.changes) == 0 {
		return nil
	}
	applied, err := rc.s.st.TaskInstanceApply(ctx, rc.changes)
	if err != nil {
		return err
	}
	now := rc.s.now()
	for i, c := range rc.changes {
		if !applied[i] {
			continue
		}
		switch c.State {
		case dag.TaskUpstreamFailed:
			rc.s.log.Warn("task upstream_failed", "dag_id", rc.run.DagID, "run_id", rc.run.RunID, "task_id", c.TaskID)
		case dag.TaskSkipped:
			rc.s.log.Info("task skipped", "dag_id", rc.run.DagID, "run_id", rc.run.RunID, "task_id", c.TaskID)
		default:
			// scheduled and an empty task's success are routine; the log
			// says when a try starts and ends.
		}
		reason := ""
		if c.Reason != nil {
			reason = *c.Reason
		}
		rc.s.observe(Transition{Time: now, DagID: rc.run.DagID, RunID: rc.run.RunID, RunPK: rc.run.ID,
			TaskID: c.TaskID, State: c.State.String(), Reason: reason})
	}
	return nil
}

// finishIfDone ends the run once no task instance can change any more:
// failed if a leaf failed or could not run because of a failure, success
// otherwise, as Airflow decides.
func (rc *runReconcile) finishIfDone(ctx context.Context) error {
	unfinished, err := rc.s.st.TaskInstanceHasUnfinished(ctx, rc.run.ID)
	if err != nil || unfinished {
		return err
	}
	leaves := rc.g.Leaves()
	if err := rc.load(ctx, leaves); err != nil {
		return err
	}
	state := dag.DagRunSuccess
	for _, id := range leaves {
		if st := rc.tis[id].State; st == dag.TaskFailed || st == dag.TaskUpstreamFailed {
			state = dag.DagRunFailed
		}
	}
	return rc.s.finishRun(ctx, rc.run, state, "")
}
