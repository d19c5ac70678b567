package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
