package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/spec"
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
params: {fail: "no"}
tasks:
  step: {depends_on_past: true, command: [sh, -c, 'test "{{ params.fail }}" != yes']}
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
	// The previous run's step failed, so this one's waits: run the
	// scheduler for several of its 50 ms ticks and check it never left none.
	s := b.scheduler(t, Config{OnlyRun: second.ID})
	polls := 0
	b.runUntil(t, s, func() bool { polls++; return polls > 15 })
	_, tis := b.states(t, second)
	if tis["step"].State != dag.TaskNone {
		t.Fatalf("step ran although the previous run's step failed: %s", tis["step"].State)
	}
	// Once the previous run's step is cleared and succeeds, this one runs.
	if _, err := b.st.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: first.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.st.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: first.ID, State: dag.DagRunRunning, StartDate: ptr(time.Now())}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.st.TaskInstanceApply(ctx, []*store.TaskInstanceChange{{RunPK: first.ID, TaskID: "step", MapIndex: -1,
		State: dag.TaskSuccess}}); err != nil {
		t.Fatal(err)
	}
	if state, tis := b.runToEnd(t, second); state != dag.DagRunSuccess {
		t.Fatalf("second run after the first succeeded: %s %s", state, describe(tis))
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

// A task cleared while it runs is cancelled and runs again, once, as the
// next try; clearing it twice before it ends changes nothing more.
func TestClearWhileRunning(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"cw": `
dag_id: cw
tasks:
  slow: {command: [sh, -c, 'if [ "$UPDRAFT_TRY_NUMBER" = 1 ]; then sleep 30; fi; echo "try $UPDRAFT_TRY_NUMBER done"']}
`})
	ctx := context.Background()
	r := b.trigger(t, "cw", nil)
	cleared := false
	s := b.scheduler(t, Config{OnlyRun: r.ID, Observe: func(tr Transition) {
		if tr.Started && tr.Try == 1 && !cleared {
			cleared = true
			for range 2 {
				if _, err := b.st.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: r.ID}); err != nil {
					t.Error(err)
				}
			}
		}
	}})
	b.runUntil(t, s, func() bool {
		cur, err := b.st.DagRunGetByID(ctx, r.ID)
		return err == nil && cur.State == dag.DagRunSuccess
	})
	_, tis := b.states(t, r)
	if tis["slow"].TryNumber != 2 {
		t.Fatalf("try number %d, want 2: %s", tis["slow"].TryNumber, describe(tis))
	}
	tries, err := b.st.TaskInstanceTries(ctx, r.ID, "slow", -1)
	if err != nil || len(tries) != 2 || tries[0].Reason != "cancelled" {
		t.Fatalf("tries %+v %v", tries, err)
	}
}

// A try queued by a scheduler that stopped counts as lost, as a running one
// does: it may have started, and a try number runs at most once. Its retry
// policy applies.
func TestRecoverQueuedTry(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"q": "dag_id: q\ntasks: {a: {retries: 1, retry_delay: 0s, command: [echo, ran]}}\n"})
	ctx := context.Background()
	r := b.trigger(t, "q", nil)
	if _, err := b.st.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: r.ID, State: dag.DagRunRunning, StartDate: ptr(time.Now())}); err != nil {
		t.Fatal(err)
	}
	// As dispatch leaves it: queued, try 1, no pid.
	host, zero := "h", 0
	if _, err := b.st.TaskInstanceApply(ctx, []*store.TaskInstanceChange{{RunPK: r.ID, TaskID: "a", MapIndex: -1,
		State: dag.TaskQueued, TryDelta: 1, Hostname: &host, PID: &zero}}); err != nil {
		t.Fatal(err)
	}
	state, tis := b.runToEnd(t, r)
	if state != dag.DagRunSuccess || tis["a"].TryNumber != 2 {
		t.Fatalf("run %s, %s", state, describe(tis))
	}
	tries, err := b.st.TaskInstanceTries(ctx, r.ID, "a", -1)
	if err != nil || len(tries) != 2 || tries[0].State != dag.TaskUpForRetry ||
		!strings.Contains(tries[0].Reason, "scheduler that ran this try stopped") {
		t.Fatalf("tries %v %v", describeTries(tries), err)
	}
}

