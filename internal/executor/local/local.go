// Package local is the local executor: every task try is a process on this
// machine, in its own process group, with its stdout and stderr written
// straight into the try's log file.
//
// Linux only: it relies on process groups, PR_SET_PDEATHSIG and /proc.
//
// A kill -9 of the scheduler takes each try's leader process with it
// (Pdeathsig SIGKILL), but not the processes the leader started: those are
// re-parented and keep running. That is why Recover, on the next start,
// kills whole process groups. Processes that leave the group (setsid,
// daemons) escape both.
package local

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/logstore"
)

// Config configures an Executor. The zero value of each field selects its
// default.
type Config struct {
	// Parallelism caps the number of tries running at once; default 32.
	Parallelism int
	// Logs is where each try's stdout and stderr go.
	Logs logstore.FileStore
	// TempDir holds the executor's private directory of XCom files;
	// default os.TempDir().
	TempDir string
	// KillGrace is how long a try has between SIGTERM and SIGKILL on
	// timeout, cancel and stop; default 10s.
	KillGrace time.Duration
	// MaxXComSize is the largest XCom file a try may return, in bytes;
	// default 1 MiB.
	MaxXComSize int
	// Env is the base environment of every task ("NAME=value"). nil means
	// os.Environ() at New; an empty non-nil slice means an empty environment.
	Env []string
	// Logger receives the executor's own diagnostics; default slog.Default().
	Logger *slog.Logger
	// Now is the clock for event times and log timestamps; default time.Now.
	Now func() time.Time
}

// Default values of Config.
const (
	DefaultParallelism = 32
	DefaultKillGrace   = 10 * time.Second
	DefaultMaxXComSize = executor.MaxXComBytes
)

// Errors Submit returns; the scheduler tests them with errors.Is.
var (
	// ErrStopped: Stop was called.
	ErrStopped = errors.New("local executor stopped")
	// ErrNoFreeSlot: Parallelism tries are already running.
	ErrNoFreeSlot = errors.New("local executor has no free slot")
	// ErrAlreadyRunning: a try with the same key is running.
	ErrAlreadyRunning = errors.New("try is already running")
)

// Executor runs each try as a local process. It is safe for concurrent use.
type Executor struct {
	cfg Config
	log *slog.Logger

	events chan executor.Event
	// stopping is closed when Stop begins, so that a sender facing a full
	// channel nobody reads any more gives up instead of blocking Stop.
	stopping chan struct{}
	// stopped is closed when Stop has finished, for a second Stop to wait on.
	stopped chan struct{}

	mu      sync.Mutex
	closed  bool
	running map[executor.TryKey]*try
	// owed is how many events the admitted tries may still send: two per
	// try until it sends them. Submit admits a try only while the channel
	// has room for all of them, so a send never waits for the reader, and a
	// scheduler that submits and reads events in one goroutine cannot
	// deadlock with its executor: it sees no free slot instead.
	owed int
	// senders counts everything that may still send on events: Submits past
	// their admission check and one waiter per started try. Stop closes
	// events only after it drops to zero.
	senders sync.WaitGroup

	// xcomDirOnce makes the private directory of XCom files, 0700 so no
	// other user can plant or read a try's return value.
	xcomDirOnce sync.Once
	xcomDirPath string
	xcomDirErr  error
	xcomSeq     atomic.Uint64

	paths pathCache
}

func (e *Executor) xcomDir() (string, error) {
	e.xcomDirOnce.Do(func() {
		e.xcomDirPath, e.xcomDirErr = os.MkdirTemp(e.cfg.TempDir, "updraft-xcom-")
	})
	return e.xcomDirPath, e.xcomDirErr
}

var _ executor.Executor = (*Executor)(nil)

// New returns an Executor ready for Submit.
func New(cfg Config) *Executor {
	if cfg.Parallelism <= 0 {
		cfg.Parallelism = DefaultParallelism
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = DefaultKillGrace
	}
	if cfg.MaxXComSize <= 0 {
		cfg.MaxXComSize = DefaultMaxXComSize
	}
	cfg.TempDir = cmp.Or(cfg.TempDir, os.TempDir())
	if cfg.Env == nil {
		cfg.Env = os.Environ()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Executor{
		cfg: cfg,
		log: cfg.Logger.With(slog.String("executor", "local")),
		// Room for the Started and Finished events of every slot several
		// times over, so that a scheduler busy writing to its store still
		// finds free slots when it comes back.
		events:   make(chan executor.Event, 4*cfg.Parallelism+1024),
		stopping: make(chan struct{}),
		stopped:  make(chan struct{}),
		running:  make(map[executor.TryKey]*try, cfg.Parallelism),
	}
}

// Events delivers Started and Finished events, in order for each try. A try
// that could not start (command not found) has a Finished event only. The
// channel is closed when Stop returns, after the last event.
func (e *Executor) Events() <-chan executor.Event { return e.events }

// FreeSlots is Parallelism minus the tries running or being started; less
// when unread events fill the Events channel so that it has no room for the
// Started and Finished events of more tries.
func (e *Executor) FreeSlots() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return 0
	}
	return max(0, min(e.cfg.Parallelism-len(e.running), e.eventRoomLocked()/2))
}

