// Package sqlite is the embedded metadata store: one SQLite file through a
// pure-Go driver, WAL, one writer connection and a pool of readers.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/updraft-dev/updraft/internal/store"
)

// Store is the SQLite store.
type Store struct {
	// w is the only connection that writes: SQLite allows one writer, and
	// queuing writers in Go is cheaper than letting them spin on busy_timeout.
	w *sql.DB
	r *sql.DB

	stmts stmtCache
	// dispatchMu makes dispatches take turns (TaskInstanceDispatch).
	dispatchMu sync.Mutex
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path and migrates it
// to the latest schema. It refuses a database from a newer updraft.
func Open(ctx context.Context, path string) (*Store, error) {
	s, err := OpenNoMigrate(ctx, path)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// OpenNoMigrate opens the database without migrating it.
func OpenNoMigrate(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	// synchronous=NORMAL in WAL mode loses no committed transaction on a
	// process crash, only possibly the last ones on power loss, and saves an
	// fsync per commit: the scheduler commits on every task state change.
	pragmas := []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// The path goes into a SQLite URI, where '?' starts the query, '#' a
	// fragment and '%' an escape. Unescaped, a path holding one of them
	// opened (and created) a file named by the path cut short there.
	uriPath := (&url.URL{Path: path}).EscapedPath()
	dsn := "file:" + uriPath + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := pingBusy(ctx, w); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	q.Set("_pragma", "query_only(1)")
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	r, err := sql.Open("sqlite", "file:"+uriPath+"?"+q.Encode())
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	r.SetMaxIdleConns(max(4, runtime.NumCPU()))
	return &Store{w: w, r: r}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.stmts.close()
	return errors.Join(s.r.Close(), s.w.Close())
}

// tx runs fn in a write transaction.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.stmts.preparePending(ctx, s.w)
	return nil
}

// pingBusy opens the first connection. Switching a new file to WAL takes an
// exclusive lock for which SQLite does not wait out busy_timeout, so two
// processes opening a new database at once may see SQLITE_BUSY: wait and try
// again, for a bounded time.
func pingBusy(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// isConstraint reports whether err is a unique or primary key violation.
func isConstraint(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return false
}

// notFound maps sql.ErrNoRows to store.ErrNotFound, naming what was missing.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}
