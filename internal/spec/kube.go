package spec

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsjson "sigs.k8s.io/json"
)

// kube is a Kubernetes API object, or a list of them, written as in a
// manifest (camelCase keys) and decoded strictly into its k8s.io/api type T.
//
// The YAML is walked along T's JSON fields rather than converted to JSON and
// handed to the JSON decoder alone: that decoder stops at the first wrong
// type and knows only byte offsets, where the walk reports every mistake at
// its own line and column. The JSON decoder (the one the API server uses)
// still has the last word on the JSON the walk produces.
type kube[T any] struct {
	// value is nil when the object is absent; one written empty replaces
	// a default. A pointer keeps taskFields, copied for every task, small.
	value *T
	// written is the JSON as written, which is what a patch must be: a
	// re-encoded object would carry fields the file left out.
	written any
	// canonical is the JSON re-encoded from value, nil when value is zero,
	// so that equal objects are stored alike.
	canonical json.RawMessage
	// path is where the object was written, for the checks that combine it
	// with other fields after default_args are applied.
	path string
}

func (x *kube[T]) decodeNode(d *decoder, n *yaml.Node, path string) {
	before := len(d.errs)
	written := d.kubeValue(n, reflect.TypeFor[T](), path)
	if len(d.errs) > before {
		return
	}
	value := new(T)
	b, err := json.Marshal(written)
	if err == nil {
		err = unmarshalStrict(b, value)
	}
	var canonical json.RawMessage
	if v := reflect.ValueOf(value).Elem(); err == nil && !v.IsZero() && (v.Kind() != reflect.Slice || v.Len() > 0) {
		canonical, err = json.Marshal(value)
	}
	if err != nil {
		// Only reached if the walk and the JSON decoder disagree.
		d.errorf(n, path, "%v", err)
		return
	}
	*x = kube[T]{value: value, written: written, canonical: canonical, path: path}
}

// get returns the object, or T's zero value when it is unset.
func (x kube[T]) get() T {
	if x.value == nil {
		var zero T
		return zero
	}
	return *x.value
}

// unmarshalStrict decodes as the API server does: keys match case-sensitively
// and unknown or repeated keys are errors.
func unmarshalStrict(b []byte, v any) error {
	strict, err := sigsjson.UnmarshalStrict(b, v)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// kubeValue checks n against t as encoding/json would decode its JSON, and
// returns that JSON as a value json.Marshal takes. A null is JSON's null,
// which leaves the field unset.
func (d *decoder) kubeValue(n *yaml.Node, t reflect.Type, path string) any {
	d.values[path] = posOf(n)
	if n = d.deref(n); n == nil || isNull(n) {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return d.kubeCustom(n, t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		return d.kubeStruct(n, t, path)
	case reflect.Map:
		return d.kubeMap(n, t, path)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return d.kubeBytes(n, path)
		}
		return d.kubeList(n, t, path)
	case reflect.Interface:
		return d.value(n, path)
	default:
		return d.kubeScalar(n, t, path)
	}
}

func (d *decoder) kubeStruct(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return nil
	}
	fields := d.jsonFieldsOf(t)
	out := make(map[string]any, len(n.Content)/2)
	for _, p := range d.pairs(n, path) {
		kp := joinKey(path, p.key)
		i := indexOfField(fields, p.key)
		if i < 0 {
			d.errorf(p.keyNode, kp, "unknown field%s", suggest(p.key, fields))
			continue
		}
		out[p.key] = d.kubeValue(p.value, t.FieldByIndex(fields[i].index).Type, kp)
	}
	return out
}

func (d *decoder) kubeMap(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return nil
	}
	out := make(map[string]any, len(n.Content)/2)
	for _, p := range d.pairs(n, path) {
		out[p.key] = d.kubeValue(p.value, t.Elem(), joinKey(path, p.key))
	}
	return out
}

func (d *decoder) kubeList(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.SequenceNode {
		d.typeError(n, path, "a list")
		return nil
	}
	out := make([]any, len(n.Content))
	for i, c := range n.Content {
		out[i] = d.kubeValue(c, t.Elem(), indexPath(path, i))
	}
	return out
}

