package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/updraft-dev/updraft/internal/secret"
	"github.com/updraft-dev/updraft/internal/store"
)

type connectionResponse struct {
	ConnectionID string  `json:"connection_id"`
	ConnType     string  `json:"conn_type"`
	Description  *string `json:"description"`
	Host         *string `json:"host"`
	Login        *string `json:"login"`
	Schema       *string `json:"schema"`
	Port         *int    `json:"port"`
	Password     *string `json:"password"`
	Extra        *string `json:"extra"`
}

// toConnection never returns a password: a set one shows as ***. Values
// under sensitive keys of extra are hidden too.
func (s *Server) toConnection(c *store.Connection) connectionResponse {
	out := connectionResponse{ConnectionID: c.ConnID, ConnType: c.ConnType, Description: nonEmpty(c.Description),
		Host: nonEmpty(c.Host), Login: nonEmpty(c.Login), Schema: nonEmpty(c.Schema), Port: c.Port}
	if c.Password != "" {
		masked := secret.Replacement
		out.Password = &masked
	}
	if c.Extra != "" {
		var v any
		extra := s.mask(c.Extra)
		if json.Unmarshal([]byte(c.Extra), &v) == nil {
			b, _ := json.Marshal(s.redact(v))
			extra = string(b)
		}
		out.Extra = &extra
	}
	return out
}

func (s *Server) getConnections(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	limit, offset, order := q.page(s.cfg.MaxPageLimit, "id")
	id := func(c *store.Connection) string { return c.ConnID }
	cmp := memoryOrder(q, order, id, map[string]func(a, b *store.Connection) int{
		"id": nil, "connection_id": nil,
		"conn_type": func(a, b *store.Connection) int { return strings.Compare(a.ConnType, b.ConnType) },
		"host":      func(a, b *store.Connection) int { return strings.Compare(a.Host, b.Host) },
	})
	if err := q.err(); err != nil {
		return err
	}
	list, err := s.st.ConnectionList(r.Context())
	if err != nil {
		return err
	}
	list = memoryFilter(list, q.str("connection_id_pattern"), id, cmp)
	out := make([]connectionResponse, 0, len(list))
	for _, conn := range pageOf(list, limit, offset) {
		out = append(out, s.toConnection(conn))
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": out, "total_entries": len(list)})
	return nil
}

func (s *Server) connection(r *http.Request, id string) (*store.Connection, error) {
	c, err := s.st.ConnectionGet(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The Connection with connection_id: `%s` was not found", id)
	}
	return c, err
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	conn, err := s.connection(r, r.PathValue("connection_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toConnection(conn))
	return nil
}

// connectionBody is ConnectionBody: the fields a client sends are the ones
// it is shown.
type connectionBody = connectionResponse

// apply copies the body's fields (only the masked ones when mask is not
// empty) onto c. A password of *** is the masked one the API showed: the
// stored password stays.
func (b *connectionBody) apply(c *store.Connection, mask []string) error {
	if b.Extra != nil && *b.Extra != "" {
		var obj map[string]any
		if json.Unmarshal([]byte(*b.Extra), &obj) != nil {
			return invalid("value_error", "extra must be a JSON object", "body", "extra")
		}
	}
	set := func(field string) bool { return len(mask) == 0 || slices.Contains(mask, field) }
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if set("conn_type") {
		c.ConnType = b.ConnType
	}
	if set("description") {
		c.Description = str(b.Description)
	}
	if set("host") {
		c.Host = str(b.Host)
	}
	if set("login") {
		c.Login = str(b.Login)
	}
	if set("schema") {
		c.Schema = str(b.Schema)
	}
	if set("port") {
		c.Port = b.Port
	}
	if set("password") && str(b.Password) != secret.Replacement {
		c.Password = str(b.Password)
	}
	if set("extra") {
		c.Extra = keepMaskedExtra(str(b.Extra), c.Extra)
	}
	return nil
}

// keepMaskedExtra returns a new extra in which each top-level value given
// as *** (as the API shows a sensitive one) keeps the stored value, so a
// connection read and sent back loses none of its secrets.
func keepMaskedExtra(extra, stored string) string {
	var obj, old map[string]any
	if !strings.Contains(extra, secret.Replacement) || json.Unmarshal([]byte(extra), &obj) != nil ||
		json.Unmarshal([]byte(stored), &old) != nil {
		return extra
	}
	kept := false
	for k, v := range obj {
		if v == secret.Replacement {
			if ov, ok := old[k]; ok {
				obj[k], kept = ov, true
			}
		}
	}
	if !kept {
		return extra
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return extra
	}
	return string(b)
}

func (s *Server) postConnection(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	var body connectionBody
	if err := c.decode(&body); err != nil {
		return err
	}
	conn := &store.Connection{ConnID: body.ConnectionID}
	if err := body.apply(conn, nil); err != nil {
		return err
	}
	if err := s.st.ConnectionCreate(r.Context(), conn); errors.Is(err, store.ErrConflict) {
		return errorf(http.StatusConflict, "The Connection with connection_id: `%s` already exists", body.ConnectionID)
	} else if err != nil {
		return err
	}
	conn, err := s.connection(r, body.ConnectionID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.toConnection(conn))
	return nil
}

func (s *Server) patchConnection(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mask := q.list("update_mask")
	q.oneOf("update_mask", mask, "conn_type", "description", "host", "login", "schema", "port", "password", "extra")
	if err := q.err(); err != nil {
		return err
	}
	var body connectionBody
	if err := c.decode(&body); err != nil {
		return err
	}
	id := r.PathValue("connection_id")
	if body.ConnectionID != id {
		return badRequest("The connection_id in the request body does not match the URL parameter")
	}
	conn, err := s.connection(r, id)
	if err != nil {
		return err
	}
	if err := body.apply(conn, mask); err != nil {
		return err
	}
	if err := s.st.ConnectionUpdate(r.Context(), conn); err != nil {
		return err
	}
	if conn, err = s.connection(r, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toConnection(conn))
	return nil
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	id := r.PathValue("connection_id")
	if err := s.st.ConnectionDelete(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return notFound("The Connection with connection_id: `%s` was not found", id)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
