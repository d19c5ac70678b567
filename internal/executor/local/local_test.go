package local_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/executor/local"
	"github.com/updraft-dev/updraft/internal/logstore"
)

// fakeClock starts at a fixed instant and moves 1ms per reading.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.t
	c.t = c.t.Add(time.Millisecond)
	return now
}

func TestSuccessWritesLog(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	ex, b := setup(t, func(c *local.Config) { c.Now = clock.Now })
	k := key("hello")

	submit(t, ex, k, "sh", "-c", "echo hello; echo oops >&2")
	evs := waitFinished(t, ex, k)[k]

	if len(evs) != 2 || evs[0].Kind != executor.Started || evs[1].Kind != executor.Finished {
		t.Fatalf("events = %+v, want Started then Finished", evs)
	}
	st, fin := evs[0], evs[1]
	if st.PID <= 0 || !st.Time.After(start) || !fin.Time.After(st.Time) {
		t.Errorf("Started = %+v, Finished time %v: want a PID and clock times in order", st, fin.Time)
	}
	if fin.State != dag.TaskSuccess || fin.ExitCode != 0 || fin.Reason != "" || fin.XCom != nil {
		t.Errorf("Finished = %+v, want success, exit 0, no reason, no XCom", fin)
	}

	log := readLog(t, b, k)
	lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	wantFirst := `[2026-03-01T12:00:00.000Z] updraft: running ["sh","-c","echo hello; echo oops >&2"] (try 1)`
	if len(lines) != 4 || lines[0] != wantFirst || lines[1] != "hello" || lines[2] != "oops" {
		t.Fatalf("log = %q, want the running line, hello, oops, the exit line", log)
	}
	if !regexp.MustCompile(`^\[2026-03-01T12:00:00\.\d{3}Z\] updraft: exited with code 0 after \d+ms$`).MatchString(lines[3]) {
		t.Errorf("last log line = %q", lines[3])
	}
	if got := ex.FreeSlots(); got != b.cfg.Parallelism {
		t.Errorf("FreeSlots after finishing = %d, want %d", got, b.cfg.Parallelism)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	ex, b := setup(t, nil)
	k := key("three")

	submit(t, ex, k, "sh", "-c", "exit 3")
	fin := finished(t, ex, k)

	if fin.State != dag.TaskFailed || fin.ExitCode != 3 || fin.Reason != "exit code 3" {
		t.Errorf("Finished = %+v, want failed, exit 3, reason exit code 3", fin)
	}
	if log := readLog(t, b, k); !strings.Contains(log, "updraft: exited with code 3 after") {
		t.Errorf("log = %q, want the exit code", log)
	}
}

func TestCommandCannotRun(t *testing.T) {
	t.Parallel()
	notExec := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		argv     []string
		dir      string
		code     int
		reason   string
		inReason string
	}{
		{name: "not in PATH", argv: []string{"no-such-command-updraft", "x"}, code: 127,
			reason: `command not found: "no-such-command-updraft"`},
		{name: "no such path", argv: []string{"./missing"}, dir: t.TempDir(), code: 127,
			inReason: `command not found: "./missing"`},
		{name: "not executable", argv: []string{notExec}, code: 126, inReason: "permission denied"},
		{name: "empty", argv: nil, code: 127, reason: "empty command"},
		{name: "bad working dir", argv: []string{"true"}, dir: "/nonexistent/updraft", code: 126,
			inReason: "cannot start: working directory: stat /nonexistent/updraft: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ex, b := setup(t, nil)
			k := key("missing")

			err := ex.Submit(t.Context(), &executor.Request{Key: k, Argv: tt.argv, WorkingDir: tt.dir})
			if err != nil {
				t.Fatalf("Submit: %v, want the failure reported as an event", err)
			}
			evs := waitFinished(t, ex, k)[k]

			if len(evs) != 1 {
				t.Fatalf("events = %+v, want a single Finished", evs)
			}
			fin := evs[0]
			if fin.State != dag.TaskFailed || fin.ExitCode != tt.code {
				t.Errorf("Finished = %+v, want failed with exit code %d", fin, tt.code)
			}
			if tt.reason != "" && fin.Reason != tt.reason {
				t.Errorf("Reason = %q, want %q", fin.Reason, tt.reason)
			}
			if !strings.Contains(fin.Reason, tt.inReason) {
				t.Errorf("Reason = %q, want it to contain %q", fin.Reason, tt.inReason)
			}
			if log := readLog(t, b, k); !strings.Contains(log, "updraft: "+fin.Reason+"\n") {
				t.Errorf("log = %q, want the reason in it", log)
			}
			if got := ex.FreeSlots(); got != b.cfg.Parallelism {
				t.Errorf("FreeSlots = %d, want %d", got, b.cfg.Parallelism)
			}
		})
	}
}

