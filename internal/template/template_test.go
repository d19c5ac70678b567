package template

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// fakeLookup stands in for the store; it counts calls to show laziness and
// caching, and is safe for concurrent use.
type fakeLookup struct {
	vars      map[string]string
	xcoms     map[[2]string]string
	err       error // returned by every call when set
	varCalls  atomic.Int64
	xcomCalls atomic.Int64
}

func (f *fakeLookup) Variable(_ context.Context, key string) (string, bool, error) {
	f.varCalls.Add(1)
	if f.err != nil {
		return "", false, f.err
	}
	v, ok := f.vars[key]
	return v, ok, nil
}

func (f *fakeLookup) XComPull(_ context.Context, taskID, key string) (json.RawMessage, bool, error) {
	f.xcomCalls.Add(1)
	if f.err != nil {
		return nil, false, f.err
	}
	v, ok := f.xcoms[[2]string{taskID, key}]
	if !ok {
		return nil, false, nil
	}
	return json.RawMessage(v), true, nil
}

func newLookup() *fakeLookup {
	return &fakeLookup{
		vars: map[string]string{
			"bucket": "s3://data",
			"cfg":    `{"retries": 3, "ratio": 0.25, "hosts": ["a", "b"], "debug": false, "none": null}`,
			"bad":    `{"unterminated": `,
		},
		xcoms: map[[2]string]string{
			{"extract", "return_value"}: `{"rows": 10, "path": "/tmp/x"}`,
			{"extract", "meta"}:         `"m1"`,
			{"count", "return_value"}:   `42`,
			{"ratio", "return_value"}:   `0.5`,
			{"list", "return_value"}:    `[1, "two", null, true]`,
			{"null", "return_value"}:    `null`,
		},
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ptr[T any](v T) *T { return &v }

func newContext(l Lookup) *Context {
	return &Context{
		DagID:                        "train",
		TaskID:                       "prepare",
		RunID:                        "scheduled__2026-03-04T05:06:07+00:00",
		TryNumber:                    2,
		MapIndex:                     -1,
		LogicalDate:                  utc("2026-03-04T05:06:07Z"),
		DataIntervalStart:            utc("2026-03-03T05:06:07Z"),
		DataIntervalEnd:              utc("2026-03-04T05:06:07Z"),
		PrevDataIntervalStartSuccess: ptr(utc("2026-03-02T05:06:07Z")),
		PrevDataIntervalEndSuccess:   ptr(utc("2026-03-03T05:06:07Z")),
		Params: map[string]any{
			"learning_rate": 0.1,
			"epochs":        10,
			"name":          "xgb",
			"flag":          true,
			"nothing":       nil,
			"nested":        map[string]any{"k": []any{1, "a", nil}, "deep": map[string]any{"x": "y"}},
			"list":          []any{"c", "a", "b"},
		},
		Conf:    map[string]any{"mode": "full", "opts": map[string]any{"n": 3}},
		RunType: "scheduled",
		Owner:   "ml-team",
		Lookup:  l,
	}
}

type renderCase struct {
	name, src, want string
}

func runCases(t *testing.T, tc *Context, cases []renderCase) {
	t.Helper()
	r := NewRenderer()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := r.Render(context.Background(), c.src, tc)
			if err != nil {
				t.Fatalf("Render(%q): %v", c.src, err)
			}
			if got != c.want {
				t.Fatalf("Render(%q) = %q, want %q", c.src, got, c.want)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	runCases(t, newContext(newLookup()), []renderCase{
		{"ds", "{{ ds }}", "2026-03-04"},
		{"ds_nodash", "{{ ds_nodash }}", "20260304"},
		{"ts", "{{ ts }}", "2026-03-04T05:06:07+00:00"},
		{"ts_nodash", "{{ ts_nodash }}", "20260304T050607"},
		{"ts_nodash_with_tz", "{{ ts_nodash_with_tz }}", "20260304T050607+0000"},
		{"logical_date", "{{ logical_date }}", "2026-03-04T05:06:07+00:00"},
		{"logical_date.strftime", "{{ logical_date.strftime('%Y') }}", "2026"},
		{"logical_date.strftime full", "{{ logical_date.strftime('%Y-%m-%d %H:%M:%S') }}", "2026-03-04 05:06:07"},
		{"logical_date.isoformat", "{{ logical_date.isoformat() }}", "2026-03-04T05:06:07+00:00"},
		{"logical_date fields", "{{ logical_date.year }}/{{ logical_date.month }}/{{ logical_date.day }} {{ logical_date.hour }}", "2026/3/4 5"},
		{"data_interval_start", "{{ data_interval_start }}", "2026-03-03T05:06:07+00:00"},
		{"data_interval_end", "{{ data_interval_end }}", "2026-03-04T05:06:07+00:00"},
		{"data_interval_start.strftime", "{{ data_interval_start.strftime('%d') }}", "03"},
		{"ds filter", "{{ data_interval_start | ds }}", "2026-03-03"},
		{"ds_nodash filter", "{{ data_interval_start | ds_nodash }}", "20260303"},
		{"ts filter", "{{ data_interval_start | ts }}", "2026-03-03T05:06:07+00:00"},
		{"ts_nodash filter", "{{ data_interval_end | ts_nodash }}", "20260304T050607"},
		{"ts_nodash_with_tz filter", "{{ data_interval_end | ts_nodash_with_tz }}", "20260304T050607+0000"},
		{"prev_data_interval_start_success", "{{ prev_data_interval_start_success }}", "2026-03-02T05:06:07+00:00"},
		{"prev_data_interval_end_success", "{{ prev_data_interval_end_success }}", "2026-03-03T05:06:07+00:00"},
		{"prev_ds", "{{ prev_ds }}", "2026-03-02"},
		{"prev_ds_nodash", "{{ prev_ds_nodash }}", "20260302"},
		{"run_id", "{{ run_id }}", "scheduled__2026-03-04T05:06:07+00:00"},
		{"dag_run.run_id", "{{ dag_run.run_id }}", "scheduled__2026-03-04T05:06:07+00:00"},
		{"dag_run.conf", "{{ dag_run.conf }}", "{'mode': 'full', 'opts': {'n': 3}}"},
		{"dag_run.logical_date", "{{ dag_run.logical_date }}", "2026-03-04T05:06:07+00:00"},
		{"dag_run.logical_date.strftime", "{{ dag_run.logical_date.strftime('%m') }}", "03"},
		{"dag_run.run_type", "{{ dag_run.run_type }}", "scheduled"},
		{"dag.dag_id", "{{ dag.dag_id }}", "train"},
		{"dag.owner", "{{ dag.owner }}", "ml-team"},
		{"task.task_id", "{{ task.task_id }}", "prepare"},
		{"ti.task_id", "{{ ti.task_id }}", "prepare"},
		{"ti.dag_id", "{{ ti.dag_id }}", "train"},
		{"ti.run_id", "{{ ti.run_id }}", "scheduled__2026-03-04T05:06:07+00:00"},
		{"ti.try_number", "{{ ti.try_number }}", "2"},
		{"ti.map_index", "{{ ti.map_index }}", "-1"},
		{"task_instance", "{{ task_instance.task_id }} {{ task_instance.try_number + 1 }}", "prepare 3"},
		{"ti string", "{{ ti }}", "<TaskInstance: train.prepare scheduled__2026-03-04T05:06:07+00:00 [running]>"},
		{"params", "{{ params.learning_rate }}", "0.1"},
		{"macros", "{{ macros.ds_add(ds, 1) }}", "2026-03-05"},
		{"jinja expression", "--date={{ ds }} --try={{ ti.try_number }}", "--date=2026-03-04 --try=2"},
		{"trailing newline kept", "echo {{ ds }}\n", "echo 2026-03-04\n"},
		{"comment only", "a{# note #}b", "ab"},
	})
}

func TestVariablesNilPrevAndTimeZone(t *testing.T) {
	tc := newContext(nil)
	tc.PrevDataIntervalStartSuccess = nil
	tc.PrevDataIntervalEndSuccess = nil
	msk := time.FixedZone("MSK", 3*3600)
	tc.LogicalDate = time.Date(2026, 1, 2, 3, 4, 5, 123456000, msk)
	tc.MapIndex = 4
	runCases(t, tc, []renderCase{
		{"prev_ds None", "{{ prev_ds }}", "None"},
		{"prev_ds_nodash None", "{{ prev_ds_nodash }}", "None"},
		{"prev start None", "{{ prev_data_interval_start_success }}", "None"},
		{"prev end None", "{{ prev_data_interval_end_success }}", "None"},
		{"prev_ds is none", "{{ prev_ds is none }}", "True"},
		{"prev_ds or ds", "{{ prev_ds or ds }}", "2026-01-02"},
		{"ds filter on None", "{{ prev_data_interval_start_success | ds }}", "None"},
		{"if None is false", "{% if prev_ds %}yes{% else %}no{% endif %}", "no"},
		{"ts with offset and micros", "{{ ts }}", "2026-01-02T03:04:05.123456+03:00"},
		{"ts_nodash_with_tz offset", "{{ ts_nodash_with_tz }}", "20260102T030405.123456+0300"},
		{"ts_nodash offset", "{{ ts_nodash }}", "20260102T030405"},
		{"strftime %z", "{{ logical_date.strftime('%z') }}", "+0300"},
		{"mapped ti", "{{ ti }}", "<TaskInstance: train.prepare scheduled__2026-03-04T05:06:07+00:00 map_index=4 [running]>"},
	})
}

func TestMacros(t *testing.T) {
	runCases(t, newContext(nil), []renderCase{
		{"ds_add positive", "{{ macros.ds_add(ds, 5) }}", "2026-03-09"},
		{"ds_add negative across year", "{{ macros.ds_add('2026-01-01', -1) }}", "2025-12-31"},
		{"ds_add zero", "{{ macros.ds_add(ds, 0) }}", "2026-03-04"},
		{"ds_add leap", "{{ macros.ds_add('2024-02-28', 1) }}", "2024-02-29"},
		{"ds_add kwargs", "{{ macros.ds_add(ds=ds, days=-7) }}", "2026-02-25"},
		{"ds_add integral float", "{{ macros.ds_add(ds, 2.0) }}", "2026-03-06"},
		{"ds_format", "{{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m/%Y') }}", "04/03/2026"},
		{"ds_format nodash", "{{ macros.ds_format(ds_nodash, '%Y%m%d', '%Y-%m-%d') }}", "2026-03-04"},
		{"ds_format time", "{{ macros.ds_format('2026-03-04 05:06:07', '%Y-%m-%d %H:%M:%S', '%H%M%S') }}", "050607"},
		{"ds_format kwargs", "{{ macros.ds_format(ds, output_format='%Y', input_format='%Y-%m-%d') }}", "2026"},
		{"chained", "{{ macros.ds_format(macros.ds_add(ds, 30), '%Y-%m-%d', '%B %d') }}", "April 03"},
	})
}

func TestMacroErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"{{ macros.ds_add(ds) }}", `ds_add() missing required argument "days"`},
		{"{{ macros.ds_add(ds, 1, 2) }}", `ds_add() takes 2 arguments (3 given)`},
		{"{{ macros.ds_add(ds, weeks=1) }}", `ds_add() got an unexpected keyword argument "weeks"`},
		{"{{ macros.ds_add(ds, 'x') }}", `ds_add(): days must be an integer, not str 'x'`},
		{"{{ macros.ds_add(ds, 1.5) }}", `ds_add(): days must be an integer, not float 1.5`},
		{"{{ macros.ds_add('03/04/2026', 1) }}", `ds_add: "03/04/2026" is not a YYYY-MM-DD date`},
		{"{{ macros.ds_format(ds, '%d/%m/%Y', '%Y') }}", `ds_format: "2026-03-04" does not match format "%d/%m/%Y"`},
		{"{{ logical_date.strftime() }}", `strftime() missing required argument "format"`},
	}
	r := NewRenderer()
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			_, err := r.Render(context.Background(), c.src, newContext(nil))
			if err == nil {
				t.Fatalf("Render(%q) succeeded, want error %q", c.src, c.want)
			}
			if want := "line 1: " + c.want; err.Error() != want {
				t.Fatalf("Render(%q) error = %q, want %q", c.src, err, want)
			}
		})
	}
}

