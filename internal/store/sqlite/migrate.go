package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

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

// Migrate applies the migrations the database lacks, each in its own
// transaction, and returns the names applied. A database whose schema is
// newer than this build knows is refused rather than used.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migration`).Scan(&current); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if err := migration.CheckNotNewer(current, ms); err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range ms {
		if m.Version <= current {
			continue
		}
		applied1 := false
		err := s.tx(ctx, func(tx *sql.Tx) error {
			// Another process (a CLI command beside a starting scheduler) may
			// have applied it since the version was read: look again inside
			// the write transaction, which excludes the other writer.
			var now int
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migration`).Scan(&now); err != nil {
				return err
			}
			if now >= m.Version {
				return nil
			}
			applied1 = true
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, fmtTime(nowUTC()))
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if applied1 {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// SchemaVersion returns the version the database is at.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migration`).Scan(&v)
	return v, err
}
