package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
)

const jobSelect = `SELECT id, hostname, pid, state, start_date, latest_heartbeat, end_date FROM scheduler_job`

func scanJob(row interface{ Scan(...any) error }) (*store.SchedulerJob, error) {
	var j store.SchedulerJob
	err := row.Scan(&j.ID, &j.Hostname, &j.PID, &j.State, timeCol{&j.StartDate}, timeCol{&j.LatestHeartbeat},
		optTimeCol{&j.EndDate})
	return &j, err
}

func collectJobs(rows *sql.Rows, err error) ([]*store.SchedulerJob, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.SchedulerJob
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// SchedulerJobStart records a starting scheduler.
func (s *Store) SchedulerJobStart(ctx context.Context, p *store.SchedulerJobStartParams) (*store.SchedulerJob, error) {
	at := fmtTime(p.At)
	return scanJob(s.w.QueryRowContext(ctx, `INSERT INTO scheduler_job (hostname, pid, state, start_date, latest_heartbeat)
		VALUES (?, ?, 'running', ?, ?) RETURNING id, hostname, pid, state, start_date, latest_heartbeat, end_date`,
		p.Hostname, p.PID, at, at))
}

// SchedulerJobHeartbeat records that a running scheduler is alive.
func (s *Store) SchedulerJobHeartbeat(ctx context.Context, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE scheduler_job SET latest_heartbeat = ? WHERE id = ? AND state = 'running'`,
		fmtTime(at), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return cmp.Or(err, fmt.Errorf("running scheduler job %d: %w", id, store.ErrNotFound))
	}
	return nil
}

// SchedulerJobEnd records a scheduler that stopped cleanly.
func (s *Store) SchedulerJobEnd(ctx context.Context, id int64, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE scheduler_job SET state = 'success', end_date = ? WHERE id = ? AND state = 'running'`,
		fmtTime(at), id)
	return err
}

// SchedulerJobFailStale declares dead the running jobs that stopped
// heartbeating; one statement, so each is declared once.
func (s *Store) SchedulerJobFailStale(ctx context.Context, before time.Time, except int64, at time.Time) ([]*store.SchedulerJob, error) {
	return collectJobs(s.w.QueryContext(ctx, `UPDATE scheduler_job SET state = 'failed', end_date = ?
		WHERE state = 'running' AND latest_heartbeat < ? AND id <> ?
		RETURNING id, hostname, pid, state, start_date, latest_heartbeat, end_date`, fmtTime(at), fmtTime(before), except))
}

// SchedulerJobFail declares one running job dead.
func (s *Store) SchedulerJobFail(ctx context.Context, id int64, at time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE scheduler_job SET state = 'failed', end_date = ? WHERE id = ? AND state = 'running'`,
		fmtTime(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// SchedulerJobList returns scheduler jobs, the latest started first.
func (s *Store) SchedulerJobList(ctx context.Context, runningOnly bool) ([]*store.SchedulerJob, error) {
	q := jobSelect
	if runningOnly {
		q += ` WHERE state = 'running'`
	}
	return collectJobs(s.r.QueryContext(ctx, q+` ORDER BY start_date DESC, id DESC`))
}
