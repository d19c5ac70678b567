package spec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/invopop/jsonschema"

	"github.com/updraft-dev/updraft/internal/dag"
)

// SchemaID is the $id of the published schema, named after the place it is
// committed in the repository.
const SchemaID = "https://github.com/updraft-dev/updraft/schema/dag.schema.json"

// Schema returns the JSON Schema of a DAG file, generated from the types the
// decoder fills, so the two cannot drift apart.
func Schema() ([]byte, error) {
	r := newReflector()
	r.ExpandedStruct = true
	s := r.Reflect(&dagFile{})
	s.ID = SchemaID
	s.Title = "updraft DAG file"
	s.Description = "One DAG: its schedule, params and tasks, in Apache Airflow's terms."
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func newReflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		Anonymous:                  true,
		Namer:                      schemaName,
	}
}

// schemaName names the $defs after the types, in the style of JSON Schema.
func schemaName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[taskSpec]():
		return "Task"
	case reflect.TypeFor[taskFields]():
		return "TaskDefaults"
	case reflect.TypeFor[stringList]():
		return "TaskIDs"
	case reflect.TypeFor[secretSpec]():
		return "Secret"
	}
	if k, ok := reflect.New(t).Elem().Interface().(kubeObject); ok {
		return kubeSchemaName(k.apiType())
	}
	name := t.Name()
	if name == "" || strings.Contains(name, "[") {
		return ""
	}
	r := []rune(name)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// inline is the schema of a struct written out in place, for the long form
// of a union whose other forms the JSONSchema methods below write by hand.
func inline(v any) *jsonschema.Schema {
	r := newReflector()
	r.ExpandedStruct = true
	r.DoNotReference = true
	s := r.Reflect(v)
	s.Version = ""
	s.Definitions = nil
	return s
}

func oneOf(description string, schemas ...*jsonschema.Schema) *jsonschema.Schema {
	return &jsonschema.Schema{Description: description, OneOf: schemas}
}

// goDuration matches what time.ParseDuration accepts, without a sign.
const goDuration = `^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`

func (duration) JSONSchema() *jsonschema.Schema {
	return oneOf("A duration like 30s, 5m or 1h30m, or a number of seconds.",
		&jsonschema.Schema{Type: "string", Pattern: goDuration, Examples: []any{"30s", "5m", "1h30m"}},
		&jsonschema.Schema{Type: "integer", Minimum: "0"},
	)
}

func (date) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Type:        "string",
		Description: "A date (2026-01-01) or an RFC 3339 time (2026-01-01T03:00:00Z); without an offset it is in the DAG's timezone.",
		Pattern:     `^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$`,
		Examples:    []any{"2026-01-01", "2026-01-01T03:00:00Z"},
	}
}

func textSchema() *jsonschema.Schema {
	return oneOf("", &jsonschema.Schema{Type: "string"}, &jsonschema.Schema{Type: "number"}, &jsonschema.Schema{Type: "boolean"})
}

func (text) JSONSchema() *jsonschema.Schema {
	s := textSchema()
	s.Description = "A string; a number or boolean is taken as written."
	return s
}

func (stringList) JSONSchema() *jsonschema.Schema {
	return oneOf("One task id or a list of them.",
		&jsonschema.Schema{Type: "string"},
		&jsonschema.Schema{Type: "array", Items: &jsonschema.Schema{Type: "string"}},
	)
}

func (command) JSONSchema() *jsonschema.Schema {
	one := uint64(1)
	return oneOf("A list of arguments, run directly, or a string run by /bin/sh -c.",
		&jsonschema.Schema{Type: "string", MinLength: &one},
		&jsonschema.Schema{Type: "array", MinItems: &one, Items: textSchema()},
	)
}

func (resources) JSONSchema() *jsonschema.Schema {
	one := uint64(1)
	return oneOf("A resource profile name, or the container's requests and limits.",
		&jsonschema.Schema{Type: "string", MinLength: &one},
		inline(&resourceSpec{}),
	)
}

