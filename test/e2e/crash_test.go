package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A scheduler killed with SIGKILL in the middle of a run: the restarted
// scheduler kills what the first one left running, retries the lost try by
// its policy, and the run completes. No try runs twice at the same time: the
// first try never reaches its end.
func TestSchedulerCrashAndRestart(t *testing.T) {
	t.Parallel()
	ledger := filepath.Join(t.TempDir(), "ledger")
	e := newEnv(t, map[string]string{"crash.yaml": `
dag_id: crash
tasks:
  long:
    retries: 1
    retry_delay: 0s
    env: {LEDGER: "` + ledger + `"}
    command: |
      echo "start-$UPDRAFT_TRY_NUMBER" >> "$LEDGER"
      sleep 4
      echo "end-$UPDRAFT_TRY_NUMBER" >> "$LEDGER"
  after:
    depends_on: [long]
    command: [echo, after]
`})
	sched := e.start("scheduler")
	if _, errOut, code := e.run("dags", "trigger", "crash", "--run-id", "r1"); code != 0 {
		t.Fatalf("trigger: %s", errOut)
	}
	e.waitFor("try 1 to start", func() bool { return slices.Contains(readLines(t, ledger), "start-1") })
	if err := sched.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = sched.Process.Wait()

	// While no scheduler runs, the store still says running.
	if st := e.taskStates("crash", "r1")["long"]; st.State != "running" || st.TryNumber != 1 {
		t.Fatalf("after the crash: %+v", st)
	}
	e.start("scheduler")
	e.waitFor("the run to finish", func() bool {
		rs := e.runs("crash")
		return len(rs) == 1 && (rs[0].State == "success" || rs[0].State == "failed")
	})
	if rs := e.runs("crash"); rs[0].State != "success" {
		t.Fatalf("run ended %s", rs[0].State)
	}
	states := e.taskStates("crash", "r1")
	if states["long"].State != "success" || states["long"].TryNumber != 2 || states["after"].State != "success" {
		t.Fatalf("task states after restart: %+v", states)
	}
	// Give a surviving try 1 time to write its end, had it survived.
	time.Sleep(4500 * time.Millisecond)
	got := strings.Join(readLines(t, ledger), " ")
	if got != "start-1 start-2 end-2" {
		t.Fatalf("ledger %q: want try 1 killed before try 2 ran", got)
	}
	// Try 1's log says what became of it.
	log, err := os.ReadFile(filepath.Join(e.data, "logs", "dag_id=crash", "run_id=r1", "task_id=long.attempt=1.log"))
	if err != nil || !strings.Contains(string(log), "a new scheduler ended what was left of it") {
		t.Fatalf("try 1's log (%v):\n%s", err, log)
	}
}

// One scheduler at a time per data directory: a second refuses to start.
func TestSecondSchedulerRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{"a.yaml": "dag_id: a\ntasks: {x: {command: [echo]}}\n"})
	first := e.start("scheduler")
	pid := strconv.Itoa(first.Process.Pid)
	e.waitFor("the first scheduler to hold the lock", func() bool {
		b, _ := os.ReadFile(filepath.Join(e.data, "scheduler.lock"))
		return strings.TrimSpace(string(b)) == pid
	})
	_, errOut, code := e.run("scheduler")
	if code == 0 || !strings.Contains(errOut, "another scheduler (pid "+pid+")") {
		t.Fatalf("second scheduler: exit %d: %s", code, errOut)
	}
}
