package template

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// renderState is one render's (or one RenderAll's) view of a Context: the
// objects built for it and what was looked up through Lookup.
type renderState struct {
	ctx context.Context
	tc  *Context

	params any
	dagRun *dagRun
	ti     *taskInstance

	vars  map[string]varEntry
	xcoms map[[2]string]xcomEntry
	errs  []*lookupError
}

type varEntry struct {
	value string
	ok    bool
}

type xcomEntry struct {
	value json.RawMessage
	ok    bool
}

// fail records an error this package gives to gonja, which keeps only its
// message, and returns it as a value gonja propagates.
func (st *renderState) fail(le *lookupError) *exec.Value {
	st.errs = append(st.errs, le)
	return exec.AsValue(le)
}

// globals are the names a template sees besides gonja's and the static ones
// (macros, none). Each is built only for templates that mention it.
var globals = []struct {
	name  string
	build func(st *renderState) any
}{
	{"ds", func(st *renderState) any { return dsOf(st.tc.LogicalDate) }},
	{"ds_nodash", func(st *renderState) any { return dsNodashOf(st.tc.LogicalDate) }},
	{"ts", func(st *renderState) any { return isoformat(st.tc.LogicalDate) }},
	{"ts_nodash", func(st *renderState) any { return tsNodashOf(st.tc.LogicalDate) }},
	{"ts_nodash_with_tz", func(st *renderState) any { return tsNodashWithTZ(st.tc.LogicalDate) }},
	{"logical_date", func(st *renderState) any { return newDateTime(st.tc.LogicalDate) }},
	{"data_interval_start", func(st *renderState) any { return newDateTime(st.tc.DataIntervalStart) }},
	{"data_interval_end", func(st *renderState) any { return newDateTime(st.tc.DataIntervalEnd) }},
	{"prev_data_interval_start_success", func(st *renderState) any { return optDateTime(st.tc.PrevDataIntervalStartSuccess) }},
	{"prev_data_interval_end_success", func(st *renderState) any { return optDateTime(st.tc.PrevDataIntervalEndSuccess) }},
	{"prev_ds", func(st *renderState) any { return optFormat(st.tc.PrevDataIntervalStartSuccess, dsOf) }},
	{"prev_ds_nodash", func(st *renderState) any { return optFormat(st.tc.PrevDataIntervalStartSuccess, dsNodashOf) }},
	{"run_id", func(st *renderState) any { return st.tc.RunID }},
	{"dag_run", func(st *renderState) any { return st.getDagRun() }},
	{"dag", func(st *renderState) any { return &dagObject{st.tc} }},
	{"task", func(st *renderState) any { return &taskObject{st.tc} }},
	{"ti", func(st *renderState) any { return st.getTaskInstance() }},
	{"task_instance", func(st *renderState) any { return st.getTaskInstance() }},
	{"params", func(st *renderState) any { return st.getParams() }},
	{"var", func(st *renderState) any {
		return &varObject{value: &varAccessor{st: st}, json: &varAccessor{st: st, json: true}}
	}},
}

func init() {
	if len(globals) > 32 {
		panic("template: globals do not fit the uses bitmask")
	}
}

// optDateTime returns an untyped nil for nil, so that the template sees None
// and not a nil pointer.
func optDateTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return newDateTime(*t)
}

func optFormat(t *time.Time, format func(time.Time) string) any {
	if t == nil {
		return nil
	}
	return format(*t)
}

// getParams copies Params: templates can change what they see
// ({% set params.x = 1 %}, list.reverse()), and a Context is shared by
// concurrent renders.
func (st *renderState) getParams() any {
	if st.params == nil {
		st.params = plainCopy(st.tc.Params)
		if st.params == nil {
			st.params = map[string]any{}
		}
	}
	return st.params
}

func (st *renderState) getDagRun() *dagRun {
	if st.dagRun == nil {
		conf := plainCopy(st.tc.Conf)
		if conf == nil {
			conf = map[string]any{}
		}
		st.dagRun = &dagRun{tc: st.tc, conf: conf}
	}
	return st.dagRun
}

func (st *renderState) getTaskInstance() *taskInstance {
	if st.ti == nil {
		st.ti = &taskInstance{st: st}
	}
	return st.ti
}

