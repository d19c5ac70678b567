package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// DagSync upserts the DAG row and adds a version when the hash differs from
// the latest version's. The upsert locks the DAG's row until the commit, so
// processes that parse the same file at once take turns: the first adds the
// version, the others find it and return it.
func (s *Store) DagSync(ctx context.Context, p *store.DagSyncParams) (*store.DagVersion, bool, error) {
	var v *store.DagVersion
	var created bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		v, created = nil, false
		_, err := exec(ctx, tx, `INSERT INTO dag (dag_id, is_paused, fileloc, description, owner, tags, schedule, last_parsed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (dag_id) DO UPDATE SET is_active = true, fileloc = excluded.fileloc,
				description = excluded.description, owner = excluded.owner, tags = excluded.tags,
				schedule = excluded.schedule, last_parsed_at = excluded.last_parsed_at`,
			p.DagID, p.PausedOnCreation, p.FileLoc, p.Description, p.Owner, nonNil(p.Tags), p.Schedule, p.ParsedAt)
		if err != nil {
			return err
		}
		// A statement after the lock: it sees what the process that held
		// the lock before committed.
		latest, err := queryOne(ctx, tx, scanVersion, "latest version",
			versionSelect+` WHERE dag_id = $1 ORDER BY version_number DESC LIMIT 1`, p.DagID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if latest != nil && latest.Hash == p.Hash {
			v = latest
			return nil
		}
		next := 1
		if latest != nil {
			next = latest.VersionNumber + 1
		}
		v, err = queryOne(ctx, tx, scanVersion, "new version", `WITH v AS (
				INSERT INTO dag_version (dag_id, version_number, hash, fileloc, source, created_at)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING *),
			d AS (UPDATE dag SET latest_version_id = (SELECT id FROM v) WHERE dag_id = $1)
			SELECT id, dag_id, version_number, hash, fileloc, source, created_at FROM v`,
			p.DagID, next, p.Hash, p.FileLoc, p.Source, p.ParsedAt)
		created = err == nil
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("sync dag %s: %w", p.DagID, err)
	}
	return v, created, nil
}

// DagDeactivate marks the DAGs of fileLoc that are not in keep as inactive.
func (s *Store) DagDeactivate(ctx context.Context, fileLoc string, keep []string) error {
	_, err := exec(ctx, s.pool, `UPDATE dag SET is_active = false WHERE fileloc = $1 AND is_active AND dag_id <> ALL($2)`,
		fileLoc, nonNil(keep))
	return err
}

const dagSelect = `SELECT dag_id, is_paused, is_active, fileloc, COALESCE(latest_version_id, 0), description, owner,
	tags, schedule, next_interval_start, next_interval_end, last_parsed_at FROM dag`

func scanDag(row pgx.Row) (*store.Dag, error) {
	var d store.Dag
	var start, end *time.Time
	err := row.Scan(&d.DagID, &d.IsPaused, &d.IsActive, &d.FileLoc, &d.LatestVersionID, &d.Description, &d.Owner,
		&d.Tags, &d.Schedule, &start, &end, &d.LastParsedAt)
	if err != nil {
		return nil, err
	}
	if start != nil && end != nil {
		d.NextDataInterval = &dag.DataInterval{Start: *start, End: *end}
	}
	return &d, nil
}

// DagGet returns one DAG.
func (s *Store) DagGet(ctx context.Context, dagID string) (*store.Dag, error) {
	return queryOne(ctx, s.pool, scanDag, "dag "+dagID, dagSelect+` WHERE dag_id = $1`, dagID)
}

// DagList returns DAGs ordered by id.
func (s *Store) DagList(ctx context.Context, p *store.DagListParams) ([]*store.Dag, error) {
	// NULL for "any": one statement whatever the filters.
	return queryAll(ctx, s.pool, scanDag, dagSelect+` WHERE ($1 OR is_active) AND is_paused = COALESCE($2, is_paused)
		ORDER BY dag_id`, p.IncludeInactive, p.Paused)
}

// DagSetPaused pauses or unpauses a DAG.
func (s *Store) DagSetPaused(ctx context.Context, dagID string, paused bool) error {
	return execOne(ctx, s.pool, "dag "+dagID, `UPDATE dag SET is_paused = $1 WHERE dag_id = $2`, paused, dagID)
}

// DagSetNextRun records the next scheduled interval.
func (s *Store) DagSetNextRun(ctx context.Context, dagID string, next *dag.DataInterval) error {
	var start, end *time.Time
	if next != nil {
		start, end = &next.Start, &next.End
	}
	_, err := exec(ctx, s.pool, `UPDATE dag SET next_interval_start = $1, next_interval_end = $2 WHERE dag_id = $3`,
		start, end, dagID)
	return err
}

const versionSelect = `SELECT id, dag_id, version_number, hash, fileloc, source, created_at FROM dag_version`

func scanVersion(row pgx.Row) (*store.DagVersion, error) {
	var v store.DagVersion
	if err := row.Scan(&v.ID, &v.DagID, &v.VersionNumber, &v.Hash, &v.FileLoc, &v.Source, &v.CreatedAt); err != nil {
		return nil, err
	}
	return &v, nil
}

// DagVersionGet returns one DAG version.
func (s *Store) DagVersionGet(ctx context.Context, id int64) (*store.DagVersion, error) {
	return queryOne(ctx, s.pool, scanVersion, fmt.Sprintf("dag version %d", id), versionSelect+` WHERE id = $1`, id)
}

// ImportErrorSet records the error of a DAG file, replacing an older one.
func (s *Store) ImportErrorSet(ctx context.Context, fileLoc, message string) error {
	_, err := exec(ctx, s.pool, `INSERT INTO import_error (fileloc, message, timestamp) VALUES ($1, $2, now())
		ON CONFLICT (fileloc) DO UPDATE SET message = excluded.message, timestamp = excluded.timestamp`,
		fileLoc, message)
	return err
}

// ImportErrorClear removes the error of a DAG file.
func (s *Store) ImportErrorClear(ctx context.Context, fileLoc string) error {
	_, err := exec(ctx, s.pool, `DELETE FROM import_error WHERE fileloc = $1`, fileLoc)
	return err
}

// ImportErrorList returns the import errors ordered by file.
func (s *Store) ImportErrorList(ctx context.Context) ([]*store.ImportError, error) {
	return queryAll(ctx, s.pool, func(row pgx.Row) (*store.ImportError, error) {
		var e store.ImportError
		err := row.Scan(&e.ID, &e.FileLoc, &e.Message, &e.Timestamp)
		return &e, err
	}, `SELECT id, fileloc, message, timestamp FROM import_error ORDER BY fileloc`)
}
