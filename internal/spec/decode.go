package spec

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// pos is a place in the file, 1-based.
type pos struct{ line, col int }

func posOf(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// nodeDecoder is implemented by the types whose YAML takes more than one
// shape (a string or a list, a name or a mapping). They decode through the
// decoder rather than yaml.Unmarshaler so that their parts are checked as
// strictly as the rest and every error keeps its position.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// decoder walks a yaml.Node tree into the intermediate structs. It never
// stops at the first problem: each is recorded and the walk goes on, so one
// parse reports everything wrong with a file.
type decoder struct {
	file string
	errs ErrorList
	// values and keys hold the position of every path decoded, so that the
	// checks after decoding can point at the value (or its key) they reject.
	values map[string]pos
	keys   map[string]pos
	// budget bounds the nodes visited: aliases let a small file expand to
	// billions of values.
	budget    int
	exhausted bool
	// failed holds the paths with an error and the paths that contain
	// them, so that checks after decoding skip values already reported.
	failed map[string]bool
	fields map[reflect.Type][]field
	// jsonFields holds the keys of the Kubernetes API types, by their
	// json tags.
	jsonFields map[reflect.Type][]field
	opts       Options
}

func newDecoder(file string, size int) *decoder {
	return &decoder{
		file:   file,
		values: map[string]pos{},
		keys:   map[string]pos{},
		failed: map[string]bool{},
		budget: 10_000 + 4*size,
		fields: map[reflect.Type][]field{},

		jsonFields: map[reflect.Type][]field{},
	}
}

// errorAt records an error at p; path names the field.
func (d *decoder) errorAt(p pos, path, format string, args ...any) {
	// Mark the path and every path it is inside, so reported is a lookup.
	for i := range len(path) {
		if path[i] == '.' || path[i] == '[' {
			d.failed[path[:i]] = true
		}
	}
	d.failed[path] = true
	d.refErrorAt(p, path, format, args...)
}

// refErrorAt records an error found by comparing fields once default_args
// are applied. It leaves the path unmarked: the same field comes back for
// every task, each of which may have something to say about it, and finish
// drops the errors that are the same.
func (d *decoder) refErrorAt(p pos, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: p.line, Column: p.col, Field: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errorAt(posOf(n), path, format, args...)
}

// typeError reports a value of the wrong shape.
func (d *decoder) typeError(n *yaml.Node, path, want string) {
	d.errorf(n, path, "expected %s, got %s", want, describe(n))
}

// reported tells whether an error was recorded at path or inside it.
func (d *decoder) reported(path string) bool { return d.failed[path] }

// valueAt is the position of the value at path, or of its key when the value
// was absent, or else the start of the file.
func (d *decoder) valueAt(path string) pos {
	if p, ok := d.values[path]; ok {
		return p
	}
	if p, ok := d.keys[path]; ok {
		return p
	}
	return pos{1, 1}
}

// keyAt is the position of the key of path, falling back to its value.
func (d *decoder) keyAt(path string) pos {
	if p, ok := d.keys[path]; ok {
		return p
	}
	return d.valueAt(path)
}

// deref follows an alias and charges the budget. It returns nil once the
// budget is spent, after reporting it once.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	d.budget--
	if d.budget < 0 {
		if !d.exhausted {
			d.exhausted = true
			d.errorf(n, "", "the document expands to too many values; are aliases nested too deep?")
		}
		return nil
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// decode decodes n into v. A null leaves v as it is: every field is optional
// and null reads as "not set", as it does for yaml.v3.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	d.values[path] = posOf(n)
	n = d.deref(n)
	if n == nil || isNull(n) {
		return
	}
	d.decodeValue(n, v, path)
}

func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	if v.CanAddr() {
		switch u := v.Addr().Interface().(type) {
		case nodeDecoder:
			u.decodeNode(d, n, path)
			return
		case yaml.Unmarshaler:
			if err := u.UnmarshalYAML(n); err != nil {
				d.errorf(n, path, "%s", err)
			}
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		// A value that failed to decode stays unset, so that its zero does
		// not trip a second error in the checks after decoding. A mapping
		// is kept with what did decode, so the rest of it is checked too.
		p := reflect.New(v.Type().Elem())
		before := len(d.errs)
		d.decodeValue(n, p.Elem(), path)
		if len(d.errs) == before || n.Kind == yaml.MappingNode && p.Elem().Kind() == reflect.Struct {
			v.Set(p)
		}
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.typeError(n, path, "a list")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), indexPath(path, i))
		}
		v.Set(s)
	case reflect.String:
		if !isString(n) {
			d.typeError(n, path, "a string")
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if tag(n) != "!!bool" || n.Decode(&b) != nil {
			d.typeError(n, path, "true or false")
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		var i int64
		if tag(n) != "!!int" {
			d.typeError(n, path, "an integer")
			return
		}
		if n.Decode(&i) != nil || v.OverflowInt(i) {
			d.errorf(n, path, "integer %s is out of range", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		var f float64
		if t := tag(n); (t != "!!int" && t != "!!float") || n.Decode(&f) != nil {
			d.typeError(n, path, "a number")
			return
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			d.errorf(n, path, "expected a finite number, got %s", n.Value)
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		if x := d.value(n, path); x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		// Only the types of this package reach here; a new field of an
		// unsupported kind is a programming error, caught by the tests.
		panic("spec: cannot decode into " + v.Type().String())
	}
}

// extensionPrefix starts the top-level keys the decoder ignores, as Docker
// Compose does: a place for the anchors that tasks merge (x-gpu: &gpu ...).
const extensionPrefix = "x-"

// field is a YAML key of a struct, with the index path to reach it through
// inlined structs.
type field struct {
	name     string
	index    []int
	required bool
}

// fieldsOf lists the keys of a struct type from its yaml tags. The
// jsonschema tag's "required" is the one source of required fields for both
// the decoder and the published schema.
func (d *decoder) fieldsOf(t reflect.Type) []field {
	if fs, ok := d.fields[t]; ok {
		return fs
	}
	var fs []field
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			idx := append(append([]int(nil), index...), i)
			if opts == "inline" {
				walk(sf.Type, idx)
				continue
			}
			if name == "" || name == "-" {
				continue
			}
			req := strings.Contains(","+sf.Tag.Get("jsonschema")+",", ",required,")
			fs = append(fs, field{name: name, index: idx, required: req})
		}
	}
	walk(t, nil)
	d.fields[t] = fs
	return fs
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return
	}
	fields := d.fieldsOf(v.Type())
	seen := make(map[string]bool, len(n.Content)/2)
	for _, p := range d.pairs(n, path) {
		kp := joinKey(path, p.key)
		i := indexOfField(fields, p.key)
		if i < 0 && v.Type() == reflect.TypeFor[dagFile]() && strings.HasPrefix(p.key, extensionPrefix) {
			continue
		}
		if i < 0 {
			d.errorf(p.keyNode, kp, "unknown field%s", suggest(p.key, fields))
			continue
		}
		seen[p.key] = true
		d.decode(p.value, v.FieldByIndex(fields[i].index), kp)
	}
	for _, f := range fields {
		if f.required && !seen[f.name] {
			d.errorf(n, joinKey(path, f.name), "missing required field")
		}
	}
}

