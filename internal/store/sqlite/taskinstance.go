package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

const tiSelect = `SELECT ti.dag_run_id, r.dag_id, r.run_id, ti.task_id, ti.map_index, ti.try_number, ti.max_tries,
	ti.state, ti.pool, ti.pool_slots, ti.priority_weight, ti.executor, ti.queued_at, ti.start_date, ti.end_date,
	ti.next_retry_at, ti.hostname, ti.pid, ti.queued_by_job_id, ti.exit_code, ti.reason, ti.rendered, r.logical_date,
	r.dag_version_id
	FROM task_instance ti JOIN dag_run r ON r.id = ti.dag_run_id`

func scanTI(row interface{ Scan(...any) error }) (*store.TaskInstance, error) {
	var ti store.TaskInstance
	var state, rendered sql.NullString
	var exit sql.NullInt64
	err := row.Scan(&ti.RunPK, &ti.DagID, &ti.RunID, &ti.TaskID, &ti.MapIndex, &ti.TryNumber, &ti.MaxTries,
		&state, &ti.Pool, &ti.PoolSlots, &ti.PriorityWeight, &ti.Executor, optTimeCol{&ti.QueuedAt},
		optTimeCol{&ti.StartDate}, optTimeCol{&ti.EndDate}, optTimeCol{&ti.NextRetryAt}, &ti.Hostname, &ti.PID,
		&ti.QueuedByJob, &exit, &ti.Reason, &rendered, timeCol{&ti.LogicalDate}, &ti.VersionID)
	if err != nil {
		return nil, err
	}
	ti.State = dag.TaskState(state.String)
	if exit.Valid {
		c := int(exit.Int64)
		ti.ExitCode = &c
	}
	if rendered.Valid {
		ti.Rendered = []byte(rendered.String)
	}
	return &ti, nil
}

func collectTIs(rows *sql.Rows, err error) ([]*store.TaskInstance, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.TaskInstance
	for rows.Next() {
		ti, err := scanTI(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ti)
	}
	return out, rows.Err()
}

// stateArg stores the none state as NULL.
func stateArg(s dag.TaskState) any {
	if s == dag.TaskNone {
		return nil
	}
	return string(s)
}

// stateIn renders a condition on ti.state for a list of states that may
// include none.
func stateIn(states []dag.TaskState) (string, []any) {
	var args []any
	hasNone := false
	for _, s := range states {
		if s == dag.TaskNone {
			hasNone = true
			continue
		}
		args = append(args, string(s))
	}
	var parts []string
	if len(args) > 0 {
		parts = append(parts, "state IN ("+placeholders(len(args))+")")
	}
	if hasNone {
		parts = append(parts, "state IS NULL")
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// TaskInstanceGet returns one task instance.
func (s *Store) TaskInstanceGet(ctx context.Context, runID int64, taskID string, mapIndex int) (*store.TaskInstance, error) {
	ti, err := scanTI(s.wqueryRow(ctx, tiSelect+` WHERE ti.dag_run_id = ? AND ti.task_id = ? AND ti.map_index = ?`,
		runID, taskID, mapIndex))
	return ti, notFound(err, fmt.Sprintf("task instance %s of run %d", taskID, runID))
}

// TaskInstanceListByRun returns a run's task instances. It reads through the
// writer connection: the scheduler decides from it right after writing.
func (s *Store) TaskInstanceListByRun(ctx context.Context, runID int64, taskIDs []string) ([]*store.TaskInstance, error) {
	q := tiSelect + ` WHERE ti.dag_run_id = ?`
	args := []any{runID}
	if taskIDs == nil {
		return collectTIs(s.wquery(ctx, q, args...))
	}
	if len(taskIDs) == 0 {
		return nil, nil
	}
	q += ` AND ti.task_id IN (` + placeholders(len(taskIDs)) + `)`
	for _, id := range taskIDs {
		args = append(args, id)
	}
	// Not through the statement cache: the list's length varies without
	// bound, and each length is a statement of its own.
	return collectTIs(s.w.QueryContext(ctx, q, args...))
}

// TaskInstanceListByRunState returns a run's task instances in states.
func (s *Store) TaskInstanceListByRunState(ctx context.Context, runID int64, states []dag.TaskState) ([]*store.TaskInstance, error) {
	if len(states) == 0 {
		return nil, nil
	}
	cond, args := stateIn(states)
	q := tiSelect + ` WHERE ti.dag_run_id = ? AND ` + strings.ReplaceAll(cond, "state", "ti.state")
	return collectTIs(s.wquery(ctx, q, append([]any{runID}, args...)...))
}

// TaskInstanceListByState returns task instances in states across runs,
// highest priority first.
func (s *Store) TaskInstanceListByState(ctx context.Context, p *store.TaskInstanceListParams) ([]*store.TaskInstance, error) {
	states, limit, offset := p.States, p.Limit, p.Offset
	if len(states) == 0 {
		// No state given matches no task instance; stateIn would render
		// "()", a syntax error.
		return nil, nil
	}
	cond, args := stateIn(states)
	q := tiSelect + ` WHERE ` + strings.ReplaceAll(cond, "state", "ti.state")
	if p.RunningRuns {
		q += ` AND r.state = 'running'`
	}
	for col, values := range map[string][]string{"r.dag_id": p.ExcludeDags, "ti.pool": p.ExcludePools} {
		if len(values) > 0 {
			q += ` AND ` + col + ` NOT IN (` + placeholders(len(values)) + `)`
			for _, v := range values {
				args = append(args, v)
			}
		}
	}
	if p.Orphaned {
		q += ` AND ti.queued_by_job_id NOT IN (SELECT id FROM scheduler_job WHERE state = 'running')`
	}
	if p.QueuedByJob != 0 {
		q += ` AND ti.queued_by_job_id = ?`
		args = append(args, p.QueuedByJob)
	}
	q += ` ORDER BY ti.priority_weight DESC, ti.dag_run_id, ti.task_id`
	if limit > 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, limit, offset)
	} else if offset > 0 {
		q += ` LIMIT -1 OFFSET ?`
		args = append(args, offset)
	}
	if len(p.ExcludeDags)+len(p.ExcludePools) > 0 {
		// Exclusion lists vary in length: not for the statement cache.
		return collectTIs(s.w.QueryContext(ctx, q, args...))
	}
	return collectTIs(s.wquery(ctx, q, args...))
}

