package sqlite

import (
	"context"
	"fmt"

	"github.com/updraft-dev/updraft/internal/store"
)

// XComGet returns one XCom entry.
func (s *Store) XComGet(ctx context.Context, runID int64, taskID string, mapIndex int, key string) (*store.XCom, error) {
	x := store.XCom{RunPK: runID, TaskID: taskID, MapIndex: mapIndex, Key: key}
	var value string
	err := s.w.QueryRowContext(ctx, `SELECT r.dag_id, r.run_id, x.value, x.timestamp FROM xcom x JOIN dag_run r ON r.id = x.dag_run_id
		WHERE x.dag_run_id = ? AND x.task_id = ? AND x.map_index = ? AND x.key = ?`, runID, taskID, mapIndex, key).
		Scan(&x.DagID, &x.RunID, &value, timeCol{&x.Timestamp})
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("xcom %s of task %s", key, taskID))
	}
	x.Value = []byte(value)
	return &x, nil
}

// XComPush stores a value a queued or running try pushed.
func (s *Store) XComPush(ctx context.Context, p *store.XComPushParams) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT OR REPLACE INTO xcom (dag_run_id, task_id, map_index, key, value, timestamp)
		SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM task_instance WHERE dag_run_id = ? AND task_id = ?
			AND map_index = ? AND try_number = ? AND state IN ('queued', 'running'))`,
		p.RunPK, p.TaskID, p.MapIndex, p.Key, string(p.Value), fmtTime(nowUTC()),
		p.RunPK, p.TaskID, p.MapIndex, p.TryNumber)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// XComList returns the XCom entries of a run.
func (s *Store) XComList(ctx context.Context, runID int64) ([]*store.XCom, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT r.dag_id, r.run_id, x.task_id, x.map_index, x.key, x.value, x.timestamp
		FROM xcom x JOIN dag_run r ON r.id = x.dag_run_id WHERE x.dag_run_id = ? ORDER BY x.task_id, x.map_index, x.key`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.XCom
	for rows.Next() {
		x := store.XCom{RunPK: runID}
		var value string
		if err := rows.Scan(&x.DagID, &x.RunID, &x.TaskID, &x.MapIndex, &x.Key, &value, timeCol{&x.Timestamp}); err != nil {
			return nil, err
		}
		x.Value = []byte(value)
		out = append(out, &x)
	}
	return out, rows.Err()
}

// VariableGet returns a variable.
func (s *Store) VariableGet(ctx context.Context, key string) (*store.Variable, error) {
	v := store.Variable{Key: key}
	err := s.r.QueryRowContext(ctx, `SELECT val, description, is_encrypted FROM variable WHERE key = ?`, key).
		Scan(&v.Value, &v.Description, &v.IsEncrypted)
	if err != nil {
		return nil, notFound(err, "variable "+key)
	}
	return &v, nil
}

// VariableSet creates or replaces a variable.
func (s *Store) VariableSet(ctx context.Context, v *store.Variable) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO variable (key, val, description, is_encrypted) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET val = excluded.val, description = excluded.description,
		is_encrypted = excluded.is_encrypted`, v.Key, v.Value, v.Description, v.IsEncrypted)
	return err
}

// VariableCreate inserts a variable; the same key is store.ErrConflict.
func (s *Store) VariableCreate(ctx context.Context, v *store.Variable) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO variable (key, val, description, is_encrypted) VALUES (?, ?, ?, ?)`,
		v.Key, v.Value, v.Description, v.IsEncrypted)
	if isConstraint(err) {
		return fmt.Errorf("variable %s: %w", v.Key, store.ErrConflict)
	}
	return err
}

// VariableDelete deletes a variable.
func (s *Store) VariableDelete(ctx context.Context, key string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM variable WHERE key = ?`, key)
	if err != nil {
		return err
	}
	return requireOne(res, "variable "+key)
}

// VariableList returns every variable ordered by key.
func (s *Store) VariableList(ctx context.Context) ([]*store.Variable, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, val, description, is_encrypted FROM variable ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Variable
	for rows.Next() {
		var v store.Variable
		if err := rows.Scan(&v.Key, &v.Value, &v.Description, &v.IsEncrypted); err != nil {
			return nil, err
		}
		out = append(out, &v)
	}
	return out, rows.Err()
}

// PoolGet returns a pool.
func (s *Store) PoolGet(ctx context.Context, name string) (*store.Pool, error) {
	p := store.Pool{Name: name}
	err := s.r.QueryRowContext(ctx, `SELECT slots, description FROM slot_pool WHERE name = ?`, name).Scan(&p.Slots, &p.Description)
	if err != nil {
		return nil, notFound(err, "pool "+name)
	}
	return &p, nil
}

// PoolSet creates or replaces a pool.
func (s *Store) PoolSet(ctx context.Context, p *store.Pool) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO slot_pool (name, slots, description) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET slots = excluded.slots, description = excluded.description`, p.Name, p.Slots, p.Description)
	return err
}

// PoolCreate inserts a pool; the same name is store.ErrConflict.
func (s *Store) PoolCreate(ctx context.Context, p *store.Pool) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO slot_pool (name, slots, description) VALUES (?, ?, ?)`,
		p.Name, p.Slots, p.Description)
	if isConstraint(err) {
		return fmt.Errorf("pool %s: %w", p.Name, store.ErrConflict)
	}
	return err
}

// PoolDelete deletes a pool.
func (s *Store) PoolDelete(ctx context.Context, name string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM slot_pool WHERE name = ?`, name)
	if err != nil {
		return err
	}
	return requireOne(res, "pool "+name)
}

// PoolList returns every pool ordered by name.
func (s *Store) PoolList(ctx context.Context) ([]*store.Pool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, slots, description FROM slot_pool ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Pool
	for rows.Next() {
		var p store.Pool
		if err := rows.Scan(&p.Name, &p.Slots, &p.Description); err != nil {
			return nil, err
		}
		out = append(out, &p)
	}
	return out, rows.Err()
}
