package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/secret"
	"github.com/updraft-dev/updraft/internal/source"
	dagspec "github.com/updraft-dev/updraft/internal/spec"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/sqlite"
)

// env is a server on a real SQLite store with the example DAGs, a user per
// role, and a token for each.
type env struct {
	t      testing.TB
	srv    *Server
	st     store.Store
	raw    store.Store // under the encrypting wrapper
	tokens map[string]string
	now    time.Time
}

const testPassword = "correct horse battery"

func init() {
	// Hashes at the lowest cost: the tests check logins, not bcrypt.
	bcryptCost = bcrypt.MinCost
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with variables and connections encrypted with keys
// (in clear when nil) through the store wrapper the server uses, which
// also teaches the masker their secrets.
func newEnvWith(t testing.TB, keys *secret.Keys) *env {
	t.Helper()
	ctx := t.Context()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "updraft.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	masker := secret.NewMasker(secret.MaskerConfig{})
	st := secret.Wrap(raw, keys, masker)
	src := &source.Dir{Path: "../../examples/dags", Store: st, Parse: dagspec.Parse}
	if _, err := src.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// A file that does not parse, for the import error endpoints.
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := st.ImportErrorSet(ctx, broken, broken+":3: tasks.a.command: expected a string or a list"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv, err := New(Config{Store: st, Versions: scheduler.NewVersions(st, dagspec.Parse),
		Secret: []byte(strings.Repeat("k", 32)), Now: func() time.Time { return now }, LoginBurst: 1000,
		Logs: logstore.FileStore{Dir: t.TempDir()}, Masker: masker,
		Settings: []ConfigOption{{Key: "parallelism", Value: "32"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: srv, st: st, raw: raw, tokens: map[string]string{}, now: now}
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range store.Roles {
		name := strings.ToLower(role)
		if _, err := st.UserCreate(ctx, &store.User{Username: name, Role: role, PasswordHash: hash, Active: true, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		res := e.do("POST", "/auth/token", "", map[string]any{"username": name, "password": testPassword})
		res.status(http.StatusCreated)
		e.tokens[role] = res.json()["access_token"].(string)
	}
	return e
}

type response struct {
	t    testing.TB
	req  string
	code int
	body []byte
	hdr  http.Header
}

func (r *response) status(want int) *response {
	r.t.Helper()
	if r.code != want {
		r.t.Fatalf("%s: status %d, want %d; body %s", r.req, r.code, want, r.body)
	}
	return r
}

func (r *response) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		r.t.Fatalf("%s: body is not a JSON object: %v: %s", r.req, err, r.body)
	}
	return m
}

// do sends a request as a role ("" for none) and checks the response
// against both documents.
func (e *env) do(method, path, role string, body any) *response {
	e.t.Helper()
	token := ""
	if role != "" {
		token = e.tokens[role]
	}
	return e.doToken(method, path, token, body)
}

// doToken is do with a bearer token of any kind ("" for none).
func (e *env) doToken(method, path, token string, body any) *response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			buf, _ := json.Marshal(b)
			rd = bytes.NewReader(buf)
		}
	}
	req := httptest.NewRequest(method, path, rd)
	if b, ok := body.(string); ok && !strings.HasPrefix(strings.TrimSpace(b), "{") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	res := &response{t: e.t, req: method + " " + path, code: rec.Code, body: rec.Body.Bytes(), hdr: rec.Header()}
	e.checkDocuments(req, res)
	return res
}

// checkDocuments validates a response against our document and, for an
// operation Airflow has too, against Airflow's.
func (e *env) checkDocuments(req *http.Request, res *response) {
	e.t.Helper()
	if res.code >= 500 {
		e.t.Errorf("%s: server error %d: %s", res.req, res.code, res.body)
		return
	}
	_, pattern := e.srv.mux.Handler(req)
	var op *operation
	for _, o := range e.srv.spec.Operations {
		if o.pattern() == pattern {
			op = o
		}
	}
	if op == nil {
		return // unknown route: 404/405, checked by its own test
	}
	if len(res.body) == 0 {
		// No body (204): Airflow must declare the same status.
		if res.code < 300 && airflowDeclares(e.t, op, res.code) {
			airflowChecked.Store(op.ID, true)
		}
		return
	}
	if ct, _, _ := strings.Cut(res.hdr.Get("Content-Type"), ";"); ct != "application/json" {
		// Text, NDJSON: Airflow must answer the same type.
		if res.code < 300 && airflowDeclaresType(e.t, op, res.code, ct) {
			airflowChecked.Store(op.ID, true)
		}
		return
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(res.body))
	if err != nil {
		e.t.Errorf("%s: response is not JSON: %v", res.req, err)
		return
	}
	sch, err := e.srv.spec.responseSchema(op, res.code)
	if err != nil {
		e.t.Errorf("%s: our document: %v", res.req, err)
		return
	}
	if sch != nil {
		if err := sch.Validate(inst); err != nil {
			e.t.Errorf("%s: response %d does not match our document: %v\n%.400s", res.req, res.code, err, res.body)
		}
	}
	if res.code >= 400 {
		return // Airflow's error bodies are checked through ours: same schemas
	}
	asch, ok := airflowResponseSchema(e.t, op, res.code)
	if !ok {
		return
	}
	if err := asch.Validate(inst); err != nil {
		e.t.Errorf("%s: response %d does not match Airflow's document: %v\n%.400s", res.req, res.code, err, res.body)
	}
	airflowChecked.Store(op.ID, true)
}

var (
	airflowOnce     sync.Once
	airflowCompiler *jsonschema.Compiler
	airflowOps      map[string][2]string // operationId -> method, path
	airflowErr      error
	airflowChecked  sync.Map
	airflowJSON     []byte
)

const airflowURL = "mem:///airflow.json"

// airflowResponseSchemaOK loads Airflow's document and says whether it has
// the operation.
func airflowResponseSchemaOK(t testing.TB, op *operation) (struct{}, bool) {
	t.Helper()
	airflowResponseSchemaLoad(t)
	_, ok := airflowOps[op.ID]
	return struct{}{}, ok
}

// airflowResponseSchema compiles the schema of Airflow's response of the
// same operation id, if Airflow has it.
func airflowResponseSchema(t testing.TB, op *operation, code int) (*jsonschema.Schema, bool) {
	t.Helper()
	airflowResponseSchemaLoad(t)
	mp, ok := airflowOps[op.ID]
	if !ok {
		return nil, false
	}
	ptr := fmt.Sprintf("#/paths/%s/%s/responses/%d/content/application~1json/schema", escapePointer(mp[1]), mp[0], code)
	sch, err := airflowCompiler.Compile(airflowURL + ptr)
	if err != nil {
		t.Fatalf("Airflow's %s %d: %v", op.ID, code, err)
	}
	return sch, true
}

// airflowResponseSchemaLoad reads Airflow's document once.
func airflowResponseSchemaLoad(t testing.TB) {
	t.Helper()
	airflowOnce.Do(func() {
		raw, err := os.ReadFile("testdata/airflow-v2-openapi.yaml")
		if err != nil {
			airflowErr = err
			return
		}
		var doc any
		if airflowErr = yaml.Unmarshal(raw, &doc); airflowErr != nil {
			return
		}
		js, _ := json.Marshal(doc)
		airflowJSON = js
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			airflowErr = err
			return
		}
		airflowCompiler = jsonschema.NewCompiler()
		airflowCompiler.DefaultDraft(jsonschema.Draft2020)
		if airflowErr = airflowCompiler.AddResource(airflowURL, inst); airflowErr != nil {
			return
		}
		var root struct {
			Paths map[string]map[string]struct {
				OperationID string `json:"operationId"`
			} `json:"paths"`
		}
		airflowErr = json.Unmarshal(js, &root)
		airflowOps = map[string][2]string{}
		for p, ms := range root.Paths {
			for m, o := range ms {
				airflowOps[o.OperationID] = [2]string{m, p}
			}
		}
	})
	if airflowErr != nil {
		t.Fatalf("Airflow's document: %v", airflowErr)
	}
}

// airflowDeclaresType reports whether Airflow's document has a response
// with this status and content type for the operation.
func airflowDeclaresType(t testing.TB, op *operation, code int, contentType string) bool {
	t.Helper()
	if _, ok := airflowResponseSchemaOK(t, op); !ok {
		return false
	}
	var root struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	_ = json.Unmarshal(airflowJSON, &root)
	mp := airflowOps[op.ID]
	_, ok := root.Paths[mp[1]][mp[0]].Responses[fmt.Sprint(code)].Content[contentType]
	return ok
}

// airflowDeclares reports whether Airflow's document has a response with
// this status for the operation.
func airflowDeclares(t testing.TB, op *operation, code int) bool {
	t.Helper()
	if _, ok := airflowResponseSchemaOK(t, op); !ok {
		return false
	}
	var root struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	_ = json.Unmarshal(airflowJSON, &root)
	mp := airflowOps[op.ID]
	_, ok := root.Paths[mp[1]][mp[0]].Responses[fmt.Sprint(code)]
	return ok
}

func TestEveryOperationHasAHandler(t *testing.T) {
	// New fails when the document and the handlers differ; this pins it.
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Store: st, Versions: scheduler.NewVersions(st, dagspec.Parse), Secret: []byte(strings.Repeat("k", 32))})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.spec.Operations) < 20 {
		t.Fatalf("only %d operations read from the document", len(s.spec.Operations))
	}
}