func TestParamsAndConf(t *testing.T) {
	runCases(t, newContext(nil), []renderCase{
		{"int", "{{ params.epochs }}", "10"},
		{"float", "{{ params.learning_rate }}", "0.1"},
		{"string", "{{ params.name }}", "xgb"},
		{"bool", "{{ params.flag }}", "True"},
		{"null", "{{ params.nothing }}", "None"},
		{"nested attribute", "{{ params.nested.deep.x }}", "y"},
		{"nested item", "{{ params['nested']['deep']['x'] }}", "y"},
		{"list index", "{{ params.nested.k[1] }}", "a"},
		{"list", "{{ params.nested.k }}", "[1, 'a', None]"},
		{"get with default", "{{ params.get('missing', 'dflt') }}", "dflt"},
		{"default filter", "{{ params.missing | default('d') }}", "d"},
		{"is defined", "{{ params.missing is defined }}", "False"},
		{"arithmetic", "{{ params.epochs * 2 }}", "20"},
		{"for loop", "{% for x in params.list %}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}", "c,a,b"},
		{"join", "{{ params.list | join(' ') }}", "c a b"},
		{"tojson", "{{ params.nested.deep | tojson }}", `{"x":"y"}`},
		{"conf", "{{ dag_run.conf.mode }}", "full"},
		{"conf nested", "{{ dag_run.conf.opts.n }}", "3"},
		{"conf item", "{{ dag_run.conf['opts']['n'] + 1 }}", "4"},
		{"conf get", "{{ dag_run.conf.get('absent', 'x') }}", "x"},
		{"if on conf", "{% if dag_run.conf.mode == 'full' %}--full{% endif %}", "--full"},
		{"set", "{% set n = params.epochs + 1 %}{{ n }}", "11"},
	})
}

