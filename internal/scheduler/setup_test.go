package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/executor/local"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/source"
	"github.com/updraft-dev/updraft/internal/spec"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/sqlite"
)

// bundle is a scheduler's surroundings in a test: a real SQLite store, a
// real local executor and a DAGs folder.
type bundle struct {
	dir      string
	st       store.Store
	versions *Versions
	ex       *local.Executor
	logs     logstore.FileStore

	mu          sync.Mutex
	transitions []Transition
}

func setup(t *testing.T, dags map[string]string) *bundle {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "updraft.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dagDir := filepath.Join(dir, "dags")
	if err := os.MkdirAll(dagDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range dags {
		if err := os.WriteFile(filepath.Join(dagDir, name+".yaml"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := &source.Dir{Path: dagDir, Store: st, Parse: spec.Parse, Logger: slog.New(slog.DiscardHandler), Now: time.Now}
	res, err := src.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors > 0 {
		ies, _ := st.ImportErrorList(ctx)
		for _, ie := range ies {
			t.Errorf("import error: %s", ie.Message)
		}
		t.FailNow()
	}
	logs := logstore.FileStore{Dir: filepath.Join(dir, "logs")}
	ex := local.New(local.Config{Parallelism: 8, Logs: logs, TempDir: dir, KillGrace: time.Second,
		Env: os.Environ(), Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(ex.Stop)
	return &bundle{dir: dir, st: st, versions: NewVersions(st, spec.Parse), ex: ex, logs: logs}
}

func (b *bundle) scheduler(t *testing.T, cfg Config) *Scheduler {
	t.Helper()
	cfg.Store, cfg.Versions = b.st, b.versions
	if cfg.Executors == nil {
		cfg.Executors = map[string]executor.Executor{"local": b.ex}
	}
	cfg.Tick = 50 * time.Millisecond
	next := cfg.Observe
	cfg.Observe = func(tr Transition) {
		b.mu.Lock()
		b.transitions = append(b.transitions, tr)
		b.mu.Unlock()
		if next != nil {
			next(tr)
		}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// trigger creates a manual run.
func (b *bundle) trigger(t *testing.T, dagID string, conf map[string]any) *store.DagRun {
	t.Helper()
	r, err := Trigger(context.Background(), b.st, b.versions, time.Now(), &TriggerParams{DagID: dagID, Conf: conf})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// runUntil runs a scheduler until done says so, or fails the test after a
// generous bound: a wait for an outcome, not a timing assertion.
func (b *bundle) runUntil(t *testing.T, s *Scheduler, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			cancel()
			if err := <-errc; err != nil {
				t.Log(err)
			}
			t.Fatalf("timed out waiting; transitions: %v", b.transitions)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// runToEnd runs the scheduler on one run until it finishes and returns its
// final state and task instance states.
func (b *bundle) runToEnd(t *testing.T, r *store.DagRun) (dag.DagRunState, map[string]*store.TaskInstance) {
	t.Helper()
	s := b.scheduler(t, Config{OnlyRun: r.ID})
	b.runUntil(t, s, func() bool {
		cur, err := b.st.DagRunGetByID(context.Background(), r.ID)
		return err == nil && cur.State.Finished()
	})
	return b.states(t, r)
}

func (b *bundle) states(t *testing.T, r *store.DagRun) (dag.DagRunState, map[string]*store.TaskInstance) {
	t.Helper()
	ctx := context.Background()
	cur, err := b.st.DagRunGetByID(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	tis, err := b.st.TaskInstanceListByRun(ctx, r.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*store.TaskInstance{}
	for _, ti := range tis {
		out[ti.TaskID] = ti
	}
	return cur.State, out
}

func (b *bundle) log(t *testing.T, r *store.DagRun, taskID string, try int) string {
	t.Helper()
	out, _, err := b.logs.Read(logstore.Key{DagID: r.DagID, RunID: r.RunID, TaskID: taskID, MapIndex: -1, TryNumber: try}, 0, 0)
	if err != nil {
		t.Fatalf("log of %s try %d: %v", taskID, try, err)
	}
	return string(out)
}

func wantStates(t *testing.T, got map[string]*store.TaskInstance, want map[string]dag.TaskState) {
	t.Helper()
	for id, st := range want {
		ti := got[id]
		if ti == nil {
			t.Errorf("task %s: no task instance", id)
			continue
		}
		if ti.State != st {
			t.Errorf("task %s: state %s, want %s (reason %q)", id, ti.State, st, ti.Reason)
		}
	}
}

// describe lists task states and reasons for a failure message.
func describe(tis map[string]*store.TaskInstance) string {
	var parts []string
	for id, ti := range tis {
		parts = append(parts, fmt.Sprintf("%s=%s(%s)", id, ti.State, ti.Reason))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
