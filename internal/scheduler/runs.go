package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

var runningStates = []dag.DagRunState{dag.DagRunRunning}

// createScheduledRuns creates the runs whose data interval has ended, for
// every active, unpaused DAG with a schedule, up to its max_active_runs. With
// catchup every missed interval gets a run, oldest first; without it the
// timetable skips to the latest.
func (s *Scheduler) createScheduledRuns(ctx context.Context) error {
	paused := false
	dags, err := s.st.DagList(ctx, &store.DagListParams{Paused: &paused})
	if err != nil {
		return err
	}
	now := s.now()
	for _, row := range dags {
		if row.LatestVersionID == 0 || row.Schedule == "" {
			continue
		}
		d, err := s.cfg.Versions.Get(ctx, row.LatestVersionID)
		if err != nil {
			s.log.Error("load dag", "dag_id", row.DagID, "err", err)
			continue
		}
		if err := s.createRunsFor(ctx, row, d, now); err != nil {
			return fmt.Errorf("dag %s: %w", row.DagID, err)
		}
	}
	return nil
}

func (s *Scheduler) createRunsFor(ctx context.Context, row *store.Dag, d *dag.DAG, now time.Time) error {
	if d.Schedule.Kind == dag.ScheduleNone {
		return nil
	}
	queued, running, err := s.st.DagRunCountActive(ctx, d.ID)
	if err != nil {
		return err
	}
	active := queued + running
	var last *dag.DataInterval
	if r, err := s.st.DagRunLatest(ctx, d.ID, string(dag.RunScheduled)); err == nil {
		last = &r.DataInterval
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for {
		next, ok := d.Schedule.NextRun(last, timetable(d), now)
		if !ok {
			return s.setNextRun(ctx, row, nil)
		}
		due := !next.End.After(now)
		if d.Schedule.Kind == dag.ScheduleOnce {
			due = !next.Start.After(now)
		}
		if !due || active >= d.MaxActiveRuns {
			return s.setNextRun(ctx, row, &next)
		}
		r, err := createRun(ctx, s.st, row.LatestVersionID, d, &runSpec{
			runID: RunID(dag.RunScheduled, next.Start), runType: dag.RunScheduled,
			logical: next.Start, interval: next, now: now,
		})
		switch {
		case errors.Is(err, store.ErrConflict):
			// Created by a trigger with the same run id; go on from it.
		case err != nil:
			return err
		default:
			active++
			s.log.Info("dag run created", "dag_id", d.ID, "run_id", r.RunID, "run_type", r.RunType)
			s.observe(Transition{Time: now, DagID: d.ID, RunID: r.RunID, RunPK: r.ID, State: string(r.State)})
		}
		last = &next
	}
}

func (s *Scheduler) setNextRun(ctx context.Context, row *store.Dag, next *dag.DataInterval) error {
	same := (next == nil && row.NextDataInterval == nil) ||
		(next != nil && row.NextDataInterval != nil && next.Start.Equal(row.NextDataInterval.Start) &&
			next.End.Equal(row.NextDataInterval.End))
	if same {
		return nil
	}
	return s.st.DagSetNextRun(ctx, row.DagID, next)
}

// startQueuedRuns moves queued runs to running, oldest logical date first,
// while their DAG has fewer than max_active_runs running.
func (s *Scheduler) startQueuedRuns(ctx context.Context) error {
	queued, err := s.st.DagRunList(ctx, &store.DagRunListParams{States: []dag.DagRunState{dag.DagRunQueued}})
	if err != nil {
		return err
	}
	running := map[string]int{}
	counted := map[string]bool{}
	paused := map[string]bool{}
	now := s.now()
	for _, r := range queued {
		if s.cfg.OnlyRun != 0 && r.ID != s.cfg.OnlyRun {
			continue
		}
		if !counted[r.DagID] {
			_, n, err := s.st.DagRunCountActive(ctx, r.DagID)
			if err != nil {
				return err
			}
			running[r.DagID] = n
			counted[r.DagID] = true
			row, err := s.st.DagGet(ctx, r.DagID)
			if err != nil {
				return err
			}
			// A test run goes on when its DAG is paused, as airflow dags test does.
			paused[r.DagID] = row.IsPaused && s.cfg.OnlyRun == 0
		}
		if paused[r.DagID] {
			continue
		}
		d, err := s.runDAG(ctx, r)
		if errors.Is(err, errRunFailed) {
			continue
		}
		if err != nil {
			return err
		}
		if running[r.DagID] >= d.MaxActiveRuns {
			continue
		}
		ok, err := s.st.DagRunSetState(ctx, &store.DagRunSetStateParams{
			ID: r.ID, State: dag.DagRunRunning, From: []dag.DagRunState{dag.DagRunQueued}, StartDate: &now,
			MaxRunning: d.MaxActiveRuns,
		})
		if err != nil {
			return err
		}
		if ok {
			running[r.DagID]++
			s.log.Info("dag run started", "dag_id", r.DagID, "run_id", r.RunID)
			s.observe(Transition{Time: now, DagID: r.DagID, RunID: r.RunID, RunPK: r.ID, State: string(dag.DagRunRunning)})
		}
	}
	return nil
}

// checkRunTimeout fails a run that exceeded its dagrun_timeout: its
// unfinished task instances become skipped and running tries are cancelled,
// as Airflow does.
func (s *Scheduler) checkRunTimeout(ctx context.Context, r *store.DagRun) (bool, error) {
	d, err := s.runDAG(ctx, r)
	if errors.Is(err, errRunFailed) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	now := s.now()
	if d.DagrunTimeout <= 0 || r.StartDate == nil || now.Sub(*r.StartDate) < d.DagrunTimeout {
		return false, nil
	}
	tis, err := s.st.TaskInstanceListByRun(ctx, r.ID, nil)
	if err != nil {
		return false, err
	}
	reason := fmt.Sprintf("dag run timed out after %s", d.DagrunTimeout)
	var changes []*store.TaskInstanceChange
	var active []*store.TaskInstance
	for _, ti := range tis {
		if ti.State.Finished() {
			continue
		}
		active = append(active, ti)
		changes = append(changes, &store.TaskInstanceChange{
			RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex, From: []dag.TaskState{ti.State},
			State: dag.TaskSkipped, EndDate: &now, Reason: &reason,
		})
	}
	applied, err := s.st.TaskInstanceApply(ctx, changes)
	if err != nil {
		return false, err
	}
	// Cancelled only once skipped is committed: their ends then change
	// nothing, guarded by state.
	for i, ti := range active {
		if applied[i] && (ti.State.Active() || ti.State == dag.TaskRestarting) {
			s.executorFor(ti.Executor).Cancel(tryKey(ti))
		}
	}
	return true, s.finishRun(ctx, r, dag.DagRunFailed, reason)
}

// errRunFailed says runDAG failed the run it was asked about.
var errRunFailed = errors.New("run failed: its dag version cannot be loaded")

// runDAG returns the DAG version a run started with. A version that no
// longer parses fails that run, with the reason logged, and returns
// errRunFailed: the pass goes on with the other runs instead of stopping on
// the same error every time.
func (s *Scheduler) runDAG(ctx context.Context, r *store.DagRun) (*dag.DAG, error) {
	d, err := s.cfg.Versions.Get(ctx, r.VersionID)
	var ue *UnloadableError
	if !errors.As(err, &ue) {
		return d, err
	}
	now := s.now()
	ok, serr := s.st.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: r.ID, State: dag.DagRunFailed,
		From: []dag.DagRunState{dag.DagRunQueued, dag.DagRunRunning}, EndDate: &now})
	if serr != nil {
		return nil, serr
	}
	if ok {
		s.log.Error("dag run failed: its dag version cannot be loaded", "dag_id", r.DagID, "run_id", r.RunID, "err", err)
		s.observe(Transition{Time: now, DagID: r.DagID, RunID: r.RunID, RunPK: r.ID, State: string(dag.DagRunFailed), Reason: err.Error()})
	}
	return nil, errRunFailed
}

// finishRun records a run's final state.
func (s *Scheduler) finishRun(ctx context.Context, r *store.DagRun, state dag.DagRunState, reason string) error {
	now := s.now()
	ok, err := s.st.DagRunSetState(ctx, &store.DagRunSetStateParams{
		ID: r.ID, State: state, From: []dag.DagRunState{dag.DagRunRunning}, EndDate: &now,
	})
	if err != nil || !ok {
		return err
	}
	attrs := []any{"dag_id", r.DagID, "run_id", r.RunID, "state", state}
	if reason != "" {
		attrs = append(attrs, "reason", reason)
	}
	if state == dag.DagRunFailed {
		s.log.Warn("dag run finished", attrs...)
	} else {
		s.log.Info("dag run finished", attrs...)
	}
	s.observe(Transition{Time: now, DagID: r.DagID, RunID: r.RunID, RunPK: r.ID, State: string(state), Reason: reason})
	// A queued run of the same DAG may have waited for this one's slot.
	s.Wake()
	return nil
}
