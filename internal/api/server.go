// Package api serves updraft's REST API under /api/v2, shaped like Apache
// Airflow's public REST API v2. The OpenAPI document openapi.yaml is the
// source of truth: routes, the permission each needs and the request bodies
// it accepts are read from it at start, so a handler cannot exist without
// its entry, nor an entry without its handler.
package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/secret"
	"github.com/updraft-dev/updraft/internal/store"
)

// Config wires the API to the rest of updraft.
type Config struct {
	Store    store.Store
	Versions *scheduler.Versions
	Logs     logstore.FileStore
	Logger   *slog.Logger
	// Secret signs tokens (HS512); at least 32 bytes.
	Secret []byte
	// TokenTTL is how long a token from /auth/token is valid; 24 hours when 0.
	TokenTTL time.Duration
	// MaxBodyBytes caps a request body; 1 MiB when 0.
	MaxBodyBytes int64
	// MaxPageLimit caps limit on lists, as Airflow's maximum_page_limit; 100
	// when 0.
	MaxPageLimit int
	// LoginBurst attempts are allowed per client address and per username,
	// then one per LoginInterval; 5 and 10 s when 0.
	LoginBurst    int
	LoginInterval time.Duration
	Version       string
	Now           func() time.Time
	// Wake, when set, asks the scheduler in this process for a pass: a run
	// was triggered or cleared.
	Wake func()
	// Settings are what GET /config shows: the caller leaves secrets out.
	Settings []ConfigOption
	// Masker hides secrets in what the API returns; one with no secrets
	// registered (sensitive key names only) when nil.
	Masker *secret.Masker
}

// Server is the API's HTTP handler.
type Server struct {
	cfg     Config
	st      store.Store
	log     *slog.Logger
	spec    *spec
	mux     *http.ServeMux
	limiter *loginLimiter

	secretsMu sync.Mutex
	secretsAt time.Time // when learnSecrets last read them

	versionsMu sync.Mutex
	versions   map[int64]*store.DagVersion // by id, without source; see runVersion
}

// handler serves one operation. It returns an error to report instead of
// writing one itself.
type handler func(w http.ResponseWriter, r *http.Request, c *call) error

// call is what a handler gets besides the request.
type call struct {
	op        *operation
	user      *store.User
	principal *principal
	// try is the try a task token names, on the operations made for tries.
	try *executor.TryKey
	// body is the request body, already checked against the document.
	body []byte
}

// decode unmarshals the checked body into v.
func (c *call) decode(v any) error {
	if err := json.Unmarshal(c.body, v); err != nil {
		return invalid("json_invalid", err.Error(), "body")
	}
	return nil
}

// New builds the server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Versions == nil {
		return nil, errors.New("api: a store and DAG versions are required")
	}
	if len(cfg.Secret) < 32 {
		return nil, errors.New("api: the token secret must be at least 32 bytes")
	}
	cfg.TokenTTL = cmp.Or(cfg.TokenTTL, 24*time.Hour)
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, 1<<20)
	cfg.MaxPageLimit = cmp.Or(cfg.MaxPageLimit, 100)
	cfg.LoginBurst = cmp.Or(cfg.LoginBurst, 5)
	cfg.LoginInterval = cmp.Or(cfg.LoginInterval, 10*time.Second)
	cfg.Version = cmp.Or(cfg.Version, "dev")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Masker == nil {
		cfg.Masker = secret.NewMasker(secret.MaskerConfig{})
	}
	sp, err := loadSpec()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, st: cfg.Store, log: cfg.Logger, spec: sp, mux: http.NewServeMux(),
		limiter: newLoginLimiter(cfg.LoginBurst, cfg.LoginInterval, cfg.Now), versions: map[int64]*store.DagVersion{}}
	handlers := s.handlers()
	for _, op := range sp.Operations {
		h, ok := handlers[op.ID]
		if !ok {
			return nil, fmt.Errorf("api: operation %s has no handler", op.ID)
		}
		delete(handlers, op.ID)
		s.mux.Handle(op.pattern(), s.wrap(op, h))
	}
	for id := range handlers {
		return nil, fmt.Errorf("api: handler %s is not in the OpenAPI document", id)
	}
	s.mux.HandleFunc("GET /api/v2/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(sp.JSON)
	})
	return s, nil
}

// ServeHTTP answers unknown routes under the API with JSON, as every other
// answer is.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern == "" && (strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/auth/") ||
		strings.HasPrefix(r.URL.Path, "/execution/")) {
		// The mux answers 405 itself when the path exists for another
		// method; its body is text, so answer in JSON here.
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
			return
		}
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
		return
	}
	// The mux itself serves, so that handlers see the path's values.
	s.mux.ServeHTTP(w, r)
}

// statusRecorder keeps the status and headers of the mux's own answers.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(status int)      { r.status = status }

// wrap authenticates, authorizes and checks the body of a request before
// its handler runs, and turns the handler's error into the response.
func (s *Server) wrap(op *operation, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && !op.Streams {
			// Registered first, so it runs last: after a recovered panic
			// has written its answer.
			ew := &etagWriter{ResponseWriter: w}
			defer ew.finish(r)
			w = ew
		}
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				writeError(w, r, s.log, fmt.Errorf("panic: %v", v))
			}
		}()
		c := &call{op: op}
		if op.Permission == permTask {
			key, err := s.authenticateTask(r)
			if err != nil {
				w.Header().Set("WWW-Authenticate", "Bearer")
				writeError(w, r, s.log, err)
				return
			}
			c.try = &key
		} else if op.Permission != permPublic {
			p, err := s.authenticate(r)
			if err != nil {
				w.Header().Set("WWW-Authenticate", "Bearer")
				writeError(w, r, s.log, err)
				return
			}
			if err := s.checkCSRF(r, p); err != nil {
				writeError(w, r, s.log, err)
				return
			}
			if !allowed(p.user.Role, op.Permission) {
				writeError(w, r, s.log, errorf(http.StatusForbidden,
					"Forbidden: the %s role may not %s (needs %s)", p.user.Role, op.ID, op.Permission))
				return
			}
			c.user, c.principal = p.user, p
		}
		if showsTaskOutput(op.Permission) {
			s.learnSecrets(r)
		}
		if op.Body != nil {
			body, err := s.readBody(w, r, op)
			if err != nil {
				writeError(w, r, s.log, err)
				return
			}
			c.body = body
		}
		if err := h(w, r, c); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// readBody reads a JSON body within the size limit and checks it against
// the operation's schema.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, op *operation) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return nil, errorf(http.StatusUnsupportedMediaType, "Content-Type must be application/json, got %s", ct)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", tooBig.Limit)
	}
	if err != nil {
		return nil, badRequest("cannot read the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalid("missing", "a JSON body is required", "body")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return nil, invalid("json_invalid", "not valid JSON: "+err.Error(), "body")
	}
	if err := op.Body.Validate(inst); err != nil {
		return nil, schemaError(err, "body")
	}
	return body, nil
}

// now is the server's clock.
func (s *Server) now() time.Time { return s.cfg.Now() }
