package e2e

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store/postgres"
	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
)

// outageDag has 30 tasks: start, a fan-out of 20 after it, a join, and a
// chain of 8 after the join. Each try appends its key (run/task/try) to the
// ledger when it begins and to the ended file when its work is done, 0.2 to
// 0.5s later; a key in the ledger and not in the ended file is a try at
// work. A try that fails is retried, so a try lost in the outage would show
// as a try number above 1.
func outageDag(ledger, ended string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `dag_id: outage
default_args:
  retries: 2
  retry_delay: 0s
  env: {LEDGER: %q, ENDED: %q}
tasks:
`, ledger, ended)
	n := 0
	task := func(id string, upstream ...string) {
		sleep := 0.2 + 0.1*float64(n%4)
		n++
		fmt.Fprintf(&b, "  %s:\n    command: 'k=\"$UPDRAFT_RUN_ID/$UPDRAFT_TASK_ID/$UPDRAFT_TRY_NUMBER\"; "+
			"echo \"$k\" >> \"$LEDGER\"; sleep %.1f; echo \"$k\" >> \"$ENDED\"'\n", id, sleep)
		if len(upstream) > 0 {
			fmt.Fprintf(&b, "    depends_on: [%s]\n", strings.Join(upstream, ", "))
		}
	}
	task("start")
	var fan []string
	for i := range 20 {
		id := fmt.Sprintf("fan_%02d", i)
		task(id, "start")
		fan = append(fan, id)
	}
	task("join", fan...)
	prev := "join"
	for i := range 8 {
		id := fmt.Sprintf("chain_%d", i+1)
		task(id, prev)
		prev = id
	}
	return b.String()
}

// unreachableLine is a failed pass of the scheduler loop, as its log says.
type unreachableLine struct {
	retryIn time.Duration
	pending int
}

var (
	retryInRe = regexp.MustCompile(`retry_in=(\S+)`)
	pendingRe = regexp.MustCompile(`pending_events=(\d+)`)
)

// unreachableLines returns the scheduler loop's "database unreachable"
// lines of a log, in order. The lines of the waits at start (database,
// action) have no pending_events and are left out.
func unreachableLines(t *testing.T, log string) []unreachableLine {
	t.Helper()
	var ls []unreachableLine
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, `msg="database unreachable; retrying"`) {
			continue
		}
		p := pendingRe.FindStringSubmatch(line)
		r := retryInRe.FindStringSubmatch(line)
		if p == nil {
			continue
		}
		if r == nil {
			t.Fatalf("unreachable line without retry_in: %s", line)
		}
		d, err := time.ParseDuration(r[1])
		if err != nil {
			t.Fatalf("retry_in of %s: %v", line, err)
		}
		n, _ := strconv.Atoi(p[1])
		ls = append(ls, unreachableLine{retryIn: d, pending: n})
	}
	return ls
}

// minus returns the keys of a that are not in b.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, k := range b {
		in[k] = true
	}
	var out []string
	for _, k := range a {
		if !in[k] {
			out = append(out, k)
		}
	}
	return out
}

