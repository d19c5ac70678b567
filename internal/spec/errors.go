package spec

import (
	"bytes"
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is one problem in a DAG file, at the line and column where an editor
// should put the cursor.
type Error struct {
	File string
	// Line and Column are 1-based; 0 means unknown. YAML syntax errors carry
	// a line only.
	Line, Column int
	// Field is the path of the offending value, like tasks.train.retries;
	// empty for problems of the file as a whole.
	Field string
	Msg   string

	// cause is the model's error behind this one, so callers can match a
	// *dag.CycleError with errors.As.
	cause error
}

// Error formats as file:line:column: field: message, leaving out the parts
// that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.cause }

// ErrorList is every problem of one file, sorted by position.
type ErrorList []*Error

// Error prints one problem a line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find an *Error, or a cause, in the list.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// yamlLine matches the position yaml.v3 puts in its syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// parserProblems are the messages of yaml.v3's parser, as opposed to its
// scanner. The parser prints its line numbers 0-based (and none for the first
// line) where the scanner prints them 1-based.
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// syntaxError turns a yaml.v3 error ("yaml: line 3: did not find expected
// key") into an Error on that line.
func syntaxError(file string, src []byte, err error) *Error {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = msg[len(m[0]):]
	}
	e := &Error{File: file, Line: max(line, 1), Msg: "invalid YAML: " + msg}
	if slices.Contains(parserProblems, msg) {
		e.Line = line + 1
	}
	// yaml.v3 gives no position for an alias to an undefined anchor; the
	// first use of the name in the text is a good guess.
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		alias := regexp.MustCompile(`\*` + regexp.QuoteMeta(m[1]) + `(?:[\s,\]}]|$)`)
		if loc := alias.FindIndex(src); loc != nil {
			e.Line, e.Column = position(src, loc[0])
		}
	}
	return e
}

// position converts a byte offset into a line and a column counted in
// characters, as yaml.v3 counts them.
func position(src []byte, offset int) (line, col int) {
	before := src[:offset]
	start := bytes.LastIndexByte(before, '\n') + 1
	return bytes.Count(before, []byte("\n")) + 1, utf8.RuneCount(before[start:]) + 1
}
