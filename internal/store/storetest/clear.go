package storetest

import (
	"fmt"
	"testing"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// runTry takes a task instance through one more try that ends in state end
// (or stays running), with every field a try sets.
func runTry(t *testing.T, s store.Store, runPK int64, taskID string, mapIndex int, end dag.TaskState) {
	t.Helper()
	changes := []*store.TaskInstanceChange{
		{RunPK: runPK, TaskID: taskID, MapIndex: mapIndex, State: dag.TaskQueued, TryDelta: 1, QueuedAt: ptr(hour(1)), ClearEndDate: true},
		{RunPK: runPK, TaskID: taskID, MapIndex: mapIndex, From: []dag.TaskState{dag.TaskQueued}, State: dag.TaskRunning,
			StartDate: ptr(hour(2)), Hostname: ptr("worker-1"), PID: ptr(99)},
	}
	if end != dag.TaskRunning {
		changes = append(changes, &store.TaskInstanceChange{RunPK: runPK, TaskID: taskID, MapIndex: mapIndex,
			From: []dag.TaskState{dag.TaskRunning}, State: end, EndDate: ptr(hour(3)), NextRetryAt: ptr(hour(4)),
			ExitCode: ptr(1), Reason: ptr("exit status 1"), RecordTry: true})
	}
	for i, ok := range mustApply(t, s, changes...) {
		if !ok {
			t.Fatalf("try of %s ending %s: change %d did not apply", taskID, end, i)
		}
	}
}

// finishRun ends a run as failed, with start and end dates.
func finishRun(t *testing.T, s store.Store, id int64) {
	t.Helper()
	ok, err := s.DagRunSetState(t.Context(), &store.DagRunSetStateParams{ID: id, State: dag.DagRunFailed,
		StartDate: ptr(hour(1)), EndDate: ptr(hour(5))})
	noErr(t, "DagRunSetState", err)
	if !ok {
		t.Fatal("DagRunSetState failed did not apply")
	}
}

func clearedKey(ti *store.TaskInstance) string {
	return fmt.Sprintf("%s[%d]=%s", ti.TaskID, ti.MapIndex, ti.State)
}

func exerciseTaskInstanceClear(t *testing.T, open Opener) {
	t.Run("All", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		fan := task("fan")
		fan.MapIndex = 0
		r := createRun(t, s, v, "r1", day(1), task("failed"), task("ok"), task("upstream"), task("waiting"), fan)
		runTry(t, s, r.ID, "failed", -1, dag.TaskFailed)
		runTry(t, s, r.ID, "failed", -1, dag.TaskFailed)
		runTry(t, s, r.ID, "ok", -1, dag.TaskSuccess)
		runTry(t, s, r.ID, "fan", 0, dag.TaskSuccess)
		force(t, s, r.ID, "upstream", dag.TaskUpstreamFailed)
		finishRun(t, s, r.ID)

		cleared, err := s.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: r.ID,
			Retries: map[string]int{"failed": 2, "ok": 1, "upstream": 3, "fan": 1}})
		noErr(t, "TaskInstanceClear", err)
		equalSet(t, "cleared", pluck(cleared, clearedKey),
			[]string{"failed[-1]=none", "ok[-1]=none", "upstream[-1]=none", "waiting[-1]=none", "fan[0]=none"})

		// max_tries grows by the retries from the tries already made, as
		// Airflow's clear does; the try number itself stays.
		for _, c := range []struct {
			task     string
			mapIndex int
			try, max int
		}{{"failed", -1, 2, 4}, {"ok", -1, 1, 2}, {"upstream", -1, 0, 3}, {"waiting", -1, 0, 0}, {"fan", 0, 1, 2}} {
			ti, err := s.TaskInstanceGet(ctx, r.ID, c.task, c.mapIndex)
			noErr(t, "TaskInstanceGet", err)
			what := fmt.Sprintf("%s[%d]", c.task, c.mapIndex)
			equal(t, what+" state", ti.State, dag.TaskNone)
			equal(t, what+" try number", ti.TryNumber, c.try)
			equal(t, what+" max tries", ti.MaxTries, c.max)
			equalOptTime(t, what+" end date", ti.EndDate, nil)
			equalOptTime(t, what+" next retry at", ti.NextRetryAt, nil)
			equalOptInt(t, what+" exit code", ti.ExitCode, nil)
			equal(t, what+" reason", ti.Reason, "")
		}
		// The history of the tries stays.
		tries, err := s.TaskInstanceTries(ctx, r.ID, "failed", -1)
		noErr(t, "TaskInstanceTries", err)
		equal(t, "tries after clear", len(tries), 2)

		run := mustRun(t, s, r.ID)
		equal(t, "run state", run.State, dag.DagRunQueued)
		equal(t, "clear number", run.ClearNumber, 1)
		equalOptTime(t, "run end date", run.EndDate, nil)
		// The rerun sets its own start date, and DagRunSetState only sets one
		// that is missing.
		equalOptTime(t, "run start date", run.StartDate, nil)
		if run.QueuedAt == nil {
			t.Error("run queued at = nil after clear")
		} else {
			recent(t, "run queued at", *run.QueuedAt)
		}
		// The run is queued again: the scheduler counts it against max_active_runs.
		q, _, err := s.DagRunCountActive(ctx, "etl")
		noErr(t, "DagRunCountActive", err)
		equal(t, "queued runs", q, 1)

		// A second clear counts again.
		finishRun(t, s, r.ID)
		_, err = s.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: r.ID})
		noErr(t, "TaskInstanceClear", err)
		equal(t, "clear number", mustRun(t, s, r.ID).ClearNumber, 2)
	})

	t.Run("RunningRestarts", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("running"), task("failed"))
		runTry(t, s, r.ID, "running", -1, dag.TaskRunning)
		runTry(t, s, r.ID, "failed", -1, dag.TaskFailed)

		cleared, err := s.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: r.ID,
			Retries: map[string]int{"running": 1, "failed": 1}})
		noErr(t, "TaskInstanceClear", err)
		equalSet(t, "cleared", pluck(cleared, clearedKey), []string{"running[-1]=restarting", "failed[-1]=none"})
		ti := mustTI(t, s, r.ID, "running")
		equal(t, "state", ti.State, dag.TaskRestarting)
		equal(t, "try number", ti.TryNumber, 1)
		equal(t, "max tries", ti.MaxTries, 2)
		// The try still runs: who runs it and since when stays known.
		equal(t, "hostname", ti.Hostname, "worker-1")
		equalOptTime(t, "start date", ti.StartDate, ptr(hour(2)))
	})

	t.Run("OnlyFailed", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("failed"), task("upstream"), task("ok"), task("skipped"))
		runTry(t, s, r.ID, "failed", -1, dag.TaskFailed)
		runTry(t, s, r.ID, "ok", -1, dag.TaskSuccess)
		force(t, s, r.ID, "upstream", dag.TaskUpstreamFailed)
		force(t, s, r.ID, "skipped", dag.TaskSkipped)
		finishRun(t, s, r.ID)

		cleared, err := s.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: r.ID, OnlyFailed: true,
			Retries: map[string]int{"failed": 1, "upstream": 1, "ok": 1, "skipped": 1}})
		noErr(t, "TaskInstanceClear", err)
		equalSet(t, "cleared", pluck(cleared, clearedKey), []string{"failed[-1]=none", "upstream[-1]=none"})
		ok := mustTI(t, s, r.ID, "ok")
		equal(t, "ok state", ok.State, dag.TaskSuccess)
		equal(t, "ok max tries", ok.MaxTries, 0)
		equalOptTime(t, "ok end date", ok.EndDate, ptr(hour(3)))
		equal(t, "skipped state", mustTI(t, s, r.ID, "skipped").State, dag.TaskSkipped)
		equal(t, "run state", mustRun(t, s, r.ID).State, dag.DagRunQueued)
	})

	t.Run("TaskIDs", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		fan := func(i int) store.TaskInstanceInit { ti := task("fan"); ti.MapIndex = i; return ti }
		r := createRun(t, s, v, "r1", day(1), task("a"), task("b"), fan(0), fan(1))
		for _, id := range []string{"a", "b"} {
			runTry(t, s, r.ID, id, -1, dag.TaskSuccess)
		}
		runTry(t, s, r.ID, "fan", 0, dag.TaskSuccess)
		runTry(t, s, r.ID, "fan", 1, dag.TaskFailed)
		finishRun(t, s, r.ID)

		cleared, err := s.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: r.ID, TaskIDs: []string{"b", "fan"}})
		noErr(t, "TaskInstanceClear", err)
		equalSet(t, "cleared", pluck(cleared, clearedKey), []string{"b[-1]=none", "fan[0]=none", "fan[1]=none"})
		equal(t, "a state", mustTI(t, s, r.ID, "a").State, dag.TaskSuccess)

		// No task or no match clears nothing, and leaves the run alone.
		finishRun(t, s, r.ID)
		for _, p := range []*store.TaskInstanceClearParams{
			{RunPK: r.ID, TaskIDs: []string{}},
			{RunPK: r.ID, TaskIDs: []string{"a"}, OnlyFailed: true},
			{RunPK: r.ID, TaskIDs: []string{"nope"}},
		} {
			cleared, err := s.TaskInstanceClear(ctx, p)
			noErr(t, "TaskInstanceClear", err)
			equal(t, fmt.Sprintf("cleared by %+v", p), len(cleared), 0)
			run := mustRun(t, s, r.ID)
			equal(t, "run state after clearing nothing", run.State, dag.DagRunFailed)
			equal(t, "clear number after clearing nothing", run.ClearNumber, 1)
		}
		equal(t, "a state", mustTI(t, s, r.ID, "a").State, dag.TaskSuccess)
	})
}
