package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/store"
)

// allDags is the dag_id that stands for every DAG in run and task
// instance paths, as in Airflow.
const allDags = "~"

func (s *Server) getDagRuns(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	p := &store.DagRunQueryParams{
		LogicalDate: store.TimeRange{GTE: q.time("logical_date_gte"), LTE: q.time("logical_date_lte")},
		StartDate:   store.TimeRange{GTE: q.time("start_date_gte"), LTE: q.time("start_date_lte")},
		EndDate:     store.TimeRange{GTE: q.time("end_date_gte"), LTE: q.time("end_date_lte")},
	}
	p.Limit, p.Offset, p.OrderBy = q.page(s.cfg.MaxPageLimit, "id")
	states, types := q.list("state"), q.list("run_type")
	q.oneOf("state", states, "queued", "running", "success", "failed")
	q.oneOf("run_type", types, "backfill", "scheduled", "manual", "asset_triggered")
	if err := q.err(); err != nil {
		return err
	}
	for _, st := range states {
		p.States = append(p.States, dag.DagRunState(st))
	}
	for _, t := range types {
		p.RunTypes = append(p.RunTypes, dag.RunType(t))
	}
	if id := r.PathValue("dag_id"); id != allDags {
		if _, err := s.dagRow(r); err != nil {
			return err
		}
		p.DagIDs = []string{id}
	}
	return s.writeRuns(w, r, p)
}

func (s *Server) writeRuns(w http.ResponseWriter, r *http.Request, p *store.DagRunQueryParams) error {
	runs, total, err := s.st.DagRunQuery(r.Context(), p)
	if err != nil {
		return orderByError(err)
	}
	out := make([]dagRunResponse, 0, len(runs))
	for _, run := range runs {
		v, err := s.runVersion(r, run)
		if err != nil {
			return err
		}
		out = append(out, s.toDagRun(run, v))
	}
	writeJSON(w, http.StatusOK, map[string]any{"dag_runs": out, "total_entries": total})
	return nil
}

// runVersion returns the DAG version a run uses (nil when it is gone).
func (s *Server) runVersion(r *http.Request, run *store.DagRun) (*store.DagVersion, error) {
	return s.version(r.Context(), run.VersionID)
}

// version returns a DAG version by id (nil when it is gone). Versions never
// change once stored, so they are kept in memory, without their source,
// which no run or task instance answer shows: a page of runs across DAGs
// would otherwise read one version per run.
func (s *Server) version(ctx context.Context, id int64) (*store.DagVersion, error) {
	s.versionsMu.Lock()
	v, ok := s.versions[id]
	s.versionsMu.Unlock()
	if ok {
		return v, nil
	}
	v, err := s.st.DagVersionGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	slim := *v
	slim.Source = nil
	s.versionsMu.Lock()
	defer s.versionsMu.Unlock()
	if len(s.versions) >= maxCachedVersions {
		clear(s.versions)
	}
	s.versions[id] = &slim
	return &slim, nil
}

// maxCachedVersions bounds the versions kept in memory.
const maxCachedVersions = 4096

