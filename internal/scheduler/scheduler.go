// Package scheduler turns DAGs into runs and task instances into executor
// work. It is level-triggered: each pass reads the state it needs from the
// store, so a restart or a lost wake-up loses nothing. It is event-driven on
// top: an executor event wakes the loop at once, so the next task starts in
// milliseconds, not at the next tick.
package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/template"
)

// Config wires a scheduler.
type Config struct {
	Store store.Store
	// Executors by name; DefaultExecutor runs tasks that name none.
	Executors       map[string]executor.Executor
	DefaultExecutor string
	Versions        *Versions
	Renderer        *template.Renderer
	Logger          *slog.Logger
	// Now is the clock; tests move it.
	Now func() time.Time
	// Hostname is recorded on the task instances this scheduler runs.
	Hostname string
	// Tick is the period of the full, level-triggered pass: new scheduled
	// runs, retries that came due, timeouts, changes made by other
	// processes. Default 1s.
	Tick time.Duration
	// OnlyRun restricts the scheduler to one DAG run (updraft dags test):
	// no scheduled runs are created and no other run is touched.
	OnlyRun int64
	// Observe, when set, is called after each committed task instance or
	// run state change, from the scheduler's goroutine.
	Observe func(Transition)
	// HeartbeatInterval is how often the scheduler records that it lives.
	// Default 2s.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long a scheduler may miss heartbeats before
	// another declares it dead and settles its tries by their retry
	// policy. Default 30s.
	HeartbeatTimeout time.Duration
	// Mask hides secrets in the rendered command and environment the store
	// keeps of each try, as Airflow redacts its rendered fields; the store
	// wrapper teaches it the secrets templates read. None when nil.
	Mask func(string) string
}

// Transition is a committed state change, for live views and benchmarks.
type Transition struct {
	Time    time.Time
	DagID   string
	RunID   string
	RunPK   int64
	TaskID  string // empty for a run's own state
	Try     int
	State   string
	Reason  string
	Started bool // a try's process started (State is running)
}

// Scheduler is one scheduler loop. All decisions happen on its goroutine.
type Scheduler struct {
	cfg    Config
	st     store.Store
	log    *slog.Logger
	now    func() time.Time
	events chan executor.Event
	wake   chan struct{}
	// pending holds events the scheduler made itself (an executor refused a
	// try); the next pass records them with the executors' events.
	pending []executor.Event
	// retryAt is the earliest known time a retry comes due, so the loop
	// wakes for it without waiting for the tick.
	retryAt time.Time
	// jobID is this scheduler's row in the store's scheduler jobs: the
	// tries it queues carry it, so others know whom they belong to.
	jobID int64
	// inflight are the tries this scheduler's executors run, by executor
	// name, from submit to their end.
	inflight map[executor.TryKey]string
	// maxActiveTasks is each DAG's max_active_tasks as last seen in a
	// dispatch: DAGs already at it are left out of the next dispatch's
	// candidates instead of being locked and passed over.
	maxActiveTasks map[string]int
}

// New checks the config and returns a scheduler.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Store == nil || cfg.Versions == nil || len(cfg.Executors) == 0 {
		return nil, errors.New("scheduler: store, versions and an executor are required")
	}
	cfg.DefaultExecutor = cmp.Or(cfg.DefaultExecutor, "local")
	if cfg.Executors[cfg.DefaultExecutor] == nil {
		return nil, fmt.Errorf("scheduler: default executor %q is not configured", cfg.DefaultExecutor)
	}
	cfg.Tick = cmp.Or(cfg.Tick, time.Second)
	cfg.HeartbeatInterval = cmp.Or(cfg.HeartbeatInterval, 2*time.Second)
	cfg.HeartbeatTimeout = cmp.Or(cfg.HeartbeatTimeout, 30*time.Second)
	if cfg.HeartbeatTimeout <= cfg.HeartbeatInterval {
		return nil, fmt.Errorf("scheduler: heartbeat timeout %s must be longer than the heartbeat interval %s",
			cfg.HeartbeatTimeout, cfg.HeartbeatInterval)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Mask == nil {
		cfg.Mask = func(s string) string { return s }
	}
	if cfg.Renderer == nil {
		cfg.Renderer = template.NewRenderer()
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	return &Scheduler{
		cfg: cfg, st: cfg.Store, log: cfg.Logger, now: cfg.Now,
		events:         make(chan executor.Event, 4096),
		wake:           make(chan struct{}, 1),
		inflight:       map[executor.TryKey]string{},
		maxActiveTasks: map[string]int{},
	}, nil
}

// Wake asks for a pass now: a run was triggered or cleared in this process.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run registers the scheduler as a job, then loops until ctx is done; each
// full pass settles what dead schedulers left running. It returns nil on cancel, and
// ErrDeclaredDead when other schedulers took over its tries.
func (s *Scheduler) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	for _, ex := range s.cfg.Executors {
		go s.forward(ctx, ex)
	}
	if err := s.startJob(ctx); err != nil {
		return ignoreCancel(ctx, err)
	}
	defer s.endJob(ctx)
	go s.heartbeat(ctx, func() { cancel(ErrDeclaredDead) })
	// The first pass is a full one: it settles what stopped schedulers left
	// before it dispatches anything.
	ticker := time.NewTicker(s.cfg.Tick)
	defer ticker.Stop()
	full := true
	var batch []executor.Event
	backoff := time.Duration(0)
	for {
		if err := s.pass(ctx, batch, full); err != nil {
			if ctx.Err() != nil {
				return ignoreCancel(ctx, nil)
			}
			// A failed pass changes nothing half-way (every write is a
			// transaction). The events stay in the batch: they exist only
			// here until recorded, and recording one twice changes nothing,
			// since each change is guarded by state and try number.
			backoff = min(max(2*backoff, 200*time.Millisecond), 30*time.Second)
			if errors.Is(err, store.ErrUnavailable) {
				s.log.Error("database unreachable; retrying", "retry_in", backoff, "pending_events", len(batch), "err", err)
			} else {
				s.log.Error("scheduler pass failed; retrying", "retry_in", backoff, "err", err)
			}
			full = true
			if !sleep(ctx, backoff) {
				return ignoreCancel(ctx, nil)
			}
		} else {
			if backoff > 0 {
				s.log.Info("scheduler pass succeeded again")
			}
			backoff = 0
			full = false
			batch = batch[:0]
		}
		var retry <-chan time.Time
		var retryTimer *time.Timer
		if !s.retryAt.IsZero() {
			retryTimer = time.NewTimer(max(0, s.retryAt.Sub(s.now())))
			retry = retryTimer.C
		}
		select {
		case <-ctx.Done():
			return ignoreCancel(ctx, nil)
		case ev := <-s.events:
			batch = append(batch, ev)
		case <-s.wake:
			full = true
		case <-ticker.C:
			full = true
		case <-retry:
			s.retryAt = time.Time{}
			full = true
		}
		if retryTimer != nil {
			retryTimer.Stop()
		}
		batch = s.drain(batch)
	}
}

