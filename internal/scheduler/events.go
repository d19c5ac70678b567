package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/store"
)

// runRef finds a run's primary key from an executor key; executors speak
// dag and run ids, the store keys task instances by the run's row.
type runRef struct {
	dagID, runID string
}

// applyEvents records a batch of executor events in one transaction and
// returns, per run, the tasks that finished.
func (s *Scheduler) applyEvents(ctx context.Context, events []executor.Event) (map[int64][]string, error) {
	dirty := map[int64][]string{}
	if len(events) == 0 {
		return dirty, nil
	}
	runs := map[runRef]*store.DagRun{}
	var changes []*store.TaskInstanceChange
	var evs []executor.Event
	// A short try's start and end often arrive in one batch: its Started
	// event folds into the Finished change, one UPDATE instead of two.
	ending := map[executor.TryKey]bool{}
	for _, ev := range events {
		if ev.Kind == executor.Finished {
			ending[ev.Key] = true
			delete(s.inflight, ev.Key)
		}
	}
	folded := map[executor.TryKey]executor.Event{}
	for _, ev := range events {
		if ev.Kind == executor.Started && ending[ev.Key] {
			folded[ev.Key] = ev
			continue
		}
		ref := runRef{ev.Key.DagID, ev.Key.RunID}
		r, ok := runs[ref]
		if !ok {
			var err error
			r, err = s.st.DagRunGet(ctx, ev.Key.DagID, ev.Key.RunID)
			if errors.Is(err, store.ErrNotFound) {
				s.log.Warn("event for an unknown run", "try", ev.Key.String())
				continue
			}
			if err != nil {
				return nil, err
			}
			runs[ref] = r
		}
		c, err := s.eventChange(ctx, r, ev)
		if err != nil {
			return nil, err
		}
		if st, ok := folded[ev.Key]; ok {
			sc, err := s.eventChange(ctx, r, st)
			if err != nil {
				return nil, err
			}
			c.StartDate, c.PID, c.Hostname = sc.StartDate, sc.PID, sc.Hostname
		}
		changes = append(changes, c)
		evs = append(evs, ev)
	}
	applied, err := s.st.TaskInstanceApply(ctx, changes)
	if err != nil {
		return nil, err
	}
	// A try that ended while its task instance was cleared (restarting)
	// leaves it in none, to run again.
	var restarts []*store.TaskInstanceChange
	for i, c := range changes {
		ev := evs[i]
		r := runs[runRef{ev.Key.DagID, ev.Key.RunID}]
		if !applied[i] {
			if ev.Kind == executor.Finished {
				restarts = append(restarts, &store.TaskInstanceChange{
					RunPK: c.RunPK, TaskID: c.TaskID, MapIndex: c.MapIndex, Try: ev.Key.TryNumber,
					From: []dag.TaskState{dag.TaskRestarting}, State: dag.TaskNone,
					EndDate: c.EndDate, ExitCode: c.ExitCode, Reason: c.Reason, RecordTry: true,
				})
			}
			continue
		}
		if st, ok := folded[ev.Key]; ok {
			s.report(r, st, &store.TaskInstanceChange{State: dag.TaskRunning})
		}
		s.report(r, ev, c)
		if ev.Kind == executor.Finished {
			dirty[r.ID] = append(dirty[r.ID], c.TaskID)
			if c.State == dag.TaskUpForRetry {
				s.retryBy(*c.NextRetryAt)
			}
		}
	}
	if len(restarts) > 0 {
		applied, err := s.st.TaskInstanceApply(ctx, restarts)
		if err != nil {
			return nil, err
		}
		for i, c := range restarts {
			if applied[i] {
				dirty[c.RunPK] = nil
			}
		}
	}
	return dirty, nil
}

