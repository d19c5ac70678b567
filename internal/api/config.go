package api

import (
	"fmt"
	"net/http"
	"strings"
)

// ConfigOption is one setting GET /config shows.
type ConfigOption struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	section := q.str("section")
	if err := q.err(); err != nil {
		return err
	}
	if section != "" && section != "core" {
		return notFound("Section %s not found.", section)
	}
	opts := s.cfg.Settings
	if opts == nil {
		opts = []ConfigOption{}
	}
	return writeConfig(w, r, opts)
}

// writeConfig answers with settings of the one section, core, as JSON or
// as the text of a configuration file.
func writeConfig(w http.ResponseWriter, r *http.Request, opts []ConfigOption) error {
	accept := r.Header.Get("Accept")
	switch {
	case accept == "" || strings.Contains(accept, "application/json") || strings.Contains(accept, "*/*"):
		writeJSON(w, http.StatusOK, map[string]any{"sections": []any{map[string]any{"name": "core", "options": opts}}})
	case strings.Contains(accept, "text/plain"):
		var b strings.Builder
		b.WriteString("[core]\n")
		for _, o := range opts {
			fmt.Fprintf(&b, "%s = %s\n", o.Key, o.Value)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(b.String()))
	default:
		return errorf(http.StatusNotAcceptable, "Only application/json or text/plain is supported")
	}
	return nil
}

func (s *Server) getConfigValue(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	section, option := r.PathValue("section"), r.PathValue("option")
	if section != "core" {
		return notFound("Section %s not found.", section)
	}
	for _, o := range s.cfg.Settings {
		if o.Key == option {
			return writeConfig(w, r, []ConfigOption{o})
		}
	}
	return notFound("Option [%s/%s] not found.", section, option)
}
