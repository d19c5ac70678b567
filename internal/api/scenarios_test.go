package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// scenario is one request and what must come back.
type scenario struct {
	name   string
	method string
	path   string
	role   string
	body   any
	status int
	// check looks at the decoded body when set.
	check func(t *testing.T, body map[string]any)
}

func run(t *testing.T, e *env, cases []scenario) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			res := e.do(c.method, c.path, c.role, c.body)
			res.status(c.status)
			if c.check != nil {
				c.check(t, res.json())
			}
		})
	}
}

func field(t *testing.T, body map[string]any, key string, want any) {
	t.Helper()
	if got := body[key]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", key, got, want)
	}
}

// detailMentions checks an error body names what is wrong.
func detailMentions(parts ...string) func(t *testing.T, body map[string]any) {
	return func(t *testing.T, body map[string]any) {
		t.Helper()
		text := fmt.Sprint(body["detail"])
		for _, p := range parts {
			if !strings.Contains(text, p) {
				t.Errorf("detail %q does not mention %q", text, p)
			}
		}
	}
}

func ids(t *testing.T, body map[string]any, list, key string) []string {
	t.Helper()
	var out []string
	for _, item := range body[list].([]any) {
		out = append(out, fmt.Sprint(item.(map[string]any)[key]))
	}
	return out
}

func TestAuthAndPublic(t *testing.T) {
	e := newEnv(t)
	run(t, e, []scenario{
		{name: "health needs no login", method: "GET", path: "/api/v2/monitor/health", status: 200,
			check: func(t *testing.T, b map[string]any) {
				field(t, b["metadatabase"].(map[string]any), "status", "healthy")
			}},
		{name: "version needs no login", method: "GET", path: "/api/v2/version", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "version", "dev") }},
		{name: "no token", method: "GET", path: "/api/v2/dags", status: 401, check: detailMentions("Not authenticated")},
		{name: "wrong password", method: "POST", path: "/auth/token", body: map[string]any{"username": "admin", "password": "nope"},
			status: 401, check: detailMentions("Invalid username or password")},
		{name: "unknown user", method: "POST", path: "/auth/token", body: map[string]any{"username": "mallory", "password": testPassword},
			status: 401, check: detailMentions("Invalid username or password")},
		{name: "login body missing password", method: "POST", path: "/auth/token", body: map[string]any{"username": "admin"},
			status: 422},
		{name: "openapi document", method: "GET", path: "/api/v2/openapi.json", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "openapi", "3.1.0") }},
		{name: "unknown route", method: "GET", path: "/api/v2/nothing", role: "Admin", status: 404},
		{name: "wrong method", method: "PUT", path: "/api/v2/dags", role: "Admin", status: 405},
	})
	// A token signed with another key, or expired, is refused.
	t.Run("forged token", func(t *testing.T) {
		e.t = t
		other, err := New(Config{Store: e.st, Versions: e.srv.cfg.Versions, Secret: []byte(strings.Repeat("x", 32)), Now: e.srv.cfg.Now})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := other.issueToken("admin", "")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens["forged"] = tok
		e.do("GET", "/api/v2/dags", "forged", nil).status(401)
	})
	t.Run("deleted user loses access", func(t *testing.T) {
		e.t = t
		if err := e.st.UserDelete(t.Context(), "viewer"); err != nil {
			t.Fatal(err)
		}
		e.do("GET", "/api/v2/dags", "Viewer", nil).status(401)
	})
}

