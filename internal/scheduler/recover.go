package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/store"
)

// recover settles the tries that no running scheduler follows: their
// scheduler stopped, or was declared dead. Executors adopt what they can
// follow (pods); for the rest, the executor first makes sure nothing is
// still running, then the try counts as failed and its retry policy
// applies. A queued try counts too, whether or not its process had
// started: a try number runs at most once, so a try that did its work but
// whose end was never recorded is never run again under the same number.
func (s *Scheduler) recover(ctx context.Context) error {
	tis, err := s.st.TaskInstanceListByState(ctx, &store.TaskInstanceListParams{
		States: []dag.TaskState{dag.TaskQueued, dag.TaskRunning, dag.TaskRestarting}, Orphaned: true})
	if err != nil || len(tis) == 0 {
		return err
	}
	byExecutor := map[string][]executor.RunningTry{}
	dags := map[int64]*dag.DAG{} // by run
	for _, ti := range tis {
		if s.cfg.OnlyRun != 0 && ti.RunPK != s.cfg.OnlyRun {
			continue
		}
		name := s.executorName(ti.Executor)
		d, ok := dags[ti.RunPK]
		if !ok {
			if d, err = s.dagOfRun(ctx, ti.RunPK); err != nil {
				return err
			}
			dags[ti.RunPK] = d
		}
		task := taskOf(d, ti.TaskID)
		byExecutor[name] = append(byExecutor[name], executor.RunningTry{Key: tryKey(ti), PID: ti.PID, Hostname: ti.Hostname, Task: task})
	}
	adopted := map[executor.TryKey]bool{}
	for name, tries := range byExecutor {
		keys, err := s.cfg.Executors[name].Recover(ctx, tries)
		if err != nil {
			return fmt.Errorf("executor %s: %w", name, err)
		}
		for _, k := range keys {
			adopted[k] = true
		}
	}
	now := s.now()
	var changes []*store.TaskInstanceChange
	for _, ti := range tis {
		if s.cfg.OnlyRun != 0 && ti.RunPK != s.cfg.OnlyRun {
			continue
		}
		c := &store.TaskInstanceChange{RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
			From: []dag.TaskState{ti.State}, Try: ti.TryNumber}
		switch {
		case adopted[tryKey(ti)]:
			// Followed from now on by this scheduler's executor.
			c.State, c.QueuedByJob = ti.State, &s.jobID
			s.inflight[tryKey(ti)] = s.executorName(ti.Executor)
		case ti.State == dag.TaskRestarting:
			c.State = dag.TaskNone
		default:
			reason := "the scheduler that ran this try stopped; its process is gone"
			c.State, c.EndDate, c.Reason, c.RecordTry = dag.TaskFailed, &now, &reason, true
			if ti.TryNumber <= ti.MaxTries {
				var delay time.Duration
				if t := taskOf(dags[ti.RunPK], ti.TaskID); t != nil {
					delay = RetryDelay(t, ti.TryNumber)
				}
				at := now.Add(delay)
				c.State, c.NextRetryAt = dag.TaskUpForRetry, &at
				s.retryBy(at)
			}
			s.log.Warn("task lost with its scheduler", "dag_id", ti.DagID, "run_id", ti.RunID,
				"task_id", ti.TaskID, "try", ti.TryNumber, "job_id", ti.QueuedByJob, "state", c.State)
		}
		changes = append(changes, c)
	}
	// A failed try's downstream is decided by the full pass this runs in.
	_, err = s.st.TaskInstanceApply(ctx, changes)
	return err
}

// retryDue puts task instances whose retry delay has passed back to
// scheduled: their upstream was met when they first ran.
func (s *Scheduler) retryDue(ctx context.Context) error {
	tis, err := s.st.TaskInstanceListByState(ctx, &store.TaskInstanceListParams{States: []dag.TaskState{dag.TaskUpForRetry}})
	if err != nil {
		return err
	}
	now := s.now()
	var changes []*store.TaskInstanceChange
	for _, ti := range tis {
		if s.cfg.OnlyRun != 0 && ti.RunPK != s.cfg.OnlyRun {
			continue
		}
		if ti.NextRetryAt != nil && ti.NextRetryAt.After(now) {
			s.retryBy(*ti.NextRetryAt)
			continue
		}
		changes = append(changes, &store.TaskInstanceChange{RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
			From: []dag.TaskState{dag.TaskUpForRetry}, Try: ti.TryNumber, State: dag.TaskScheduled, ClearEndDate: true})
	}
	_, err = s.st.TaskInstanceApply(ctx, changes)
	return err
}

// requeueUnsubmitted puts back to scheduled the tries this scheduler
// queued but never handed to an executor: the dispatch's commit reached the
// database but its answer did not (the connection broke), so dispatch
// reported an error and submitted nothing. No process ran, so the try
// number is taken back and nothing counts as lost. Tries handed to an
// executor are in inflight from the submit until their end.
func (s *Scheduler) requeueUnsubmitted(ctx context.Context) error {
	tis, err := s.st.TaskInstanceListByState(ctx, &store.TaskInstanceListParams{
		States: []dag.TaskState{dag.TaskQueued}, QueuedByJob: s.jobID})
	if err != nil || len(tis) == 0 {
		return err
	}
	var changes []*store.TaskInstanceChange
	for _, ti := range tis {
		if _, ok := s.inflight[tryKey(ti)]; ok {
			continue
		}
		s.log.Warn("queued try was never handed to an executor; scheduling it again", "dag_id", ti.DagID,
			"run_id", ti.RunID, "task_id", ti.TaskID, "try", ti.TryNumber)
		changes = append(changes, &store.TaskInstanceChange{RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
			From: []dag.TaskState{dag.TaskQueued}, Try: ti.TryNumber, TryDelta: -1, State: dag.TaskScheduled})
	}
	_, err = s.st.TaskInstanceApply(ctx, changes)
	return err
}

// dagOfRun is the DAG version a run uses; nil when it no longer parses.
func (s *Scheduler) dagOfRun(ctx context.Context, runPK int64) (*dag.DAG, error) {
	r, err := s.st.DagRunGetByID(ctx, runPK)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // deleted meanwhile; its task instances went with it
	}
	if err != nil {
		return nil, err
	}
	d, err := s.runDAG(ctx, r)
	if errors.Is(err, errRunFailed) {
		return nil, nil
	}
	return d, err
}
