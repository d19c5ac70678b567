package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func testHandler(t *testing.T) *Handler {
	t.Helper()
	js := strings.Repeat("console.log('updraft');\n", 200)
	h, err := newHandler(fstest.MapFS{
		"dist/index.html":           {Data: []byte(`<!doctype html><div id="root"></div><script type="module" src="/assets/index-abc.js"></script>`)},
		"dist/assets/index-abc.js":  {Data: []byte(js)},
		"dist/favicon.svg":          {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		"dist/assets/logo-123.woff": {Data: []byte{0, 1, 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(h http.Handler, path string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAppRoutesServeIndex(t *testing.T) {
	h := testHandler(t)
	for _, p := range []string{"/", "/dags", "/dags/fan_out/runs/manual__2026/tasks/start", "/login"} {
		rec := get(h, p)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `id="root"`) {
			t.Errorf("%s: %d %q, want index.html", p, rec.Code, rec.Body.String())
		}
		if rec.Header().Get("Content-Security-Policy") == "" || rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: headers %v", p, rec.Header())
		}
	}
}

func TestAssets(t *testing.T) {
	h := testHandler(t)
	rec := get(h, "/assets/index-abc.js")
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("asset: %d %v", rec.Code, rec.Header())
	}
	plain := rec.Body.String()

	rec = get(h, "/assets/index-abc.js", "Accept-Encoding", "br, gzip")
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if string(unzipped) != plain || rec.Body.Len() >= len(plain) {
		t.Errorf("gzip body: %d bytes unzipping to %d; plain %d", rec.Body.Len(), len(unzipped), len(plain))
	}
	if rec := get(h, "/assets/index-abc.js", "Accept-Encoding", "gzip;q=0"); rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that refused it")
	}

	etag := rec.Header().Get("ETag")
	if rec := get(h, "/assets/index-abc.js", "If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", rec.Code)
	}
	if rec := get(h, "/favicon.svg"); rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("favicon: %d %v", rec.Code, rec.Header())
	}
}

func TestMissingFilesAre404(t *testing.T) {
	h := testHandler(t)
	for _, p := range []string{"/assets/gone-999.js", "/robots.txt"} {
		if rec := get(h, p); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
	// A run's page is a page of the app, though its id has dots in it.
	for _, p := range []string{"/dags/etl/runs/manual__2026-11-23T18:27:59.892535+00:00",
		"/dags/etl/runs/manual__2026-11-23T18:27:59.892535+00:00/tasks/load"} {
		if rec := get(h, p); rec.Code != 200 || !strings.Contains(rec.Body.String(), `<div id="root">`) {
			t.Errorf("%s: %d, want the app's page", p, rec.Code)
		}
	}
	req := httptest.NewRequest("POST", "/dags", bytes.NewReader(nil))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", rec.Code)
	}
}

func TestEmbeddedBundle(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	rec := get(h, "/")
	if !strings.Contains(rec.Body.String(), "/assets/") {
		t.Fatalf("embedded index.html loads no asset: %s", rec.Body.String())
	}
	// Every asset index.html names is in the bundle.
	for _, part := range strings.Split(rec.Body.String(), `"`)[1:] {
		if strings.HasPrefix(part, "/assets/") {
			if rec := get(h, part); rec.Code != 200 {
				t.Errorf("%s: %d", part, rec.Code)
			}
		}
	}
}
