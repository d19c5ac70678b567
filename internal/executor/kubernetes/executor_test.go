package kubernetes

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/logstore"
)

type testEnv struct {
	t    *testing.T
	ns   string
	rc   *rest.Config
	logs logstore.FileStore
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	rc := testCluster(t)
	ns, _ := testNamespace(t, rc)
	return &testEnv{t: t, ns: ns, rc: rc, logs: logstore.FileStore{Dir: t.TempDir()}}
}

func (te *testEnv) executor(mods ...func(*Config)) *Executor {
	te.t.Helper()
	cfg := Config{REST: te.rc, Namespace: te.ns, PodTemplateFile: kwokTemplate(te.t), UpdraftImage: "updraft.local/updraft:dev",
		Logs: te.logs, StartupTimeout: 30 * time.Second, Parallelism: 20, DeleteGrace: time.Second}
	for _, m := range mods {
		m(&cfg)
	}
	ex, err := New(context.Background(), cfg)
	if err != nil {
		te.t.Fatal(err)
	}
	te.t.Cleanup(ex.Stop)
	collect(ex)
	return ex
}

// request is a try of task in run r1 of DAG d; annotations drive KWOK.
func request(task string, try int, annotations map[string]string) *executor.Request {
	return &executor.Request{
		Key:  executor.TryKey{DagID: "d", RunID: "manual__2026-11-23T10:00:00+00:00", TaskID: task, MapIndex: -1, TryNumber: try},
		Argv: []string{"sh", "-c", "echo " + task}, Env: []string{"GREETING=hello"},
		Task: &dag.Task{ID: task, Pod: dag.Pod{Annotations: annotations}}, Owner: "data-team",
	}
}

// collected keeps what an executor reports, for tests to wait on in any
// order.
type collected struct {
	mu     sync.Mutex
	events []executor.Event
}

var collectors sync.Map // *Executor -> *collected

func collect(ex *Executor) {
	c := &collected{}
	collectors.Store(ex, c)
	go func() {
		for ev := range ex.Events() {
			c.mu.Lock()
			c.events = append(c.events, ev)
			c.mu.Unlock()
		}
	}()
}

