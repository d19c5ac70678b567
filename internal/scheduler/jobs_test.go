package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// runningTry puts a task instance in running as a scheduler job's executor
// left it, with a pid that belongs to no process.
func runningTry(t *testing.T, b *bundle, r *store.DagRun, taskID string, job int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := b.st.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: r.ID, State: dag.DagRunRunning, StartDate: ptr(time.Now())}); err != nil {
		t.Fatal(err)
	}
	host, pid := "elsewhere", 1<<22+17
	if _, err := b.st.TaskInstanceApply(ctx, []*store.TaskInstanceChange{{RunPK: r.ID, TaskID: taskID, MapIndex: -1,
		State: dag.TaskRunning, TryDelta: 1, Hostname: &host, PID: &pid, QueuedByJob: &job, StartDate: ptr(time.Now())}}); err != nil {
		t.Fatal(err)
	}
}

// A scheduler on another host that stops heartbeating is declared dead
// after the timeout, not before; then its running try counts as lost and
// is retried by its policy.
func TestStaleSchedulerDeclaredDeadAfterTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"d": "dag_id: d\ntasks: {a: {retries: 1, retry_delay: 0s, command: [echo, ok]}}\n"})
	ctx := context.Background()
	other, err := b.st.SchedulerJobStart(ctx, &store.SchedulerJobStartParams{Hostname: "elsewhere", PID: 42, At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	r := b.trigger(t, "d", nil)
	runningTry(t, b, r, "a", other.ID)

	timeout := 600 * time.Millisecond
	s := b.scheduler(t, Config{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTimeout: timeout})
	started := time.Now()
	b.runUntil(t, s, func() bool {
		cur, err := b.st.DagRunGetByID(ctx, r.ID)
		return err == nil && cur.State.Finished()
	})
	state, tis := b.states(t, r)
	if state != dag.DagRunSuccess || tis["a"].TryNumber != 2 {
		t.Fatalf("run %s, %s", state, describe(tis))
	}
	jobs, err := b.st.SchedulerJobList(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.ID == other.ID {
			if j.State != store.JobFailed || j.EndDate == nil {
				t.Fatalf("the silent scheduler is %s, want failed", j.State)
			}
			// Declared dead only once its heartbeat was older than the timeout.
			if j.EndDate.Sub(j.LatestHeartbeat) < timeout {
				t.Errorf("declared dead %s after its last heartbeat, before the %s timeout", j.EndDate.Sub(j.LatestHeartbeat), timeout)
			}
		}
	}
	if time.Since(started) < timeout {
		t.Errorf("the run ended before the dead scheduler's timeout")
	}
}

// A scheduler on this host whose process is gone is declared dead at once,
// without waiting for the heartbeat timeout.
func TestGoneLocalSchedulerDeclaredDeadAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"d": "dag_id: d\ntasks: {a: {retries: 1, retry_delay: 0s, command: [echo, ok]}}\n"})
	ctx := context.Background()
	s := b.scheduler(t, Config{HeartbeatTimeout: time.Hour})
	gone, err := b.st.SchedulerJobStart(ctx, &store.SchedulerJobStartParams{Hostname: s.cfg.Hostname, PID: 1<<22 + 19, At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	r := b.trigger(t, "d", nil)
	runningTry(t, b, r, "a", gone.ID)
	b.runUntil(t, s, func() bool {
		cur, err := b.st.DagRunGetByID(ctx, r.ID)
		return err == nil && cur.State.Finished()
	})
	state, tis := b.states(t, r)
	if state != dag.DagRunSuccess || tis["a"].TryNumber != 2 {
		t.Fatalf("run %s, %s", state, describe(tis))
	}
}

// A live scheduler's tries are left alone: a second scheduler neither
// fails them nor runs them.
func TestLiveSchedulerTriesLeftAlone(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"d": "dag_id: d\ntasks: {a: {retries: 1, retry_delay: 0s, command: [echo, ok]}}\n"})
	ctx := context.Background()
	live, err := b.st.SchedulerJobStart(ctx, &store.SchedulerJobStartParams{Hostname: "elsewhere", PID: 42, At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	r := b.trigger(t, "d", nil)
	runningTry(t, b, r, "a", live.ID)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				_ = b.st.SchedulerJobHeartbeat(ctx, live.ID, time.Now())
			}
		}
	}()
	defer close(stop)
	s := b.scheduler(t, Config{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTimeout: 300 * time.Millisecond})
	passes := 0
	b.runUntil(t, s, func() bool { passes++; return passes > 50 }) // about a second
	_, tis := b.states(t, r)
	if tis["a"].State != dag.TaskRunning || tis["a"].TryNumber != 1 || tis["a"].QueuedByJob != live.ID {
		t.Fatalf("the live scheduler's try was touched: %s", describe(tis))
	}
}

