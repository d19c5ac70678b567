package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/updraft-dev/updraft/internal/store"
)

// applySQL is one guarded change of a task instance, with the try's history
// and return value written only when the change applied (they read the
// UPDATE's RETURNING). It is one text for every change, fields left nil
// keeping their column: one prepared statement that pgx caches per
// connection, whatever the change sets. Under READ COMMITTED the guard is
// checked on the row's latest version after waiting for its lock, so two
// schedulers never both move a task instance out of one state.
const applySQL = `WITH u AS (
		UPDATE task_instance SET
			state = $4,
			try_number = try_number + $5,
			queued_at = COALESCE($6, queued_at),
			start_date = COALESCE($7, start_date),
			end_date = CASE WHEN $8::timestamptz IS NOT NULL THEN $8 WHEN $9 THEN NULL ELSE end_date END,
			next_retry_at = CASE WHEN $10::timestamptz IS NOT NULL THEN $10
				WHEN $4::text IS DISTINCT FROM 'up_for_retry' THEN NULL ELSE next_retry_at END,
			hostname = COALESCE($11, hostname),
			pid = COALESCE($12, pid),
			queued_by_job_id = COALESCE($13, queued_by_job_id),
			exit_code = COALESCE($14, exit_code),
			reason = COALESCE($15, reason),
			rendered = COALESCE($16, rendered)
		WHERE dag_run_id = $1 AND task_id = $2 AND map_index = $3
			AND ($17::text[] IS NULL OR state = ANY($17) OR ($18 AND state IS NULL))
			AND ($19 = 0 OR try_number = $19)
		RETURNING dag_run_id, task_id, map_index, try_number, state, start_date, end_date, hostname, pid, exit_code, reason),
	h AS (
		INSERT INTO task_instance_history (dag_run_id, task_id, map_index, try_number, state, start_date, end_date,
			hostname, pid, exit_code, reason)
		SELECT * FROM u WHERE $20
		ON CONFLICT (dag_run_id, task_id, map_index, try_number) DO UPDATE SET state = excluded.state,
			start_date = excluded.start_date, end_date = excluded.end_date, hostname = excluded.hostname,
			pid = excluded.pid, exit_code = excluded.exit_code, reason = excluded.reason),
	x AS (
		INSERT INTO xcom (dag_run_id, task_id, map_index, key, value, timestamp)
		SELECT dag_run_id, task_id, map_index, 'return_value', $21::json, now() FROM u WHERE $21::json IS NOT NULL
		ON CONFLICT (dag_run_id, task_id, map_index, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp),
	d AS (
		DELETE FROM xcom WHERE $22 AND (dag_run_id, task_id, map_index) IN (SELECT dag_run_id, task_id, map_index FROM u))
	SELECT count(*) FROM u`

// TaskInstanceApply applies guarded changes as one pipelined batch: one
// round trip for the whole batch, which PostgreSQL runs as one transaction,
// each change seeing the ones before it. A batch that deadlocked with
// another scheduler's is aborted whole and sent again.
func (s *Store) TaskInstanceApply(ctx context.Context, changes []*store.TaskInstanceChange) ([]bool, error) {
	if len(changes) == 0 {
		return []bool{}, nil
	}
	var applied []bool
	err := retry(ctx, func() error {
		var err error
		applied, err = applyChanges(ctx, s.pool, changes)
		return err
	})
	return applied, err
}

// applyChanges sends the changes in one batch on q, the pool or the
// dispatch's transaction, and reports for each whether it applied.
func applyChanges(ctx context.Context, q querier, changes []*store.TaskInstanceChange) ([]bool, error) {
	applied := make([]bool, len(changes))
	b := &pgx.Batch{}
	for i, c := range changes {
		// One statement cannot both delete and upsert the same rows.
		if c.ClearXCom && c.XCom != nil {
			return nil, fmt.Errorf("task instance %s[%d] of run %d: a change cannot both clear and store XCom", c.TaskID, c.MapIndex, c.RunPK)
		}
		from, fromNone := taskGuardArgs(c.From)
		b.Queue(applySQL, c.RunPK, c.TaskID, c.MapIndex, stateArg(c.State), c.TryDelta, c.QueuedAt, c.StartDate,
			c.EndDate, c.ClearEndDate, c.NextRetryAt, c.Hostname, c.PID, c.QueuedByJob, c.ExitCode, c.Reason, c.Rendered,
			from, fromNone, c.Try, c.RecordTry, c.XCom, c.ClearXCom).
			QueryRow(func(row pgx.Row) error {
				var n int
				if err := row.Scan(&n); err != nil {
					return fmt.Errorf("task instance %s[%d] of run %d: %w", c.TaskID, c.MapIndex, c.RunPK, err)
				}
				applied[i] = n > 0
				return nil
			})
	}
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return applied, nil
}