func indexOfField(fields []field, name string) int {
	for i, f := range fields {
		if f.name == name {
			return i
		}
	}
	return -1
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(n.Content)/2))
	}
	for _, p := range d.pairs(n, path) {
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(p.value, e, joinKey(path, p.key))
		v.SetMapIndex(reflect.ValueOf(p.key).Convert(v.Type().Key()), e)
	}
}

// pair is one key and value of a mapping.
type pair struct {
	key     string
	keyNode *yaml.Node
	value   *yaml.Node
}

// pairs lists the entries of a mapping in file order, reporting keys that
// are not scalars and keys given twice. Merge keys (<<: *defaults) are
// expanded, their entries overridden by the mapping's own.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	out := make([]pair, 0, len(n.Content)/2)
	index := make(map[string]int, len(n.Content)/2)
	var merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && tag(k) == "!!merge" {
			merged = append(merged, d.mergePairs(v, path)...)
			continue
		}
		if k = d.deref(k); k == nil {
			return out
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "a key must be a string, got %s", describe(k))
			continue
		}
		kp := joinKey(path, k.Value)
		if j, dup := index[k.Value]; dup {
			d.errorf(k, kp, "duplicate key, first defined at line %d", out[j].keyNode.Line)
			continue
		}
		index[k.Value] = len(out)
		d.keys[kp] = posOf(k)
		out = append(out, pair{key: k.Value, keyNode: k, value: v})
	}
	for _, p := range merged {
		if _, ok := index[p.key]; ok {
			continue
		}
		index[p.key] = len(out)
		d.keys[joinKey(path, p.key)] = posOf(p.keyNode)
		out = append(out, p)
	}
	return out
}

// mergePairs expands the value of a merge key: a mapping, or a list of
// mappings of which the earlier win.
func (d *decoder) mergePairs(v *yaml.Node, path string) []pair {
	if v = d.deref(v); v == nil {
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairs(v, path)
	case yaml.SequenceNode:
		var out []pair
		seen := map[string]bool{}
		for _, c := range v.Content {
			if c = d.deref(c); c == nil {
				return out
			}
			if c.Kind != yaml.MappingNode {
				d.typeError(c, path, "a mapping to merge")
				continue
			}
			for _, p := range d.pairs(c, path) {
				if !seen[p.key] {
					seen[p.key] = true
					out = append(out, p)
				}
			}
		}
		return out
	default:
		// Other kinds are handled after the switch.
	}
	d.typeError(v, path, "a mapping or a list of mappings to merge")
	return nil
}

// value decodes a free-form value (a param's default) into the types JSON
// uses: string, bool, int64, float64, []any, map[string]any, nil.
func (d *decoder) value(n *yaml.Node, path string) any {
	d.values[path] = posOf(n)
	if n = d.deref(n); n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			out[i] = d.value(c, indexPath(path, i))
		}
		return out
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for _, p := range d.pairs(n, path) {
			out[p.key] = d.value(p.value, joinKey(path, p.key))
		}
		return out
	default:
		// Other kinds are handled after the switch.
	}
	switch tag(n) {
	case "!!null":
		return nil
	case "!!str", "!!timestamp":
		return n.Value
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return i
		}
		d.errorf(n, path, "integer %s is out of range", n.Value)
		return nil
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
		d.errorf(n, path, "expected a finite number, got %s", n.Value)
		return nil
	}
	d.typeError(n, path, "a string, number, boolean, list or mapping")
	return nil
}