// The PostgreSQL server of a scheduler crashes in the middle of a run,
// while tries are at work, and comes back some seconds later at the same
// address. The scheduler must live through it: say the database is
// unreachable and retry, waiting longer each time; keep the events of the
// tries that end meanwhile and record them once the database is back. The
// run then succeeds with every task at its first try, and no try ran
// twice. A command run during the outage says which database it cannot
// reach, without its password.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// A server of its own: the shared one serves other tests.
	srv, err := pgserver.Start(ctx)
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	plainURL, err := srv.NewDatabase(ctx, "outage")
	if err != nil {
		t.Fatal(err)
	}
	// The server trusts local connections and ignores the password: it is
	// there to check that no message shows it.
	const secret = "s3cret-pw"
	u, err := url.Parse(plainURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), secret)
	dbURL, redacted := u.String(), u.Redacted()

	dir := t.TempDir()
	ledger, ended := filepath.Join(dir, "ledger"), filepath.Join(dir, "ended")
	e := newEnv(t, map[string]string{"outage.yaml": outageDag(ledger, ended)})
	updraft := func(args ...string) (string, string, int) {
		t.Helper()
		return e.run(append([]string{"--database-url", dbURL}, args...)...)
	}

	logPath := filepath.Join(dir, "scheduler.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	sched := exec.Command(e.bin, e.args("--database-url", dbURL, "scheduler")...)
	sched.Env = append(os.Environ(), "UPDRAFT_PARALLELISM=4")
	sched.Stdout, sched.Stderr = logf, logf
	if err := sched.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = sched.Wait()
		close(exited)
	}()
	readLog := func() string {
		b, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Cleanup(func() {
		_ = sched.Process.Signal(syscall.SIGTERM)
		<-exited
		if t.Failed() {
			log := readLog()
			if len(log) > 12000 {
				log = log[len(log)-12000:]
			}
			t.Logf("tail of the scheduler's log:\n%s", log)
		}
	})
	alive := func(when string) {
		t.Helper()
		select {
		case <-exited:
			t.Fatalf("the scheduler exited %s: %v", when, waitErr)
		default:
		}
	}
	// waitFor polls until cond holds, the scheduler alive; the bound is
	// generous: it waits for an outcome on a busy machine.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for !cond() {
			alive("waiting for " + what)
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	waitFor("the scheduler to start", func() bool { return strings.Contains(readLog(), `msg="scheduler started"`) })
	if _, errOut, code := updraft("dags", "trigger", "outage", "--run-id", "r1"); code != 0 {
		t.Fatalf("trigger: exit %d: %s", code, errOut)
	}

	// The crash comes while some tries are done and others at work.
	var atWork []string
	waitFor("tries done and tries at work", func() bool {
		done := readLines(t, ended)
		atWork = minus(readLines(t, ledger), done)
		return len(done) >= 6 && len(atWork) >= 3
	})
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	// A try that ends from now on ends in the outage: the scheduler
	// cannot record it before the database is back.
	killedAt := time.Now()
	endedBefore := readLines(t, ended)
	t.Logf("database killed with %d tries at work: %v", len(atWork), atWork)

	// Down until the scheduler failed several passes and the tries at work
	// ended, their events held by the scheduler.
	var endedInOutage []string
	waitFor("failed passes and the tries at work to end", func() bool {
		done := readLines(t, ended)
		endedInOutage = minus(done, endedBefore)
		ls := unreachableLines(t, readLog())
		return len(minus(readLines(t, ledger), done)) == 0 && len(ls) >= 5 && ls[len(ls)-1].pending >= len(endedInOutage)
	})
	if len(endedInOutage) == 0 {
		t.Fatal("no try ended during the outage: all ended while the database was being killed")
	}

	// A command run now fails, naming the database without its password.
	_, errOut, code := updraft("dags", "list")
	if code == 0 || !strings.Contains(errOut, "database "+redacted+" cannot be reached") {
		t.Errorf("dags list during the outage: exit %d, want an error that %s cannot be reached:\n%s", code, redacted, errOut)
	}
	if strings.Contains(errOut, secret) {
		t.Errorf("dags list during the outage shows the password:\n%s", errOut)
	}
	t.Logf("dags list during the outage: exit %d: %s", code, strings.TrimSpace(errOut))

	alive("during the outage")
	restartAt := time.Now()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("database restarted after %s down; %d tries ended meanwhile: %v",
		restartAt.Sub(killedAt).Round(time.Millisecond), len(endedInOutage), endedInOutage)

	st, err := postgres.OpenNoMigrate(ctx, plainURL, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The heartbeat failed in the outage (it beats every 2s) and comes back.
	waitFor("the heartbeat to be recorded again", func() bool {
		return strings.Contains(readLog(), `msg="scheduler heartbeat recorded again"`)
	})
	waitFor("the run to finish", func() bool {
		r, err := st.DagRunGet(ctx, "outage", "r1")
		if err != nil {
			t.Fatal(err)
		}
		return r.State.Finished()
	})
	alive("after the run")

	r, err := st.DagRunGet(ctx, "outage", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != dag.DagRunSuccess {
		t.Errorf("run ended %s", r.State)
	}
	tis, err := st.TaskInstanceListByRun(ctx, r.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tis) != 30 {
		t.Errorf("%d task instances, want 30", len(tis))
	}
	duringOutage := map[string]bool{}
	for _, k := range endedInOutage {
		duringOutage[k] = true
	}
	for _, ti := range tis {
		if ti.State != dag.TaskSuccess || ti.TryNumber != 1 {
			t.Errorf("%s ended %s at try %d (%s), want success at try 1", ti.TaskID, ti.State, ti.TryNumber, ti.Reason)
		}
		tries, err := st.TaskInstanceTries(ctx, r.ID, ti.TaskID, -1)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range tries {
			if tr.TryNumber != 1 || tr.State != dag.TaskSuccess {
				t.Errorf("%s has a try %d that ended %s: %s", ti.TaskID, tr.TryNumber, tr.State, tr.Reason)
			}
		}
		// A try that ended in the outage is recorded with its own end,
		// kept by the scheduler until the database came back.
		if duringOutage["r1/"+ti.TaskID+"/1"] {
			if ti.EndDate == nil || !ti.EndDate.After(killedAt) || !ti.EndDate.Before(restartAt) {
				t.Errorf("%s ended during the outage (%s to %s) but its end date is %v",
					ti.TaskID, killedAt.Format(time.RFC3339Nano), restartAt.Format(time.RFC3339Nano), ti.EndDate)
			}
		}
	}

	// Each try ran once: every key is in the ledger once, at try 1.
	keys := readLines(t, ledger)
	seen := map[string]int{}
	for _, k := range keys {
		seen[k]++
		if !strings.HasSuffix(k, "/1") {
			t.Errorf("ledger key %s: a try after the first ran", k)
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("key %s is in the ledger %d times: a try ran twice", k, n)
		}
	}
	if len(seen) != 30 {
		t.Errorf("%d distinct ledger keys, want 30", len(seen))
	}

	// The log says what happened: the database unreachable, retried with
	// a growing wait, the events kept, and the loop passing again. Every
	// failed pass was an outage, not some other error.
	log := readLog()
	ls := unreachableLines(t, log)
	var waits []string
	maxPending := 0
	for i, l := range ls {
		waits = append(waits, l.retryIn.String())
		if i > 0 && l.retryIn < ls[i-1].retryIn {
			t.Errorf("retry_in went down: %v", waits)
		}
		maxPending = max(maxPending, l.pending)
	}
	if len(ls) < 5 || ls[len(ls)-1].retryIn <= ls[0].retryIn {
		t.Errorf("retry_in of the failed passes: %v, want at least 5, growing", waits)
	}
	if maxPending < len(endedInOutage) {
		t.Errorf("at most %d pending events logged, want at least the %d tries that ended in the outage", maxPending, len(endedInOutage))
	}
	if !strings.Contains(log, `msg="scheduler pass succeeded again"`) {
		t.Error(`the scheduler's log lacks "scheduler pass succeeded again"`)
	}
	for _, bad := range []string{`msg="scheduler pass failed; retrying"`, `msg="task lost with its scheduler"`, secret} {
		if strings.Contains(log, bad) {
			t.Errorf("the scheduler's log has %s", bad)
		}
	}
	t.Logf("failed passes waited %v; up to %d events pending", waits, maxPending)

	// The scheduler still runs, and stops cleanly when asked.
	if err := sched.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("the scheduler stopped with %v", waitErr)
		}
	case <-time.After(60 * time.Second):
		t.Error("the scheduler did not stop within 60s of SIGTERM")
	}
}
