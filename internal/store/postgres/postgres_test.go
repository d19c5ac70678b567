package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
	"github.com/updraft-dev/updraft/internal/store/storetest"
)

func TestMain(m *testing.M) { pgserver.Main(m) }

func TestExercise(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) store.Store { return openStore(t) })
}

// openStore opens a migrated store on a new database that t drops.
func openStore(t *testing.T) *Store {
	t.Helper()
	return openURL(t, pgserver.ForTest(t), Options{})
}

func openURL(t *testing.T, url string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
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
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23514"
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
		_, err := s.pool.Exec(ctx, q, args...)
		return err
	}
	if _, err := s.TaskInstanceApply(ctx, []*store.TaskInstanceChange{{RunPK: r.ID, TaskID: "a", MapIndex: -1,
		State: dag.TaskSuccess, RecordTry: true}}); err != nil {
		t.Fatal(err)
	}
	for _, st := range dag.TaskStates() {
		if err := exec(`UPDATE task_instance SET state = $1 WHERE dag_run_id = $2`, string(st), r.ID); err != nil {
			t.Errorf("task state %s refused: %v", st, err)
		}
		if err := exec(`UPDATE task_instance_history SET state = $1 WHERE dag_run_id = $2`, string(st), r.ID); err != nil {
			t.Errorf("history state %s refused: %v", st, err)
		}
	}
	for _, st := range dag.DagRunStates() {
		if err := exec(`UPDATE dag_run SET state = $1 WHERE id = $2`, string(st), r.ID); err != nil {
			t.Errorf("run state %s refused: %v", st, err)
		}
	}
	for _, rt := range []dag.RunType{dag.RunScheduled, dag.RunManual, dag.RunBackfill} {
		if err := exec(`UPDATE dag_run SET run_type = $1 WHERE id = $2`, string(rt), r.ID); err != nil {
			t.Errorf("run type %s refused: %v", rt, err)
		}
	}
	for _, st := range []string{store.JobRunning, store.JobSuccess, store.JobFailed} {
		if err := exec(`INSERT INTO scheduler_job (hostname, pid, state, start_date, latest_heartbeat) VALUES ('h', 1, $1, now(), now())`, st); err != nil {
			t.Errorf("job state %s refused: %v", st, err)
		}
	}

	for _, c := range []struct {
		name string
		q    string
		args []any
	}{
		{"task state", `UPDATE task_instance SET state = $1 WHERE dag_run_id = $2`, []any{"exploded", r.ID}},
		// none is NULL, never the empty string.
		{"empty task state", `UPDATE task_instance SET state = $1 WHERE dag_run_id = $2`, []any{"", r.ID}},
		{"task state case", `UPDATE task_instance SET state = $1 WHERE dag_run_id = $2`, []any{"SUCCESS", r.ID}},
		{"history state", `UPDATE task_instance_history SET state = $1 WHERE dag_run_id = $2`, []any{"", r.ID}},
		{"run state", `UPDATE dag_run SET state = $1 WHERE id = $2`, []any{"paused", r.ID}},
		{"run type", `UPDATE dag_run SET run_type = $1 WHERE id = $2`, []any{"asset_triggered", r.ID}},
		{"pool slots", `UPDATE slot_pool SET slots = -1 WHERE name = 'default_pool'`, nil},
		{"job state", `UPDATE scheduler_job SET state = 'queued'`, nil},
		{"half an interval", `UPDATE dag SET next_interval_start = now()`, nil},
	} {
		if err := exec(c.q, c.args...); !isCheckViolation(err) {
			t.Errorf("invalid %s: got error %v, want a CHECK violation", c.name, err)
		}
	}
}

