package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
)

// The browser signs in with a session cookie instead of a bearer token: an
// HttpOnly cookie that scripts cannot read holds the same kind of JWT. A
// cookie is sent by the browser on its own, so every change made with it
// must also carry a CSRF token, which only a page of ours can know: it is
// derived from the session id with the server's secret, and handed out in
// the session's answers, never in a cookie.
const (
	sessionCookie = "updraft_session"
	csrfHeader    = "X-CSRF-Token"
)

type sessionResponse struct {
	Username    string    `json:"username"`
	Role        string    `json:"role"`
	Permissions []string  `json:"permissions"`
	CSRFToken   string    `json:"csrf_token"`
	ExpiresAt   time.Time `json:"expires_at"`
	Email       string    `json:"email"`
	FirstName   string    `json:"first_name"`
	LastName    string    `json:"last_name"`
}

// csrfToken is the CSRF token of a session (or, for a bearer token, of the
// token itself, which needs none).
func (s *Server) csrfToken(c *claims) string {
	sid := c.SessionID
	if sid == "" {
		sid = c.ID
	}
	mac := hmac.New(sha256.New, s.cfg.Secret)
	mac.Write([]byte("csrf:" + sid))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkCSRF refuses a change made with the session cookie that does not
// carry the session's CSRF token.
func (s *Server) checkCSRF(r *http.Request, p *principal) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if !p.cookie {
		return nil
	}
	if !hmac.Equal([]byte(r.Header.Get(csrfHeader)), []byte(s.csrfToken(&p.claims))) {
		return errorf(http.StatusForbidden, "CSRF token missing or invalid: send the session's csrf_token in %s", csrfHeader)
	}
	return nil
}

// setSessionCookie starts or renews a browser session for a user.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, username, sid string) (claims, error) {
	tok, c, err := s.issueToken(username, sid)
	if err != nil {
		return c, err
	}
	http.SetCookie(w, &http.Cookie{ //nolint:gosec // Secure whenever the browser came over HTTPS; see secureRequest
		Name: sessionCookie, Value: tok, Path: "/", Expires: c.ExpiresAt.Time,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secureRequest(r),
	})
	return c, nil
}

// secureRequest tells whether the browser reached us over HTTPS, directly
// or through a proxy that says so; only then is the cookie marked Secure,
// so that plain-HTTP local installs can sign in.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func (s *Server) writeSession(w http.ResponseWriter, status int, u *store.User, c *claims) {
	perms := make([]string, 0, len(rolePermissions[u.Role]))
	for p := range rolePermissions[u.Role] {
		perms = append(perms, p)
	}
	slices.Sort(perms)
	writeJSON(w, status, sessionResponse{
		Username: u.Username, Role: u.Role, Permissions: perms, CSRFToken: s.csrfToken(c),
		ExpiresAt: c.ExpiresAt.UTC(), Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
	})
}

// createSession is POST /api/v2/auth/session: the browser's sign-in.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.checkLogin(w, r, c)
	if err != nil {
		return err
	}
	cl, err := s.setSessionCookie(w, r, u.Username, randomID())
	if err != nil {
		return err
	}
	s.writeSession(w, http.StatusCreated, u, &cl)
	return nil
}

// getSession is GET /api/v2/auth/session: who is signed in. A session past
// half its lifetime is renewed here, keeping its id and so its CSRF token,
// as Airflow's UI refreshes its token.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	cl := c.principal.claims
	if c.principal.cookie && cl.SessionID != "" && cl.IssuedAt != nil &&
		s.now().Sub(cl.IssuedAt.Time) > s.cfg.TokenTTL/2 {
		renewed, err := s.setSessionCookie(w, r, c.user.Username, cl.SessionID)
		if err != nil {
			return err
		}
		cl = renewed
	}
	s.writeSession(w, http.StatusOK, c.user, &cl)
	return nil
}

// deleteSession is DELETE /api/v2/auth/session: sign out. The token itself
// stays valid until it expires (it is not kept anywhere to revoke); the
// browser forgets it.
func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{ //nolint:gosec // Secure whenever the browser came over HTTPS; see secureRequest
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secureRequest(r),
	})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