func TestParamsValueTypes(t *testing.T) {
	tc := newContext(nil)
	tc.Params = map[string]any{
		"strings": []string{"a", "b"},
		"f32":     float32(0.1),
		"u":       uint(7),
		"num":     json.Number("12"),
		"numf":    json.Number("1.50"),
		"anykeys": map[any]any{1: "one"},
	}
	tc.Conf = nil
	runCases(t, tc, []renderCase{
		{"[]string", "{{ params.strings }}", "['a', 'b']"},
		{"float32", "{{ params.f32 }}", "0.1"},
		{"uint", "{{ params.u }}", "7"},
		{"json.Number int", "{{ params.num + 1 }}", "13"},
		{"json.Number float", "{{ params.numf }}", "1.5"},
		{"non-string keys", "{{ params.anykeys['1'] }}", "one"},
		{"nil conf is empty", "{{ dag_run.conf }}", "{}"},
	})
}

// A template can change the params it sees; that must not reach the Context,
// which other renders (and other goroutines) share.
func TestParamsAreCopied(t *testing.T) {
	tc := newContext(nil)
	r := NewRenderer()
	src := "{% do params.list.reverse() %}{% do params.nested.deep.update({'x': 'z'}) %}{{ params.list }}"
	for range 2 {
		got, err := r.Render(context.Background(), src, tc)
		if err != nil {
			t.Fatal(err)
		}
		if got != "['b', 'a', 'c']" {
			t.Fatalf("got %q", got)
		}
	}
	if got := fmt.Sprint(tc.Params["list"]); got != "[c a b]" {
		t.Fatalf("Context.Params changed by a template: %s", got)
	}
}