// dagRun is dag_run.
type dagRun struct {
	tc   *Context
	conf any
}

func (d *dagRun) String() string {
	return fmt.Sprintf("<DagRun %s @ %s: %s, run_type: %s>", d.tc.DagID, isoformat(d.tc.LogicalDate), d.tc.RunID, d.tc.RunType)
}

func (d *dagRun) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "run_id":
		return exec.AsValue(d.tc.RunID), true
	case "dag_id":
		return exec.AsValue(d.tc.DagID), true
	case "conf":
		return exec.AsValue(d.conf), true
	case "run_type":
		return exec.AsValue(d.tc.RunType), true
	case "logical_date":
		return exec.AsValue(newDateTime(d.tc.LogicalDate)), true
	case "data_interval_start":
		return exec.AsValue(newDateTime(d.tc.DataIntervalStart)), true
	case "data_interval_end":
		return exec.AsValue(newDateTime(d.tc.DataIntervalEnd)), true
	}
	return exec.AsValue(nil), false
}

// dagObject is dag.
type dagObject struct{ tc *Context }

func (d *dagObject) String() string { return "<DAG: " + d.tc.DagID + ">" }

func (d *dagObject) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "dag_id":
		return exec.AsValue(d.tc.DagID), true
	case "owner":
		return exec.AsValue(d.tc.Owner), true
	}
	return exec.AsValue(nil), false
}

// taskObject is task.
type taskObject struct{ tc *Context }

func (t *taskObject) String() string { return "<Task: " + t.tc.TaskID + ">" }

func (t *taskObject) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "task_id":
		return exec.AsValue(t.tc.TaskID), true
	case "dag_id":
		return exec.AsValue(t.tc.DagID), true
	case "owner":
		return exec.AsValue(t.tc.Owner), true
	}
	return exec.AsValue(nil), false
}

// taskInstance is ti and task_instance.
type taskInstance struct{ st *renderState }

func (ti *taskInstance) String() string {
	tc := ti.st.tc
	if tc.MapIndex >= 0 {
		return fmt.Sprintf("<TaskInstance: %s.%s %s map_index=%d [running]>", tc.DagID, tc.TaskID, tc.RunID, tc.MapIndex)
	}
	return fmt.Sprintf("<TaskInstance: %s.%s %s [running]>", tc.DagID, tc.TaskID, tc.RunID)
}

func (ti *taskInstance) GetAttribute(name string) (*exec.Value, bool) {
	tc := ti.st.tc
	switch name {
	case "task_id":
		return exec.AsValue(tc.TaskID), true
	case "dag_id":
		return exec.AsValue(tc.DagID), true
	case "run_id":
		return exec.AsValue(tc.RunID), true
	case "try_number":
		return exec.AsValue(tc.TryNumber), true
	case "map_index":
		return exec.AsValue(tc.MapIndex), true
	case "xcom_pull":
		return exec.AsValue(ti.st.xcomPull), true
	}
	return exec.AsValue(nil), false
}

