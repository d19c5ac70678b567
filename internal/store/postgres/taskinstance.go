package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

const tiColumns = `ti.dag_run_id, r.dag_id, r.run_id, ti.task_id, ti.map_index, ti.try_number, ti.max_tries,
	ti.state, ti.pool, ti.pool_slots, ti.priority_weight, ti.executor, ti.queued_at, ti.start_date, ti.end_date,
	ti.next_retry_at, ti.hostname, ti.pid, ti.queued_by_job_id, ti.exit_code, ti.reason, ti.rendered, r.logical_date,
	r.dag_version_id`

const tiSelect = `SELECT ` + tiColumns + ` FROM task_instance ti JOIN dag_run r ON r.id = ti.dag_run_id`

func scanTI(row pgx.Row) (*store.TaskInstance, error) {
	var ti store.TaskInstance
	var state *string
	var rendered []byte
	err := row.Scan(&ti.RunPK, &ti.DagID, &ti.RunID, &ti.TaskID, &ti.MapIndex, &ti.TryNumber, &ti.MaxTries,
		&state, &ti.Pool, &ti.PoolSlots, &ti.PriorityWeight, &ti.Executor, &ti.QueuedAt, &ti.StartDate, &ti.EndDate,
		&ti.NextRetryAt, &ti.Hostname, &ti.PID, &ti.QueuedByJob, &ti.ExitCode, &ti.Reason, &rendered, &ti.LogicalDate,
		&ti.VersionID)
	if err != nil {
		return nil, err
	}
	if state != nil {
		ti.State = dag.TaskState(*state)
	}
	ti.Rendered = rendered
	return &ti, nil
}

// TaskInstanceGet returns one task instance.
func (s *Store) TaskInstanceGet(ctx context.Context, runID int64, taskID string, mapIndex int) (*store.TaskInstance, error) {
	return queryOne(ctx, s.pool, scanTI, fmt.Sprintf("task instance %s of run %d", taskID, runID),
		tiSelect+` WHERE ti.dag_run_id = $1 AND ti.task_id = $2 AND ti.map_index = $3`, runID, taskID, mapIndex)
}

// TaskInstanceListByRun returns a run's task instances.
func (s *Store) TaskInstanceListByRun(ctx context.Context, runID int64, taskIDs []string) ([]*store.TaskInstance, error) {
	if taskIDs == nil {
		return queryAll(ctx, s.pool, scanTI, tiSelect+` WHERE ti.dag_run_id = $1`, runID)
	}
	return queryAll(ctx, s.pool, scanTI, tiSelect+` WHERE ti.dag_run_id = $1 AND ti.task_id = ANY($2)`, runID, taskIDs)
}

// TaskInstanceListByRunState returns a run's task instances in states.
func (s *Store) TaskInstanceListByRunState(ctx context.Context, runID int64, states []dag.TaskState) ([]*store.TaskInstance, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := argList{runID}
	return queryAll(ctx, s.pool, scanTI, tiSelect+` WHERE ti.dag_run_id = $1 AND `+stateCond("ti.state", states, args.add), args...)
}

// TaskInstanceListByState returns task instances in states across runs,
// highest priority first.
func (s *Store) TaskInstanceListByState(ctx context.Context, p *store.TaskInstanceListParams) ([]*store.TaskInstance, error) {
	if len(p.States) == 0 {
		return nil, nil
	}
	q, args := listByState(p)
	return queryAll(ctx, s.pool, scanTI, q, args...)
}

// listByState is TaskInstanceListByState's query; the dispatch locks its
// rows. Only the filters given are in it: the scheduler's usual call, one
// state and a limit, reads the first rows of the state index and stops.
func listByState(p *store.TaskInstanceListParams) (string, []any) {
	var args argList
	q := tiSelect + ` WHERE ` + stateCond("ti.state", p.States, args.add)
	switch {
	case p.RunningRuns && len(p.ExcludeDags) > 0:
		// The DAGs left out are the ones at their limits, whose scheduled
		// rows may be most of the index in priority order: start from the
		// other DAGs' running runs instead of walking past those rows.
		q += ` AND ti.dag_run_id IN (SELECT id FROM dag_run WHERE state = 'running' AND dag_id <> ALL(` +
			args.add(p.ExcludeDags) + `))`
	case p.RunningRuns:
		q += ` AND r.state = 'running'`
	case len(p.ExcludeDags) > 0:
		q += ` AND r.dag_id <> ALL(` + args.add(p.ExcludeDags) + `)`
	}
	if len(p.ExcludePools) > 0 {
		q += ` AND ti.pool <> ALL(` + args.add(p.ExcludePools) + `)`
	}
	if p.Orphaned {
		q += ` AND NOT EXISTS (SELECT FROM scheduler_job j WHERE j.id = ti.queued_by_job_id AND j.state = 'running')`
	}
	if p.QueuedByJob != 0 {
		q += ` AND ti.queued_by_job_id = ` + args.add(p.QueuedByJob)
	}
	q += ` ORDER BY ti.priority_weight DESC, ti.dag_run_id, ti.task_id`
	if p.Limit > 0 {
		q += ` LIMIT ` + args.add(p.Limit)
	}
	if p.Offset > 0 {
		q += ` OFFSET ` + args.add(p.Offset)
	}
	return q, args
}

// TaskInstanceCountActive counts queued and running task instances.
func (s *Store) TaskInstanceCountActive(ctx context.Context) (*store.ActiveCounts, error) {
	return countActive(ctx, s.pool)
}

