package template

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ncruces/go-strftime"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// dateTime is what logical_date, data_interval_start and friends are: it
// prints as Airflow's pendulum datetimes do (ISO 8601 with a numeric offset)
// and has the attributes and methods templates commonly use on them.
type dateTime struct{ t time.Time }

func newDateTime(t time.Time) *dateTime { return &dateTime{t: t} }

// String is pendulum's str(): isoformat with a "T".
func (d *dateTime) String() string { return isoformat(d.t) }

// Int makes comparisons work: gonja orders values it does not know by their
// Integer(), which asks for Int(). Microseconds since the epoch, Python's
// precision, cover any year a DAG can have.
func (d *dateTime) Int() int { return int(d.t.UnixMicro()) }

func (d *dateTime) GetAttribute(name string) (*exec.Value, bool) {
	t := d.t
	switch name {
	case "year":
		return exec.AsValue(t.Year()), true
	case "month":
		return exec.AsValue(int(t.Month())), true
	case "day":
		return exec.AsValue(t.Day()), true
	case "hour":
		return exec.AsValue(t.Hour()), true
	case "minute":
		return exec.AsValue(t.Minute()), true
	case "second":
		return exec.AsValue(t.Second()), true
	case "microsecond":
		return exec.AsValue(t.Nanosecond() / 1000), true
	case "strftime":
		return exec.AsValue(func(va *exec.VarArgs) (any, error) {
			args, err := bindArgs("strftime", va, []string{"format"}, 1)
			if err != nil {
				return nil, err
			}
			format, err := stringArg("strftime", "format", args[0])
			if err != nil {
				return nil, err
			}
			return strftime.Format(format, t), nil
		}), true
	case "isoformat":
		return noArgs("isoformat", func() any { return isoformat(t) }), true
	case "timestamp":
		return noArgs("timestamp", func() any { return float64(t.UnixNano()) / 1e9 }), true
	case "to_date_string": // pendulum
		return noArgs("to_date_string", func() any { return t.Format(time.DateOnly) }), true
	case "to_datetime_string": // pendulum
		return noArgs("to_datetime_string", func() any { return t.Format(time.DateTime) }), true
	}
	return exec.AsValue(nil), false
}

func noArgs(name string, f func() any) *exec.Value {
	return exec.AsValue(func(va *exec.VarArgs) (any, error) {
		if _, err := bindArgs(name, va, nil, 0); err != nil {
			return nil, err
		}
		return f(), nil
	})
}

// isoformat is Python's datetime.isoformat() for an aware datetime.
func isoformat(t time.Time) string {
	var b strings.Builder
	b.Grow(32)
	b.WriteString(t.Format("2006-01-02T15:04:05"))
	if us := t.Nanosecond() / 1000; us != 0 {
		fmt.Fprintf(&b, ".%06d", us)
	}
	b.WriteString(t.Format("-07:00"))
	return b.String()
}

func dsOf(t time.Time) string       { return t.Format("2006-01-02") }
func dsNodashOf(t time.Time) string { return t.Format("20060102") }
func tsNodashOf(t time.Time) string { return t.Format("20060102T150405") }

// tsNodashWithTZ is Airflow's ts.replace("-", "").replace(":", "").
func tsNodashWithTZ(t time.Time) string {
	return strings.NewReplacer("-", "", ":", "").Replace(isoformat(t))
}

// Airflow registers these as Jinja filters: {{ data_interval_end | ds }}.
var dateFilters = map[string]exec.FilterFunction{
	"ds":                dateFilter("ds", dsOf),
	"ds_nodash":         dateFilter("ds_nodash", dsNodashOf),
	"ts":                dateFilter("ts", isoformat),
	"ts_nodash":         dateFilter("ts_nodash", tsNodashOf),
	"ts_nodash_with_tz": dateFilter("ts_nodash_with_tz", tsNodashWithTZ),
}

func dateFilter(name string, format func(time.Time) string) exec.FilterFunction {
	return func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		if len(params.Args) > 0 || len(params.KwArgs) > 0 {
			return exec.AsValue(fmt.Errorf("filter %s takes no arguments", name))
		}
		// Airflow's filters map None to None.
		if in.IsNil() {
			return exec.AsValue(nil)
		}
		switch v := in.Interface().(type) {
		case *dateTime:
			return exec.AsValue(format(v.t))
		case time.Time:
			return exec.AsValue(format(v))
		}
		return exec.AsValue(fmt.Errorf("filter %s needs a datetime, not %s", name, pyStr(in.Interface())))
	}
}