func TestOutputFormatting(t *testing.T) {
	runCases(t, newContext(nil), []renderCase{
		{"float", "{{ 0.1 }}", "0.1"},
		{"int", "{{ 10 }}", "10"},
		{"integral float", "{{ 10.0 }}", "10.0"},
		{"division", "{{ 1 / 4 }}", "0.25"},
		{"small float", "{{ 0.00001 }}", "1e-05"},
		{"negative", "{{ -3 }}", "-3"},
		{"true", "{{ true }}", "True"},
		{"False", "{{ False }}", "False"},
		{"none", "{{ none }}", "None"},
		{"None", "{{ None }}", "None"},
		{"list", "{{ [1, 'a', none, true, 0.5] }}", "[1, 'a', None, True, 0.5]"},
		{"dict literal keeps order", "{{ {'b': 1, 'a': none} }}", "{'b': 1, 'a': None}"},
		{"quote with apostrophe", `{{ ["it's"] }}`, `["it's"]`},
		{"escapes", `{{ ["a\\b"] }}`, `['a\\b']`},
		{"string as is", "{{ 'it\\'s' }}", "it's"},
		{"inline if", "{{ 'a' if params.flag else 'b' }}", "a"},
		{"inline if else None", "{{ 'a' if not params.flag else none }}", "None"},
		{"None in if", "{% if true %}{{ none }}{% endif %}", "None"},
		{"None in for", "{% for x in [none] %}{{ x }}{% endfor %}", "None"},
		{"None in macro", "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(none) }}", "<None>"},
		{"filters still apply", "{{ 'abc' | upper }}", "ABC"},
		{"datetime comparison", "{{ logical_date > data_interval_start }} {{ data_interval_start > logical_date }}", "True False"},
		{"datetime equality", "{{ logical_date == data_interval_end }}", "True"},
	})
}

func TestXComPull(t *testing.T) {
	runCases(t, newContext(newLookup()), []renderCase{
		{"dict", "{{ ti.xcom_pull(task_ids='extract') }}", "{'path': '/tmp/x', 'rows': 10}"},
		{"item", "{{ ti.xcom_pull(task_ids='extract')['rows'] }}", "10"},
		{"attribute", "{{ ti.xcom_pull('extract').path }}", "/tmp/x"},
		{"int", "{{ ti.xcom_pull(task_ids='count') }}", "42"},
		{"int arithmetic", "{{ ti.xcom_pull(task_ids='count') + 1 }}", "43"},
		{"float", "{{ ti.xcom_pull(task_ids='ratio') }}", "0.5"},
		{"list", "{{ ti.xcom_pull(task_ids='list') }}", "[1, 'two', None, True]"},
		{"json null", "{{ ti.xcom_pull(task_ids='null') }}", "None"},
		{"key", "{{ ti.xcom_pull(task_ids='extract', key='meta') }}", "m1"},
		{"positional key", "{{ ti.xcom_pull('extract', none, 'meta') }}", "m1"},
		{"same dag_id", "{{ ti.xcom_pull(task_ids='count', dag_id='train') }}", "42"},
		{"task_instance", "{{ task_instance.xcom_pull(task_ids='count') }}", "42"},
		{"list of task_ids", "{{ ti.xcom_pull(task_ids=['count', 'missing', 'ratio']) }}", "[42, 0.5]"},
		{"missing is None", "{{ ti.xcom_pull(task_ids='missing') }}", "None"},
		{"missing key is None", "{{ ti.xcom_pull(task_ids='count', key='other') }}", "None"},
		{"missing with default", "{{ ti.xcom_pull(task_ids='missing', default='d') }}", "d"},
		{"missing with default filter", "{{ ti.xcom_pull(task_ids='missing') | default('d', true) }}", "d"},
		{"loop", "{% for x in ti.xcom_pull(task_ids='list') %}[{{ x }}]{% endfor %}", "[1][two][None][True]"},
	})
}

