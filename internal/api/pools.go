package api

import (
	"errors"
	"net/http"
	"slices"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

type poolResponse struct {
	Name            string  `json:"name"`
	Slots           int     `json:"slots"`
	Description     *string `json:"description"`
	IncludeDeferred bool    `json:"include_deferred"`
	OccupiedSlots   int     `json:"occupied_slots"`
	RunningSlots    int     `json:"running_slots"`
	QueuedSlots     int     `json:"queued_slots"`
	ScheduledSlots  int     `json:"scheduled_slots"`
	OpenSlots       int     `json:"open_slots"`
	DeferredSlots   int     `json:"deferred_slots"`
}

// toPool renders a pool with the task instances that hold or wait for its
// slots, counted per state.
func (s *Server) toPool(r *http.Request, p *store.Pool) (poolResponse, error) {
	out := poolResponse{Name: p.Name, Slots: p.Slots, Description: nonEmpty(p.Description)}
	for _, c := range []struct {
		state dag.TaskState
		n     *int
	}{{dag.TaskRunning, &out.RunningSlots}, {dag.TaskQueued, &out.QueuedSlots}, {dag.TaskScheduled, &out.ScheduledSlots}} {
		_, n, err := s.st.TaskInstanceQuery(r.Context(), &store.TaskInstanceQueryParams{
			Pools: []string{p.Name}, States: []dag.TaskState{c.state}, Page: store.Page{Limit: 1}})
		if err != nil {
			return out, err
		}
		*c.n = n
	}
	out.OccupiedSlots = out.RunningSlots + out.QueuedSlots
	out.OpenSlots = max(0, p.Slots-out.OccupiedSlots)
	return out, nil
}

func (s *Server) getPools(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	limit, offset, order := q.page(s.cfg.MaxPageLimit, "id")
	name := func(p *store.Pool) string { return p.Name }
	cmp := memoryOrder(q, order, name, map[string]func(a, b *store.Pool) int{
		"id": nil, "name": nil, "pool": nil,
		"slots": func(a, b *store.Pool) int { return a.Slots - b.Slots },
	})
	if err := q.err(); err != nil {
		return err
	}
	list, err := s.st.PoolList(r.Context())
	if err != nil {
		return err
	}
	list = memoryFilter(list, q.str("pool_name_pattern"), name, cmp)
	out := make([]poolResponse, 0, len(list))
	for _, p := range pageOf(list, limit, offset) {
		pr, err := s.toPool(r, p)
		if err != nil {
			return err
		}
		out = append(out, pr)
	}
	writeJSON(w, http.StatusOK, map[string]any{"pools": out, "total_entries": len(list)})
	return nil
}

func (s *Server) pool(r *http.Request, name string) (*store.Pool, error) {
	p, err := s.st.PoolGet(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The Pool with name: `%s` was not found", name)
	}
	return p, err
}

func (s *Server) writePool(w http.ResponseWriter, r *http.Request, status int, p *store.Pool) error {
	pr, err := s.toPool(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, status, pr)
	return nil
}

func (s *Server) getPool(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	p, err := s.pool(r, r.PathValue("pool_name"))
	if err != nil {
		return err
	}
	return s.writePool(w, r, http.StatusOK, p)
}

func (s *Server) postPool(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	var body struct {
		Name        string  `json:"name"`
		Slots       int     `json:"slots"`
		Description *string `json:"description"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	p := &store.Pool{Name: body.Name, Slots: body.Slots}
	if body.Description != nil {
		p.Description = *body.Description
	}
	if err := s.st.PoolCreate(r.Context(), p); errors.Is(err, store.ErrConflict) {
		return errorf(http.StatusConflict, "The Pool with name: `%s` already exists", body.Name)
	} else if err != nil {
		return err
	}
	return s.writePool(w, r, http.StatusCreated, p)
}

func (s *Server) patchPool(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mask := q.list("update_mask")
	q.oneOf("update_mask", mask, "slots", "description", "name", "pool", "include_deferred")
	if err := q.err(); err != nil {
		return err
	}
	var body struct {
		Pool            *string `json:"pool"`
		Slots           *int    `json:"slots"`
		Description     *string `json:"description"`
		IncludeDeferred *bool   `json:"include_deferred"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	p, err := s.pool(r, r.PathValue("pool_name"))
	if err != nil {
		return err
	}
	set := func(f string) bool { return len(mask) == 0 || slices.Contains(mask, f) }
	if body.Pool != nil && *body.Pool != p.Name && (set("pool") || set("name")) {
		return badRequest("pools cannot be renamed: create a new one and move the tasks")
	}
	if body.IncludeDeferred != nil && *body.IncludeDeferred {
		return badRequest("updraft has no deferred tasks: include_deferred must be false")
	}
	if body.Slots != nil && set("slots") {
		p.Slots = *body.Slots
	}
	if set("description") && (body.Description != nil || len(mask) > 0) {
		p.Description = ""
		if body.Description != nil {
			p.Description = *body.Description
		}
	}
	if err := s.st.PoolSet(r.Context(), p); err != nil {
		return err
	}
	return s.writePool(w, r, http.StatusOK, p)
}

func (s *Server) deletePool(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	name := r.PathValue("pool_name")
	if name == dag.DefaultPool {
		return badRequest("Default Pool can't be deleted")
	}
	if _, err := s.pool(r, name); err != nil {
		return err
	}
	if err := s.st.PoolDelete(r.Context(), name); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