// TaskInstanceCountActive counts queued and running task instances.
func (s *Store) TaskInstanceCountActive(ctx context.Context) (*store.ActiveCounts, error) {
	rows, err := s.wquery(ctx, `SELECT ti.pool, r.dag_id, SUM(ti.pool_slots), COUNT(*)
		FROM task_instance ti JOIN dag_run r ON r.id = ti.dag_run_id
		WHERE ti.state IN ('queued', 'running') GROUP BY ti.pool, r.dag_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c := &store.ActiveCounts{PoolSlots: map[string]int{}, Dag: map[string]int{}}
	for rows.Next() {
		var pool, dagID string
		var slots, n int
		if err := rows.Scan(&pool, &dagID, &slots, &n); err != nil {
			return nil, err
		}
		c.PoolSlots[pool] += slots
		c.Dag[dagID] += n
	}
	return c, rows.Err()
}

// TaskInstanceCountByState counts a run's task instances per state.
func (s *Store) TaskInstanceCountByState(ctx context.Context, runID int64) (map[dag.TaskState]int, error) {
	rows, err := s.wquery(ctx, `SELECT COALESCE(state, ''), COUNT(*) FROM task_instance WHERE dag_run_id = ? GROUP BY state`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[dag.TaskState]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[dag.TaskState(st)] = n
	}
	return out, rows.Err()
}

// TaskInstanceHasUnfinished looks for one unfinished task instance through
// the state index, so the answer costs a few index probes, not a scan of
// the run.
func (s *Store) TaskInstanceHasUnfinished(ctx context.Context, runID int64) (bool, error) {
	var unfinished []any
	for _, st := range dag.TaskStates() {
		if !st.Finished() {
			unfinished = append(unfinished, string(st))
		}
	}
	var found bool
	// INDEXED BY: without statistics SQLite prefers the primary key's
	// dag_run_id prefix, which reads every task instance of the run.
	err := s.wqueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM task_instance INDEXED BY task_instance_state WHERE state IS NULL AND dag_run_id = ?)
		OR EXISTS (SELECT 1 FROM task_instance INDEXED BY task_instance_state WHERE state IN (`+placeholders(len(unfinished))+`) AND dag_run_id = ?)`,
		append(append([]any{runID}, unfinished...), runID)...).Scan(&found)
	return found, err
}