// macros is the `macros` global: the part of airflow.macros that makes sense
// without Python.
var macros = map[string]any{
	"ds_add":    macroDsAdd,
	"ds_format": macroDsFormat,
}

// macroDsAdd is macros.ds_add(ds, days): the YYYY-MM-DD date days later.
func macroDsAdd(va *exec.VarArgs) (any, error) {
	args, err := bindArgs("ds_add", va, []string{"ds", "days"}, 2)
	if err != nil {
		return nil, err
	}
	ds, err := stringArg("ds_add", "ds", args[0])
	if err != nil {
		return nil, err
	}
	days, err := intArg("ds_add", "days", args[1])
	if err != nil {
		return nil, err
	}
	t, err := time.Parse(time.DateOnly, ds)
	if err != nil {
		return nil, fmt.Errorf("ds_add: %q is not a YYYY-MM-DD date", ds)
	}
	return t.AddDate(0, 0, days).Format(time.DateOnly), nil
}

// macroDsFormat is macros.ds_format(ds, input_format, output_format) with
// Python's strptime/strftime formats.
func macroDsFormat(va *exec.VarArgs) (any, error) {
	args, err := bindArgs("ds_format", va, []string{"ds", "input_format", "output_format"}, 3)
	if err != nil {
		return nil, err
	}
	var s [3]string
	for i, name := range []string{"ds", "input_format", "output_format"} {
		if s[i], err = stringArg("ds_format", name, args[i]); err != nil {
			return nil, err
		}
	}
	t, err := strftime.Parse(s[1], s[0])
	if err != nil {
		return nil, fmt.Errorf("ds_format: %q does not match format %q", s[0], s[1])
	}
	return strftime.Format(s[2], t), nil
}

// bindArgs maps positional and keyword arguments to names as a Python call
// does; the first `required` names must be given. Absent optional arguments
// are nil.
func bindArgs(fn string, va *exec.VarArgs, names []string, required int) ([]*exec.Value, error) {
	if len(va.Args) > len(names) {
		return nil, fmt.Errorf("%s() takes %d arguments (%d given)", fn, len(names), len(va.Args))
	}
	out := make([]*exec.Value, len(names))
	copy(out, va.Args)
	for k, v := range va.KwArgs {
		i := indexOf(names, k)
		if i < 0 {
			return nil, fmt.Errorf("%s() got an unexpected keyword argument %q", fn, k)
		}
		if out[i] != nil {
			return nil, fmt.Errorf("%s() got multiple values for argument %q", fn, k)
		}
		out[i] = v
	}
	for i, name := range names[:min(required, len(names))] {
		if out[i] == nil {
			return nil, fmt.Errorf("%s() missing required argument %q", fn, name)
		}
	}
	return out, nil
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

func stringArg(fn, name string, v *exec.Value) (string, error) {
	if v == nil || !v.IsString() {
		return "", fmt.Errorf("%s(): %s must be a string, not %s", fn, name, typeName(v))
	}
	return v.String(), nil
}

func intArg(fn, name string, v *exec.Value) (int, error) {
	switch {
	case v == nil:
	case v.IsInteger():
		return v.Integer(), nil
	case v.IsFloat():
		if f := v.Float(); f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f), nil
		}
	}
	return 0, fmt.Errorf("%s(): %s must be an integer, not %s", fn, name, typeName(v))
}

func typeName(v *exec.Value) string {
	switch {
	case v == nil || v.IsNil():
		return "None"
	case v.IsString():
		return "str " + pyRepr(v.String())
	case v.IsBool():
		return "bool"
	case v.IsInteger():
		return "int"
	case v.IsFloat():
		return "float " + pyStr(v.Float())
	case v.IsList():
		return "list"
	case v.IsDict():
		return "dict"
	}
	return fmt.Sprintf("%T", v.Interface())
}

func pyRepr(s string) string {
	var b strings.Builder
	writePyQuoted(&b, s)
	return b.String()
}
