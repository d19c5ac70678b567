package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/listorder"
)

// The API's lists: filters, an order from a fixed set, pages, and the
// number of rows that match. Every list counts and reads its page in one
// round trip, in one read-only REPEATABLE READ transaction, so the total
// and the page come from one snapshot.

var tiSort = listorder.TaskInstances("(ti.end_date - ti.start_date)")

// filter collects the conditions of a WHERE clause and their arguments.
type filter struct {
	conds []string
	args  argList
}

// in keeps rows whose col is one of values; nothing when values is empty.
// One value is an equality, for the planner's estimate of it.
func in[T ~string](f *filter, col string, values []T) {
	switch len(values) {
	case 0:
	case 1:
		f.conds = append(f.conds, col+" = "+f.args.add(string(values[0])))
	default:
		f.conds = append(f.conds, col+" = ANY("+f.args.add(strs(values))+"::text[])")
	}
}

// between keeps rows whose col is in r, both ends included.
func (f *filter) between(col string, r store.TimeRange) {
	if r.GTE != nil {
		f.conds = append(f.conds, col+" >= "+f.args.add(*r.GTE))
	}
	if r.LTE != nil {
		f.conds = append(f.conds, col+" <= "+f.args.add(*r.LTE))
	}
}

func (f *filter) where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

// queryPage counts the rows of countQ and reads the page of selectQ, both
// under f, ordered by order.
func queryPage[T any](ctx context.Context, s *Store, scan func(pgx.Row) (T, error),
	selectQ, countQ string, f *filter, order string, page store.Page) ([]T, int, error) {
	args := slices.Clone(f.args)
	q := selectQ + f.where() + " ORDER BY " + order + " LIMIT " + args.add(limitArg(page.Limit)) +
		" OFFSET " + args.add(max(page.Offset, 0))
	total := -1
	var out []T
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY`)
	if !page.NoCount {
		b.Queue(countQ+f.where(), f.args...).QueryRow(func(row pgx.Row) error { return row.Scan(&total) })
	}
	b.Queue(q, args...).Query(func(rows pgx.Rows) error {
		var err error
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
		return err
	})
	b.Queue(`COMMIT`)
	// A failed batch leaves its connection in the failed transaction: the
	// pool closes a connection it gets back in a transaction.
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, 0, classify(ctx, err)
	}
	return out, total, nil
}

// DagQuery lists DAGs.
func (s *Store) DagQuery(ctx context.Context, p *store.DagQueryParams) ([]*store.Dag, int, error) {
	order, err := listorder.Dags.OrderBy(p.OrderBy)
	if err != nil {
		return nil, 0, err
	}
	var f filter
	if !p.IncludeInactive {
		f.conds = append(f.conds, "is_active")
	}
	if p.Paused != nil {
		f.conds = append(f.conds, "is_paused = "+f.args.add(*p.Paused))
	}
	if p.DagIDPattern != "" {
		f.conds = append(f.conds, "dag_id ILIKE "+f.args.add(likePattern(p.DagIDPattern))+` ESCAPE '\'`)
	}
	in(&f, "dag_id", p.DagIDs)
	if len(p.Tags) > 0 {
		op := " && " // overlaps: any of them
		if p.TagsMatchAll {
			op = " @> " // contains: all of them
		}
		f.conds = append(f.conds, "tags"+op+f.args.add(p.Tags)+"::text[]")
	}
	return queryPage(ctx, s, scanDag, dagSelect, `SELECT count(*) FROM dag`, &f, order, p.Page)
}

// DagTagList returns the distinct tags of active DAGs, sorted.
func (s *Store) DagTagList(ctx context.Context) ([]string, error) {
	return queryAll(ctx, s.pool, func(row pgx.Row) (string, error) {
		var tag string
		err := row.Scan(&tag)
		return tag, err
	}, `SELECT DISTINCT unnest(tags) AS tag FROM dag WHERE is_active ORDER BY tag`)
}

