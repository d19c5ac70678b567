// Package executor defines how the scheduler hands a task try to something
// that runs it: a local process, or a Kubernetes pod. Executors report what
// happens as events; they never write to the metadata store.
package executor

import (
	"context"
	"fmt"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
)

// TryKey identifies one try of one task instance.
type TryKey struct {
	DagID     string
	RunID     string
	TaskID    string
	MapIndex  int
	TryNumber int
}

func (k TryKey) String() string {
	return fmt.Sprintf("%s/%s/%s/%d", k.DagID, k.RunID, k.TaskID, k.TryNumber)
}

// Request is everything an executor needs to start a try. Templates are
// already rendered.
type Request struct {
	Key TryKey
	// Argv is the command to run; Argv[0] is looked up in PATH.
	Argv []string
	// Env is the task's own environment ("NAME=value"), added after the
	// executor's identity variables so a task may override nothing of those
	// but sees its own values last.
	Env        []string
	WorkingDir string
	// Timeout is the task's execution_timeout; zero means none.
	Timeout time.Duration
	// Task is the task's model, for executors that read more of it (pods).
	Task *dag.Task
	// LogicalDate and the owner feed Airflow's AIRFLOW_CTX_* variables.
	LogicalDate time.Time
	Owner       string
}

// EventKind says what happened to a try.
type EventKind string

const (
	// Started: the try's process (or pod) is running.
	Started EventKind = "started"
	// Finished: the try ended; State is success or failed.
	Finished EventKind = "finished"
)

// Event is one report from an executor.
type Event struct {
	Key  TryKey
	Kind EventKind
	Time time.Time
	// PID of a local process (Started), so a restarted scheduler can find it.
	PID int
	// Finished only.
	State    dag.TaskState
	ExitCode int
	// Reason explains a failure in words: "exit code 1", "timed out after 5s",
	// "cancelled", "command not found: foo".
	Reason string
	// XCom is the JSON value the try returned through UPDRAFT_XCOM_FILE, or nil.
	XCom []byte
}

// RunningTry is a try the store says was running when the scheduler stopped.
type RunningTry struct {
	Key      TryKey
	PID      int
	Hostname string
	// Task is the task as its run's DAG version defines it, when that
	// version still parses: where its pod runs, for one.
	Task *dag.Task
}

// Executor runs task tries. Submit must not block on the try itself: it
// starts it and returns; what follows arrives on Events.
type Executor interface {
	// Submit starts a try. The caller keeps within FreeSlots.
	Submit(ctx context.Context, req *Request) error
	// Cancel stops a running try (SIGTERM, then SIGKILL after a grace period);
	// a Finished event with Reason "cancelled" follows.
	Cancel(key TryKey)
	// Events delivers Started and Finished events in the order they happen
	// for each try.
	Events() <-chan Event
	// FreeSlots is how many more tries Submit may start now.
	FreeSlots() int
	// Recover is called once at start with the tries the store says were
	// running. It returns the ones it adopted and will report on; the
	// scheduler fails or retries the others. It must make sure no try it does
	// not adopt is still running.
	Recover(ctx context.Context, tries []RunningTry) ([]TryKey, error)
	// Stop stops every running try and releases resources.
	Stop()
}
