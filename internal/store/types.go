package store

import (
	"encoding/json"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
)

// Dag is a DAG's row: what the scheduler and the lists need without parsing
// its file.
type Dag struct {
	DagID           string
	IsPaused        bool
	IsActive        bool
	FileLoc         string
	LatestVersionID int64
	Description     string
	Owner           string
	Tags            []string
	Schedule        string
	// NextDataInterval is the next scheduled run's interval, nil when none.
	NextDataInterval *dag.DataInterval
	LastParsedAt     time.Time
}

// DagVersion is one immutable version of a DAG: the file's source as it was
// parsed. A run keeps the version it started with.
type DagVersion struct {
	ID            int64
	DagID         string
	VersionNumber int
	Hash          string
	FileLoc       string
	Source        []byte
	CreatedAt     time.Time
}

// DagSyncParams is what parsing one DAG of a file produced.
type DagSyncParams struct {
	DagID       string
	FileLoc     string
	Source      []byte
	Hash        string
	Description string
	Owner       string
	Tags        []string
	Schedule    string
	// PausedOnCreation is the paused flag of a DAG seen for the first time.
	PausedOnCreation bool
	ParsedAt         time.Time
}

// DagListParams filters DagList.
type DagListParams struct {
	// IncludeInactive lists DAGs whose file is gone too.
	IncludeInactive bool
	Paused          *bool
}

// ImportError is a DAG file that failed to parse.
type ImportError struct {
	ID        int64
	FileLoc   string
	Message   string
	Timestamp time.Time
}

// DagRun is one run of a DAG.
type DagRun struct {
	ID           int64
	DagID        string
	RunID        string
	VersionID    int64
	State        dag.DagRunState
	RunType      dag.RunType
	LogicalDate  time.Time
	DataInterval dag.DataInterval
	Conf         json.RawMessage
	QueuedAt     *time.Time
	StartDate    *time.Time
	EndDate      *time.Time
	CreatedAt    time.Time
	ClearNumber  int
}

// TaskInstanceInit is a task instance created with its run.
type TaskInstanceInit struct {
	TaskID         string
	MapIndex       int
	Pool           string
	PoolSlots      int
	PriorityWeight int
	MaxTries       int
	Executor       string
}

// DagRunCreateParams creates a run and its task instances.
type DagRunCreateParams struct {
	DagID        string
	RunID        string
	VersionID    int64
	RunType      dag.RunType
	State        dag.DagRunState
	LogicalDate  time.Time
	DataInterval dag.DataInterval
	Conf         json.RawMessage
	CreatedAt    time.Time
	Tasks        []TaskInstanceInit
}

// DagRunListParams filters DagRunList. Runs come ordered by logical date,
// then id, oldest first unless Desc.
type DagRunListParams struct {
	DagID   string
	States  []dag.DagRunState
	RunType dag.RunType
	Limit   int
	Offset  int
	Desc    bool
	// Before keeps only runs whose logical date is before it.
	Before *time.Time
}

// DagRunSetStateParams changes a run's state.
type DagRunSetStateParams struct {
	ID    int64
	State dag.DagRunState
	// From guards the change: it applies only from one of these states.
	From []dag.DagRunState
	// StartDate is set when the run has none yet.
	StartDate *time.Time
	// EndDate is written as given; nil clears it.
	EndDate *time.Time
	// MaxRunning, when above zero, guards a change to running: it applies
	// only while the DAG has fewer running runs than this. The count and
	// the change are one atomic step, also across processes, so
	// max_active_runs holds with several schedulers.
	MaxRunning int
}

// TaskInstance is the current try of a task in a run.
type TaskInstance struct {
	RunPK          int64
	DagID          string
	RunID          string
	TaskID         string
	MapIndex       int
	TryNumber      int
	MaxTries       int
	State          dag.TaskState
	Pool           string
	PoolSlots      int
	PriorityWeight int
	Executor       string
	QueuedAt       *time.Time
	StartDate      *time.Time
	EndDate        *time.Time
	NextRetryAt    *time.Time
	Hostname       string
	PID            int
	// QueuedByJob is the scheduler job that queued the current try, whose
	// executor runs it; 0 when none did.
	QueuedByJob int64
	ExitCode    *int
	// Reason says in words why the try ended as it did.
	Reason string
	// Rendered holds the rendered command and env of the current try, as JSON.
	Rendered json.RawMessage
	// LogicalDate of the run, for ordering across runs.
	LogicalDate time.Time
	// VersionID is the DAG version the run uses.
	VersionID int64
}

