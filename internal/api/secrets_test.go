package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/secret"
	"github.com/updraft-dev/updraft/internal/store"
)

// Variables and connection passwords written through the API are stored
// encrypted with the Fernet key, come back decrypted where the API shows
// them, and their values are masked in task logs.
func TestSecretsEncryptedAtRestAndMasked(t *testing.T) {
	keys, err := secret.ParseKeys(secret.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, keys)
	e.do("POST", "/api/v2/variables", "Op", map[string]any{"key": "region", "value": "eu-west-1"}).status(201)
	e.do("POST", "/api/v2/variables", "Op", map[string]any{"key": "db_password", "value": "var-secret-42"}).status(201)
	e.do("POST", "/api/v2/connections", "Op", map[string]any{"connection_id": "wh", "conn_type": "postgres",
		"password": "conn-secret-77", "extra": `{"token": "extra-secret-99"}`}).status(201)

	ctx := t.Context()
	v, err := e.raw.VariableGet(ctx, "region")
	if err != nil {
		t.Fatal(err)
	}
	if !v.IsEncrypted || strings.Contains(v.Value, "eu-west-1") {
		t.Errorf("variable stored as %+v, want ciphertext", v)
	}
	c, err := e.raw.ConnectionGet(ctx, "wh")
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsEncrypted || strings.Contains(c.Password, "conn-secret-77") || strings.Contains(c.Extra, "extra-secret-99") {
		t.Errorf("connection stored as %+v, want ciphertext", c)
	}
	got := e.do("GET", "/api/v2/variables/region", "Op", nil).status(200).json()
	field(t, got, "value", "eu-west-1")
	field(t, got, "is_encrypted", true)

	// A task that prints the secrets: its log shows them masked, also to
	// a server that learns them only from the store.
	e.do("POST", "/api/v2/dags/fan_out/dagRuns", "User", map[string]any{"dag_run_id": "r"}).status(200)
	run, err := e.st.DagRunGet(ctx, "fan_out", "r")
	if err != nil {
		t.Fatal(err)
	}
	tis, err := e.st.TaskInstanceListByRun(ctx, run.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	task := tis[0].TaskID
	force1(t, e, run.ID, task)
	f, err := e.srv.cfg.Logs.Create(logstore.Key{DagID: "fan_out", RunID: "r", TaskID: task, MapIndex: -1, TryNumber: 1})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "vars: var-secret-42 conn: conn-secret-77 extra: extra-secret-99 region: eu-west-1")
	_ = f.Close()
	// A fresh server process: a masker that knows nothing yet, and a store
	// wrapper that teaches it.
	fresh := secret.NewMasker(secret.MaskerConfig{})
	e.srv.cfg.Masker, e.srv.st = fresh, secret.Wrap(e.raw, keys, fresh)
	e.srv.secretsAt = e.now.Add(-secretsEvery)
	log := e.do("GET", fmt.Sprintf("/api/v2/dags/fan_out/dagRuns/r/taskInstances/%s/logs/1", task), "Viewer", nil).status(200).json()
	text := fmt.Sprint(log["content"])
	for _, s := range []string{"var-secret-42", "conn-secret-77", "extra-secret-99"} {
		if strings.Contains(text, s) {
			t.Errorf("log shows %s: %s", s, text)
		}
	}
	if !strings.Contains(text, "eu-west-1") {
		t.Errorf("a value that is not secret was masked: %s", text)
	}
}

// force1 makes a task instance's first try exist (running), so its log
// can be asked for.
func force1(t *testing.T, e *env, runPK int64, task string) {
	t.Helper()
	applied, err := e.st.TaskInstanceApply(t.Context(), []*store.TaskInstanceChange{{RunPK: runPK, TaskID: task, MapIndex: -1,
		State: dag.TaskRunning, TryDelta: 1}})
	if err != nil || !applied[0] {
		t.Fatalf("apply: %v %v", applied, err)
	}
}