func countActive(ctx context.Context, q querier) (*store.ActiveCounts, error) {
	type row struct {
		pool, dagID string
		slots, n    int
	}
	rows, err := queryAll(ctx, q, func(r pgx.Row) (row, error) {
		var v row
		err := r.Scan(&v.pool, &v.dagID, &v.slots, &v.n)
		return v, err
	}, `SELECT ti.pool, r.dag_id, sum(ti.pool_slots), count(*)
		FROM task_instance ti JOIN dag_run r ON r.id = ti.dag_run_id
		WHERE ti.state IN ('queued', 'running') GROUP BY ti.pool, r.dag_id`)
	if err != nil {
		return nil, err
	}
	c := &store.ActiveCounts{PoolSlots: map[string]int{}, Dag: map[string]int{}}
	for _, v := range rows {
		c.PoolSlots[v.pool] += v.slots
		c.Dag[v.dagID] += v.n
	}
	return c, nil
}

// TaskInstanceCountByState counts a run's task instances per state.
func (s *Store) TaskInstanceCountByState(ctx context.Context, runID int64) (map[dag.TaskState]int, error) {
	type row struct {
		state dag.TaskState
		n     int
	}
	rows, err := queryAll(ctx, s.pool, func(r pgx.Row) (row, error) {
		var v row
		err := r.Scan(&v.state, &v.n)
		return v, err
	}, `SELECT COALESCE(state, ''), count(*) FROM task_instance WHERE dag_run_id = $1 GROUP BY state`, runID)
	if err != nil {
		return nil, err
	}
	out := map[dag.TaskState]int{}
	for _, v := range rows {
		out[v.state] = v.n
	}
	return out, nil
}

// TaskInstanceHasUnfinished looks for one unfinished task instance in the
// partial index of unfinished ones: a probe, whatever the run's size. The
// condition is the index's, word for word, so the planner matches them.
func (s *Store) TaskInstanceHasUnfinished(ctx context.Context, runID int64) (bool, error) {
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM task_instance WHERE dag_run_id = $1
		AND (state IS NULL OR state NOT IN ('success', 'failed', 'skipped', 'upstream_failed', 'removed')))`, runID).Scan(&found)
	return found, classify(ctx, err)
}

// TaskInstanceClear resets task instances so they run again, in one
// statement: their max_tries grows by the task's retries, as Airflow's
// clear does, so a task that used up its retries gets them back; a try
// still running is marked restarting, for the scheduler to cancel and run
// again, and keeps its pid for that; the run returns to queued.
func (s *Store) TaskInstanceClear(ctx context.Context, p *store.TaskInstanceClearParams) ([]*store.TaskInstance, error) {
	if p.TaskIDs != nil && len(p.TaskIDs) == 0 {
		return nil, nil
	}
	retryIDs := make([]string, 0, len(p.Retries))
	retries := make([]int32, 0, len(p.Retries))
	for id, n := range p.Retries {
		retryIDs = append(retryIDs, id)
		retries = append(retries, int32(n))
	}
	return queryAll(ctx, s.pool, scanTI, `WITH c AS (
			UPDATE task_instance ti SET
				state = CASE WHEN ti.state IN ('queued', 'running', 'restarting') THEN 'restarting' END,
				max_tries = ti.try_number + COALESCE(
					(SELECT n FROM unnest($4::text[], $5::int[]) AS r(task_id, n) WHERE r.task_id = ti.task_id), 0),
				end_date = NULL, next_retry_at = NULL, exit_code = NULL, reason = '',
				pid = CASE WHEN ti.state IN ('queued', 'running', 'restarting') THEN ti.pid ELSE 0 END
			FROM dag_run r
			WHERE r.id = ti.dag_run_id AND ti.dag_run_id = $1 AND ($2::text[] IS NULL OR ti.task_id = ANY($2))
				AND (NOT $3 OR ti.state IN ('failed', 'upstream_failed'))
			RETURNING `+tiColumns+`),
		run AS (
			UPDATE dag_run SET state = 'queued', end_date = NULL, start_date = NULL, queued_at = now(),
				clear_number = clear_number + 1
			WHERE id = $1 AND EXISTS (SELECT FROM c))
		SELECT * FROM c`,
		p.RunPK, p.TaskIDs, p.OnlyFailed, retryIDs, retries)
}

// TaskInstanceTries returns the finished tries, oldest first.
func (s *Store) TaskInstanceTries(ctx context.Context, runID int64, taskID string, mapIndex int) ([]*store.TaskInstanceTry, error) {
	return queryAll(ctx, s.pool, func(row pgx.Row) (*store.TaskInstanceTry, error) {
		var t store.TaskInstanceTry
		var state *string
		err := row.Scan(&t.TryNumber, &state, &t.StartDate, &t.EndDate, &t.Hostname, &t.PID, &t.ExitCode, &t.Reason)
		if state != nil {
			t.State = dag.TaskState(*state)
		}
		return &t, err
	}, `SELECT try_number, state, start_date, end_date, hostname, pid, exit_code, reason
		FROM task_instance_history WHERE dag_run_id = $1 AND task_id = $2 AND map_index = $3 ORDER BY try_number`,
		runID, taskID, mapIndex)
}

// TaskInstancePrevious returns the task's instance in the DAG's previous run.
func (s *Store) TaskInstancePrevious(ctx context.Context, runID int64, taskID string) (*store.TaskInstance, error) {
	return queryOne(ctx, s.pool, scanTI, "previous task instance of "+taskID, tiSelect+` WHERE ti.task_id = $1 AND ti.map_index = -1
		AND r.id = (SELECT p.id FROM dag_run p JOIN dag_run c ON c.id = $2 WHERE p.dag_id = c.dag_id
			AND (p.logical_date, p.id) < (c.logical_date, c.id)
			ORDER BY p.logical_date DESC, p.id DESC LIMIT 1)`, taskID, runID)
}
