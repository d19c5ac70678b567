package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
)

type xcomResponse struct {
	Key             string     `json:"key"`
	Timestamp       time.Time  `json:"timestamp"`
	LogicalDate     *time.Time `json:"logical_date"`
	MapIndex        int        `json:"map_index"`
	TaskID          string     `json:"task_id"`
	DagID           string     `json:"dag_id"`
	RunID           string     `json:"run_id"`
	DagDisplayName  string     `json:"dag_display_name"`
	TaskDisplayName string     `json:"task_display_name"`
}

func toXCom(x *store.XCom, run *store.DagRun) xcomResponse {
	return xcomResponse{Key: x.Key, Timestamp: x.Timestamp.UTC(), LogicalDate: utc(run.LogicalDate), MapIndex: x.MapIndex,
		TaskID: x.TaskID, DagID: run.DagID, RunID: run.RunID, DagDisplayName: run.DagID, TaskDisplayName: x.TaskID}
}

func (s *Server) getXComEntries(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	limit, offset, _ := q.page(s.cfg.MaxPageLimit, "")
	key := q.str("xcom_key")
	mapIndex := q.integer("map_index", -2, -1)
	if err := q.err(); err != nil {
		return err
	}
	run, err := s.run(r)
	if err != nil {
		return err
	}
	list, err := s.st.XComList(r.Context(), run.ID)
	if err != nil {
		return err
	}
	task := r.PathValue("task_id")
	var match []*store.XCom
	for _, x := range list {
		if (task == allDags || x.TaskID == task) && (key == "" || x.Key == key) && (mapIndex == -2 || x.MapIndex == mapIndex) {
			match = append(match, x)
		}
	}
	out := make([]xcomResponse, 0, len(match))
	for _, x := range pageOf(match, limit, offset) {
		out = append(out, toXCom(x, run))
	}
	writeJSON(w, http.StatusOK, map[string]any{"xcom_entries": out, "total_entries": len(match)})
	return nil
}

func (s *Server) getXComEntry(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mapIndex := q.integer("map_index", -1, -1)
	deserialize := q.boolean("deserialize")
	_ = q.boolean("stringify")
	if err := q.err(); err != nil {
		return err
	}
	run, err := s.run(r)
	if err != nil {
		return err
	}
	key, task := r.PathValue("xcom_key"), r.PathValue("task_id")
	x, err := s.st.XComGet(r.Context(), run.ID, task, mapIndex, key)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("XCom entry with key: `%s` not found", key)
	}
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(x.Value, &v); err != nil {
		return err
	}
	out := struct {
		xcomResponse
		Value any `json:"value"`
	}{xcomResponse: toXCom(x, run)}
	v = s.redact(v)
	if deserialize != nil && *deserialize {
		out.Value = v
	} else if str, ok := v.(string); ok {
		out.Value = str
	} else {
		b, _ := json.Marshal(v)
		out.Value = string(b)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
