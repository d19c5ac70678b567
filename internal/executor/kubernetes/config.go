// Package kubernetes runs each task try as a pod, as Airflow's
// KubernetesExecutor and KubernetesPodOperator do: the pod is rendered from
// the task's pod fields (and a pod template), created through client-go,
// followed through shared informers (never polled pod by pod), its main
// container's log streamed into updraft's log store while it runs, and
// deleted or kept when the try ends. A restarted scheduler adopts the pods
// of its running tries by their labels.
package kubernetes

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/logstore"
)

// Profile is a named set of requests and limits a task picks with
// `resources: NAME`, as the Kedro plugin picks one by a node's tag.
type Profile struct {
	Requests map[string]string `yaml:"requests"`
	Limits   map[string]string `yaml:"limits"`
}

// Config configures the executor. The zero value of each field selects its
// default.
type Config struct {
	// Kubeconfig is a kubeconfig file; in-cluster credentials when empty
	// and the process runs in a pod, else the default loading rules
	// ($KUBECONFIG, ~/.kube/config). Context picks one of its contexts.
	Kubeconfig string
	Context    string
	// REST, when set, is used instead of Kubeconfig and Context.
	REST *rest.Config
	// QPS and Burst bound the client's requests to the API server; 300 and
	// 600 by default: a pod costs two to four requests (create, delete, its
	// log), and client-go's own 5 and 10 would cap pods at two a second.
	QPS   float32
	Burst int

	// Namespace of pods whose task names none; "default" when empty.
	Namespace string
	// Image of tasks that name none.
	Image string
	// UpdraftImage holds the updraft binary (on its PATH); an init
	// container copies it into the pod, where `updraft exec` runs the
	// task's command and hands its XCom back. Without it the task's
	// command is the container's own and no XCom comes back.
	UpdraftImage           string
	UpdraftImagePullPolicy string
	// PodTemplateFile is a Pod manifest (YAML) every pod starts from; a
	// container named "base" in it gives the task's container its
	// defaults.
	PodTemplateFile string
	// Profiles are the resource profiles tasks may name.
	Profiles map[string]Profile
	// Labels are added to every pod.
	Labels map[string]string
	// Instance tells this deployment's pods from another's in the same
	// namespace; "updraft" by default.
	Instance string

	// Parallelism caps the pods of running tries; 256 by default.
	Parallelism int
	// StartupTimeout fails a try whose pod is not running after this long,
	// with the cause Kubernetes gives; 5 minutes by default (tasks may set
	// their own).
	StartupTimeout time.Duration
	// OnFinishAction is what becomes of a pod when its try ends, for tasks
	// that do not say: delete_pod (the default), delete_succeeded_pod or
	// keep_pod.
	OnFinishAction string
	// DeleteGrace is the pods' termination grace period when a try is
	// cancelled or timed out; 30 s by default.
	DeleteGrace time.Duration

	// APIURL is updraft's API as pods reach it (kubernetes_api_url). With
	// TaskToken, each pod is given the URL and a token naming its try, so
	// `updraft exec` can send a return value too large for the pod's
	// termination message (4 KiB) to the API. Without them such a value
	// fails the try, saying so.
	APIURL    string
	TaskToken func(executor.TryKey) (string, error)

	// TryRunning tells whether the database still has a try queued or
	// running. Recover deletes the pods of tries that it says are not: a
	// try settled while no scheduler watched. Without it, such pods are
	// left alone, as are pods of tries another scheduler follows.
	TryRunning func(ctx context.Context, key executor.TryKey) (bool, error)

	// Trace, when set, is told when a try's pod is about to be created and
	// when its end is first seen, for measuring the executor's own share
	// of a task's time (updraft-bench).
	Trace func(key executor.TryKey, event TraceEvent, at time.Time)

	// Logs is where each try's log goes.
	Logs   logstore.FileStore
	Logger *slog.Logger
	Now    func() time.Time

	podTemplate *corev1.Pod
}

// TraceEvent is what Config.Trace is told.
type TraceEvent string

// Trace events.
const (
	TraceCreate TraceEvent = "create" // the pod's create call is made
	TraceEnded  TraceEvent = "ended"  // the informer shows the pod Succeeded or Failed
)

// Defaults of Config.
const (
	DefaultQPS            = 300
	DefaultBurst          = 600
	DefaultParallelism    = 256
	DefaultStartupTimeout = 5 * time.Minute
	DefaultDeleteGrace    = 30 * time.Second
)

// withDefaults fills the zero fields and reads the pod template.
func (c Config) withDefaults() (Config, error) {
	if c.QPS <= 0 {
		c.QPS = DefaultQPS
	}
	if c.Burst <= 0 {
		c.Burst = DefaultBurst
	}
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	if c.Instance == "" {
		c.Instance = "updraft"
	}
	if c.Parallelism <= 0 {
		c.Parallelism = DefaultParallelism
	}
	if c.StartupTimeout <= 0 {
		c.StartupTimeout = DefaultStartupTimeout
	}
	if c.DeleteGrace <= 0 {
		c.DeleteGrace = DefaultDeleteGrace
	}
	if c.OnFinishAction == "" {
		c.OnFinishAction = "delete_pod"
	}
	if !slices.Contains(dag.OnFinishActions, c.OnFinishAction) {
		return c, fmt.Errorf("kubernetes: unknown on_finish_action %q; use delete_pod, delete_succeeded_pod or keep_pod", c.OnFinishAction)
	}
	if c.APIURL != "" && c.TaskToken == nil {
		return c, fmt.Errorf("kubernetes: an API URL for pods needs a task token issuer")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PodTemplateFile != "" {
		b, err := os.ReadFile(c.PodTemplateFile)
		if err != nil {
			return c, fmt.Errorf("kubernetes: pod template: %w", err)
		}
		var pod corev1.Pod
		if err := yaml.UnmarshalStrict(b, &pod); err != nil {
			return c, fmt.Errorf("kubernetes: pod template %s: %w", c.PodTemplateFile, err)
		}
		c.podTemplate = &pod
	}
	return c, nil
}

// restConfig finds the credentials: in-cluster, a kubeconfig, or the
// default loading rules.
func (c *Config) restConfig() (*rest.Config, error) {
	if c.REST != nil {
		return rest.CopyConfig(c.REST), nil
	}
	if c.Kubeconfig == "" && c.Context == "" {
		if rc, err := rest.InClusterConfig(); err == nil {
			return rc, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if c.Kubeconfig != "" {
		rules.ExplicitPath = c.Kubeconfig
	}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: c.Context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes: no credentials (in-cluster, kubeconfig %q): %w", c.Kubeconfig, err)
	}
	return rc, nil
}

func profileNames(p map[string]Profile) string {
	if len(p) == 0 {
		return "no profiles"
	}
	names := slices.Sorted(maps.Keys(p))
	return "profiles " + strings.Join(names, ", ")
}