// TaskInstanceApply applies guarded changes in one transaction: one commit
// for a whole batch of executor events is what lets the scheduler keep up
// with a thousand task state changes a second on SQLite.
func (s *Store) TaskInstanceApply(ctx context.Context, changes []*store.TaskInstanceChange) ([]bool, error) {
	applied := make([]bool, len(changes))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for i, c := range changes {
			ok, err := s.applyChange(ctx, tx, c)
			if err != nil {
				return fmt.Errorf("task instance %s of run %d: %w", c.TaskID, c.RunPK, err)
			}
			applied[i] = ok
		}
		return nil
	})
	return applied, err
}

func (s *Store) applyChange(ctx context.Context, tx *sql.Tx, c *store.TaskInstanceChange) (bool, error) {
	if c.ClearXCom && c.XCom != nil {
		return false, errors.New("a change cannot both clear and store XCom")
	}
	sets := []string{"state = ?"}
	args := []any{stateArg(c.State)}
	if c.TryDelta != 0 {
		sets = append(sets, "try_number = try_number + ?")
		args = append(args, c.TryDelta)
	}
	add := func(col string, v any) {
		sets = append(sets, col+" = ?")
		args = append(args, v)
	}
	if c.QueuedAt != nil {
		add("queued_at", fmtTime(*c.QueuedAt))
	}
	if c.StartDate != nil {
		add("start_date", fmtTime(*c.StartDate))
	}
	if c.EndDate != nil {
		add("end_date", fmtTime(*c.EndDate))
	} else if c.ClearEndDate {
		sets = append(sets, "end_date = NULL")
	}
	if c.NextRetryAt != nil {
		add("next_retry_at", fmtTime(*c.NextRetryAt))
	} else if c.State != dag.TaskUpForRetry {
		sets = append(sets, "next_retry_at = NULL")
	}
	if c.Hostname != nil {
		add("hostname", *c.Hostname)
	}
	if c.PID != nil {
		add("pid", *c.PID)
	}
	if c.QueuedByJob != nil {
		add("queued_by_job_id", *c.QueuedByJob)
	}
	if c.ExitCode != nil {
		add("exit_code", *c.ExitCode)
	}
	if c.Reason != nil {
		add("reason", *c.Reason)
	}
	if c.Rendered != nil {
		add("rendered", string(c.Rendered))
	}
	q := `UPDATE task_instance SET ` + strings.Join(sets, ", ") + ` WHERE dag_run_id = ? AND task_id = ? AND map_index = ?`
	args = append(args, c.RunPK, c.TaskID, c.MapIndex)
	if len(c.From) > 0 {
		cond, a := stateIn(c.From)
		q += " AND " + cond
		args = append(args, a...)
	}
	if c.Try != 0 {
		q += " AND try_number = ?"
		args = append(args, c.Try)
	}
	res, err := s.wexec(ctx, tx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	if c.RecordTry {
		// A try can end in none (a restarting try put back to run again);
		// history.state is NOT NULL, so none is kept there as '', which
		// reads back as dag.TaskNone, instead of failing the whole batch.
		if _, err := s.wexec(ctx, tx, `INSERT OR REPLACE INTO task_instance_history (dag_run_id, task_id, map_index,
			try_number, state, start_date, end_date, hostname, pid, exit_code, reason)
			SELECT dag_run_id, task_id, map_index, try_number, COALESCE(state, ''), start_date, end_date, hostname, pid,
			exit_code, reason
			FROM task_instance WHERE dag_run_id = ? AND task_id = ? AND map_index = ?`, c.RunPK, c.TaskID, c.MapIndex); err != nil {
			return false, err
		}
	}
	if c.ClearXCom {
		if _, err := s.wexec(ctx, tx, `DELETE FROM xcom WHERE dag_run_id = ? AND task_id = ? AND map_index = ?`,
			c.RunPK, c.TaskID, c.MapIndex); err != nil {
			return false, err
		}
	}
	if c.XCom != nil {
		if _, err := s.wexec(ctx, tx, `INSERT OR REPLACE INTO xcom (dag_run_id, task_id, map_index, key, value, timestamp)
			VALUES (?, ?, ?, 'return_value', ?, ?)`, c.RunPK, c.TaskID, c.MapIndex, string(c.XCom), fmtTime(nowUTC())); err != nil {
			return false, err
		}
	}
	return true, nil
}

// TaskInstanceClear resets task instances so they run again. Their
// max_tries grows by the task's retries, as Airflow's clear does, so a task
// that used up its retries gets them back; the run returns to queued.
func (s *Store) TaskInstanceClear(ctx context.Context, p *store.TaskInstanceClearParams) ([]*store.TaskInstance, error) {
	var cleared []*store.TaskInstance
	err := s.tx(ctx, func(tx *sql.Tx) error {
		q := tiSelect + ` WHERE ti.dag_run_id = ?`
		args := []any{p.RunPK}
		if p.TaskIDs != nil {
			if len(p.TaskIDs) == 0 {
				return nil
			}
			q += ` AND ti.task_id IN (` + placeholders(len(p.TaskIDs)) + `)`
			for _, id := range p.TaskIDs {
				args = append(args, id)
			}
		}
		if p.OnlyFailed {
			q += ` AND ti.state IN ('failed', 'upstream_failed')`
		}
		tis, err := collectTIs(tx.QueryContext(ctx, q, args...))
		if err != nil {
			return err
		}
		for _, ti := range tis {
			// A running try keeps running until the executor reports it;
			// restarting tells the scheduler to cancel it and run again.
			// A try cleared twice before it ended is still running.
			next := dag.TaskNone
			if ti.State.Active() || ti.State == dag.TaskRestarting {
				next = dag.TaskRestarting
			}
			// A try that still runs keeps its pid, for its cancel and for
			// recovery; any other loses it, so the next try starts without one.
			if _, err := s.wexec(ctx, tx, `UPDATE task_instance SET state = ?, max_tries = try_number + ?,
				end_date = NULL, next_retry_at = NULL, exit_code = NULL, reason = '',
				pid = CASE WHEN state IN ('queued', 'running', 'restarting') THEN pid ELSE 0 END
				WHERE dag_run_id = ? AND task_id = ? AND map_index = ?`,
				stateArg(next), p.Retries[ti.TaskID], ti.RunPK, ti.TaskID, ti.MapIndex); err != nil {
				return err
			}
			ti.State = next
			cleared = append(cleared, ti)
		}
		if len(cleared) == 0 {
			return nil
		}
		_, err = s.wexec(ctx, tx, `UPDATE dag_run SET state = 'queued', end_date = NULL, start_date = NULL,
			queued_at = ?, clear_number = clear_number + 1 WHERE id = ?`, fmtTime(nowUTC()), p.RunPK)
		return err
	})
	return cleared, err
}

// TaskInstanceTries returns the finished tries, oldest first.
func (s *Store) TaskInstanceTries(ctx context.Context, runID int64, taskID string, mapIndex int) ([]*store.TaskInstanceTry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT try_number, state, start_date, end_date, hostname, pid, exit_code, reason
		FROM task_instance_history WHERE dag_run_id = ? AND task_id = ? AND map_index = ? ORDER BY try_number`,
		runID, taskID, mapIndex)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.TaskInstanceTry
	for rows.Next() {
		var t store.TaskInstanceTry
		var exit sql.NullInt64
		if err := rows.Scan(&t.TryNumber, &t.State, optTimeCol{&t.StartDate}, optTimeCol{&t.EndDate}, &t.Hostname,
			&t.PID, &exit, &t.Reason); err != nil {
			return nil, err
		}
		if exit.Valid {
			c := int(exit.Int64)
			t.ExitCode = &c
		}
		out = append(out, &t)
	}
	return out, rows.Err()
}

// TaskInstancePrevious returns the task's instance in the DAG's previous run.
func (s *Store) TaskInstancePrevious(ctx context.Context, runID int64, taskID string) (*store.TaskInstance, error) {
	ti, err := scanTI(s.wqueryRow(ctx, tiSelect+` WHERE ti.task_id = ? AND ti.map_index = -1 AND r.id = (
		SELECT p.id FROM dag_run p JOIN dag_run c ON c.id = ? WHERE p.dag_id = c.dag_id
		AND (p.logical_date < c.logical_date OR (p.logical_date = c.logical_date AND p.id < c.id))
		ORDER BY p.logical_date DESC, p.id DESC LIMIT 1)`, taskID, runID))
	return ti, notFound(err, "previous task instance of "+taskID)
}