// xcomPull is ti.xcom_pull with Airflow's signature. Of its arguments, those
// that would reach outside the run (dag_id, run_id, include_prior_dates) are
// accepted only with values that stay inside it; map_indexes is not
// supported.
func (st *renderState) xcomPull(va *exec.VarArgs) (any, error) {
	args, err := bindArgs("xcom_pull", va,
		[]string{"task_ids", "dag_id", "key", "include_prior_dates", "map_indexes", "default", "run_id"}, 0)
	if err != nil {
		return nil, st.argError(err)
	}
	taskIDsArg, dagIDArg, keyArg, priorArg, mapArg, defaultArg, runIDArg := args[0], args[1], args[2], args[3], args[4], args[5], args[6]

	if taskIDsArg == nil || taskIDsArg.IsNil() {
		return nil, st.argError(errors.New("xcom_pull(): task_ids is required"))
	}
	if dagIDArg != nil && !dagIDArg.IsNil() && dagIDArg.String() != st.tc.DagID {
		return nil, st.argError(fmt.Errorf("xcom_pull(): dag_id %q: only XComs of the same DAG run can be pulled", dagIDArg.String()))
	}
	if runIDArg != nil && !runIDArg.IsNil() && runIDArg.String() != st.tc.RunID {
		return nil, st.argError(fmt.Errorf("xcom_pull(): run_id %q: only XComs of the same DAG run can be pulled", runIDArg.String()))
	}
	if priorArg != nil && priorArg.IsTrue() {
		return nil, st.argError(errors.New("xcom_pull(): include_prior_dates is not supported"))
	}
	if mapArg != nil && !mapArg.IsNil() {
		return nil, st.argError(errors.New("xcom_pull(): map_indexes is not supported"))
	}
	key := "return_value"
	if keyArg != nil {
		if key, err = stringArg("xcom_pull", "key", keyArg); err != nil {
			return nil, st.argError(err)
		}
	}

	if taskIDsArg.IsString() {
		v, ok, err := st.pullOne(taskIDsArg.String(), key)
		if err != nil {
			return nil, err
		}
		if !ok {
			// Airflow returns None (or default) for a missing XCom; a
			// template that needs it fails on its use, e.g. None.x.
			if defaultArg != nil {
				return defaultArg.Interface(), nil
			}
			return nil, nil
		}
		return v, nil
	}
	if !taskIDsArg.IsList() {
		return nil, st.argError(fmt.Errorf("xcom_pull(): task_ids must be a string or a list of strings, not %s", typeName(taskIDsArg)))
	}
	// As in Airflow, a list of task_ids gives the values that exist, in the
	// order of task_ids.
	values := []any{}
	for i := range taskIDsArg.Len() {
		item := taskIDsArg.Index(i)
		if !item.IsString() {
			return nil, st.argError(fmt.Errorf("xcom_pull(): task_ids must be a string or a list of strings, not a list holding %s", typeName(item)))
		}
		v, ok, err := st.pullOne(item.String(), key)
		if err != nil {
			return nil, err
		}
		if ok {
			values = append(values, v)
		}
	}
	return values, nil
}

func (st *renderState) argError(err error) error {
	le := &lookupError{msg: err.Error()}
	st.errs = append(st.errs, le)
	return le
}

func (st *renderState) pullOne(taskID, key string) (any, bool, error) {
	desc := fmt.Sprintf("xcom_pull(task_ids=%s, key=%s)", pyRepr(taskID), pyRepr(key))
	if st.tc.Lookup == nil {
		return nil, false, st.record(&lookupError{msg: desc + ": XComs are not available here", hard: true})
	}
	k := [2]string{taskID, key}
	e, cached := st.xcoms[k]
	if !cached {
		raw, ok, err := st.tc.Lookup.XComPull(st.ctx, taskID, key)
		if err != nil {
			return nil, false, st.record(&lookupError{msg: desc + ": " + err.Error(), err: err, hard: true})
		}
		e = xcomEntry{value: raw, ok: ok}
		if st.xcoms == nil {
			st.xcoms = map[[2]string]xcomEntry{}
		}
		st.xcoms[k] = e
	}
	if !e.ok {
		return nil, false, nil
	}
	// Decoded at each pull: the template may change what it gets.
	v, err := DecodeJSON(e.value)
	if err != nil {
		return nil, false, st.record(&lookupError{msg: desc + ": the XCom is not valid JSON: " + err.Error(), err: err, hard: true})
	}
	return v, true, nil
}

func (st *renderState) record(le *lookupError) error {
	st.errs = append(st.errs, le)
	return le
}

// varObject is var: var.value.x is a Variable's string, var.json.x its value
// decoded from JSON.
type varObject struct {
	value, json *varAccessor
}

func (v *varObject) String() string { return "<var>" }

func (v *varObject) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "value":
		return exec.AsValue(v.value), true
	case "json":
		return exec.AsValue(v.json), true
	}
	return exec.AsValue(nil), false
}

type varAccessor struct {
	st   *renderState
	json bool
}

func (a *varAccessor) String() string {
	if a.json {
		return "<var.json>"
	}
	return "<var.value>"
}