func (param) JSONSchema() *jsonschema.Schema {
	long := inline(&paramSpec{})
	long.Description = "The long form; an object default is written {default: {...}}."
	return oneOf("The param's default value, or its long form.",
		long,
		&jsonschema.Schema{Type: "string"},
		&jsonschema.Schema{Type: "number"},
		&jsonschema.Schema{Type: "boolean"},
		&jsonschema.Schema{Type: "array"},
		&jsonschema.Schema{Type: "null"},
	)
}

// kubeObject is implemented by kube, for the schema to name it after the
// Kubernetes type it holds.
type kubeObject interface{ apiType() reflect.Type }

func (kube[T]) apiType() reflect.Type { return reflect.TypeFor[T]() }

// kubeSchemaName names a Kubernetes object KubernetesToleration, a list of
// them KubernetesTolerationList.
func kubeSchemaName(t reflect.Type) string {
	if t.Kind() == reflect.Slice {
		return "Kubernetes" + t.Elem().Name() + "List"
	}
	return "Kubernetes" + t.Name()
}

// JSONSchema types a Kubernetes object loosely, as an object or a list of
// them, pointing at its API type: the parser checks it against that type.
func (kube[T]) JSONSchema() *jsonschema.Schema {
	t := reflect.TypeFor[T]()
	if t.Kind() == reflect.Slice {
		e := t.Elem()
		return &jsonschema.Schema{
			Type:        "array",
			Description: fmt.Sprintf("A list of Kubernetes %s (%s), each written as in a pod manifest.", e.Name(), e.PkgPath()),
			Items:       &jsonschema.Schema{Type: "object"},
		}
	}
	return &jsonschema.Schema{
		Type:        "object",
		Description: fmt.Sprintf("A Kubernetes %s (%s), written as in a pod manifest.", t.Name(), t.PkgPath()),
	}
}

func (secretSpec) JSONSchemaExtend(s *jsonschema.Schema) {
	s.DependentRequired = map[string][]string{"env": {"key"}}
}

// JSONSchemaAlias describes the ordered mapping as the plain mapping it is
// written as.
func (orderedMap[V]) JSONSchemaAlias() any { return map[string]V{} }

func (taskFields) JSONSchemaExtend(s *jsonschema.Schema) {
	setEnum(s, "trigger_rule", dag.TriggerRules())
	setEnum(s, "executor", executors)
	setEnum(s, "image_pull_policy", imagePullPolicies)
	setEnum(s, "on_finish_action", dag.OnFinishActions)
}

func (dagFile) JSONSchemaExtend(s *jsonschema.Schema) {
	s.PatternProperties = map[string]*jsonschema.Schema{
		"^" + extensionPrefix: {Description: "Ignored: a place for anchors that tasks merge with <<."},
	}
	// invopop puts a nullable field's description inside its oneOf, where
	// editors do not look for it.
	if sched, ok := s.Properties.Get("schedule"); ok && len(sched.OneOf) > 0 {
		sched.Description, sched.OneOf[0].Description = sched.OneOf[0].Description, ""
	}
	tasks, ok := s.Properties.Get("tasks")
	if !ok {
		return
	}
	tasks.PropertyNames = &jsonschema.Schema{Pattern: idPattern.String(), MaxLength: ptr(uint64(maxIDLength))}
	// A task with nothing to set may be left empty: `report:`.
	tasks.AdditionalProperties = &jsonschema.Schema{OneOf: []*jsonschema.Schema{
		tasks.AdditionalProperties, {Type: "null"},
	}}
}

func setEnum[T ~string](s *jsonschema.Schema, prop string, values []T) {
	p, ok := s.Properties.Get(prop)
	if !ok {
		return
	}
	p.Enum = nil
	for _, v := range values {
		p.Enum = append(p.Enum, string(v))
	}
}

func ptr[T any](v T) *T { return &v }
