package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// browser is a client that signs in with the session cookie, as the web UI
// does, and sends the CSRF token only when told to.
type browser struct {
	e      *env
	cookie *http.Cookie
	csrf   string
}

func (b *browser) do(method, path string, body any, headers ...string) *response {
	b.e.t.Helper()
	var buf []byte
	if body != nil {
		buf, _ = json.Marshal(body)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(buf))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	b.e.srv.ServeHTTP(rec, req)
	res := &response{t: b.e.t, req: method + " " + path, code: rec.Code, body: rec.Body.Bytes(), hdr: rec.Header()}
	b.e.checkDocuments(req, res)
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			b.cookie = c
			if c.MaxAge < 0 {
				b.cookie = nil
			}
		}
	}
	return res
}

func (b *browser) signIn(username string) map[string]any {
	b.e.t.Helper()
	res := b.do("POST", "/api/v2/auth/session", map[string]any{"username": username, "password": testPassword}).status(201)
	body := res.json()
	b.csrf = body["csrf_token"].(string)
	return body
}

func TestSessionCookieAndCSRF(t *testing.T) {
	e := newEnv(t)
	b := &browser{e: e}
	b.do("GET", "/api/v2/auth/session", nil).status(401)

	res := b.do("POST", "/api/v2/auth/session", map[string]any{"username": "user", "password": testPassword}).status(201)
	if b.cookie == nil || !b.cookie.HttpOnly || b.cookie.SameSite != http.SameSiteStrictMode || b.cookie.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/", b.cookie)
	}
	if b.cookie.Secure {
		t.Error("cookie marked Secure over plain HTTP: a local install could not sign in")
	}
	session := res.json()
	b.csrf = session["csrf_token"].(string)
	field(t, session, "role", "User")
	perms := fmt.Sprint(session["permissions"])
	if !strings.Contains(perms, "DAG_RUN:create") || strings.Contains(perms, "VARIABLE:read") {
		t.Errorf("User permissions %s", perms)
	}
	if strings.Contains(string(res.body), b.cookie.Value) {
		t.Error("the session token is in the body, where scripts can read it")
	}

	field(t, b.do("GET", "/api/v2/auth/session", nil).status(200).json(), "username", "user")
	b.do("GET", "/api/v2/dags", nil).status(200)

	trigger := map[string]any{"dag_run_id": "from-the-browser"}
	const runs = "/api/v2/dags/fan_out/dagRuns"
	res = b.do("POST", runs, trigger).status(403)
	detailMentions("CSRF")(t, res.json())
	b.do("POST", runs, trigger, csrfHeader, "forged").status(403)
	b.do("POST", runs, trigger, csrfHeader, b.csrf).status(200)

	// A bearer token needs no CSRF token: no browser sends it on its own.
	e.do("POST", runs, "User", map[string]any{"dag_run_id": "from-a-script"}).status(200)

	// Another user's CSRF token does not fit this session.
	other := &browser{e: e}
	other.signIn("admin")
	b.do("PATCH", "/api/v2/dags/fan_out", map[string]any{"is_paused": true}, csrfHeader, other.csrf).status(403)

	b.do("DELETE", "/api/v2/auth/session", nil).status(204)
	if b.cookie != nil {
		t.Fatal("sign-out left the cookie")
	}
	b.do("GET", "/api/v2/dags", nil).status(401)
}

func TestSessionRenewalKeepsCSRF(t *testing.T) {
	e := newEnv(t)
	now := e.now
	e.srv.cfg.Now = func() time.Time { return now }
	b := &browser{e: e}
	b.signIn("viewer")
	first := b.cookie.Value

	now = now.Add(e.srv.cfg.TokenTTL / 4)
	b.do("GET", "/api/v2/auth/session", nil).status(200)
	if b.cookie.Value != first {
		t.Error("session renewed before half its lifetime")
	}
	now = now.Add(e.srv.cfg.TokenTTL / 2)
	s := b.do("GET", "/api/v2/auth/session", nil).status(200).json()
	if b.cookie.Value == first {
		t.Fatal("session past half its lifetime not renewed")
	}
	field(t, s, "csrf_token", b.csrf)
	// The renewed session outlives the first one's expiry.
	now = now.Add(e.srv.cfg.TokenTTL / 2)
	b.do("GET", "/api/v2/auth/session", nil).status(200)
}

