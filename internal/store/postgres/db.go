package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/updraft-dev/updraft/internal/store"
)

// querier runs statements: the pool (each call in its own implicit
// transaction) or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Every statement's error goes through classify, mostly by way of the
// helpers below, so no method hands out a raw driver error where callers
// test for store.ErrUnavailable or store.ErrConflict.

// queryAll runs a query and scans every row.
func queryAll[T any](ctx context.Context, q querier, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, classify(ctx, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	return out, classify(ctx, err)
}

// queryOne runs a query and scans its one row; no row is store.ErrNotFound,
// naming what.
func queryOne[T any](ctx context.Context, q querier, scan func(pgx.Row) (T, error), what, sql string, args ...any) (T, error) {
	v, err := scan(q.QueryRow(ctx, sql, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return v, classify(ctx, err)
}

// exec runs a statement and returns the rows it touched.
func exec(ctx context.Context, q querier, sql string, args ...any) (int64, error) {
	tag, err := q.Exec(ctx, sql, args...)
	if err != nil {
		return 0, classify(ctx, err)
	}
	return tag.RowsAffected(), nil
}

// execOne runs a statement that must touch a row; none is
// store.ErrNotFound, naming what.
func execOne(ctx context.Context, q querier, what, sql string, args ...any) error {
	n, err := exec(ctx, q, sql, args...)
	if err == nil && n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}

// tx runs fn in a transaction, and runs it again when PostgreSQL aborted it
// to break a deadlock: schedulers lock rows in orders they do not agree on
// (one batch of changes ends a task another's dispatch holds), and the
// retry of the aborted one is what the deadlock detector expects.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return retry(ctx, func() error { return pgx.BeginFunc(ctx, s.pool, fn) })
}

// retry runs fn up to three times while PostgreSQL aborts it for a deadlock
// or a serialization failure; fn must be a whole transaction.
func retry(ctx context.Context, fn func() error) error {
	var err error
	for range 3 {
		err = fn()
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "40P01" && pgErr.Code != "40001") {
			break
		}
	}
	return classify(ctx, err)
}

// classify wraps an error in store.ErrConflict for a unique violation, and
// in store.ErrUnavailable when the database cannot be reached or is going
// away, so a scheduler retries with backoff instead of failing. An error of
// ctx itself (the caller gave up) is the caller's, not the database's.
func classify(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case "57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
			"53300": // too_many_connections
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		// Any other answer of the server, at connect too (a wrong password,
		// a database that does not exist), is no outage: retrying will not
		// help.
		return err
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed) || pgconn.SafeToRetry(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}
