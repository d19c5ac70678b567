package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/storetest"
)

func TestExercise(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) store.Store { return openStore(t) })
}

// openStore opens a migrated store on a new file that t removes.
func openStore(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "updraft.db"))
}

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "updraft.db")
	s, err := OpenNoMigrate(ctx, path)
	if err != nil {
		t.Fatalf("OpenNoMigrate: %v", err)
	}
	defer s.Close()

	ms, err := loadMigrations()
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	if len(ms) == 0 || LatestVersion() != ms[len(ms)-1].Version {
		t.Fatalf("LatestVersion() = %d with %d migrations", LatestVersion(), len(ms))
	}
	var names []string
	for i, m := range ms {
		// Versions are what Migrate compares: two files with one number
		// would leave one of them never applied.
		if i > 0 && m.Version == ms[i-1].Version {
			t.Errorf("migrations %s and %s have the same version", ms[i-1].Name, m.Name)
		}
		names = append(names, m.Name)
	}

	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	if strings.Join(applied, ",") != strings.Join(names, ",") {
		t.Errorf("first Migrate applied %v, want %v", applied, names)
	}
	applied, err = s.Migrate(ctx)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", applied)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != LatestVersion() {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, LatestVersion())
	}
	var rows int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migration`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(ms) {
		t.Errorf("schema_migration has %d rows, want %d", rows, len(ms))
	}
	// The seed rows of a migration are not written twice.
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM slot_pool`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("slot_pool has %d rows, want 1", rows)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Opening an up-to-date database migrates nothing and keeps its data.
	s2 := openAt(t, path)
	applied, err = s2.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Errorf("Migrate after reopen = %v, %v; want nothing applied", applied, err)
	}
	if _, err := s2.PoolGet(ctx, "default_pool"); err != nil {
		t.Errorf("PoolGet after reopen: %v", err)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "updraft.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	newer := LatestVersion() + 1
	_, err = s.w.ExecContext(ctx, `INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)`,
		newer, fmt.Sprintf("%03d_future.up.sql", newer), fmtTime(nowUTC()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer updraft: no error")
	}
	// The error must tell the operator what to do, with both versions.
	for _, want := range []string{"newer", fmt.Sprint(newer), fmt.Sprint(LatestVersion()), "upgrade updraft"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	s, err = OpenNoMigrate(ctx, path)
	if err != nil {
		t.Fatalf("OpenNoMigrate: %v", err)
	}
	defer s.Close()
	if applied, err := s.Migrate(ctx); err == nil || len(applied) != 0 {
		t.Errorf("Migrate of a newer database = %v, %v; want an error and nothing applied", applied, err)
	}
}

// fixture writes a DAG, a run and a task instance through the store.
func fixture(t *testing.T, s *Store) *store.DagRun {
	t.Helper()
	ctx := t.Context()
	v, _, err := s.DagSync(ctx, &store.DagSyncParams{DagID: "etl", FileLoc: "dags/etl.yaml", Source: []byte("x"),
		Hash: "h1", ParsedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r, err := s.DagRunCreate(ctx, &store.DagRunCreateParams{DagID: "etl", RunID: "r1", VersionID: v.ID,
		RunType: dag.RunManual, State: dag.DagRunQueued, LogicalDate: now,
		DataInterval: dag.DataInterval{Start: now, End: now}, CreatedAt: now,
		Tasks: []store.TaskInstanceInit{{TaskID: "a", MapIndex: -1, Pool: "default_pool", PoolSlots: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func isCheckViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_CHECK
}

// TestCheckConstraints checks that the database, not only the Go code,
// refuses a state it does not know, and accepts every state package dag
// lists: the CHECKs and state.go must not drift apart.
func TestCheckConstraints(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := t.Context()
	r := fixture(t, s)

	exec := func(q string, args ...any) error {
		_, err := s.w.ExecContext(ctx, q, args...)
		return err
	}
	for _, st := range dag.TaskStates() {
		if err := exec(`UPDATE task_instance SET state = ? WHERE dag_run_id = ?`, string(st), r.ID); err != nil {
			t.Errorf("task state %s refused: %v", st, err)
		}
	}
	if err := exec(`UPDATE task_instance SET state = NULL WHERE dag_run_id = ?`, r.ID); err != nil {
		t.Errorf("task state none (NULL) refused: %v", err)
	}
	for _, st := range dag.DagRunStates() {
		if err := exec(`UPDATE dag_run SET state = ? WHERE id = ?`, string(st), r.ID); err != nil {
			t.Errorf("run state %s refused: %v", st, err)
		}
	}
	for _, rt := range []dag.RunType{dag.RunScheduled, dag.RunManual, dag.RunBackfill} {
		if err := exec(`UPDATE dag_run SET run_type = ? WHERE id = ?`, string(rt), r.ID); err != nil {
			t.Errorf("run type %s refused: %v", rt, err)
		}
	}

	for _, c := range []struct {
		name string
		q    string
		args []any
	}{
		{"task state", `UPDATE task_instance SET state = ? WHERE dag_run_id = ?`, []any{"exploded", r.ID}},
		// none is NULL, never the empty string.
		{"empty task state", `UPDATE task_instance SET state = ? WHERE dag_run_id = ?`, []any{"", r.ID}},
		{"task state case", `UPDATE task_instance SET state = ? WHERE dag_run_id = ?`, []any{"SUCCESS", r.ID}},
		{"run state", `UPDATE dag_run SET state = ? WHERE id = ?`, []any{"paused", r.ID}},
		{"run type", `UPDATE dag_run SET run_type = ? WHERE id = ?`, []any{"asset_triggered", r.ID}},
		{"new run state", `INSERT INTO dag_run (dag_id, run_id, dag_version_id, state, run_type, logical_date,
			data_interval_start, data_interval_end, created_at) SELECT dag_id, 'r2', dag_version_id, 'none', run_type,
			logical_date, data_interval_start, data_interval_end, created_at FROM dag_run WHERE id = ?`, []any{r.ID}},
		{"pool slots", `UPDATE slot_pool SET slots = -1 WHERE name = 'default_pool'`, nil},
	} {
		if err := exec(c.q, c.args...); !isCheckViolation(err) {
			t.Errorf("invalid %s: got error %v, want a CHECK violation", c.name, err)
		}
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := t.Context()
	for _, c := range []struct {
		conn   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"reader", "journal_mode", "wal"},
		{"writer", "foreign_keys", "1"},
		{"reader", "foreign_keys", "1"},
		{"writer", "busy_timeout", "10000"},
		{"reader", "busy_timeout", "10000"},
		{"writer", "query_only", "0"},
		{"reader", "query_only", "1"},
	} {
		db := s.w
		if c.conn == "reader" {
			db = s.r
		}
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Errorf("%s PRAGMA %s: %v", c.conn, c.pragma, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s PRAGMA %s = %s, want %s", c.conn, c.pragma, got, c.want)
		}
	}
	// The reader pool must never take the write lock from the writer.
	if _, err := s.r.ExecContext(ctx, `INSERT INTO variable (key, val) VALUES ('x', 'y')`); err == nil {
		t.Error("a write through the reader pool succeeded")
	}
}

// TestPathWithURICharacters opens a database in a directory whose name has
// the characters a SQLite URI gives a meaning to.
func TestPathWithURICharacters(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a#b%41?c d", "updraft.db")
	s := openAt(t, path)
	if err := s.VariableSet(t.Context(), &store.Variable{Key: "k", Value: "v"}); err != nil {
		t.Fatalf("VariableSet: %v", err)
	}
	if _, err := s.VariableGet(t.Context(), "k"); err != nil {
		t.Fatalf("VariableGet: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the path given: %v", err)
	}
}

// TestTimesTruncateToMicrosecond pins what happens below the precision the
// store keeps: times are cut, not rounded, so a time never moves later.
func TestTimesTruncateToMicrosecond(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := t.Context()
	r := fixture(t, s)
	at := time.Date(2026, 3, 1, 23, 59, 59, 999999999, time.FixedZone("west", -7*3600))
	if _, err := s.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: r.ID, State: dag.DagRunRunning, StartDate: &at}); err != nil {
		t.Fatal(err)
	}
	got, err := s.DagRunGetByID(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := at.Truncate(time.Microsecond); got.StartDate == nil || !got.StartDate.Equal(want) {
		t.Errorf("start date = %v, want %v", got.StartDate, want.UTC())
	}
}

// Two processes starting on a new database (a scheduler and a CLI command)
// migrate it at once: one applies the migrations, the other finds them
// applied, and neither fails.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new.db")
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := Open(context.Background(), path)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(context.Background()); err != nil || v != LatestVersion() {
		t.Fatalf("schema version %d (%v), want %d", v, err, LatestVersion())
	}
}