// eventChange turns one event into a guarded change: only the try the event
// is about, and only from the states that try can be in.
func (s *Scheduler) eventChange(ctx context.Context, r *store.DagRun, ev executor.Event) (*store.TaskInstanceChange, error) {
	c := &store.TaskInstanceChange{RunPK: r.ID, TaskID: ev.Key.TaskID, MapIndex: ev.Key.MapIndex, Try: ev.Key.TryNumber}
	t := ev.Time
	switch ev.Kind {
	case executor.Started:
		c.From = []dag.TaskState{dag.TaskQueued}
		c.State = dag.TaskRunning
		c.StartDate = &t
		pid, host := ev.PID, s.cfg.Hostname
		c.PID, c.Hostname = &pid, &host
		return c, nil
	case executor.Finished:
	}
	c.From = []dag.TaskState{dag.TaskQueued, dag.TaskRunning}
	c.EndDate = &t
	code, reason := ev.ExitCode, ev.Reason
	c.ExitCode, c.Reason = &code, &reason
	c.RecordTry = true
	if ev.State == dag.TaskSuccess {
		c.State = dag.TaskSuccess
		c.XCom = ev.XCom
		return c, nil
	}
	c.State = dag.TaskFailed
	ti, err := s.st.TaskInstanceGet(ctx, r.ID, ev.Key.TaskID, ev.Key.MapIndex)
	if err != nil {
		return nil, err
	}
	if ev.Key.TryNumber <= ti.MaxTries {
		d, err := s.runDAG(ctx, r)
		if err != nil && !errors.Is(err, errRunFailed) {
			return nil, err
		}
		if task := taskOf(d, ev.Key.TaskID); task != nil {
			at := t.Add(RetryDelay(task, ev.Key.TryNumber))
			c.State, c.NextRetryAt = dag.TaskUpForRetry, &at
		}
	}
	return c, nil
}

// RetryDelay is the wait before the try after tryNumber: retry_delay, doubled
// for each try with retry_exponential_backoff, capped by max_retry_delay.
func RetryDelay(t *dag.Task, tryNumber int) time.Duration {
	d := t.RetryDelay
	if t.RetryExponentialBackoff {
		for i := 1; i < tryNumber && d < 24*time.Hour; i++ {
			d *= 2
		}
	}
	if t.MaxRetryDelay > 0 && d > t.MaxRetryDelay {
		d = t.MaxRetryDelay
	}
	return d
}

// report logs and observes an applied event.
func (s *Scheduler) report(r *store.DagRun, ev executor.Event, c *store.TaskInstanceChange) {
	attrs := []any{"dag_id", r.DagID, "run_id", r.RunID, "task_id", ev.Key.TaskID, "try", ev.Key.TryNumber}
	tr := Transition{Time: ev.Time, DagID: r.DagID, RunID: r.RunID, RunPK: r.ID, TaskID: ev.Key.TaskID,
		Try: ev.Key.TryNumber, State: c.State.String(), Reason: ev.Reason}
	switch c.State {
	case dag.TaskRunning:
		s.log.Info("task started", append(attrs, "pid", ev.PID)...)
		tr.Started = true
	case dag.TaskSuccess:
		s.log.Info("task succeeded", attrs...)
	case dag.TaskUpForRetry:
		s.log.Warn("task failed, will retry", append(attrs, "reason", ev.Reason, "retry_at", c.NextRetryAt.Format(time.RFC3339))...)
	default:
		s.log.Warn("task failed", append(attrs, "reason", ev.Reason)...)
	}
	if !tr.Started {
		// A finish is observed when it is committed; a start when the
		// process started, which is what latency measurements want.
		tr.Time = s.now()
	}
	s.observe(tr)
}

// retryBy makes the loop wake at t, when a retry comes due.
func (s *Scheduler) retryBy(t time.Time) {
	if s.retryAt.IsZero() || t.Before(s.retryAt) {
		s.retryAt = t
	}
}

// taskOf is d.Task that also answers for a DAG that could not be loaded.
func taskOf(d *dag.DAG, id string) *dag.Task {
	if d == nil {
		return nil
	}
	return d.Task(id)
}

func tryKey(ti *store.TaskInstance) executor.TryKey {
	return executor.TryKey{DagID: ti.DagID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex, TryNumber: ti.TryNumber}
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