// kubeBytes checks a []byte, which JSON writes as base64.
func (d *decoder) kubeBytes(n *yaml.Node, path string) any {
	if !isString(n) {
		d.typeError(n, path, "a base64 string")
		return nil
	}
	if _, err := base64.StdEncoding.DecodeString(n.Value); err != nil {
		d.typeError(n, path, "a base64 string")
		return nil
	}
	return n.Value
}

// kubeScalar checks a string, boolean or number. Unlike the task's own
// fields, a number is not taken for a string: the API server would refuse
// it, so a manifest needs the quotes too.
func (d *decoder) kubeScalar(n *yaml.Node, t reflect.Type, path string) any {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		if isString(n) {
			return n.Value
		}
		d.typeError(n, path, "a string")
	case reflect.Bool:
		var b bool
		if tag(n) == "!!bool" && n.Decode(&b) == nil {
			return b
		}
		d.typeError(n, path, "true or false")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		switch {
		case tag(n) != "!!int":
			d.typeError(n, path, "an integer")
		case n.Decode(&i) != nil || v.OverflowInt(i):
			d.errorf(n, path, "integer %s is out of range", n.Value)
		default:
			return i
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var u uint64
		switch {
		case tag(n) != "!!int":
			d.typeError(n, path, "an integer")
		case n.Decode(&u) != nil || v.OverflowUint(u):
			d.errorf(n, path, "integer %s is out of range", n.Value)
		default:
			return u
		}
	case reflect.Float32, reflect.Float64:
		var f float64
		switch {
		case tag(n) != "!!int" && tag(n) != "!!float" || n.Decode(&f) != nil:
			d.typeError(n, path, "a number")
		case math.IsInf(f, 0) || math.IsNaN(f) || v.OverflowFloat(f):
			d.errorf(n, path, "expected a finite number, got %s", n.Value)
		default:
			return f
		}
	default:
		// No field of the pod's API types has another kind; one added by
		// a later API version is refused rather than guessed at.
		d.errorf(n, path, "fields of Go type %s cannot be set in a DAG file", t)
	}
	return nil
}

// kubeCustom checks a type that decodes its own JSON (a quantity, an
// integer or string, a time) by letting it.
func (d *decoder) kubeCustom(n *yaml.Node, t reflect.Type, path string) any {
	if t == reflect.TypeFor[resource.Quantity]() && n.Kind == yaml.ScalarNode && !quantityInRange(n.Value) {
		d.errorf(n, path, "quantity %s is out of range", n.Value)
		return nil
	}
	before := len(d.errs)
	v := d.value(n, path)
	if len(d.errs) > before {
		return nil
	}
	b, err := json.Marshal(v)
	if err == nil {
		err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(b)
	}
	if err != nil {
		d.typeError(n, path, customWant(t))
		return nil
	}
	return v
}

// customWant says what a type that decodes itself accepts.
func customWant(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[resource.Quantity]():
		return "a quantity like 500m or 1Gi"
	case reflect.TypeFor[intstr.IntOrString]():
		return "an integer or a string"
	case reflect.TypeFor[metav1.Time](), reflect.TypeFor[metav1.MicroTime]():
		return "an RFC 3339 time"
	case reflect.TypeFor[metav1.Duration]():
		return "a duration like 30s"
	default:
		return "a " + t.Name()
	}
}

// jsonFieldsOf lists the JSON keys of a struct as encoding/json finds them:
// a field's json tag, else its name; an embedded struct without a name
// (",inline") lends its fields, which lose to a shallower field of the same
// name.
func (d *decoder) jsonFieldsOf(t reflect.Type) []field {
	if fs, ok := d.jsonFields[t]; ok {
		return fs
	}
	var fs []field
	depth := map[string]int{}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			idx := append(append([]int(nil), index...), i)
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			switch {
			case name == "-" || !sf.IsExported() && !sf.Anonymous:
				continue
			case sf.Anonymous && name == "" && et.Kind() == reflect.Struct:
				walk(et, idx)
				continue
			case !sf.IsExported():
				continue
			case name == "":
				name = sf.Name
			}
			if j, ok := depth[name]; ok && j <= len(idx) {
				continue
			}
			if k := indexOfField(fs, name); k >= 0 {
				fs = append(fs[:k], fs[k+1:]...)
			}
			depth[name] = len(idx)
			fs = append(fs, field{name: name, index: idx})
		}
	}
	walk(t, nil)
	d.jsonFields[t] = fs
	return fs
}
