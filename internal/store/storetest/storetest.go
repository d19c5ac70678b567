// Package storetest is the conformance suite every store.Store
// implementation runs: the SQLite store and the PostgreSQL store. It tests
// behaviour through the interface only, so an implementation passes it or
// differs from the others somewhere callers would notice.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// Opener returns a fresh, empty, migrated store that no other test shares,
// and closes it when t ends (t.Cleanup).
type Opener = func(t *testing.T) store.Store

// Exercise runs the suite. Every subtest opens its own store and runs in
// parallel with the others.
func Exercise(t *testing.T, open Opener) {
	t.Run("Dag", func(t *testing.T) { exerciseDag(t, open) })
	t.Run("ImportError", func(t *testing.T) { exerciseImportError(t, open) })
	t.Run("DagRun", func(t *testing.T) { exerciseDagRun(t, open) })
	t.Run("TaskInstance", func(t *testing.T) { exerciseTaskInstance(t, open) })
	t.Run("TaskInstanceClear", func(t *testing.T) { exerciseTaskInstanceClear(t, open) })
	t.Run("XCom", func(t *testing.T) { exerciseXCom(t, open) })
	t.Run("Variable", func(t *testing.T) { exerciseVariable(t, open) })
	t.Run("Pool", func(t *testing.T) { exercisePool(t, open) })
	t.Run("Scheduler", func(t *testing.T) { exerciseScheduler(t, open) })
	t.Run("Auth", func(t *testing.T) { exerciseAuth(t, open) })
	t.Run("Query", func(t *testing.T) { exerciseQuery(t, open) })
}

// setup marks the subtest parallel and opens its store.
func setup(t *testing.T, open Opener) (store.Store, context.Context) {
	t.Helper()
	t.Parallel()
	return open(t), t.Context()
}

// zone is the location of every time the suite writes: a store must return
// the same instant in UTC whatever location it was given. The half-hour
// offset catches an implementation that drops the minutes of an offset.
var zone = time.FixedZone("UTC+05:30", 5*3600+30*60)

// day returns a microsecond-precise time on the nth day of March 2026 in
// zone: the finest precision both SQLite and PostgreSQL keep.
func day(n int) time.Time {
	return time.Date(2026, time.March, n, 6, 30, 15, 123456000, zone)
}

// hour returns day(1) plus h hours, for times within one run.
func hour(h int) time.Time { return day(1).Add(time.Duration(h) * time.Hour) }

func ptr[T any](v T) *T { return &v }

// dagParams is a DAG of its own file with every field set.
func dagParams(dagID, hash string) *store.DagSyncParams {
	return &store.DagSyncParams{
		DagID:       dagID,
		FileLoc:     "dags/" + dagID + ".yaml",
		Source:      []byte("dag_id: " + dagID + "\n# " + hash + "\n"),
		Hash:        hash,
		Description: "the " + dagID + " DAG",
		Owner:       "data-eng",
		Tags:        []string{"etl", "daily"},
		Schedule:    "@daily",
		ParsedAt:    hour(0),
	}
}

func mustSync(t *testing.T, s store.Store, p *store.DagSyncParams) (*store.DagVersion, bool) {
	t.Helper()
	v, created, err := s.DagSync(t.Context(), p)
	if err != nil {
		t.Fatalf("DagSync %s: %v", p.DagID, err)
	}
	return v, created
}

// syncDag creates a DAG with one version.
func syncDag(t *testing.T, s store.Store, dagID string) *store.DagVersion {
	t.Helper()
	v, _ := mustSync(t, s, dagParams(dagID, "h1"))
	return v
}

// task is a task instance to create with a run, in the default pool.
func task(id string) store.TaskInstanceInit {
	return store.TaskInstanceInit{TaskID: id, MapIndex: -1, Pool: "default_pool", PoolSlots: 1, PriorityWeight: 1}
}

// runParams is a queued scheduled run of version v at a logical date.
func runParams(v *store.DagVersion, runID string, logical time.Time, tasks ...store.TaskInstanceInit) *store.DagRunCreateParams {
	return &store.DagRunCreateParams{
		DagID:        v.DagID,
		RunID:        runID,
		VersionID:    v.ID,
		RunType:      dag.RunScheduled,
		State:        dag.DagRunQueued,
		LogicalDate:  logical,
		DataInterval: dag.DataInterval{Start: logical, End: logical.Add(24 * time.Hour)},
		Conf:         json.RawMessage(`{}`),
		CreatedAt:    logical.Add(24*time.Hour + time.Minute),
		Tasks:        tasks,
	}
}