func (s *Server) getListDagRunsBatch(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	if r.PathValue("dag_id") != allDags {
		return invalid("literal_error", "must be ~: the body names the DAGs (dag_ids)", "path", "dag_id")
	}
	var body struct {
		OrderBy        *string           `json:"order_by"`
		PageOffset     int               `json:"page_offset"`
		PageLimit      *int              `json:"page_limit"`
		DagIDs         []string          `json:"dag_ids"`
		States         []dag.DagRunState `json:"states"`
		LogicalDateGTE *time.Time        `json:"logical_date_gte"`
		LogicalDateLTE *time.Time        `json:"logical_date_lte"`
		StartDateGTE   *time.Time        `json:"start_date_gte"`
		StartDateLTE   *time.Time        `json:"start_date_lte"`
		EndDateGTE     *time.Time        `json:"end_date_gte"`
		EndDateLTE     *time.Time        `json:"end_date_lte"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	p := &store.DagRunQueryParams{DagIDs: body.DagIDs, States: body.States,
		LogicalDate: store.TimeRange{GTE: body.LogicalDateGTE, LTE: body.LogicalDateLTE},
		StartDate:   store.TimeRange{GTE: body.StartDateGTE, LTE: body.StartDateLTE},
		EndDate:     store.TimeRange{GTE: body.EndDateGTE, LTE: body.EndDateLTE},
	}
	p.Offset, p.Limit, p.OrderBy = body.PageOffset, s.cfg.MaxPageLimit, "id"
	if body.PageLimit != nil {
		p.Limit = min(*body.PageLimit, s.cfg.MaxPageLimit)
	}
	if body.OrderBy != nil && *body.OrderBy != "" {
		p.OrderBy = *body.OrderBy
	}
	return s.writeRuns(w, r, p)
}

// run finds the run a path names, or answers 404.
func (s *Server) run(r *http.Request) (*store.DagRun, error) {
	dagID, runID := r.PathValue("dag_id"), r.PathValue("dag_run_id")
	run, err := s.st.DagRunGet(r.Context(), dagID, runID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The DagRun with dag_id: `%s` and run_id: `%s` was not found", dagID, runID)
	}
	return run, err
}

func (s *Server) writeRun(w http.ResponseWriter, r *http.Request, run *store.DagRun) error {
	v, err := s.runVersion(r, run)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toDagRun(run, v))
	return nil
}

// toDagRun renders a run with its conf redacted.
func (s *Server) toDagRun(run *store.DagRun, v *store.DagVersion) dagRunResponse {
	out := toDagRun(run, v)
	out.Conf = s.maskJSON(out.Conf)
	return out
}

func (s *Server) getDagRun(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	run, err := s.run(r)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, run)
}

func (s *Server) triggerDagRun(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	var body struct {
		DagRunID    *string        `json:"dag_run_id"`
		LogicalDate *time.Time     `json:"logical_date"`
		Conf        map[string]any `json:"conf"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	row, err := s.dagRow(r)
	if err != nil {
		return err
	}
	p := &scheduler.TriggerParams{DagID: row.DagID, LogicalDate: body.LogicalDate, Conf: body.Conf}
	if body.DagRunID != nil {
		p.RunID = *body.DagRunID
	}
	run, err := scheduler.Trigger(r.Context(), s.st, s.cfg.Versions, s.now(), p)
	switch {
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, "A DAG run with dag_id `%s` and this run_id or logical date already exists", row.DagID)
	case errors.Is(err, scheduler.ErrInvalidConf), errors.Is(err, scheduler.ErrInvalidRunID):
		return badRequest("%v", err)
	case errors.Is(err, store.ErrNotFound):
		return badRequest("DAG `%s` cannot be triggered: %v", row.DagID, err)
	case err != nil:
		return err
	}
	if s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	return s.writeRun(w, r, run)
}

