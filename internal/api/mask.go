package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// mask hides registered secrets in text the API returns.
func (s *Server) mask(text string) string { return s.cfg.Masker.Mask(text) }

// redact hides secrets in a decoded JSON value: registered ones anywhere,
// and every value under a sensitive key.
func (s *Server) redact(v any) any { return s.cfg.Masker.Redact(v) }

// maskJSON redacts an encoded JSON value.
func (s *Server) maskJSON(raw json.RawMessage) json.RawMessage {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return raw
	}
	out, err := json.Marshal(s.redact(v))
	if err != nil {
		return raw
	}
	return out
}

// learnSecrets reads the variables and connections, at most every few
// seconds, so that the masker (which the store teaches as it decrypts)
// knows the secrets a log or an XCom may hold, also in a server process
// that never read them otherwise. A failure only leaves the masker as it
// was.
func (s *Server) learnSecrets(r *http.Request) {
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	if now := s.now(); now.Sub(s.secretsAt) >= secretsEvery || now.Before(s.secretsAt) {
		s.secretsAt = now
		if _, err := s.st.VariableList(r.Context()); err != nil {
			s.log.Warn("cannot read variables to mask their secrets", "err", err)
		}
		if _, err := s.st.ConnectionList(r.Context()); err != nil {
			s.log.Warn("cannot read connections to mask their secrets", "err", err)
		}
	}
}

// showsTaskOutput says whether an operation's answers may hold what tasks
// printed, returned or were rendered with: those need the masker to know
// every secret.
func showsTaskOutput(permission string) bool {
	resource, _, _ := strings.Cut(permission, ":")
	switch resource {
	case "TASK_INSTANCE", "TASK_LOG", "XCOM", "DAG_RUN":
		return true
	}
	return false
}

// secretsEvery bounds how stale the masker's secrets may be.
const secretsEvery = 5 * time.Second
