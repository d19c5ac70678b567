// Package store is the metadata store: DAGs and their versions, DAG runs, task
// instances with every try, XCom, import errors, variables and pools. The
// interface belongs to its users (scheduler, CLI, API); sqlite/ and
// postgres/ implement it, and storetest/ holds the suite both must pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
)

// ErrNotFound is returned when the row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a row with the same unique key exists.
var ErrConflict = errors.New("already exists")

// ErrUnavailable wraps errors that mean the database cannot be reached at
// all (refused connection, unknown host, timeout while connecting), as
// opposed to an error in a statement. Callers retry these with backoff.
var ErrUnavailable = errors.New("database unavailable")

// Store is everything updraft keeps. Every method takes ctx first and is safe
// for concurrent use. Methods are noun-first, with a params struct where
// there is more than a key.
type Store interface {
	AuthStore
	QueryStore

	// DagSync records the result of parsing a DAG file: it upserts the DAG
	// row and stores a new immutable version when the source changed. It
	// returns the latest version and whether it is new.
	DagSync(ctx context.Context, p *DagSyncParams) (*DagVersion, bool, error)
	// DagDeactivate marks the DAGs of a file that no longer defines them (or
	// no longer exists) as inactive; their runs stay.
	DagDeactivate(ctx context.Context, fileLoc string, keep []string) error
	DagGet(ctx context.Context, dagID string) (*Dag, error)
	DagList(ctx context.Context, p *DagListParams) ([]*Dag, error)
	DagSetPaused(ctx context.Context, dagID string, paused bool) error
	// DagSetNextRun records the next scheduled data interval, for display.
	DagSetNextRun(ctx context.Context, dagID string, next *dag.DataInterval) error
	DagVersionGet(ctx context.Context, id int64) (*DagVersion, error)

	ImportErrorSet(ctx context.Context, fileLoc, message string) error
	ImportErrorClear(ctx context.Context, fileLoc string) error
	ImportErrorList(ctx context.Context) ([]*ImportError, error)

	// DagRunCreate inserts a run with a task instance (state none) for every
	// task, in one transaction. A run with the same dag_id and run_id gives
	// ErrConflict.
	DagRunCreate(ctx context.Context, p *DagRunCreateParams) (*DagRun, error)
	DagRunGet(ctx context.Context, dagID, runID string) (*DagRun, error)
	DagRunGetByID(ctx context.Context, id int64) (*DagRun, error)
	DagRunList(ctx context.Context, p *DagRunListParams) ([]*DagRun, error)
	// DagRunLatest returns the run with the latest logical date of the given
	// type, or ErrNotFound.
	DagRunLatest(ctx context.Context, dagID string, runType string) (*DagRun, error)
	// DagRunCountActive counts queued and running runs of a DAG.
	DagRunCountActive(ctx context.Context, dagID string) (queued, running int, err error)
	// DagRunSetState moves a run to a state if it is in one of From (any when
	// empty); it reports whether it did.
	DagRunSetState(ctx context.Context, p *DagRunSetStateParams) (bool, error)

	TaskInstanceGet(ctx context.Context, runID int64, taskID string, mapIndex int) (*TaskInstance, error)
	// TaskInstanceListByRun returns a run's task instances; only taskIDs
	// when not nil.
	TaskInstanceListByRun(ctx context.Context, runID int64, taskIDs []string) ([]*TaskInstance, error)
	// TaskInstanceListByRunState returns a run's task instances in the given
	// states.
	TaskInstanceListByRunState(ctx context.Context, runID int64, states []dag.TaskState) ([]*TaskInstance, error)
	// TaskInstanceListByState returns task instances in the given states
	// across runs, highest priority first, then in the order their runs
	// were created.
	TaskInstanceListByState(ctx context.Context, p *TaskInstanceListParams) ([]*TaskInstance, error)
	// TaskInstanceCountActive counts queued and running task instances, and
	// the pool slots they hold, per pool and per DAG.
	TaskInstanceCountActive(ctx context.Context) (*ActiveCounts, error)
	// TaskInstanceCountByState counts a run's task instances per state.
	TaskInstanceCountByState(ctx context.Context, runID int64) (map[dag.TaskState]int, error)
	// TaskInstanceHasUnfinished reports whether any task instance of a run
	// is in a state that is not finished (dag.TaskState.Finished). It is
	// what the scheduler asks after every task end, so it must not read the
	// whole run.
	TaskInstanceHasUnfinished(ctx context.Context, runID int64) (bool, error)
	// TaskInstanceApply applies a batch of guarded state changes in one
	// transaction and returns, for each, whether it applied.
	TaskInstanceApply(ctx context.Context, changes []*TaskInstanceChange) ([]bool, error)
	// TaskInstanceDispatch runs decide in one write transaction and applies
	// the changes it returns there, reporting for each whether it applied.
	// The candidates decide reads through the DispatchTx are locked for this
	// transaction, so a scheduler dispatching at the same time skips them
	// (FOR UPDATE SKIP LOCKED), and the counts and pools it reads cannot
	// change before the commit, so limits hold across schedulers. decide may
	// read the store through other methods meanwhile (PostgreSQL then needs
	// a pool of at least two connections); it must not write.
	TaskInstanceDispatch(ctx context.Context, decide func(ctx context.Context, tx DispatchTx) ([]*TaskInstanceChange, error)) ([]bool, error)
	// TaskInstanceClear resets task instances of a run so they run again,
	// with their retries renewed, and puts the run back in queued.
	TaskInstanceClear(ctx context.Context, p *TaskInstanceClearParams) ([]*TaskInstance, error)
	// TaskInstanceTries returns the finished tries of a task instance, oldest first.
	TaskInstanceTries(ctx context.Context, runID int64, taskID string, mapIndex int) ([]*TaskInstanceTry, error)
	// TaskInstancePrevious returns the same task's instance in the run of the
	// DAG with the latest logical date before the given run's, or ErrNotFound.
	TaskInstancePrevious(ctx context.Context, runID int64, taskID string) (*TaskInstance, error)

	XComGet(ctx context.Context, runID int64, taskID string, mapIndex int, key string) (*XCom, error)
	XComList(ctx context.Context, runID int64) ([]*XCom, error)
	// XComPush stores a value a try pushed while it runs, under its key,
	// replacing one there. Only while the task instance is queued or
	// running in that very try: otherwise it writes nothing and returns
	// false.
	XComPush(ctx context.Context, p *XComPushParams) (bool, error)

	VariableGet(ctx context.Context, key string) (*Variable, error)
	VariableSet(ctx context.Context, v *Variable) error
	// VariableCreate inserts a variable; one with the same key gives
	// ErrConflict and changes nothing.
	VariableCreate(ctx context.Context, v *Variable) error
	VariableDelete(ctx context.Context, key string) error
	VariableList(ctx context.Context) ([]*Variable, error)

	PoolGet(ctx context.Context, name string) (*Pool, error)
	PoolSet(ctx context.Context, p *Pool) error
	// PoolCreate inserts a pool; one with the same name gives ErrConflict
	// and changes nothing.
	PoolCreate(ctx context.Context, p *Pool) error
	PoolDelete(ctx context.Context, name string) error
	PoolList(ctx context.Context) ([]*Pool, error)

	// SchedulerJobStart records a scheduler that starts, in state running.
	SchedulerJobStart(ctx context.Context, p *SchedulerJobStartParams) (*SchedulerJob, error)
	// SchedulerJobHeartbeat records that a running scheduler is alive. It
	// returns ErrNotFound when the job is no longer running: another
	// scheduler declared it dead, and it must stop.
	SchedulerJobHeartbeat(ctx context.Context, id int64, at time.Time) error
	// SchedulerJobEnd records a scheduler that stopped cleanly (success).
	SchedulerJobEnd(ctx context.Context, id int64, at time.Time) error
	// SchedulerJobFailStale declares dead (failed, end date at) every
	// running scheduler job but except whose latest heartbeat is before
	// before, and returns them. Each job is declared dead once, by one
	// caller, however many call at the same time.
	SchedulerJobFailStale(ctx context.Context, before time.Time, except int64, at time.Time) ([]*SchedulerJob, error)
	// SchedulerJobFail declares one running job dead (a process known to be
	// gone) and reports whether it was running.
	SchedulerJobFail(ctx context.Context, id int64, at time.Time) (bool, error)
	// SchedulerJobList returns scheduler jobs, the latest started first;
	// only running ones when runningOnly.
	SchedulerJobList(ctx context.Context, runningOnly bool) ([]*SchedulerJob, error)

	Close() error
}

// DispatchTx reads inside TaskInstanceDispatch's transaction.
type DispatchTx interface {
	// Candidates is TaskInstanceListByState, locking the rows it returns;
	// rows another transaction has locked are skipped, not waited for.
	Candidates(ctx context.Context, p *TaskInstanceListParams) ([]*TaskInstance, error)
	// CountActive is TaskInstanceCountActive, counted once the pools are
	// locked, so no other dispatch's queued tries are missing from it.
	CountActive(ctx context.Context) (*ActiveCounts, error)
	// Pools lists the pools, locked until the commit: dispatches that
	// count pool slots run one at a time.
	Pools(ctx context.Context) ([]*Pool, error)
}
