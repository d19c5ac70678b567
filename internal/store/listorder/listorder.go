// Package listorder turns the API's order_by into the ORDER BY clause of
// the stores' lists, the same for SQLite and PostgreSQL: only expressions
// from a fixed set reach the SQL, never the caller's string, and the
// primary key breaks ties in the same direction, so pages never overlap.
package listorder

import (
	"slices"
	"strings"

	"github.com/updraft-dev/updraft/internal/store"
)

// Field is a field a list may be ordered by: the API's name and the
// expression it orders by, none for the primary key itself. A nullable
// field puts its NULLs last in either direction.
type Field struct {
	Name, Expr string
	Nullable   bool
}

// Spec is what a list may be ordered by: its fields, the first the
// default, and its primary key.
type Spec struct {
	Fields []Field
	Key    []string
}

// OrderBy renders the ORDER BY clause of a Page's OrderBy, or an
// *store.OrderByError naming the fields allowed.
func (sp *Spec) OrderBy(field string) (string, error) {
	name, desc := strings.CutPrefix(field, "-")
	if field == "" {
		name = sp.Fields[0].Name
	}
	i := slices.IndexFunc(sp.Fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		allowed := make([]string, len(sp.Fields))
		for j, f := range sp.Fields {
			allowed[j] = f.Name
		}
		return "", &store.OrderByError{Field: name, Allowed: allowed}
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	var parts []string
	if f := sp.Fields[i]; f.Expr != "" {
		e := f.Expr + dir
		// Only where NULLs can be: NULLS LAST on a descending NOT NULL
		// column would keep an index from giving the order.
		if f.Nullable {
			e += " NULLS LAST"
		}
		parts = append(parts, e)
	}
	for _, k := range sp.Key {
		parts = append(parts, k+dir)
	}
	return strings.Join(parts, ", "), nil
}

// Dags orders DagQuery.
var Dags = Spec{
	Fields: []Field{
		{Name: "dag_id"},
		// Airflow's next_dagrun is the next run's logical date: the start
		// of its data interval.
		{Name: "next_dagrun", Expr: "next_interval_start", Nullable: true},
		{Name: "last_parsed_time", Expr: "last_parsed_at"},
	},
	Key: []string{"dag_id"},
}

// Runs orders DagRunQuery.
var Runs = Spec{
	Fields: []Field{
		{Name: "id"},
		{Name: "dag_id", Expr: "dag_id"},
		{Name: "run_id", Expr: "run_id"},
		{Name: "state", Expr: "state"},
		{Name: "run_type", Expr: "run_type"},
		{Name: "logical_date", Expr: "logical_date"},
		{Name: "start_date", Expr: "start_date", Nullable: true},
		{Name: "end_date", Expr: "end_date", Nullable: true},
		{Name: "queued_at", Expr: "queued_at", Nullable: true},
	},
	Key: []string{"id"},
}

// TaskInstances orders TaskInstanceQuery (ti joined with its run r);
// duration is the dialect's expression of end_date - start_date.
func TaskInstances(duration string) Spec {
	return Spec{
		Fields: []Field{
			{Name: "id"},
			{Name: "dag_id", Expr: "r.dag_id"},
			{Name: "run_id", Expr: "r.run_id"},
			{Name: "task_id", Expr: "ti.task_id"},
			{Name: "map_index", Expr: "ti.map_index"},
			{Name: "state", Expr: "ti.state", Nullable: true},
			{Name: "pool", Expr: "ti.pool"},
			{Name: "priority_weight", Expr: "ti.priority_weight"},
			{Name: "try_number", Expr: "ti.try_number"},
			{Name: "logical_date", Expr: "r.logical_date"},
			{Name: "start_date", Expr: "ti.start_date", Nullable: true},
			{Name: "end_date", Expr: "ti.end_date", Nullable: true},
			{Name: "queued_at", Expr: "ti.queued_at", Nullable: true},
			{Name: "duration", Expr: duration, Nullable: true},
		},
		Key: []string{"ti.dag_run_id", "ti.task_id", "ti.map_index"},
	}
}

// Versions orders DagVersionList.
var Versions = Spec{
	Fields: []Field{
		{Name: "version_number", Expr: "version_number"},
		{Name: "created_at", Expr: "created_at"},
	},
	Key: []string{"id"},
}
