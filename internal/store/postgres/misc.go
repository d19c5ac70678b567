package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/updraft-dev/updraft/internal/store"
)

const xcomSelect = `SELECT x.dag_run_id, r.dag_id, r.run_id, x.task_id, x.map_index, x.key, x.value, x.timestamp
	FROM xcom x JOIN dag_run r ON r.id = x.dag_run_id`

func scanXCom(row pgx.Row) (*store.XCom, error) {
	var x store.XCom
	var value []byte
	err := row.Scan(&x.RunPK, &x.DagID, &x.RunID, &x.TaskID, &x.MapIndex, &x.Key, &value, &x.Timestamp)
	x.Value = value
	return &x, err
}

// XComGet returns one XCom entry.
func (s *Store) XComGet(ctx context.Context, runID int64, taskID string, mapIndex int, key string) (*store.XCom, error) {
	return queryOne(ctx, s.pool, scanXCom, fmt.Sprintf("xcom %s of task %s", key, taskID),
		xcomSelect+` WHERE x.dag_run_id = $1 AND x.task_id = $2 AND x.map_index = $3 AND x.key = $4`,
		runID, taskID, mapIndex, key)
}

// XComList returns the XCom entries of a run.
func (s *Store) XComList(ctx context.Context, runID int64) ([]*store.XCom, error) {
	return queryAll(ctx, s.pool, scanXCom, xcomSelect+` WHERE x.dag_run_id = $1 ORDER BY x.task_id, x.map_index, x.key`, runID)
}

// XComPush stores a value a queued or running try pushed. FOR SHARE: a
// change to the task instance committing meanwhile (the try timed out, a
// user marked it) is waited for and seen, so no value lands after its try
// ended.
func (s *Store) XComPush(ctx context.Context, p *store.XComPushParams) (bool, error) {
	n, err := exec(ctx, s.pool, `INSERT INTO xcom (dag_run_id, task_id, map_index, key, value, timestamp)
		SELECT $1, $2, $3, $4, $5::json, now() WHERE EXISTS (SELECT 1 FROM task_instance WHERE dag_run_id = $1
			AND task_id = $2 AND map_index = $3 AND try_number = $6 AND state IN ('queued', 'running') FOR SHARE)
		ON CONFLICT (dag_run_id, task_id, map_index, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp`,
		p.RunPK, p.TaskID, p.MapIndex, p.Key, string(p.Value), p.TryNumber)
	return n > 0, err
}

func scanVariable(row pgx.Row) (*store.Variable, error) {
	var v store.Variable
	err := row.Scan(&v.Key, &v.Value, &v.Description, &v.IsEncrypted)
	return &v, err
}

// VariableGet returns a variable.
func (s *Store) VariableGet(ctx context.Context, key string) (*store.Variable, error) {
	return queryOne(ctx, s.pool, scanVariable, "variable "+key,
		`SELECT key, val, description, is_encrypted FROM variable WHERE key = $1`, key)
}

// VariableSet creates or replaces a variable.
func (s *Store) VariableSet(ctx context.Context, v *store.Variable) error {
	_, err := exec(ctx, s.pool, `INSERT INTO variable (key, val, description, is_encrypted) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET val = excluded.val, description = excluded.description,
		is_encrypted = excluded.is_encrypted`, v.Key, v.Value, v.Description, v.IsEncrypted)
	return err
}

// VariableCreate inserts a variable; the same key is store.ErrConflict,
// by way of classify.
func (s *Store) VariableCreate(ctx context.Context, v *store.Variable) error {
	_, err := exec(ctx, s.pool, `INSERT INTO variable (key, val, description, is_encrypted) VALUES ($1, $2, $3, $4)`,
		v.Key, v.Value, v.Description, v.IsEncrypted)
	return err
}

// VariableDelete deletes a variable.
func (s *Store) VariableDelete(ctx context.Context, key string) error {
	return execOne(ctx, s.pool, "variable "+key, `DELETE FROM variable WHERE key = $1`, key)
}

// VariableList returns every variable ordered by key.
func (s *Store) VariableList(ctx context.Context) ([]*store.Variable, error) {
	return queryAll(ctx, s.pool, scanVariable, `SELECT key, val, description, is_encrypted FROM variable ORDER BY key`)
}

func scanPool(row pgx.Row) (*store.Pool, error) {
	var p store.Pool
	err := row.Scan(&p.Name, &p.Slots, &p.Description)
	return &p, err
}

// PoolGet returns a pool.
func (s *Store) PoolGet(ctx context.Context, name string) (*store.Pool, error) {
	return queryOne(ctx, s.pool, scanPool, "pool "+name, `SELECT name, slots, description FROM slot_pool WHERE name = $1`, name)
}

// PoolSet creates or replaces a pool.
func (s *Store) PoolSet(ctx context.Context, p *store.Pool) error {
	_, err := exec(ctx, s.pool, `INSERT INTO slot_pool (name, slots, description) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET slots = excluded.slots, description = excluded.description`, p.Name, p.Slots, p.Description)
	return err
}

// PoolCreate inserts a pool; the same name is store.ErrConflict, by way of
// classify.
func (s *Store) PoolCreate(ctx context.Context, p *store.Pool) error {
	_, err := exec(ctx, s.pool, `INSERT INTO slot_pool (name, slots, description) VALUES ($1, $2, $3)`,
		p.Name, p.Slots, p.Description)
	return err
}

// PoolDelete deletes a pool.
func (s *Store) PoolDelete(ctx context.Context, name string) error {
	return execOne(ctx, s.pool, "pool "+name, `DELETE FROM slot_pool WHERE name = $1`, name)
}

// PoolList returns every pool ordered by name.
func (s *Store) PoolList(ctx context.Context) ([]*store.Pool, error) {
	return queryAll(ctx, s.pool, scanPool, `SELECT name, slots, description FROM slot_pool ORDER BY name`)
}
