package scheduler

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
)

func TestTriggerRulesPropagate(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"rules": `
dag_id: rules
tasks:
  ok: {command: [sh, -c, "echo fine"]}
  bad: {command: [sh, -c, "echo broken >&2; exit 3"]}
  after_bad: {depends_on: [bad], command: [echo, never]}
  after_after: {depends_on: [after_bad], command: [echo, never]}
  cleanup: {depends_on: [ok, bad], trigger_rule: all_done, command: [echo, cleaning]}
  on_failure: {depends_on: [bad], trigger_rule: one_failed, command: [echo, alert]}
  on_success_only: {depends_on: [ok], trigger_rule: all_failed, command: [echo, never]}
  empty_join: {depends_on: [ok]}
  none_failed: {depends_on: [ok, on_success_only], trigger_rule: none_failed_min_one_success, command: [echo, yes]}
`})
	r := b.trigger(t, "rules", nil)
	state, tis := b.runToEnd(t, r)
	if state != dag.DagRunFailed {
		t.Errorf("run state %s, want failed", state)
	}
	wantStates(t, tis, map[string]dag.TaskState{
		"ok": dag.TaskSuccess, "bad": dag.TaskFailed, "after_bad": dag.TaskUpstreamFailed,
		"after_after": dag.TaskUpstreamFailed, "cleanup": dag.TaskSuccess, "on_failure": dag.TaskSuccess,
		"on_success_only": dag.TaskSkipped, "empty_join": dag.TaskSuccess, "none_failed": dag.TaskSuccess,
	})
	if c := tis["bad"].ExitCode; c == nil || *c != 3 {
		t.Errorf("bad exit code %v, want 3", c)
	}
	if log := b.log(t, r, "bad", 1); !strings.Contains(log, "broken") {
		t.Errorf("bad's log lacks its stderr: %q", log)
	}
}

func TestXComAndTemplates(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"xcom": `
dag_id: xcom
params: {factor: 2, name: {default: world, type: string}}
tasks:
  produce:
    command: [sh, -c, 'echo "{\"n\": 21, \"who\": \"{{ params.name }}\"}" > "$UPDRAFT_XCOM_FILE"']
  consume:
    depends_on: [produce]
    env: {N: "{{ ti.xcom_pull(task_ids='produce').n }}", RUN: "{{ run_id }}"}
    command: |
      echo "n=$N factor={{ params.factor }} who={{ ti.xcom_pull(task_ids='produce').who }} ds={{ ds }} run=$RUN"
`})
	r := b.trigger(t, "xcom", map[string]any{"name": "updraft"})
	state, tis := b.runToEnd(t, r)
	if state != dag.DagRunSuccess {
		t.Fatalf("run state %s: %s", state, describe(tis))
	}
	x, err := b.st.XComGet(context.Background(), r.ID, "produce", -1, "return_value")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(x.Value, &v); err != nil || v["n"] != float64(21) || v["who"] != "updraft" {
		t.Fatalf("xcom %s (%v)", x.Value, err)
	}
	want := "n=21 factor=2 who=updraft ds=" + r.LogicalDate.Format("2006-01-02") + " run=" + r.RunID
	if log := b.log(t, r, "consume", 1); !strings.Contains(log, want) {
		t.Errorf("consume's log %q lacks %q", log, want)
	}
}

func TestTemplateErrorFailsTheTry(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"tpl": `
dag_id: tpl
tasks:
  broken: {command: [echo, "{{ no_such_name }}"]}
`})
	r := b.trigger(t, "tpl", nil)
	state, tis := b.runToEnd(t, r)
	if state != dag.DagRunFailed {
		t.Fatalf("run state %s", state)
	}
	if !strings.Contains(tis["broken"].Reason, "no_such_name") {
		t.Errorf("reason %q does not name the undefined variable", tis["broken"].Reason)
	}
}

func TestRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"flaky": `
dag_id: flaky
tasks:
  flaky:
    retries: 3
    retry_delay: 100ms
    retry_exponential_backoff: true
    command: [sh, -c, '[ "$UPDRAFT_TRY_NUMBER" -ge 3 ] || { echo "try $UPDRAFT_TRY_NUMBER fails"; exit 1; }']
  never_ok:
    retries: 1
    retry_delay: 50ms
    command: [sh, -c, "exit 7"]
`})
	r := b.trigger(t, "flaky", nil)
	state, tis := b.runToEnd(t, r)
	if state != dag.DagRunFailed {
		t.Fatalf("run state %s", state)
	}
	wantStates(t, tis, map[string]dag.TaskState{"flaky": dag.TaskSuccess, "never_ok": dag.TaskFailed})
	if tis["flaky"].TryNumber != 3 || tis["never_ok"].TryNumber != 2 {
		t.Errorf("tries: flaky %d (want 3), never_ok %d (want 2)", tis["flaky"].TryNumber, tis["never_ok"].TryNumber)
	}
	tries, err := b.st.TaskInstanceTries(context.Background(), r.ID, "flaky", -1)
	if err != nil || len(tries) != 3 {
		t.Fatalf("history %v %v", tries, err)
	}
	for i, want := range []dag.TaskState{dag.TaskUpForRetry, dag.TaskUpForRetry, dag.TaskSuccess} {
		if tries[i].State != want {
			t.Errorf("try %d: %s, want %s", i+1, tries[i].State, want)
		}
	}
	// Backoff doubles the delay: the third try starts at least 100ms +
	// 200ms after the first ended.
	if gap := tries[2].StartDate.Sub(*tries[0].EndDate); gap < 300*time.Millisecond {
		t.Errorf("third try started %s after the first ended, want >= 300ms", gap)
	}
	if !strings.Contains(b.log(t, r, "flaky", 1), "try 1 fails") || !strings.Contains(b.log(t, r, "flaky", 2), "try 2 fails") {
		t.Error("each try keeps its own log")
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	task := &dag.Task{RetryDelay: time.Second, RetryExponentialBackoff: true, MaxRetryDelay: 5 * time.Second}
	for try, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second} {
		if got := RetryDelay(task, try); got != want {
			t.Errorf("try %d: %s, want %s", try, got, want)
		}
	}
	if got := RetryDelay(&dag.Task{RetryDelay: time.Second}, 5); got != time.Second {
		t.Errorf("without backoff: %s", got)
	}
}

func TestExecutionTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"slow": `
dag_id: slow
tasks:
  slow: {execution_timeout: 200ms, command: [sleep, "30"]}
`})
	r := b.trigger(t, "slow", nil)
	state, tis := b.runToEnd(t, r)
	if state != dag.DagRunFailed || !strings.Contains(tis["slow"].Reason, "timed out") {
		t.Fatalf("run %s, task %s: %q", state, tis["slow"].State, tis["slow"].Reason)
	}
}

func TestDagrunTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"long": `
dag_id: long
dagrun_timeout: 300ms
tasks:
  sleeper: {command: [sleep, "30"]}
  after: {depends_on: [sleeper], command: [echo, never]}
`})
	r := b.trigger(t, "long", nil)
	state, tis := b.runToEnd(t, r)
	if state != dag.DagRunFailed {
		t.Fatalf("run state %s", state)
	}
	wantStates(t, tis, map[string]dag.TaskState{"sleeper": dag.TaskSkipped, "after": dag.TaskSkipped})
}

func TestMaxActiveTasksAndPools(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"limited": `
dag_id: limited
max_active_tasks: 2
default_args: {command: [sleep, "0.2"]}
tasks: {a: {}, b: {}, c: {}, d: {}, e: {}, f: {}}
`, "pooled": `
dag_id: pooled
default_args: {command: [sleep, "0.2"], pool: tiny}
tasks: {a: {}, b: {}, c: {}, d: {}}
`})
	ctx := context.Background()
	if err := b.st.PoolSet(ctx, &storePool{Name: "tiny", Slots: 1}); err != nil {
		t.Fatal(err)
	}
	peak := map[string]int{}
	running := map[string]int{}
	s := b.scheduler(t, Config{Observe: func(tr Transition) {
		switch {
		case tr.Started:
			running[tr.DagID]++
			peak[tr.DagID] = max(peak[tr.DagID], running[tr.DagID])
		case tr.TaskID != "" && dag.TaskState(tr.State).Finished():
			running[tr.DagID]--
		}
	}})
	r1, r2 := b.trigger(t, "limited", nil), b.trigger(t, "pooled", nil)
	b.runUntil(t, s, func() bool {
		a, _ := b.st.DagRunGetByID(ctx, r1.ID)
		c, _ := b.st.DagRunGetByID(ctx, r2.ID)
		return a != nil && c != nil && a.State.Finished() && c.State.Finished()
	})
	if peak["limited"] != 2 {
		t.Errorf("max_active_tasks 2: peak %d tasks at once", peak["limited"])
	}
	if peak["pooled"] != 1 {
		t.Errorf("pool of 1 slot: peak %d tasks at once", peak["pooled"])
	}
}