func TestXComPullErrors(t *testing.T) {
	storeErr := errors.New("database is locked")
	cases := []struct {
		name   string
		lookup Lookup
		src    string
		want   string
		is     error
	}{
		{"no task_ids", newLookup(), "{{ ti.xcom_pull() }}", "line 1: xcom_pull(): task_ids is required", nil},
		{"bad task_ids", newLookup(), "{{ ti.xcom_pull(task_ids=3) }}", "line 1: xcom_pull(): task_ids must be a string or a list of strings, not int", nil},
		{"unknown kwarg", newLookup(), "{{ ti.xcom_pull(task_ids='a', foo=1) }}", `line 1: xcom_pull() got an unexpected keyword argument "foo"`, nil},
		{"other dag", newLookup(), "{{ ti.xcom_pull(task_ids='a', dag_id='other') }}", `line 1: xcom_pull(): dag_id "other": only XComs of the same DAG run can be pulled`, nil},
		{"prior dates", newLookup(), "{{ ti.xcom_pull(task_ids='a', include_prior_dates=True) }}", "line 1: xcom_pull(): include_prior_dates is not supported", nil},
		{"missing then attribute", newLookup(), "{{ ti.xcom_pull(task_ids='missing').rows }}", "", nil},
		{"store error", &fakeLookup{err: storeErr}, "{{ ti.xcom_pull(task_ids='a') }}", "line 1: xcom_pull(task_ids='a', key='return_value'): database is locked", storeErr},
		// A failing store is not a missing value: default() must not hide it.
		{"store error under default", &fakeLookup{err: storeErr}, "{{ ti.xcom_pull(task_ids='a') | default('x') }}", "xcom_pull(task_ids='a', key='return_value'): database is locked", storeErr},
		{"no lookup", nil, "x {{ ti.xcom_pull(task_ids='a') }}", "line 1: xcom_pull(task_ids='a', key='return_value'): XComs are not available here", nil},
		{"invalid json", &fakeLookup{xcoms: map[[2]string]string{{"a", "return_value"}: "{"}}, "{{ ti.xcom_pull(task_ids='a') }}", "", nil},
	}
	r := NewRenderer()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := r.Render(context.Background(), c.src, newContext(c.lookup))
			if err == nil {
				t.Fatalf("Render(%q) = %q, want an error", c.src, out)
			}
			if c.want != "" && err.Error() != c.want {
				t.Fatalf("Render(%q) error = %q, want %q", c.src, err, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("errors.Is(%v, %v) = false", err, c.is)
			}
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %T is not an *Error", err)
			}
		})
	}
}

func TestXComPullIsCachedPerRender(t *testing.T) {
	l := newLookup()
	r := NewRenderer()
	got, err := r.Render(context.Background(), "{{ ti.xcom_pull('count') }}-{{ ti.xcom_pull(task_ids='count') + 1 }}", newContext(l))
	if err != nil || got != "42-43" {
		t.Fatalf("got %q, %v", got, err)
	}
	if n := l.xcomCalls.Load(); n != 1 {
		t.Fatalf("XComPull called %d times, want 1", n)
	}
}

func TestVar(t *testing.T) {
	runCases(t, newContext(newLookup()), []renderCase{
		{"value", "{{ var.value.bucket }}/out", "s3://data/out"},
		{"value item", "{{ var.value['bucket'] }}", "s3://data"},
		{"value is the raw string", "{{ var.value.cfg }}", `{"retries": 3, "ratio": 0.25, "hosts": ["a", "b"], "debug": false, "none": null}`},
		{"json int", "{{ var.json.cfg.retries }}", "3"},
		{"json float", "{{ var.json.cfg.ratio }}", "0.25"},
		{"json list", "{{ var.json.cfg.hosts }}", "['a', 'b']"},
		{"json bool", "{{ var.json.cfg.debug }}", "False"},
		{"json null", "{{ var.json.cfg.none }}", "None"},
		{"json item", "{{ var.json['cfg']['hosts'][1] }}", "b"},
		{"get existing", "{{ var.value.get('bucket') }}", "s3://data"},
		{"get missing default", "{{ var.value.get('nope', 'fallback') }}", "fallback"},
		{"get missing no default", "{{ var.value.get('nope') }}", "None"},
		{"json get", "{{ var.json.get('cfg').retries }}", "3"},
		{"missing under default filter", "{{ var.value.nope | default('d') }}", "d"},
	})
}

func TestVarErrors(t *testing.T) {
	storeErr := errors.New("connection refused")
	cases := []struct {
		name   string
		lookup Lookup
		src    string
		want   string
		is     error
	}{
		{"missing value", newLookup(), "{{ var.value.nope }}", `line 1: variable "nope" does not exist`, ErrVariableNotFound},
		{"missing json", newLookup(), "a\n{{ var.json.nope.x }}", `line 2: variable "nope" does not exist`, ErrVariableNotFound},
		{"missing item", newLookup(), "{{ var.value['no pe'] }}", `line 1: variable "no pe" does not exist`, ErrVariableNotFound},
		{"invalid json", newLookup(), "{{ var.json.bad }}", `line 1: variable "bad" is not valid JSON: unexpected EOF`, nil},
		{"store error", &fakeLookup{err: storeErr}, "{{ var.value.bucket }}", `line 1: reading variable "bucket": connection refused`, storeErr},
		{"store error under default", &fakeLookup{err: storeErr}, "{{ var.value.bucket | default('x') }}", `reading variable "bucket": connection refused`, storeErr},
		{"no lookup", nil, "{{ var.value.bucket }}", `line 1: variable "bucket": Variables are not available here`, nil},
		{"no lookup under is defined", nil, "{{ var.value.bucket is defined }}", `variable "bucket": Variables are not available here`, nil},
		{"missing json attribute", newLookup(), "{{ var.json.cfg.nope }}", `line 1: undefined variable "var.json.cfg.nope"`, ErrUndefined},
	}
	r := NewRenderer()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := r.Render(context.Background(), c.src, newContext(c.lookup))
			if err == nil {
				t.Fatalf("Render(%q) = %q, want an error", c.src, out)
			}
			if err.Error() != c.want {
				t.Fatalf("Render(%q) error = %q, want %q", c.src, err, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("errors.Is(%v, %v) = false", err, c.is)
			}
		})
	}
}