// eventRoomLocked is the room in the Events channel that no admitted try has
// a claim on.
func (e *Executor) eventRoomLocked() int {
	return cap(e.events) - len(e.events) - e.owed
}

// Submit admits a try and starts it on a goroutine of its own: creating the
// log file and forking cost a few hundred microseconds of file system work,
// which the scheduler's loop should not wait for, and several tries may
// start at once. It returns an error only when the try is not admitted:
// stopped, no free slot, a duplicate key. A try that cannot be prepared (its
// log file cannot be created) ends with a failed Finished event that says
// why.
func (e *Executor) Submit(ctx context.Context, req *executor.Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := &try{key: req.Key}
	e.mu.Lock()
	switch {
	case e.closed:
		e.mu.Unlock()
		return ErrStopped
	case e.running[req.Key] != nil:
		e.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrAlreadyRunning, req.Key)
	case len(e.running) >= e.cfg.Parallelism:
		e.mu.Unlock()
		return fmt.Errorf("%w: %d tries running", ErrNoFreeSlot, e.cfg.Parallelism)
	case e.eventRoomLocked() < 2:
		n := len(e.events)
		e.mu.Unlock()
		return fmt.Errorf("%w: %d events wait to be read", ErrNoFreeSlot, n)
	}
	e.running[req.Key] = t
	e.owed += 2
	e.senders.Add(1)
	e.mu.Unlock()

	go e.startTry(t, req)
	return nil
}

func (e *Executor) startTry(t *try, req *executor.Request) {
	err := e.start(t, req)
	if err == nil {
		return
	}
	e.log.Error("cannot prepare a try", slog.String("try", t.key.String()), slog.Any("error", err))
	e.release(t, 1)
	e.emit(executor.Event{Key: t.key, Kind: executor.Finished, Time: e.cfg.Now(), State: dag.TaskFailed,
		ExitCode: -1, Reason: "executor: " + err.Error()})
	e.senders.Done()
}

// Cancel stops a running try: SIGTERM to its process group, SIGKILL after
// KillGrace. Its Finished event says "cancelled". Unknown keys are ignored:
// the try may have finished already.
func (e *Executor) Cancel(key executor.TryKey) {
	e.mu.Lock()
	t := e.running[key]
	e.mu.Unlock()
	if t != nil {
		t.terminate("cancelled", e.cfg.KillGrace)
	}
}

// Stop terminates every running try (SIGTERM, SIGKILL after KillGrace),
// waits until each has been reaped and reported, and closes Events. Submit
// fails with ErrStopped from the moment Stop is called. Every event is in the
// channel when it closes; the reader may take them after Stop returns.
func (e *Executor) Stop() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		<-e.stopped
		return
	}
	e.closed = true
	tries := slices.Collect(maps.Values(e.running))
	e.mu.Unlock()

	close(e.stopping)
	for _, t := range tries {
		t.terminate("executor stopped", e.cfg.KillGrace)
	}
	e.senders.Wait()
	if e.xcomDirPath != "" {
		if err := os.RemoveAll(e.xcomDirPath); err != nil {
			e.log.Warn("removing the XCom directory failed", slog.Any("error", err))
		}
	}
	close(e.events)
	close(e.stopped)
}

// release frees the slot of a try, and the claim on the Events channel of
// the unsent events it will never send.
func (e *Executor) release(t *try, unsent int) {
	e.mu.Lock()
	if e.running[t.key] == t {
		delete(e.running, t.key)
	}
	e.owed -= unsent
	e.mu.Unlock()
}

// emit queues an event of an admitted try. Admission kept room for it, so
// the send does not wait; the fallback only guards Stop against a mistake in
// that accounting.
func (e *Executor) emit(ev executor.Event) {
	select {
	case e.events <- ev:
	default:
		select {
		case e.events <- ev:
		case <-e.stopping:
			e.log.Error("event dropped: executor stopping and the events channel is full",
				slog.String("try", ev.Key.String()), slog.String("kind", string(ev.Kind)))
		}
	}
	e.mu.Lock()
	e.owed--
	e.mu.Unlock()
}
