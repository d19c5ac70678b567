package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/updraft-dev/updraft/internal/executor/kubernetes/kubetest"
)

// testKubeconfig is the admin kubeconfig of the test cluster.
func testKubeconfig(t *testing.T) string {
	t.Helper()
	kc, err := kubetest.Kubeconfig()
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// kubeClient is an admin client of the test cluster.
func kubeClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", testKubeconfig(t))
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(rc)
}

// kubeNamespace makes a namespace ready for pods and deletes it afterwards.
func kubeNamespace(t *testing.T, client kubernetes.Interface) string {
	t.Helper()
	return kubetest.Namespace(t, client, "e2e")
}

// A DAG that mixes a local task and pod tasks runs through `updraft
// standalone` with the Kubernetes executor against a real API server, pods
// on KWOK's simulated nodes: each pod try ends as its exit code says, the
// failing task's retry is a new pod, and the pods carry the labels that
// identify dag, run, task and try.
func TestKubernetesExecutorRunsADag(t *testing.T) {
	t.Parallel()
	client, ns, config := kubeSetup(t)
	e := newEnv(t, map[string]string{"pods.yaml": `dag_id: pods
schedule: null
default_args:
  on_finish_action: keep_pod
  annotations: {sim.kwok/run-duration: 300ms}
tasks:
  extract:
    command: [sh, -c, "echo extracting"]
  transform:
    depends_on: [extract]
    command: [sh, -c, "echo transforming"]
  load:
    depends_on: [transform]
    retries: 1
    retry_delay: 1s
    annotations: {sim.kwok/run-duration: 300ms, sim.kwok/exit-code: "3"}
    command: [sh, -c, "exit 3"]
  report:
    depends_on: [extract]
    executor: local
    command: [sh, -c, "echo on this machine"]
`})
	e.start("--config", config, "standalone", "--api-address", freePort(t))
	out, errOut, code := e.run("--config", config, "dags", "trigger", "pods")
	if code != 0 {
		t.Fatalf("trigger: %d %s %s", code, out, errOut)
	}
	e.waitFor("the run to end", func() bool {
		runs := e.runs("pods")
		return len(runs) == 1 && (runs[0].State == "success" || runs[0].State == "failed")
	})
	run := e.runs("pods")[0]
	if run.State != "failed" {
		t.Errorf("run %s, want failed (load exits 3)", run.State)
	}
	states := e.taskStates("pods", run.RunID)
	for task, want := range map[string]string{"extract": "success", "transform": "success", "load": "failed", "report": "success"} {
		if states[task].State != want {
			t.Errorf("%s: %s, want %s", task, states[task].State, want)
		}
	}
	if states["load"].TryNumber != 2 {
		t.Errorf("load ran %d tries, want 2", states["load"].TryNumber)
	}

	pods, err := client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=updraft"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pods.Items {
		got = append(got, fmt.Sprintf("%s/%s/%s=%s", p.Labels["updraft.dev/dag-id"], p.Labels["updraft.dev/task-id"],
			p.Labels["updraft.dev/try-number"], p.Status.Phase))
		if p.Annotations["updraft.dev/run-id"] != run.RunID {
			t.Errorf("pod %s: run id %q, want %q", p.Name, p.Annotations["updraft.dev/run-id"], run.RunID)
		}
	}
	slices.Sort(got)
	want := []string{"pods/extract/1=Succeeded", "pods/load/1=Failed", "pods/load/2=Failed", "pods/transform/1=Succeeded"}
	if !slices.Equal(got, want) {
		t.Errorf("pods %v, want %v (the local task has none)", got, want)
	}
	logOut, _, _ := e.run("--config", config, "tasks", "logs", "pods", run.RunID, "load", "--try", "1")
	if !strings.Contains(logOut, "exit code 3") || !strings.Contains(logOut, "running on node kwok-node-") {
		t.Errorf("load's log:\n%s", logOut)
	}
}

// kubeSetup makes a namespace on the test cluster and a configuration
// that runs pod tasks there on KWOK's nodes.
func kubeSetup(t *testing.T) (kubernetes.Interface, string, string) {
	t.Helper()
	return kubeSetupOn(t, "kwok", "")
}

