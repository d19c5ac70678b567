package e2e

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A pod task on the real node returns a value too large for a termination
// message: `updraft exec` in the pod sends it to the standalone's API with
// the try's token, the next task (a local one) reads it through xcom_pull,
// and the API serves it as any XCom.
func TestKubernetesLargeXComThroughTheAPI(t *testing.T) {
	t.Parallel()
	node, err := kubeClient(t).CoreV1().Nodes().Get(t.Context(), "real-node", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the test cluster's real node (hack/kube/up.sh --real-node): %v", err)
	}
	nodeIP := ""
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			nodeIP = a.Address
		}
	}
	if nodeIP == "" {
		t.Fatal("the real node has no InternalIP")
	}
	// The API listens where the pod can reach it: the node's address.
	_, port, _ := net.SplitHostPort(freePort(t))
	apiAddr := net.JoinHostPort(nodeIP, port)
	_, _, config := kubeSetupOn(t, "real", "kubernetes_api_url: http://"+apiAddr+"\n")

	e := newEnv(t, map[string]string{"big.yaml": `dag_id: big_xcom
schedule: null
tasks:
  produce:
    command:
      - sh
      - -c
      - |
        printf '{"rows": 3, "blob": "%s"}' "$(head -c 20000 /dev/zero | tr '\0' a)" > "$UPDRAFT_XCOM_FILE"
  consume:
    depends_on: [produce]
    executor: local
    command: [sh, -c, "echo rows={{ ti.xcom_pull(task_ids='produce').rows }} blob={{ ti.xcom_pull(task_ids='produce').blob | length }}"]
`})
	e.start("--config", config, "standalone", "--api-address", apiAddr)
	if out, errOut, code := e.run("--config", config, "dags", "trigger", "big_xcom"); code != 0 {
		t.Fatalf("trigger: %d %s %s", code, out, errOut)
	}
	e.waitFor("the run to end", func() bool {
		runs := e.runs("big_xcom")
		return len(runs) == 1 && (runs[0].State == "success" || runs[0].State == "failed")
	})
	run := e.runs("big_xcom")[0]
	produceLog, _, _ := e.run("--config", config, "tasks", "logs", "big_xcom", run.RunID, "produce")
	if run.State != "success" {
		t.Fatalf("run %s, want success; produce's log:\n%s", run.State, produceLog)
	}
	if !strings.Contains(produceLog, "XCom value of 20023 bytes sent to the API") {
		t.Errorf("produce's log does not tell of the value sent:\n%s", produceLog)
	}
	consumeLog, _, _ := e.run("--config", config, "tasks", "logs", "big_xcom", run.RunID, "consume")
	if !strings.Contains(consumeLog, "rows=3 blob=20000") {
		t.Errorf("consume did not read the value:\n%s", consumeLog)
	}

	password, err := os.ReadFile(filepath.Join(e.data, "standalone_admin_password.txt"))
	if err != nil {
		t.Fatal(err)
	}
	admin := (&apiClient{t: t, base: "http://" + apiAddr}).login("admin", strings.TrimSpace(string(password)))
	code, x := admin.do("GET", "/api/v2/dags/big_xcom/dagRuns/"+run.RunID+"/taskInstances/produce/xcomEntries/return_value?deserialize=true", nil)
	if v, _ := x["value"].(map[string]any); code != http.StatusOK || v["rows"] != 3.0 || len(v["blob"].(string)) != 20000 {
		t.Errorf("get_xcom_entry: %d %.200v", code, x)
	}
}