// GetAttribute looks the Variable up. It reports every name as found, with
// the error as the value when it is not: gonja would otherwise retry the
// name as an item and replace the error with its own.
func (a *varAccessor) GetAttribute(name string) (*exec.Value, bool) {
	if name == "get" {
		// var.value.get('key', default_var) as in Airflow; a Variable named
		// "get" is reachable as var.value['get'].
		return exec.AsValue(a.get), true
	}
	return a.lookup(name), true
}

func (a *varAccessor) GetItem(key any) (*exec.Value, bool) {
	name, ok := key.(string)
	if !ok {
		return a.st.fail(&lookupError{msg: fmt.Sprintf("variable keys are strings, not %v", key)}), true
	}
	return a.lookup(name), true
}

func (a *varAccessor) get(va *exec.VarArgs) (any, error) {
	args, err := bindArgs("get", va, []string{"key", "default_var"}, 1)
	if err != nil {
		return nil, a.st.argError(err)
	}
	key, err := stringArg("get", "key", args[0])
	if err != nil {
		return nil, a.st.argError(err)
	}
	raw, ok, err := a.st.variable(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		if args[1] != nil {
			return args[1].Interface(), nil
		}
		return nil, nil
	}
	return a.decode(key, raw)
}

func (a *varAccessor) lookup(key string) *exec.Value {
	raw, ok, err := a.st.variable(key)
	if err != nil {
		return exec.AsValue(err)
	}
	if !ok {
		return a.st.fail(&lookupError{msg: fmt.Sprintf("variable %q does not exist", key), kind: ErrVariableNotFound})
	}
	v, err := a.decode(key, raw)
	if err != nil {
		return exec.AsValue(err)
	}
	return exec.AsValue(v)
}

func (a *varAccessor) decode(key, raw string) (any, error) {
	if !a.json {
		return raw, nil
	}
	v, err := DecodeJSON([]byte(raw))
	if err != nil {
		return nil, a.st.record(&lookupError{msg: fmt.Sprintf("variable %q is not valid JSON: %v", key, err), err: err, hard: true})
	}
	return v, nil
}

func (st *renderState) variable(key string) (string, bool, error) {
	if e, ok := st.vars[key]; ok {
		return e.value, e.ok, nil
	}
	if st.tc.Lookup == nil {
		return "", false, st.record(&lookupError{msg: fmt.Sprintf("variable %q: Variables are not available here", key), hard: true})
	}
	v, ok, err := st.tc.Lookup.Variable(st.ctx, key)
	if err != nil {
		return "", false, st.record(&lookupError{msg: fmt.Sprintf("reading variable %q: %v", key, err), err: err, hard: true})
	}
	if st.vars == nil {
		st.vars = map[string]varEntry{}
	}
	st.vars[key] = varEntry{value: v, ok: ok}
	return v, ok, nil
}

// DecodeJSON decodes as Python's json module does for printing: integers stay
// integers (10, not 10.0), other numbers are floats. A run's conf is read
// this way, so a param of 2 renders as 2 whether it came from the DAG file
// or the API.
func DecodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return plainCopy(v), nil
}

// plainCopy deep-copies a JSON- or YAML-like value into map[string]any, []any
// and scalars, turning json.Number into int or float64. Other values are kept.
func plainCopy(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int, int64, float64:
		return x
	case json.Number:
		if i, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return int(i)
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		// Out of range for float64 too: keep the digits.
		return x.String()
	case map[string]any:
		if x == nil {
			return nil
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = plainCopy(e)
		}
		return m
	case []any:
		if x == nil {
			return nil
		}
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = plainCopy(e)
		}
		return s
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.IsNil() {
			return nil
		}
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			k := it.Key()
			var ks string
			if k.Kind() == reflect.String {
				ks = k.String()
			} else {
				ks = pyStr(k.Interface())
			}
			m[ks] = plainCopy(it.Value().Interface())
		}
		return m
	case reflect.Slice:
		if rv.IsNil() {
			return nil
		}
		fallthrough
	case reflect.Array:
		s := make([]any, rv.Len())
		for i := range s {
			s[i] = plainCopy(rv.Index(i).Interface())
		}
		return s
	case reflect.Float32:
		// float32(0.1) would print as 0.10000000149011612.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(rv.Float(), 'g', -1, 32), 64)
		return f
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int(u)
		}
	default:
		// Other kinds are handled after the switch.
	}
	return v
}
