package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/listorder"
)

// The API's lists: filters, an order from a fixed set, pages, and the
// number of rows that match. Every list counts and reads its page in one
// read transaction, so the total and the page come from one snapshot.

// tiDuration is end_date - start_date in microseconds, exactly: times are
// fixed-width text, whole seconds through strftime and the microseconds
// from the text (a float of julianday would round ties apart). NULL when
// either is.
const tiDuration = `((CAST(strftime('%s', ti.end_date) AS INTEGER) - CAST(strftime('%s', ti.start_date) AS INTEGER)) * 1000000
	+ CAST(substr(ti.end_date, 21, 6) AS INTEGER) - CAST(substr(ti.start_date, 21, 6) AS INTEGER))`

var tiSort = listorder.TaskInstances(tiDuration)

// filter collects the conditions of a WHERE clause and their arguments.
type filter struct {
	conds []string
	args  []any
}

func (f *filter) add(cond string, args ...any) {
	f.conds = append(f.conds, cond)
	f.args = append(f.args, args...)
}

// in keeps rows whose col is one of values; nothing when values is empty.
func in[T ~string](f *filter, col string, values []T) {
	if len(values) == 0 {
		return
	}
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = string(v)
	}
	f.add(col+" IN ("+placeholders(len(values))+")", args...)
}

// between keeps rows whose col is in r, both ends included.
func (f *filter) between(col string, r store.TimeRange) {
	if r.GTE != nil {
		f.add(col+" >= ?", fmtTime(*r.GTE))
	}
	if r.LTE != nil {
		f.add(col+" <= ?", fmtTime(*r.LTE))
	}
}

func (f *filter) where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

// queryPage counts the rows of countQ and reads the page of selectQ, both
// under f, ordered by order, in one read transaction.
func queryPage[T any](ctx context.Context, s *Store, scan func(interface{ Scan(...any) error }) (T, error),
	selectQ, countQ string, f *filter, order string, page store.Page) ([]T, int, error) {
	return queryPageKeys(ctx, s, scan, selectQ, countQ, f, order, page, "", "")
}

// queryPageKeys is queryPage that, when keys and from are set, picks the
// page's keys first (SELECT keys FROM from, filtered, ordered, limited)
// and only then reads those rows whole: with a filter an index answers and
// an order it holds, the page costs its own rows, not a lookup of every
// match before the sort.
func queryPageKeys[T any](ctx context.Context, s *Store, scan func(interface{ Scan(...any) error }) (T, error),
	selectQ, countQ string, f *filter, order string, page store.Page, keys, from string) ([]T, int, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = tx.Rollback() }()
	total := -1
	offset := max(page.Offset, 0)
	if !page.NoCount {
		if err := tx.QueryRowContext(ctx, countQ+f.where(), f.args...).Scan(&total); err != nil {
			return nil, 0, err
		}
		if offset >= total {
			return nil, total, nil
		}
	}
	q := selectQ + f.where() + " ORDER BY " + order
	args := f.args
	if page.Limit > 0 || offset > 0 {
		// -1 is SQLite's "no limit": an offset alone still skips rows.
		limit := page.Limit
		if limit <= 0 {
			limit = -1
		}
		if keys != "" {
			q = selectQ + " WHERE (" + keys + ") IN (SELECT " + keys + " FROM " + from + f.where() +
				" ORDER BY " + order + " LIMIT ? OFFSET ?) ORDER BY " + order
		} else {
			q += " LIMIT ? OFFSET ?"
		}
		args = append(slices.Clip(args), limit, offset)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, rows.Err()
}

// DagQuery lists DAGs.
func (s *Store) DagQuery(ctx context.Context, p *store.DagQueryParams) ([]*store.Dag, int, error) {
	order, err := listorder.Dags.OrderBy(p.OrderBy)
	if err != nil {
		return nil, 0, err
	}
	var f filter
	if !p.IncludeInactive {
		f.add("is_active = 1")
	}
	if p.Paused != nil {
		f.add("is_paused = ?", *p.Paused)
	}
	if p.DagIDPattern != "" {
		// LIKE ignores the case of ASCII letters by default.
		f.add(`dag_id LIKE ? ESCAPE '\'`, likePattern(p.DagIDPattern))
	}
	in(&f, "dag_id", p.DagIDs)
	if tags := distinct(p.Tags); len(tags) > 0 {
		args := make([]any, 0, len(tags)+1)
		for _, t := range tags {
			args = append(args, t)
		}
		match := `FROM json_each(dag.tags) j WHERE j.value IN (` + placeholders(len(tags)) + `)`
		if p.TagsMatchAll {
			f.add(`(SELECT COUNT(DISTINCT j.value) `+match+`) = ?`, append(args, len(tags))...)
		} else {
			f.add(`EXISTS (SELECT 1 `+match+`)`, args...)
		}
	}
	return queryPage(ctx, s, scanDag, dagSelect, `SELECT COUNT(*) FROM dag`, &f, order, p.Page)
}

