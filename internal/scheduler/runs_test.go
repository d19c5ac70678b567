package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// One pass of run creation at a fixed clock: catchup creates a run per
// missed interval, oldest first, up to max_active_runs; without catchup only
// the latest; a paused DAG none; end_date bounds the intervals.
func TestCreateScheduledRuns(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{
		"catchup": "dag_id: catchup\nschedule: '@daily'\nstart_date: 2026-01-01\ncatchup: true\nmax_active_runs: 3\ntasks: {a: {command: [echo]}}\n",
		"latest":  "dag_id: latest\nschedule: '0 6 * * *'\nstart_date: 2026-01-01\ncatchup: false\ntasks: {a: {command: [echo]}}\n",
		"bounded": "dag_id: bounded\nschedule: '@daily'\nstart_date: 2026-01-01\nend_date: 2026-01-02\ncatchup: true\nmax_active_runs: 10\ntasks: {a: {command: [echo]}}\n",
		"paused":  "dag_id: paused\nschedule: '@daily'\nstart_date: 2026-01-01\ncatchup: true\ntasks: {a: {command: [echo]}}\n",
		"manual":  "dag_id: manual\nschedule: null\nstart_date: 2026-01-01\ntasks: {a: {command: [echo]}}\n",
	})
	ctx := context.Background()
	if err := b.st.DagSetPaused(ctx, "paused", true); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	s := b.scheduler(t, Config{Now: func() time.Time { return now }})
	if err := s.createScheduledRuns(ctx); err != nil {
		t.Fatal(err)
	}
	logical := func(dagID string) []string {
		runs, err := b.st.DagRunList(ctx, &store.DagRunListParams{DagID: dagID})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range runs {
			if r.RunType != dag.RunScheduled || r.State != dag.DagRunQueued {
				t.Errorf("%s: run %s is %s %s", dagID, r.RunID, r.RunType, r.State)
			}
			out = append(out, r.LogicalDate.Format("01-02T15"))
		}
		return out
	}
	for dagID, want := range map[string][]string{
		"catchup": {"01-01T00", "01-02T00", "01-03T00"},
		"latest":  {"01-09T06"},
		"bounded": {"01-01T00", "01-02T00"},
		"paused":  nil,
		"manual":  nil,
	} {
		if got := logical(dagID); !equal(got, want) {
			t.Errorf("%s: runs %v, want %v", dagID, got, want)
		}
	}
	// Runs are created once: a second pass at the same clock adds nothing,
	// and the next interval of catchup waits for a free slot.
	if err := s.createScheduledRuns(ctx); err != nil {
		t.Fatal(err)
	}
	if got := logical("catchup"); len(got) != 3 {
		t.Errorf("second pass: %v", got)
	}
	row, err := b.st.DagGet(ctx, "catchup")
	if err != nil || row.NextDataInterval == nil || !row.NextDataInterval.Start.Equal(time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("catchup's next run: %+v %v", row, err)
	}
}

func TestDependsOnPast(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"past": `
dag_id: past
tasks:
  step: {depends_on_past: true, command: [sh, -c, 'test "{{ dag_run.conf.fail }}" != yes']}
`})
	ctx := context.Background()
	first, err := Trigger(ctx, b.st, b.versions, time.Now(), &TriggerParams{DagID: "past", RunID: "first",
		LogicalDate: ptr(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Conf: map[string]any{"fail": "yes"}})
	if err != nil {
		t.Fatal(err)
	}
	if state, _ := b.runToEnd(t, first); state != dag.DagRunFailed {
		t.Fatalf("first run %s", state)
	}
	second, err := Trigger(ctx, b.st, b.versions, time.Now(), &TriggerParams{DagID: "past", RunID: "second",
		LogicalDate: ptr(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	// The previous run's step failed, so this one's waits: run a few
	// passes and check it never left none.
	s := b.scheduler(t, Config{OnlyRun: second.ID})
	passes := 0
	b.runUntil(t, s, func() bool { passes++; return passes > 10 })
	_, tis := b.states(t, second)
	if tis["step"].State != dag.TaskNone {
		t.Fatalf("step ran although the previous run's step failed: %s", tis["step"].State)
	}
}

func ptr[T any](v T) *T { return &v }

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPrevDsIsThePreviousSuccessfulRun(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"prev": `
dag_id: prev
schedule: "@daily"
start_date: 2026-01-01
tasks:
  show: {command: [echo, "prev={{ prev_ds }} ds={{ ds }}"]}
`})
	ctx := context.Background()
	var runs []*store.DagRun
	for _, day := range []int{1, 2} {
		r, err := Trigger(ctx, b.st, b.versions, time.Now(), &TriggerParams{DagID: "prev",
			LogicalDate: ptr(time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC))})
		if err != nil {
			t.Fatal(err)
		}
		if state, tis := b.runToEnd(t, r); state != dag.DagRunSuccess {
			t.Fatalf("run %s: %s %s", r.RunID, state, describe(tis))
		}
		runs = append(runs, r)
	}
	if log := b.log(t, runs[0], "show", 1); !strings.Contains(log, "prev=None ds=2026-01-01") {
		t.Errorf("first run's log: %q", log)
	}
	// prev_ds is the start of the previous successful run's data interval:
	// a manual run at midnight covers the day before, as in Airflow.
	if log := b.log(t, runs[1], "show", 1); !strings.Contains(log, "prev=2025-12-31 ds=2026-01-02") {
		t.Errorf("second run's log: %q", log)
	}
}

func TestBackfill(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"bf": "dag_id: bf\nschedule: '@daily'\nstart_date: 2026-01-01\nmax_active_runs: 2\ntasks: {a: {command: [echo, '{{ ds }}']}}\n",
		"manual": "dag_id: manual\ntasks: {a: {command: [echo]}}\n"})
	ctx := context.Background()
	// An existing run for Jan 3 is kept, not duplicated.
	if _, err := Trigger(ctx, b.st, b.versions, time.Now(), &TriggerParams{DagID: "bf", LogicalDate: ptr(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC))}); err != nil {
		t.Fatal(err)
	}
	runs, err := Backfill(ctx, b.st, b.versions, time.Now(), &BackfillParams{DagID: "bf",
		Start: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.RunID)
	}
	want := []string{"backfill__2026-01-02T00:00:00+00:00", "backfill__2026-01-04T00:00:00+00:00", "backfill__2026-01-05T00:00:00+00:00"}
	if !equal(got, want) {
		t.Fatalf("backfill runs %v, want %v", got, want)
	}
	if _, err := Backfill(ctx, b.st, b.versions, time.Now(), &BackfillParams{DagID: "manual", Start: time.Now(), End: time.Now()}); err == nil {
		t.Error("backfill of a DAG without a schedule must fail")
	}
	// The scheduler runs them all, two at a time.
	s := b.scheduler(t, Config{})
	b.runUntil(t, s, func() bool {
		rs, _ := b.st.DagRunList(ctx, &store.DagRunListParams{DagID: "bf", RunType: dag.RunBackfill, States: []dag.DagRunState{dag.DagRunSuccess}})
		return len(rs) == 3
	})
}