// DagRunQuery lists runs. The indexes on (dag_id, logical_date), (state,
// dag_id), (dag_id, id) and (logical_date, id) serve the common filters and
// orders (003_query).
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
	return queryPage(ctx, s, scanRun, runSelect, `SELECT count(*) FROM dag_run`, &f, order, p.Page)
}

// DagRunDelete deletes a run; its task instances, tries and XCom go with
// it (ON DELETE CASCADE).
func (s *Store) DagRunDelete(ctx context.Context, id int64) error {
	return execOne(ctx, s.pool, fmt.Sprintf("dag run %d", id), `DELETE FROM dag_run WHERE id = $1`, id)
}

// TaskInstanceQuery lists task instances. A DAG's are the task instances
// of its runs, walked in id order (dag_run_dag_id) and counted in the index
// of runs and states (task_instance_run_state).
func (s *Store) TaskInstanceQuery(ctx context.Context, p *store.TaskInstanceQueryParams) ([]*store.TaskInstance, int, error) {
	order, err := tiSort.OrderBy(p.OrderBy)
	if err != nil {
		return nil, 0, err
	}
	var f filter
	in(&f, "r.dag_id", p.DagIDs)
	if p.RunPK != 0 {
		f.conds = append(f.conds, "ti.dag_run_id = "+f.args.add(p.RunPK))
	}
	if len(p.RunPKs) > 0 {
		f.conds = append(f.conds, "ti.dag_run_id = ANY("+f.args.add(p.RunPKs)+")")
	}
	in(&f, "ti.task_id", p.TaskIDs)
	if len(p.States) > 0 {
		f.conds = append(f.conds, stateCond("ti.state", p.States, f.args.add))
	}
	in(&f, "ti.pool", p.Pools)
	f.between("r.logical_date", p.LogicalDate)
	f.between("ti.start_date", p.StartDate)
	f.between("ti.end_date", p.EndDate)
	// Every task instance has its run: the count joins it only to filter.
	count := `SELECT count(*) FROM task_instance ti`
	if len(p.DagIDs) > 0 || p.LogicalDate != (store.TimeRange{}) {
		count += ` JOIN dag_run r ON r.id = ti.dag_run_id`
	}
	return queryPage(ctx, s, scanTI, tiSelect, count, &f, order, p.Page)
}

// DagVersionList returns a DAG's versions and how many there are.
func (s *Store) DagVersionList(ctx context.Context, dagID string, page store.Page) ([]*store.DagVersion, int, error) {
	order, err := listorder.Versions.OrderBy(page.OrderBy)
	if err != nil {
		return nil, 0, err
	}
	var f filter
	f.conds = append(f.conds, "dag_id = "+f.args.add(dagID))
	return queryPage(ctx, s, scanVersion, versionSelect, `SELECT count(*) FROM dag_version`, &f, order, page)
}

// DagVersionGetByNumber returns a DAG's version by its number.
func (s *Store) DagVersionGetByNumber(ctx context.Context, dagID string, number int) (*store.DagVersion, error) {
	return queryOne(ctx, s.pool, scanVersion, fmt.Sprintf("version %d of dag %s", number, dagID),
		versionSelect+` WHERE dag_id = $1 AND version_number = $2`, dagID, number)
}

// TaskInstanceStates returns the states of the runs' task instances.
func (s *Store) TaskInstanceStates(ctx context.Context, runPKs []int64) ([]store.TaskInstanceState, error) {
	if len(runPKs) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT dag_run_id, task_id, map_index, state FROM task_instance
		WHERE dag_run_id = ANY($1) ORDER BY dag_run_id, task_id, map_index`, runPKs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.TaskInstanceState
	for rows.Next() {
		var ts store.TaskInstanceState
		var state *string
		if err := rows.Scan(&ts.RunPK, &ts.TaskID, &ts.MapIndex, &state); err != nil {
			return nil, err
		}
		if state != nil {
			ts.State = dag.TaskState(*state)
		}
		out = append(out, ts)
	}
	return out, rows.Err()
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
