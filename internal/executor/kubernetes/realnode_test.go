package kubernetes

import (
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
)

// realNodeTemplate sends pods to the test cluster's real node (kubelet,
// containerd, runc), with the images hack/kube/up.sh --real-node imported.
func realNodeTemplate(t *testing.T) string {
	return writeTemplate(t, `apiVersion: v1
kind: Pod
spec:
  nodeSelector: {updraft.dev/node-kind: real}
  tolerations: [{key: updraft.dev/node-kind, operator: Exists, effect: NoSchedule}]
  containers:
    - name: base
      image: updraft.local/busybox:1
      imagePullPolicy: Never
`)
}

// The seed's passing and failing tasks run as real containers: the init
// container copies the updraft binary in, `updraft exec` runs each
// command, the passing task's XCom value comes back through the
// termination message, the failing task's exit code and reason come back,
// and both logs are in the log store.
func TestSeedDagOnARealNode(t *testing.T) {
	te := newTestEnv(t)
	ex := te.executor(func(c *Config) {
		c.PodTemplateFile = realNodeTemplate(t)
		c.UpdraftImage, c.UpdraftImagePullPolicy = "updraft.local/updraft:dev", "Never"
		c.StartupTimeout = 2 * time.Minute
	})
	passing := &executor.Request{
		Key: executor.TryKey{DagID: "kubernetes_sample", RunID: "manual__2026-11-23T12:00:00+00:00", TaskID: "passing-task", MapIndex: -1, TryNumber: 1},
		Argv: []string{"sh", "-c", `echo "hello world"; echo "try $UPDRAFT_TRY_NUMBER of $AIRFLOW_CTX_TASK_ID";` +
			` printf '{"greeting": "hello world", "rows": 42}' > "$UPDRAFT_XCOM_FILE"`},
		Task: &dag.Task{ID: "passing-task", Pod: dag.Pod{Labels: map[string]string{"foo": "bar"}}},
	}
	failing := &executor.Request{
		Key:  executor.TryKey{DagID: "kubernetes_sample", RunID: "manual__2026-11-23T12:00:00+00:00", TaskID: "failing-task", MapIndex: -1, TryNumber: 1},
		Argv: []string{"Python", "-c", "print('hello world')"},
		Task: &dag.Task{ID: "failing-task", Pod: dag.Pod{Labels: map[string]string{"foo": "bar"}}},
	}
	exits := &executor.Request{
		Key:  executor.TryKey{DagID: "kubernetes_sample", RunID: "manual__2026-11-23T12:00:00+00:00", TaskID: "exits-42", MapIndex: -1, TryNumber: 1},
		Argv: []string{"sh", "-c", "echo about to fail >&2; exit 42"},
		Task: &dag.Task{ID: "exits-42"},
	}
	for _, r := range []*executor.Request{passing, failing, exits} {
		if err := ex.Submit(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}

	ev := waitEvent(t, ex, passing.Key, executor.Finished, 2*time.Minute)
	if ev.State != dag.TaskSuccess || ev.ExitCode != 0 || string(ev.XCom) != `{"greeting":"hello world","rows":42}` {
		t.Errorf("passing-task: %s, exit %d, %q, xcom %s", ev.State, ev.ExitCode, ev.Reason, ev.XCom)
	}
	log := readLog(t, te, passing.Key)
	for _, want := range []string{"hello world\n", "try 1 of passing-task\n", "running on node real-node"} {
		if !strings.Contains(log, want) {
			t.Errorf("passing-task's log lacks %q:\n%s", want, log)
		}
	}

	ev = waitEvent(t, ex, failing.Key, executor.Finished, 2*time.Minute)
	if ev.State != dag.TaskFailed || ev.ExitCode != 127 || !strings.Contains(ev.Reason, `exit code 127: command not found: "Python"`) {
		t.Errorf("failing-task: %s, exit %d, %q", ev.State, ev.ExitCode, ev.Reason)
	}
	log = readLog(t, te, failing.Key)
	for _, want := range []string{`updraft exec: command not found: "Python"`, "pod event Normal Started"} {
		if !strings.Contains(log, want) {
			t.Errorf("failing-task's log lacks %q:\n%s", want, log)
		}
	}

	ev = waitEvent(t, ex, exits.Key, executor.Finished, 2*time.Minute)
	if ev.State != dag.TaskFailed || ev.ExitCode != 42 || ev.Reason != "exit code 42" || ev.XCom != nil {
		t.Errorf("exits-42: %s, exit %d, %q, xcom %s", ev.State, ev.ExitCode, ev.Reason, ev.XCom)
	}
	if log := readLog(t, te, exits.Key); !strings.Contains(log, "about to fail\n") {
		t.Errorf("exits-42's log lacks its stderr:\n%s", log)
	}
}

func readLog(t *testing.T, te *testEnv, k executor.TryKey) string {
	t.Helper()
	b, _, err := te.logs.Read(logKey(k), 0, 0)
	if err != nil {
		t.Fatalf("log of %s: %v", k, err)
	}
	return string(b)
}
