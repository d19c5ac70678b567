package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/secret"
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
	keys, err := a.fernetKeys()
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	// Everything that reads variables and connections goes through the
	// wrapper: it decrypts them and teaches the masker their secrets.
	a.st = secret.Wrap(st, keys, a.masker)
	a.versions = scheduler.NewVersions(a.st, spec.Parse)
	return a.st, nil
}

// fernetKeys are the keys that encrypt variables and connections: the
// configured fernet_key; for the embedded database without one, a key
// generated into the data directory on first use; on PostgreSQL without
// one, none (values are kept in clear, as Airflow does without a key).
func (a *app) fernetKeys() (*secret.Keys, error) {
	if a.cfg.FernetKey != "" {
		keys, err := secret.ParseKeys(a.cfg.FernetKey)
		if err != nil {
			return nil, fmt.Errorf("fernet_key: %w", err)
		}
		return keys, nil
	}
	if kind, _, _ := a.cfg.Database(); kind != config.SQLite {
		a.log.Warn("fernet_key is not set: variables and connection passwords are stored in clear")
		return nil, nil
	}
	key, err := a.dataDirKey("fernet_key", secret.GenerateKey)
	if err != nil {
		return nil, err
	}
	keys, err := secret.ParseKeys(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(a.cfg.DataDir, "fernet_key"), err)
	}
	return keys, nil
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
