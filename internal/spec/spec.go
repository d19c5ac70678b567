// Package spec reads a YAML DAG file into the model, strictly: unknown keys,
// values of the wrong type and every semantic problem are reported together,
// each with its line and column. It also publishes the JSON Schema of the
// format, committed as schema/dag.schema.json, so editors can complete and
// check DAG files as they are written; with the YAML language server a file
// names it on its first line:
//
//	# yaml-language-server: $schema=<path or URL of dag.schema.json>
package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/updraft-dev/updraft/internal/dag"
)

// Parse reads one DAG file. filename is only used in errors and as the DAG's
// FileLoc. On failure the error is an ErrorList holding every problem found.
func Parse(filename string, src []byte) (*dag.DAG, error) {
	return ParseWith(filename, src, Options{})
}

// Options check a DAG file against the deployment it will run in.
type Options struct {
	// ResourceProfiles, when not nil, are the resource profiles the
	// Kubernetes executor has: a pod task naming another is an error.
	ResourceProfiles []string
	// DefaultExecutor runs the tasks that name no executor; "local" when
	// empty.
	DefaultExecutor string
}

// ParseWith is Parse with checks against the deployment.
func ParseWith(filename string, src []byte, opts Options) (*dag.DAG, error) {
	root, perr := parseYAML(filename, src)
	if perr != nil {
		return nil, ErrorList{perr}
	}
	d := newDecoder(filename, len(src))
	d.opts = opts
	var f dagFile
	d.decode(root, reflect.ValueOf(&f).Elem(), "")
	var g *dag.DAG
	if !d.exhausted {
		g = build(d, &f)
	}
	if len(d.errs) > 0 {
		return nil, d.finish()
	}
	return g, nil
}

// finish sorts the errors and drops repeats: a mistake inside an anchored
// block is found again wherever the block is merged.
func (d *decoder) finish() ErrorList {
	d.errs.sort()
	out := d.errs[:0]
	for i, e := range d.errs {
		if i > 0 && e.Error() == d.errs[i-1].Error() {
			continue
		}
		out = append(out, e)
	}
	return out
}

// parseYAML parses src into the node of its one document, which is a
// mapping, or returns why it cannot.
func parseYAML(filename string, src []byte) (root *yaml.Node, e *Error) {
	// A crash inside the YAML library must not take down the process that
	// parses thousands of files; it becomes this file's error.
	defer func() {
		if r := recover(); r != nil {
			root, e = nil, &Error{File: filename, Line: 1, Msg: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: filename, Line: 1, Column: 1, Msg: "empty file"}
		}
		return nil, syntaxError(filename, src, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &Error{File: filename, Line: next.Line, Column: next.Column, Msg: "a second YAML document; a file holds one DAG"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(filename, src, err)
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: filename, Line: 1, Column: 1, Msg: "empty file"}
	}
	root = doc.Content[0]
	if a := selfAlias(root); a != nil {
		return nil, &Error{File: filename, Line: a.Line, Column: a.Column, Msg: fmt.Sprintf("alias *%s is inside the anchor it refers to", a.Value)}
	}
	for root.Kind == yaml.AliasNode && root.Alias != nil {
		root = root.Alias
	}
	switch {
	case isNull(root):
		return nil, &Error{File: filename, Line: 1, Column: 1, Msg: "empty file"}
	case root.Kind != yaml.MappingNode:
		return nil, &Error{File: filename, Line: root.Line, Column: root.Column, Msg: "expected a mapping with dag_id and tasks at the top level, got " + describe(root)}
	}
	return root, nil
}

// selfAlias finds an alias inside the node its anchor names (a: &x {b: *x}).
// yaml.v3 builds such a graph without complaint, and walking it would never
// end. Each node is explored once, so this is linear even when aliases fan
// out.
func selfAlias(root *yaml.Node) *yaml.Node {
	const (
		open = 1
		done = 2
	)
	state := map[*yaml.Node]int{}
	var visit func(n *yaml.Node) *yaml.Node
	visit = func(n *yaml.Node) *yaml.Node {
		if state[n] == done {
			return nil
		}
		state[n] = open
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			if state[n.Alias] == open {
				return n
			}
			if a := visit(n.Alias); a != nil {
				return a
			}
		}
		for _, c := range n.Content {
			if a := visit(c); a != nil {
				return a
			}
		}
		state[n] = done
		return nil
	}
	return visit(root)
}