// A DAG with a large backlog held back by max_active_tasks does not hide
// another DAG's task of lower priority: dispatch reads past the blocked
// candidates while slots are free.
func TestBlockedBacklogDoesNotStarve(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{
		"big": `
dag_id: big
max_active_tasks: 1
default_args: {command: [sleep, "30"], priority_weight: 10}
tasks:
  t000: {}
  t001: {}
  t002: {}
  t003: {}
  t004: {}
  t005: {}
  t006: {}
  t007: {}
  t008: {}
  t009: {}
  t010: {}
  t011: {}
  t012: {}
  t013: {}
  t014: {}
  t015: {}
  t016: {}
  t017: {}
  t018: {}
  t019: {}
  t020: {}
  t021: {}
  t022: {}
  t023: {}
  t024: {}
  t025: {}
  t026: {}
  t027: {}
  t028: {}
  t029: {}
  t030: {}
  t031: {}
  t032: {}
  t033: {}
  t034: {}
  t035: {}
  t036: {}
  t037: {}
  t038: {}
  t039: {}
  t040: {}
  t041: {}
  t042: {}
  t043: {}
  t044: {}
  t045: {}
  t046: {}
  t047: {}
  t048: {}
  t049: {}
  t050: {}
  t051: {}
  t052: {}
  t053: {}
  t054: {}
  t055: {}
  t056: {}
  t057: {}
  t058: {}
  t059: {}
  t060: {}
  t061: {}
  t062: {}
  t063: {}
  t064: {}
  t065: {}
  t066: {}
  t067: {}
  t068: {}
  t069: {}
  t070: {}
  t071: {}
  t072: {}
  t073: {}
  t074: {}
  t075: {}
  t076: {}
  t077: {}
  t078: {}
  t079: {}
  t080: {}
  t081: {}
  t082: {}
  t083: {}
  t084: {}
  t085: {}
  t086: {}
  t087: {}
  t088: {}
  t089: {}
  t090: {}
  t091: {}
  t092: {}
  t093: {}
  t094: {}
  t095: {}
  t096: {}
  t097: {}
  t098: {}
  t099: {}
  t100: {}
  t101: {}
  t102: {}
  t103: {}
  t104: {}
  t105: {}
  t106: {}
  t107: {}
  t108: {}
  t109: {}
  t110: {}
  t111: {}
  t112: {}
  t113: {}
  t114: {}
  t115: {}
  t116: {}
  t117: {}
  t118: {}
  t119: {}
  t120: {}
  t121: {}
  t122: {}
  t123: {}
  t124: {}
  t125: {}
  t126: {}
  t127: {}
  t128: {}
  t129: {}
  t130: {}
  t131: {}
  t132: {}
  t133: {}
  t134: {}
  t135: {}
  t136: {}
  t137: {}
  t138: {}
  t139: {}
  t140: {}
  t141: {}
  t142: {}
  t143: {}
  t144: {}
  t145: {}
  t146: {}
  t147: {}
  t148: {}
  t149: {}
  t150: {}
  t151: {}
  t152: {}
  t153: {}
  t154: {}
  t155: {}
  t156: {}
  t157: {}
  t158: {}
  t159: {}
  t160: {}
  t161: {}
  t162: {}
  t163: {}
  t164: {}
  t165: {}
  t166: {}
  t167: {}
  t168: {}
  t169: {}
  t170: {}
  t171: {}
  t172: {}
  t173: {}
  t174: {}
  t175: {}
  t176: {}
  t177: {}
  t178: {}
  t179: {}
  t180: {}
  t181: {}
  t182: {}
  t183: {}
  t184: {}
  t185: {}
  t186: {}
  t187: {}
  t188: {}
  t189: {}
  t190: {}
  t191: {}
  t192: {}
  t193: {}
  t194: {}
  t195: {}
  t196: {}
  t197: {}
  t198: {}
  t199: {}
`,
		"small": "dag_id: small\ntasks: {only: {command: [echo, small]}}\n",
	})
	ctx := context.Background()
	big, small := b.trigger(t, "big", nil), b.trigger(t, "small", nil)
	s := b.scheduler(t, Config{})
	b.runUntil(t, s, func() bool {
		r, err := b.st.DagRunGetByID(ctx, small.ID)
		return err == nil && r.State == dag.DagRunSuccess
	})
	if r, _ := b.st.DagRunGetByID(ctx, big.ID); r.State.Finished() {
		t.Fatalf("big finished first: %s", r.State)
	}
}

// A stored DAG version that no longer parses (a stricter parser after an
// upgrade) fails its own run; the other runs go on.
func TestUnloadableVersionFailsOnlyItsRun(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{
		"good": "dag_id: good\ntasks: {a: {command: [echo, good]}}\n",
		"bad":  "dag_id: bad\ntasks: {a: {command: [echo, bad]}}\n",
	})
	ctx := context.Background()
	good, bad := b.trigger(t, "good", nil), b.trigger(t, "bad", nil)
	b.versions = NewVersions(b.st, func(name string, src []byte) (*dag.DAG, error) {
		if strings.Contains(string(src), "dag_id: bad") {
			return nil, errors.New("no longer valid")
		}
		return spec.Parse(name, src)
	})
	// One scheduler for both: the bad version must not stop its passes.
	s := b.scheduler(t, Config{})
	b.runUntil(t, s, func() bool {
		g, err1 := b.st.DagRunGetByID(ctx, good.ID)
		r, err2 := b.st.DagRunGetByID(ctx, bad.ID)
		return err1 == nil && err2 == nil && g.State == dag.DagRunSuccess && r.State == dag.DagRunFailed
	})
}

// flakyApply fails the first n batches that record a success: a store
// error the test cannot cause for real at the right moment.
type flakyApply struct {
	store.Store
	n atomic.Int32
}

func (f *flakyApply) TaskInstanceApply(ctx context.Context, changes []*store.TaskInstanceChange) ([]bool, error) {
	for _, c := range changes {
		if c.State == dag.TaskSuccess && f.n.Add(-1) >= 0 {
			return nil, errors.New("store unavailable")
		}
	}
	return f.Store.TaskInstanceApply(ctx, changes)
}

// An executor event whose recording fails is recorded by a later pass: it
// exists only in memory until then.
func TestEventsSurviveAFailedPass(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"e": "dag_id: e\ntasks: {a: {command: [echo, a]}, b: {depends_on: [a], command: [echo, b]}}\n"})
	r := b.trigger(t, "e", nil)
	flaky := &flakyApply{Store: b.st}
	flaky.n.Store(2)
	b.st = flaky
	state, tis := b.runToEnd(t, r)
	if state != dag.DagRunSuccess || flaky.n.Load() >= 0 {
		t.Fatalf("run %s (failures left %d): %s", state, flaky.n.Load(), describe(tis))
	}
}

func describeTries(tries []*store.TaskInstanceTry) string {
	var parts []string
	for _, tr := range tries {
		parts = append(parts, fmt.Sprintf("try %d %s (%s)", tr.TryNumber, tr.State, tr.Reason))
	}
	return strings.Join(parts, "; ")
}
