package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
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
	tag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
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
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(e.body.Bytes())
}

// etagMatches reads an If-None-Match list (weak tags compare equal, as
// RFC 9110 says for this header).
func etagMatches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}
