package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/spec"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/postgres"
	"github.com/updraft-dev/updraft/internal/store/sqlite"
)

// database is a store that also knows its schema migrations.
type database interface {
	store.Store
	Migrate(ctx context.Context) ([]string, error)
	SchemaVersion(ctx context.Context) (int, error)
}

// openDatabase opens the configured metadata store, migrated to the latest
// schema when migrate is set.
func (a *app) openDatabase(ctx context.Context, migrate bool) (database, error) {
	kind, target, err := a.cfg.Database()
	if err != nil {
		return nil, err
	}
	switch kind {
	case config.Postgres:
		opts := postgres.Options{
			MaxConns:         int32(min(a.cfg.DatabaseMaxConns, 1<<20)), //nolint:gosec // bounded just before
			StatementTimeout: a.cfg.DatabaseStatementTimeout,
			ConnectTimeout:   a.cfg.DatabaseConnectTimeout,
		}
		if migrate {
			return postgres.Open(ctx, target, opts)
		}
		return postgres.OpenNoMigrate(ctx, target, opts)
	default:
		if migrate {
			return sqlite.Open(ctx, target)
		}
		return sqlite.OpenNoMigrate(ctx, target)
	}
}

// databaseName is the database for messages, its password hidden.
func (a *app) databaseName() string {
	_, target, _ := a.cfg.Database()
	return config.RedactURL(target)
}

// store opens the metadata store, migrating it.
func (a *app) store(ctx context.Context) (store.Store, error) {
	if a.st != nil {
		return a.st, nil
	}
	st, err := a.openDatabase(ctx, true)
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			return nil, fmt.Errorf("database %s cannot be reached: %w", a.databaseName(), err)
		}
		return nil, err
	}
	a.st = st
	a.versions = scheduler.NewVersions(st, spec.Parse)
	return st, nil
}

// storeWaiting is store for long-running processes: while the database
// cannot be reached it says so and tries again, waiting longer each time,
// so a scheduler started before its database comes up by itself.
func (a *app) storeWaiting(ctx context.Context) (store.Store, error) {
	wait := 500 * time.Millisecond
	for {
		st, err := a.store(ctx)
		if err == nil || !errors.Is(err, store.ErrUnavailable) {
			return st, err
		}
		a.log.Error("database unreachable; retrying", "database", a.databaseName(), "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// lockIfEmbedded takes the data directory's scheduler lock when the store
// is SQLite, which one scheduler may use at a time. Schedulers on
// PostgreSQL share the database and need no lock: they claim work with row
// locks and watch each other's heartbeats.
func (a *app) lockIfEmbedded() (release func(), err error) {
	if kind, _, _ := a.cfg.Database(); kind != config.SQLite {
		return func() {}, nil
	}
	lock, err := lockScheduler(a.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	return lock.release, nil
}
