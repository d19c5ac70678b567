package spec

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
)

// idPattern is Airflow's KEY_REGEX for dag and task ids, kept to ASCII so ids
// are safe in URLs, file names and Kubernetes labels.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

const (
	maxIDLength  = 250 // Airflow's ID_LEN
	maxTagLength = 100 // Airflow's TAG_MAX_LEN
)

// build checks the decoded file and turns it into the model. It goes on
// past problems so that one parse reports them all; the DAG it returns is
// only used when no error was recorded.
func build(d *decoder, f *dagFile) *dag.DAG {
	g := &dag.DAG{
		ID:             f.DagID,
		Description:    f.Description,
		Catchup:        f.Catchup,
		MaxActiveRuns:  d.atLeastOne("max_active_runs", f.MaxActiveRuns, dag.DefaultMaxActiveRuns),
		MaxActiveTasks: d.atLeastOne("max_active_tasks", f.MaxActiveTasks, dag.DefaultMaxActiveTasks),
		DagrunTimeout:  time.Duration(deref(f.DagrunTimeout, 0)),
		Tags:           f.Tags,
		FileLoc:        d.file,
	}
	if _, ok := d.values["dag_id"]; ok && !d.reported("dag_id") {
		d.checkID("dag_id", d.valueAt("dag_id"), f.DagID)
	}
	g.Timezone = d.timezone(f.Timezone)
	g.Schedule = d.schedule(f.Schedule)
	g.StartDate, g.EndDate = d.dates(f.StartDate, f.EndDate, g.Timezone)
	for i, t := range f.Tags {
		path := indexPath("tags", i)
		switch {
		case d.reported(path):
		case t == "":
			d.errorAt(d.valueAt(path), path, "empty tag")
		case len(t) > maxTagLength:
			d.errorAt(d.valueAt(path), path, "tag is %d characters long, at most %d are allowed", len(t), maxTagLength)
		}
	}
	g.Params = d.params(f.Params)

	var defaults taskFields
	if f.DefaultArgs != nil {
		defaults = *f.DefaultArgs
		d.checkTaskFields("default_args", &defaults)
	}
	g.Owner = cmp.Or(f.Owner, defaults.Owner)
	g.Tasks = d.tasks(f.Tasks, defaults, g.Owner)
	d.checkProfiles(g.Tasks)

	var (
		cycle   *dag.CycleError
		unknown *dag.UnknownUpstreamError
	)
	switch err := g.Build(); {
	case err == nil:
	case errors.As(err, &cycle):
		path := joinKey("tasks", cycle.Cycle[0])
		d.errs = append(d.errs, d.causeAt(d.keyAt(path), path, err))
	case errors.As(err, &unknown):
		// tasks drops unknown upstream ids after reporting them, so this
		// only happens if the model grows a check the parser lacks.
		path := joinKey("tasks", unknown.Task)
		d.errs = append(d.errs, d.causeAt(d.keyAt(path), path, err))
	default:
		d.errs = append(d.errs, d.causeAt(pos{1, 1}, "tasks", err))
	}
	return g
}

// causeAt makes an error from the model's own.
func (d *decoder) causeAt(p pos, path string, err error) *Error {
	return &Error{File: d.file, Line: p.line, Column: p.col, Field: path, Msg: err.Error(), cause: err}
}

// checkID applies Airflow's rule for dag and task ids.
func (d *decoder) checkID(path string, p pos, id string) {
	switch {
	case id == "":
		d.errorAt(p, path, "id must not be empty")
	case len(id) > maxIDLength:
		d.errorAt(p, path, "id is %d characters long, at most %d are allowed", len(id), maxIDLength)
	case !idPattern.MatchString(id):
		d.errorAt(p, path, "id %q may only contain letters, digits, dashes, dots and underscores", id)
	}
}

// timezone loads the DAG's zone. A bad one is reported and UTC used, so the
// dates are still checked.
func (d *decoder) timezone(name string) *time.Location {
	const path = "timezone"
	if name == "" || name == "UTC" {
		return time.UTC
	}
	if name == "Local" {
		// Local would make the same file mean different things on
		// different machines.
		d.errorAt(d.valueAt(path), path, "timezone Local depends on the machine; name an IANA zone like Europe/Moscow")
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		d.errorAt(d.valueAt(path), path, "unknown timezone %q; use an IANA name like Europe/Moscow or UTC", name)
		return time.UTC
	}
	return loc
}

func (d *decoder) schedule(expr *string) dag.Schedule {
	const path = "schedule"
	if expr == nil {
		return dag.Schedule{Kind: dag.ScheduleNone}
	}
	s, err := dag.ParseSchedule(*expr)
	if err != nil {
		d.errorAt(d.valueAt(path), path, "%v", err)
	}
	return s
}

func (d *decoder) dates(start, end *date, loc *time.Location) (*time.Time, *time.Time) {
	var s, e *time.Time
	if start != nil {
		t := start.in(loc)
		s = &t
	}
	if end != nil {
		t := end.in(loc)
		e = &t
	}
	if s != nil && e != nil && e.Before(*s) {
		d.errorAt(d.valueAt("end_date"), "end_date", "end_date %s is before start_date %s",
			e.Format(time.RFC3339), s.Format(time.RFC3339))
	}
	return s, e
}

// atLeastOne returns *v, or def when v is not set, reporting values below 1.
func (d *decoder) atLeastOne(path string, v *int, def int) int {
	if v == nil {
		return def
	}
	if *v < 1 {
		d.errorAt(d.valueAt(path), path, "must be at least 1, got %d", *v)
	}
	return *v
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// quoteList formats names for "use one of" messages.
func quoteList[T ~string](names []T) string {
	var s string
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", string(n))
	}
	return s
}

// checkProfiles reports the pod tasks that name a resource profile the
// Kubernetes executor does not have, where the name is written: in the task,
// or once in default_args.
func (d *decoder) checkProfiles(tasks []*dag.Task) {
	if d.opts.ResourceProfiles == nil {
		return
	}
	for _, t := range tasks {
		profile := t.Pod.Resources
		executor := cmp.Or(t.Executor, d.opts.DefaultExecutor, "local")
		if profile == "" || executor != "kubernetes" || slices.Contains(d.opts.ResourceProfiles, profile) {
			continue
		}
		path := joinKey(joinKey("tasks", t.ID), "resources")
		if _, own := d.values[path]; !own {
			path = "default_args.resources"
		}
		if d.reported(path) {
			continue
		}
		have := "none is configured"
		if len(d.opts.ResourceProfiles) > 0 {
			have = "it has " + strings.Join(d.opts.ResourceProfiles, ", ")
		}
		d.errorAt(d.valueAt(path), path, "unknown resource profile %q for the Kubernetes executor (kubernetes_resource_profiles: %s)", profile, have)
	}
}