func TestLookPathUsesChildPATH(t *testing.T) {
	t.Parallel()
	bin := t.TempDir()
	tool := filepath.Join(bin, "updraft-test-tool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\necho tool ran\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ex, b := setup(t, nil)
	k := key("tool")

	// Only the task's own PATH knows the tool; updraft's does not.
	err := ex.Submit(t.Context(), &executor.Request{Key: k, Argv: []string{"updraft-test-tool"},
		Env: []string{"PATH=" + bin + ":" + os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	fin := finished(t, ex, k)

	if fin.State != dag.TaskSuccess {
		t.Fatalf("Finished = %+v, want success", fin)
	}
	if log := readLog(t, b, k); !strings.Contains(log, "\ntool ran\n") {
		t.Errorf("log = %q, want the tool's output", log)
	}
}

func TestEnvironment(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	ex, b := setup(t, func(c *local.Config) {
		c.TempDir = tmp
		c.Env = append(c.Env, "BASE=from-config", "UPDRAFT_TASK_ID=from-config")
	})
	k := executor.TryKey{DagID: "etl", RunID: "scheduled__2026-01-02", TaskID: "load", MapIndex: 2, TryNumber: 3}
	wd := t.TempDir()
	req := &executor.Request{
		Key: k,
		Argv: []string{"sh", "-c", `echo "task=$UPDRAFT_TASK_ID"; ` +
			`test ! -e "$UPDRAFT_XCOM_FILE" && test -d "${UPDRAFT_XCOM_FILE%/*}" || exit 9; ` +
			`echo "pwd=$(pwd)"; env`},
		Env:         []string{"OWN=from-task", "UPDRAFT_TASK_ID=from-task", "BASE=overridden"},
		WorkingDir:  wd,
		LogicalDate: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600)),
		Owner:       "alice",
	}
	if err := ex.Submit(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	fin := finished(t, ex, k)
	if fin.State != dag.TaskSuccess {
		t.Fatalf("Finished = %+v, want success (exit 9: XCom file exists or its directory does not)", fin)
	}

	log := readLog(t, b, k)
	env := map[string]string{}
	for line := range strings.SplitSeq(log, "\n") {
		if name, value, ok := strings.Cut(line, "="); ok {
			env[name] = value
		}
	}
	want := map[string]string{
		"task":                     "load",
		"pwd":                      wd,
		"UPDRAFT_DAG_ID":           "etl",
		"UPDRAFT_RUN_ID":           "scheduled__2026-01-02",
		"UPDRAFT_TASK_ID":          "load",
		"UPDRAFT_TRY_NUMBER":       "3",
		"UPDRAFT_MAP_INDEX":        "2",
		"AIRFLOW_CTX_DAG_ID":       "etl",
		"AIRFLOW_CTX_TASK_ID":      "load",
		"AIRFLOW_CTX_DAG_RUN_ID":   "scheduled__2026-01-02",
		"AIRFLOW_CTX_TRY_NUMBER":   "3",
		"AIRFLOW_CTX_LOGICAL_DATE": "2026-01-02T02:04:05Z",
		"AIRFLOW_CTX_DAG_OWNER":    "alice",
		"BASE":                     "overridden",
		"OWN":                      "from-task",
	}
	for name, value := range want {
		if env[name] != value {
			t.Errorf("%s = %q, want %q", name, env[name], value)
		}
	}
	if x := env["UPDRAFT_XCOM_FILE"]; !strings.HasPrefix(x, tmp+string(filepath.Separator)) {
		t.Errorf("UPDRAFT_XCOM_FILE = %q, want a path under %s", x, tmp)
	}
	if n := xcomLeftovers(t, tmp); n != 0 {
		t.Errorf("XCom directory holds %d files after the try, want none", n)
	}
}

func TestXCom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		script   string
		state    dag.TaskState
		xcom     string
		inReason string
	}{
		{name: "valid", script: `printf '{"a": [1, 2]}\n' > "$UPDRAFT_XCOM_FILE"`,
			state: dag.TaskSuccess, xcom: `{"a": [1, 2]}`},
		{name: "none", script: `true`, state: dag.TaskSuccess},
		{name: "invalid", script: `echo 'not json' > "$UPDRAFT_XCOM_FILE"`,
			state: dag.TaskFailed, inReason: "invalid XCom in UPDRAFT_XCOM_FILE: invalid character"},
		{name: "empty", script: `: > "$UPDRAFT_XCOM_FILE"`,
			state: dag.TaskFailed, inReason: "invalid XCom in UPDRAFT_XCOM_FILE: unexpected end of JSON input"},
		{name: "too big", script: `printf '"%0100d"' 0 > "$UPDRAFT_XCOM_FILE"`,
			state: dag.TaskFailed, inReason: "invalid XCom in UPDRAFT_XCOM_FILE: 102 bytes, more than the limit of 64"},
		{name: "fifo", script: `mkfifo "$UPDRAFT_XCOM_FILE"`,
			state: dag.TaskFailed, inReason: "invalid XCom in UPDRAFT_XCOM_FILE: not a regular file"},
		{name: "ignored on failure", script: `echo '{}' > "$UPDRAFT_XCOM_FILE"; exit 1`,
			state: dag.TaskFailed, inReason: "exit code 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			ex, b := setup(t, func(c *local.Config) { c.MaxXComSize = 64; c.TempDir = tmp })
			k := key("xcom")

			submit(t, ex, k, "sh", "-c", tt.script)
			fin := finished(t, ex, k)

			if fin.State != tt.state || string(fin.XCom) != tt.xcom || !strings.Contains(fin.Reason, tt.inReason) {
				t.Errorf("Finished = %+v (XCom %q), want %s, XCom %q, reason with %q",
					fin, fin.XCom, tt.state, tt.xcom, tt.inReason)
			}
			if fin.ExitCode == 0 && fin.Reason != "" && !strings.Contains(readLog(t, b, k), fin.Reason) {
				t.Errorf("log lacks the reason %q", fin.Reason)
			}
			if n := xcomLeftovers(t, tmp); n != 0 {
				t.Errorf("XCom directory holds %d files after the try, want none", n)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	t.Run("SIGTERM ends the group", func(t *testing.T) {
		t.Parallel()
		ex, b := setup(t, func(c *local.Config) { c.KillGrace = time.Minute })
		k := key("slow")
		req := &executor.Request{Key: k, Timeout: time.Second,
			Argv: []string{"sh", "-c", `sleep 60 & echo "child=$!"; wait`}}
		begin := time.Now()
		if err := ex.Submit(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		st := waitStarted(t, ex, k)
		fin := waitFinished(t, ex, k)[k][0]

		if took := time.Since(begin); took < time.Second || took > 10*time.Second {
			t.Errorf("took %v, want about the timeout: SIGTERM, not the one-minute grace", took)
		}
		if fin.State != dag.TaskFailed || fin.ExitCode != -1 || fin.Reason != "timed out after 1s" {
			t.Errorf("Finished = %+v, want failed, -1, timed out after 1s", fin)
		}
		log := readLog(t, b, k)
		if !strings.Contains(log, "updraft: killed by signal SIGTERM after") || !strings.Contains(log, "(timed out after 1s)\n") {
			t.Errorf("log = %q, want the signal and the timeout", log)
		}
		assertGone(t, st.PID, childPID(t, log))
	})
	t.Run("SIGKILL after the grace", func(t *testing.T) {
		t.Parallel()
		ex, b := setup(t, func(c *local.Config) { c.KillGrace = 300 * time.Millisecond })
		k := key("stubborn")
		// An ignored signal stays ignored across exec, so sleep ignores
		// SIGTERM too.
		req := &executor.Request{Key: k, Timeout: time.Second,
			Argv: []string{"sh", "-c", `trap "" TERM; sleep 60 & echo "child=$!"; wait; wait`}}
		begin := time.Now()
		if err := ex.Submit(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		st := waitStarted(t, ex, k)
		fin := waitFinished(t, ex, k)[k][0]

		if took := time.Since(begin); took < 1300*time.Millisecond || took > 10*time.Second {
			t.Errorf("took %v, want the timeout plus the grace", took)
		}
		if fin.State != dag.TaskFailed || fin.ExitCode != -1 || fin.Reason != "timed out after 1s" {
			t.Errorf("Finished = %+v, want failed, -1, timed out after 1s", fin)
		}
		log := readLog(t, b, k)
		if !strings.Contains(log, "updraft: killed by signal SIGKILL after") {
			t.Errorf("log = %q, want SIGKILL", log)
		}
		assertGone(t, st.PID, childPID(t, log))
	})
}

func TestBackgroundChildKilledAfterExit(t *testing.T) {
	t.Parallel()
	ex, b := setup(t, nil)
	k := key("leaves-child")

	submit(t, ex, k, "sh", "-c", `sleep 60 & echo "child=$!"`)
	fin := finished(t, ex, k)

	if fin.State != dag.TaskSuccess {
		t.Fatalf("Finished = %+v, want success", fin)
	}
	assertGone(t, childPID(t, readLog(t, b, k)))
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ex, b := setup(t, nil)
	k := key("cancel-me")

	submit(t, ex, k, "sh", "-c", `sleep 60 & echo "child=$!"; wait`)
	st := waitStarted(t, ex, k)
	waitLog(t, b, k, "\nchild=")
	ex.Cancel(key("unknown"))
	begin := time.Now()
	ex.Cancel(k)
	ex.Cancel(k)
	fin := waitFinished(t, ex, k)[k][0]

	if took := time.Since(begin); took > b.cfg.KillGrace {
		t.Errorf("cancel took %v, want SIGTERM to end it before the grace", took)
	}
	if fin.State != dag.TaskFailed || fin.ExitCode != -1 || fin.Reason != "cancelled" {
		t.Errorf("Finished = %+v, want failed, -1, cancelled", fin)
	}
	assertGone(t, st.PID, childPID(t, readLog(t, b, k)))
	ex.Cancel(k) // finished: nothing to do
}

func TestParallelismCap(t *testing.T) {
	t.Parallel()
	ex, _ := setup(t, func(c *local.Config) { c.Parallelism = 2 })
	a, b, c := key("a"), key("b"), key("c")

	submit(t, ex, a, "sleep", "60")
	waitStarted(t, ex, a)
	if err := ex.Submit(t.Context(), &executor.Request{Key: a, Argv: []string{"true"}}); !errors.Is(err, local.ErrAlreadyRunning) {
		t.Errorf("Submit of a running key: %v, want ErrAlreadyRunning", err)
	}
	if got := ex.FreeSlots(); got != 1 {
		t.Errorf("FreeSlots = %d, want 1", got)
	}
	submit(t, ex, b, "sleep", "60")
	waitStarted(t, ex, b)
	if got := ex.FreeSlots(); got != 0 {
		t.Errorf("FreeSlots = %d, want 0", got)
	}
	if err := ex.Submit(t.Context(), &executor.Request{Key: c, Argv: []string{"true"}}); !errors.Is(err, local.ErrNoFreeSlot) {
		t.Errorf("Submit beyond the cap: %v, want ErrNoFreeSlot", err)
	}

	ex.Cancel(a)
	waitFinished(t, ex, a)
	if got := ex.FreeSlots(); got != 1 {
		t.Errorf("FreeSlots after a try finished = %d, want 1", got)
	}
	submit(t, ex, c, "true")
	if fin := finished(t, ex, c); fin.State != dag.TaskSuccess {
		t.Errorf("Finished = %+v, want success", fin)
	}
}

func TestSubmitExecutorTrouble(t *testing.T) {
	t.Parallel()
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ex, b := setup(t, func(c *local.Config) { c.Logs = logstore.FileStore{Dir: notDir} })

	k := key("x")
	if err := ex.Submit(t.Context(), &executor.Request{Key: k, Argv: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	evs := waitFinished(t, ex, k)[k]
	fin := evs[len(evs)-1]
	if len(evs) != 1 || fin.State != dag.TaskFailed || !strings.Contains(fin.Reason, "executor: ") || !strings.Contains(fin.Reason, "log") {
		t.Errorf("Finished = %+v, want failed with the executor's reason", fin)
	}
	if got := ex.FreeSlots(); got != b.cfg.Parallelism {
		t.Errorf("FreeSlots = %d, want the slot back: %d", got, b.cfg.Parallelism)
	}
	select {
	case ev := <-ex.Events():
		t.Errorf("unexpected event %+v", ev)
	default:
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	ex, b := setup(t, func(c *local.Config) { c.KillGrace = 300 * time.Millisecond })
	polite, stubborn := key("polite"), key("stubborn")

	submit(t, ex, polite, "sh", "-c", `sleep 60 & echo "child=$!"; wait`)
	waitStarted(t, ex, polite)
	submit(t, ex, stubborn, "sh", "-c", `trap "" TERM; sleep 60 & echo "child=$!"; wait; wait`)
	waitStarted(t, ex, stubborn)
	waitLog(t, b, polite, "\nchild=")
	waitLog(t, b, stubborn, "\nchild=")

	begin := time.Now()
	ex.Stop()
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("Stop took %v, want about the grace", took)
	}
	got := map[executor.TryKey]executor.Event{}
	for ev := range ex.Events() { // closed by Stop
		got[ev.Key] = ev
	}
	for _, k := range []executor.TryKey{polite, stubborn} {
		if ev := got[k]; ev.Kind != executor.Finished || ev.State != dag.TaskFailed || ev.Reason != "executor stopped" {
			t.Errorf("%s: last event %+v, want Finished, failed, executor stopped", k, ev)
		}
		assertGone(t, childPID(t, readLog(t, b, k)))
	}
	if err := ex.Submit(t.Context(), &executor.Request{Key: key("late"), Argv: []string{"true"}}); !errors.Is(err, local.ErrStopped) {
		t.Errorf("Submit after Stop: %v, want ErrStopped", err)
	}
	if got := ex.FreeSlots(); got != 0 {
		t.Errorf("FreeSlots after Stop = %d, want 0", got)
	}
	ex.Stop() // a second Stop returns
}

// TestConcurrentSubmitAndStop gives the race detector Submits, Cancels and a
// Stop that overlap.
func TestConcurrentSubmitAndStop(t *testing.T) {
	t.Parallel()
	ex, _ := setup(t, func(c *local.Config) { c.Parallelism = 64; c.KillGrace = time.Second })
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			k := key("t" + strconv.Itoa(i))
			err := ex.Submit(t.Context(), &executor.Request{Key: k, Argv: []string{"sleep", "60"}})
			if err != nil && !errors.Is(err, local.ErrStopped) {
				t.Errorf("Submit: %v", err)
			}
			ex.Cancel(k)
		})
	}
	go func() {
		for range ex.Events() {
		}
	}()
	time.Sleep(20 * time.Millisecond)
	ex.Stop()
	wg.Wait()
}

// TestUnreadEventsLimitSlots checks that a reader who stops reading makes
// Submit fail instead of blocking: Submit itself sends the Started event, so
// blocking would deadlock a scheduler that submits and reads in one
// goroutine.
func TestUnreadEventsLimitSlots(t *testing.T) {
	t.Parallel()
	const parallelism = 4
	capacity := 4*parallelism + 1024 // as New sizes the channel
	ex, _ := setup(t, func(c *local.Config) { c.Parallelism = parallelism })

	n := 0
	deadline := time.Now().Add(time.Minute)
	for {
		err := ex.Submit(t.Context(), &executor.Request{Key: key("t" + strconv.Itoa(n)), Argv: []string{"true"}})
		if err == nil {
			n++
			continue
		}
		if !errors.Is(err, local.ErrNoFreeSlot) {
			t.Fatalf("Submit: %v", err)
		}
		if strings.Contains(err.Error(), "events wait to be read") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d tries: %v", n, err)
		}
		time.Sleep(time.Millisecond)
	}
	if n < capacity/2-parallelism || n > capacity/2 {
		t.Errorf("%d tries admitted with nobody reading, want about %d", n, capacity/2)
	}
	if got := ex.FreeSlots(); got != 0 {
		t.Errorf("FreeSlots = %d with the channel full, want 0", got)
	}

	for i := range 2 * n {
		select {
		case <-ex.Events():
		case <-time.After(30 * time.Second):
			t.Fatalf("event %d of %d missing", i, 2*n)
		}
	}
	for ex.FreeSlots() != parallelism {
		if time.Now().After(deadline) {
			t.Fatalf("FreeSlots = %d after reading every event, want %d", ex.FreeSlots(), parallelism)
		}
		time.Sleep(time.Millisecond)
	}
}

// xcomLeftovers counts the files left in the executor's XCom directories
// under tmp: each try's file must be gone once the try has finished.
func xcomLeftovers(t *testing.T, tmp string) int {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(tmp, "updraft-xcom-*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		n += len(entries)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > len(dirs) {
		n += len(entries) - len(dirs)
	}
	return n
}
