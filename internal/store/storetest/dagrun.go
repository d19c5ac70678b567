package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

func runIDOf(r *store.DagRun) string { return r.RunID }

func taskIDOf(ti *store.TaskInstance) string { return ti.TaskID }

func exerciseDagRun(t *testing.T, open Opener) {
	t.Run("ListBefore", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		for i := 1; i <= 3; i++ {
			createRun(t, s, v, fmt.Sprintf("r%d", i), day(i), task("a"))
		}
		before := day(3)
		runs, err := s.DagRunList(ctx, &store.DagRunListParams{DagID: "etl", Before: &before, Desc: true, Limit: 1})
		noErr(t, "DagRunList before", err)
		equal(t, "runs before day 3", len(runs), 1)
		equal(t, "latest before day 3", runs[0].RunID, "r2")
	})

	t.Run("CreateRoundTrip", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		p := runParams(v, "manual__2026-03-01", day(1))
		p.RunType = dag.RunManual
		p.DataInterval = dag.DataInterval{Start: day(1).Add(-time.Hour), End: day(1).Add(time.Microsecond)}
		p.Conf = json.RawMessage(`{"n": 3, "who": ["a", "b"]}`)
		p.CreatedAt = hour(30)
		r := mustCreateRun(t, s, p)
		if r.ID == 0 {
			t.Fatal("run id is 0")
		}
		equalRun(t, r, p)

		got, err := s.DagRunGetByID(ctx, r.ID)
		noErr(t, "DagRunGetByID", err)
		equalRun(t, got, p)
		got, err = s.DagRunGet(ctx, "etl", p.RunID)
		noErr(t, "DagRunGet", err)
		equal(t, "id", got.ID, r.ID)
		equalRun(t, got, p)
	})

	t.Run("CreateTaskInstances", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		inits := []store.TaskInstanceInit{
			{TaskID: "extract", MapIndex: -1, Pool: "default_pool", PoolSlots: 1, PriorityWeight: 3, MaxTries: 2, Executor: "local"},
			{TaskID: "load", MapIndex: -1, Pool: "db", PoolSlots: 4, PriorityWeight: 1, MaxTries: 0},
			{TaskID: "fan", MapIndex: 0, Pool: "default_pool", PoolSlots: 1, PriorityWeight: 2, MaxTries: 1},
			{TaskID: "fan", MapIndex: 1, Pool: "default_pool", PoolSlots: 1, PriorityWeight: 2, MaxTries: 1},
		}
		r := createRun(t, s, v, "r1", day(1), inits...)

		tis, err := s.TaskInstanceListByRun(ctx, r.ID, nil)
		noErr(t, "TaskInstanceListByRun", err)
		if len(tis) != len(inits) {
			t.Fatalf("run has %d task instances, want %d", len(tis), len(inits))
		}
		for _, init := range inits {
			ti, err := s.TaskInstanceGet(ctx, r.ID, init.TaskID, init.MapIndex)
			noErr(t, "TaskInstanceGet", err)
			what := fmt.Sprintf("%s[%d]", init.TaskID, init.MapIndex)
			equal(t, what+" run pk", ti.RunPK, r.ID)
			equal(t, what+" dag id", ti.DagID, "etl")
			equal(t, what+" run id", ti.RunID, "r1")
			equal(t, what+" dag version", ti.VersionID, r.VersionID)
			equal(t, what+" task id", ti.TaskID, init.TaskID)
			equal(t, what+" map index", ti.MapIndex, init.MapIndex)
			equal(t, what+" state", ti.State, dag.TaskNone)
			equal(t, what+" try number", ti.TryNumber, 0)
			equal(t, what+" max tries", ti.MaxTries, init.MaxTries)
			equal(t, what+" pool", ti.Pool, init.Pool)
			equal(t, what+" pool slots", ti.PoolSlots, init.PoolSlots)
			equal(t, what+" priority", ti.PriorityWeight, init.PriorityWeight)
			equal(t, what+" executor", ti.Executor, init.Executor)
			equalTime(t, what+" logical date", ti.LogicalDate, day(1))
			if ti.QueuedAt != nil || ti.StartDate != nil || ti.EndDate != nil || ti.NextRetryAt != nil || ti.ExitCode != nil ||
				ti.Hostname != "" || ti.PID != 0 || ti.Reason != "" || len(ti.Rendered) != 0 {
				t.Errorf("%s: a new task instance has try fields set: %+v", what, ti)
			}
		}

		only, err := s.TaskInstanceListByRun(ctx, r.ID, []string{"fan", "nope"})
		noErr(t, "TaskInstanceListByRun fan", err)
		equalSet(t, "task instances of fan", pluck(only, taskIDOf), []string{"fan", "fan"})
		none, err := s.TaskInstanceListByRun(ctx, r.ID, []string{})
		noErr(t, "TaskInstanceListByRun none", err)
		equal(t, "task instances of no task", len(none), 0)

		counts, err := s.TaskInstanceCountByState(ctx, r.ID)
		noErr(t, "TaskInstanceCountByState", err)
		equal(t, "count of none", counts[dag.TaskNone], 4)
		equal(t, "count of states", len(counts), 1)

		_, err = s.TaskInstanceGet(ctx, r.ID, "fan", -1)
		wantNotFound(t, "TaskInstanceGet unmapped fan", err)
		_, err = s.TaskInstanceGet(ctx, r.ID+1000, "extract", -1)
		wantNotFound(t, "TaskInstanceGet unknown run", err)
	})

	t.Run("CreateConflict", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("a"), task("b"))

		dup := runParams(v, "r1", day(2), task("c"))
		dup.State = dag.DagRunRunning
		_, err := s.DagRunCreate(ctx, dup)
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate run id: got error %v, want store.ErrConflict", err)
		}
		// Nothing of the duplicate is written.
		runs, err := s.DagRunList(ctx, &store.DagRunListParams{DagID: "etl"})
		noErr(t, "DagRunList", err)
		equal(t, "runs", len(runs), 1)
		got := mustRun(t, s, r.ID)
		equal(t, "state", got.State, dag.DagRunQueued)
		equalTime(t, "logical date", got.LogicalDate, day(1))
		tis, err := s.TaskInstanceListByRun(ctx, r.ID, nil)
		noErr(t, "TaskInstanceListByRun", err)
		equalSet(t, "task instances", pluck(tis, taskIDOf), []string{"a", "b"})

		// A run id is unique per DAG only.
		w := syncDag(t, s, "other")
		createRun(t, s, w, "r1", day(1), task("a"))
	})

	t.Run("CreateIsAtomic", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		// The second task instance has the key of the first: the run must
		// not be left without task instances.
		_, err := s.DagRunCreate(ctx, runParams(v, "r1", day(1), task("a"), task("a")))
		if err == nil {
			t.Fatal("DagRunCreate with a task twice: no error")
		}
		_, err = s.DagRunGet(ctx, "etl", "r1")
		wantNotFound(t, "DagRunGet after failed create", err)
		createRun(t, s, v, "r1", day(1), task("a"))
	})

	t.Run("GetNotFound", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1))
		_, err := s.DagRunGet(ctx, "etl", "r2")
		wantNotFound(t, "DagRunGet unknown run", err)
		_, err = s.DagRunGet(ctx, "other", "r1")
		wantNotFound(t, "DagRunGet unknown dag", err)
		_, err = s.DagRunGetByID(ctx, r.ID+1000)
		wantNotFound(t, "DagRunGetByID unknown", err)
	})

	t.Run("List", func(t *testing.T) {
		s, ctx := setup(t, open)
		va := syncDag(t, s, "a")
		vb := syncDag(t, s, "b")
		// Created out of logical-date order, so insertion order is not
		// the answer; a3 and a3m share a logical date and go by id.
		mk := func(v *store.DagVersion, id string, d int, typ dag.RunType, st dag.DagRunState) {
			p := runParams(v, id, day(d))
			p.RunType, p.State = typ, st
			mustCreateRun(t, s, p)
		}
		mk(va, "a3", 3, dag.RunScheduled, dag.DagRunRunning)
		mk(va, "a1", 1, dag.RunScheduled, dag.DagRunSuccess)
		mk(vb, "b2", 2, dag.RunScheduled, dag.DagRunRunning)
		mk(va, "a4", 4, dag.RunBackfill, dag.DagRunQueued)
		mk(va, "a2", 2, dag.RunScheduled, dag.DagRunFailed)
		mk(va, "a3m", 3, dag.RunManual, dag.DagRunRunning)

		cases := []struct {
			name string
			p    store.DagRunListParams
			want []string
		}{
			{"all", store.DagRunListParams{}, []string{"a1", "b2", "a2", "a3", "a3m", "a4"}},
			{"dag", store.DagRunListParams{DagID: "a"}, []string{"a1", "a2", "a3", "a3m", "a4"}},
			{"desc", store.DagRunListParams{DagID: "a", Desc: true}, []string{"a4", "a3m", "a3", "a2", "a1"}},
			{"states", store.DagRunListParams{DagID: "a", States: []dag.DagRunState{dag.DagRunRunning, dag.DagRunFailed}}, []string{"a2", "a3", "a3m"}},
			{"states all dags", store.DagRunListParams{States: []dag.DagRunState{dag.DagRunRunning}}, []string{"b2", "a3", "a3m"}},
			{"run type", store.DagRunListParams{DagID: "a", RunType: dag.RunScheduled}, []string{"a1", "a2", "a3"}},
			{"run type and state", store.DagRunListParams{RunType: dag.RunScheduled, States: []dag.DagRunState{dag.DagRunRunning}}, []string{"b2", "a3"}},
			{"limit", store.DagRunListParams{DagID: "a", Limit: 2}, []string{"a1", "a2"}},
			{"limit offset", store.DagRunListParams{DagID: "a", Limit: 2, Offset: 2}, []string{"a3", "a3m"}},
			{"limit offset desc", store.DagRunListParams{DagID: "a", Limit: 2, Offset: 1, Desc: true}, []string{"a3m", "a3"}},
			{"last page", store.DagRunListParams{DagID: "a", Limit: 2, Offset: 4}, []string{"a4"}},
			{"past the end", store.DagRunListParams{DagID: "a", Limit: 2, Offset: 9}, nil},
			{"offset only", store.DagRunListParams{DagID: "a", Offset: 3}, []string{"a3m", "a4"}},
			{"unknown dag", store.DagRunListParams{DagID: "c"}, nil},
		}
		for _, c := range cases {
			runs, err := s.DagRunList(ctx, &c.p)
			noErr(t, "DagRunList "+c.name, err)
			equalSlice(t, "DagRunList "+c.name, pluck(runs, runIDOf), c.want)
		}
		runs, err := s.DagRunList(ctx, &store.DagRunListParams{DagID: "a", RunType: dag.RunBackfill})
		noErr(t, "DagRunList backfill", err)
		if len(runs) == 1 {
			equalRun(t, runs[0], &store.DagRunCreateParams{
				DagID: "a", RunID: "a4", VersionID: va.ID, RunType: dag.RunBackfill, State: dag.DagRunQueued,
				LogicalDate: day(4), DataInterval: dag.DataInterval{Start: day(4), End: day(5)},
				Conf: json.RawMessage(`{}`), CreatedAt: day(5).Add(time.Minute),
			})
		}
	})

	t.Run("Latest", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		w := syncDag(t, s, "other")
		mk := func(v *store.DagVersion, id string, d int, typ dag.RunType) {
			p := runParams(v, id, day(d))
			p.RunType = typ
			mustCreateRun(t, s, p)
		}
		mk(v, "s3", 3, dag.RunScheduled)
		mk(v, "s1", 1, dag.RunScheduled)
		mk(v, "m9", 9, dag.RunManual)
		mk(v, "m2", 2, dag.RunManual)
		mk(w, "s5", 5, dag.RunScheduled)

		latest := func(dagID string, typ dag.RunType) (string, error) {
			r, err := s.DagRunLatest(ctx, dagID, string(typ))
			if err != nil {
				return "", err
			}
			return r.RunID, nil
		}
		for _, c := range []struct {
			dag  string
			typ  dag.RunType
			want string
		}{{"etl", dag.RunScheduled, "s3"}, {"etl", dag.RunManual, "m9"}, {"other", dag.RunScheduled, "s5"}} {
			got, err := latest(c.dag, c.typ)
			noErr(t, "DagRunLatest", err)
			equal(t, fmt.Sprintf("latest %s run of %s", c.typ, c.dag), got, c.want)
		}
		_, err := latest("etl", dag.RunBackfill)
		wantNotFound(t, "DagRunLatest without a run of the type", err)
		_, err = latest("nope", dag.RunScheduled)
		wantNotFound(t, "DagRunLatest unknown dag", err)
	})

	t.Run("CountActive", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		w := syncDag(t, s, "other")
		states := []dag.DagRunState{dag.DagRunQueued, dag.DagRunQueued, dag.DagRunRunning, dag.DagRunSuccess, dag.DagRunFailed}
		for i, st := range states {
			p := runParams(v, fmt.Sprint("r", i), day(i+1))
			p.State = st
			mustCreateRun(t, s, p)
		}
		p := runParams(w, "r", day(1))
		p.State = dag.DagRunRunning
		mustCreateRun(t, s, p)

		q, r, err := s.DagRunCountActive(ctx, "etl")
		noErr(t, "DagRunCountActive", err)
		equal(t, "queued", q, 2)
		equal(t, "running", r, 1)
		q, r, err = s.DagRunCountActive(ctx, "nope")
		noErr(t, "DagRunCountActive unknown", err)
		equal(t, "queued and running of unknown dag", [2]int{q, r}, [2]int{0, 0})
	})

	t.Run("SetState", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		run := createRun(t, s, v, "r1", day(1), task("a"))
		set := func(p store.DagRunSetStateParams) bool {
			t.Helper()
			p.ID = run.ID
			ok, err := s.DagRunSetState(ctx, &p)
			noErr(t, "DagRunSetState", err)
			return ok
		}

		if !set(store.DagRunSetStateParams{State: dag.DagRunRunning, StartDate: ptr(hour(1))}) {
			t.Fatal("unguarded change did not apply")
		}
		r := mustRun(t, s, run.ID)
		equal(t, "state", r.State, dag.DagRunRunning)
		equalOptTime(t, "start date", r.StartDate, ptr(hour(1)))
		equalOptTime(t, "end date", r.EndDate, nil)

		// The start date is kept from the first start.
		if !set(store.DagRunSetStateParams{State: dag.DagRunRunning, StartDate: ptr(hour(2))}) {
			t.Fatal("running -> running did not apply")
		}
		equalOptTime(t, "start date after second start", mustRun(t, s, run.ID).StartDate, ptr(hour(1)))

		if set(store.DagRunSetStateParams{State: dag.DagRunSuccess, From: []dag.DagRunState{dag.DagRunQueued}, EndDate: ptr(hour(3))}) {
			t.Error("guarded change from queued applied to a running run")
		}
		r = mustRun(t, s, run.ID)
		equal(t, "state after refused change", r.State, dag.DagRunRunning)
		equalOptTime(t, "end date after refused change", r.EndDate, nil)

		if !set(store.DagRunSetStateParams{State: dag.DagRunFailed,
			From: []dag.DagRunState{dag.DagRunQueued, dag.DagRunRunning}, EndDate: ptr(hour(4))}) {
			t.Fatal("guarded change from running did not apply")
		}
		r = mustRun(t, s, run.ID)
		equal(t, "state", r.State, dag.DagRunFailed)
		equalOptTime(t, "end date", r.EndDate, ptr(hour(4)))
		equalOptTime(t, "start date", r.StartDate, ptr(hour(1)))

		// A nil end date clears it.
		if !set(store.DagRunSetStateParams{State: dag.DagRunRunning, From: []dag.DagRunState{dag.DagRunFailed}}) {
			t.Fatal("failed -> running did not apply")
		}
		equalOptTime(t, "end date after rerun", mustRun(t, s, run.ID).EndDate, nil)

		ok, err := s.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: run.ID + 1000, State: dag.DagRunSuccess})
		if ok || (err != nil && !errors.Is(err, store.ErrNotFound)) {
			t.Errorf("DagRunSetState of an unknown run = %v, %v; want false", ok, err)
		}
	})
}

// equalRun checks a run as DagRunCreate should have written it.
func equalRun(t *testing.T, r *store.DagRun, p *store.DagRunCreateParams) {
	t.Helper()
	equal(t, "dag id", r.DagID, p.DagID)
	equal(t, "run id", r.RunID, p.RunID)
	equal(t, "version id", r.VersionID, p.VersionID)
	equal(t, "state", r.State, p.State)
	equal(t, "run type", r.RunType, p.RunType)
	equalTime(t, "logical date", r.LogicalDate, p.LogicalDate)
	equalTime(t, "data interval start", r.DataInterval.Start, p.DataInterval.Start)
	equalTime(t, "data interval end", r.DataInterval.End, p.DataInterval.End)
	equalJSON(t, "conf", r.Conf, p.Conf)
	equalTime(t, "created at", r.CreatedAt, p.CreatedAt)
	// A new run is queued when it is created.
	equalOptTime(t, "queued at", r.QueuedAt, &p.CreatedAt)
	equalOptTime(t, "start date", r.StartDate, nil)
	equalOptTime(t, "end date", r.EndDate, nil)
	equal(t, "clear number", r.ClearNumber, 0)
}
