package spec

import corev1 "k8s.io/api/core/v1"

// The intermediate types mirror a DAG file key for key. The decoder fills
// them strictly; build.go turns them into the model. Their yaml tags name the
// keys, their jsonschema tags feed the published JSON Schema (where
// "required" also makes the decoder require the key), and their
// jsonschema_description tags are the help editors show.

// dagFile is the top level of a DAG file.
type dagFile struct {
	DagID          string                `yaml:"dag_id" jsonschema:"required,minLength=1,maxLength=250,pattern=^[A-Za-z0-9_.-]+$" jsonschema_description:"Unique id of the DAG: letters, digits, dashes, underscores and dots, at most 250 characters."`
	Description    string                `yaml:"description" jsonschema_description:"What the DAG does, shown in the UI."`
	Schedule       *string               `yaml:"schedule" jsonschema:"nullable" jsonschema_description:"When runs are created: a 5-field cron expression (\"0 3 * * *\"), a preset (@daily, @hourly, @once), an interval (\"every 10m\"), or null for manual triggers only."`
	Timezone       string                `yaml:"timezone" jsonschema:"default=UTC" jsonschema_description:"IANA time zone of the schedule and of dates without an offset, like Europe/Moscow. Default UTC."`
	StartDate      *date                 `yaml:"start_date" jsonschema_description:"First date the schedule covers: a date (2026-01-01) or an RFC 3339 time; without an offset it is in the DAG's timezone."`
	EndDate        *date                 `yaml:"end_date" jsonschema_description:"Last date the schedule covers, in the same forms as start_date."`
	Catchup        bool                  `yaml:"catchup" jsonschema:"default=false" jsonschema_description:"Create the runs missed since start_date (or since the last run) when the DAG is switched on. Default false."`
	MaxActiveRuns  *int                  `yaml:"max_active_runs" jsonschema:"minimum=1,default=16" jsonschema_description:"Most runs of this DAG in progress at once. Default 16."`
	MaxActiveTasks *int                  `yaml:"max_active_tasks" jsonschema:"minimum=1,default=16" jsonschema_description:"Most tasks of this DAG running at once, across its runs. Default 16."`
	DagrunTimeout  *duration             `yaml:"dagrun_timeout" jsonschema_description:"A run still going after this long is failed."`
	Owner          string                `yaml:"owner" jsonschema_description:"Owner of the DAG, shown in the UI; default_args.owner also sets it."`
	Tags           []string              `yaml:"tags" jsonschema_description:"Tags to filter DAGs by in the UI."`
	Params         orderedMap[param]     `yaml:"params" jsonschema_description:"Run parameters, by name: a default value, or {default, type, description, enum, minimum, maximum}. Templates read them as {{ params.name }}."`
	DefaultArgs    *taskFields           `yaml:"default_args" jsonschema_description:"Task fields that apply to every task unless the task sets them."`
	Tasks          orderedMap[*taskSpec] `yaml:"tasks" jsonschema_description:"The tasks, by task id, in the order they should be shown. A task with no command succeeds without running anything."`
}

// taskSpec is one entry of tasks.
type taskSpec struct {
	DependsOn  stringList `yaml:"depends_on" jsonschema_description:"Task ids this task runs after: one id or a list."`
	taskFields `yaml:",inline"`
}