// TestHasUnfinishedEveryState checks the partial index's list of finished
// states, which the query repeats, against package dag's.
func TestHasUnfinishedEveryState(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := t.Context()
	r := fixture(t, s)
	for _, st := range append(dag.TaskStates(), dag.TaskNone) {
		if _, err := s.TaskInstanceApply(ctx, []*store.TaskInstanceChange{{RunPK: r.ID, TaskID: "a", MapIndex: -1, State: st}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.TaskInstanceHasUnfinished(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != !st.Finished() {
			t.Errorf("HasUnfinished with the only task instance %s = %v, want %v", st, got, !st.Finished())
		}
	}
}

// TestQueryPlans checks that the scheduler's hot queries can be served by
// their indexes, in the order asked, without a sort: a condition that
// drifts from an index's (a partial index's predicate, the state index's
// order) would still give right answers, only slowly at scale.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := t.Context()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	// An empty table is cheapest to scan: forbid that, so the plan shows
	// whether an index can do the work.
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off; SET enable_bitmapscan = off`); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.Exec(context.Background(), `RESET ALL`) }()
	plan := func(q string, args ...any) string {
		t.Helper()
		rows, err := conn.Query(ctx, `EXPLAIN `+q, args...)
		if err != nil {
			t.Fatalf("EXPLAIN %s: %v", q, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("EXPLAIN %s: %v", q, err)
		}
		return strings.Join(lines, "\n")
	}
	scheduled, args := listByState(&store.TaskInstanceListParams{States: []dag.TaskState{dag.TaskScheduled}, Limit: 32,
		ExcludeDags: []string{"x"}, ExcludePools: []string{"y"}})
	orphans, orphanArgs := listByState(&store.TaskInstanceListParams{
		States: []dag.TaskState{dag.TaskQueued, dag.TaskRunning, dag.TaskRestarting}, Orphaned: true})
	for _, c := range []struct {
		name, plan, index string
		// sorts allows a sort: the active tries are few, sorting them is
		// cheap; the scheduled ones may be a whole backlog.
		sorts bool
	}{
		{"dispatch candidates", plan(scheduled+` FOR UPDATE OF ti SKIP LOCKED`, args...), "task_instance_state", false},
		{"has unfinished", plan(`SELECT EXISTS (SELECT FROM task_instance WHERE dag_run_id = $1
			AND (state IS NULL OR state NOT IN ('success', 'failed', 'skipped', 'upstream_failed', 'removed')))`, int64(1)),
			"task_instance_unfinished", false},
		{"orphaned tries", plan(orphans, orphanArgs...), "task_instance_queued_by_job", true},
		{"stale jobs", plan(`SELECT id FROM scheduler_job WHERE state = 'running' AND latest_heartbeat < now()`),
			"scheduler_job_running", false},
	} {
		if !strings.Contains(c.plan, c.index) {
			t.Errorf("%s: plan does not use %s:\n%s", c.name, c.index, c.plan)
		}
		if !c.sorts && strings.Contains(c.plan, "Sort") {
			t.Errorf("%s: plan sorts:\n%s", c.name, c.plan)
		}
	}
}

// TestTimesTruncateToMicrosecond pins what happens below the precision
// PostgreSQL keeps: times are cut, not rounded, as on SQLite, so a time
// never moves later.
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
	if want := at.Truncate(time.Microsecond); got.StartDate == nil || !got.StartDate.Equal(want) || got.StartDate.Location() != time.UTC {
		t.Errorf("start date = %v, want %v in UTC", got.StartDate, want.UTC())
	}
}

// JSON is kept as written, and a document jsonb would refuse (the \u0000
// escape) is stored, not fatal to the batch it came in.
func TestJSONKeptAsWritten(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := t.Context()
	r := fixture(t, s)
	value := json.RawMessage(`{"z": 1,  "a": "nul \u0000 here"}`)
	rendered := json.RawMessage(`{"command": ["echo", "\u0000"]}`)
	ok, err := s.TaskInstanceApply(ctx, []*store.TaskInstanceChange{{RunPK: r.ID, TaskID: "a", MapIndex: -1,
		State: dag.TaskSuccess, XCom: value, Rendered: rendered}})
	if err != nil || !ok[0] {
		t.Fatalf("TaskInstanceApply = %v, %v", ok, err)
	}
	x, err := s.XComGet(ctx, r.ID, "a", -1, "return_value")
	if err != nil {
		t.Fatal(err)
	}
	if string(x.Value) != string(value) {
		t.Errorf("xcom value = %s, want %s as written", x.Value, value)
	}
	ti, err := s.TaskInstanceGet(ctx, r.ID, "a", -1)
	if err != nil {
		t.Fatal(err)
	}
	if string(ti.Rendered) != string(rendered) {
		t.Errorf("rendered = %s, want %s as written", ti.Rendered, rendered)
	}
	got, err := s.DagRunGetByID(ctx, r.ID)
	if err != nil || string(got.Conf) != `{}` {
		t.Errorf("conf of a run created without one = %s, %v; want {}", got.Conf, err)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgserver.ForTest(t)
	if _, err := Open(ctx, url, Options{}); err != nil { // migrated once, for the stores below
		t.Fatal(err)
	}
	show := func(s *Store, setting string) string {
		t.Helper()
		var v string
		if err := s.pool.QueryRow(ctx, "SHOW "+setting).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	withParams := url + "&statement_timeout=7000&pool_max_conns=3&application_name=mine"
	for _, c := range []struct {
		name                 string
		url                  string
		opts                 Options
		statement, lock, app string
		maxConns             int32
	}{
		{"defaults", url, Options{}, "30s", "10s", "updraft", defaultMaxConns},
		{"options", url, Options{StatementTimeout: 5 * time.Second, LockTimeout: 2 * time.Second, MaxConns: 5}, "5s", "2s", "updraft", 5},
		{"url", withParams, Options{}, "7s", "10s", "mine", 3},
		{"options over url", withParams, Options{StatementTimeout: time.Minute, MaxConns: 9}, "1min", "10s", "mine", 9},
	} {
		s := openURL(t, c.url, c.opts)
		if got := show(s, "statement_timeout"); got != c.statement {
			t.Errorf("%s: statement_timeout = %s, want %s", c.name, got, c.statement)
		}
		if got := show(s, "lock_timeout"); got != c.lock {
			t.Errorf("%s: lock_timeout = %s, want %s", c.name, got, c.lock)
		}
		if got := show(s, "application_name"); got != c.app {
			t.Errorf("%s: application_name = %s, want %s", c.name, got, c.app)
		}
		if got := s.pool.Config().MaxConns; got != c.maxConns {
			t.Errorf("%s: max conns = %d, want %d", c.name, got, c.maxConns)
		}
	}
	// A statement past the timeout fails instead of holding its locks.
	s := openURL(t, url, Options{StatementTimeout: 50 * time.Millisecond})
	if _, err := s.pool.Exec(ctx, `SELECT pg_sleep(1)`); err == nil {
		t.Error("a statement longer than the statement timeout succeeded")
	}
}

func TestConnParamSet(t *testing.T) {
	for _, c := range []struct {
		conn string
		key  string
		want bool
	}{
		{"postgres://h/db?pool_max_conns=3", "pool_max_conns", true},
		{"postgresql://h/db?sslmode=disable", "pool_max_conns", false},
		{"host=h pool_max_conns = 3", "pool_max_conns", true},
		{"host=h my_pool_max_conns=3", "pool_max_conns", false},
	} {
		if got := connParamSet(c.conn, c.key); got != c.want {
			t.Errorf("connParamSet(%q, %q) = %v, want %v", c.conn, c.key, got, c.want)
		}
	}
}
