package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	if len(ms) == 0 || LatestVersion() != ms[len(ms)-1].version {
		t.Fatalf("LatestVersion() = %d with %d migrations", LatestVersion(), len(ms))
	}
	var names []string
	for i, m := range ms {
		// Versions are what Migrate compares: two files with one number
		// would leave one of them never applied.
		if i > 0 && m.version == ms[i-1].version {
			t.Errorf("migrations %s and %s have the same version", ms[i-1].name, m.name)
		}
		names = append(names, m.name)
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

// churn runs one worker of the concurrency tests: it takes every task
// instance of its run through cycles of scheduled, queued, running and
// success, in batches, clearing the run between cycles, and reads from
// both connection pools between writes.
func churn(ctx context.Context, s *Store, run *store.DagRun, tasks []string, cycles int) error {
	batch := func(mk func(id string) *store.TaskInstanceChange) error {
		changes := make([]*store.TaskInstanceChange, 0, len(tasks))
		for _, id := range tasks {
			changes = append(changes, mk(id))
		}
		ok, err := s.TaskInstanceApply(ctx, changes)
		if err != nil {
			return err
		}
		for i, applied := range ok {
			if !applied {
				return fmt.Errorf("run %d: change of %s did not apply", run.ID, tasks[i])
			}
		}
		return nil
	}
	read := func() error {
		if _, err := s.TaskInstanceListByState(ctx, []dag.TaskState{dag.TaskScheduled, dag.TaskQueued}, 50); err != nil {
			return err
		}
		if _, err := s.TaskInstanceCountActive(ctx); err != nil {
			return err
		}
		if _, err := s.DagRunList(ctx, &store.DagRunListParams{DagID: run.DagID, Limit: 10}); err != nil {
			return err
		}
		if _, err := s.XComList(ctx, run.ID); err != nil {
			return err
		}
		if _, err := s.TaskInstanceTries(ctx, run.ID, tasks[0], -1); err != nil {
			return err
		}
		_, err := s.DagList(ctx, &store.DagListParams{})
		return err
	}
	now := time.Now()
	for cycle := 1; cycle <= cycles; cycle++ {
		steps := []func(id string) *store.TaskInstanceChange{
			func(id string) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{RunPK: run.ID, TaskID: id, MapIndex: -1,
					From: []dag.TaskState{dag.TaskNone}, State: dag.TaskScheduled}
			},
			func(id string) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{RunPK: run.ID, TaskID: id, MapIndex: -1,
					From: []dag.TaskState{dag.TaskScheduled}, State: dag.TaskQueued, TryDelta: 1, QueuedAt: &now}
			},
			func(id string) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{RunPK: run.ID, TaskID: id, MapIndex: -1, Try: cycle,
					From: []dag.TaskState{dag.TaskQueued}, State: dag.TaskRunning, StartDate: &now}
			},
			func(id string) *store.TaskInstanceChange {
				return &store.TaskInstanceChange{RunPK: run.ID, TaskID: id, MapIndex: -1, Try: cycle,
					From: []dag.TaskState{dag.TaskRunning}, State: dag.TaskSuccess, EndDate: &now,
					RecordTry: true, XCom: json.RawMessage(fmt.Sprint(cycle))}
			},
		}
		for _, step := range steps {
			if err := batch(step); err != nil {
				return err
			}
			if err := read(); err != nil {
				return err
			}
		}
		if cycle < cycles {
			if _, err := s.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: run.ID}); err != nil {
				return err
			}
		}
	}
	return nil
}

// runChurn creates a run per worker on the store it is given and churns
// them all at once, then checks every run ended as the cycles say.
func runChurn(t *testing.T, stores []*Store, workers, cycles int) {
	t.Helper()
	ctx := t.Context()
	v, _, err := stores[0].DagSync(ctx, &store.DagSyncParams{DagID: "busy", FileLoc: "dags/busy.yaml",
		Source: []byte("x"), Hash: "h1", ParsedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var tasks []string
	var inits []store.TaskInstanceInit
	for i := range 16 {
		id := fmt.Sprintf("t%02d", i)
		tasks = append(tasks, id)
		inits = append(inits, store.TaskInstanceInit{TaskID: id, MapIndex: -1, Pool: "default_pool", PoolSlots: 1, PriorityWeight: i})
	}

	var wg sync.WaitGroup
	errs := make([]error, workers)
	runs := make([]*store.DagRun, workers)
	start := make(chan struct{})
	for w := range workers {
		s := stores[w%len(stores)]
		wg.Go(func() {
			<-start
			now := time.Now()
			r, err := s.DagRunCreate(ctx, &store.DagRunCreateParams{DagID: "busy", RunID: fmt.Sprint("run", w),
				VersionID: v.ID, RunType: dag.RunManual, State: dag.DagRunRunning, LogicalDate: now.Add(time.Duration(w) * time.Hour),
				DataInterval: dag.DataInterval{Start: now, End: now}, CreatedAt: now, Tasks: inits})
			if err != nil {
				errs[w] = err
				return
			}
			runs[w] = r
			errs[w] = churn(ctx, s, r, tasks, cycles)
		})
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			if strings.Contains(err.Error(), "database is locked") || strings.Contains(err.Error(), "SQLITE_BUSY") {
				t.Errorf("worker %d: the database was busy: %v", w, err)
			} else {
				t.Errorf("worker %d: %v", w, err)
			}
		}
	}
	if t.Failed() {
		return
	}

	s := stores[0]
	for _, r := range runs {
		tis, err := s.TaskInstanceListByRun(ctx, r.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range tis {
			if ti.State != dag.TaskSuccess || ti.TryNumber != cycles {
				t.Errorf("%s/%s: state %s, try %d; want success, try %d", r.RunID, ti.TaskID, ti.State, ti.TryNumber, cycles)
			}
		}
		tries, err := s.TaskInstanceTries(ctx, r.ID, tasks[len(tasks)-1], -1)
		if err != nil || len(tries) != cycles {
			t.Errorf("%s: %d tries recorded (%v), want %d", r.RunID, len(tries), err, cycles)
		}
		x, err := s.XComGet(ctx, r.ID, tasks[0], -1, "return_value")
		if err != nil || string(x.Value) != fmt.Sprint(cycles) {
			t.Errorf("%s: return value %v (%v), want %d", r.RunID, x, err, cycles)
		}
		if got, err := s.DagRunGetByID(ctx, r.ID); err != nil || got.ClearNumber != cycles-1 {
			t.Errorf("%s: clear number %v (%v), want %d", r.RunID, got, err, cycles-1)
		}
	}
}

// TestConcurrentApplyAndRead is the scheduler's load on one store: writers
// queue on the one writer connection, readers share WAL snapshots, and no
// one sees "database is locked".
func TestConcurrentApplyAndRead(t *testing.T) {
	t.Parallel()
	runChurn(t, []*Store{openStore(t)}, 8, 6)
}

// TestConcurrentHandles is the scheduler and a CLI command on one file:
// two writer connections, so the file lock and busy_timeout keep them apart.
func TestConcurrentHandles(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "updraft.db")
	runChurn(t, []*Store{openAt(t, path), openAt(t, path)}, 8, 4)
}
