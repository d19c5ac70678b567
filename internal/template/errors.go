package template

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/parser"
)

// Sentinels for errors.Is. Every error Render, RenderAll and Check return is an
// *Error whose Unwrap yields one of these (when it applies) and the cause.
var (
	// ErrSyntax marks a template that does not parse.
	ErrSyntax = errors.New("template syntax error")
	// ErrUndefined marks a name, attribute or item the template uses that
	// does not exist.
	ErrUndefined = errors.New("undefined variable")
	// ErrVariableNotFound marks a var.value.x / var.json.x whose variable
	// does not exist.
	ErrVariableNotFound = errors.New("variable does not exist")
)

// Error is a template error. Its message is short ("line 2: undefined variable
// \"foo\"") so that callers can prefix the field it came from, e.g.
// fmt.Errorf("tasks.train.command[3]: %w", err).
type Error struct {
	Line   int // 1-based line in the template source; 0 when unknown
	Column int // 1-based column for syntax errors; 0 when unknown
	Msg    string
	kind   error
	Err    error // the engine's or the Lookup's error, may be nil
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.Msg
}

// Unwrap exposes both the sentinel (ErrSyntax, ...) and the cause, so that
// errors.Is works for either, e.g. context.Canceled from a Lookup.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// lookupError is an error produced by this package while a template runs
// (a missing variable, a failing Lookup, a bad macro argument). gonja only
// keeps the message of errors it propagates, so the render state records
// these to give the caller the typed error back.
type lookupError struct {
	msg  string
	kind error
	err  error
	// hard errors fail the render even when the template swallowed them
	// (`| default(...)`, `is defined`): a failing Lookup or a missing Lookup
	// is not the same as an absent value.
	hard bool
}

func (e *lookupError) Error() string { return e.msg }

var (
	lineRe = regexp.MustCompile(`at line (\d+)`)
	// gonja's wrappers around the failing expression, including the call to
	// finalizeName that prepare adds around every output.
	wrapperRe        = regexp.MustCompile(`(?:unable to execute template|Unable to (?:render expression|execute controlStructure|render condition|evaluation condition as boolean) at line \d+|call\(\[.*?\], map\[\]\): unable to evaluate parameters|unable to evaluate parameters): `)
	invalidCallRe    = regexp.MustCompile(`invalid call to (?:function|filter) '[^']*': (.)`)
	attrRe           = regexp.MustCompile(`^(.*): attribute '.*' not found$`)
	itemRe           = regexp.MustCompile(`^(.*): item '.*' not found$`)
	noneParentRe     = regexp.MustCompile(`^(.*): Can't use (?:Getitem|getattr) on None$`)
	unsupportedTagRe = regexp.MustCompile(`ControlStructure '(include|import|from|extends|block)' not found`)
	syntaxPosRe      = regexp.MustCompile(`\s*\(Line: -?\d+ Col: -?\d+, near "(.*)"\)$`)
	evaluateText     = "nable to evaluate "
)

// renderError turns an error of gonja's Execute into an *Error, preferring
// the innermost cause: an error of this package, then an undefined name.
func renderError(gerr error, st *renderState) *Error {
	msg := gerr.Error()
	line := 0
	// The innermost "at line N" is the closest to the failing expression
	// (control structures report the line of their opening tag).
	if m := lineRe.FindAllStringSubmatch(msg, -1); len(m) > 0 {
		line, _ = strconv.Atoi(m[len(m)-1][1])
	}
	if st != nil {
		for _, le := range st.errs {
			if strings.Contains(msg, le.msg) {
				return &Error{Line: line, Msg: le.msg, kind: le.kind, Err: le.err}
			}
		}
	}
	if name, ok := undefinedName(msg); ok {
		return &Error{Line: line, Msg: fmt.Sprintf("undefined variable %q", name), kind: ErrUndefined, Err: gerr}
	}
	// A function's own error is more useful than gonja's description of the
	// call ("call([call([ds], map[])], map[]): invalid call to ...").
	if m := invalidCallRe.FindAllStringSubmatchIndex(msg, -1); len(m) > 0 {
		last := m[len(m)-1]
		return &Error{Line: line, Msg: msg[last[2]:], Err: gerr}
	}
	return &Error{Line: line, Msg: wrapperRe.ReplaceAllString(msg, ""), Err: gerr}
}

// undefinedName recognises gonja's strict-undefined messages, which are the
// innermost (last) part of the error chain:
//
//	Unable to evaluate name "foo"
//	Unable to evaluate params.missing: attribute 'missing' not found
//	unable to evaluate params['missing']: item ''missing'' not found
//	Unable to evaluate params.nothing.x: Can't use Getitem on None
func undefinedName(msg string) (string, bool) {
	i := strings.LastIndex(msg, evaluateText)
	if i < 0 {
		return "", false
	}
	rest := msg[i+len(evaluateText):]
	if name, ok := strings.CutPrefix(rest, `name "`); ok && strings.HasSuffix(name, `"`) {
		return strings.TrimSuffix(name, `"`), true
	}
	if m := attrRe.FindStringSubmatch(rest); m != nil {
		return m[1], true
	}
	if m := itemRe.FindStringSubmatch(rest); m != nil {
		return m[1], true
	}
	// None.x is undefined in Jinja too.
	if m := noneParentRe.FindStringSubmatch(rest); m != nil {
		return m[1], true
	}
	return "", false
}

// syntaxError turns a parse error of gonja into an *Error with the line.
func syntaxError(src string, err error) *Error {
	// exec.NewTemplate wraps the parser's error with the whole source, which
	// is noise for the caller: keep the parser's error only.
	inner := err
	if u := errors.Unwrap(err); u != nil {
		inner = u
	}
	e := &Error{Msg: "syntax error: " + cleanSyntaxMessage(inner.Error()), kind: ErrSyntax, Err: inner}
	if m := unsupportedTagRe.FindStringSubmatch(inner.Error()); m != nil {
		e.Msg = fmt.Sprintf("syntax error: {%% %s %%} is not supported: templates cannot load other templates", m[1])
	}
	var se *parser.SyntaxError
	if errors.As(err, &se) && se.Line > 0 {
		e.Line, e.Column = se.Line, se.Column
		return e
	}
	// Some parser errors carry no position (e.g. "{% for %}" with no
	// arguments). The line is then found as the shortest prefix of whole
	// lines that fails with the same message.
	e.Line = locateSyntaxError(src, inner.Error())
	return e
}

func cleanSyntaxMessage(msg string) string {
	if m := syntaxPosRe.FindStringSubmatchIndex(msg); m != nil {
		near := msg[m[2]:m[3]]
		msg = msg[:m[0]]
		if near != "" {
			msg += fmt.Sprintf(" (near %q)", near)
		}
	}
	return msg
}

// maxLocateLines bounds the quadratic prefix search; templates in DAG files
// are a line or a few.
const maxLocateLines = 500

func locateSyntaxError(src, msg string) int {
	line := 1
	for i := 0; i <= len(src) && line <= maxLocateLines; i++ {
		if i < len(src) && src[i] != '\n' {
			continue
		}
		_, err := parse(src[:i])
		if err != nil {
			inner := err
			if u := errors.Unwrap(err); u != nil {
				inner = u
			}
			if inner.Error() == msg {
				return line
			}
		}
		line++
	}
	return 0
}
