package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/updraft-dev/updraft/internal/store"
)

const jobColumns = `id, hostname, pid, state, start_date, latest_heartbeat, end_date`

func scanJob(row pgx.Row) (*store.SchedulerJob, error) {
	var j store.SchedulerJob
	err := row.Scan(&j.ID, &j.Hostname, &j.PID, &j.State, &j.StartDate, &j.LatestHeartbeat, &j.EndDate)
	return &j, err
}

// SchedulerJobStart records a starting scheduler.
func (s *Store) SchedulerJobStart(ctx context.Context, p *store.SchedulerJobStartParams) (*store.SchedulerJob, error) {
	return queryOne(ctx, s.pool, scanJob, "new scheduler job", `INSERT INTO scheduler_job
		(hostname, pid, state, start_date, latest_heartbeat) VALUES ($1, $2, 'running', $3, $3) RETURNING `+jobColumns,
		p.Hostname, p.PID, p.At)
}

// SchedulerJobHeartbeat records that a running scheduler is alive.
func (s *Store) SchedulerJobHeartbeat(ctx context.Context, id int64, at time.Time) error {
	return execOne(ctx, s.pool, fmt.Sprintf("running scheduler job %d", id),
		`UPDATE scheduler_job SET latest_heartbeat = $2 WHERE id = $1 AND state = 'running'`, id, at)
}

// SchedulerJobEnd records a scheduler that stopped cleanly.
func (s *Store) SchedulerJobEnd(ctx context.Context, id int64, at time.Time) error {
	_, err := exec(ctx, s.pool, `UPDATE scheduler_job SET state = 'success', end_date = $2 WHERE id = $1 AND state = 'running'`,
		id, at)
	return err
}

// SchedulerJobFailStale declares dead the running jobs that stopped
// heartbeating, in one statement: a scheduler doing the same at once waits
// for each row's lock, then finds it no longer running and leaves it, so
// each job is declared dead once.
func (s *Store) SchedulerJobFailStale(ctx context.Context, before time.Time, except int64, at time.Time) ([]*store.SchedulerJob, error) {
	return queryAll(ctx, s.pool, scanJob, `UPDATE scheduler_job SET state = 'failed', end_date = $3
		WHERE state = 'running' AND latest_heartbeat < $1 AND id <> $2 RETURNING `+jobColumns, before, except, at)
}

// SchedulerJobFail declares one running job dead and reports whether it
// was running: of several callers at once, one gets true.
func (s *Store) SchedulerJobFail(ctx context.Context, id int64, at time.Time) (bool, error) {
	n, err := exec(ctx, s.pool, `UPDATE scheduler_job SET state = 'failed', end_date = $2 WHERE id = $1 AND state = 'running'`,
		id, at)
	return n > 0, err
}

// SchedulerJobList returns scheduler jobs, the latest started first.
func (s *Store) SchedulerJobList(ctx context.Context, runningOnly bool) ([]*store.SchedulerJob, error) {
	return queryAll(ctx, s.pool, scanJob, `SELECT `+jobColumns+` FROM scheduler_job WHERE state = 'running' OR NOT $1
		ORDER BY start_date DESC, id DESC`, runningOnly)
}
