package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/updraft-dev/updraft/internal/httpx"
)

// etagWriter holds a GET answer back to tag it with a hash of its body.
// Pages that poll for live updates then send If-None-Match and get 304 with
// no body while nothing changed: the query still runs, but nothing is
// encoded twice nor sent, and the browser's fetch hands the page the copy it
// already has.
type etagWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (e *etagWriter) WriteHeader(status int) {
	if e.status == 0 {
		e.status = status
	}
}

func (e *etagWriter) Write(b []byte) (int, error) {
	if e.status == 0 {
		e.status = http.StatusOK
	}
	return e.body.Write(b)
}

// finish sends the answer held back, or 304 when the client has it.
func (e *etagWriter) finish(r *http.Request) {
	w := e.ResponseWriter
	if e.status == 0 {
		e.status = http.StatusOK
	}
	if e.status != http.StatusOK {
		w.WriteHeader(e.status)
		_, _ = w.Write(e.body.Bytes())
		return
	}
	sum := sha256.Sum256(e.body.Bytes())
	// Weak: the same tag for the plain and the gzipped form.
	tag := `W/"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	h := w.Header()
	h.Set("ETag", tag)
	// Answers depend on who asks, and change at any time: a browser keeps
	// them for itself only and asks again each time.
	h.Set("Cache-Control", "private, no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), tag) {
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := e.body.Bytes()
	if len(body) >= gzipMinBytes {
		h.Add("Vary", "Accept-Encoding")
		if httpx.AcceptsGzip(r) {
			var zipped bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestSpeed)
			_, _ = zw.Write(body)
			if zw.Close() == nil {
				h.Set("Content-Encoding", "gzip")
				body = zipped.Bytes()
			}
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// gzipMinBytes is the smallest answer worth compressing: below a packet,
// compressing saves nothing. The grid of 100 runs x 500 tasks shrinks from
// 580 KiB to a few dozen.
const gzipMinBytes = 1400

// etagMatches reads an If-None-Match list (weak tags compare equal, as
// RFC 9110 says for this header).
func etagMatches(header, tag string) bool {
	tag = strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}