// taskFields are the fields of a task that default_args may set too. Every
// field's zero value means "not set", so a task's own value wins over the
// default only when it is there: hence the pointers where zero is a value.
type taskFields struct {
	TriggerRule             string           `yaml:"trigger_rule" jsonschema_description:"When the task runs, from the states of its upstream tasks. Default all_success."`
	Retries                 *int             `yaml:"retries" jsonschema:"minimum=0" jsonschema_description:"Tries after the first failure before the task fails. Default 0."`
	RetryDelay              *duration        `yaml:"retry_delay" jsonschema_description:"Wait before a retry. Default 5m."`
	RetryExponentialBackoff *bool            `yaml:"retry_exponential_backoff" jsonschema_description:"Double the wait after each failed try."`
	MaxRetryDelay           *duration        `yaml:"max_retry_delay" jsonschema_description:"Longest wait between tries with exponential backoff."`
	ExecutionTimeout        *duration        `yaml:"execution_timeout" jsonschema_description:"A try still running after this long is killed and fails."`
	Pool                    string           `yaml:"pool" jsonschema:"default=default_pool" jsonschema_description:"Pool whose slots the task takes while it runs. Default default_pool."`
	PoolSlots               *int             `yaml:"pool_slots" jsonschema:"minimum=1,default=1" jsonschema_description:"Slots of the pool the task takes. Default 1."`
	PriorityWeight          *int             `yaml:"priority_weight" jsonschema:"default=1" jsonschema_description:"Priority among queued tasks, added up along the downstream tasks. Default 1."`
	DependsOnPast           *bool            `yaml:"depends_on_past" jsonschema_description:"Run only once this task succeeded (or was skipped) in the previous run."`
	Owner                   string           `yaml:"owner" jsonschema_description:"Owner of the task."`
	Command                 *command         `yaml:"command" jsonschema_description:"What to run: a list is the argv, run directly; a string is run by /bin/sh -c. Templates like {{ ds }} are rendered first."`
	Env                     orderedMap[text] `yaml:"env" jsonschema_description:"Environment variables of the command, in order; values may use templates."`
	WorkingDir              string           `yaml:"working_dir" jsonschema_description:"Directory the command runs in."`
	Executor                string           `yaml:"executor" jsonschema_description:"Executor that runs the task; default is the one the server is configured with."`
	Image                   string           `yaml:"image" jsonschema_description:"Kubernetes: container image of the task's pod."`
	ImagePullPolicy         string           `yaml:"image_pull_policy" jsonschema_description:"Kubernetes: when the image is pulled."`
	Resources               *resources       `yaml:"resources" jsonschema_description:"Kubernetes: a resource profile name, or the container's requests and limits."`
	Namespace               string           `yaml:"namespace" jsonschema_description:"Kubernetes: namespace of the pod."`
	NodeSelector            map[string]text  `yaml:"node_selector" jsonschema_description:"Kubernetes: node labels the pod must be scheduled on."`
	Labels                  map[string]text  `yaml:"labels" jsonschema_description:"Kubernetes: labels added to the pod."`
	Annotations             map[string]text  `yaml:"annotations" jsonschema_description:"Kubernetes: annotations added to the pod."`
	ServiceAccountName      string           `yaml:"service_account_name" jsonschema_description:"Kubernetes: service account of the pod."`
	EnvFrom                 []envFrom        `yaml:"env_from" jsonschema_description:"Kubernetes: Secrets and ConfigMaps whose keys become environment variables."`
	ImagePullSecrets        []string         `yaml:"image_pull_secrets" jsonschema_description:"Kubernetes: names of the Secrets the image is pulled with."`
	Secrets                 []secretSpec     `yaml:"secrets" jsonschema_description:"Kubernetes: Secrets put into the container, a key as an environment variable or keys as files."`
	PriorityClassName       string           `yaml:"priority_class_name" jsonschema_description:"Kubernetes: PriorityClass of the pod."`
	ActiveDeadline          *duration        `yaml:"active_deadline" jsonschema_description:"Kubernetes: the pod's activeDeadlineSeconds, a whole number of seconds; Kubernetes fails a pod still running after it."`
	StartupTimeout          *duration        `yaml:"startup_timeout" jsonschema_description:"Kubernetes: a try whose pod is not running after this long fails. Default: the executor's."`
	OnFinishAction          string           `yaml:"on_finish_action" jsonschema_description:"Kubernetes: what becomes of the pod when the try ends. Default: the executor's."`
	// The Kubernetes API objects, written as in a pod's manifest.
	Volumes                  kube[[]corev1.Volume]           `yaml:"volumes" jsonschema_description:"Kubernetes: volumes of the pod, a list of core/v1 Volume as in a pod manifest."`
	VolumeMounts             kube[[]corev1.VolumeMount]      `yaml:"volume_mounts" jsonschema_description:"Kubernetes: volumes mounted in the task's container, a list of core/v1 VolumeMount; each names a volume of volumes, of secrets or of pod_override."`
	InitContainers           kube[[]corev1.Container]        `yaml:"init_containers" jsonschema_description:"Kubernetes: containers run before the task's, a list of core/v1 Container; each needs a name and an image."`
	Tolerations              kube[[]corev1.Toleration]       `yaml:"tolerations" jsonschema_description:"Kubernetes: taints the pod tolerates, a list of core/v1 Toleration."`
	Affinity                 kube[corev1.Affinity]           `yaml:"affinity" jsonschema_description:"Kubernetes: the pod's core/v1 Affinity: nodeAffinity, podAffinity, podAntiAffinity."`
	SecurityContext          kube[corev1.PodSecurityContext] `yaml:"security_context" jsonschema_description:"Kubernetes: the pod's core/v1 PodSecurityContext."`
	ContainerSecurityContext kube[corev1.SecurityContext]    `yaml:"container_security_context" jsonschema_description:"Kubernetes: the task container's core/v1 SecurityContext."`
	PodOverride              kube[corev1.Pod]                `yaml:"pod_override" jsonschema_description:"Kubernetes: a core/v1 Pod whose metadata (labels, annotations) and spec are merged over the task's pod as a strategic merge patch; the task's container is named base."`
}