func TestLookupsAreLazy(t *testing.T) {
	l := newLookup()
	r := NewRenderer()
	tc := newContext(l)
	ctx := context.Background()

	// Templates that do not use var or xcom_pull never call the Lookup.
	if _, err := r.Render(ctx, "{{ ds }} {{ params.name }} {{ ti.task_id }}", tc); err != nil {
		t.Fatal(err)
	}
	// A Variable used twice is read once per render.
	if got, err := r.Render(ctx, "{{ var.value.bucket }} {{ var.value.bucket }} {{ var.json.cfg.retries }}", tc); err != nil || got != `s3://data s3://data 3` {
		t.Fatalf("got %q, %v", got, err)
	}
	if n := l.varCalls.Load(); n != 2 {
		t.Fatalf("Variable called %d times, want 2 (bucket, cfg)", n)
	}
	// RenderAll shares lookups across its strings.
	l.varCalls.Store(0)
	got, err := r.RenderAll(ctx, []string{"--in", "{{ var.value.bucket }}/a", "{{ var.value.bucket }}/b", "{{ ds }}"}, tc)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"--in", "s3://data/a", "s3://data/b", "2026-03-04"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("RenderAll = %q, want %q", got, want)
	}
	if n := l.varCalls.Load(); n != 1 {
		t.Fatalf("Variable called %d times in RenderAll, want 1", n)
	}
	if n := l.xcomCalls.Load(); n != 0 {
		t.Fatalf("XComPull called %d times, want 0", n)
	}
}

// Only the globals a template names are built: a template without "params"
// does not pay for copying large params.
func TestGlobalsAreBuiltOnlyWhenNamed(t *testing.T) {
	r := NewRenderer()
	ctx := context.Background()
	small := newContext(nil)
	large := newContext(nil)
	for i := range 1000 {
		large.Params[fmt.Sprint("p", i)] = []any{i, "x"}
	}
	allocs := func(src string, tc *Context) float64 {
		if _, err := r.Render(ctx, src, tc); err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(20, func() { _, _ = r.Render(ctx, src, tc) })
	}
	if a, b := allocs("{{ ds }}", small), allocs("{{ ds }}", large); a != b {
		t.Fatalf("{{ ds }} allocates %v times with small params and %v with large ones", a, b)
	}
	if a, b := allocs("{{ params.epochs }}", small), allocs("{{ params.epochs }}", large); b < a+1000 {
		t.Fatalf("params are not copied when used: %v vs %v allocations", a, b)
	}
}

func TestUndefined(t *testing.T) {
	cases := []struct {
		src  string
		line int
		name string
	}{
		{"{{ foo }}", 1, "foo"},
		{"{{ params.missing }}", 1, "params.missing"},
		{"{{ params['missing'] }}", 1, "params['missing']"},
		{"{{ params.nested.deep.missing }}", 1, "params.nested.deep.missing"},
		{"{{ dag_run.conf.missing }}", 1, "dag_run.conf.missing"},
		{"{{ dag_run.conf.opts.missing }}", 1, "dag_run.conf.opts.missing"},
		{"{{ dag_run.nope }}", 1, "dag_run.nope"},
		{"{{ ti.nope }}", 1, "ti.nope"},
		{"{{ logical_date.nope }}", 1, "logical_date.nope"},
		{"{{ foo.bar }}", 1, "foo"},
		{"{{ foo | upper }}", 1, "foo"},
		{"{{ 'x' ~ foo }}", 1, "foo"},
		{"{{ macros.ds_add(foo, 1) }}", 1, "foo"},
		// Airflow's conf is its configuration, not dag_run.conf.
		{"{{ conf }}", 1, "conf"},
		{"{{ execution_date }}", 1, "execution_date"},
		{"line one\nline two {{ ds }}\n{{ foo }}", 3, "foo"},
		{"{% if true %}\n\n{{ params.missing }}{% endif %}", 3, "params.missing"},
		{"{% for x in [1] %}\n{{ x.y }}{% endfor %}", 2, "x.y"},
		{"{% if foo %}x{% endif %}", 1, "foo"},
		{"{% for x in foo %}{% endfor %}", 1, "foo"},
		// None.x is undefined in Jinja too.
		{"{{ params.nothing.x }}", 1, "params.nothing.x"},
		{"{{ prev_ds.x }}", 1, "prev_ds.x"},
		{"{{ params.list[10] }}", 1, "params.list[10]"},
	}
	r := NewRenderer()
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			out, err := r.Render(context.Background(), c.src, newContext(newLookup()))
			if err == nil {
				t.Fatalf("Render(%q) = %q, want an error", c.src, out)
			}
			want := fmt.Sprintf("line %d: undefined variable %q", c.line, c.name)
			if err.Error() != want {
				t.Fatalf("Render(%q) error = %q, want %q", c.src, err, want)
			}
			if !errors.Is(err, ErrUndefined) {
				t.Fatalf("errors.Is(%v, ErrUndefined) = false", err)
			}
			var te *Error
			if !errors.As(err, &te) || te.Line != c.line || te.Err == nil {
				t.Fatalf("error %#v: want an *Error at line %d wrapping gonja's", err, c.line)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct {
		src  string
		line int
		msg  string // part of the message
	}{
		{"{{ 1 + }}", 1, "expected either a number"},
		{"a\n{{ x | }}", 2, "filter name must be an identifier"},
		{"a\nb\n{% for %}", 3, "Expected an key identifier"},
		{"a\n{% if %}", 2, `Unable to parse controlStructure "if"`},
		{"a\n{% if x %}", 2, "Unexpected EOF"},
		{"{{ x ", 1, "'}}' expected here"},
		{"a\n{% endif %}", 2, "ControlStructure 'endif' not found"},
		{"{{ x y }}", 1, "'}}' expected here"},
		{"a\n{# x ", 2, "unclosed comment"},
		{"{% bogus %}", 1, "ControlStructure 'bogus' not found"},
		{"a\n{% include 'other.sh' %}", 2, "{% include %} is not supported"},
		{"{% extends 'base' %}", 1, "{% extends %} is not supported"},
		{"{% import 'm' as m %}", 1, "{% import %} is not supported"},
		{"x\n{{ ds | upperr }}", 2, `no filter named "upperr"`},
		{"{% if ds is nosuchtest %}{% endif %}", 1, `no test named "nosuchtest"`},
		{"{% for x in [1] %}{{ x | nofilter }}{% endfor %}", 1, `no filter named "nofilter"`},
	}
	r := NewRenderer()
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			check := Check(c.src)
			_, render := r.Render(context.Background(), c.src, newContext(nil))
			for _, err := range []error{check, render} {
				if err == nil {
					t.Fatalf("%q: no error", c.src)
				}
				if !errors.Is(err, ErrSyntax) {
					t.Fatalf("%q: errors.Is(%v, ErrSyntax) = false", c.src, err)
				}
				var te *Error
				if !errors.As(err, &te) || te.Line != c.line {
					t.Fatalf("%q: error %q: want line %d", c.src, err, c.line)
				}
				if !strings.HasPrefix(err.Error(), fmt.Sprintf("line %d: syntax error: ", c.line)) || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("%q: error %q: want line %d and %q", c.src, err, c.line, c.msg)
				}
				if strings.Contains(err.Error(), "failed to parse template") {
					t.Fatalf("%q: error %q repeats the source", c.src, err)
				}
			}
			if check.Error() != render.Error() {
				t.Fatalf("Check and Render disagree: %q vs %q", check, render)
			}
		})
	}
}

