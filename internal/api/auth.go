package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/updraft-dev/updraft/internal/store"
)

// tokenAudience is the aud claim of updraft's tokens; a token made for
// another service with the same key is refused.
const tokenAudience = "updraft"

// claims are what a token carries. The role is not among them: the user is
// read from the store on every request, so a deleted or deactivated user,
// or a changed role, takes effect at once.
type claims struct {
	jwt.RegisteredClaims
	// SessionID names a browser session across its renewals; its CSRF
	// token is derived from it. Bearer tokens have none.
	SessionID string `json:"sid,omitempty"`
}

// issueToken signs a token for a user; sid is the browser session it
// belongs to, or "" for a bearer token.
func (s *Server) issueToken(username, sid string) (string, claims, error) {
	now := s.cfg.Now()
	c := claims{RegisteredClaims: jwt.RegisteredClaims{
		Subject:   username,
		Audience:  jwt.ClaimStrings{tokenAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.TokenTTL)),
		ID:        randomID(),
	}, SessionID: sid}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS512, c).SignedString(s.cfg.Secret)
	return tok, c, err
}

func randomID() string {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return hex.EncodeToString(id)
}

// principal is who a request comes from, and how it proved it.
type principal struct {
	user   *store.User
	claims claims
	// cookie is set when the session cookie, not a bearer token, proved
	// it: such requests must also carry the session's CSRF token.
	cookie bool
}

// authenticate returns the active user a request's bearer token, or else
// its session cookie, names.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	p := &principal{}
	token := ""
	if r.Header.Get("Authorization") != "" {
		t, ok := bearerToken(r)
		if !ok {
			return nil, errorf(http.StatusUnauthorized, "Not authenticated")
		}
		token = t
	} else if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		token, p.cookie = ck.Value, true
	} else {
		return nil, errorf(http.StatusUnauthorized, "Not authenticated")
	}
	_, err := jwt.ParseWithClaims(token, &p.claims, func(*jwt.Token) (any, error) { return s.cfg.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS512.Alg()}),
		jwt.WithAudience(tokenAudience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.cfg.Now),
	)
	if err != nil {
		msg := "Invalid JWT token"
		if errors.Is(err, jwt.ErrTokenExpired) {
			msg = "Token has expired"
		}
		return nil, errorf(http.StatusUnauthorized, "%s", msg)
	}
	u, err := s.st.UserGet(r.Context(), p.claims.Subject)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Active) {
		return nil, errorf(http.StatusUnauthorized, "Invalid JWT token")
	}
	if err != nil {
		return nil, err
	}
	p.user = u
	return p, nil
}

// bearerToken is the token of an "Authorization: Bearer TOKEN" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return token, ok && strings.EqualFold(scheme, "bearer") && token != ""
}

// bcryptCost is the work factor of new password hashes. Tests lower it:
// each hash or check costs about half a second of CPU at the default.
var bcryptCost = bcrypt.DefaultCost

// dummyHash is compared against when a username is unknown, so a login
// takes as long whether or not the user exists.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("updraft-no-such-user"), bcryptCost)
	return h
})

// login checks a username and password.
func (s *Server) login(ctx context.Context, username, password string) (*store.User, error) {
	u, err := s.st.UserGet(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	hash := dummyHash()
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || u == nil || !u.Active {
		return nil, errorf(http.StatusUnauthorized, "Invalid username or password")
	}
	return u, nil
}

// HashPassword hashes a password for the store.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", errors.New("password: at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return string(h), nil
}

// loginLimiter limits login attempts per client address and per username:
// a burst, then one attempt per interval. An attempt takes from its
// address's bucket first; a failed one also from the username's, so
// spreading guesses over addresses does not help either.
type loginLimiter struct {
	mu       sync.Mutex
	burst    int
	interval time.Duration
	keys     map[string]*limiterEntry
	now      func() time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxLimiterKeys bounds the limiter's memory: past it, entries idle long
// enough to be full again go, then any.
const maxLimiterKeys = 10000

func newLoginLimiter(burst int, interval time.Duration, now func() time.Time) *loginLimiter {
	return &loginLimiter{burst: burst, interval: interval, keys: map[string]*limiterEntry{}, now: now}
}

func clientAddr(r *http.Request) string {
	addr, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return addr
}

// take takes one attempt from a key's bucket, or says how long to wait.
func (l *loginLimiter) take(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e := l.keys[key]
	if e == nil {
		if len(l.keys) >= maxLimiterKeys {
			l.evict(now)
		}
		e = &limiterEntry{lim: rate.NewLimiter(rate.Every(l.interval), l.burst)}
		l.keys[key] = e
	}
	e.seen = now
	res := e.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// wait says how long a key must wait before its next attempt, taking none.
func (l *loginLimiter) wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil {
		return 0
	}
	now := l.now()
	res := e.lim.ReserveN(now, 1)
	d := res.DelayFrom(now)
	res.CancelAt(now)
	return d
}

// evict drops the entries idle long enough to be full again, and if none
// is, half of all: under a flood of new keys memory stays bounded.
func (l *loginLimiter) evict(now time.Time) {
	full := time.Duration(l.burst) * l.interval
	for k, e := range l.keys {
		if now.Sub(e.seen) > full {
			delete(l.keys, k)
		}
	}
	for k := range l.keys {
		if len(l.keys) < maxLimiterKeys/2 {
			break
		}
		delete(l.keys, k)
	}
}

// checkLogin checks a username and password, limited per client address
// and, for failures, per username.
func (s *Server) checkLogin(w http.ResponseWriter, r *http.Request, c *call) (*store.User, error) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := c.decode(&body); err != nil {
		return nil, err
	}
	tooMany := func(wait time.Duration) error {
		secs := int(wait.Seconds()) + 1
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		return errorf(http.StatusTooManyRequests, "Too many login attempts; try again in %d s", secs)
	}
	if d := s.limiter.wait("user:" + body.Username); d > 0 {
		return nil, tooMany(d)
	}
	if ok, d := s.limiter.take("addr:" + clientAddr(r)); !ok {
		return nil, tooMany(d)
	}
	u, err := s.login(r.Context(), body.Username, body.Password)
	if err != nil {
		// Only failures count against a username, so its owner is not
		// locked out by their own logins.
		s.limiter.take("user:" + body.Username)
		return nil, err
	}
	if err := s.st.UserSetLastLogin(r.Context(), u.Username, s.now()); err != nil {
		s.log.Warn("cannot record a login", "user", u.Username, "err", err)
	}
	return u, nil
}

// createToken is POST /auth/token: a username and password for a JWT.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.checkLogin(w, r, c)
	if err != nil {
		return err
	}
	token, _, err := s.issueToken(u.Username, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"access_token": token})
	return nil
}