// A scheduler that another declared dead stops with ErrDeclaredDead, and
// its job stays failed.
func TestDeclaredDeadSchedulerStops(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"d": "dag_id: d\ntasks: {a: {command: [echo, ok]}}\n"})
	ctx := context.Background()
	s := b.scheduler(t, Config{HeartbeatInterval: 20 * time.Millisecond, HeartbeatTimeout: time.Hour})
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	var job *store.SchedulerJob
	for deadline := time.Now().Add(10 * time.Second); job == nil; time.Sleep(10 * time.Millisecond) {
		jobs, err := b.st.SchedulerJobList(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 1 {
			job = jobs[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduler never registered")
		}
	}
	if ok, err := b.st.SchedulerJobFail(ctx, job.ID, time.Now()); err != nil || !ok {
		t.Fatalf("fail job: %v %v", ok, err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrDeclaredDead) {
			t.Fatalf("Run returned %v, want ErrDeclaredDead", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the scheduler declared dead kept running")
	}
	jobs, err := b.st.SchedulerJobList(ctx, false)
	if err != nil || len(jobs) != 1 || jobs[0].State != store.JobFailed {
		t.Fatalf("jobs after the stop: %v %v", jobs, err)
	}
}

// A scheduler that stops cleanly records success.
func TestSchedulerJobEndsCleanly(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"d": "dag_id: d\ntasks: {a: {command: [echo, ok]}}\n"})
	s := b.scheduler(t, Config{})
	passes := 0
	b.runUntil(t, s, func() bool { passes++; return passes > 5 })
	jobs, err := b.st.SchedulerJobList(context.Background(), false)
	if err != nil || len(jobs) != 1 || jobs[0].State != store.JobSuccess || jobs[0].EndDate == nil {
		t.Fatalf("jobs after a clean stop: %+v %v", jobs, err)
	}
}

// lostReply is a store whose first dispatch commits but reports the
// connection lost, as when the database's answer to the commit never
// arrives: a fault that cannot be caused on purpose with a real server.
type lostReply struct {
	store.Store
	mu   sync.Mutex
	lost bool
}

func (l *lostReply) TaskInstanceDispatch(ctx context.Context, decide func(context.Context, store.DispatchTx) ([]*store.TaskInstanceChange, error)) ([]bool, error) {
	applied, err := l.Store.TaskInstanceDispatch(ctx, decide)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil && !l.lost && len(applied) > 0 {
		l.lost = true
		return nil, fmt.Errorf("commit: %w: connection reset by peer", store.ErrUnavailable)
	}
	return applied, err
}

// Tries queued by a dispatch whose answer was lost are scheduled again
// under the same try number and run once.
func TestDispatchWithLostReplyRequeues(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"d": "dag_id: d\ntasks:\n  a: {command: [echo, a]}\n  b: {command: [echo, b]}\n"})
	r := b.trigger(t, "d", nil)
	flaky := &lostReply{Store: b.st}
	s := b.scheduler(t, Config{OnlyRun: r.ID, Tick: 50 * time.Millisecond})
	s.st = flaky
	b.runUntil(t, s, func() bool {
		cur, err := b.st.DagRunGetByID(context.Background(), r.ID)
		return err == nil && cur.State.Finished()
	})
	state, tis := b.states(t, r)
	if state != dag.DagRunSuccess {
		t.Fatalf("run ended %s: %s", state, describe(tis))
	}
	if !flaky.lost {
		t.Fatal("no dispatch lost its reply")
	}
	for id, ti := range tis {
		if ti.TryNumber != 1 {
			t.Errorf("task %s ran as try %d, want 1", id, ti.TryNumber)
		}
	}
}
