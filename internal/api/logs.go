package api

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/logstore"
)

// logChunk is the most a log answer carries without full_content; a client
// asks again with the continuation token for more.
const logChunk = 256 << 10

// maxFullLog bounds an answer with full_content.
const maxFullLog = 64 << 20

// The continuation token is the byte offset to read from, opaque to
// clients as Airflow's is.
func encodeToken(offset int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.FormatInt(offset, 10)))
}

func decodeToken(tok string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(string(b), "offset:"), 10, 64)
	if err != nil || n < 0 || !strings.HasPrefix(string(b), "offset:") {
		return 0, false
	}
	return n, true
}

type logLine struct {
	Event string `json:"event"`
}

func (s *Server) getLog(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mapIndex := q.integer("map_index", -1, -1)
	full := q.boolean("full_content")
	var offset int64
	if q.has("token") {
		var ok bool
		if offset, ok = decodeToken(q.str("token")); !ok {
			q.fail("value_error", "not a continuation token this server gave", "token")
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	try, err := strconv.Atoi(r.PathValue("try_number"))
	if err != nil || try < 1 {
		return invalid("int_parsing", "must be a positive integer", "path", "try_number")
	}
	run, ti, err := s.taskInstance(r, mapIndex)
	if err != nil {
		return err
	}
	if try > ti.TryNumber {
		return notFound("Task `%s` of run `%s` has no try %d yet (its latest is %d)", ti.TaskID, run.RunID, try, ti.TryNumber)
	}
	key := logstore.Key{DagID: run.DagID, RunID: run.RunID, TaskID: ti.TaskID, MapIndex: mapIndex, TryNumber: try}
	limit := int64(logChunk)
	if full != nil && *full {
		// Whole, up to a bound that keeps one answer's memory in check;
		// the token says where to go on from.
		limit = maxFullLog
	}
	b, next, err := s.cfg.Logs.Read(key, offset, limit)
	if errors.Is(err, logstore.ErrNotFound) {
		// The try has not written anything yet: nothing to show, and the
		// token to ask again from the start.
		b, next, err = nil, offset, nil
	}
	if err != nil {
		return err
	}
	if int64(len(b)) == limit {
		// Cut at the last full line; the rest comes with the next chunk, so
		// a line (and a secret in it) is never split between answers.
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			next -= int64(len(b) - i - 1)
			b = b[:i+1]
		}
	}
	text := s.mask(string(b))
	if strings.Contains(r.Header.Get("Accept"), "text/plain") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Continuation-Token", encodeToken(next))
		_, _ = w.Write([]byte(text)) //nolint:gosec // served as text/plain with nosniff
		return nil
	}
	lines := []logLine{}
	for _, l := range strings.SplitAfter(text, "\n") {
		if l != "" {
			lines = append(lines, logLine{Event: strings.TrimSuffix(l, "\n")})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"content": lines, "continuation_token": encodeToken(next)})
	return nil
}
