package storetest

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// tiKey names a task instance across runs.
func tiKey(ti *store.TaskInstance) string {
	return fmt.Sprintf("%s/%s[%d]", ti.RunID, ti.TaskID, ti.MapIndex)
}

func exerciseTaskInstance(t *testing.T, open Opener) {
	t.Run("ApplyFromNone", func(t *testing.T) {
		s, _ := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("a"))
		toScheduled := &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1,
			From: []dag.TaskState{dag.TaskNone}, State: dag.TaskScheduled}

		equalSlice(t, "none -> scheduled", mustApply(t, s, toScheduled), []bool{true})
		equal(t, "state", mustTI(t, s, r.ID, "a").State, dag.TaskScheduled)
		// The guard is on none only: a second scheduler pass finds nothing to do.
		equalSlice(t, "none -> scheduled again", mustApply(t, s, toScheduled), []bool{false})

		toQueued := &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1,
			From: []dag.TaskState{dag.TaskNone, dag.TaskScheduled}, State: dag.TaskQueued, TryDelta: 1, QueuedAt: ptr(hour(1))}
		equalSlice(t, "none|scheduled -> queued", mustApply(t, s, toQueued), []bool{true})
		ti := mustTI(t, s, r.ID, "a")
		equal(t, "state", ti.State, dag.TaskQueued)
		equal(t, "try number", ti.TryNumber, 1)
		equalOptTime(t, "queued at", ti.QueuedAt, ptr(hour(1)))

		// A queued try that never started goes back, and gives its try back.
		back := &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, Try: 1,
			From: []dag.TaskState{dag.TaskQueued}, State: dag.TaskScheduled, TryDelta: -1}
		equalSlice(t, "queued -> scheduled", mustApply(t, s, back), []bool{true})
		ti = mustTI(t, s, r.ID, "a")
		equal(t, "state", ti.State, dag.TaskScheduled)
		equal(t, "try number", ti.TryNumber, 0)

		// Back to none, as a clear of one task does.
		toNone := &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1,
			From: []dag.TaskState{dag.TaskScheduled}, State: dag.TaskNone}
		equalSlice(t, "scheduled -> none", mustApply(t, s, toNone), []bool{true})
		equal(t, "state", mustTI(t, s, r.ID, "a").State, dag.TaskNone)
		equalSlice(t, "none -> scheduled after none", mustApply(t, s, toScheduled), []bool{true})
	})

	t.Run("ApplyTriesAndFields", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		init := task("a")
		init.MaxTries = 1
		r := createRun(t, s, v, "r1", day(1), init)
		change := func(c store.TaskInstanceChange) bool {
			t.Helper()
			c.RunPK, c.TaskID, c.MapIndex = r.ID, "a", -1
			return mustApply(t, s, &c)[0]
		}
		from := func(states ...dag.TaskState) []dag.TaskState { return states }

		// Try 1: queued, runs, fails and waits for a retry.
		change(store.TaskInstanceChange{State: dag.TaskScheduled})
		if !change(store.TaskInstanceChange{From: from(dag.TaskScheduled), State: dag.TaskQueued, TryDelta: 1, QueuedAt: ptr(hour(1))}) {
			t.Fatal("scheduled -> queued did not apply")
		}
		rendered := json.RawMessage(`{"command": ["bash", "-c", "echo hi"], "env": {"DS": "2026-03-01"}}`)
		if !change(store.TaskInstanceChange{From: from(dag.TaskQueued), Try: 1, State: dag.TaskRunning,
			StartDate: ptr(hour(2)), Hostname: ptr("worker-1"), PID: ptr(4242), Rendered: rendered}) {
			t.Fatal("queued -> running did not apply")
		}
		ti := mustTI(t, s, r.ID, "a")
		equal(t, "state", ti.State, dag.TaskRunning)
		equal(t, "try number", ti.TryNumber, 1)
		equalOptTime(t, "queued at", ti.QueuedAt, ptr(hour(1)))
		equalOptTime(t, "start date", ti.StartDate, ptr(hour(2)))
		equal(t, "hostname", ti.Hostname, "worker-1")
		equal(t, "pid", ti.PID, 4242)
		equalJSON(t, "rendered", ti.Rendered, rendered)

		if !change(store.TaskInstanceChange{From: from(dag.TaskRunning), Try: 1, State: dag.TaskUpForRetry,
			EndDate: ptr(hour(3)), NextRetryAt: ptr(hour(4)), ExitCode: ptr(2), Reason: ptr("exit status 2"), RecordTry: true}) {
			t.Fatal("running -> up_for_retry did not apply")
		}
		ti = mustTI(t, s, r.ID, "a")
		equal(t, "state", ti.State, dag.TaskUpForRetry)
		equalOptTime(t, "end date", ti.EndDate, ptr(hour(3)))
		equalOptTime(t, "next retry at", ti.NextRetryAt, ptr(hour(4)))
		equalOptInt(t, "exit code", ti.ExitCode, ptr(2))
		equal(t, "reason", ti.Reason, "exit status 2")
		equal(t, "duration", ti.Duration(), hour(3).Sub(hour(2)))
		// Fields left nil are not written.
		equalOptTime(t, "queued at", ti.QueuedAt, ptr(hour(1)))
		equalOptTime(t, "start date", ti.StartDate, ptr(hour(2)))
		equal(t, "hostname", ti.Hostname, "worker-1")
		equal(t, "pid", ti.PID, 4242)
		equalJSON(t, "rendered", ti.Rendered, rendered)

		tries, err := s.TaskInstanceTries(ctx, r.ID, "a", -1)
		noErr(t, "TaskInstanceTries", err)
		if len(tries) != 1 {
			t.Fatalf("%d tries recorded, want 1", len(tries))
		}
		equalTry(t, tries[0], &store.TaskInstanceTry{TryNumber: 1, State: dag.TaskUpForRetry, StartDate: ptr(hour(2)),
			EndDate: ptr(hour(3)), Hostname: "worker-1", PID: 4242, ExitCode: ptr(2), Reason: "exit status 2"})

		// Try 2 is queued; the end of try 1 no longer applies.
		change(store.TaskInstanceChange{From: from(dag.TaskUpForRetry), State: dag.TaskScheduled})
		if !change(store.TaskInstanceChange{From: from(dag.TaskScheduled), State: dag.TaskQueued, TryDelta: 1,
			QueuedAt: ptr(hour(5)), ClearEndDate: true}) {
			t.Fatal("scheduled -> queued for try 2 did not apply")
		}
		ti = mustTI(t, s, r.ID, "a")
		equal(t, "try number", ti.TryNumber, 2)
		equalOptTime(t, "end date after ClearEndDate", ti.EndDate, nil)
		equalOptTime(t, "queued at", ti.QueuedAt, ptr(hour(5)))

		// A late event of try 1 is refused by the try guard, whatever the state.
		if change(store.TaskInstanceChange{Try: 1, State: dag.TaskFailed, EndDate: ptr(hour(6)), ExitCode: ptr(9), RecordTry: true,
			XCom: json.RawMessage(`"stale"`)}) {
			t.Error("a change guarded by try 1 applied to try 2")
		}
		if change(store.TaskInstanceChange{From: from(dag.TaskQueued, dag.TaskRunning), Try: 1, State: dag.TaskFailed}) {
			t.Error("a change guarded by try 1 and a matching state applied to try 2")
		}
		ti = mustTI(t, s, r.ID, "a")
		equal(t, "state after stale event", ti.State, dag.TaskQueued)
		equal(t, "try number after stale event", ti.TryNumber, 2)
		equalOptTime(t, "end date after stale event", ti.EndDate, nil)

		// Try 2 runs and succeeds with a return value.
		if !change(store.TaskInstanceChange{From: from(dag.TaskQueued), Try: 2, State: dag.TaskRunning,
			StartDate: ptr(hour(7)), Hostname: ptr("worker-2"), PID: ptr(7)}) {
			t.Fatal("queued -> running for try 2 did not apply")
		}
		if !change(store.TaskInstanceChange{From: from(dag.TaskRunning), Try: 2, State: dag.TaskSuccess,
			EndDate: ptr(hour(8)), ExitCode: ptr(0), Reason: ptr(""), RecordTry: true, XCom: json.RawMessage(`{"rows": 10}`)}) {
			t.Fatal("running -> success did not apply")
		}
		ti = mustTI(t, s, r.ID, "a")
		equal(t, "state", ti.State, dag.TaskSuccess)
		equalOptInt(t, "exit code", ti.ExitCode, ptr(0))
		equal(t, "reason", ti.Reason, "")
		equal(t, "duration", ti.Duration(), hour(8).Sub(hour(7)))

		tries, err = s.TaskInstanceTries(ctx, r.ID, "a", -1)
		noErr(t, "TaskInstanceTries", err)
		if len(tries) != 2 {
			t.Fatalf("%d tries recorded, want 2", len(tries))
		}
		equal(t, "first try", tries[0].TryNumber, 1)
		equalTry(t, tries[1], &store.TaskInstanceTry{TryNumber: 2, State: dag.TaskSuccess, StartDate: ptr(hour(7)),
			EndDate: ptr(hour(8)), Hostname: "worker-2", PID: 7, ExitCode: ptr(0)})

		x, err := s.XComGet(ctx, r.ID, "a", -1, "return_value")
		noErr(t, "XComGet", err)
		equalJSON(t, "return value", x.Value, json.RawMessage(`{"rows": 10}`))
	})

	t.Run("RecordTryEndingInNone", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("a"), task("b"))
		runTry(t, s, r.ID, "a", -1, dag.TaskRunning)
		force(t, s, r.ID, "a", dag.TaskRestarting)
		// The restarted try ends; the task instance goes back to none to
		// run again, and the try is kept. The batch goes on past it.
		got := mustApply(t, s,
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, From: []dag.TaskState{dag.TaskRestarting}, Try: 1,
				State: dag.TaskNone, EndDate: ptr(hour(3)), Reason: ptr("cleared while running"), RecordTry: true},
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "b", MapIndex: -1, State: dag.TaskScheduled},
		)
		equalSlice(t, "applied", got, []bool{true, true})
		tries, err := s.TaskInstanceTries(ctx, r.ID, "a", -1)
		noErr(t, "TaskInstanceTries", err)
		if len(tries) != 1 {
			t.Fatalf("%d tries recorded, want 1", len(tries))
		}
		equalTry(t, tries[0], &store.TaskInstanceTry{TryNumber: 1, State: dag.TaskNone, StartDate: ptr(hour(2)),
			EndDate: ptr(hour(3)), Hostname: "worker-1", PID: 99, Reason: "cleared while running"})
		equal(t, "b state", mustTI(t, s, r.ID, "b").State, dag.TaskScheduled)
	})

	t.Run("ApplyBatch", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("a"), task("b"), task("c"), task("d"))
		none := []dag.TaskState{dag.TaskNone}
		got := mustApply(t, s,
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, From: none, State: dag.TaskScheduled},
			// Refused by the state guard; its history and XCom must not be written either.
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "b", MapIndex: -1, From: []dag.TaskState{dag.TaskQueued},
				State: dag.TaskRunning, RecordTry: true, XCom: json.RawMessage(`1`)},
			// Refused by the try guard.
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "c", MapIndex: -1, Try: 3, State: dag.TaskRunning},
			// No such task instance.
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "nope", MapIndex: -1, State: dag.TaskScheduled},
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "d", MapIndex: -1, From: none, State: dag.TaskScheduled},
		)
		equalSlice(t, "applied", got, []bool{true, false, false, false, true})
		for id, want := range map[string]dag.TaskState{"a": dag.TaskScheduled, "b": dag.TaskNone, "c": dag.TaskNone, "d": dag.TaskScheduled} {
			equal(t, id+" state", mustTI(t, s, r.ID, id).State, want)
		}
		tries, err := s.TaskInstanceTries(ctx, r.ID, "b", -1)
		noErr(t, "TaskInstanceTries", err)
		equal(t, "tries of a refused change", len(tries), 0)
		_, err = s.XComGet(ctx, r.ID, "b", -1, "return_value")
		wantNotFound(t, "XComGet of a refused change", err)

		// Changes apply in order: the second sees the first.
		got = mustApply(t, s,
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, From: []dag.TaskState{dag.TaskScheduled}, State: dag.TaskQueued, TryDelta: 1},
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, From: []dag.TaskState{dag.TaskQueued}, Try: 1, State: dag.TaskRunning},
		)
		equalSlice(t, "applied in order", got, []bool{true, true})
		equal(t, "a state", mustTI(t, s, r.ID, "a").State, dag.TaskRunning)

		ok, err := s.TaskInstanceApply(ctx, nil)
		noErr(t, "TaskInstanceApply of no change", err)
		equal(t, "results of no change", len(ok), 0)

		counts, err := s.TaskInstanceCountByState(ctx, r.ID)
		noErr(t, "TaskInstanceCountByState", err)
		equal(t, "running", counts[dag.TaskRunning], 1)
		equal(t, "scheduled", counts[dag.TaskScheduled], 1)
		equal(t, "none", counts[dag.TaskNone], 2)
	})

	t.Run("ListByRunState", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("a"), task("b"), task("c"))
		// Another run's task instances, in the same states, must not show.
		createRun(t, s, v, "r2", day(2), task("a"))
		mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "b", MapIndex: -1, State: dag.TaskScheduled})
		ids := func(states ...dag.TaskState) []string {
			tis, err := s.TaskInstanceListByRunState(ctx, r.ID, states)
			noErr(t, "TaskInstanceListByRunState", err)
			var out []string
			for _, ti := range tis {
				if ti.RunPK != r.ID {
					t.Errorf("task instance of run %d listed for run %d", ti.RunPK, r.ID)
				}
				out = append(out, ti.TaskID)
			}
			sort.Strings(out)
			return out
		}
		equalSlice(t, "none", ids(dag.TaskNone), []string{"a", "c"})
		equalSlice(t, "scheduled", ids(dag.TaskScheduled), []string{"b"})
		equalSlice(t, "none or scheduled", ids(dag.TaskNone, dag.TaskScheduled), []string{"a", "b", "c"})
		equalSlice(t, "no states", ids(), nil)
	})

	t.Run("HasUnfinished", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("a"), task("b"))
		other := createRun(t, s, v, "r2", day(2), task("a"))
		has := func(what string, runID int64, want bool) {
			t.Helper()
			got, err := s.TaskInstanceHasUnfinished(ctx, runID)
			noErr(t, "TaskInstanceHasUnfinished", err)
			equal(t, what, got, want)
		}
		has("a new run", r.ID, true)
		for _, st := range []dag.TaskState{dag.TaskScheduled, dag.TaskUpForRetry, dag.TaskRestarting, dag.TaskSuccess} {
			mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, State: st},
				&store.TaskInstanceChange{RunPK: r.ID, TaskID: "b", MapIndex: -1, State: dag.TaskSkipped})
			has("a in "+st.String(), r.ID, !st.Finished())
		}
		// Another run's unfinished task instances do not count.
		has("the other run", other.ID, true)
		mustApply(t, s, &store.TaskInstanceChange{RunPK: other.ID, TaskID: "a", MapIndex: -1, State: dag.TaskFailed})
		has("the other run, finished", other.ID, false)
		has("the first run, finished", r.ID, false)
	})

	t.Run("ApplyMapped", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		fan := func(i int) store.TaskInstanceInit { ti := task("fan"); ti.MapIndex = i; return ti }
		r := createRun(t, s, v, "r1", day(1), fan(0), fan(1))
		equalSlice(t, "applied", mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "fan", MapIndex: 1,
			State: dag.TaskSuccess, RecordTry: true}), []bool{true})
		for i, want := range []dag.TaskState{dag.TaskNone, dag.TaskSuccess} {
			ti, err := s.TaskInstanceGet(ctx, r.ID, "fan", i)
			noErr(t, "TaskInstanceGet", err)
			equal(t, fmt.Sprintf("fan[%d] state", i), ti.State, want)
		}
		tries, err := s.TaskInstanceTries(ctx, r.ID, "fan", 0)
		noErr(t, "TaskInstanceTries", err)
		equal(t, "tries of fan[0]", len(tries), 0)
		tries, err = s.TaskInstanceTries(ctx, r.ID, "fan", 1)
		noErr(t, "TaskInstanceTries", err)
		equal(t, "tries of fan[1]", len(tries), 1)
	})

	t.Run("ListByState", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		prio := func(id string, p int) store.TaskInstanceInit { ti := task(id); ti.PriorityWeight = p; return ti }
		r1 := createRun(t, s, v, "r1", day(1), prio("a", 10), prio("b", 1), prio("c", 6))
		r2 := createRun(t, s, v, "r2", day(2), prio("a", 8), prio("b", 2), prio("c", 4))
		force(t, s, r1.ID, "a", dag.TaskScheduled)
		force(t, s, r1.ID, "b", dag.TaskScheduled)
		force(t, s, r2.ID, "a", dag.TaskScheduled)
		force(t, s, r2.ID, "c", dag.TaskScheduled)
		force(t, s, r1.ID, "c", dag.TaskQueued)

		cases := []struct {
			name            string
			states          []dag.TaskState
			limit, offset   int
			want            []string
			exDags, exPools []string
		}{
			{"scheduled", []dag.TaskState{dag.TaskScheduled}, 0, 0, []string{"r1/a[-1]", "r2/a[-1]", "r2/c[-1]", "r1/b[-1]"}, nil, nil},
			{"limit", []dag.TaskState{dag.TaskScheduled}, 2, 0, []string{"r1/a[-1]", "r2/a[-1]"}, nil, nil},
			{"next page", []dag.TaskState{dag.TaskScheduled}, 2, 2, []string{"r2/c[-1]", "r1/b[-1]"}, nil, nil},
			{"offset only", []dag.TaskState{dag.TaskScheduled}, 0, 3, []string{"r1/b[-1]"}, nil, nil},
			{"two states", []dag.TaskState{dag.TaskQueued, dag.TaskScheduled}, 0, 0, []string{"r1/a[-1]", "r2/a[-1]", "r1/c[-1]", "r2/c[-1]", "r1/b[-1]"}, nil, nil},
			{"none", []dag.TaskState{dag.TaskNone}, 0, 0, []string{"r2/b[-1]"}, nil, nil},
			{"none and queued", []dag.TaskState{dag.TaskNone, dag.TaskQueued}, 0, 0, []string{"r1/c[-1]", "r2/b[-1]"}, nil, nil},
			{"no match", []dag.TaskState{dag.TaskRunning}, 0, 0, nil, nil, nil},
			{"no state", nil, 0, 0, nil, nil, nil},
			{"other dag excluded", []dag.TaskState{dag.TaskScheduled}, 0, 0, []string{"r1/a[-1]", "r2/a[-1]", "r2/c[-1]", "r1/b[-1]"}, []string{"other"}, nil},
			{"dag excluded", []dag.TaskState{dag.TaskScheduled}, 0, 0, nil, []string{"etl"}, nil},
			{"pool excluded", []dag.TaskState{dag.TaskScheduled}, 0, 0, nil, nil, []string{"default_pool"}},
		}
		for _, c := range cases {
			tis, err := s.TaskInstanceListByState(ctx, &store.TaskInstanceListParams{States: c.states, Limit: c.limit, Offset: c.offset, ExcludeDags: c.exDags, ExcludePools: c.exPools})
			noErr(t, "TaskInstanceListByState "+c.name, err)
			equalSlice(t, "TaskInstanceListByState "+c.name, pluck(tis, tiKey), c.want)
		}
		tis, err := s.TaskInstanceListByState(ctx, &store.TaskInstanceListParams{States: []dag.TaskState{dag.TaskQueued}})
		noErr(t, "TaskInstanceListByState", err)
		if len(tis) == 1 {
			ti := tis[0]
			equal(t, "dag id", ti.DagID, "etl")
			equal(t, "run pk", ti.RunPK, r1.ID)
			equal(t, "priority", ti.PriorityWeight, 6)
			equalTime(t, "logical date", ti.LogicalDate, day(1))
		}
	})

	t.Run("ListByStateRunningRuns", func(t *testing.T) {
		s, ctx := setup(t, open)
		etl, other := syncDag(t, s, "etl"), syncDag(t, s, "other")
		running := func(r *store.DagRun) {
			t.Helper()
			ok, err := s.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: r.ID, State: dag.DagRunRunning})
			noErr(t, "DagRunSetState", err)
			equal(t, "run "+r.RunID+" running", ok, true)
		}
		e1 := createRun(t, s, etl, "e1", day(1), task("a"), task("b"))
		e2 := createRun(t, s, etl, "e2", day(2), task("a"))
		o1 := createRun(t, s, other, "o1", day(1), task("x"))
		o2 := createRun(t, s, other, "o2", day(2), task("x"))
		running(e1)
		running(o1)
		force(t, s, e1.ID, "a", dag.TaskScheduled)
		force(t, s, e2.ID, "a", dag.TaskScheduled)
		force(t, s, o1.ID, "x", dag.TaskScheduled)
		force(t, s, o2.ID, "x", dag.TaskScheduled)
		force(t, s, e1.ID, "b", dag.TaskQueued)
		cases := []struct {
			name   string
			exDags []string
			want   []string
		}{
			{"running runs", nil, []string{"e1/a[-1]", "o1/x[-1]"}},
			{"running runs, etl left out", []string{"etl"}, []string{"o1/x[-1]"}},
			{"running runs, both left out", []string{"etl", "other"}, nil},
		}
		for _, c := range cases {
			tis, err := s.TaskInstanceListByState(ctx, &store.TaskInstanceListParams{States: []dag.TaskState{dag.TaskScheduled},
				RunningRuns: true, ExcludeDags: c.exDags})
			noErr(t, "TaskInstanceListByState "+c.name, err)
			equalSlice(t, "TaskInstanceListByState "+c.name, pluck(tis, tiKey), c.want)
		}
	})

	t.Run("CountActive", func(t *testing.T) {
		s, ctx := setup(t, open)
		empty, err := s.TaskInstanceCountActive(ctx)
		noErr(t, "TaskInstanceCountActive", err)
		// The scheduler adds to the counts as it queues within a pass.
		if empty.PoolSlots == nil || empty.Dag == nil {
			t.Fatalf("counts of an empty store have a nil map: %+v", empty)
		}
		equal(t, "pools of an empty store", len(empty.PoolSlots)+len(empty.Dag), 0)

		inPool := func(id, pool string, slots int) store.TaskInstanceInit {
			ti := task(id)
			ti.Pool, ti.PoolSlots = pool, slots
			return ti
		}
		va := syncDag(t, s, "a")
		vb := syncDag(t, s, "b")
		ra1 := createRun(t, s, va, "r1", day(1), inPool("q", "db", 2), inPool("r", "db", 3), inPool("s", "db", 5),
			inPool("ok", "default_pool", 1), inPool("retry", "db", 1), inPool("x", "default_pool", 1))
		ra2 := createRun(t, s, va, "r2", day(2), inPool("r", "default_pool", 1), inPool("q", "db", 1))
		rb := createRun(t, s, vb, "r1", day(1), inPool("q", "db", 1), inPool("d", "db", 1))
		force(t, s, ra1.ID, "q", dag.TaskQueued)
		force(t, s, ra1.ID, "r", dag.TaskRunning)
		force(t, s, ra1.ID, "s", dag.TaskScheduled)
		force(t, s, ra1.ID, "ok", dag.TaskSuccess)
		force(t, s, ra1.ID, "retry", dag.TaskUpForRetry)
		force(t, s, ra2.ID, "r", dag.TaskRunning)
		force(t, s, rb.ID, "q", dag.TaskQueued)
		force(t, s, rb.ID, "d", dag.TaskDeferred)

		c, err := s.TaskInstanceCountActive(ctx)
		noErr(t, "TaskInstanceCountActive", err)
		equalMap(t, "pool slots", c.PoolSlots, map[string]int{"db": 6, "default_pool": 1})
		equalMap(t, "per dag", c.Dag, map[string]int{"a": 3, "b": 1})
	})

	t.Run("Previous", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		w := syncDag(t, s, "other")
		// Created out of order: previous goes by logical date.
		r3 := createRun(t, s, v, "r3", day(3), task("t"), task("new"))
		r1 := createRun(t, s, v, "r1", day(1), task("t"))
		r2 := createRun(t, s, v, "r2", day(2), task("t"), task("new"))
		// Closer to r3 than r2, but another DAG's.
		createRun(t, s, w, "r3", day(3).Add(-time.Hour), task("t"), task("new"))
		force(t, s, r1.ID, "t", dag.TaskFailed)

		prev := func(r *store.DagRun, taskID string) (*store.TaskInstance, error) {
			return s.TaskInstancePrevious(ctx, r.ID, taskID)
		}
		ti, err := prev(r2, "t")
		noErr(t, "TaskInstancePrevious r2", err)
		equal(t, "previous of r2", tiKey(ti), "r1/t[-1]")
		equal(t, "previous of r2 run pk", ti.RunPK, r1.ID)
		equal(t, "previous of r2 state", ti.State, dag.TaskFailed)
		equal(t, "previous of r2 dag", ti.DagID, "etl")

		ti, err = prev(r3, "t")
		noErr(t, "TaskInstancePrevious r3", err)
		equal(t, "previous of r3", tiKey(ti), "r2/t[-1]")
		ti, err = prev(r3, "new")
		noErr(t, "TaskInstancePrevious r3 new", err)
		equal(t, "previous of r3 new", tiKey(ti), "r2/new[-1]")

		_, err = prev(r1, "t")
		wantNotFound(t, "TaskInstancePrevious of the first run", err)
		// The previous run is r1, which did not have the task.
		_, err = prev(r2, "new")
		wantNotFound(t, "TaskInstancePrevious of a task the previous run lacks", err)
		_, err = s.TaskInstancePrevious(ctx, r3.ID+1000, "t")
		wantNotFound(t, "TaskInstancePrevious of an unknown run", err)
	})

	t.Run("TriesOfNewTask", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("a"))
		tries, err := s.TaskInstanceTries(ctx, r.ID, "a", -1)
		noErr(t, "TaskInstanceTries", err)
		equal(t, "tries of a new task instance", len(tries), 0)
	})
}

func equalTry(t *testing.T, got, want *store.TaskInstanceTry) {
	t.Helper()
	what := fmt.Sprintf("try %d", want.TryNumber)
	equal(t, what+" number", got.TryNumber, want.TryNumber)
	equal(t, what+" state", got.State, want.State)
	equalOptTime(t, what+" start date", got.StartDate, want.StartDate)
	equalOptTime(t, what+" end date", got.EndDate, want.EndDate)
	equal(t, what+" hostname", got.Hostname, want.Hostname)
	equal(t, what+" pid", got.PID, want.PID)
	equalOptInt(t, what+" exit code", got.ExitCode, want.ExitCode)
	equal(t, what+" reason", got.Reason, want.Reason)
}

func equalMap[K comparable](t *testing.T, what string, got, want map[K]int) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s[%v] = %d, want %d", what, k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s[%v] = %d, want no entry", what, k, g)
		}
	}
}
