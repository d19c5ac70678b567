package spec

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
)

// defaultRetryDelay is Airflow's default_task_retry_delay.
const defaultRetryDelay = 5 * time.Minute

var executors = []string{"local", "kubernetes"}

// tasks checks and builds the tasks. Upstream ids that are unknown, the task
// itself or repeated are reported and left out, so the graph can still be
// built and its cycles reported in the same parse.
func (d *decoder) tasks(entries orderedMap[*taskSpec], defaults taskFields, dagOwner string) []*dag.Task {
	ids := make(map[string]bool, len(entries))
	for _, e := range entries {
		ids[e.key] = true
	}
	out := make([]*dag.Task, 0, len(entries))
	// The tasks that set none of the fields checkPodRefs compares all get
	// default_args' answer; it is found once, not once per task.
	defaultRefsChecked := false
	for _, e := range entries {
		path := joinKey("tasks", e.key)
		d.checkID(path, d.keyAt(path), e.key)
		spec := e.value
		if spec == nil {
			spec = &taskSpec{}
		}
		d.checkTaskFields(path, &spec.taskFields)
		fields := withDefaults(spec.taskFields, defaults)
		if own := spec.setsPodRefs(); own || !defaultRefsChecked {
			d.checkPodRefs(e.key, path, &spec.taskFields, &fields)
			defaultRefsChecked = defaultRefsChecked || !own
		}
		t := newTask(e.key, fields, dagOwner)
		depsPath := joinKey(path, "depends_on")
		listed := make(map[string]bool, len(spec.DependsOn))
		for i, up := range spec.DependsOn {
			p := indexPath(depsPath, i)
			switch {
			case d.reported(p):
			case up == e.key:
				d.errorAt(d.valueAt(p), p, "task %q depends on itself", up)
			case !ids[up]:
				d.errorAt(d.valueAt(p), p, "unknown task %q", up)
			case listed[up]:
				d.errorAt(d.valueAt(p), p, "task %q is listed twice", up)
			default:
				listed[up] = true
				t.Upstream = append(t.Upstream, up)
			}
		}
		out = append(out, t)
	}
	return out
}

// checkTaskFields checks the fields of a task or of default_args where they
// are written, so a bad default is reported once, not once per task.
func (d *decoder) checkTaskFields(path string, f *taskFields) {
	at := func(key string) (pos, string) {
		p := joinKey(path, key)
		return d.valueAt(p), p
	}
	if f.TriggerRule != "" && !dag.TriggerRule(f.TriggerRule).Valid() {
		p, fp := at("trigger_rule")
		d.errorAt(p, fp, "unknown trigger rule %q; use one of %s", f.TriggerRule, quoteList(dag.TriggerRules()))
	}
	if f.Retries != nil && *f.Retries < 0 {
		p, fp := at("retries")
		d.errorAt(p, fp, "must not be negative, got %d", *f.Retries)
	}
	if f.PoolSlots != nil && *f.PoolSlots < 1 {
		p, fp := at("pool_slots")
		d.errorAt(p, fp, "must be at least 1, got %d", *f.PoolSlots)
	}
	if f.Executor != "" && !slices.Contains(executors, f.Executor) {
		p, fp := at("executor")
		d.errorAt(p, fp, "unknown executor %q; use one of %s", f.Executor, quoteList(executors))
	}
	for _, e := range f.Env {
		fp := joinKey(joinKey(path, "env"), e.key)
		switch {
		case e.key == "" || strings.ContainsAny(e.key, "=\x00"):
			d.errorAt(d.keyAt(fp), fp, "invalid environment variable name %q", e.key)
		case executor.IsIdentityVar(e.key):
			d.errorAt(d.keyAt(fp), fp, "%s is set by updraft for each try; a task may not set it", e.key)
		}
	}
	d.checkPodFields(path, f)
}

// withDefaults fills the fields a task leaves unset from default_args. As in
// Airflow, a task's value replaces the default whole: a task's env does not
// add to the default env.
func withDefaults(task, defaults taskFields) taskFields {
	t := reflect.ValueOf(&task).Elem()
	def := reflect.ValueOf(defaults)
	for i := range t.NumField() {
		if t.Field(i).IsZero() {
			t.Field(i).Set(def.Field(i))
		}
	}
	return task
}

func newTask(id string, f taskFields, dagOwner string) *dag.Task {
	t := &dag.Task{
		ID:                      id,
		TriggerRule:             cmp.Or(dag.TriggerRule(f.TriggerRule), dag.AllSuccess),
		Retries:                 deref(f.Retries, 0),
		RetryDelay:              time.Duration(deref(f.RetryDelay, duration(defaultRetryDelay))),
		RetryExponentialBackoff: deref(f.RetryExponentialBackoff, false),
		MaxRetryDelay:           time.Duration(deref(f.MaxRetryDelay, 0)),
		ExecutionTimeout:        time.Duration(deref(f.ExecutionTimeout, 0)),
		Pool:                    cmp.Or(f.Pool, dag.DefaultPool),
		PoolSlots:               deref(f.PoolSlots, 1),
		PriorityWeight:          deref(f.PriorityWeight, 1),
		DependsOnPast:           deref(f.DependsOnPast, false),
		Owner:                   cmp.Or(f.Owner, dagOwner),
		WorkingDir:              f.WorkingDir,
		Executor:                f.Executor,
		Pod:                     podOf(f),
	}
	if c := f.Command; c != nil {
		t.Command = dag.Command{Argv: slices.Clone(c.argv), Shell: c.shell}
	}
	for _, e := range f.Env {
		t.Env = append(t.Env, dag.EnvVar{Name: e.key, Value: string(e.value)})
	}
	return t
}

// stringMap copies a map so that tasks sharing a default do not share it.
func stringMap(m map[string]text) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}
