package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRequestBody sends arbitrary bodies to every operation that takes one,
// as an Admin: whatever the bytes, the answer is never a 5xx and never a
// panic. The first byte picks the operation.
func FuzzRequestBody(f *testing.F) {
	for _, seed := range []string{
		`{"is_paused": true}`, `{"dag_run_id": "x", "conf": {"a": [1, 2, {"b": null}]}}`, `{"key": "k", "value": {"n": 1.5e300}}`,
		`{"connection_id": "c", "conn_type": "http", "port": 99999999999999999999}`, `{"name": "p", "slots": 1}`,
		`{"dry_run": false, "dag_run_id": "r"}`, `{"new_state": "success"}`, `[]`, `null`, `"`, `{"a":`, "\x00\xff",
		`{"logical_date": "2026-13-45T25:61:00Z"}`, `{"page_limit": -1}`, `{"states": ["running", 7]}`,
	} {
		for op := range 16 {
			f.Add(byte(op), []byte(seed))
		}
	}
	e := newEnv(f)
	var ops []*operation
	for _, op := range e.srv.spec.Operations {
		if op.Body != nil && op.Permission != permPublic {
			ops = append(ops, op)
		}
	}
	path := func(op *operation) string {
		return pathParam.ReplaceAllStringFunc(op.Path, func(p string) string {
			if p == "{dag_id}" {
				return "ml_pipeline"
			}
			return "missing"
		})
	}
	f.Fuzz(func(t *testing.T, pick byte, body []byte) {
		op := ops[int(pick)%len(ops)]
		req := httptest.NewRequest(op.Method, path(op), bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.tokens["Admin"])
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		if rec.Code >= http.StatusInternalServerError {
			t.Fatalf("%s %s with %q: %d %s", op.Method, req.URL.Path, body, rec.Code, rec.Body)
		}
	})
}
