package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// apiClient talks to a running server's REST API as one user.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c *apiClient) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m
}

func (c *apiClient) login(user, password string) *apiClient {
	c.t.Helper()
	code, body := c.do("POST", "/auth/token", map[string]any{"username": user, "password": password})
	if code != http.StatusCreated {
		c.t.Fatalf("login %s: %d %v", user, code, body)
	}
	return &apiClient{t: c.t, base: c.base, token: body["access_token"].(string)}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// TestStandaloneAPI drives `updraft standalone` through its REST API as a
// client would: the generated admin logs in, triggers a DAG, follows it to
// success and reads a task's log; a failing task is cleared and runs again;
// a Viewer is refused a trigger.
func TestStandaloneAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"hello.yaml":  "dag_id: hello\ntasks:\n  greet: {command: [echo, \"hello from greet to {{ var.value.audience }}, key {{ var.value.api_key }}\"]}\n  after: {depends_on: [greet], command: [echo, done]}\n",
		"broken.yaml": "dag_id: broken\ntasks:\n  fail: {command: \"echo failing; exit 3\"}\n",
	})
	addr := freePort(t)
	e.start("standalone", "--api-address", addr)
	anon := &apiClient{t: t, base: "http://" + addr}
	pwFile := filepath.Join(e.data, "standalone_admin_password.txt")
	var password string
	e.waitFor("the admin password and the API", func() bool {
		b, err := os.ReadFile(pwFile)
		if err != nil {
			return false
		}
		password = strings.TrimSpace(string(b))
		res, err := http.Get(anon.base + "/api/v2/monitor/health")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	if fi, err := os.Stat(pwFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("password file mode: %v %v", fi, err)
	}
	if code, _ := anon.do("GET", "/api/v2/dags", nil); code != http.StatusUnauthorized {
		t.Errorf("dags without a token: %d", code)
	}
	admin := anon.login("admin", password)

	// Variables the task's template reads; api_key is a secret by its name.
	for k, v := range map[string]string{"audience": "the-world", "api_key": "sk-live-0123456789"} {
		if code, body := admin.do("POST", "/api/v2/variables", map[string]any{"key": k, "value": v}); code != http.StatusCreated {
			t.Fatalf("variable %s: %d %v", k, code, body)
		}
	}
	code, run := admin.do("POST", "/api/v2/dags/hello/dagRuns", map[string]any{"dag_run_id": "api-1", "conf": map[string]any{"who": "e2e"}})
	if code != http.StatusOK {
		t.Fatalf("trigger: %d %v", code, run)
	}
	e.waitFor("hello to succeed", func() bool {
		_, r := admin.do("GET", "/api/v2/dags/hello/dagRuns/api-1", nil)
		return r["state"] == "success"
	})
	_, tis := admin.do("GET", "/api/v2/dags/hello/dagRuns/api-1/taskInstances", nil)
	if tis["total_entries"] != float64(2) {
		t.Fatalf("task instances: %v", tis)
	}
	for _, ti := range tis["task_instances"].([]any) {
		if st := ti.(map[string]any)["state"]; st != "success" {
			t.Errorf("task %v", ti)
		}
	}
	_, log := admin.do("GET", "/api/v2/dags/hello/dagRuns/api-1/taskInstances/greet/logs/1", nil)
	text := fmt.Sprint(log["content"])
	if !strings.Contains(text, "hello from greet to the-world, key ***") || strings.Contains(text, "sk-live") {
		t.Errorf("log of greet, rendered and masked: %v", text)
	}
	// At rest the variables are Fernet tokens and the rendered command kept
	// for the try is masked: the database holds the secret nowhere.
	db, err := os.ReadFile(filepath.Join(e.data, "updraft.db"))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(filepath.Join(e.data, "updraft.db-wal"))
	for _, secretValue := range []string{"sk-live-0123456789"} {
		if bytes.Contains(db, []byte(secretValue)) || bytes.Contains(wal, []byte(secretValue)) {
			t.Errorf("the database holds %q in clear", secretValue)
		}
	}

	// A failing task, cleared, runs again as its second try.
	admin.do("POST", "/api/v2/dags/broken/dagRuns", map[string]any{"dag_run_id": "b1"})
	e.waitFor("broken to fail", func() bool {
		_, r := admin.do("GET", "/api/v2/dags/broken/dagRuns/b1", nil)
		return r["state"] == "failed"
	})
	code, cleared := admin.do("POST", "/api/v2/dags/broken/clearTaskInstances", map[string]any{"dag_run_id": "b1", "dry_run": false})
	if code != http.StatusOK || cleared["total_entries"] != float64(1) {
		t.Fatalf("clear: %d %v", code, cleared)
	}
	e.waitFor("the cleared task to fail again as try 2", func() bool {
		_, ti := admin.do("GET", "/api/v2/dags/broken/dagRuns/b1/taskInstances/fail", nil)
		return ti["state"] == "failed" && ti["try_number"] == float64(2)
	})

	// A Viewer created with the CLI may read but not trigger.
	if _, stderr, code := e.run("users", "create", "--username", "val", "--role", "Viewer", "--password", "viewer-pass-1"); code != 0 {
		t.Fatalf("users create: %s", stderr)
	}
	viewer := anon.login("val", "viewer-pass-1")
	if code, _ := viewer.do("GET", "/api/v2/dags/hello/dagRuns", nil); code != http.StatusOK {
		t.Errorf("viewer list runs: %d", code)
	}
	if code, body := viewer.do("POST", "/api/v2/dags/hello/dagRuns", map[string]any{}); code != http.StatusForbidden {
		t.Errorf("viewer trigger: %d %v", code, body)
	}
	out, _, _ := e.run("users", "list", "-o", "json")
	if !strings.Contains(out, `"val"`) || !strings.Contains(out, `"admin"`) {
		t.Errorf("users list: %s", out)
	}
}
