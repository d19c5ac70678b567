package kubernetes

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/spec"
)

var update = flag.Bool("update", false, "rewrite the golden pods")

// The pods of the example DAGs from the seeds, rendered as the executor
// would create them, against golden files: every field a task sets shows
// where it lands (go test ./internal/executor/kubernetes -run Golden -update).
func TestGoldenPods(t *testing.T) {
	cfg, err := Config{Namespace: "airflow", Image: "updraft.local/busybox:1", UpdraftImage: "updraft.local/updraft:dev",
		Profiles: map[string]Profile{"huge": {Requests: map[string]string{"cpu": "4", "memory": "16Gi"}, Limits: map[string]string{"memory": "16Gi"}}},
	}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"kubernetes_sample.yaml", "ml_pipeline.yaml", "pods.yaml"} {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("../../../examples/dags", file)
			if file == "pods.yaml" {
				path = filepath.Join("testdata", file)
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			d, err := spec.Parse(path, src)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			for _, task := range d.Tasks {
				if task.Empty() {
					continue // runs no pod
				}
				req := &executor.Request{
					Key:         executor.TryKey{DagID: d.ID, RunID: "scheduled__2026-11-23T10:00:00+00:00", TaskID: task.ID, MapIndex: -1, TryNumber: 1},
					Argv:        task.Command.Args(),
					Task:        task,
					LogicalDate: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
					Owner:       task.Owner,
				}
				for _, e := range task.Env {
					req.Env = append(req.Env, e.Name+"="+e.Value)
				}
				pod, err := cfg.renderPod(req)
				if err != nil {
					t.Fatalf("%s: %v", task.ID, err)
				}
				b, err := yaml.Marshal(pod)
				if err != nil {
					t.Fatal(err)
				}
				out.WriteString("---\n")
				out.Write(b)
			}
			golden := filepath.Join("testdata", strings.TrimSuffix(file, ".yaml")+".pods.yaml")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s differs (run with -update to accept):\n%s", golden, out.String())
			}
		})
	}
}

// With an API URL, the task's container gets it and a token naming its
// try; neither a task's own env nor its pod_override can replace them or
// the try's identity.
func TestPodGetsAPIAndTaskToken(t *testing.T) {
	cfg, err := Config{Image: "busybox", UpdraftImage: "updraft", APIURL: "http://updraft.updraft.svc:8080",
		TaskToken: func(k executor.TryKey) (string, error) {
			if k.TaskID == "broken" {
				return "", errors.New("no secret key")
			}
			return "token-for-" + k.String(), nil
		}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	// Neither the task's env nor its pod_override may replace them.
	override := `{"spec": {"containers": [{"name": "base", "env": [{"name": "UPDRAFT_TASK_TOKEN", "value": "forged"},
		{"name": "UPDRAFT_DAG_ID", "value": "other"}, {"name": "KEPT", "value": "yes"}]}]}}`
	req := &executor.Request{Key: executor.TryKey{DagID: "etl", RunID: "r1", TaskID: "load", MapIndex: -1, TryNumber: 2},
		Argv: []string{"true"}, Task: &dag.Task{ID: "load", Pod: dag.Pod{PodOverride: json.RawMessage(override)}},
		Env: []string{"UPDRAFT_TASK_TOKEN=forged", "UPDRAFT_API_URL=http://evil"}}
	pod, err := cfg.renderPod(req)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string][]string{}
	for _, e := range pod.Spec.Containers[0].Env {
		env[e.Name] = append(env[e.Name], e.Value)
	}
	if got := env[executor.EnvAPIURL]; len(got) != 1 || got[0] != "http://updraft.updraft.svc:8080" {
		t.Errorf("%s = %q", executor.EnvAPIURL, got)
	}
	if got := env[executor.EnvTaskToken]; len(got) != 1 || got[0] != "token-for-etl/r1/load/2" {
		t.Errorf("%s = %q", executor.EnvTaskToken, got)
	}
	if got := env[executor.EnvDagID]; len(got) != 1 || got[0] != "etl" {
		t.Errorf("%s = %q", executor.EnvDagID, got)
	}
	if got := env["KEPT"]; len(got) != 1 || got[0] != "yes" {
		t.Errorf("the override's own variable: %q", got)
	}
	req.Key.TaskID, req.Task.ID = "broken", "broken"
	if _, err := cfg.renderPod(req); err == nil || !strings.Contains(err.Error(), "task broken: task token: no secret key") {
		t.Errorf("a token that cannot be made: %v", err)
	}
	if _, err := (Config{APIURL: "http://x"}).withDefaults(); err == nil {
		t.Error("an API URL without a token issuer was accepted")
	}
}
