// Package ui serves the web app: the bundle Vite builds from web/ into
// dist/, embedded so that the binary needs nothing beside it. The bundle is
// committed; `make web` rebuilds it and CI checks it matches its source.
package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/httpx"
)

//go:embed all:dist
var dist embed.FS

// file is one file of the bundle, kept in memory with its gzip form.
type file struct {
	body, gz    []byte
	contentType string
	etag        string
}

// Handler serves the app: files of the bundle as they are, and
// index.html for every other path, where the app's router takes over.
type Handler struct {
	files map[string]*file
	index *file
}

// New reads the embedded bundle.
func New() (*Handler, error) {
	return newHandler(dist)
}

func newHandler(fsys fs.FS) (*Handler, error) {
	root, err := fs.Sub(fsys, "dist")
	if err != nil {
		return nil, err
	}
	h := &Handler{files: map[string]*file{}}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		f := &file{body: body, contentType: mime.TypeByExtension(path.Ext(name))}
		if f.contentType == "" {
			f.contentType = http.DetectContentType(body)
		}
		sum := sha256.Sum256(body)
		f.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
		if compressible(f.contentType) && len(body) > 1024 {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = zw.Write(body)
			_ = zw.Close()
			f.gz = buf.Bytes()
		}
		h.files["/"+name] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	if h.index = h.files["/index.html"]; h.index == nil {
		return nil, fmt.Errorf("ui: the bundle has no index.html (run make web)")
	}
	return h, nil
}

func compressible(contentType string) bool {
	for _, p := range []string{"text/", "application/javascript", "application/json", "image/svg"} {
		if strings.HasPrefix(contentType, p) {
			return true
		}
	}
	return false
}

// contentSecurityPolicy lets the page load only its own scripts and talk
// only to its own server; React sets styles through the DOM, which the
// policy allows, and the bundle has no inline script.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, ok := h.files[r.URL.Path]
	hdr := w.Header()
	switch {
	case ok && strings.HasPrefix(r.URL.Path, "/assets/"):
		// Vite names assets by their content: a name never changes meaning.
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	case ok:
		hdr.Set("Cache-Control", "no-cache")
	case strings.HasPrefix(r.URL.Path, "/assets/") || (strings.Count(r.URL.Path, "/") == 1 && path.Ext(r.URL.Path) != ""):
		// A missing file (an asset, or a top-level /robots.txt) is not a
		// page of the app. Deeper paths are: a run id has dots in it.
		http.NotFound(w, r)
		return
	default:
		f = h.index
		hdr.Set("Cache-Control", "no-cache")
	}
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("ETag", f.etag)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	if f == h.index {
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("X-Frame-Options", "DENY")
	}
	body := f.body
	if f.gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if httpx.AcceptsGzip(r) {
			hdr.Set("Content-Encoding", "gzip")
			body = f.gz
		}
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
