package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// TriggerParams asks for a manual run, as `airflow dags trigger` does.
type TriggerParams struct {
	DagID string
	// RunID defaults to manual__<logical date>.
	RunID string
	// LogicalDate defaults to now.
	LogicalDate *time.Time
	// Conf is the run's configuration; keys that name params override them.
	Conf map[string]any
}

// ErrInvalidRunID says a run id is not one updraft accepts.
var ErrInvalidRunID = errors.New("invalid run id")

// runIDPattern is Airflow's default allowed_run_id_pattern: letters,
// digits and _.~:+-, so a run id is safe in a path, a URL and a log name.
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.~:+-]+$`)

// CheckRunID refuses run ids outside runIDPattern, and the ones that mean
// something else: "~" (every run, in the API) and dot names.
func CheckRunID(id string) error {
	if !runIDPattern.MatchString(id) || id == "~" || id == "." || id == ".." || len(id) > 250 {
		return fmt.Errorf("%w %q: use up to 250 letters, digits and _.~:+- (not ~, . or .. alone)", ErrInvalidRunID, id)
	}
	return nil
}

// ErrInvalidConf says a trigger's conf does not match the DAG's params.
var ErrInvalidConf = errors.New("invalid conf")

// Trigger creates a manual run in state queued with the DAG's latest version.
func Trigger(ctx context.Context, st store.Store, versions *Versions, now time.Time, p *TriggerParams) (*store.DagRun, error) {
	row, d, err := versions.Latest(ctx, p.DagID)
	if err != nil {
		return nil, err
	}
	if !row.IsActive {
		return nil, fmt.Errorf("dag %s is no longer in the DAGs folder: %w", p.DagID, store.ErrNotFound)
	}
	if err := CheckConf(d, p.Conf); err != nil {
		return nil, err
	}
	logical := now
	if p.LogicalDate != nil {
		logical = *p.LogicalDate
	}
	logical = logical.UTC()
	runID := p.RunID
	if runID == "" {
		runID = RunID(dag.RunManual, logical)
	}
	if err := CheckRunID(runID); err != nil {
		return nil, err
	}
	conf, err := json.Marshal(nonNilMap(p.Conf))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConf, err)
	}
	return createRun(ctx, st, row.LatestVersionID, d, &runSpec{
		runID: runID, runType: dag.RunManual, logical: logical,
		interval: d.Schedule.ManualInterval(logical, timetable(d)), conf: conf, now: now,
	})
}

// RunID is Airflow's run id for a run type and logical date:
// manual__2026-01-01T00:00:00+00:00.
func RunID(t dag.RunType, logical time.Time) string {
	return string(t) + "__" + logical.UTC().Format("2006-01-02T15:04:05.999999-07:00")
}

type runSpec struct {
	runID    string
	runType  dag.RunType
	logical  time.Time
	interval dag.DataInterval
	conf     json.RawMessage
	now      time.Time
}

// createRun inserts a queued run with a task instance per task.
func createRun(ctx context.Context, st store.Store, versionID int64, d *dag.DAG, r *runSpec) (*store.DagRun, error) {
	g := d.Graph()
	tasks := make([]store.TaskInstanceInit, 0, len(d.Tasks))
	for _, t := range d.Tasks {
		tasks = append(tasks, store.TaskInstanceInit{
			TaskID: t.ID, MapIndex: -1, Pool: t.Pool, PoolSlots: t.PoolSlots,
			PriorityWeight: g.PriorityWeight(t.ID), MaxTries: t.Retries, Executor: t.Executor,
		})
	}
	conf := r.conf
	if conf == nil {
		conf = json.RawMessage("{}")
	}
	return st.DagRunCreate(ctx, &store.DagRunCreateParams{
		DagID: d.ID, RunID: r.runID, VersionID: versionID, RunType: r.runType, State: dag.DagRunQueued,
		LogicalDate: r.logical, DataInterval: r.interval, Conf: conf, CreatedAt: r.now, Tasks: tasks,
	})
}

// CheckConf checks a trigger's conf against the DAG's params: a key that
// names a param must have the param's type and satisfy its enum and bounds.
// Keys that name no param are allowed, as in Airflow.
func CheckConf(d *dag.DAG, conf map[string]any) error {
	var errs []error
	for _, p := range d.Params {
		v, ok := conf[p.Name]
		if !ok {
			continue
		}
		if err := p.Check(v); err != nil {
			errs = append(errs, fmt.Errorf("conf.%s: %w", p.Name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConf, errors.Join(errs...))
	}
	return nil
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func timetable(d *dag.DAG) dag.TimetableParams {
	return dag.TimetableParams{Start: d.StartDate, End: d.EndDate, Catchup: d.Catchup, Location: d.Timezone}
}

// BackfillParams asks for runs of every scheduled interval in a span, as
// `airflow dags backfill -s START -e END` does.
type BackfillParams struct {
	DagID string
	// Start and End bound the logical dates, both included.
	Start, End time.Time
}

// Backfill creates a queued backfill run for each interval of the DAG's
// schedule whose logical date lies in [Start, End], oldest first. An
// interval that already has a run of any type is left alone. The scheduler
// starts them within max_active_runs.
func Backfill(ctx context.Context, st store.Store, versions *Versions, now time.Time, p *BackfillParams) ([]*store.DagRun, error) {
	row, d, err := versions.Latest(ctx, p.DagID)
	if err != nil {
		return nil, err
	}
	if d.Schedule.Kind != dag.ScheduleCron && d.Schedule.Kind != dag.ScheduleInterval {
		return nil, fmt.Errorf("dag %s has no recurring schedule (%s): nothing to backfill", d.ID, d.Schedule.String())
	}
	if p.End.Before(p.Start) {
		return nil, fmt.Errorf("backfill end %s is before its start %s", p.End.Format(time.RFC3339), p.Start.Format(time.RFC3339))
	}
	existing, err := st.DagRunList(ctx, &store.DagRunListParams{DagID: d.ID})
	if err != nil {
		return nil, err
	}
	have := map[time.Time]bool{}
	for _, r := range existing {
		have[r.LogicalDate.UTC()] = true
	}
	// The timetable from Start, with catchup, lists every interval in turn.
	tt := timetable(d)
	tt.Start, tt.Catchup = &p.Start, true
	var created []*store.DagRun
	var last *dag.DataInterval
	for {
		next, ok := d.Schedule.NextRun(last, tt, p.End.Add(24*365*time.Hour))
		if !ok || next.Start.After(p.End) {
			return created, nil
		}
		last = &next
		if have[next.Start.UTC()] {
			continue
		}
		r, err := createRun(ctx, st, row.LatestVersionID, d, &runSpec{
			runID: RunID(dag.RunBackfill, next.Start), runType: dag.RunBackfill,
			logical: next.Start, interval: next, now: now,
		})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return created, err
		}
		if err == nil {
			created = append(created, r)
		}
	}
}
