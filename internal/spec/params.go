package spec

import (
	"math"
	"slices"

	"github.com/updraft-dev/updraft/internal/dag"
)

var paramTypes = []dag.ParamType{dag.ParamString, dag.ParamInteger, dag.ParamNumber,
	dag.ParamBoolean, dag.ParamArray, dag.ParamObject, dag.ParamNull}

// params builds the params in file order, checking each default against its
// type, enum and bounds as Airflow's Param does when the DAG is parsed.
func (d *decoder) params(entries orderedMap[param]) []dag.Param {
	var out []dag.Param
	for _, e := range entries {
		path := joinKey("params", e.key)
		s := e.value.spec
		p := dag.Param{
			Name:        e.key,
			Default:     s.Default,
			Type:        dag.ParamType(s.Type),
			Description: s.Description,
			Enum:        s.Enum,
			Minimum:     s.Minimum,
			Maximum:     s.Maximum,
		}
		if e.key == "" {
			d.errorAt(d.keyAt(path), path, "empty param name")
		}
		if !e.value.short {
			d.checkParam(path, p)
		}
		// 2.0 is an integer to JSON Schema; store it as one so users of the
		// model see the Go type its type promises.
		if f, ok := p.Default.(float64); ok && p.Type == dag.ParamInteger && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			p.Default = int64(f)
		}
		if p.Type == dag.ParamAny {
			p.Type = typeOf(p.Default)
		}
		out = append(out, p)
	}
	return out
}

func (d *decoder) checkParam(path string, p dag.Param) {
	at := func(key string) (pos, string) {
		fp := joinKey(path, key)
		return d.valueAt(fp), fp
	}
	if p.Type != dag.ParamAny && !slices.Contains(paramTypes, p.Type) {
		pp, fp := at("type")
		d.errorAt(pp, fp, "unknown type %q; use one of %s", p.Type, quoteList(paramTypes))
		return
	}
	numeric := p.Type == dag.ParamAny || p.Type == dag.ParamNumber || p.Type == dag.ParamInteger
	if !numeric && (p.Minimum != nil || p.Maximum != nil) {
		key := "maximum"
		if p.Minimum != nil {
			key = "minimum"
		}
		pp, fp := at(key)
		d.errorAt(pp, fp, "minimum and maximum apply to numbers only, not to type %s", p.Type)
		return
	}
	if p.Minimum != nil && p.Maximum != nil && *p.Maximum < *p.Minimum {
		pp, fp := at("maximum")
		d.errorAt(pp, fp, "maximum %v is less than minimum %v", *p.Maximum, *p.Minimum)
	}
	for i, v := range p.Enum {
		fp := indexPath(joinKey(path, "enum"), i)
		if err := (dag.Param{Type: p.Type}).Check(v); err != nil && !d.reported(fp) {
			d.errorAt(d.valueAt(fp), fp, "invalid enum value: %v", err)
		}
	}
	if p.Default != nil {
		if err := p.Check(p.Default); err != nil {
			pp, fp := at("default")
			d.errorAt(pp, fp, "invalid default: %v", err)
		}
	}
}

// typeOf infers the type of a short-form param from its default.
func typeOf(v any) dag.ParamType {
	switch v.(type) {
	case string:
		return dag.ParamString
	case int64:
		return dag.ParamInteger
	case float64:
		return dag.ParamNumber
	case bool:
		return dag.ParamBoolean
	case []any:
		return dag.ParamArray
	case map[string]any:
		return dag.ParamObject
	}
	return dag.ParamAny
}
