package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// DagSync upserts the DAG row and adds a version when the hash differs from
// the latest version's.
func (s *Store) DagSync(ctx context.Context, p *store.DagSyncParams) (*store.DagVersion, bool, error) {
	tags, err := json.Marshal(nonNil(p.Tags))
	if err != nil {
		return nil, false, err
	}
	var v *store.DagVersion
	var created bool
	err = s.tx(ctx, func(tx *sql.Tx) error {
		parsed := fmtTime(p.ParsedAt)
		_, err := tx.ExecContext(ctx, `INSERT INTO dag (dag_id, is_paused, is_active, fileloc, description, owner, tags, schedule, last_parsed_at)
			VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (dag_id) DO UPDATE SET is_active = 1, fileloc = excluded.fileloc,
				description = excluded.description, owner = excluded.owner, tags = excluded.tags,
				schedule = excluded.schedule, last_parsed_at = excluded.last_parsed_at`,
			p.DagID, p.PausedOnCreation, p.FileLoc, p.Description, p.Owner, string(tags), p.Schedule, parsed)
		if err != nil {
			return err
		}
		latest, err := scanVersion(tx.QueryRowContext(ctx, versionSelect+` WHERE dag_id = ? ORDER BY version_number DESC LIMIT 1`, p.DagID))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
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
		res, err := tx.ExecContext(ctx, `INSERT INTO dag_version (dag_id, version_number, hash, fileloc, source, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, p.DagID, next, p.Hash, p.FileLoc, p.Source, parsed)
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE dag SET latest_version_id = ? WHERE dag_id = ?`, id, p.DagID); err != nil {
			return err
		}
		v = &store.DagVersion{ID: id, DagID: p.DagID, VersionNumber: next, Hash: p.Hash, FileLoc: p.FileLoc,
			Source: p.Source, CreatedAt: p.ParsedAt.UTC().Truncate(time.Microsecond)}
		created = true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("sync dag %s: %w", p.DagID, err)
	}
	return v, created, nil
}

// DagDeactivate marks the DAGs of fileLoc that are not in keep as inactive.
func (s *Store) DagDeactivate(ctx context.Context, fileLoc string, keep []string) error {
	q := `UPDATE dag SET is_active = 0 WHERE fileloc = ? AND is_active = 1`
	args := []any{fileLoc}
	if len(keep) > 0 {
		q += ` AND dag_id NOT IN (` + placeholders(len(keep)) + `)`
		for _, k := range keep {
			args = append(args, k)
		}
	}
	_, err := s.w.ExecContext(ctx, q, args...)
	return err
}

const dagSelect = `SELECT dag_id, is_paused, is_active, fileloc, COALESCE(latest_version_id, 0), description, owner,
	tags, schedule, next_interval_start, next_interval_end, last_parsed_at FROM dag`

func scanDag(row interface{ Scan(...any) error }) (*store.Dag, error) {
	var d store.Dag
	var tags string
	ns, ne := new(sql.NullString), new(sql.NullString)
	err := row.Scan(&d.DagID, &d.IsPaused, &d.IsActive, &d.FileLoc, &d.LatestVersionID, &d.Description, &d.Owner,
		&tags, &d.Schedule, ns, ne, timeCol{&d.LastParsedAt})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &d.Tags); err != nil {
		return nil, fmt.Errorf("dag %s tags: %w", d.DagID, err)
	}
	if ns.Valid && ne.Valid {
		start, err := parseTime(ns.String)
		if err != nil {
			return nil, err
		}
		end, err := parseTime(ne.String)
		if err != nil {
			return nil, err
		}
		d.NextDataInterval = &dag.DataInterval{Start: start, End: end}
	}
	return &d, nil
}

// DagGet returns one DAG.
func (s *Store) DagGet(ctx context.Context, dagID string) (*store.Dag, error) {
	d, err := scanDag(s.r.QueryRowContext(ctx, dagSelect+` WHERE dag_id = ?`, dagID))
	return d, notFound(err, "dag "+dagID)
}

// DagList returns DAGs ordered by id.
func (s *Store) DagList(ctx context.Context, p *store.DagListParams) ([]*store.Dag, error) {
	var where []string
	var args []any
	if !p.IncludeInactive {
		where = append(where, "is_active = 1")
	}
	if p.Paused != nil {
		where = append(where, "is_paused = ?")
		args = append(args, *p.Paused)
	}
	q := dagSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY dag_id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Dag
	for rows.Next() {
		d, err := scanDag(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DagSetPaused pauses or unpauses a DAG.
func (s *Store) DagSetPaused(ctx context.Context, dagID string, paused bool) error {
	res, err := s.w.ExecContext(ctx, `UPDATE dag SET is_paused = ? WHERE dag_id = ?`, paused, dagID)
	if err != nil {
		return err
	}
	return requireOne(res, "dag "+dagID)
}

// DagSetNextRun records the next scheduled interval.
func (s *Store) DagSetNextRun(ctx context.Context, dagID string, next *dag.DataInterval) error {
	var start, end any
	if next != nil {
		start, end = fmtTime(next.Start), fmtTime(next.End)
	}
	_, err := s.w.ExecContext(ctx, `UPDATE dag SET next_interval_start = ?, next_interval_end = ? WHERE dag_id = ?`, start, end, dagID)
	return err
}

const versionSelect = `SELECT id, dag_id, version_number, hash, fileloc, source, created_at FROM dag_version`

func scanVersion(row interface{ Scan(...any) error }) (*store.DagVersion, error) {
	var v store.DagVersion
	if err := row.Scan(&v.ID, &v.DagID, &v.VersionNumber, &v.Hash, &v.FileLoc, &v.Source, timeCol{&v.CreatedAt}); err != nil {
		return nil, err
	}
	return &v, nil
}

// DagVersionGet returns one DAG version.
func (s *Store) DagVersionGet(ctx context.Context, id int64) (*store.DagVersion, error) {
	v, err := scanVersion(s.r.QueryRowContext(ctx, versionSelect+` WHERE id = ?`, id))
	return v, notFound(err, fmt.Sprintf("dag version %d", id))
}

// ImportErrorSet records the error of a DAG file, replacing an older one.
func (s *Store) ImportErrorSet(ctx context.Context, fileLoc, message string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO import_error (fileloc, message, timestamp) VALUES (?, ?, ?)
		ON CONFLICT (fileloc) DO UPDATE SET message = excluded.message, timestamp = excluded.timestamp`,
		fileLoc, message, fmtTime(nowUTC()))
	return err
}

// ImportErrorClear removes the error of a DAG file.
func (s *Store) ImportErrorClear(ctx context.Context, fileLoc string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM import_error WHERE fileloc = ?`, fileLoc)
	return err
}

// ImportErrorList returns the import errors ordered by file.
func (s *Store) ImportErrorList(ctx context.Context) ([]*store.ImportError, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, fileloc, message, timestamp FROM import_error ORDER BY fileloc`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.ImportError
	for rows.Next() {
		var e store.ImportError
		if err := rows.Scan(&e.ID, &e.FileLoc, &e.Message, timeCol{&e.Timestamp}); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func requireOne(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}
