package spec

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// schemaFile is the published schema, committed so editors can fetch it.
var schemaFile = filepath.Join("..", "..", "schema", "dag.schema.json")

// TestSchemaCommitted fails when the committed schema is not what the types
// generate: run go test ./internal/spec -update after changing them.
func TestSchemaCommitted(t *testing.T) {
	t.Parallel()
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, schemaFile, got)
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// asJSON reads YAML as an editor's YAML plugin does before validating it.
func asJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSchemaAcceptsValid checks that the schema agrees with the parser on
// every valid example.
func TestSchemaAcceptsValid(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	for _, file := range testFiles(t, "valid") {
		if err := s.Validate(asJSON(t, readFile(t, file))); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

// TestSchemaRejects checks that the schema is strict where the parser is.
func TestSchemaRejects(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	for _, src := range []string{
		y("tasks: {}"),
		y("dag_id: x", "schedul: '@daily'"),
		y("dag_id: x", "dag_id2: y"),
		y("dag_id: bad id"),
		y("dag_id: x", "tasks: {a: {retires: 1}}"),
		y("dag_id: x", "tasks: {a: {trigger_rule: maybe}}"),
		y("dag_id: x", "tasks: {a: [echo]}"),
		y("dag_id: x", "tasks: {a: {command: {run: x}}}"),
		y("dag_id: x", "tasks: {a: {retry_delay: 5 minutes}}"),
		y("dag_id: x", "tasks: {a: {env_from: [{secret: a, config_map: b}]}}"),
		y("dag_id: x", "tasks: {a: {resources: {request: {cpu: 1}}}}"),
		y("dag_id: x", "default_args: {depends_on: [a]}"),
		y("dag_id: x", "params: {n: {dfault: 1}}"),
		y("dag_id: x", "tasks: {a$b: {}}"),
		y("dag_id: x", "tasks: {a: {secrets: [{secret: s, key: k, env: K, mount: /s}]}}"),
		y("dag_id: x", "tasks: {a: {secrets: [{secret: s, env: K}]}}"),
		y("dag_id: x", "tasks: {a: {secrets: [{key: k, env: K}]}}"),
		y("dag_id: x", "tasks: {a: {on_finish_action: delete}}"),
		y("dag_id: x", "tasks: {a: {tolerations: {key: gpu}}}"),
		y("dag_id: x", "tasks: {a: {pod_override: [base]}}"),
		y("dag_id: x", "tasks: {a: {active_deadline: 1 hour}}"),
	} {
		if err := s.Validate(asJSON(t, []byte(src))); err == nil {
			t.Errorf("the schema accepts\n%s", src)
		}
	}
}
