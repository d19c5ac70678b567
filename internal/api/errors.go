package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// httpError is an error with the status and detail the client sees, in
// Airflow's HTTPExceptionResponse shape: {"detail": "..."}.
type httpError struct {
	Status int
	Detail string
}

func (e *httpError) Error() string { return e.Detail }

func errorf(status int, format string, args ...any) error {
	return &httpError{Status: status, Detail: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error { return errorf(http.StatusNotFound, format, args...) }

func badRequest(format string, args ...any) error {
	return errorf(http.StatusBadRequest, format, args...)
}

// validationError lists what is wrong with a request's parameters or body,
// in FastAPI's HTTPValidationError shape, as Airflow returns it with 422.
type validationError struct {
	Detail []validationItem `json:"detail"`
}

type validationItem struct {
	// Loc is where: ["query", "limit"], ["path", "dag_id"], ["body", "conf"].
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

func (e *validationError) Error() string {
	if len(e.Detail) == 0 {
		return "invalid request"
	}
	return fmt.Sprintf("%v: %s", e.Detail[0].Loc, e.Detail[0].Msg)
}

// invalid is a validation error about one place.
func invalid(typ, msg string, loc ...any) error {
	return &validationError{Detail: []validationItem{{Loc: loc, Msg: msg, Type: typ}}}
}

// writeJSON writes v with a status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes err as the client should see it. Errors that are not
// the client's are logged and reported as 500 without their text, which may
// hold internals.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var he *httpError
	var ve *validationError
	switch {
	case errors.As(err, &he):
		writeJSON(w, he.Status, map[string]any{"detail": he.Detail})
	case errors.As(err, &ve):
		writeJSON(w, http.StatusUnprocessableEntity, ve)
	default:
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"detail": "internal error; the server log has the cause"})
	}
}

// schemaError turns a JSON Schema validation error into one item per
// failing place, located under root ("body").
func schemaError(err error, root string) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return invalid("value_error", err.Error(), root)
	}
	p := message.NewPrinter(language.English)
	var items []validationItem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := []any{root}
			for _, part := range e.InstanceLocation {
				loc = append(loc, part)
			}
			items = append(items, validationItem{Loc: loc, Msg: e.ErrorKind.LocalizedString(p), Type: kindName(e.ErrorKind)})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return &validationError{Detail: items}
}

// kindName names an error kind by its keyword: "required", "type", "enum"...
func kindName(k jsonschema.ErrorKind) string {
	if path := k.KeywordPath(); len(path) > 0 {
		return path[len(path)-1]
	}
	return "value_error"
}
