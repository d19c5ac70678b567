package dag

import (
	"fmt"
	"math"
	"reflect"
)

// Check reports whether v is a valid value of the param: its type, enum and
// bounds, the subset of JSON Schema that Airflow's Param is used with. Values
// come from YAML or JSON, so numbers may be any Go numeric type.
func (p Param) Check(v any) error {
	if err := checkType(p.Type, v); err != nil {
		return err
	}
	if len(p.Enum) > 0 {
		found := false
		for _, e := range p.Enum {
			if looseEqual(e, v) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%v is not one of %v", v, p.Enum)
		}
	}
	if f, ok := toFloat(v); ok {
		if p.Minimum != nil && f < *p.Minimum {
			return fmt.Errorf("%v is less than the minimum %v", v, *p.Minimum)
		}
		if p.Maximum != nil && f > *p.Maximum {
			return fmt.Errorf("%v is greater than the maximum %v", v, *p.Maximum)
		}
	}
	return nil
}

func checkType(t ParamType, v any) error {
	ok := true
	switch t {
	case ParamAny:
	case ParamString:
		_, ok = v.(string)
	case ParamInteger:
		f, isNum := toFloat(v)
		ok = isNum && f == math.Trunc(f)
	case ParamNumber:
		_, ok = toFloat(v)
	case ParamBoolean:
		_, ok = v.(bool)
	case ParamArray:
		ok = v != nil && reflect.TypeOf(v).Kind() == reflect.Slice
	case ParamObject:
		ok = v != nil && reflect.TypeOf(v).Kind() == reflect.Map
	case ParamNull:
		ok = v == nil
	default:
		return fmt.Errorf("unknown type %q", t)
	}
	if !ok {
		return fmt.Errorf("%v (%s) is not of type %s", v, jsonKind(v), t)
	}
	return nil
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	return 0, false
}

func looseEqual(a, b any) bool {
	fa, okA := toFloat(a)
	fb, okB := toFloat(b)
	if okA && okB {
		return fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	if _, ok := toFloat(v); ok {
		return "number"
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Slice:
		return "array"
	case reflect.Map:
		return "object"
	default:
		return reflect.TypeOf(v).String()
	}
}