func TestLoginRateLimited(t *testing.T) {
	e := newEnv(t)
	e.srv.limiter = newLoginLimiter(3, 10*60e9, e.srv.cfg.Now)
	for i := range 3 {
		e.do("POST", "/auth/token", "", map[string]any{"username": "admin", "password": fmt.Sprint("guess", i)}).status(401)
	}
	res := e.do("POST", "/auth/token", "", map[string]any{"username": "admin", "password": testPassword}).status(429)
	if res.hdr.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

func TestDags(t *testing.T) {
	e := newEnv(t)
	run(t, e, []scenario{
		{name: "list", method: "GET", path: "/api/v2/dags", role: "Viewer", status: 200, check: func(t *testing.T, b map[string]any) {
			field(t, b, "total_entries", 5)
			if got := ids(t, b, "dags", "dag_id"); strings.Join(got, ",") != "daily_catchup,fan_out,flaky_retry,kubernetes_sample,ml_pipeline" {
				t.Errorf("dag ids %v", got)
			}
		}},
		{name: "page", method: "GET", path: "/api/v2/dags?limit=2&offset=1&order_by=-dag_id", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) {
				field(t, b, "total_entries", 5)
				if got := ids(t, b, "dags", "dag_id"); strings.Join(got, ",") != "kubernetes_sample,flaky_retry" {
					t.Errorf("dag ids %v", got)
				}
			}},
		{name: "tag filter", method: "GET", path: "/api/v2/dags?tags=ml&tags=seed", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 2) }},
		{name: "pattern", method: "GET", path: "/api/v2/dags?dag_id_pattern=%25CATCH%25", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "limit is capped", method: "GET", path: "/api/v2/dags?limit=100000", role: "Viewer", status: 200},
		{name: "bad limit", method: "GET", path: "/api/v2/dags?limit=ten", role: "Viewer", status: 422, check: detailMentions("limit", "integer")},
		{name: "negative offset", method: "GET", path: "/api/v2/dags?offset=-1", role: "Viewer", status: 422, check: detailMentions("offset")},
		{name: "unknown parameter", method: "GET", path: "/api/v2/dags?colour=red", role: "Viewer", status: 422, check: detailMentions("colour")},
		{name: "unknown order", method: "GET", path: "/api/v2/dags?order_by=owner_links", role: "Viewer", status: 400, check: detailMentions("owner_links")},
		{name: "get", method: "GET", path: "/api/v2/dags/ml_pipeline", role: "Viewer", status: 200, check: func(t *testing.T, b map[string]any) {
			field(t, b, "dag_id", "ml_pipeline")
			field(t, b, "is_paused", false)
		}},
		{name: "unknown dag", method: "GET", path: "/api/v2/dags/nope", role: "Viewer", status: 404, check: detailMentions("nope")},
		{name: "details", method: "GET", path: "/api/v2/dags/ml_pipeline/details", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) {
				params := b["params"].(map[string]any)
				if _, ok := params["epochs"]; !ok {
					t.Errorf("params %v lack epochs", params)
				}
				// default_args as the file writes them.
				args, _ := b["default_args"].(map[string]any)
				env, _ := args["env"].(map[string]any)
				if args["retries"] != 1.0 || args["retry_delay"] != "5s" || env["WORK_DIR"] == nil {
					t.Errorf("default_args %v", b["default_args"])
				}
			}},
		{name: "tasks", method: "GET", path: "/api/v2/dags/ml_pipeline/tasks?order_by=-task_id", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) {
				got := ids(t, b, "tasks", "task_id")
				if len(got) < 2 || got[0] < got[1] {
					t.Errorf("tasks not in descending order: %v", got)
				}
			}},
		{name: "task", method: "GET", path: "/api/v2/dags/ml_pipeline/tasks/train", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "task_id", "train") }},
		{name: "unknown task", method: "GET", path: "/api/v2/dags/ml_pipeline/tasks/nope", role: "Viewer", status: 404},
		{name: "source", method: "GET", path: "/api/v2/dagSources/ml_pipeline", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) {
				if !strings.Contains(fmt.Sprint(b["content"]), "dag_id: ml_pipeline") {
					t.Errorf("content %v", b["content"])
				}
			}},
		{name: "source of a version that is not there", method: "GET", path: "/api/v2/dagSources/ml_pipeline?version_number=99",
			role: "Viewer", status: 404},
		{name: "tags", method: "GET", path: "/api/v2/dagTags", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "tags", []any{"example", "ml", "schedule", "seed"}) }},
		{name: "import errors", method: "GET", path: "/api/v2/importErrors", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "import error", method: "GET", path: "/api/v2/importErrors/1", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "import_error_id", 1) }},
		{name: "import error unknown", method: "GET", path: "/api/v2/importErrors/99", role: "Viewer", status: 404},
		{name: "versions", method: "GET", path: "/api/v2/dags/ml_pipeline/dagVersions", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "version", method: "GET", path: "/api/v2/dags/ml_pipeline/dagVersions/1", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "version_number", 1) }},
		{name: "viewer may not pause", method: "PATCH", path: "/api/v2/dags/ml_pipeline", role: "Viewer",
			body: map[string]any{"is_paused": true}, status: 403, check: detailMentions("Viewer")},
		{name: "pause", method: "PATCH", path: "/api/v2/dags/ml_pipeline", role: "User",
			body: map[string]any{"is_paused": true}, status: 200, check: func(t *testing.T, b map[string]any) { field(t, b, "is_paused", true) }},
		{name: "pause by tag", method: "PATCH", path: "/api/v2/dags?tags=schedule", role: "User",
			body: map[string]any{"is_paused": true}, status: 200, check: func(t *testing.T, b map[string]any) {
				field(t, b, "total_entries", 1)
				field(t, b["dags"].([]any)[0].(map[string]any), "is_paused", true)
			}},
		{name: "stats", method: "GET", path: "/api/v2/dagStats?dag_ids=ml_pipeline", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "jobs", method: "GET", path: "/api/v2/jobs?job_state=running", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 0) }},
		{name: "paused filter", method: "GET", path: "/api/v2/dags?paused=true", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 2) }},
		{name: "pause with a wrong type", method: "PATCH", path: "/api/v2/dags/ml_pipeline", role: "User",
			body: map[string]any{"is_paused": "yes"}, status: 422, check: detailMentions("is_paused")},
		{name: "pause with an unknown field", method: "PATCH", path: "/api/v2/dags/ml_pipeline", role: "User",
			body: map[string]any{"is_paused": true, "owner": "me"}, status: 422, check: detailMentions("owner")},
		{name: "malformed JSON", method: "PATCH", path: "/api/v2/dags/ml_pipeline", role: "User",
			body: `{"is_paused": tru`, status: 422, check: detailMentions("JSON")},
		{name: "oversized body", method: "PATCH", path: "/api/v2/dags/ml_pipeline", role: "User",
			body: `{"is_paused": true, "x": "` + strings.Repeat("a", 2<<20) + `"}`, status: 413},
	})
}

