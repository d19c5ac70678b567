// Package dag is updraft's model: DAGs, tasks, states, trigger rules, the task
// graph and schedules. It does no I/O; every other package points inward to it.
package dag

import (
	"encoding/json"
	"time"
)

// DAG is one parsed, validated DAG file. It is immutable once built: the
// scheduler shares it between goroutines and a run keeps the version it
// started with.
type DAG struct {
	ID             string
	Description    string
	Schedule       Schedule
	Timezone       *time.Location
	StartDate      *time.Time
	EndDate        *time.Time
	Catchup        bool
	MaxActiveRuns  int
	MaxActiveTasks int
	DagrunTimeout  time.Duration
	Params         []Param
	Tags           []string
	Owner          string
	// Tasks in the order of the file; Graph gives them topologically.
	Tasks []*Task
	// FileLoc is the path of the file the DAG came from.
	FileLoc string

	index map[string]*Task
	graph *Graph
}

// Defaults Airflow applies when a DAG file leaves a field out.
const (
	DefaultMaxActiveRuns  = 16
	DefaultMaxActiveTasks = 16
	DefaultPool           = "default_pool"
	DefaultPoolSlots      = 128
)

// Task returns the task with the given id, or nil.
func (d *DAG) Task(id string) *Task { return d.index[id] }

// Graph returns the task graph. It is computed once, when the DAG is built.
func (d *DAG) Graph() *Graph { return d.graph }

// Param is one DAG param: a default value checked against a JSON-Schema-like
// type, as Airflow's Param does.
type Param struct {
	Name        string
	Default     any
	Type        ParamType
	Description string
	Enum        []any
	Minimum     *float64
	Maximum     *float64
}

// ParamType is a JSON Schema type name.
type ParamType string

const (
	ParamAny     ParamType = ""
	ParamString  ParamType = "string"
	ParamInteger ParamType = "integer"
	ParamNumber  ParamType = "number"
	ParamBoolean ParamType = "boolean"
	ParamArray   ParamType = "array"
	ParamObject  ParamType = "object"
	ParamNull    ParamType = "null"
)

// Task is one node of a DAG: a command to run, or nothing (like Airflow's
// EmptyOperator) when Command is empty.
type Task struct {
	ID                      string
	Upstream                []string
	TriggerRule             TriggerRule
	Retries                 int
	RetryDelay              time.Duration
	RetryExponentialBackoff bool
	MaxRetryDelay           time.Duration
	ExecutionTimeout        time.Duration
	Pool                    string
	PoolSlots               int
	PriorityWeight          int
	DependsOnPast           bool
	Owner                   string
	Command                 Command
	Env                     []EnvVar
	WorkingDir              string
	// Executor names the executor that runs the task; empty means the default.
	Executor string
	// Pod holds the fields for the Kubernetes executor; the local executor
	// ignores them.
	Pod Pod
}

// Empty reports whether the task has nothing to run, like EmptyOperator: the
// scheduler marks it success without an executor.
func (t *Task) Empty() bool { return t.Command.Empty() }

// Command is what a task runs: an argv list, executed directly, or a shell
// string, executed by /bin/sh -c. Exactly one is set, or neither for an
// empty task.
type Command struct {
	Argv  []string
	Shell string
}

// Empty reports whether there is nothing to run.
func (c Command) Empty() bool { return len(c.Argv) == 0 && c.Shell == "" }

// Args returns the argv to execute.
func (c Command) Args() []string {
	if c.Shell != "" {
		return []string{"/bin/sh", "-c", c.Shell}
	}
	return c.Argv
}

// EnvVar is one environment variable; order is kept as written.
type EnvVar struct {
	Name  string
	Value string
}

// Pod is the part of a task that only the Kubernetes executor reads. The
// local executor accepts and ignores it so that one DAG file serves both.
// The fields follow Airflow's KubernetesPodOperator.
type Pod struct {
	Image            string
	ImagePullPolicy  string
	ImagePullSecrets []string
	Resources        string // a named resource profile
	Requests         map[string]string
	Limits           map[string]string
	Namespace        string
	NodeSelector     map[string]string
	Labels           map[string]string
	Annotations      map[string]string
	// ServiceAccountName runs the pod as this service account.
	ServiceAccountName string
	EnvFrom            []EnvFrom
	// Secrets puts keys of Kubernetes Secrets into the container, as
	// variables or as files.
	Secrets           []SecretRef
	PriorityClassName string
	// ActiveDeadline bounds the pod's run (activeDeadlineSeconds); zero
	// means none.
	ActiveDeadline time.Duration
	// StartupTimeout fails a try whose pod has not started running after
	// this long; zero means the executor's default.
	StartupTimeout time.Duration
	// OnFinishAction is what becomes of the pod when the try ends: one of
	// OnFinishActions, or "" for the executor's default.
	OnFinishAction string

	// Kubernetes objects written as in a pod's manifest, kept as JSON
	// (checked against their API types when the DAG file is parsed) so the
	// model depends on no Kubernetes package: Volumes, VolumeMounts,
	// InitContainers and Tolerations are arrays; Affinity,
	// SecurityContext (the pod's) and ContainerSecurityContext objects.
	Volumes                  json.RawMessage
	VolumeMounts             json.RawMessage
	InitContainers           json.RawMessage
	Tolerations              json.RawMessage
	Affinity                 json.RawMessage
	SecurityContext          json.RawMessage
	ContainerSecurityContext json.RawMessage
	// PodOverride is a Pod (metadata and spec) merged over the pod the
	// executor renders, as a strategic merge patch: the escape hatch for
	// any field the others do not name, like Airflow's pod_override.
	PodOverride json.RawMessage
}

// OnFinishActions are the values of Pod.OnFinishAction, as Airflow's
// on_finish_action.
var OnFinishActions = []string{"delete_pod", "delete_succeeded_pod", "keep_pod"}

// EnvFrom names a Kubernetes Secret or ConfigMap whose keys become environment
// variables of the task's container.
type EnvFrom struct {
	Secret    string
	ConfigMap string
}

// SecretRef puts a Kubernetes Secret into the task's container, as
// Airflow's Secret does: one key as the variable Env, or the Secret's keys
// (or the one Key) as files under the directory Mount.
type SecretRef struct {
	Secret string
	Key    string
	Env    string
	Mount  string
}

// VolumeName names the pod volume a SecretRef with Mount creates, so that
// volume_mounts and init containers can mount it too.
func (s SecretRef) VolumeName() string { return "secret-" + s.Secret }

// Build indexes the tasks and computes the graph. The spec package calls it
// once a DAG file has been decoded and checked; it returns the graph's errors.
func (d *DAG) Build() error {
	d.index = make(map[string]*Task, len(d.Tasks))
	for _, t := range d.Tasks {
		d.index[t.ID] = t
	}
	g, err := NewGraph(d.Tasks)
	if err != nil {
		return err
	}
	d.graph = g
	return nil
}
