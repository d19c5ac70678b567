package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/postgres"
	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
)

// ledgerDag has 200 hourly runs to catch up, of 20 tasks in four layers of
// five, each layer after the whole layer before. Each try appends its key
// (run, task, try) to the ledger first, then works a little, so a scheduler
// killed mid-way leaves tries that did write.
func ledgerDag(ledger string) string {
	var b strings.Builder
	b.WriteString(`dag_id: ledger
schedule: "@hourly"
start_date: 2026-01-01T00:00:00Z
end_date: 2026-01-09T07:00:00Z
catchup: true
max_active_runs: 40
default_args:
  retries: 6
  retry_delay: 0s
  env: {LEDGER: "` + ledger + `"}
  command: 'echo "$UPDRAFT_RUN_ID/$UPDRAFT_TASK_ID/$UPDRAFT_TRY_NUMBER" >> "$LEDGER"; sleep 0.2'
tasks:
`)
	for layer := range 4 {
		for i := range 5 {
			fmt.Fprintf(&b, "  l%d_t%d:", layer, i)
			if layer > 0 {
				b.WriteString(" {depends_on: [")
				for j := range 5 {
					if j > 0 {
						b.WriteString(", ")
					}
					fmt.Fprintf(&b, "l%d_t%d", layer-1, j)
				}
				b.WriteString("]}")
			} else {
				b.WriteString(" {}")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Three schedulers share one PostgreSQL database and work through 200 runs
// of 20 tasks while one of them, chosen at random, is killed with SIGKILL
// and restarted, five times. Every run and every task must succeed, and no
// try may run twice: each (run, task, try) key is in the ledger once.
func TestSchedulersShareWorkAndSurviveKills(t *testing.T) {
	t.Parallel()
	url := pgserver.ForTest(t)
	bin := binary(t)
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger")
	dags := filepath.Join(dir, "dags")
	if err := os.MkdirAll(dags, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dags, "ledger.yaml"), []byte(ledgerDag(ledger)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"UPDRAFT_DATABASE_URL="+url,
		"UPDRAFT_DAGS_FOLDER="+dags,
		"UPDRAFT_PARALLELISM=8",
		"UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION=false",
		"UPDRAFT_SCHEDULER_HEARTBEAT_INTERVAL=250ms",
		"UPDRAFT_SCHEDULER_HEARTBEAT_TIMEOUT=3s",
		"UPDRAFT_DATABASE_MAX_CONNS=6",
	)
	start := func(i, gen int) *exec.Cmd {
		cmd := exec.Command(bin, "scheduler", "--data-dir", filepath.Join(dir, "data"+strconv.Itoa(i)))
		cmd.Env = env
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("scheduler%d.%d.log", i, gen)))
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	scheds := make([]*exec.Cmd, 3)
	for i := range scheds {
		scheds[i] = start(i, 0)
	}
	t.Cleanup(func() {
		for _, c := range scheds {
			_ = c.Process.Signal(syscall.SIGTERM)
			_, _ = c.Process.Wait()
		}
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(dir, "scheduler*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				if len(b) > 4000 {
					b = b[len(b)-4000:]
				}
				t.Logf("tail of %s:\n%s", filepath.Base(l), b)
			}
		}
	})

	ctx := context.Background()
	st, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	const runs, tasks = 200, 20
	deadline := time.Now().Add(6 * time.Minute)
	waitLedger := func(n int) {
		for len(readLines(t, ledger)) < n {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %d ledger lines", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Kills spread over the work: after every 600 tries or so.
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7)) //nolint:gosec // a test's choice of victim
	for k := range 5 {
		waitLedger((k + 1) * 600)
		i := rng.IntN(len(scheds))
		if err := scheds[i].Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_, _ = scheds[i].Process.Wait()
		t.Logf("kill %d: scheduler %d at %d ledger lines", k+1, i, len(readLines(t, ledger)))
		time.Sleep(200 * time.Millisecond)
		scheds[i] = start(i, k+1)
	}

	var all []*store.DagRun
	for {
		all, err = st.DagRunList(ctx, &store.DagRunListParams{DagID: "ledger"})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, r := range all {
			if r.State.Finished() {
				done++
			}
		}
		if len(all) == runs && done == runs {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %d runs, %d finished", len(all), done)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// Every run and every task succeeded.
	jobs := map[int64]int{}
	lostTries := 0
	final := map[string]bool{}
	for _, r := range all {
		if r.State != dag.DagRunSuccess {
			t.Errorf("run %s ended %s", r.RunID, r.State)
		}
		tis, err := st.TaskInstanceListByRun(ctx, r.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(tis) != tasks {
			t.Errorf("run %s has %d task instances, want %d", r.RunID, len(tis), tasks)
		}
		for _, ti := range tis {
			if ti.State != dag.TaskSuccess {
				t.Errorf("%s/%s ended %s (%s)", r.RunID, ti.TaskID, ti.State, ti.Reason)
			}
			jobs[ti.QueuedByJob]++
			final[fmt.Sprintf("%s/%s/%d", r.RunID, ti.TaskID, ti.TryNumber)] = true
			if ti.TryNumber > 1 {
				tries, err := st.TaskInstanceTries(ctx, r.ID, ti.TaskID, -1)
				if err != nil {
					t.Fatal(err)
				}
				for _, tr := range tries {
					if strings.Contains(tr.Reason, "scheduler that ran this try stopped") {
						lostTries++
					}
				}
			}
		}
	}

	// No try ran twice; every final try is in the ledger.
	seen := map[string]int{}
	for _, key := range readLines(t, ledger) {
		seen[key]++
	}
	for key, n := range seen {
		if n > 1 {
			t.Errorf("key %s is in the ledger %d times: a try ran twice", key, n)
		}
	}
	for key := range final {
		if seen[key] == 0 {
			t.Errorf("the final try %s is not in the ledger", key)
		}
	}
	// The kills hit tries in flight, and the work spread over the
	// schedulers (3 at start, one more per restart).
	if lostTries == 0 {
		t.Error("no try was lost with a killed scheduler: the kills hit no work in flight")
	}
	if len(jobs) < 3 {
		t.Errorf("final tries were queued by %d scheduler jobs, want at least 3: %v", len(jobs), jobs)
	}
	t.Logf("%d runs, %d tasks, %d ledger keys, %d tries lost with killed schedulers and retried, final tries per scheduler job %v",
		len(all), len(all)*tasks, len(seen), lostTries, jobs)
}
