package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
)

// query reads the query parameters of a request, checking types and names
// against the operation's declared parameters, and collects every problem
// so the client learns them all at once.
type query struct {
	r    *http.Request
	op   *operation
	errs []validationItem
}

func newQuery(r *http.Request, op *operation) *query {
	q := &query{r: r, op: op}
	// An unknown parameter is most often a typo that would silently be
	// ignored: say so.
	for name := range r.URL.Query() {
		if _, ok := op.Params["query:"+name]; !ok {
			q.fail("extra_forbidden", "unknown query parameter", name)
		}
	}
	return q
}

func (q *query) fail(typ, msg, name string) {
	q.errs = append(q.errs, validationItem{Loc: []any{"query", name}, Msg: msg, Type: typ})
}

// err returns the collected problems, or nil.
func (q *query) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	return &validationError{Detail: q.errs}
}

func (q *query) has(name string) bool { return q.r.URL.Query().Has(name) }

func (q *query) str(name string) string { return q.r.URL.Query().Get(name) }

// list returns every value of a repeated parameter; a single value holding
// commas is split too, as Airflow's clients send either form.
func (q *query) list(name string) []string {
	var out []string
	for _, v := range q.r.URL.Query()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (q *query) integer(name string, def, lo int) int {
	if !q.has(name) {
		return def
	}
	n, err := strconv.Atoi(q.str(name))
	if err != nil {
		q.fail("int_parsing", "must be an integer", name)
		return def
	}
	if n < lo {
		q.fail("greater_than_equal", fmt.Sprintf("must be at least %d", lo), name)
		return def
	}
	return n
}

func (q *query) boolean(name string) *bool {
	if !q.has(name) {
		return nil
	}
	b, err := strconv.ParseBool(q.str(name))
	if err != nil {
		q.fail("bool_parsing", "must be true or false", name)
		return nil
	}
	return &b
}

func (q *query) time(name string) *time.Time {
	if !q.has(name) {
		return nil
	}
	t, err := dag.ParseTime(q.str(name))
	if err != nil {
		q.fail("datetime_parsing", "must be an RFC 3339 date-time, e.g. 2026-01-31T00:00:00Z", name)
		return nil
	}
	return &t
}

// oneOf checks that every value is in allowed.
func (q *query) oneOf(name string, values []string, allowed ...string) {
	for _, v := range values {
		ok := false
		for _, a := range allowed {
			ok = ok || v == a
		}
		if !ok {
			q.fail("enum", fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", ")), name)
		}
	}
}

// page reads limit, offset and order_by. limit is capped at maxLimit, as
// Airflow caps it at its maximum_page_limit.
func (q *query) page(maxLimit int, defaultOrder string) (limit, offset int, orderBy string) {
	// limit 0 would mean "all" to the stores: it is refused like any
	// other value below 1.
	limit = min(q.integer("limit", 50, 1), maxLimit)
	offset = q.integer("offset", 0, 0)
	orders := q.list("order_by")
	switch len(orders) {
	case 0:
		orderBy = defaultOrder
	case 1:
		orderBy = orders[0]
	default:
		// Lists sort by one field, then by their key: say so rather than
		// ignore the others.
		q.fail("value_error", "sorting by more than one field is not supported", "order_by")
	}
	return limit, offset, orderBy
}
