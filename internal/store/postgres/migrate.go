package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/updraft-dev/updraft/internal/store/migration"
)

//go:embed migrations/*.up.sql
var migrations embed.FS

func loadMigrations() ([]migration.Migration, error) {
	return migration.Load(migrations, "migrations")
}

// LatestVersion is the schema version this build migrates to.
func LatestVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return migration.Latest(ms)
}

// migrateLock is the key of the advisory lock that makes migrations take
// turns: processes that start at once (several schedulers, a CLI command)
// each migrate, and all but the first find the work done. Advisory locks
// are per database, so databases on one server do not wait for each other.
const migrateLock = 0x75706472616674 // "updraft"

// Migrate applies the migrations the database lacks, each in its own
// transaction, and returns the names applied. A database whose schema is
// newer than this build knows is refused rather than used.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	var applied []string
	for {
		var name string
		err := s.tx(ctx, func(tx pgx.Tx) error {
			var err error
			name, err = migrateNext(ctx, tx, ms)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: %w", err)
		}
		if name == "" {
			return applied, nil
		}
		applied = append(applied, name)
	}
}

// migrateNext applies, in tx, the first migration the database lacks and
// returns its name, or "" when there is none.
func migrateNext(ctx context.Context, tx pgx.Tx, ms []migration.Migration) (string, error) {
	// A migration may rewrite a large table: no statement or lock timeout
	// of the session's; ctx still bounds it. The lock comes first, even
	// before the table is created: two sessions creating it at once would
	// collide in the catalog.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0;
		SELECT pg_advisory_xact_lock(`+strconv.Itoa(migrateLock)+`);
		CREATE TABLE IF NOT EXISTS schema_migration (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return "", err
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migration`).Scan(&current); err != nil {
		return "", err
	}
	if err := migration.CheckNotNewer(current, ms); err != nil {
		return "", err
	}
	for _, m := range ms {
		if m.Version <= current {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return "", fmt.Errorf("%s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migration (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return "", fmt.Errorf("%s: %w", m.Name, err)
		}
		return m.Name, nil
	}
	return "", nil
}

// SchemaVersion returns the version the database is at: 0 for a database
// never migrated.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migration`).Scan(&v)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return 0, nil
	}
	return v, classify(ctx, err)
}
