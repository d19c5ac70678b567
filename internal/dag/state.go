package dag

// DagRunState is the state of a DAG run, with Airflow's names.
type DagRunState string

const (
	DagRunQueued  DagRunState = "queued"
	DagRunRunning DagRunState = "running"
	DagRunSuccess DagRunState = "success"
	DagRunFailed  DagRunState = "failed"
)

// DagRunStates lists every DAG run state; the store checks its column against it.
func DagRunStates() []DagRunState {
	return []DagRunState{DagRunQueued, DagRunRunning, DagRunSuccess, DagRunFailed}
}

// Finished reports whether the run reached a terminal state.
func (s DagRunState) Finished() bool { return s == DagRunSuccess || s == DagRunFailed }

// TaskState is the state of a task instance, with Airflow's names. The empty
// value is Airflow's "none": not yet scheduled.
type TaskState string

const (
	TaskNone            TaskState = ""
	TaskScheduled       TaskState = "scheduled"
	TaskQueued          TaskState = "queued"
	TaskRunning         TaskState = "running"
	TaskSuccess         TaskState = "success"
	TaskFailed          TaskState = "failed"
	TaskUpForRetry      TaskState = "up_for_retry"
	TaskUpstreamFailed  TaskState = "upstream_failed"
	TaskSkipped         TaskState = "skipped"
	TaskRemoved         TaskState = "removed"
	TaskDeferred        TaskState = "deferred"
	TaskUpForReschedule TaskState = "up_for_reschedule"
	TaskRestarting      TaskState = "restarting"
)

// TaskStates lists every task state but none; the store checks its column against it.
func TaskStates() []TaskState {
	return []TaskState{
		TaskScheduled, TaskQueued, TaskRunning, TaskSuccess, TaskFailed, TaskUpForRetry,
		TaskUpstreamFailed, TaskSkipped, TaskRemoved, TaskDeferred, TaskUpForReschedule, TaskRestarting,
	}
}

// Finished reports whether the task instance will not change state without a
// clear: Airflow's State.finished.
func (s TaskState) Finished() bool {
	switch s {
	case TaskSuccess, TaskFailed, TaskSkipped, TaskUpstreamFailed, TaskRemoved:
		return true
	case TaskNone, TaskScheduled, TaskQueued, TaskRunning, TaskUpForRetry, TaskDeferred,
		TaskUpForReschedule, TaskRestarting:
		return false
	}
	return false
}

// Active reports whether the task instance holds an executor slot or is about to.
func (s TaskState) Active() bool { return s == TaskQueued || s == TaskRunning }

// String shows none for the empty state, as Airflow prints it.
func (s TaskState) String() string {
	if s == TaskNone {
		return "none"
	}
	return string(s)
}

// RunType says how a DAG run came to be.
type RunType string

const (
	RunScheduled RunType = "scheduled"
	RunManual    RunType = "manual"
	RunBackfill  RunType = "backfill"
)
