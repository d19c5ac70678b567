package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// specYAML is the API's OpenAPI document, the source of truth for the
// routes, their permissions and the bodies they accept.
//
//go:embed openapi.yaml
var specYAML []byte

// specURL names the document for the schema compiler; refs inside it
// resolve against it.
const specURL = "mem:///openapi.json"

// operation is one method on one path of the document.
type operation struct {
	ID     string
	Method string
	// Path is the document's path, e.g. /api/v2/dags/{dag_id}; it is also
	// a net/http ServeMux pattern.
	Path string
	// Permission is "public" or resource:action.
	Permission string
	// Body validates the JSON request body; nil for operations without one.
	Body *jsonschema.Schema
	// Params are the parameters the operation declares, by location and name.
	Params map[string]paramSpec
	// Streams is set when the answer is a stream (JSON lines) that must
	// reach the client as it is written.
	Streams bool
}

type paramSpec struct {
	In       string
	Required bool
	Array    bool
}

// spec is the parsed document.
type spec struct {
	JSON       []byte
	Operations []*operation
	// schemas compiles any schema of the document by JSON pointer, for
	// tests that validate responses.
	compiler *jsonschema.Compiler
}

func loadSpec() (*spec, error) {
	var doc any
	if err := yaml.Unmarshal(specYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	// Decode the JSON form again so that numbers and maps have the types
	// the schema compiler expects.
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	// Formats are checked, so a body's malformed date is reported where it
	// is rather than as a decoding error.
	c.AssertFormat()
	if err := c.AddResource(specURL, inst); err != nil {
		return nil, err
	}
	var root struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Permission  string `json:"x-permission"`
			RequestBody *struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
			Parameters []struct {
				Ref      string `json:"$ref"`
				Name     string `json:"name"`
				In       string `json:"in"`
				Required bool   `json:"required"`
				Schema   struct {
					Type any `json:"type"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
		Components struct {
			Parameters map[string]struct {
				Name     string `json:"name"`
				In       string `json:"in"`
				Required bool   `json:"required"`
				Schema   struct {
					Type any `json:"type"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &root); err != nil {
		return nil, err
	}
	s := &spec{JSON: raw, compiler: c}
	for path, methods := range root.Paths {
		for method, op := range methods {
			o := &operation{ID: op.OperationID, Method: strings.ToUpper(method), Path: path,
				Permission: op.Permission, Params: map[string]paramSpec{}}
			_, o.Streams = op.Responses["200"].Content["application/x-ndjson"]
			if o.ID == "" || o.Permission == "" {
				return nil, fmt.Errorf("openapi.yaml: %s %s needs an operationId and an x-permission", o.Method, path)
			}
			for _, p := range op.Parameters {
				if p.Ref != "" {
					c, ok := root.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
					if !ok {
						return nil, fmt.Errorf("openapi.yaml: %s: unknown parameter %s", o.ID, p.Ref)
					}
					p.Name, p.In, p.Required, p.Schema.Type = c.Name, c.In, c.Required, c.Schema.Type
				}
				o.Params[p.In+":"+p.Name] = paramSpec{In: p.In, Required: p.Required, Array: p.Schema.Type == "array"}
			}
			if op.RequestBody != nil {
				if _, ok := op.RequestBody.Content["application/json"]; !ok {
					return nil, fmt.Errorf("openapi.yaml: %s: only JSON bodies are supported", o.ID)
				}
				ptr := "#/paths/" + escapePointer(path) + "/" + method + "/requestBody/content/application~1json/schema"
				if o.Body, err = c.Compile(specURL + ptr); err != nil {
					return nil, fmt.Errorf("openapi.yaml: %s: request body schema: %w", o.ID, err)
				}
			}
			s.Operations = append(s.Operations, o)
		}
	}
	slices.SortFunc(s.Operations, func(a, b *operation) int { return strings.Compare(a.ID, b.ID) })
	return s, nil
}

// escapePointer escapes a path for a JSON pointer token.
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// responseSchema compiles the schema of an operation's JSON response for a
// status code, or returns nil when the document declares no JSON body.
func (s *spec) responseSchema(op *operation, status int) (*jsonschema.Schema, error) {
	var root struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(s.JSON, &root); err != nil {
		return nil, err
	}
	code := fmt.Sprint(status)
	resp, ok := root.Paths[op.Path][strings.ToLower(op.Method)].Responses[code]
	if !ok {
		return nil, fmt.Errorf("%s declares no %d response", op.ID, status)
	}
	ptr := "#/paths/" + escapePointer(op.Path) + "/" + strings.ToLower(op.Method) + "/responses/" + code
	var r struct {
		Ref     string         `json:"$ref"`
		Content map[string]any `json:"content"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return nil, err
	}
	if r.Ref != "" {
		ptr = r.Ref
		var comps struct {
			Components struct {
				Responses map[string]struct {
					Content map[string]any `json:"content"`
				} `json:"responses"`
			} `json:"components"`
		}
		if err := json.Unmarshal(s.JSON, &comps); err != nil {
			return nil, err
		}
		r.Content = comps.Components.Responses[strings.TrimPrefix(r.Ref, "#/components/responses/")].Content
	}
	if _, ok := r.Content["application/json"]; !ok {
		return nil, nil
	}
	return s.compiler.Compile(specURL + ptr + "/content/application~1json/schema")
}

// pattern is the ServeMux pattern of an operation.
func (o *operation) pattern() string {
	return o.Method + " " + o.Path
}
