// Package httpx holds what the API and the web UI's file server share about
// HTTP.
package httpx

import (
	"net/http"
	"strings"
)

// AcceptsGzip tells whether a request's Accept-Encoding takes gzip (and
// does not refuse it with q=0).
func AcceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
