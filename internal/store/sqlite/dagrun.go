package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/updraft-dev/updraft/internal/store"
)

// DagRunCreate inserts the run and its task instances in one transaction.
func (s *Store) DagRunCreate(ctx context.Context, p *store.DagRunCreateParams) (*store.DagRun, error) {
	conf := string(p.Conf)
	if conf == "" {
		conf = "{}"
	}
	created := fmtTime(p.CreatedAt)
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO dag_run (dag_id, run_id, dag_version_id, state, run_type, logical_date,
			data_interval_start, data_interval_end, conf, queued_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.DagID, p.RunID, p.VersionID, p.State, p.RunType, fmtTime(p.LogicalDate),
			fmtTime(p.DataInterval.Start), fmtTime(p.DataInterval.End), conf, created, created)
		if isConstraint(err) {
			return fmt.Errorf("dag run %s/%s: %w", p.DagID, p.RunID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO task_instance (dag_run_id, task_id, map_index, max_tries, pool,
			pool_slots, priority_weight, executor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, t := range p.Tasks {
			if _, err := stmt.ExecContext(ctx, id, t.TaskID, t.MapIndex, t.MaxTries, t.Pool, t.PoolSlots, t.PriorityWeight, t.Executor); err != nil {
				return fmt.Errorf("task instance %s: %w", t.TaskID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.DagRunGetByID(ctx, id)
}

const runSelect = `SELECT id, dag_id, run_id, dag_version_id, state, run_type, logical_date, data_interval_start,
	data_interval_end, conf, queued_at, start_date, end_date, created_at, clear_number FROM dag_run`

func scanRun(row interface{ Scan(...any) error }) (*store.DagRun, error) {
	var r store.DagRun
	var conf string
	err := row.Scan(&r.ID, &r.DagID, &r.RunID, &r.VersionID, &r.State, &r.RunType, timeCol{&r.LogicalDate},
		timeCol{&r.DataInterval.Start}, timeCol{&r.DataInterval.End}, &conf, optTimeCol{&r.QueuedAt},
		optTimeCol{&r.StartDate}, optTimeCol{&r.EndDate}, timeCol{&r.CreatedAt}, &r.ClearNumber)
	if err != nil {
		return nil, err
	}
	r.Conf = []byte(conf)
	return &r, nil
}

// DagRunGet returns a run by DAG and run id.
func (s *Store) DagRunGet(ctx context.Context, dagID, runID string) (*store.DagRun, error) {
	r, err := scanRun(s.r.QueryRowContext(ctx, runSelect+` WHERE dag_id = ? AND run_id = ?`, dagID, runID))
	return r, notFound(err, "dag run "+dagID+"/"+runID)
}

// DagRunGetByID returns a run by its primary key.
func (s *Store) DagRunGetByID(ctx context.Context, id int64) (*store.DagRun, error) {
	// Read through the writer so a caller sees the row it has just written.
	r, err := scanRun(s.wqueryRow(ctx, runSelect+` WHERE id = ?`, id))
	return r, notFound(err, fmt.Sprintf("dag run %d", id))
}

// DagRunList lists runs.
func (s *Store) DagRunList(ctx context.Context, p *store.DagRunListParams) ([]*store.DagRun, error) {
	var where []string
	var args []any
	if p.DagID != "" {
		where = append(where, "dag_id = ?")
		args = append(args, p.DagID)
	}
	if len(p.States) > 0 {
		where = append(where, "state IN ("+placeholders(len(p.States))+")")
		for _, st := range p.States {
			args = append(args, st)
		}
	}
	if p.RunType != "" {
		where = append(where, "run_type = ?")
		args = append(args, p.RunType)
	}
	if p.Before != nil {
		where = append(where, "logical_date < ?")
		args = append(args, fmtTime(*p.Before))
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
	if p.Limit > 0 || p.Offset > 0 {
		// SQLite has no OFFSET without LIMIT; -1 is its "no limit", so an
		// offset alone still skips rows instead of being dropped.
		limit := p.Limit
		if limit <= 0 {
			limit = -1
		}
		q += " LIMIT ? OFFSET ?"
		args = append(args, limit, p.Offset)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.DagRun
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DagRunLatest returns the latest run of a type by logical date.
func (s *Store) DagRunLatest(ctx context.Context, dagID string, runType string) (*store.DagRun, error) {
	r, err := scanRun(s.wqueryRow(ctx, runSelect+` WHERE dag_id = ? AND run_type = ?
		ORDER BY logical_date DESC, id DESC LIMIT 1`, dagID, runType))
	return r, notFound(err, "latest "+runType+" run of "+dagID)
}

// DagRunCountActive counts queued and running runs of a DAG.
func (s *Store) DagRunCountActive(ctx context.Context, dagID string) (int, int, error) {
	var queued, running int
	err := s.wqueryRow(ctx, `SELECT COALESCE(SUM(state = 'queued'), 0), COALESCE(SUM(state = 'running'), 0)
		FROM dag_run WHERE dag_id = ? AND state IN ('queued', 'running')`, dagID).Scan(&queued, &running)
	return queued, running, err
}

// DagRunSetState changes a run's state under a guard.
func (s *Store) DagRunSetState(ctx context.Context, p *store.DagRunSetStateParams) (bool, error) {
	q := `UPDATE dag_run SET state = ?, start_date = COALESCE(start_date, ?), end_date = ? WHERE id = ?`
	args := []any{p.State, nullTime(p.StartDate), nullTime(p.EndDate), p.ID}
	if len(p.From) > 0 {
		q += " AND state IN (" + placeholders(len(p.From)) + ")"
		for _, st := range p.From {
			args = append(args, st)
		}
	}
	if p.MaxRunning > 0 {
		// One statement on the only writer: the count cannot change
		// between the check and the update.
		q += ` AND (SELECT COUNT(*) FROM dag_run o WHERE o.dag_id = dag_run.dag_id AND o.state = 'running') < ?`
		args = append(args, p.MaxRunning)
	}
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
