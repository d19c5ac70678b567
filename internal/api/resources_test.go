package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/store"
)

// runWithHistory triggers ml_pipeline and gives its tasks a history:
// prepare succeeded on its second try with an XCom and a log; train runs;
// the rest have no state.
func runWithHistory(t *testing.T, e *env) *store.DagRun {
	t.Helper()
	e.do("POST", "/api/v2/dags/ml_pipeline/dagRuns", "User", map[string]any{"dag_run_id": "r1", "logical_date": "2026-02-01T00:00:00Z"}).status(200)
	run, err := e.st.DagRunGet(t.Context(), "ml_pipeline", "r1")
	if err != nil {
		t.Fatal(err)
	}
	at := e.now
	fail, ok := "exit status 1", "exit status 0"
	code1, code0 := 1, 0
	apply := func(c *store.TaskInstanceChange) {
		t.Helper()
		applied, err := e.st.TaskInstanceApply(t.Context(), []*store.TaskInstanceChange{c})
		if err != nil || !applied[0] {
			t.Fatalf("apply %+v: %v %v", c, applied, err)
		}
	}
	apply(&store.TaskInstanceChange{RunPK: run.ID, TaskID: "prepare", MapIndex: -1, State: dag.TaskUpForRetry, TryDelta: 1,
		StartDate: &at, EndDate: &at, ExitCode: &code1, Reason: &fail, RecordTry: true})
	apply(&store.TaskInstanceChange{RunPK: run.ID, TaskID: "prepare", MapIndex: -1, State: dag.TaskSuccess, TryDelta: 1,
		StartDate: &at, EndDate: &at, ExitCode: &code0, Reason: &ok, RecordTry: true, XCom: json.RawMessage(`{"rows": 42, "password": "pw-in-xcom"}`),
		Rendered: json.RawMessage(`{"command": ["echo", "s3cr3t-token-value"], "env": ["A=1"]}`)})
	apply(&store.TaskInstanceChange{RunPK: run.ID, TaskID: "train", MapIndex: -1, State: dag.TaskRunning, TryDelta: 1, StartDate: &at})
	logs := e.srv.cfg.Logs
	f, err := logs.Create(logstore.Key{DagID: "ml_pipeline", RunID: "r1", TaskID: "prepare", MapIndex: -1, TryNumber: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		fmt.Fprintf(f, "line %d\n", i)
	}
	fmt.Fprintln(f, "connecting with s3cr3t-token-value")
	_ = f.Close()
	e.srv.cfg.Masker.Add("s3cr3t-token-value")
	return run
}

func TestTaskInstances(t *testing.T) {
	e := newEnv(t)
	runWithHistory(t, e)
	const tis = "/api/v2/dags/ml_pipeline/dagRuns/r1/taskInstances"
	run(t, e, []scenario{
		{name: "list", method: "GET", path: tis, role: "Viewer", status: 200, check: func(t *testing.T, b map[string]any) {
			if b["total_entries"].(float64) < 3 {
				t.Errorf("total %v", b["total_entries"])
			}
		}},
		{name: "list by state", method: "GET", path: tis + "?state=success&state=running", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 2) }},
		{name: "list without a state", method: "GET", path: tis + "?state=no_status&order_by=-task_id", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) {
				for _, ti := range b["task_instances"].([]any) {
					if st := ti.(map[string]any)["state"]; st != nil {
						t.Errorf("state %v", st)
					}
				}
			}},
		{name: "list across runs", method: "GET", path: "/api/v2/dags/~/dagRuns/~/taskInstances?state=running", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "a run without its DAG", method: "GET", path: "/api/v2/dags/~/dagRuns/r1/taskInstances", role: "Viewer", status: 422},
		{name: "bad state", method: "GET", path: tis + "?state=green", role: "Viewer", status: 422, check: detailMentions("green")},
		{name: "batch", method: "POST", path: "/api/v2/dags/~/dagRuns/~/taskInstances/list", role: "Viewer", status: 200,
			body: map[string]any{"dag_ids": []string{"ml_pipeline"}, "state": []any{"success", nil}},
			check: func(t *testing.T, b map[string]any) {
				if b["total_entries"].(float64) < 2 {
					t.Errorf("total %v", b["total_entries"])
				}
			}},
		{name: "get", method: "GET", path: tis + "/prepare", role: "Viewer", status: 200, check: func(t *testing.T, b map[string]any) {
			field(t, b, "state", "success")
			field(t, b, "try_number", 2)
			// From the run's DAG version: the version and the operator.
			field(t, b, "operator", "CommandOperator")
			field(t, b, "operator_name", "CommandOperator")
			if v, _ := b["dag_version"].(map[string]any); v["version_number"] != 1.0 || v["dag_id"] != "ml_pipeline" {
				t.Errorf("dag_version %v", b["dag_version"])
			}
		}},
		{name: "unknown task", method: "GET", path: tis + "/nope", role: "Viewer", status: 404},
		{name: "tries", method: "GET", path: tis + "/prepare/tries", role: "Viewer", status: 200, check: func(t *testing.T, b map[string]any) {
			field(t, b, "total_entries", 2)
			first := b["task_instances"].([]any)[0].(map[string]any)
			field(t, first, "state", "up_for_retry")
			field(t, first, "exit_code", 1)
			field(t, first, "operator", "CommandOperator")
		}},
		{name: "try", method: "GET", path: tis + "/prepare/tries/2", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "state", "success") }},
		{name: "no such try", method: "GET", path: tis + "/prepare/tries/7", role: "Viewer", status: 404},
		{name: "running try shows as a try", method: "GET", path: tis + "/train/tries", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "log, masked", method: "GET", path: tis + "/prepare/logs/2", role: "Viewer", status: 200, check: func(t *testing.T, b map[string]any) {
			text := fmt.Sprint(b["content"])
			if strings.Contains(text, "s3cr3t-token-value") || !strings.Contains(text, "connecting with ***") || !strings.Contains(text, "line 2") {
				t.Errorf("content %s", text)
			}
		}},
		{name: "log of a try not made", method: "GET", path: tis + "/prepare/logs/3", role: "Viewer", status: 404},
		{name: "log of a try without output yet", method: "GET", path: tis + "/train/logs/1", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "content", []any{}) }},
		{name: "log with a forged token", method: "GET", path: tis + "/prepare/logs/2?token=abc", role: "Viewer", status: 422},
		{name: "xcom entries", method: "GET", path: tis + "/prepare/xcomEntries", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "xcom value, sensitive key redacted", method: "GET", path: tis + "/prepare/xcomEntries/return_value?deserialize=true",
			role: "Viewer", status: 200, check: func(t *testing.T, b map[string]any) {
				field(t, b, "value", map[string]any{"rows": 42, "password": "***"})
			}},
		{name: "xcom value as text", method: "GET", path: tis + "/prepare/xcomEntries/return_value", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) {
				if v, ok := b["value"].(string); !ok || !strings.Contains(v, `"rows":42`) {
					t.Errorf("value %v", b["value"])
				}
			}},
		{name: "xcom unknown key", method: "GET", path: tis + "/prepare/xcomEntries/nope", role: "Viewer", status: 404},
		{name: "mark dry run", method: "PATCH", path: tis + "/train/dry_run", role: "User", status: 200,
			body: map[string]any{"new_state": "failed", "include_downstream": true}, check: func(t *testing.T, b map[string]any) {
				if n := b["total_entries"].(float64); n < 2 {
					t.Errorf("dry run would change %v task instances", n)
				}
			}},
		{name: "dry run changed nothing", method: "GET", path: tis + "/train", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "state", "running") }},
		{name: "viewer may not mark", method: "PATCH", path: tis + "/train", role: "Viewer", status: 403, body: map[string]any{"new_state": "failed"}},
		{name: "mark with a state that cannot be set", method: "PATCH", path: tis + "/train", role: "User", status: 422,
			body: map[string]any{"new_state": "running"}},
		{name: "mark failed", method: "PATCH", path: tis + "/train", role: "User", status: 200, body: map[string]any{"new_state": "failed"},
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "marked", method: "GET", path: tis + "/train", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "state", "failed") }},
		{name: "clear dry run", method: "POST", path: "/api/v2/dags/ml_pipeline/clearTaskInstances", role: "User", status: 200,
			body: map[string]any{"dag_run_id": "r1", "task_ids": []string{"train"}, "include_downstream": true, "only_failed": false},
			check: func(t *testing.T, b map[string]any) {
				if n := b["total_entries"].(float64); n < 2 {
					t.Errorf("would clear %v", n)
				}
			}},
		{name: "clear dry run hides rendered secrets", method: "POST", path: "/api/v2/dags/ml_pipeline/dagRuns/r1/clear", role: "User",
			status: 200, body: map[string]any{"dry_run": true}, check: func(t *testing.T, b map[string]any) {
				if text := fmt.Sprint(b); strings.Contains(text, "s3cr3t-token-value") || !strings.Contains(text, "echo ***") {
					t.Errorf("dry run shows %s", text)
				}
			}},
		{name: "clear an unknown task", method: "POST", path: "/api/v2/dags/ml_pipeline/clearTaskInstances", role: "User", status: 422,
			body: map[string]any{"dag_run_id": "r1", "task_ids": []string{"nope"}}, check: detailMentions("nope")},
		{name: "clear without a run", method: "POST", path: "/api/v2/dags/ml_pipeline/clearTaskInstances", role: "User", status: 422,
			body: map[string]any{"task_ids": []string{"train"}}, check: detailMentions("dag_run_id")},
		{name: "clear failed", method: "POST", path: "/api/v2/dags/ml_pipeline/clearTaskInstances", role: "User", status: 200,
			body: map[string]any{"dag_run_id": "r1", "dry_run": false}, check: func(t *testing.T, b map[string]any) {
				field(t, b, "total_entries", 1)
			}},
		{name: "cleared", method: "GET", path: tis + "/train", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "state", "<nil>") }},
	})
	// Following a log: the token of one answer gives what was written since.
	t.Run("follow a log", func(t *testing.T) {
		e.t = t
		path := tis + "/train/logs/1"
		first := e.do("GET", path, "Viewer", nil).status(200).json()
		f, err := e.srv.cfg.Logs.Create(logstore.Key{DagID: "ml_pipeline", RunID: "r1", TaskID: "train", MapIndex: -1, TryNumber: 1})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "epoch 1/3")
		_ = f.Close()
		next := e.do("GET", path+"?token="+first["continuation_token"].(string), "Viewer", nil).status(200).json()
		field(t, next, "content", []any{map[string]any{"event": "epoch 1/3"}})
		again := e.do("GET", path+"?token="+next["continuation_token"].(string), "Viewer", nil).status(200).json()
		field(t, again, "content", []any{})
	})
}

