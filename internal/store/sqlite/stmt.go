package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the writer connection's prepared statements: the
// scheduler runs the same few statements thousands of times a second, and
// SQLite's parser was a tenth of its CPU time before they were kept.
// Statements whose text varies without bound (IN lists of any length) stop
// being cached once the cache is full, and are prepared per use.
//
// The writer has one connection, so a statement cannot be prepared on it
// while a transaction holds it: one first seen in a transaction runs
// unprepared, and is prepared after the commit.
type stmtCache struct {
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool
}

const maxCachedStmts = 256

// get returns a prepared statement for q on db, or nil when q is not cached
// and the cache is full, or the caller is in a transaction (inTx).
func (c *stmtCache) get(ctx context.Context, db *sql.DB, q string, inTx bool) (*sql.Stmt, error) {
	c.mu.Lock()
	if st := c.stmts[q]; st != nil {
		c.mu.Unlock()
		return st, nil
	}
	if len(c.stmts)+len(c.pending) >= maxCachedStmts {
		c.mu.Unlock()
		return nil, nil
	}
	if inTx {
		if c.pending == nil {
			c.pending = map[string]bool{}
		}
		c.pending[q] = true
		c.mu.Unlock()
		return nil, nil
	}
	c.mu.Unlock()
	// Prepare without the lock: it waits for the writer's connection, which
	// a transaction that needs this cache may hold.
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.stmts[q]; prev != nil {
		_ = st.Close() //nolint:sqlclosecheck // a duplicate of one a concurrent caller cached
		return prev, nil
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[q] = st
	return st, nil
}

// preparePending prepares the statements first seen in a transaction; the
// caller has just committed, so the writer's connection is free.
func (c *stmtCache) preparePending(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for q := range pending {
		if _, err := c.get(ctx, db, q, false); err != nil { //nolint:sqlclosecheck // cached statements live until Store.Close
			return
		}
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		_ = st.Close()
	}
	c.stmts = nil
}

// wexec runs a statement in a write transaction through the cache.
func (s *Store) wexec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	st, err := s.stmts.get(ctx, s.w, q, true)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return tx.ExecContext(ctx, q, args...)
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...) //nolint:sqlclosecheck // a transaction statement closes with its transaction
}

// wquery runs a query on the writer connection through the cache: the
// scheduler reads there what it has just written.
func (s *Store) wquery(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.stmts.get(ctx, s.w, q, false) //nolint:sqlclosecheck // cached statements live until Store.Close
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.w.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// wqueryRow is wquery for one row.
func (s *Store) wqueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.stmts.get(ctx, s.w, q, false) //nolint:sqlclosecheck // cached statements live until Store.Close
	if err != nil || st == nil {
		// An error to prepare resurfaces from the direct query.
		return s.w.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