func mustCreateRun(t *testing.T, s store.Store, p *store.DagRunCreateParams) *store.DagRun {
	t.Helper()
	r, err := s.DagRunCreate(t.Context(), p)
	if err != nil {
		t.Fatalf("DagRunCreate %s/%s: %v", p.DagID, p.RunID, err)
	}
	return r
}

// createRun creates a queued scheduled run of v with the given tasks.
func createRun(t *testing.T, s store.Store, v *store.DagVersion, runID string, logical time.Time, tasks ...store.TaskInstanceInit) *store.DagRun {
	t.Helper()
	return mustCreateRun(t, s, runParams(v, runID, logical, tasks...))
}

func mustApply(t *testing.T, s store.Store, changes ...*store.TaskInstanceChange) []bool {
	t.Helper()
	ok, err := s.TaskInstanceApply(t.Context(), changes)
	if err != nil {
		t.Fatalf("TaskInstanceApply: %v", err)
	}
	if len(ok) != len(changes) {
		t.Fatalf("TaskInstanceApply returned %d results for %d changes", len(ok), len(changes))
	}
	return ok
}

// force puts a task instance in a state without a guard, for fixtures.
func force(t *testing.T, s store.Store, runPK int64, taskID string, state dag.TaskState) {
	t.Helper()
	if ok := mustApply(t, s, &store.TaskInstanceChange{RunPK: runPK, TaskID: taskID, MapIndex: -1, State: state}); !ok[0] {
		t.Fatalf("task instance %s of run %d: unguarded change to %s did not apply", taskID, runPK, state)
	}
}

func mustTI(t *testing.T, s store.Store, runPK int64, taskID string) *store.TaskInstance {
	t.Helper()
	ti, err := s.TaskInstanceGet(t.Context(), runPK, taskID, -1)
	if err != nil {
		t.Fatalf("TaskInstanceGet %s of run %d: %v", taskID, runPK, err)
	}
	return ti
}

func mustRun(t *testing.T, s store.Store, id int64) *store.DagRun {
	t.Helper()
	r, err := s.DagRunGetByID(t.Context(), id)
	if err != nil {
		t.Fatalf("DagRunGetByID %d: %v", id, err)
	}
	return r
}

func mustDag(t *testing.T, s store.Store, dagID string) *store.Dag {
	t.Helper()
	d, err := s.DagGet(t.Context(), dagID)
	if err != nil {
		t.Fatalf("DagGet %s: %v", dagID, err)
	}
	return d
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: got error %v, want store.ErrNotFound", what, err)
	}
}

// equalTime checks that a stored time is the instant written, in UTC.
func equalTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.Format(time.RFC3339Nano), want.UTC().Format(time.RFC3339Nano))
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %s, want UTC", what, got.Location())
	}
}

func equalOptTime(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil:
		t.Errorf("%s = nil, want %s", what, want.UTC().Format(time.RFC3339Nano))
	case want == nil:
		t.Errorf("%s = %s, want nil", what, got.Format(time.RFC3339Nano))
	default:
		equalTime(t, what, *got, *want)
	}
}

// recent checks a time the store took from its own clock.
func recent(t *testing.T, what string, got time.Time) {
	t.Helper()
	// A database server's clock may be a little off the test's.
	if d := time.Since(got); d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %s, want about now", what, got.Format(time.RFC3339Nano))
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %s, want UTC", what, got.Location())
	}
}

// equalJSON compares JSON by value: PostgreSQL's jsonb does not keep the
// text as written.
func equalJSON(t *testing.T, what string, got, want json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s = %q: %v", what, got, err)
		return
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: bad expected JSON %q: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func equalBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// equalSet compares two lists ignoring order, for lists whose order the
// interface does not promise.
func equalSet[T interface{ ~string | ~int64 }](t *testing.T, what string, got, want []T) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s = %v, want %v", what, g, w)
	}
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func equalSlice[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// pluck collects a key of every element.
func pluck[E any, K any](es []E, key func(E) K) []K {
	out := make([]K, 0, len(es))
	for _, e := range es {
		out = append(out, key(e))
	}
	return out
}

func equalOptInt(t *testing.T, what string, got, want *int) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil:
		t.Errorf("%s = nil, want %d", what, *want)
	case want == nil:
		t.Errorf("%s = %d, want nil", what, *got)
	case *got != *want:
		t.Errorf("%s = %d, want %d", what, *got, *want)
	}
}