func TestVariablesConnectionsPools(t *testing.T) {
	e := newEnv(t)
	run(t, e, []scenario{
		{name: "user may not read variables", method: "GET", path: "/api/v2/variables", role: "User", status: 403},
		{name: "create", method: "POST", path: "/api/v2/variables", role: "Op", status: 201,
			body:  map[string]any{"key": "bucket", "value": "s3://data", "description": "where data lands"},
			check: func(t *testing.T, b map[string]any) { field(t, b, "value", "s3://data") }},
		{name: "create a JSON value", method: "POST", path: "/api/v2/variables", role: "Op", status: 201,
			body:  map[string]any{"key": "limits", "value": map[string]any{"cpu": 2}},
			check: func(t *testing.T, b map[string]any) { field(t, b, "value", `{"cpu":2}`) }},
		{name: "create a secret", method: "POST", path: "/api/v2/variables", role: "Op", status: 201,
			body:  map[string]any{"key": "api_key", "value": "abcdef123456"},
			check: func(t *testing.T, b map[string]any) { field(t, b, "value", "***") }},
		{name: "create again", method: "POST", path: "/api/v2/variables", role: "Op", status: 409,
			body: map[string]any{"key": "bucket", "value": "s3://elsewhere"}},
		{name: "create without a value", method: "POST", path: "/api/v2/variables", role: "Op", status: 422,
			body: map[string]any{"key": "x"}, check: detailMentions("value")},
		{name: "list", method: "GET", path: "/api/v2/variables?order_by=-key", role: "Op", status: 200, check: func(t *testing.T, b map[string]any) {
			field(t, b, "total_entries", 3)
			if got := ids(t, b, "variables", "key"); strings.Join(got, ",") != "limits,bucket,api_key" {
				t.Errorf("keys %v", got)
			}
		}},
		{name: "list by pattern", method: "GET", path: "/api/v2/variables?variable_key_pattern=b%25", role: "Op", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "get a secret", method: "GET", path: "/api/v2/variables/api_key", role: "Op", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "value", "***") }},
		{name: "patch", method: "PATCH", path: "/api/v2/variables/bucket?update_mask=value", role: "Op", status: 200,
			body: map[string]any{"key": "bucket", "value": "s3://other"}, check: func(t *testing.T, b map[string]any) {
				field(t, b, "value", "s3://other")
				field(t, b, "description", "where data lands")
			}},
		{name: "patch another key", method: "PATCH", path: "/api/v2/variables/bucket", role: "Op", status: 400,
			body: map[string]any{"key": "other", "value": "x"}},
		{name: "delete", method: "DELETE", path: "/api/v2/variables/bucket", role: "Op", status: 204},
		{name: "delete again", method: "DELETE", path: "/api/v2/variables/bucket", role: "Op", status: 404},

		{name: "create a connection", method: "POST", path: "/api/v2/connections", role: "Op", status: 201,
			body: map[string]any{"connection_id": "warehouse", "conn_type": "postgres", "host": "db", "port": 5432, "login": "etl",
				"password": "pg-pass-123", "extra": `{"sslmode": "require", "private_key": "KEY"}`},
			check: func(t *testing.T, b map[string]any) {
				field(t, b, "password", "***")
				if extra := b["extra"].(string); strings.Contains(extra, "KEY") || !strings.Contains(extra, "require") {
					t.Errorf("extra %s", extra)
				}
			}},
		{name: "connection with a bad port", method: "POST", path: "/api/v2/connections", role: "Op", status: 422,
			body: map[string]any{"connection_id": "x", "conn_type": "http", "port": 70000}, check: detailMentions("port")},
		{name: "connection with an extra that is not JSON", method: "POST", path: "/api/v2/connections", role: "Op", status: 422,
			body: map[string]any{"connection_id": "x", "conn_type": "http", "extra": "{"}, check: detailMentions("extra")},
		{name: "connection id with a space", method: "POST", path: "/api/v2/connections", role: "Op", status: 422,
			body: map[string]any{"connection_id": "a b", "conn_type": "http"}, check: detailMentions("connection_id")},
		{name: "keep the password through ***", method: "PATCH", path: "/api/v2/connections/warehouse", role: "Op", status: 200,
			body: map[string]any{"connection_id": "warehouse", "conn_type": "postgres", "host": "db2", "password": "***",
				"extra": `{"sslmode": "require", "private_key": "KEY"}`},
			check: func(t *testing.T, b map[string]any) { field(t, b, "host", "db2") }},
		{name: "get a connection", method: "GET", path: "/api/v2/connections/warehouse", role: "Op", status: 200,
			check: func(t *testing.T, b map[string]any) {
				field(t, b, "host", "db2")
				field(t, b, "password", "***")
				if c, err := e.st.ConnectionGet(t.Context(), "warehouse"); err != nil || c.Password != "pg-pass-123" {
					t.Errorf("stored password after a patch with ***: %v %v", c, err)
				}
			}},
		{name: "send back what GET showed", method: "PATCH", path: "/api/v2/connections/warehouse", role: "Op", status: 200,
			body: map[string]any{"connection_id": "warehouse", "conn_type": "postgres", "host": "db2", "password": "***",
				"extra": `{"private_key": "***", "sslmode": "verify-full"}`},
			check: func(t *testing.T, b map[string]any) {
				c, err := e.st.ConnectionGet(t.Context(), "warehouse")
				if err != nil || !strings.Contains(c.Extra, "KEY") || !strings.Contains(c.Extra, "verify-full") {
					t.Errorf("stored extra after a patch with ***: %v %v", c, err)
				}
			}},
		{name: "list connections", method: "GET", path: "/api/v2/connections", role: "Op", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "delete a connection", method: "DELETE", path: "/api/v2/connections/warehouse", role: "Op", status: 204},
		{name: "get a deleted connection", method: "GET", path: "/api/v2/connections/warehouse", role: "Op", status: 404},

		{name: "pools", method: "GET", path: "/api/v2/pools", role: "Op", status: 200, check: func(t *testing.T, b map[string]any) {
			field(t, b, "total_entries", 1)
			field(t, b["pools"].([]any)[0].(map[string]any), "name", "default_pool")
		}},
		{name: "create a pool", method: "POST", path: "/api/v2/pools", role: "Op", status: 201,
			body: map[string]any{"name": "gpu", "slots": 2}, check: func(t *testing.T, b map[string]any) { field(t, b, "open_slots", 2) }},
		{name: "negative slots", method: "POST", path: "/api/v2/pools", role: "Op", status: 422,
			body: map[string]any{"name": "bad", "slots": -5}, check: detailMentions("slots")},
		{name: "get a pool", method: "GET", path: "/api/v2/pools/gpu", role: "Op", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "slots", 2) }},
		{name: "resize", method: "PATCH", path: "/api/v2/pools/gpu", role: "Op", status: 200,
			body: map[string]any{"slots": 4}, check: func(t *testing.T, b map[string]any) { field(t, b, "slots", 4) }},
		{name: "rename", method: "PATCH", path: "/api/v2/pools/gpu", role: "Op", status: 400, body: map[string]any{"pool": "tpu"}},
		{name: "delete default_pool", method: "DELETE", path: "/api/v2/pools/default_pool", role: "Op", status: 400},
		{name: "delete a pool", method: "DELETE", path: "/api/v2/pools/gpu", role: "Op", status: 204},

		{name: "config", method: "GET", path: "/api/v2/config", role: "Op", status: 200, check: func(t *testing.T, b map[string]any) {
			if !strings.Contains(fmt.Sprint(b["sections"]), "parallelism") {
				t.Errorf("sections %v", b["sections"])
			}
		}},
		{name: "user may not read config", method: "GET", path: "/api/v2/config", role: "User", status: 403},
		{name: "config value", method: "GET", path: "/api/v2/config/section/core/option/parallelism", role: "Op", status: 200,
			check: func(t *testing.T, b map[string]any) {
				if !strings.Contains(fmt.Sprint(b["sections"]), "value:32") {
					t.Errorf("sections %v", b["sections"])
				}
			}},
		{name: "config value unknown", method: "GET", path: "/api/v2/config/section/core/option/nope", role: "Op", status: 404},
	})
	// The password is stored, only never shown.
	c, err := e.st.ConnectionList(t.Context())
	if err != nil || len(c) != 0 {
		t.Fatalf("connections after delete: %v %v", c, err)
	}
}