func TestUnknownPoolFails(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"nopool": `
dag_id: nopool
tasks: {a: {pool: missing, command: [echo, x]}}
`})
	r := b.trigger(t, "nopool", nil)
	state, tis := b.runToEnd(t, r)
	if state != dag.DagRunFailed || !strings.Contains(tis["a"].Reason, `pool "missing" does not exist`) {
		t.Fatalf("run %s, reason %q", state, tis["a"].Reason)
	}
}

func TestClearRerunsTaskAndDownstream(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"clearme": `
dag_id: clearme
tasks:
  gate: {command: [sh, -c, 'test -f "$GATE"'], env: {GATE: "{{ params.gate }}"}}
  after: {depends_on: [gate], command: [echo, after]}
params: {gate: ""}
`})
	gate := filepath.Join(b.dir, "gate")
	r, err := Trigger(context.Background(), b.st, b.versions, time.Now(), &TriggerParams{DagID: "clearme", Conf: map[string]any{"gate": gate}})
	if err != nil {
		t.Fatal(err)
	}
	state, tis := b.runToEnd(t, r)
	if state != dag.DagRunFailed {
		t.Fatalf("first run %s", state)
	}
	wantStates(t, tis, map[string]dag.TaskState{"gate": dag.TaskFailed, "after": dag.TaskUpstreamFailed})
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cleared, err := b.st.TaskInstanceClear(context.Background(), &storeClear{RunPK: r.ID, TaskIDs: []string{"gate", "after"}})
	if err != nil || len(cleared) != 2 {
		t.Fatalf("clear: %v %v", cleared, err)
	}
	state, tis = b.runToEnd(t, r)
	if state != dag.DagRunSuccess {
		t.Fatalf("after clear: %s", state)
	}
	if tis["gate"].TryNumber != 2 || tis["after"].TryNumber != 1 {
		t.Errorf("try numbers gate %d (want 2), after %d (want 1)", tis["gate"].TryNumber, tis["after"].TryNumber)
	}
}

func TestConfChecksParams(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"p": `
dag_id: p
params: {epochs: {default: 3, type: integer, minimum: 1}}
tasks: {a: {command: [echo, "{{ params.epochs }}"]}}
`})
	_, err := Trigger(context.Background(), b.st, b.versions, time.Now(), &TriggerParams{DagID: "p", Conf: map[string]any{"epochs": "many"}})
	if err == nil || !strings.Contains(err.Error(), "conf.epochs") {
		t.Fatalf("want an error naming conf.epochs, got %v", err)
	}
	_, err = Trigger(context.Background(), b.st, b.versions, time.Now(), &TriggerParams{DagID: "p", Conf: map[string]any{"epochs": 0}})
	if err == nil || !strings.Contains(err.Error(), "minimum") {
		t.Fatalf("want an error about the minimum, got %v", err)
	}
	_, err = Trigger(context.Background(), b.st, b.versions, time.Now(), &TriggerParams{DagID: "nope"})
	if err == nil {
		t.Fatal("trigger of an unknown DAG must fail")
	}
}

// A task cleared and run again returns nothing this time: what its first
// try returned is gone, so the next task does not read a stale value.
func TestNewTryClearsEarlierXCom(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"rerun": `
dag_id: rerun
params: {marker: ""}
tasks:
  produce:
    command: [sh, -c, '[ -e "{{ params.marker }}" ] || echo "{\"n\": 1}" > "$UPDRAFT_XCOM_FILE"']
  consume:
    depends_on: [produce]
    command: [echo, "got={{ ti.xcom_pull(task_ids='produce') }}"]
`})
	marker := filepath.Join(b.dir, "marker")
	r, err := Trigger(context.Background(), b.st, b.versions, time.Now(), &TriggerParams{DagID: "rerun", Conf: map[string]any{"marker": marker}})
	if err != nil {
		t.Fatal(err)
	}
	if state, tis := b.runToEnd(t, r); state != dag.DagRunSuccess {
		t.Fatalf("first run %s: %s", state, describe(tis))
	}
	if log := b.log(t, r, "consume", 1); !strings.Contains(log, "got={'n': 1}\n") {
		t.Fatalf("consume's first log: %q", log)
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.st.TaskInstanceClear(context.Background(), &storeClear{RunPK: r.ID, TaskIDs: []string{"produce", "consume"}}); err != nil {
		t.Fatal(err)
	}
	if state, tis := b.runToEnd(t, r); state != dag.DagRunSuccess {
		t.Fatalf("after clear: %s: %s", state, describe(tis))
	}
	if _, err := b.st.XComGet(context.Background(), r.ID, "produce", -1, "return_value"); err == nil {
		t.Error("produce's first return value outlived its second try")
	}
	if log := b.log(t, r, "consume", 2); !strings.Contains(log, "got=None") {
		t.Errorf("consume's second log: %q", log)
	}
}
