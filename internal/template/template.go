// Package template renders task templates (command arguments, env values,
// params) written in Jinja syntax with Airflow's template variables: {{ ds }},
// {{ params.x }}, {{ var.value.x }}, {{ ti.xcom_pull(task_ids='t') }},
// {{ macros.ds_add(ds, 7) }}.
//
// The engine is gonja (github.com/nikolalohinski/gonja/v2), configured the way
// Airflow configures Jinja where it matters for commands: undefined names are
// errors (Airflow DAGs commonly use StrictUndefined, and a command run with an
// empty argument is worse than a failed render), trailing newlines are kept,
// and values print as Python's str() does (None, True, 0.1, ['a']).
//
// Times render in the location of the time.Time given in Context; pass UTC to
// get Airflow's output.
//
// Where gonja differs from Jinja and this package does not paper over it:
// None prints as "" inside {% with %}, {% filter %} and {% set %}...{% endset %}
// bodies and in string operations ('x' ~ none is "x"); the format filter takes
// Go's verbs; 1/0 is inf rather than an error. {% include %}, {% import %} and
// {% extends %} are rejected: a DAG's templates are strings, not files.
package template

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"time"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// Context is what a template can see for one task try.
type Context struct {
	DagID, TaskID, RunID string
	TryNumber            int
	MapIndex             int // -1 for a task that is not mapped, as in Airflow
	LogicalDate          time.Time
	DataIntervalStart    time.Time
	DataIntervalEnd      time.Time
	// The data interval of the DAG's previous successful run; nil when there
	// is none, and the template sees None.
	PrevDataIntervalStartSuccess *time.Time
	PrevDataIntervalEndSuccess   *time.Time
	Params                       map[string]any
	Conf                         map[string]any // dag_run.conf
	RunType                      string
	Owner                        string
	// Lookup reads Variables and XComs. It may be nil: var.* and xcom_pull
	// are then errors.
	Lookup Lookup
}

// Lookup gives templates the data that lives in the store. It is called only
// when a template uses var.* or xcom_pull, at most once per key and render.
type Lookup interface {
	// Variable returns the value of a Variable; ok is false when it does not
	// exist.
	Variable(ctx context.Context, key string) (value string, ok bool, err error)
	// XComPull returns the JSON value an XCom of the same DAG run holds; ok
	// is false when there is none.
	XComPull(ctx context.Context, taskID, key string) (value json.RawMessage, ok bool, err error)
}

// maxCached bounds the cache: a long-running process sees new DAG versions
// and so new template sources, and the old ones are never used again.
const maxCached = 4096

// Renderer renders templates, caching each source's compiled form. It is safe
// for concurrent use; the zero value is not, use NewRenderer.
type Renderer struct {
	mu    sync.RWMutex
	cache map[string]*compiled
}

type compiled struct {
	tpl  *exec.Template
	uses uint32 // bit i set: the source mentions globals[i].name
	err  error
}

// NewRenderer returns a Renderer with an empty cache.
func NewRenderer() *Renderer {
	return &Renderer{cache: make(map[string]*compiled)}
}

// Render renders src for tc. A string with no "{{", "{%" or "{#" is returned
// as is, without being parsed.
func (r *Renderer) Render(ctx context.Context, src string, tc *Context) (string, error) {
	if !isTemplate(src) {
		return src, nil
	}
	if tc == nil {
		return "", errors.New("template: nil Context")
	}
	return r.render(src, &renderState{ctx: ctx, tc: tc})
}

// RenderAll renders each of srcs with the same Context, as Airflow renders
// all fields of a task with one context: a Variable or XCom used by several
// strings is looked up once. An error names the index: "[2]: line 1: ...".
func (r *Renderer) RenderAll(ctx context.Context, srcs []string, tc *Context) ([]string, error) {
	out := make([]string, len(srcs))
	var st *renderState
	for i, src := range srcs {
		if !isTemplate(src) {
			out[i] = src
			continue
		}
		if tc == nil {
			return nil, errors.New("template: nil Context")
		}
		if st == nil {
			st = &renderState{ctx: ctx, tc: tc}
		}
		s, err := r.render(src, st)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out[i] = s
	}
	return out, nil
}

// Check reports whether src parses, without rendering it; for validating DAG
// files when they are parsed, where no Context exists. It also rejects
// unknown filters and tests. It does not cache.
func Check(src string) (err error) {
	if !isTemplate(src) {
		return nil
	}
	_, err = safeCompile(src)
	return err
}

func (r *Renderer) render(src string, st *renderState) (out string, err error) {
	c := r.compiled(src)
	if c.err != nil {
		return "", c.err
	}
	defer func() {
		// gonja works by reflection on values that come from DAG files and
		// XComs; a panic there must fail this render, not the process.
		if p := recover(); p != nil {
			out, err = "", &Error{Msg: fmt.Sprintf("internal error in template engine: %v", p)}
		}
	}()

	data := make(map[string]any, bits.OnesCount32(c.uses))
	for i, g := range globals {
		if c.uses&(1<<i) != 0 {
			data[g.name] = g.build(st)
		}
	}
	firstErr := len(st.errs)
	var b strings.Builder
	b.Grow(len(src))
	if err := c.tpl.Execute(&b, exec.NewContext(data)); err != nil {
		return "", renderError(err, st)
	}
	for _, le := range st.errs[firstErr:] {
		if le.hard {
			return "", &Error{Msg: le.msg, kind: le.kind, Err: le.err}
		}
	}
	return b.String(), nil
}

func (r *Renderer) compiled(src string) *compiled {
	r.mu.RLock()
	c := r.cache[src]
	r.mu.RUnlock()
	if c != nil {
		return c
	}
	c = &compiled{}
	c.tpl, c.err = safeCompile(src)
	if c.err == nil {
		for i, g := range globals {
			// A global can only be used by naming it, and templates cannot
			// include others: a source that does not contain the name
			// cannot use it, so it need not be built for each render.
			if strings.Contains(src, g.name) {
				c.uses |= 1 << i
			}
		}
	}
	r.mu.Lock()
	if prev := r.cache[src]; prev != nil {
		c = prev
	} else {
		if len(r.cache) >= maxCached {
			clear(r.cache)
		}
		r.cache[src] = c
	}
	r.mu.Unlock()
	return c
}

func safeCompile(src string) (tpl *exec.Template, err error) {
	defer func() {
		if p := recover(); p != nil {
			tpl, err = nil, &Error{Msg: fmt.Sprintf("internal error in template parser: %v", p), kind: ErrSyntax}
		}
	}()
	tpl, err = compile(src)
	if err != nil {
		// A typed nil would make the caller's err != nil true.
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, err
	}
	return tpl, nil
}

// isTemplate reports whether s has a Jinja delimiter. Most strings in a DAG
// file have none, and they must cost nothing.
func isTemplate(s string) bool {
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 || i+1 >= len(s) {
			return false
		}
		switch s[i+1] {
		case '{', '%', '#':
			return true
		}
		s = s[i+1:]
	}
}
