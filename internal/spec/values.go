package spec

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"
)

// duration is a Go duration string (30s, 5m, 1h30m) or a number of seconds,
// as Airflow's timedelta fields are often written.
type duration time.Duration

func (x *duration) UnmarshalYAML(n *yaml.Node) error {
	const want = "expected a duration like 30s, 5m or 1h30m, or a number of seconds"
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s, got %s", want, describe(n))
	}
	var v time.Duration
	switch tag(n) {
	case "!!int":
		var s int64
		if err := n.Decode(&s); err != nil || s > math.MaxInt64/int64(time.Second) || s < math.MinInt64/int64(time.Second) {
			return fmt.Errorf("duration %s is out of range", n.Value)
		}
		v = time.Duration(s) * time.Second
	case "!!str":
		var err error
		if v, err = time.ParseDuration(n.Value); err != nil {
			return fmt.Errorf("invalid duration %q: use a duration like 30s, 5m or 1h30m, or a number of seconds", n.Value)
		}
	default:
		return fmt.Errorf("%s, got %s", want, describe(n))
	}
	if v < 0 {
		return fmt.Errorf("duration %s is negative", n.Value)
	}
	*x = duration(v)
	return nil
}

// date is a start or end date. A date without an offset is "floating": it
// is read in the DAG's timezone, which is only known once the whole file is
// decoded.
type date struct {
	t        time.Time
	floating bool
}

var (
	floatingLayouts = []string{"2006-01-02", "2006-01-02T15:04:05.999999999"}
	offsetLayouts   = []string{time.RFC3339Nano}
)

func (x *date) UnmarshalYAML(n *yaml.Node) error {
	if !isString(n) {
		return fmt.Errorf("expected a date like 2026-01-01 or 2026-01-01T03:00:00Z, got %s", describe(n))
	}
	s := n.Value
	// YAML allows a space between date and time; RFC 3339 wants a T.
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range offsetLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			*x = date{t: t}
			return nil
		}
	}
	for _, layout := range floatingLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			*x = date{t: t, floating: true}
			return nil
		}
	}
	return fmt.Errorf("invalid date %q: use a date like 2026-01-01 or an RFC 3339 time like 2026-01-01T03:00:00Z", n.Value)
}

// in returns the date as an instant, reading a floating date in loc.
func (x date) in(loc *time.Location) time.Time {
	if !x.floating {
		return x.t
	}
	t := x.t
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

// text is a string that may be written as any scalar; see isText.
type text string

func (x *text) UnmarshalYAML(n *yaml.Node) error {
	if !isText(n) {
		return fmt.Errorf("expected a string, got %s", describe(n))
	}
	*x = text(n.Value)
	return nil
}

// stringList is one string or a list of them: depends_on: prepare and
// depends_on: [prepare] mean the same.
type stringList []string

func (x *stringList) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.SequenceNode {
		var l []string
		d.decodeValue(n, reflect.ValueOf(&l).Elem(), path)
		*x = l
		return
	}
	if !isString(n) {
		d.typeError(n, path, "a string or a list of strings")
		return
	}
	d.values[indexPath(path, 0)] = posOf(n)
	*x = stringList{n.Value}
}

// command is an argv list or a shell string.
type command struct {
	argv  []string
	shell string
}

func (x *command) decodeNode(d *decoder, n *yaml.Node, path string) {
	switch {
	case n.Kind == yaml.SequenceNode:
		var argv []text
		d.decodeValue(n, reflect.ValueOf(&argv).Elem(), path)
		if len(n.Content) == 0 {
			d.errorf(n, path, "empty command; leave command out for a task that runs nothing")
			return
		}
		x.argv = make([]string, len(argv))
		for i, a := range argv {
			x.argv[i] = string(a)
		}
	case isString(n):
		if n.Value == "" {
			d.errorf(n, path, "empty command; leave command out for a task that runs nothing")
			return
		}
		x.shell = n.Value
	default:
		d.typeError(n, path, "a list of arguments or a shell command string")
	}
}

// resources is a profile name or explicit requests and limits.
type resources struct {
	profile string
	spec    resourceSpec
}

func (x *resources) decodeNode(d *decoder, n *yaml.Node, path string) {
	switch {
	case n.Kind == yaml.MappingNode:
		d.decodeValue(n, reflect.ValueOf(&x.spec).Elem(), path)
	case isString(n):
		x.profile = n.Value
	default:
		d.typeError(n, path, "a resource profile name or a mapping with requests and limits")
	}
}

// orderedMap is a mapping whose order matters: tasks, params, env.
type orderedMap[V any] []entry[V]

type entry[V any] struct {
	key   string
	value V
}

func (m *orderedMap[V]) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return
	}
	for _, p := range d.pairs(n, path) {
		e := entry[V]{key: p.key}
		d.decode(p.value, reflect.ValueOf(&e.value).Elem(), joinKey(path, p.key))
		*m = append(*m, e)
	}
}

// param is the short form of a param, its default alone, or the long form.
// A mapping is always the long form, so that a misspelt key is caught; an
// object default is written {default: {...}}.
type param struct {
	spec  paramSpec
	short bool
}

func (x *param) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.MappingNode {
		d.decodeValue(n, reflect.ValueOf(&x.spec).Elem(), path)
		return
	}
	x.short = true
	x.spec.Default = d.value(n, path)
}
