package store

import (
	"context"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
)

// Page bounds a list: at most Limit rows (all when 0) from Offset on, in
// the order OrderBy names. OrderBy is one of the fields each query lists,
// with a leading "-" for descending, or "" for the query's default; ties
// are broken by the primary key, in the same direction, so pages never
// overlap. Rows without a value for the field (NULL: no start date yet, no
// state, no duration) come last in either direction. An unknown field
// gives an *OrderByError.
type Page struct {
	Limit, Offset int
	OrderBy       string
	// NoCount skips counting the matches, for a caller that wants the
	// page alone (the latest runs of each DAG in a list): the total comes
	// back as -1.
	NoCount bool
}

// OrderByError says which order_by field is not allowed, and which are.
type OrderByError struct {
	// Field is the name asked for, without its leading "-".
	Field string
	// Allowed are the query's fields, its default first.
	Allowed []string
}

func (e *OrderByError) Error() string {
	return "cannot order by " + e.Field
}

// TimeRange bounds a time column; nil ends are open. Both ends are
// inclusive, as Airflow's *_gte / *_lte filters are.
type TimeRange struct {
	GTE, LTE *time.Time
}

// DagQueryParams filters DagQuery. Allowed OrderBy fields: dag_id (the
// default), next_dagrun (the start of the next data interval),
// last_parsed_time.
type DagQueryParams struct {
	Page
	// Tags keeps DAGs with any of these tags, or with all of them when
	// TagsMatchAll.
	Tags         []string
	TagsMatchAll bool
	// DagIDPattern is a SQL LIKE pattern (% and _; a backslash makes the
	// next character literal), matched without regard to case (of ASCII
	// letters only, on SQLite), as Airflow's dag_id_pattern is. The caller
	// adds the % it means: the pattern matches the whole id.
	DagIDPattern string
	// DagIDs keeps only these DAGs, when not empty.
	DagIDs []string
	Paused *bool
	// IncludeInactive lists DAGs whose file is gone too.
	IncludeInactive bool
}

// DagRunQueryParams filters DagRunQuery. Allowed OrderBy fields: id (the
// default), dag_id, run_id, state, run_type, logical_date, start_date,
// end_date, queued_at.
type DagRunQueryParams struct {
	Page
	// DagIDs keeps runs of these DAGs; all DAGs when empty.
	DagIDs      []string
	States      []dag.DagRunState
	RunTypes    []dag.RunType
	LogicalDate TimeRange
	StartDate   TimeRange
	EndDate     TimeRange
}

// TaskInstanceQueryParams filters TaskInstanceQuery. Allowed OrderBy
// fields: id (run then task then map index, the default), dag_id, run_id,
// task_id, map_index, state, pool, priority_weight, try_number,
// logical_date, start_date, end_date, queued_at, duration (end_date -
// start_date, exact to the microsecond).
type TaskInstanceQueryParams struct {
	Page
	DagIDs []string
	// RunPK keeps one run's task instances when not zero.
	RunPK int64
	// RunPKs keeps these runs' task instances, when not empty.
	RunPKs  []int64
	TaskIDs []string
	// States may hold dag.TaskNone for task instances without a state.
	States      []dag.TaskState
	Pools       []string
	LogicalDate TimeRange
	StartDate   TimeRange
	EndDate     TimeRange
}

// QueryStore lists with filters, order and pages, and counts the matches,
// for the API: every list returns the page and the total number of rows
// that match without Limit and Offset.
type QueryStore interface {
	DagQuery(ctx context.Context, p *DagQueryParams) ([]*Dag, int, error)
	// DagTagList returns the distinct tags of active DAGs, sorted.
	DagTagList(ctx context.Context) ([]string, error)
	DagRunQuery(ctx context.Context, p *DagRunQueryParams) ([]*DagRun, int, error)
	// DagRunDelete deletes a run with its task instances, tries and XCom,
	// or returns ErrNotFound.
	DagRunDelete(ctx context.Context, id int64) error
	TaskInstanceQuery(ctx context.Context, p *TaskInstanceQueryParams) ([]*TaskInstance, int, error)
	// DagVersionList returns a DAG's versions and how many there are.
	// Allowed OrderBy fields: version_number (the default), created_at.
	DagVersionList(ctx context.Context, dagID string, page Page) ([]*DagVersion, int, error)
	// DagVersionGetByNumber returns a DAG's version by its number, or
	// ErrNotFound.
	DagVersionGetByNumber(ctx context.Context, dagID string, number int) (*DagVersion, error)
	// TaskInstanceStates returns the state of every task instance of these
	// runs, ordered by run, task and map index: what a grid draws, without
	// the rest of each row.
	TaskInstanceStates(ctx context.Context, runPKs []int64) ([]TaskInstanceState, error)
}

// TaskInstanceState is a task instance's key and state.
type TaskInstanceState struct {
	RunPK    int64
	TaskID   string
	MapIndex int
	State    dag.TaskState
}
