package api

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/tasktoken"
)

// A running try pushes a value with its task token; nobody else can, and
// it cannot once the try is over or for another try or task.
func TestSetXCom(t *testing.T) {
	e := newEnv(t)
	run := runWithHistory(t, e) // train runs in try 1; prepare succeeded in try 2
	issue := func(task string, try int, at time.Time) string {
		t.Helper()
		tok, err := tasktoken.Issuer{Secret: e.srv.cfg.Secret, TTL: time.Hour, Now: func() time.Time { return at }}.Issue(
			executor.TryKey{DagID: "ml_pipeline", RunID: "r1", TaskID: task, MapIndex: -1, TryNumber: try})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	train := issue("train", 1, e.now)
	const xcoms = "/execution/xcoms/ml_pipeline/r1/"
	big := map[string]any{"weights": strings.Repeat("w", 100<<10), "epochs": 2}

	e.doToken("POST", xcoms+"train/return_value", train, big).status(201)
	x, err := e.st.XComGet(t.Context(), run.ID, "train", -1, "return_value")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(x.Value, &got); err != nil || got["epochs"] != 2.0 || len(got["weights"].(string)) != 100<<10 {
		t.Fatalf("stored %.80s (%v)", x.Value, err)
	}
	// Users read it through the public API as any XCom.
	b := e.do("GET", "/api/v2/dags/ml_pipeline/dagRuns/r1/taskInstances/train/xcomEntries/return_value?deserialize=true",
		"Viewer", nil).status(200).json()
	if v, _ := b["value"].(map[string]any); v["epochs"] != 2.0 {
		t.Errorf("get_xcom_entry value: %.200v", b["value"])
	}

	for _, c := range []struct {
		name, path, token string
		body              any
		status            int
		detail            string
	}{
		{"another key", xcoms + "train/metrics", train, []any{0.1, 0.2}, 201, ""},
		{"no token", xcoms + "train/return_value", "", 1, 401, "task token is required"},
		{"a user's token", xcoms + "train/return_value", e.tokens["Admin"], 1, 401, "Invalid task token"},
		{"expired", xcoms + "train/return_value", issue("train", 1, e.now.Add(-2*time.Hour)), 1, 401, "expired"},
		{"another task's path", xcoms + "prepare/return_value", train, 1, 403, "not for task prepare[-1]"},
		{"another map index", xcoms + "train/return_value?map_index=3", train, 1, 403, "not for task train[3]"},
		{"another run", "/execution/xcoms/ml_pipeline/r2/train/return_value", train, 1, 403, "of ml_pipeline/r2"},
		{"a try that is over", xcoms + "prepare/return_value", issue("prepare", 2, e.now), 1, 409, "try 2 of task prepare is not queued or running"},
		{"a later try", xcoms + "train/return_value", issue("train", 2, e.now), 1, 409, "try 2 of task train is not queued or running"},
		{"not JSON", xcoms + "train/return_value", train, "{nope", 422, "not valid JSON"},
		{"too large", xcoms + "train/return_value", train, map[string]any{"x": strings.Repeat("y", 2<<20)}, 413, "larger than"},
		{"key too long", xcoms + "train/" + strings.Repeat("k", 513), train, 1, 422, "key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			res := e.doToken("POST", c.path, c.token, c.body).status(c.status)
			if c.detail != "" && !strings.Contains(string(res.body), c.detail) {
				t.Errorf("detail lacks %q: %s", c.detail, res.body)
			}
		})
	}
	e.t = t

	// A task token opens nothing else, and a session cookie does not open
	// set_xcom.
	e.doToken("GET", "/api/v2/dags", train, nil).status(401)
	e.doToken("GET", "/api/v2/dags/ml_pipeline/dagRuns/r1/taskInstances/train/xcomEntries", train, nil).status(401)
	sess := e.do("POST", "/api/v2/auth/session", "", map[string]any{"username": "admin", "password": testPassword}).status(201)
	req := httptest.NewRequest("POST", xcoms+"train/return_value", strings.NewReader("1"))
	req.Header.Set("Content-Type", "application/json")
	for _, ck := range sess.hdr.Values("Set-Cookie") {
		req.Header.Add("Cookie", strings.SplitN(ck, ";", 2)[0])
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("set_xcom with a session cookie: %d %s", rec.Code, rec.Body)
	}
	// An unknown path under /execution/ answers in JSON, as the API does.
	if res := e.doToken("POST", "/execution/nope", train, 1).status(404); !strings.Contains(string(res.body), `"detail"`) {
		t.Errorf("unknown path: %s", res.body)
	}

	// Nothing the refused requests sent was stored.
	x, err = e.st.XComGet(t.Context(), run.ID, "train", -1, "return_value")
	if err != nil || !strings.Contains(string(x.Value), `"epochs":2`) {
		t.Errorf("train's value after the refused requests: %.80s (%v)", x.Value, err)
	}
	if x, err := e.st.XComGet(t.Context(), run.ID, "prepare", -1, "return_value"); err != nil || !strings.Contains(string(x.Value), `"rows"`) {
		t.Errorf("prepare's value after the refused requests: %v", err)
	}

	// Once the try succeeds, its token stores nothing more.
	applied, err := e.st.TaskInstanceApply(t.Context(), []*store.TaskInstanceChange{{RunPK: run.ID, TaskID: "train",
		MapIndex: -1, Try: 1, From: []dag.TaskState{dag.TaskRunning}, State: dag.TaskSuccess}})
	if err != nil || !applied[0] {
		t.Fatalf("success: %v %v", applied, err)
	}
	e.doToken("POST", xcoms+"train/return_value", train, []any{"late"}).status(409)
}