func TestDagRuns(t *testing.T) {
	e := newEnv(t)
	const runs = "/api/v2/dags/ml_pipeline/dagRuns"
	run(t, e, []scenario{
		{name: "trigger", method: "POST", path: runs, role: "User", status: 200,
			body: map[string]any{"dag_run_id": "r1", "logical_date": "2026-02-01T00:00:00Z", "conf": map[string]any{"epochs": 5}},
			check: func(t *testing.T, b map[string]any) {
				field(t, b, "dag_run_id", "r1")
				field(t, b, "state", "queued")
				field(t, b, "run_type", "manual")
				field(t, b, "conf", map[string]any{"epochs": 5})
			}},
		{name: "trigger the same run id", method: "POST", path: runs, role: "User", status: 409,
			body: map[string]any{"dag_run_id": "r1", "logical_date": "2026-02-02T00:00:00Z"}},
		{name: "trigger with conf against the params", method: "POST", path: runs, role: "User", status: 400,
			body: map[string]any{"dag_run_id": "r2", "conf": map[string]any{"epochs": 0}}, check: detailMentions("epochs")},
		{name: "trigger with a bad date", method: "POST", path: runs, role: "User", status: 422,
			body: map[string]any{"logical_date": "yesterday"}, check: detailMentions("logical_date")},
		{name: "viewer may not trigger", method: "POST", path: runs, role: "Viewer", status: 403, body: map[string]any{}},
		{name: "trigger another", method: "POST", path: runs, role: "Op", status: 200,
			body: map[string]any{"dag_run_id": "r3", "logical_date": "2026-02-03T00:00:00Z"}},
		{name: "list", method: "GET", path: runs + "?order_by=-logical_date", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) {
				field(t, b, "total_entries", 2)
				if got := ids(t, b, "dag_runs", "dag_run_id"); strings.Join(got, ",") != "r3,r1" {
					t.Errorf("runs %v", got)
				}
			}},
		{name: "list across DAGs", method: "GET", path: "/api/v2/dags/~/dagRuns?state=queued", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 2) }},
		{name: "list with an unknown state", method: "GET", path: runs + "?state=green", role: "Viewer", status: 422,
			check: detailMentions("green")},
		{name: "list by date", method: "GET", path: runs + "?logical_date_gte=2026-02-02T00:00:00Z", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "list of an unknown DAG", method: "GET", path: "/api/v2/dags/nope/dagRuns", role: "Viewer", status: 404},
		{name: "batch", method: "POST", path: "/api/v2/dags/~/dagRuns/list", role: "Viewer", status: 200,
			body: map[string]any{"dag_ids": []string{"ml_pipeline"}, "order_by": "-id", "page_limit": 1},
			check: func(t *testing.T, b map[string]any) {
				field(t, b, "total_entries", 2)
				if got := ids(t, b, "dag_runs", "dag_run_id"); strings.Join(got, ",") != "r3" {
					t.Errorf("runs %v", got)
				}
			}},
		{name: "batch with a DAG in the path", method: "POST", path: "/api/v2/dags/ml_pipeline/dagRuns/list", role: "Viewer",
			status: 422, body: map[string]any{}},
		{name: "get", method: "GET", path: runs + "/r1", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "dag_run_id", "r1") }},
		{name: "get unknown", method: "GET", path: runs + "/nope", role: "Viewer", status: 404, check: detailMentions("nope")},
		{name: "clear dry run", method: "POST", path: runs + "/r1/clear", role: "User", status: 200, body: map[string]any{"dry_run": true},
			check: func(t *testing.T, b map[string]any) {
				if n := b["total_entries"].(float64); n < 3 {
					t.Errorf("dry run lists %v task instances", n)
				}
			}},
		{name: "mark failed", method: "PATCH", path: runs + "/r1", role: "User", status: 200, body: map[string]any{"state": "failed"},
			check: func(t *testing.T, b map[string]any) { field(t, b, "state", "failed") }},
		{name: "mark with a state that cannot be set", method: "PATCH", path: runs + "/r1", role: "User", status: 422,
			body: map[string]any{"state": "running"}},
		{name: "clear", method: "POST", path: runs + "/r1/clear", role: "User", status: 200, body: map[string]any{"dry_run": false},
			check: func(t *testing.T, b map[string]any) { field(t, b, "state", "queued") }},
		{name: "viewer may not delete", method: "DELETE", path: runs + "/r1", role: "Viewer", status: 403},
		{name: "delete", method: "DELETE", path: runs + "/r1", role: "User", status: 204},
		{name: "gone", method: "GET", path: runs + "/r1", role: "Viewer", status: 404},
	})
}

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// TestRoleMatrix sends every operation as every role and checks the role is
// refused exactly when it lacks the operation's permission, and that the
// operations of tries refuse every user. Path
// parameters name nothing that exists, so an allowed request ends in 404
// or 422 and changes nothing.
func TestRoleMatrix(t *testing.T) {
	e := newEnv(t)
	for _, op := range e.srv.spec.Operations {
		if op.Permission == permPublic {
			continue
		}
		// Every path parameter names nothing: numbers for the numeric
		// ones, "missing" for the others.
		path := pathParam.ReplaceAllStringFunc(op.Path, func(p string) string {
			if strings.Contains(p, "number") || strings.HasSuffix(p, "_id}") && strings.Contains(p, "error") {
				return "999"
			}
			return "missing"
		})
		var body any
		if op.Body != nil {
			body = map[string]any{}
		}
		for _, role := range store.Roles {
			t.Run(op.ID+"/"+role, func(t *testing.T) {
				e.t = t
				res := e.do(op.Method, path, role, body)
				if op.Permission == permTask {
					// A try's operation takes no user's token, whatever the role.
					if res.code != http.StatusUnauthorized {
						t.Errorf("%s as %s: status %d, want 401", op.ID, role, res.code)
					}
					return
				}
				want := allowed(role, op.Permission)
				if got := res.code != http.StatusForbidden; got != want {
					t.Errorf("%s as %s: status %d; allowed by %s = %v", op.ID, role, res.code, op.Permission, want)
				}
				if res.code == http.StatusUnauthorized {
					t.Errorf("%s as %s: 401", op.ID, role)
				}
			})
		}
	}
}