func (s *Server) patchDagRun(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mask := q.list("update_mask")
	q.oneOf("update_mask", mask, "state", "note")
	if err := q.err(); err != nil {
		return err
	}
	var body struct {
		State *string `json:"state"`
		Note  *string `json:"note"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	run, err := s.run(r)
	if err != nil {
		return err
	}
	if body.Note != nil && (len(mask) == 0 || slices.Contains(mask, "note")) {
		return badRequest("notes are not kept by updraft")
	}
	if body.State == nil || (len(mask) > 0 && !slices.Contains(mask, "state")) {
		return s.writeRun(w, r, run)
	}
	state := dag.DagRunState(*body.State)
	p := &store.DagRunSetStateParams{ID: run.ID, State: state}
	now := s.now()
	switch state {
	case dag.DagRunSuccess, dag.DagRunFailed:
		// Marking a run ends it: its unfinished task instances end with it,
		// as Airflow's "mark success/failed" does.
		p.EndDate = &now
		if err := s.endUnfinished(r, run, state, now); err != nil {
			return err
		}
	case dag.DagRunQueued:
		p.EndDate = nil
	case dag.DagRunRunning:
		// The document allows queued, success and failed only.
		return invalid("enum", "state must be queued, success or failed", "body", "state")
	}
	if _, err := s.st.DagRunSetState(r.Context(), p); err != nil {
		return err
	}
	if s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	run, err = s.st.DagRunGetByID(r.Context(), run.ID)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, run)
}

// endUnfinished marks a run's unfinished task instances: success for a run
// marked success; for one marked failed, running ones fail and the ones
// that never started are skipped.
func (s *Server) endUnfinished(r *http.Request, run *store.DagRun, state dag.DagRunState, now time.Time) error {
	tis, err := s.st.TaskInstanceListByRun(r.Context(), run.ID, nil)
	if err != nil {
		return err
	}
	var changes []*store.TaskInstanceChange
	for _, ti := range tis {
		if ti.State.Finished() {
			continue
		}
		to := dag.TaskSuccess
		if state == dag.DagRunFailed {
			to = dag.TaskSkipped
			if ti.State == dag.TaskRunning || ti.State == dag.TaskQueued {
				to = dag.TaskFailed
			}
		}
		reason := "marked " + string(to) + " with the run"
		changes = append(changes, &store.TaskInstanceChange{RunPK: run.ID, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
			From: []dag.TaskState{ti.State}, Try: ti.TryNumber, State: to, EndDate: &now, Reason: &reason,
			RecordTry: ti.TryNumber > 0})
	}
	if len(changes) == 0 {
		return nil
	}
	_, err = s.st.TaskInstanceApply(r.Context(), changes)
	return err
}

func (s *Server) deleteDagRun(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	run, err := s.run(r)
	if err != nil {
		return err
	}
	if err := s.st.DagRunDelete(r.Context(), run.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("The DagRun with dag_id: `%s` and run_id: `%s` was not found", run.DagID, run.RunID)
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) clearDagRun(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	body := struct {
		DryRun     bool `json:"dry_run"`
		OnlyFailed bool `json:"only_failed"`
	}{DryRun: true}
	if err := c.decode(&body); err != nil {
		return err
	}
	run, err := s.run(r)
	if err != nil {
		return err
	}
	d, err := s.cfg.Versions.Get(r.Context(), run.VersionID)
	if err != nil {
		return err
	}
	tis, err := scheduler.Clear(r.Context(), s.st, &scheduler.ClearParams{Run: run, Dag: d,
		OnlyFailed: body.OnlyFailed, DryRun: body.DryRun})
	if err != nil {
		return err
	}
	if body.DryRun {
		return s.writeTIList(w, r, tis, len(tis))
	}
	if s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	run, err = s.st.DagRunGetByID(r.Context(), run.ID)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, run)
}

type dagStatsState struct {
	State string `json:"state"`
	Count int    `json:"count"`
}

func (s *Server) getDagStats(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	ids := q.list("dag_ids")
	if err := q.err(); err != nil {
		return err
	}
	if len(ids) == 0 {
		rows, _, err := s.st.DagQuery(r.Context(), &store.DagQueryParams{})
		if err != nil {
			return err
		}
		for _, row := range rows {
			ids = append(ids, row.DagID)
		}
	}
	type stats struct {
		DagID          string          `json:"dag_id"`
		DagDisplayName string          `json:"dag_display_name"`
		Stats          []dagStatsState `json:"stats"`
	}
	out := make([]stats, 0, len(ids))
	for _, id := range ids {
		st := stats{DagID: id, DagDisplayName: id, Stats: []dagStatsState{}}
		for _, state := range []dag.DagRunState{dag.DagRunQueued, dag.DagRunRunning, dag.DagRunSuccess, dag.DagRunFailed} {
			_, n, err := s.st.DagRunQuery(r.Context(), &store.DagRunQueryParams{DagIDs: []string{id},
				States: []dag.DagRunState{state}, Page: store.Page{Limit: 1}})
			if err != nil {
				return err
			}
			st.Stats = append(st.Stats, dagStatsState{State: string(state), Count: n})
		}
		out = append(out, st)
	}
	writeJSON(w, http.StatusOK, map[string]any{"dags": out, "total_entries": len(out)})
	return nil
}

// waitDagRunUntilFinished streams a run's state until it has finished.
func (s *Server) waitDagRunUntilFinished(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	interval := time.Second
	if q.has("interval") {
		secs, err := strconv.ParseFloat(q.str("interval"), 64)
		if err != nil || secs <= 0 || secs > 3600 {
			q.fail("float_parsing", "must be a number of seconds above 0, at most 3600", "interval")
		} else {
			interval = time.Duration(secs * float64(time.Second))
		}
	}
	results := q.list("result")
	if err := q.err(); err != nil {
		return err
	}
	run, err := s.run(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	flusher, _ := w.(http.Flusher)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		line := map[string]any{"state": run.State}
		if run.State.Finished() {
			if len(results) > 0 {
				line["results"] = s.runResults(r, run, results)
			}
			return enc.Encode(line)
		}
		if err := enc.Encode(line); err != nil {
			return nil // the client went away
		}
		if flusher != nil {
			flusher.Flush()
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-ticker.C:
		}
		next, err := s.st.DagRunGetByID(r.Context(), run.ID)
		if err != nil {
			// The answer has begun: say what happened in the stream.
			_ = enc.Encode(map[string]any{"error": "the run can no longer be read"})
			s.log.Error("wait for a run", "dag_id", run.DagID, "run_id", run.RunID, "err", err)
			return nil
		}
		run = next
	}
}

// runResults are the return values of tasks of a run, redacted; a task
// without one maps to null.
func (s *Server) runResults(r *http.Request, run *store.DagRun, tasks []string) map[string]any {
	out := map[string]any{}
	for _, task := range tasks {
		out[task] = nil
		x, err := s.st.XComGet(r.Context(), run.ID, task, -1, "return_value")
		if err != nil {
			continue
		}
		var v any
		if json.Unmarshal(x.Value, &v) == nil {
			out[task] = s.redact(v)
		}
	}
	return out
}
