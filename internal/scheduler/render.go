package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/template"
)

// request renders a task's templates for one try and builds what the
// executor needs.
func (s *Scheduler) request(ctx context.Context, r *store.DagRun, d *dag.DAG, task *dag.Task, try int) (*executor.Request, error) {
	tc, err := TemplateContext(r, d, task, try)
	if err != nil {
		return nil, err
	}
	tc.Lookup = NewLookup(s.st, r.ID)
	if usesPrevious(task) {
		prev, err := s.st.DagRunList(ctx, &store.DagRunListParams{DagID: r.DagID, States: []dag.DagRunState{dag.DagRunSuccess},
			Before: &r.LogicalDate, Desc: true, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(prev) == 1 {
			tc.PrevDataIntervalStartSuccess = &prev[0].DataInterval.Start
			tc.PrevDataIntervalEndSuccess = &prev[0].DataInterval.End
		}
	}
	return BuildRequest(ctx, s.cfg.Renderer, tc, r, d, task, try)
}

// usesPrevious reports whether a task's templates may name the previous
// successful run (prev_ds, prev_data_interval_start_success, ...), so that
// the query for it runs only for the tasks that need it.
func usesPrevious(task *dag.Task) bool {
	if strings.Contains(task.Command.Shell, "prev_") || strings.Contains(task.WorkingDir, "prev_") {
		return true
	}
	for _, a := range task.Command.Argv {
		if strings.Contains(a, "prev_") {
			return true
		}
	}
	for _, e := range task.Env {
		if strings.Contains(e.Value, "prev_") {
			return true
		}
	}
	return false
}

// BuildRequest renders a task's command, env and working directory for one
// try. `updraft tasks test` uses it too, so a test renders as a run does.
func BuildRequest(ctx context.Context, renderer *template.Renderer, tc *template.Context, r *store.DagRun, d *dag.DAG, task *dag.Task, try int) (*executor.Request, error) {
	var err error
	argv := task.Command.Args()
	out := make([]string, len(argv))
	for i, a := range argv {
		if out[i], err = renderer.Render(ctx, a, tc); err != nil {
			return nil, fmt.Errorf("command[%d]: %w", i, err)
		}
	}
	env := make([]string, 0, len(task.Env))
	for _, e := range task.Env {
		v, err := renderer.Render(ctx, e.Value, tc)
		if err != nil {
			return nil, fmt.Errorf("env.%s: %w", e.Name, err)
		}
		env = append(env, e.Name+"="+v)
	}
	wd, err := renderer.Render(ctx, task.WorkingDir, tc)
	if err != nil {
		return nil, fmt.Errorf("working_dir: %w", err)
	}
	owner := task.Owner
	if owner == "" {
		owner = d.Owner
	}
	return &executor.Request{
		Key:  executor.TryKey{DagID: r.DagID, RunID: r.RunID, TaskID: task.ID, MapIndex: -1, TryNumber: try},
		Argv: out, Env: env, WorkingDir: wd, Timeout: task.ExecutionTimeout, Task: task,
		LogicalDate: r.LogicalDate, Owner: owner,
	}, nil
}

// TemplateContext is what a task's templates see in a run: Airflow's names.
// Params are the DAG's defaults with the run's conf laid over them, as
// Airflow does with dag_run_conf_overrides_params.
func TemplateContext(r *store.DagRun, d *dag.DAG, task *dag.Task, try int) (*template.Context, error) {
	conf := map[string]any{}
	if len(r.Conf) > 0 {
		v, err := template.DecodeJSON(r.Conf)
		if err != nil {
			return nil, fmt.Errorf("dag run conf: %w", err)
		}
		if m, ok := v.(map[string]any); ok {
			conf = m
		} else if v != nil {
			return nil, fmt.Errorf("dag run conf: a JSON object is needed, got %s", r.Conf)
		}
	}
	params := make(map[string]any, len(d.Params))
	for _, p := range d.Params {
		params[p.Name] = p.Default
		if v, ok := conf[p.Name]; ok {
			params[p.Name] = v
		}
	}
	owner := task.Owner
	if owner == "" {
		owner = d.Owner
	}
	return &template.Context{
		DagID: d.ID, TaskID: task.ID, RunID: r.RunID, TryNumber: try, MapIndex: -1,
		LogicalDate: r.LogicalDate, DataIntervalStart: r.DataInterval.Start, DataIntervalEnd: r.DataInterval.End,
		Params: params, Conf: conf, RunType: string(r.RunType), Owner: owner,
	}, nil
}

// NewLookup reads variables, and the XCom of the run runPK, for templates.
func NewLookup(st store.Store, runPK int64) template.Lookup {
	return &lookup{st: st, runPK: runPK}
}

// lookup reads variables and XCom for templates, only when a template asks.
type lookup struct {
	st    store.Store
	runPK int64
}

func (l *lookup) Variable(ctx context.Context, key string) (string, bool, error) {
	v, err := l.st.VariableGet(ctx, key)
	if isNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return v.Value, true, nil
}

func (l *lookup) XComPull(ctx context.Context, taskID, key string) (json.RawMessage, bool, error) {
	x, err := l.st.XComGet(ctx, l.runPK, taskID, -1, key)
	if isNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return x.Value, true, nil
}