func TestHardening(t *testing.T) {
	e := newEnv(t)
	run(t, e, []scenario{
		{name: "run id that climbs out of the log directory", method: "POST", path: "/api/v2/dags/fan_out/dagRuns", role: "User",
			body: map[string]any{"dag_run_id": "x/../../../tmp/pwned"}, status: 422, check: detailMentions("dag_run_id")},
		{name: "run id ~", method: "POST", path: "/api/v2/dags/fan_out/dagRuns", role: "User",
			body: map[string]any{"dag_run_id": "~"}, status: 400, check: detailMentions("run id")},
		{name: "limit 0", method: "GET", path: "/api/v2/dags?limit=0", role: "Viewer", status: 422, check: detailMentions("limit")},
		{name: "pause all with limit 0", method: "PATCH", path: "/api/v2/dags?limit=0", role: "User",
			body: map[string]any{"is_paused": true}, status: 422},
		{name: "page_limit 0", method: "POST", path: "/api/v2/dags/~/dagRuns/list", role: "Viewer",
			body: map[string]any{"page_limit": 0}, status: 422},
		{name: "pattern matches inside the id", method: "GET", path: "/api/v2/dags?dag_id_pattern=catch", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "pattern ~ matches all", method: "GET", path: "/api/v2/dags?dag_id_pattern=~", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 5) }},
		{name: "tag pattern that backtracks", method: "GET", path: "/api/v2/dagTags?tag_name_pattern=" +
			strings.Repeat("%25a", 30) + "b", role: "Viewer", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 0) }},
		{name: "body that is not JSON", method: "PATCH", path: "/api/v2/dags/fan_out", role: "User", status: 415,
			body: "is_paused=true"},
	})
}

func TestLikeMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true}, {"%", "", true}, {"%", "abc", true}, {"a%", "abc", true}, {"%c", "abc", true},
		{"a_c", "abc", true}, {"a_c", "ac", false}, {"_", "é", true}, {"%b%", "abc", true}, {"%d%", "abc", false},
		{"abc", "abcd", false}, {strings.Repeat("%a", 40) + "b", strings.Repeat("a", 60), false},
	} {
		if got := likeMatch(c.pattern, c.s); got != c.want {
			t.Errorf("likeMatch(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// Failed logins lock a username whatever address they come from; the
// user's own successful logins do not count against it.
func TestLoginLimiterKeys(t *testing.T) {
	e := newEnv(t)
	e.srv.limiter = newLoginLimiter(3, 10*60e9, e.srv.cfg.Now)
	login := func(addr, password string) int {
		req := httptest.NewRequest("POST", "/auth/token", strings.NewReader(`{"username": "admin", "password": "`+password+`"}`))
		req.RemoteAddr = addr + ":1234"
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		return rec.Code
	}
	for range 2 {
		if code := login("10.0.0.1", testPassword); code != http.StatusCreated {
			t.Fatalf("login: %d", code)
		}
	}
	for i := range 3 {
		if code := login(fmt.Sprintf("10.0.1.%d", i), "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", code)
		}
	}
	if code := login("10.0.2.1", testPassword); code != http.StatusTooManyRequests {
		t.Errorf("after 3 failures from 3 addresses: %d, want 429", code)
	}
}

// finishingStore marks a run success when it is read the second time by
// id: the wait below sees it queued first, then finished.
type finishingStore struct {
	store.Store
	reads int
}

func (f *finishingStore) DagRunGetByID(ctx context.Context, id int64) (*store.DagRun, error) {
	if f.reads++; f.reads == 2 {
		if _, err := f.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: id, State: dag.DagRunSuccess}); err != nil {
			return nil, err
		}
	}
	return f.Store.DagRunGetByID(ctx, id)
}

// Waiting on a run streams its state until it finishes, then its tasks'
// results.
func TestWaitForRun(t *testing.T) {
	e := newEnv(t)
	runWithHistory(t, e)
	base := "/api/v2/dags/ml_pipeline/dagRuns/r1"
	e.srv.st = &finishingStore{Store: e.srv.st}
	res := e.do("GET", base+"/wait?interval=0.01&result=prepare&result=nope", "Viewer", nil).status(200)
	lines := strings.Split(strings.TrimSpace(string(res.body)), "\n")
	if len(lines) != 3 {
		t.Fatalf("lines: %q", lines)
	}
	var first, last map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &first)
	_ = json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	field(t, first, "state", "queued")
	field(t, last, "state", "success")
	field(t, last, "results", map[string]any{"prepare": map[string]any{"rows": 42, "password": "***"}, "nope": nil})
	e.do("GET", base+"/wait?interval=0", "Viewer", nil).status(422)
	e.do("GET", "/api/v2/dags/ml_pipeline/dagRuns/nope/wait", "Viewer", nil).status(404)
}