// secretSpec is one entry of secrets, after Airflow's Secret: one key as an
// environment variable, or the Secret's keys (or the one key) as files.
type secretSpec struct {
	Secret string `yaml:"secret" jsonschema:"required,minLength=1" jsonschema_description:"Name of the Secret."`
	Key    string `yaml:"key" jsonschema_description:"A key of the Secret: the variable's value with env; with mount, the only file."`
	Env    string `yaml:"env" jsonschema:"oneof_required=env" jsonschema_description:"Name of the environment variable that gets the key's value; needs key."`
	Mount  string `yaml:"mount" jsonschema:"oneof_required=mount" jsonschema_description:"Absolute path of the directory the keys are files in."`
}

// envFrom is one entry of env_from.
type envFrom struct {
	Secret    string `yaml:"secret" jsonschema:"oneof_required=secret" jsonschema_description:"Name of a Secret."`
	ConfigMap string `yaml:"config_map" jsonschema:"oneof_required=config_map" jsonschema_description:"Name of a ConfigMap."`
}

// resourceSpec is the long form of resources.
type resourceSpec struct {
	Requests map[string]text `yaml:"requests" jsonschema_description:"Resources the pod is scheduled with, like cpu: 500m, memory: 1Gi."`
	Limits   map[string]text `yaml:"limits" jsonschema_description:"Most resources the container may use."`
}

// paramSpec is the long form of a param, after Airflow's Param.
type paramSpec struct {
	Default     any      `yaml:"default" jsonschema_description:"Value used when a run does not set the param."`
	Type        string   `yaml:"type" jsonschema:"enum=string,enum=integer,enum=number,enum=boolean,enum=array,enum=object,enum=null" jsonschema_description:"JSON Schema type of the value; inferred from the default when left out."`
	Description string   `yaml:"description" jsonschema_description:"Help shown in the trigger form."`
	Enum        []any    `yaml:"enum" jsonschema_description:"The values allowed."`
	Minimum     *float64 `yaml:"minimum" jsonschema_description:"Smallest value allowed for a number."`
	Maximum     *float64 `yaml:"maximum" jsonschema_description:"Largest value allowed for a number."`
}