func TestSessionLoginLimited(t *testing.T) {
	e := newEnv(t)
	e.srv.limiter = newLoginLimiter(2, 10*time.Minute, e.srv.cfg.Now)
	b := &browser{e: e}
	for range 2 {
		b.do("POST", "/api/v2/auth/session", map[string]any{"username": "admin", "password": "guess"}).status(401)
	}
	b.do("POST", "/api/v2/auth/session", map[string]any{"username": "admin", "password": testPassword}).status(429)
	if b.cookie != nil {
		t.Error("a refused sign-in set a cookie")
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t)
	const users = "/api/v2/users"
	run(t, e, []scenario{
		{name: "list", method: "GET", path: users, role: "Admin", status: 200, check: func(t *testing.T, b map[string]any) {
			if got := ids(t, b, "users", "username"); !slices.Equal(got, []string{"admin", "op", "user", "viewer"}) {
				t.Errorf("users %v", got)
			}
			if strings.Contains(fmt.Sprint(b), "$2a$") {
				t.Error("a password hash is in the answer")
			}
		}},
		{name: "order by role descending", method: "GET", path: users + "?order_by=-role", role: "Admin", status: 200,
			check: func(t *testing.T, b map[string]any) {
				if got := ids(t, b, "users", "role"); !slices.Equal(got, []string{"Viewer", "User", "Op", "Admin"}) {
					t.Errorf("roles %v", got)
				}
			}},
		{name: "pattern", method: "GET", path: users + "?username_pattern=VIEW", role: "Admin", status: 200,
			check: func(t *testing.T, b map[string]any) { field(t, b, "total_entries", 1) }},
		{name: "op may not list", method: "GET", path: users, role: "Op", status: 403},
		{name: "create", method: "POST", path: users, role: "Admin", status: 201,
			body: map[string]any{"username": "ada", "password": "analytical-engine", "role": "Op", "email": "ada@example.com"},
			check: func(t *testing.T, b map[string]any) {
				field(t, b, "role", "Op")
				field(t, b, "active", true)
				field(t, b, "last_login", nil)
			}},
		{name: "create twice", method: "POST", path: users, role: "Admin", status: 409,
			body: map[string]any{"username": "ada", "password": "analytical-engine", "role": "Op"}, check: detailMentions("ada", "already exists")},
		{name: "short password", method: "POST", path: users, role: "Admin", status: 422,
			body: map[string]any{"username": "bob", "password": "short", "role": "Op"}, check: detailMentions("password")},
		{name: "unknown role", method: "POST", path: users, role: "Admin", status: 422,
			body: map[string]any{"username": "bob", "password": "long enough", "role": "Root"}, check: detailMentions("role")},
		{name: "username with a slash", method: "POST", path: users, role: "Admin", status: 422,
			body: map[string]any{"username": "a/b", "password": "long enough", "role": "Op"}, check: detailMentions("username")},
		{name: "demote", method: "PATCH", path: users + "/ada", role: "Admin", status: 200, body: map[string]any{"role": "Viewer"},
			check: func(t *testing.T, b map[string]any) {
				field(t, b, "role", "Viewer")
				field(t, b, "email", "ada@example.com")
			}},
		{name: "mask leaves other fields", method: "PATCH", path: users + "/ada?update_mask=email", role: "Admin", status: 200,
			body: map[string]any{"role": "Admin", "email": "lovelace@example.com"},
			check: func(t *testing.T, b map[string]any) {
				field(t, b, "role", "Viewer")
				field(t, b, "email", "lovelace@example.com")
			}},
		{name: "demote yourself", method: "PATCH", path: users + "/admin", role: "Admin", status: 400, body: map[string]any{"role": "Op"},
			check: detailMentions("your own Admin role")},
		{name: "deactivate yourself", method: "PATCH", path: users + "/admin", role: "Admin", status: 400, body: map[string]any{"active": false}},
		{name: "patch unknown", method: "PATCH", path: users + "/nobody", role: "Admin", status: 404, body: map[string]any{"role": "Op"}},
		{name: "delete yourself", method: "DELETE", path: users + "/admin", role: "Admin", status: 400},
		{name: "delete", method: "DELETE", path: users + "/ada", role: "Admin", status: 204},
		{name: "deleted", method: "GET", path: users + "/ada", role: "Admin", status: 404, check: detailMentions("ada")},
	})
	// A password changed through the API is the one that signs in.
	e.t = t
	e.do("PATCH", users+"/viewer", "Admin", map[string]any{"password": "a brand new one"}).status(200)
	e.do("POST", "/auth/token", "", map[string]any{"username": "viewer", "password": testPassword}).status(401)
	e.do("POST", "/auth/token", "", map[string]any{"username": "viewer", "password": "a brand new one"}).status(201)
	// So does deactivation: the user's token stops working at once.
	e.do("PATCH", users+"/viewer", "Admin", map[string]any{"active": false}).status(200)
	e.do("GET", "/api/v2/dags", "Viewer", nil).status(401)
}