// DagTagList returns the distinct tags of active DAGs, sorted.
func (s *Store) DagTagList(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT j.value FROM dag, json_each(dag.tags) j
		WHERE dag.is_active = 1 ORDER BY j.value`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var tag string
		if err := rows.Scan(&tag); err != nil {
			return nil, err
		}
		out = append(out, tag)
	}
	return out, rows.Err()
}

// DagRunQuery lists runs. The indexes on (dag_id, state), (dag_id,
// logical_date), (state) and (logical_date) serve the common filters and
// orders (004_query).
func (s *Store) DagRunQuery(ctx context.Context, p *store.DagRunQueryParams) ([]*store.DagRun, int, error) {
	order, err := listorder.Runs.OrderBy(p.OrderBy)
	if err != nil {
		return nil, 0, err
	}
	var f filter
	in(&f, "dag_id", p.DagIDs)
	in(&f, "state", p.States)
	in(&f, "run_type", p.RunTypes)
	f.between("logical_date", p.LogicalDate)
	f.between("start_date", p.StartDate)
	f.between("end_date", p.EndDate)
	return queryPage(ctx, s, scanRun, runSelect, `SELECT COUNT(*) FROM dag_run`, &f, order, p.Page)
}

// DagRunDelete deletes a run; its task instances, tries and XCom go with
// it (ON DELETE CASCADE).
func (s *Store) DagRunDelete(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM dag_run WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return requireOne(res, fmt.Sprintf("dag run %d", id))
}

// TaskInstanceQuery lists task instances.
func (s *Store) TaskInstanceQuery(ctx context.Context, p *store.TaskInstanceQueryParams) ([]*store.TaskInstance, int, error) {
	order, err := tiSort.OrderBy(p.OrderBy)
	if err != nil {
		return nil, 0, err
	}
	// The runs asked for are the way in: the ids of a DAG's runs come
	// off an index of dag_run, sorted, and their task instances off the
	// primary key in its order, so the count needs no join and the first
	// page no sort. Without statistics SQLite would rather walk the state
	// index, which for a common state holds most of the table: with runs
	// to start from, the state is only checked (the unary +).
	var runs filter
	in(&runs, "dag_id", p.DagIDs)
	runs.between("logical_date", p.LogicalDate)
	var f filter
	if len(runs.conds) > 0 {
		f.add("ti.dag_run_id IN (SELECT id FROM dag_run"+runs.where()+")", runs.args...)
	}
	if p.RunPK != 0 {
		f.add("ti.dag_run_id = ?", p.RunPK)
	}
	if len(p.RunPKs) > 0 {
		args := make([]any, len(p.RunPKs))
		for i, id := range p.RunPKs {
			args[i] = id
		}
		f.add("ti.dag_run_id IN ("+placeholders(len(args))+")", args...)
	}
	in(&f, "ti.task_id", p.TaskIDs)
	if len(p.States) > 0 {
		cond, args := stateIn(p.States)
		col := "ti.state"
		if len(runs.conds) > 0 || p.RunPK != 0 || len(p.RunPKs) > 0 {
			col = "+ti.state"
		}
		f.add(strings.ReplaceAll(cond, "state", col), args...)
	}
	in(&f, "ti.pool", p.Pools)
	f.between("ti.start_date", p.StartDate)
	f.between("ti.end_date", p.EndDate)
	keys, from := "", ""
	if !strings.Contains(order, "r.") {
		// Ordered by the task instance's own columns: its page's keys come
		// off an index alone.
		keys, from = "ti.dag_run_id, ti.task_id, ti.map_index", "task_instance ti"
	}
	return queryPageKeys(ctx, s, scanTI, tiSelect, `SELECT COUNT(*) FROM task_instance ti`, &f, order, p.Page, keys, from)
}

// DagVersionList returns a DAG's versions and how many there are.
func (s *Store) DagVersionList(ctx context.Context, dagID string, page store.Page) ([]*store.DagVersion, int, error) {
	order, err := listorder.Versions.OrderBy(page.OrderBy)
	if err != nil {
		return nil, 0, err
	}
	var f filter
	f.add("dag_id = ?", dagID)
	return queryPage(ctx, s, scanVersion, versionSelect, `SELECT COUNT(*) FROM dag_version`, &f, order, page)
}

// DagVersionGetByNumber returns a DAG's version by its number.
func (s *Store) DagVersionGetByNumber(ctx context.Context, dagID string, number int) (*store.DagVersion, error) {
	v, err := scanVersion(s.r.QueryRowContext(ctx, versionSelect+` WHERE dag_id = ? AND version_number = ?`, dagID, number))
	return v, notFound(err, fmt.Sprintf("version %d of dag %s", number, dagID))
}

// TaskInstanceStates returns the states of the runs' task instances.
func (s *Store) TaskInstanceStates(ctx context.Context, runPKs []int64) ([]store.TaskInstanceState, error) {
	if len(runPKs) == 0 {
		return nil, nil
	}
	args := make([]any, len(runPKs))
	for i, id := range runPKs {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, `SELECT dag_run_id, task_id, map_index, state FROM task_instance
		WHERE dag_run_id IN (`+placeholders(len(args))+`) ORDER BY dag_run_id, task_id, map_index`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.TaskInstanceState
	for rows.Next() {
		var ts store.TaskInstanceState
		var state sql.NullString
		if err := rows.Scan(&ts.RunPK, &ts.TaskID, &ts.MapIndex, &state); err != nil {
			return nil, err
		}
		ts.State = dag.TaskState(state.String)
		out = append(out, ts)
	}
	return out, rows.Err()
}

// distinct returns the values without repeats, in their first order.
func distinct(values []string) []string {
	var out []string
	for _, v := range values {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// likePattern takes a backslash that ends a pattern, escaping nothing, as
// a literal one, where PostgreSQL would refuse the pattern and SQLite
// match nothing.
func likePattern(p string) string {
	n := len(p) - len(strings.TrimRight(p, `\`))
	if n%2 == 1 {
		return p + `\`
	}
	return p
}
