package spec

import (
	"errors"
	"slices"
	"testing"
)

// FuzzParse checks that no input panics or hangs the parser, and that its
// answer is one of a DAG or a sorted, non-empty list of positioned errors.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		for _, file := range testFiles(f, dir) {
			f.Add(readFile(f, file))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		g, err := Parse("fuzz.yaml", src)
		if err == nil {
			if g == nil || g.Graph() == nil || len(g.Graph().Order()) != len(g.Tasks) {
				t.Fatalf("Parse returned no error and an incomplete DAG")
			}
			return
		}
		if g != nil {
			t.Fatalf("Parse returned a DAG along with %v", err)
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is not a non-empty ErrorList: %#v", err)
		}
		for _, e := range list {
			if e.Line < 1 || e.Column < 0 || e.Msg == "" || e.File != "fuzz.yaml" {
				t.Fatalf("bad error %#v", e)
			}
		}
		if !slices.IsSortedFunc(list, func(a, b *Error) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		}) {
			t.Fatalf("errors not sorted:\n%v", err)
		}
	})
}