func TestCheckAcceptsValidTemplates(t *testing.T) {
	for _, src := range []string{
		"", "plain", "{{ ds }}", "{{ foo }}", // names are only known when rendering
		"{% for x in params.l %}{{ x | upper }}{% endfor %}",
		"{{ ti.xcom_pull(task_ids=['a', 'b'], key='k') }}",
		"{{ data_interval_end | ds_nodash }}",
		"{% raw %}{{ not rendered }}{% endraw %}",
	} {
		if err := Check(src); err != nil {
			t.Errorf("Check(%q) = %v", src, err)
		}
	}
}

func TestOtherRenderErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"{{ ds | ds }}", "line 1: filter ds needs a datetime, not 2026-03-04"},
		{"a\n{% if true %}{{ logical_date.strftime(1) }}{% endif %}", "line 2: strftime(): format must be a string, not int"},
		{"{{ range('a') }}", "line 1: expected signature is [start, ]stop[, step] where all arguments are integers"},
	}
	r := NewRenderer()
	for _, c := range cases {
		_, err := r.Render(context.Background(), c.src, newContext(nil))
		if err == nil || err.Error() != c.want {
			t.Errorf("Render(%q) error = %v, want %q", c.src, err, c.want)
		}
	}
}

// ctxLookup fails as a store does when the render's context is done.
type ctxLookup struct{}

func (ctxLookup) Variable(ctx context.Context, _ string) (string, bool, error) {
	return "", false, ctx.Err()
}

func (ctxLookup) XComPull(ctx context.Context, _, _ string) (json.RawMessage, bool, error) {
	return nil, false, ctx.Err()
}

func TestLookupGetsTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := NewRenderer()
	for _, src := range []string{"{{ var.value.x }}", "{{ ti.xcom_pull(task_ids='a') }}"} {
		_, err := r.Render(ctx, src, newContext(ctxLookup{}))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Render(%q) error = %v, want context.Canceled", src, err)
		}
	}
}