// ignoreCancel returns err, or the reason ctx was cancelled when that is not
// the caller's own cancel (ErrDeclaredDead), or nil on a plain stop.
func ignoreCancel(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// drain takes the events already waiting, so one pass and one transaction
// serve many of them.
func (s *Scheduler) drain(batch []executor.Event) []executor.Event {
	batch = append(batch, s.pending...)
	s.pending = s.pending[:0]
	for len(batch) < 2048 {
		select {
		case ev := <-s.events:
			batch = append(batch, ev)
		default:
			return batch
		}
	}
	return batch
}

func (s *Scheduler) forward(ctx context.Context, ex executor.Executor) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-ex.Events():
			if !ok {
				return
			}
			select {
			case s.events <- ev:
			case <-ctx.Done():
				return
			}
		}
	}
}

// pass is one turn of the loop: record what executors reported, decide what
// runs next, start it.
func (s *Scheduler) pass(ctx context.Context, events []executor.Event, full bool) error {
	dirty, err := s.applyEvents(ctx, events)
	if err != nil {
		return fmt.Errorf("record executor events: %w", err)
	}
	if full {
		if err := s.fullPass(ctx, dirty); err != nil {
			return err
		}
	}
	for runPK, finished := range dirty {
		if err := s.reconcileRun(ctx, runPK, finished); err != nil {
			return fmt.Errorf("reconcile run %d: %w", runPK, err)
		}
	}
	return s.dispatch(ctx)
}

// fullPass does the periodic work and marks every running run for a full
// reconcile.
func (s *Scheduler) fullPass(ctx context.Context, dirty map[int64][]string) error {
	if s.cfg.OnlyRun == 0 {
		if err := s.createScheduledRuns(ctx); err != nil {
			return fmt.Errorf("create scheduled runs: %w", err)
		}
	}
	if err := s.reapJobs(ctx); err != nil {
		return fmt.Errorf("find stopped schedulers: %w", err)
	}
	if err := s.recover(ctx); err != nil {
		return fmt.Errorf("settle tries of stopped schedulers: %w", err)
	}
	if err := s.requeueUnsubmitted(ctx); err != nil {
		return fmt.Errorf("requeue tries never submitted: %w", err)
	}
	if err := s.cancelStale(ctx); err != nil {
		return fmt.Errorf("cancel tries that moved on: %w", err)
	}
	if err := s.startQueuedRuns(ctx); err != nil {
		return fmt.Errorf("start queued runs: %w", err)
	}
	if err := s.retryDue(ctx); err != nil {
		return fmt.Errorf("retries: %w", err)
	}
	runs, err := s.st.DagRunList(ctx, &store.DagRunListParams{States: runningStates})
	if err != nil {
		return err
	}
	for _, r := range runs {
		if s.cfg.OnlyRun != 0 && r.ID != s.cfg.OnlyRun {
			continue
		}
		if timedOut, err := s.checkRunTimeout(ctx, r); err != nil || timedOut {
			if err != nil {
				return err
			}
			continue
		}
		dirty[r.ID] = nil // nil: reconcile every task
	}
	return nil
}

func (s *Scheduler) observe(t Transition) {
	if s.cfg.Observe != nil {
		s.cfg.Observe(t)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