// waitEvent returns the event of key of the kind wanted, failing the test
// after limit, or at once when the try finished instead.
func waitEvent(t *testing.T, ex *Executor, key executor.TryKey, kind executor.EventKind, limit time.Duration) executor.Event {
	t.Helper()
	v, _ := collectors.Load(ex)
	c := v.(*collected)
	deadline := time.Now().Add(limit)
	for {
		c.mu.Lock()
		for _, ev := range c.events {
			if ev.Key != key {
				continue
			}
			if ev.Kind == kind {
				c.mu.Unlock()
				return ev
			}
			if ev.Kind == executor.Finished {
				c.mu.Unlock()
				t.Fatalf("%s: finished (%s: %s) while waiting for %s", key, ev.State, ev.Reason, kind)
			}
		}
		c.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s event within %s", key, kind, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A DAG's three tasks become three pods with the expected spec, and end in
// the states their exit codes say.
func TestTriesBecomePods(t *testing.T) {
	te := newTestEnv(t)
	ex := te.executor()
	client := ex.client
	reqs := []*executor.Request{
		request("extract", 1, map[string]string{"sim.kwok/run-duration": "300ms"}),
		request("transform", 1, map[string]string{"sim.kwok/run-duration": "300ms", "sim.kwok/exit-code": "3"}),
		request("load", 1, map[string]string{"sim.kwok/run-duration": "300ms", "sim.kwok/exit-code": "137", "sim.kwok/reason": "OOMKilled"}),
	}
	for _, r := range reqs {
		if err := ex.Submit(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	var pods *corev1.PodList
	waitFor(t, "three pods", 30*time.Second, func() bool {
		var err error
		pods, err = client.CoreV1().Pods(te.ns).List(t.Context(), metav1.ListOptions{LabelSelector: labelManagedBy + "=updraft"})
		return err == nil && len(pods.Items) == 3
	})
	for _, pod := range pods.Items {
		key, ok := keyOf(&pod)
		if !ok {
			t.Fatalf("pod %s: no try key in %v / %v", pod.Name, pod.Labels, pod.Annotations)
		}
		if pod.Name != podName(key) || len(pod.Name) > 63 {
			t.Errorf("pod name %q, want %q", pod.Name, podName(key))
		}
		for k, want := range map[string]string{labelDagID: "d", labelTaskID: key.TaskID, labelTryNumber: "1",
			labelRunID: labelValue(key.RunID), "from-template": "yes"} {
			if pod.Labels[k] != want {
				t.Errorf("pod %s: label %s = %q, want %q", pod.Name, k, pod.Labels[k], want)
			}
		}
		if pod.Annotations[annotationRunID] != key.RunID {
			t.Errorf("pod %s: run id annotation %q", pod.Name, pod.Annotations[annotationRunID])
		}
		spec := pod.Spec
		if spec.RestartPolicy != "Never" || spec.NodeSelector["updraft.dev/node-kind"] != "kwok" || len(spec.InitContainers) != 1 {
			t.Errorf("pod %s: spec %+v", pod.Name, spec)
		}
		base := spec.Containers[0]
		if base.Name != "base" || base.Image != "busybox:template" ||
			!slices.Equal(base.Command, []string{toolsBinary, "exec", "--"}) ||
			!slices.Equal(base.Args, []string{"sh", "-c", "echo " + key.TaskID}) {
			t.Errorf("pod %s: container %s image %s command %v args %v", pod.Name, base.Name, base.Image, base.Command, base.Args)
		}
		env := map[string]string{}
		for _, e := range base.Env {
			env[e.Name] = e.Value
		}
		for k, want := range map[string]string{"UPDRAFT_TASK_ID": key.TaskID, "AIRFLOW_CTX_DAG_RUN_ID": key.RunID,
			"GREETING": "hello", "FROM_TEMPLATE": "1", "UPDRAFT_XCOM_FILE": xcomFile, "AIRFLOW_CTX_DAG_OWNER": "data-team"} {
			if env[k] != want {
				t.Errorf("pod %s: env %s = %q, want %q", pod.Name, k, env[k], want)
			}
		}
		if init := spec.InitContainers[0]; init.Image != "updraft.local/updraft:dev" ||
			!slices.Equal(init.Command, []string{"updraft", "copy-binary", toolsBinary}) {
			t.Errorf("pod %s: init container %+v", pod.Name, init)
		}
	}
	want := map[string]struct {
		state  dag.TaskState
		code   int
		reason string
	}{
		"extract":   {dag.TaskSuccess, 0, ""},
		"transform": {dag.TaskFailed, 3, "exit code 3"},
		"load":      {dag.TaskFailed, 137, "OOMKilled (exit code 137)"},
	}
	for _, r := range reqs {
		waitEvent(t, ex, r.Key, executor.Started, 30*time.Second)
		ev := waitEvent(t, ex, r.Key, executor.Finished, 30*time.Second)
		w := want[r.Key.TaskID]
		if ev.State != w.state || ev.ExitCode != w.code || !strings.HasPrefix(ev.Reason, w.reason) {
			t.Errorf("%s: %s, exit %d, %q; want %s, exit %d, %q", r.Key.TaskID, ev.State, ev.ExitCode, ev.Reason, w.state, w.code, w.reason)
		}
		log, _, err := te.logs.Read(logKey(r.Key), 0, 0)
		if err != nil || !strings.Contains(string(log), "created") || !strings.Contains(string(log), "running on node kwok-node-") {
			t.Errorf("%s: log %q (%v)", r.Key.TaskID, log, err)
		}
		// The container's own output, as KWOK serves it, was copied in.
		if !strings.Contains(string(log), "(kwok) simulated pod") {
			t.Errorf("%s: the container's log was not copied: %q", r.Key.TaskID, log)
		}
	}
	// delete_pod, the default: the pods go once their tries end.
	waitFor(t, "the pods to be deleted", 30*time.Second, func() bool {
		pods, err := client.CoreV1().Pods(te.ns).List(t.Context(), metav1.ListOptions{})
		return err == nil && len(pods.Items) == 0
	})
	if n := ex.FreeSlots(); n != 20 {
		t.Errorf("free slots %d after every try ended, want 20", n)
	}
}

// A retry is a new try number, hence a new pod; keep_pod keeps the first.
func TestRetryMakesANewPod(t *testing.T) {
	te := newTestEnv(t)
	ex := te.executor(func(c *Config) { c.OnFinishAction = "keep_pod" })
	first := request("flaky", 1, map[string]string{"sim.kwok/run-duration": "200ms", "sim.kwok/exit-code": "1"})
	second := request("flaky", 2, map[string]string{"sim.kwok/run-duration": "200ms"})
	for _, r := range []*executor.Request{first, second} {
		if err := ex.Submit(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		ev := waitEvent(t, ex, r.Key, executor.Finished, 30*time.Second)
		t.Logf("try %d: %s %s", r.Key.TryNumber, ev.State, ev.Reason)
	}
	pods, err := ex.client.CoreV1().Pods(te.ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pods.Items {
		names = append(names, p.Name+"="+string(p.Status.Phase))
	}
	slices.Sort(names)
	want := []string{podName(first.Key) + "=Failed", podName(second.Key) + "=Succeeded"}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("pods %v, want %v", names, want)
	}
}

// A pod that cannot start fails its try at the start-up timeout with the
// cause Kubernetes gives, and is deleted.
func TestStartupTimeoutGivesTheCause(t *testing.T) {
	te := newTestEnv(t)
	ex := te.executor(func(c *Config) { c.StartupTimeout = 2 * time.Second })
	pull := request("pull", 1, map[string]string{"sim.kwok/waiting-reason": "ImagePullBackOff",
		"sim.kwok/message": `Back-off pulling image "nope:1"`})
	nowhere := request("nowhere", 1, nil)
	nowhere.Task.Pod.NodeSelector = map[string]string{"disk": "nvme"}
	for _, r := range []*executor.Request{pull, nowhere} {
		if err := ex.Submit(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	for r, want := range map[*executor.Request]string{pull: "ImagePullBackOff", nowhere: "Unschedulable: 0/"} {
		ev := waitEvent(t, ex, r.Key, executor.Finished, 30*time.Second)
		if ev.State != dag.TaskFailed || !strings.Contains(ev.Reason, "did not start within 2s") || !strings.Contains(ev.Reason, want) {
			t.Errorf("%s: %s %q; want failed with %q", r.Key.TaskID, ev.State, ev.Reason, want)
		}
		waitFor(t, r.Key.TaskID+"'s pod to be deleted", 30*time.Second, func() bool { return podGone(ex.client, te.ns, podName(r.Key)) })
	}
}

// Cancel and the execution timeout delete the pod and fail the try.
func TestCancelAndTimeoutDeleteThePod(t *testing.T) {
	te := newTestEnv(t)
	ex := te.executor()
	long := map[string]string{"sim.kwok/run-duration": "1h"}
	cancelled := request("cancelled", 1, long)
	slow := request("slow", 1, long)
	slow.Timeout = time.Second
	for _, r := range []*executor.Request{cancelled, slow} {
		if err := ex.Submit(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, ex, r.Key, executor.Started, 30*time.Second)
	}
	ex.Cancel(cancelled.Key)
	for r, want := range map[*executor.Request]string{cancelled: "cancelled", slow: "timed out after 1s"} {
		ev := waitEvent(t, ex, r.Key, executor.Finished, 30*time.Second)
		if ev.State != dag.TaskFailed || ev.Reason != want {
			t.Errorf("%s: %s %q, want failed %q", r.Key.TaskID, ev.State, ev.Reason, want)
		}
		waitFor(t, r.Key.TaskID+"'s pod to be deleted", 30*time.Second, func() bool { return podGone(ex.client, te.ns, podName(r.Key)) })
	}
}

// A restarted scheduler's executor adopts the pods of running tries and
// reports their end; a pod of a try that is not running any more is
// deleted, one another scheduler follows is not; no pod is created twice.
func TestRecoverAdoptsRunningPods(t *testing.T) {
	te := newTestEnv(t)
	first := te.executor()
	running := request("running", 1, map[string]string{"sim.kwok/run-duration": "3s"})
	stray := request("stray", 1, map[string]string{"sim.kwok/run-duration": "1h"})
	elsewhere := request("elsewhere", 1, map[string]string{"sim.kwok/run-duration": "1h"})
	slow := request("slow", 1, map[string]string{"sim.kwok/run-duration": "1h"})
	slow.Timeout = 4 * time.Second
	// A task whose pods run in a namespace of their own.
	otherNS, _ := testNamespace(t, te.rc)
	away := request("away", 1, map[string]string{"sim.kwok/run-duration": "3s"})
	away.Task.Pod.Namespace = otherNS
	for _, r := range []*executor.Request{running, stray, elsewhere, slow, away} {
		if err := first.Submit(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, first, r.Key, executor.Started, 30*time.Second)
	}
	pod, err := first.client.CoreV1().Pods(te.ns).Get(t.Context(), podName(running.Key), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created := pod.UID
	first.Stop() // the scheduler dies; its pods go on

	// The database has stray's try settled, and elsewhere's running under
	// another scheduler.
	second := te.executor(func(c *Config) {
		c.TryRunning = func(_ context.Context, k executor.TryKey) (bool, error) { return k.TaskID != "stray", nil }
	})
	adopted, err := second.Recover(t.Context(), []executor.RunningTry{{Key: running.Key}, {Key: slow.Key},
		{Key: away.Key, Task: away.Task}})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(adopted, func(a, b executor.TryKey) int { return strings.Compare(a.TaskID, b.TaskID) })
	if !slices.Equal(adopted, []executor.TryKey{away.Key, running.Key, slow.Key}) {
		t.Fatalf("adopted %v, want %v, %v and %v", adopted, away.Key, running.Key, slow.Key)
	}
	if err := second.Submit(t.Context(), running); err == nil {
		t.Error("a second Submit of an adopted try was accepted")
	}
	ev := waitEvent(t, second, running.Key, executor.Finished, 30*time.Second)
	if ev.State != dag.TaskSuccess {
		t.Errorf("adopted try: %s %q", ev.State, ev.Reason)
	}
	if ev := waitEvent(t, second, away.Key, executor.Finished, 30*time.Second); ev.State != dag.TaskSuccess {
		t.Errorf("adopted try in namespace %s: %s %q", otherNS, ev.State, ev.Reason)
	}
	// The adopted try keeps its execution timeout, counted from its start.
	ev = waitEvent(t, second, slow.Key, executor.Finished, 30*time.Second)
	if ev.State != dag.TaskFailed || ev.Reason != "timed out after 4s" {
		t.Errorf("adopted try with a timeout: %s %q", ev.State, ev.Reason)
	}
	waitFor(t, "the stray pod to be deleted", 30*time.Second, func() bool { return podGone(second.client, te.ns, podName(stray.Key)) })
	if podGone(second.client, te.ns, podName(elsewhere.Key)) {
		t.Error("the pod of a try another scheduler follows was deleted")
	}
	log, _, _ := te.logs.Read(logKey(running.Key), 0, 0)
	if !strings.Contains(string(log), "adopted pod") {
		t.Errorf("log of the adopted try: %q", log)
	}
	if pod.UID != created {
		t.Errorf("pod recreated")
	}
}

// The executor works with the token of a ServiceAccount bound to the
// shipped Role, and says which permission is missing when one is.
func TestShippedRoleIsEnough(t *testing.T) {
	te := newTestEnv(t)
	admin := te.executor().client
	applyManifests(t, admin, te.ns, "../../../deploy/manifests/rbac.yaml")
	token := serviceAccountToken(t, admin, te.ns, "updraft-scheduler")
	saREST := rest.AnonymousClientConfig(te.rc)
	saREST.BearerToken = token

	ex := te.executor(func(c *Config) { c.REST = saREST })
	r := request("as-sa", 1, map[string]string{"sim.kwok/run-duration": "200ms", "sim.kwok/exit-code": "2"})
	if err := ex.Submit(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, ex, r.Key, executor.Finished, 30*time.Second)
	if ev.State != dag.TaskFailed || ev.ExitCode != 2 {
		t.Errorf("as the ServiceAccount: %s %d %q", ev.State, ev.ExitCode, ev.Reason)
	}
	log, _, _ := te.logs.Read(logKey(r.Key), 0, 0)
	if strings.Contains(string(log), "cannot read the pod's events") {
		t.Errorf("the Role does not let the executor read events: %s", log)
	}

	// Adopting after a restart skips a namespace the Role does not reach
	// instead of failing whole.
	away := request("away", 1, nil)
	away.Task.Pod.Namespace = "kube-system"
	if adopted, err := ex.Recover(t.Context(), []executor.RunningTry{{Key: away.Key, Task: away.Task}}); err != nil || len(adopted) != 0 {
		t.Errorf("Recover with a namespace out of the Role's reach: adopted %v, %v", adopted, err)
	}

	// Without create on pods, the try fails saying so. The API server's
	// authorizer sees the Role change within moments; until then tries run.
	removeVerb(t, admin, te.ns, "updraft-executor", "create")
	var reason string
	for i := 0; i < 50 && !strings.Contains(reason, "may not create pods"); i++ {
		probe := request(fmt.Sprint("probe-", i), 1, map[string]string{"sim.kwok/run-duration": "10ms"})
		if err := ex.Submit(t.Context(), probe); err != nil {
			t.Fatal(err)
		}
		reason = waitEvent(t, ex, probe.Key, executor.Finished, 30*time.Second).Reason
	}
	if !strings.Contains(reason, "may not create pods in namespace "+te.ns) || !strings.Contains(reason, "deploy/manifests/rbac.yaml") {
		t.Errorf("missing permission: reason %q", reason)
	}

	// Without the Role at all, New says what it cannot do.
	stranger := rest.AnonymousClientConfig(te.rc)
	stranger.BearerToken = serviceAccountToken(t, admin, te.ns, "default")
	_, err := New(t.Context(), Config{REST: stranger, Namespace: te.ns, Image: "x", Logs: te.logs})
	if err == nil || !strings.Contains(err.Error(), "may not list pods in namespace "+te.ns) {
		t.Errorf("New without permissions: %v", err)
	}
}

// A task's pod fields reach the pod: namespace of the executor, resources
// from a profile with the task's own over it, labels, secrets as env.
func TestRenderedFieldsReachThePod(t *testing.T) {
	te := newTestEnv(t)
	ex := te.executor(func(c *Config) {
		c.Profiles = map[string]Profile{"huge": {Requests: map[string]string{"cpu": "2", "memory": "4Gi"}, Limits: map[string]string{"memory": "8Gi"}}}
	})
	r := request("train", 1, map[string]string{"sim.kwok/run-duration": "100ms"})
	r.Task.Pod.Resources = "huge"
	r.Task.Pod.Requests = map[string]string{"cpu": "500m"}
	r.Task.Pod.Labels = map[string]string{"team": "ml"}
	r.Task.Pod.Secrets = []dag.SecretRef{{Secret: "db", Key: "password", Env: "DB_PASSWORD"}}
	r.Task.Pod.OnFinishAction = "keep_pod"
	if err := ex.Submit(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, ex, r.Key, executor.Finished, 30*time.Second)
	pod, err := ex.client.CoreV1().Pods(te.ns).Get(t.Context(), podName(r.Key), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := pod.Spec.Containers[0].Resources
	if res.Requests.Cpu().String() != "500m" || res.Requests.Memory().String() != "4Gi" || res.Limits.Memory().String() != "8Gi" {
		t.Errorf("resources %v", res)
	}
	if pod.Labels["team"] != "ml" {
		t.Errorf("labels %v", pod.Labels)
	}
	var found bool
	for _, e := range pod.Spec.Containers[0].Env {
		if e.Name == "DB_PASSWORD" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef.Name == "db" && e.ValueFrom.SecretKeyRef.Key == "password" {
			found = true
		}
	}
	if !found {
		t.Errorf("secret env missing: %v", pod.Spec.Containers[0].Env)
	}

	unknown := request("unknown-profile", 1, nil)
	unknown.Task.Pod.Resources = "giant"
	if err := ex.Submit(t.Context(), unknown); err == nil || !strings.Contains(err.Error(), `unknown resource profile "giant"`) {
		t.Errorf("unknown profile: %v", err)
	}
}