func TestErrorsCanBePrefixed(t *testing.T) {
	r := NewRenderer()
	_, err := r.Render(context.Background(), "{{ foo }}", newContext(nil))
	wrapped := fmt.Errorf("tasks.train.command[2]: %w", err)
	if got, want := wrapped.Error(), `tasks.train.command[2]: line 1: undefined variable "foo"`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if !errors.Is(wrapped, ErrUndefined) {
		t.Fatal("wrapping lost ErrUndefined")
	}

	_, err = r.RenderAll(context.Background(), []string{"ok", "{{ ds }}", "{{ params.nope }}"}, newContext(nil))
	if got, want := fmt.Sprint(err), `[2]: line 1: undefined variable "params.nope"`; got != want {
		t.Fatalf("RenderAll error = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrUndefined) {
		t.Fatal("RenderAll lost ErrUndefined")
	}
}

func TestPlainFastPath(t *testing.T) {
	r := NewRenderer()
	ctx := context.Background()
	for _, src := range []string{
		"", "python", "train.py", "{", "}", "a{b}c", "${HOME}", "{x}", "}}", "{ {", "%}", "trailing {",
		`{"json": true}`, "echo '{ %'",
	} {
		// A nil Context is fine: nothing is rendered.
		got, err := r.Render(ctx, src, nil)
		if err != nil {
			t.Fatalf("Render(%q): %v", src, err)
		}
		if got != src {
			t.Fatalf("Render(%q) = %q", src, got)
		}
		if len(src) > 0 && unsafe.StringData(got) != unsafe.StringData(src) {
			t.Fatalf("Render(%q) copied the string", src)
		}
		if allocs := testing.AllocsPerRun(100, func() { _, _ = r.Render(ctx, src, nil) }); allocs != 0 {
			t.Fatalf("Render(%q) allocates %v times", src, allocs)
		}
		if err := Check(src); err != nil {
			t.Fatalf("Check(%q) = %v", src, err)
		}
	}
	if n := len(r.cache); n != 0 {
		t.Fatalf("plain strings were cached: %d entries", n)
	}
	// Each delimiter takes the slow path.
	for _, src := range []string{"{{ ds }}", "{% if true %}x{% endif %}", "{# c #}x"} {
		if !isTemplate(src) {
			t.Fatalf("isTemplate(%q) = false", src)
		}
	}
}

func TestCache(t *testing.T) {
	r := NewRenderer()
	ctx := context.Background()
	tc := newContext(nil)
	for range 3 {
		if _, err := r.Render(ctx, "{{ ds }}", tc); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Render(ctx, "{{ 1 + }}", tc); err == nil {
			t.Fatal("want a syntax error")
		}
	}
	if n := len(r.cache); n != 2 {
		t.Fatalf("cache has %d entries, want 2", n)
	}
	c := r.cache["{{ ds }}"]
	// uses holds the globals the source names, and only those.
	for i, g := range globals {
		if want := g.name == "ds"; (c.uses&(1<<i) != 0) != want {
			t.Errorf("uses bit for %q = %v, want %v", g.name, !want, want)
		}
	}
	// Different Contexts share the compiled template.
	tc2 := newContext(nil)
	tc2.LogicalDate = utc("2030-12-31T00:00:00Z")
	if got, _ := r.Render(ctx, "{{ ds }}", tc2); got != "2030-12-31" {
		t.Fatalf("got %q", got)
	}
	if r.cache["{{ ds }}"] != c {
		t.Fatal("template was compiled again")
	}

	// The cache is bounded.
	for i := range maxCached + 10 {
		if _, err := r.Render(ctx, fmt.Sprintf("{{ %d }}", i), tc); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.cache); n > maxCached {
		t.Fatalf("cache has %d entries, more than %d", n, maxCached)
	}
}

func TestNilContext(t *testing.T) {
	r := NewRenderer()
	if _, err := r.Render(context.Background(), "{{ ds }}", nil); err == nil {
		t.Fatal("want an error for a nil Context")
	}
	if _, err := r.RenderAll(context.Background(), []string{"a", "{{ ds }}"}, nil); err == nil {
		t.Fatal("want an error for a nil Context")
	}
	if got, err := r.RenderAll(context.Background(), []string{"a", "b"}, nil); err != nil || len(got) != 2 {
		t.Fatalf("plain RenderAll with nil Context: %q, %v", got, err)
	}
}

func TestConcurrentRender(t *testing.T) {
	r := NewRenderer()
	l := newLookup()
	shared := newContext(l) // one Context used by all goroutines, as for a task's fields
	srcs := []struct{ src, want string }{
		{"{{ ds }}", "2026-03-04"},
		{"{{ params.learning_rate }} {{ params.nested.k }}", "0.1 [1, 'a', None]"},
		{"{% do params.list.reverse() %}{{ params.list }}", "['b', 'a', 'c']"},
		{"{{ var.value.bucket }}", "s3://data"},
		{"{{ ti.xcom_pull(task_ids='extract').rows }}", "10"},
		{"{% for x in params.list %}{{ x }}{% endfor %}", "cab"},
		{"{{ macros.ds_add(ds, 1) }}", "2026-03-05"},
	}
	const goroutines, iterations = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			own := newContext(l)
			own.RunID = fmt.Sprintf("run-%d", g)
			for i := range iterations {
				for _, s := range srcs {
					got, err := r.Render(context.Background(), s.src, shared)
					if err == nil && got != s.want {
						err = fmt.Errorf("Render(%q) = %q, want %q", s.src, got, s.want)
					}
					if err != nil {
						errs <- err
						return
					}
				}
				got, err := r.Render(context.Background(), "{{ run_id }}/{{ ti.run_id }}/"+fmt.Sprint(i%3), own)
				if want := fmt.Sprintf("run-%d/run-%d/%d", g, g, i%3); err != nil || got != want {
					errs <- fmt.Errorf("got %q, %w; want %q", got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
