package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/updraft-dev/updraft/internal/secret"
	"github.com/updraft-dev/updraft/internal/store"
)

type variableResponse struct {
	Key         string  `json:"key"`
	Value       string  `json:"value"`
	Description *string `json:"description"`
	IsEncrypted bool    `json:"is_encrypted"`
}

// toVariable hides the value of a variable whose key is sensitive, as
// Airflow's API does.
func (s *Server) toVariable(v *store.Variable) variableResponse {
	value := s.mask(v.Value)
	if s.cfg.Masker.ShouldMaskKey(v.Key) {
		value = secret.Replacement
	}
	return variableResponse{Key: v.Key, Value: value, Description: nonEmpty(v.Description), IsEncrypted: v.IsEncrypted}
}

func (s *Server) getVariables(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	limit, offset, order := q.page(s.cfg.MaxPageLimit, "id")
	key := func(v *store.Variable) string { return v.Key }
	cmp := memoryOrder(q, order, key, map[string]func(a, b *store.Variable) int{"id": nil, "key": nil})
	if err := q.err(); err != nil {
		return err
	}
	list, err := s.st.VariableList(r.Context())
	if err != nil {
		return err
	}
	list = memoryFilter(list, q.str("variable_key_pattern"), key, cmp)
	out := make([]variableResponse, 0, len(list))
	for _, v := range pageOf(list, limit, offset) {
		out = append(out, s.toVariable(v))
	}
	writeJSON(w, http.StatusOK, map[string]any{"variables": out, "total_entries": len(list)})
	return nil
}

func (s *Server) variable(r *http.Request, key string) (*store.Variable, error) {
	v, err := s.st.VariableGet(r.Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The Variable with key: `%s` was not found", key)
	}
	return v, err
}

func (s *Server) getVariable(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	v, err := s.variable(r, r.PathValue("variable_key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toVariable(v))
	return nil
}

// variableBody is VariableBody: a string value is kept as it is, any other
// JSON value as its JSON text, as Airflow keeps it.
type variableBody struct {
	Key         string          `json:"key"`
	Value       json.RawMessage `json:"value"`
	Description *string         `json:"description"`
}

func (b *variableBody) value() string {
	var str string
	if json.Unmarshal(b.Value, &str) == nil {
		return str
	}
	return string(b.Value)
}

func (s *Server) postVariable(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	var body variableBody
	if err := c.decode(&body); err != nil {
		return err
	}
	v := &store.Variable{Key: body.Key, Value: body.value()}
	if body.Description != nil {
		v.Description = *body.Description
	}
	if err := s.st.VariableCreate(r.Context(), v); errors.Is(err, store.ErrConflict) {
		return errorf(http.StatusConflict, "The Variable with key: `%s` already exists", body.Key)
	} else if err != nil {
		return err
	}
	v, err := s.variable(r, body.Key)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.toVariable(v))
	return nil
}

func (s *Server) patchVariable(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mask := q.list("update_mask")
	q.oneOf("update_mask", mask, "value", "description")
	if err := q.err(); err != nil {
		return err
	}
	var body variableBody
	if err := c.decode(&body); err != nil {
		return err
	}
	key := r.PathValue("variable_key")
	if body.Key != key {
		return badRequest("Invalid body, key from request body doesn't match uri parameter")
	}
	v, err := s.variable(r, key)
	if err != nil {
		return err
	}
	if len(mask) == 0 || slices.Contains(mask, "value") {
		v.Value = body.value()
	}
	if len(mask) == 0 || slices.Contains(mask, "description") {
		v.Description = ""
		if body.Description != nil {
			v.Description = *body.Description
		}
	}
	if err := s.st.VariableSet(r.Context(), v); err != nil {
		return err
	}
	if v, err = s.variable(r, key); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toVariable(v))
	return nil
}

func (s *Server) deleteVariable(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	key := r.PathValue("variable_key")
	if _, err := s.variable(r, key); err != nil {
		return err
	}
	if err := s.st.VariableDelete(r.Context(), key); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