// Duration is how long the current try ran, or zero.
func (ti *TaskInstance) Duration() time.Duration {
	if ti.StartDate == nil || ti.EndDate == nil {
		return 0
	}
	return ti.EndDate.Sub(*ti.StartDate)
}

// TaskInstanceTry is one finished try, kept when the next begins.
type TaskInstanceTry struct {
	TryNumber int
	State     dag.TaskState
	StartDate *time.Time
	EndDate   *time.Time
	Hostname  string
	PID       int
	ExitCode  *int
	Reason    string
}

// TaskInstanceListParams filters TaskInstanceListByState.
type TaskInstanceListParams struct {
	States []dag.TaskState
	// Limit caps the rows (all when 0), from Offset on.
	Limit, Offset int
	// ExcludeDags and ExcludePools leave out the task instances of these
	// DAGs and pools: the scheduler's ones at their limits.
	ExcludeDags, ExcludePools []string
	// RunningRuns keeps only the task instances of running runs: the ones
	// the scheduler may dispatch.
	RunningRuns bool
	// Orphaned keeps only task instances whose QueuedByJob is not a running
	// scheduler job (ended, declared dead, or none): tries nobody follows.
	Orphaned bool
	// QueuedByJob, when not zero, keeps only the task instances this
	// scheduler job queued.
	QueuedByJob int64
}

// ActiveCounts are the queued and running task instances, for the limits the
// scheduler keeps.
type ActiveCounts struct {
	// PoolSlots is the pool slots held per pool.
	PoolSlots map[string]int
	// Dag is the number of task instances per DAG.
	Dag map[string]int
}

// TaskInstanceChange is one guarded change of a task instance. Pointer fields
// left nil are not written.
type TaskInstanceChange struct {
	RunPK    int64
	TaskID   string
	MapIndex int

	// From guards the change: it applies only from one of these states
	// (any state when empty).
	From []dag.TaskState
	// Try guards the change: it applies only while the try number is this
	// one (when not zero), so a late event of an old try changes nothing.
	Try int

	State dag.TaskState
	// TryDelta is added to the try number: 1 when a try is queued, -1 when a
	// queued try that never started is put back.
	TryDelta     int
	QueuedAt     *time.Time
	StartDate    *time.Time
	EndDate      *time.Time
	ClearEndDate bool
	NextRetryAt  *time.Time
	Hostname     *string
	PID          *int
	QueuedByJob  *int64
	ExitCode     *int
	Reason       *string
	Rendered     json.RawMessage
	// RecordTry appends the try, as it stands after the change, to the
	// history.
	RecordTry bool
	// XCom, when set, is stored as the try's return_value.
	XCom json.RawMessage
	// ClearXCom deletes the task instance's XCom entries, as a new try
	// starts: a retry or a cleared task must not show or pass on what an
	// earlier try returned or pushed. Not together with XCom.
	ClearXCom bool
}

// TaskInstanceClearParams clears task instances of a run.
type TaskInstanceClearParams struct {
	RunPK   int64
	TaskIDs []string
	// OnlyFailed clears only failed and upstream_failed task instances.
	OnlyFailed bool
	// Retries gives each task's retries, so its max_tries is renewed.
	Retries map[string]int
}

// XCom is a value a task instance returned or pushed.
type XCom struct {
	RunPK     int64
	DagID     string
	RunID     string
	TaskID    string
	MapIndex  int
	Key       string
	Value     json.RawMessage
	Timestamp time.Time
}

// XComPushParams is a value one try of a task instance pushes.
type XComPushParams struct {
	RunPK     int64
	TaskID    string
	MapIndex  int
	TryNumber int
	Key       string
	Value     json.RawMessage
}

// Variable is a key and a value that templates read as var.value.key.
type Variable struct {
	Key         string
	Value       string
	Description string
	// IsEncrypted says Value is Fernet ciphertext: the caller encrypts and
	// decrypts, the store keeps both as given.
	IsEncrypted bool
}

// Pool limits how many task instances run at once across DAGs.
type Pool struct {
	Name        string
	Slots       int
	Description string
}

// Scheduler job states, as Airflow's job table has them.
const (
	JobRunning = "running"
	JobSuccess = "success"
	JobFailed  = "failed"
)

// SchedulerJob is one scheduler process's life: started, heartbeating, then
// ended cleanly (success) or declared dead (failed).
type SchedulerJob struct {
	ID              int64
	Hostname        string
	PID             int
	State           string
	StartDate       time.Time
	LatestHeartbeat time.Time
	EndDate         *time.Time
}

// SchedulerJobStartParams records a starting scheduler.
type SchedulerJobStartParams struct {
	Hostname string
	PID      int
	At       time.Time
}