// kubeSetupOn is kubeSetup for the nodes of a kind: "kwok", or "real" for
// the real node, where the task's container is busybox. extraConfig is
// added to the configuration.
func kubeSetupOn(t *testing.T, nodeKind, extraConfig string) (kubernetes.Interface, string, string) {
	t.Helper()
	kc := testKubeconfig(t)
	client := kubeClient(t)
	ns := kubeNamespace(t, client)
	dir := t.TempDir()
	template := filepath.Join(dir, "pod-template.yaml")
	pod := `apiVersion: v1
kind: Pod
spec:
  nodeSelector: {updraft.dev/node-kind: ` + nodeKind + `}
  tolerations: [{key: updraft.dev/node-kind, operator: Exists, effect: NoSchedule}]
`
	if nodeKind == "real" {
		// The images hack/kube/up.sh --real-node imported; there is no registry.
		pod += "  containers: [{name: base, image: updraft.local/busybox:1, imagePullPolicy: Never}]\n"
	}
	writeText(t, template, pod)
	config := filepath.Join(dir, "updraft.yaml")
	writeText(t, config, fmt.Sprintf(`executor: kubernetes,local
kubernetes_kubeconfig: %s
kubernetes_namespace: %s
kubernetes_image: updraft.local/busybox:1
kubernetes_updraft_image: updraft.local/updraft:dev
kubernetes_pod_template_file: %s
kubernetes_startup_timeout: 2m
%s`, kc, ns, template, extraConfig))
	return client, ns, config
}

// A scheduler killed with SIGKILL while a pod task runs leaves the pod
// running; started again, it adopts the pod (in the task's own namespace)
// instead of starting the try anew, and the run goes on to its end with one
// pod for the try.
func TestKubernetesSchedulerKilledAdoptsItsPods(t *testing.T) {
	t.Parallel()
	client, _, config := kubeSetup(t)
	// long's pod runs in a namespace of its own, which the restarted
	// scheduler learns from the task.
	longNS := kubeNamespace(t, client)
	e := newEnv(t, map[string]string{"slow.yaml": `dag_id: slow
schedule: null
default_args:
  on_finish_action: keep_pod
tasks:
  long:
    namespace: ` + longNS + `
    annotations: {sim.kwok/run-duration: 8s}
    command: [sh, -c, "sleep 8"]
  after:
    depends_on: [long]
    annotations: {sim.kwok/run-duration: 100ms}
    command: [sh, -c, "echo after"]
`})
	first := e.start("--config", config, "standalone", "--api-address", freePort(t))
	if out, errOut, code := e.run("--config", config, "dags", "trigger", "slow"); code != 0 {
		t.Fatalf("trigger: %d %s %s", code, out, errOut)
	}
	longPods := func() []corev1.Pod {
		list, err := client.CoreV1().Pods(longNS).List(t.Context(), metav1.ListOptions{LabelSelector: "updraft.dev/task-id=long"})
		if err != nil {
			t.Fatal(err)
		}
		return list.Items
	}
	e.waitFor("long's pod to run", func() bool {
		pods := longPods()
		return len(pods) == 1 && pods[0].Status.Phase == corev1.PodRunning
	})
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = first.Process.Wait()

	e.start("--config", config, "standalone", "--api-address", freePort(t))
	e.waitFor("the run to end", func() bool {
		runs := e.runs("slow")
		return len(runs) == 1 && (runs[0].State == "success" || runs[0].State == "failed")
	})
	run := e.runs("slow")[0]
	states := e.taskStates("slow", run.RunID)
	if run.State != "success" || states["long"].State != "success" || states["long"].TryNumber != 1 {
		t.Errorf("run %s, long %s try %d; want success at try 1 (adopted, not run again)", run.State, states["long"].State, states["long"].TryNumber)
	}
	if pods := longPods(); len(pods) != 1 {
		t.Errorf("%d pods for long, want the one adopted", len(pods))
	}
	logOut, _, _ := e.run("--config", config, "tasks", "logs", "slow", run.RunID, "long")
	if !strings.Contains(logOut, "adopted pod") {
		t.Errorf("long's log does not tell of its adoption:\n%s", logOut)
	}
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
