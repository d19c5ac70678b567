package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/updraft-dev/updraft/internal/store"
)

const runColumns = `id, dag_id, run_id, dag_version_id, state, run_type, logical_date, data_interval_start,
	data_interval_end, conf, queued_at, start_date, end_date, created_at, clear_number`

const runSelect = `SELECT ` + runColumns + ` FROM dag_run`

func scanRun(row pgx.Row) (*store.DagRun, error) {
	var r store.DagRun
	var conf []byte
	err := row.Scan(&r.ID, &r.DagID, &r.RunID, &r.VersionID, &r.State, &r.RunType, &r.LogicalDate,
		&r.DataInterval.Start, &r.DataInterval.End, &conf, &r.QueuedAt, &r.StartDate, &r.EndDate, &r.CreatedAt,
		&r.ClearNumber)
	if err != nil {
		return nil, err
	}
	r.Conf = conf
	return &r, nil
}

// DagRunCreate inserts the run and its task instances in one statement:
// one round trip, and all or nothing.
func (s *Store) DagRunCreate(ctx context.Context, p *store.DagRunCreateParams) (*store.DagRun, error) {
	conf := p.Conf
	if len(conf) == 0 {
		conf = json.RawMessage(`{}`)
	}
	n := len(p.Tasks)
	taskIDs, pools, executors := make([]string, n), make([]string, n), make([]string, n)
	mapIndexes, maxTries, slots, weights := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	for i, t := range p.Tasks {
		taskIDs[i], pools[i], executors[i] = t.TaskID, t.Pool, t.Executor
		mapIndexes[i], maxTries[i], slots[i], weights[i] = int32(t.MapIndex), int32(t.MaxTries), int32(t.PoolSlots), int32(t.PriorityWeight)
	}
	r, err := queryOne(ctx, s.pool, scanRun, "new dag run", `WITH r AS (
			INSERT INTO dag_run (dag_id, run_id, dag_version_id, state, run_type, logical_date, data_interval_start,
				data_interval_end, conf, queued_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *),
		ti AS (
			INSERT INTO task_instance (dag_run_id, task_id, map_index, max_tries, pool, pool_slots, priority_weight, executor)
			SELECT r.id, t.* FROM r, unnest($11::text[], $12::int[], $13::int[], $14::text[], $15::int[], $16::int[], $17::text[]) AS t)
		SELECT `+runColumns+` FROM r`,
		p.DagID, p.RunID, p.VersionID, p.State, p.RunType, p.LogicalDate, p.DataInterval.Start, p.DataInterval.End,
		conf, p.CreatedAt, taskIDs, mapIndexes, maxTries, pools, slots, weights, executors)
	if err != nil {
		return nil, fmt.Errorf("dag run %s/%s: %w", p.DagID, p.RunID, err)
	}
	return r, nil
}

// DagRunGet returns a run by DAG and run id.
func (s *Store) DagRunGet(ctx context.Context, dagID, runID string) (*store.DagRun, error) {
	return queryOne(ctx, s.pool, scanRun, "dag run "+dagID+"/"+runID, runSelect+` WHERE dag_id = $1 AND run_id = $2`, dagID, runID)
}

// DagRunGetByID returns a run by its primary key.
func (s *Store) DagRunGetByID(ctx context.Context, id int64) (*store.DagRun, error) {
	return queryOne(ctx, s.pool, scanRun, fmt.Sprintf("dag run %d", id), runSelect+` WHERE id = $1`, id)
}

// DagRunList lists runs. Only the filters given are in the statement, so
// the planner sees the query the caller means (a DAG's runs by its index).
func (s *Store) DagRunList(ctx context.Context, p *store.DagRunListParams) ([]*store.DagRun, error) {
	var where []string
	var args argList
	arg := args.add
	if p.DagID != "" {
		where = append(where, "dag_id = "+arg(p.DagID))
	}
	if len(p.States) > 0 {
		where = append(where, "state = ANY("+arg(strs(p.States))+"::text[])")
	}
	if p.RunType != "" {
		where = append(where, "run_type = "+arg(p.RunType))
	}
	if p.Before != nil {
		where = append(where, "logical_date < "+arg(*p.Before))
	}
	q := runSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if p.Desc {
		q += " ORDER BY logical_date DESC, id DESC"
	} else {
		q += " ORDER BY logical_date, id"
	}
	q += " LIMIT " + arg(limitArg(p.Limit)) + " OFFSET " + arg(p.Offset)
	return queryAll(ctx, s.pool, scanRun, q, args...)
}

// DagRunLatest returns the latest run of a type by logical date.
func (s *Store) DagRunLatest(ctx context.Context, dagID string, runType string) (*store.DagRun, error) {
	return queryOne(ctx, s.pool, scanRun, "latest "+runType+" run of "+dagID, runSelect+` WHERE dag_id = $1 AND run_type = $2
		ORDER BY logical_date DESC, id DESC LIMIT 1`, dagID, runType)
}

// DagRunCountActive counts queued and running runs of a DAG.
func (s *Store) DagRunCountActive(ctx context.Context, dagID string) (int, int, error) {
	var queued, running int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = 'running')
		FROM dag_run WHERE dag_id = $1 AND state IN ('queued', 'running')`, dagID).Scan(&queued, &running)
	return queued, running, classify(ctx, err)
}

// DagRunSetState changes a run's state under a guard. With MaxRunning it
// first locks the DAG's row, so the count of running runs it then reads
// cannot change before the commit: schedulers starting runs of one DAG at
// once take turns, and max_active_runs holds. Both statements go in one
// pipelined batch, one round trip, which PostgreSQL runs as one
// transaction; under READ COMMITTED each statement reads what was committed
// when it starts, so the count follows the lock.
func (s *Store) DagRunSetState(ctx context.Context, p *store.DagRunSetStateParams) (bool, error) {
	q := `UPDATE dag_run SET state = $2, start_date = COALESCE(start_date, $3), end_date = $4
		WHERE id = $1 AND ($5::text[] IS NULL OR state = ANY($5))`
	args := []any{p.ID, p.State, p.StartDate, p.EndDate, guardArg(p.From)}
	if p.MaxRunning > 0 {
		q += ` AND (SELECT count(*) FROM dag_run o WHERE o.dag_id = dag_run.dag_id AND o.state = 'running') < $6`
		args = append(args, p.MaxRunning)
	}
	var n int64
	err := retry(ctx, func() error {
		b := &pgx.Batch{}
		if p.MaxRunning > 0 {
			// NO KEY UPDATE: it does not hold back the foreign key checks
			// of runs being created meanwhile.
			b.Queue(`SELECT FROM dag WHERE dag_id = (SELECT dag_id FROM dag_run WHERE id = $1) FOR NO KEY UPDATE`, p.ID)
		}
		b.Queue(q, args...).Exec(func(tag pgconn.CommandTag) error {
			n = tag.RowsAffected()
			return nil
		})
		return s.pool.SendBatch(ctx, b).Close()
	})
	return n > 0, err
}
