package template

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// rootName is the identifier of every template: templates are strings from
// DAG files, never files themselves.
const rootName = "/template"

// finalizeName is the global that formats every {{ }} output the way Python's
// str() does (None, True, [1, 'a']). It is not a valid identifier, so a
// template cannot refer to it or shadow it.
const finalizeName = "updraft:str"

// Control structures that need other templates (include, import, extends...)
// are left out: a DAG's templates are strings, and rendering must not read
// files from wherever the process happens to run.
var allowedControlStructures = []string{
	"autoescape", "call", "do", "filter", "for", "if", "macro", "raw", "set",
	"with", "break", "continue",
}

var (
	gonjaConfig = newConfig()
	gonjaEnv    = newEnvironment()
)

func newConfig() *config.Config {
	c := config.New()
	c.StrictUndefined = true
	// Airflow renders with keep_trailing_newline; and a templated string must
	// not lose its newline when a plain one keeps it.
	c.KeepTrailingNewline = true
	return c
}

func newEnvironment() *exec.Environment {
	cs := map[string]parser.ControlStructureParser{}
	for _, name := range allowedControlStructures {
		p, ok := builtins.ControlStructures.Get(name)
		if !ok {
			panic("template: gonja has no control structure " + name)
		}
		cs[name] = p
	}

	// A copy, so that registering Airflow's filters does not change gonja's
	// package-level set for other users of gonja in the process.
	filters := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters)
	for name, fn := range dateFilters {
		if err := filters.Register(name, fn); err != nil {
			panic("template: " + err.Error())
		}
	}

	ctx := exec.EmptyContext().
		Update(builtins.GlobalFunctions).
		Update(builtins.GlobalVariables).
		Update(exec.NewContext(map[string]any{
			// Jinja's literal is lowercase none; gonja's parser knows only
			// None and nil.
			"none":       nil,
			"macros":     macros,
			finalizeName: finalize,
		}))

	return &exec.Environment{
		Context:           ctx,
		Filters:           filters,
		Tests:             builtins.Tests,
		ControlStructures: exec.NewControlStructureSet(cs),
		Methods:           builtins.Methods,
	}
}

// sourceLoader serves the one template it was made for and nothing else.
type sourceLoader struct{ src string }

var errNoLoad = errors.New("templates cannot load other templates")

func (l *sourceLoader) Read(path string) (io.Reader, error) {
	if path != rootName {
		return nil, errNoLoad
	}
	return strings.NewReader(l.src), nil
}

func (l *sourceLoader) Resolve(path string) (string, error) {
	if path != rootName {
		return "", errNoLoad
	}
	return path, nil
}

func (l *sourceLoader) Inherit(string) (loaders.Loader, error) { return l, nil }

// parse is gonja's parser, with no post-processing.
func parse(src string) (*exec.Template, error) {
	return exec.NewTemplate(rootName, gonjaConfig, &sourceLoader{src: src}, gonjaEnv)
}

// compile parses src and prepares its tree for rendering.
func compile(src string) (*exec.Template, error) {
	tpl, err := parse(src)
	if err != nil {
		return nil, syntaxError(src, err)
	}
	if err := prepare(tpl.Root()); err != nil {
		return nil, err
	}
	return tpl, nil
}

var (
	outputType   = reflect.TypeFor[*nodes.Output]()
	tokenType    = reflect.TypeFor[*tokens.Token]()
	filterType   = reflect.TypeFor[*nodes.FilterCall]()
	testCallType = reflect.TypeFor[*nodes.TestCall]()
)

// prepare walks the parsed tree once:
//
//   - every {{ expr }} becomes {{ updraft:str(expr) }}, Jinja's "finalize":
//     gonja prints None as "" and nested None as nothing, Python prints None;
//   - filters and tests that do not exist are reported now, so that Check
//     catches `{{ ds | upperr }}` when the DAG file is parsed and not when
//     the task runs.
//
// gonja's nodes are plain exported structs, but control structures are
// defined in another package and some keep their bodies in unexported fields
// (with, filter, set blocks). Those bodies are not reachable: there, gonja's
// own printing applies and None prints as an empty string.
func prepare(root *nodes.Template) (err error) {
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Pointer:
			if v.IsNil() || v.Type() == tokenType {
				return
			}
			if seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			switch v.Type() {
			case outputType:
				o := v.Interface().(*nodes.Output)
				o.Expression = finalizeCall(o.Expression)
				if o.Alternative != nil {
					o.Alternative = finalizeCall(o.Alternative)
				}
			case filterType:
				fc := v.Interface().(*nodes.FilterCall)
				if !gonjaEnv.Filters.Exists(fc.Name) && err == nil {
					err = nodeError(fc.Token, fmt.Sprintf("no filter named %q", fc.Name))
				}
			case testCallType:
				tc := v.Interface().(*nodes.TestCall)
				if !gonjaEnv.Tests.Exists(tc.Name) && err == nil {
					err = nodeError(tc.Token, fmt.Sprintf("no test named %q", tc.Name))
				}
			}
			walk(v.Elem())
		case reflect.Struct:
			t := v.Type()
			for i := range t.NumField() {
				if t.Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				walk(it.Value())
			}
		default:
			// Other kinds are handled after the switch.
		}
	}
	walk(reflect.ValueOf(root))
	return err
}

func finalizeCall(expr nodes.Expression) nodes.Expression {
	pos := expr.Position()
	return &nodes.Call{
		Location: pos,
		Func:     &nodes.Name{Name: &tokens.Token{Type: tokens.Name, Val: finalizeName, Pos: pos.Pos, Line: pos.Line, Col: pos.Col}},
		Args:     []nodes.Expression{expr},
		Kwargs:   map[string]nodes.Expression{},
	}
}

func nodeError(tok *tokens.Token, msg string) *Error {
	e := &Error{Msg: "syntax error: " + msg, kind: ErrSyntax}
	if tok != nil {
		e.Line, e.Column = tok.Line, tok.Col
	}
	return e
}

// finalize formats an output value as Python's str() would.
func finalize(va *exec.VarArgs) (any, error) {
	return pyStr(va.First().Interface()), nil
}