// setRunStates triggers a run of ml_pipeline and sets its task states.
func setRunStates(t *testing.T, e *env, runID string, day int, states map[string]dag.TaskState) {
	t.Helper()
	e.do("POST", "/api/v2/dags/ml_pipeline/dagRuns", "User", map[string]any{"dag_run_id": runID,
		"logical_date": fmt.Sprintf("2026-02-%02dT00:00:00Z", day)}).status(200)
	run, err := e.st.DagRunGet(t.Context(), "ml_pipeline", runID)
	if err != nil {
		t.Fatal(err)
	}
	for task, state := range states {
		if _, err := e.st.TaskInstanceApply(t.Context(), []*store.TaskInstanceChange{
			{RunPK: run.ID, TaskID: task, MapIndex: -1, State: state, TryDelta: 1}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGrid(t *testing.T) {
	e := newEnv(t)
	setRunStates(t, e, "day3", 3, map[string]dag.TaskState{"prepare": dag.TaskSuccess, "train": dag.TaskRunning})
	setRunStates(t, e, "day1", 1, map[string]dag.TaskState{"prepare": dag.TaskFailed, "train": dag.TaskUpstreamFailed})
	setRunStates(t, e, "day2", 2, map[string]dag.TaskState{"prepare": dag.TaskSuccess})

	b := e.do("GET", "/api/v2/ui/grid/ml_pipeline", "Viewer", nil).status(200).json()
	field(t, b, "total_entries", 3)
	if got := ids(t, b, "tasks", "task_id"); !slices.Equal(got, []string{"prepare", "train", "evaluate", "report"}) {
		t.Errorf("tasks %v, want the topological order", got)
	}
	if got := ids(t, b, "dag_runs", "dag_run_id"); !slices.Equal(got, []string{"day1", "day2", "day3"}) {
		t.Errorf("runs %v, want oldest first", got)
	}
	want := map[string]string{
		"day1": "[failed upstream_failed <nil> <nil>]",
		"day2": "[success <nil> <nil> <nil>]",
		"day3": "[success running <nil> <nil>]",
	}
	for _, r := range b["dag_runs"].([]any) {
		run := r.(map[string]any)
		if got := fmt.Sprint(run["task_states"]); got != want[run["dag_run_id"].(string)] {
			t.Errorf("%s: task states %s, want %s", run["dag_run_id"], got, want[run["dag_run_id"].(string)])
		}
	}
	// A page: the two newest runs, still drawn oldest first.
	b = e.do("GET", "/api/v2/ui/grid/ml_pipeline?limit=2", "Viewer", nil).status(200).json()
	if got := ids(t, b, "dag_runs", "dag_run_id"); !slices.Equal(got, []string{"day2", "day3"}) {
		t.Errorf("first page %v", got)
	}
	b = e.do("GET", "/api/v2/ui/grid/ml_pipeline?limit=2&offset=2", "Viewer", nil).status(200).json()
	if got := ids(t, b, "dag_runs", "dag_run_id"); !slices.Equal(got, []string{"day1"}) {
		t.Errorf("second page %v", got)
	}
	run(t, e, []scenario{
		{name: "unknown dag", method: "GET", path: "/api/v2/ui/grid/nope", role: "Viewer", status: 404, check: detailMentions("nope")},
		{name: "limit too big", method: "GET", path: "/api/v2/ui/grid/ml_pipeline?limit=1001", role: "Viewer", status: 422, check: detailMentions("limit")},
		{name: "no runs", method: "GET", path: "/api/v2/ui/grid/fan_out", role: "Viewer", status: 200, check: func(t *testing.T, b map[string]any) {
			field(t, b, "total_entries", 0)
			if n := len(b["tasks"].([]any)); n != 10 {
				t.Errorf("%d tasks, want fan_out's 10", n)
			}
		}},
	})
}

func TestUIDags(t *testing.T) {
	e := newEnv(t)
	setRunStates(t, e, "old", 1, nil)
	setRunStates(t, e, "new", 2, nil)
	b := e.do("GET", "/api/v2/ui/dags?dag_runs_limit=1&dag_id_pattern=ml_", "Viewer", nil).status(200).json()
	field(t, b, "total_entries", 1)
	dagOut := b["dags"].([]any)[0].(map[string]any)
	if got := ids(t, dagOut, "latest_dag_runs", "dag_run_id"); !slices.Equal(got, []string{"new"}) {
		t.Errorf("latest runs %v, want the newest only", got)
	}
	b = e.do("GET", "/api/v2/ui/dags", "Viewer", nil).status(200).json()
	for _, d := range b["dags"].([]any) {
		d := d.(map[string]any)
		want := 0
		if d["dag_id"] == "ml_pipeline" {
			want = 2
		}
		if n := len(d["latest_dag_runs"].([]any)); n != want {
			t.Errorf("%s: %d latest runs, want %d", d["dag_id"], n, want)
		}
	}
	e.do("GET", "/api/v2/ui/dags?dag_runs_limit=26", "Viewer", nil).status(422)
}

func TestETag(t *testing.T) {
	e := newEnv(t)
	first := e.do("GET", "/api/v2/dags", "Viewer", nil).status(200)
	tag := first.hdr.Get("ETag")
	if tag == "" || first.hdr.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("headers %v: want an ETag and private, no-cache", first.hdr)
	}
	get := func(inm string) *response {
		req := httptest.NewRequest("GET", "/api/v2/dags", nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["Viewer"])
		req.Header.Set("If-None-Match", inm)
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		return &response{t: t, code: rec.Code, body: rec.Body.Bytes(), hdr: rec.Header()}
	}
	if res := get(tag); res.code != http.StatusNotModified || len(res.body) != 0 {
		t.Errorf("unchanged: status %d with %d bytes, want 304 and none", res.code, len(res.body))
	}
	if !strings.HasPrefix(tag, `W/"`) {
		t.Errorf("ETag %s is not weak, yet the gzipped and plain forms share it", tag)
	}
	if res := get(`"other", ` + strings.TrimPrefix(tag, "W/")); res.code != http.StatusNotModified {
		t.Errorf("the tag's strong form in a list: status %d, want 304 (If-None-Match compares weakly)", res.code)
	}
	e.do("PATCH", "/api/v2/dags/fan_out", "User", map[string]any{"is_paused": true}).status(200)
	res := get(tag)
	if res.code != http.StatusOK || res.hdr.Get("ETag") == tag {
		t.Errorf("changed: status %d, ETag %q; want 200 and a new tag", res.code, res.hdr.Get("ETag"))
	}
	// A big answer comes gzipped to a client that takes it.
	req := httptest.NewRequest("GET", "/api/v2/dags?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["Viewer"])
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	var page map[string]any
	if err := json.Unmarshal(plain, &page); err != nil || page["total_entries"] == nil {
		t.Errorf("gzipped body: %v %s", err, plain)
	}
	// Errors are not tagged.
	if res := e.do("GET", "/api/v2/dags/nope", "Viewer", nil).status(404); res.hdr.Get("ETag") != "" {
		t.Error("a 404 has an ETag")
	}
}
