package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/store"
)

// noStatus is how Airflow's clients ask for task instances without a state.
const noStatus = "no_status"

var taskStates = []string{"removed", "scheduled", "queued", "running", "success", "restarting", "failed",
	"up_for_retry", "up_for_reschedule", "upstream_failed", "skipped", "deferred", noStatus}

// tiScope narrows a task instance query to the DAG and run a path names;
// `~` stands for all of them.
func (s *Server) tiScope(r *http.Request, p *store.TaskInstanceQueryParams) error {
	dagID, runID := r.PathValue("dag_id"), r.PathValue("dag_run_id")
	if dagID == allDags {
		if runID != allDags {
			return invalid("value_error", "a run id needs its DAG: use ~ for both or name the DAG", "path", "dag_run_id")
		}
		return nil
	}
	if _, err := s.dagRow(r); err != nil {
		return err
	}
	p.DagIDs = []string{dagID}
	if runID != allDags {
		run, err := s.run(r)
		if err != nil {
			return err
		}
		p.RunPK = run.ID
	}
	return nil
}

func (s *Server) getTaskInstances(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	p := &store.TaskInstanceQueryParams{
		LogicalDate: store.TimeRange{GTE: q.time("logical_date_gte"), LTE: q.time("logical_date_lte")},
		StartDate:   store.TimeRange{GTE: q.time("start_date_gte"), LTE: q.time("start_date_lte")},
		EndDate:     store.TimeRange{GTE: q.time("end_date_gte"), LTE: q.time("end_date_lte")},
		Pools:       q.list("pool"),
	}
	p.Limit, p.Offset, p.OrderBy = q.page(s.cfg.MaxPageLimit, "map_index")
	if q.has("task_id") {
		p.TaskIDs = []string{q.str("task_id")}
	}
	states := q.list("state")
	q.oneOf("state", states, taskStates...)
	if err := q.err(); err != nil {
		return err
	}
	p.States = toTaskStates(states)
	if p.OrderBy == "map_index" {
		// Within a run task instances differ by task first: order by the
		// task, as Airflow's list of one run reads.
		p.OrderBy = "id"
	}
	if err := s.tiScope(r, p); err != nil {
		return err
	}
	return s.writeTIs(w, r, p)
}

func toTaskStates(states []string) []dag.TaskState {
	var out []dag.TaskState
	for _, st := range states {
		if st == noStatus || st == "none" {
			out = append(out, dag.TaskNone)
		} else {
			out = append(out, dag.TaskState(st))
		}
	}
	return out
}

func (s *Server) writeTIs(w http.ResponseWriter, r *http.Request, p *store.TaskInstanceQueryParams) error {
	tis, total, err := s.st.TaskInstanceQuery(r.Context(), p)
	if err != nil {
		return orderByError(err)
	}
	return s.writeTIList(w, r, tis, total)
}

// writeTIList answers with task instances in a TaskInstanceCollectionResponse.
func (s *Server) writeTIList(w http.ResponseWriter, r *http.Request, tis []*store.TaskInstance, total int) error {
	out := make([]taskInstanceResponse, 0, len(tis))
	for _, ti := range tis {
		x, err := s.toTaskInstance(r.Context(), ti)
		if err != nil {
			return err
		}
		out = append(out, x)
	}
	writeJSON(w, http.StatusOK, map[string]any{"task_instances": out, "total_entries": total})
	return nil
}

// toTaskInstance renders a task instance with its rendered fields masked.
func (s *Server) toTaskInstance(ctx context.Context, ti *store.TaskInstance) (taskInstanceResponse, error) {
	out := toTaskInstance(ti)
	out.RenderedFields = s.maskJSON(out.RenderedFields)
	return out, s.describeTI(ctx, &out.tiFields, ti)
}

// describeTI fills what a task instance's answer takes from its run's DAG
// version: the version and the task's operator. A version gone, or one
// that no longer parses, leaves them null.
func (s *Server) describeTI(ctx context.Context, f *tiFields, ti *store.TaskInstance) error {
	v, err := s.version(ctx, ti.VersionID)
	if err != nil || v == nil {
		return err
	}
	vr := toDagVersion(v)
	f.DagVersion = &vr
	d, err := s.cfg.Versions.Get(ctx, ti.VersionID)
	if err != nil {
		return nil //nolint:nilerr // an unloadable version leaves the operator null
	}
	if t := d.Task(ti.TaskID); t != nil {
		op := operatorName(t)
		f.Operator, f.OperatorName = &op, &op
	}
	return nil
}

func (s *Server) getTaskInstancesBatch(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	var body struct {
		DagIDs         []string   `json:"dag_ids"`
		TaskIDs        []string   `json:"task_ids"`
		State          []*string  `json:"state"`
		Pool           []string   `json:"pool"`
		LogicalDateGTE *time.Time `json:"logical_date_gte"`
		LogicalDateLTE *time.Time `json:"logical_date_lte"`
		StartDateGTE   *time.Time `json:"start_date_gte"`
		StartDateLTE   *time.Time `json:"start_date_lte"`
		EndDateGTE     *time.Time `json:"end_date_gte"`
		EndDateLTE     *time.Time `json:"end_date_lte"`
		PageOffset     int        `json:"page_offset"`
		PageLimit      *int       `json:"page_limit"`
		OrderBy        *string    `json:"order_by"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	p := &store.TaskInstanceQueryParams{TaskIDs: body.TaskIDs, Pools: body.Pool,
		LogicalDate: store.TimeRange{GTE: body.LogicalDateGTE, LTE: body.LogicalDateLTE},
		StartDate:   store.TimeRange{GTE: body.StartDateGTE, LTE: body.StartDateLTE},
		EndDate:     store.TimeRange{GTE: body.EndDateGTE, LTE: body.EndDateLTE},
	}
	for _, st := range body.State {
		if st == nil {
			p.States = append(p.States, dag.TaskNone)
		} else {
			p.States = append(p.States, toTaskStates([]string{*st})...)
		}
	}
	p.Offset, p.Limit, p.OrderBy = body.PageOffset, s.cfg.MaxPageLimit, "id"
	if body.PageLimit != nil {
		p.Limit = min(*body.PageLimit, s.cfg.MaxPageLimit)
	}
	if body.OrderBy != nil && *body.OrderBy != "" {
		p.OrderBy = *body.OrderBy
	}
	if err := s.tiScope(r, p); err != nil {
		return err
	}
	if len(body.DagIDs) > 0 {
		if len(p.DagIDs) > 0 {
			return badRequest("name the DAGs either in the path or in dag_ids, not both")
		}
		p.DagIDs = body.DagIDs
	}
	return s.writeTIs(w, r, p)
}

// taskInstance finds the task instance a path names, or answers 404.
func (s *Server) taskInstance(r *http.Request, mapIndex int) (*store.DagRun, *store.TaskInstance, error) {
	run, err := s.run(r)
	if err != nil {
		return nil, nil, err
	}
	taskID := r.PathValue("task_id")
	ti, err := s.st.TaskInstanceGet(r.Context(), run.ID, taskID, mapIndex)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound("The Task Instance with dag_id: `%s`, run_id: `%s`, task_id: `%s` and map_index: `%d` was not found",
			run.DagID, run.RunID, taskID, mapIndex)
	}
	return run, ti, err
}

func (s *Server) getTaskInstance(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	_, ti, err := s.taskInstance(r, -1)
	if err != nil {
		return err
	}
	out, err := s.toTaskInstance(r.Context(), ti)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type taskInstanceHistoryResponse struct {
	tiFields
	ExitCode *int    `json:"exit_code"`
	Reason   *string `json:"reason"`
}

// tries are the finished tries of a task instance, then its current try
// when it has one that has not finished.
func (s *Server) tries(r *http.Request, ti *store.TaskInstance) ([]taskInstanceHistoryResponse, error) {
	list, err := s.st.TaskInstanceTries(r.Context(), ti.RunPK, ti.TaskID, ti.MapIndex)
	if err != nil {
		return nil, err
	}
	// What every try shares: its run's DAG version and the task's operator.
	base := historyOf(ti)
	if err := s.describeTI(r.Context(), &base.tiFields, ti); err != nil {
		return nil, err
	}
	out := make([]taskInstanceHistoryResponse, 0, len(list)+1)
	seen := map[int]bool{}
	for _, t := range list {
		seen[t.TryNumber] = true
		h := base
		h.TryNumber, h.StartDate, h.EndDate, h.ExitCode = t.TryNumber, utcPtr(t.StartDate), utcPtr(t.EndDate), t.ExitCode
		h.Hostname, h.Reason = nonEmpty(t.Hostname), nonEmpty(s.mask(t.Reason))
		h.PID, h.Duration, h.State = nil, nil, nil
		if t.PID != 0 {
			h.PID = &t.PID
		}
		if t.StartDate != nil && t.EndDate != nil {
			d := t.EndDate.Sub(*t.StartDate).Seconds()
			h.Duration = &d
		}
		if t.State != dag.TaskNone {
			st := string(t.State)
			h.State = &st
		}
		out = append(out, h)
	}
	if ti.TryNumber > 0 && !seen[ti.TryNumber] {
		h := base
		h.Reason = nonEmpty(s.mask(ti.Reason))
		out = append(out, h)
	}
	return out, nil
}

func historyOf(ti *store.TaskInstance) taskInstanceHistoryResponse {
	return taskInstanceHistoryResponse{tiFields: toTIFields(ti), ExitCode: ti.ExitCode}
}

func (s *Server) getTaskInstanceTries(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mapIndex := q.integer("map_index", -1, -1)
	if err := q.err(); err != nil {
		return err
	}
	_, ti, err := s.taskInstance(r, mapIndex)
	if err != nil {
		return err
	}
	tries, err := s.tries(r, ti)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"task_instances": tries, "total_entries": len(tries)})
	return nil
}

func (s *Server) getTaskInstanceTryDetails(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mapIndex := q.integer("map_index", -1, -1)
	if err := q.err(); err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("task_try_number"))
	if err != nil {
		return invalid("int_parsing", "must be an integer", "path", "task_try_number")
	}
	_, ti, err := s.taskInstance(r, mapIndex)
	if err != nil {
		return err
	}
	tries, err := s.tries(r, ti)
	if err != nil {
		return err
	}
	for _, t := range tries {
		if t.TryNumber == n {
			writeJSON(w, http.StatusOK, t)
			return nil
		}
	}
	return notFound("Task `%s` has no try %d", ti.TaskID, n)
}

// patchTaskInstance marks a task instance (and its upstream or downstream
// ones when asked) success, failed or skipped, as Airflow's "mark" does.
func (s *Server) patchTaskInstance(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.markTaskInstance(w, r, c, false)
}

func (s *Server) patchTaskInstanceDryRun(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.markTaskInstance(w, r, c, true)
}

func (s *Server) markTaskInstance(w http.ResponseWriter, r *http.Request, c *call, dryRun bool) error {
	q := newQuery(r, c.op)
	mapIndex := q.integer("map_index", -1, -1)
	q.oneOf("update_mask", q.list("update_mask"), "new_state", "note")
	if err := q.err(); err != nil {
		return err
	}
	var body struct {
		NewState          *string `json:"new_state"`
		Note              *string `json:"note"`
		IncludeUpstream   bool    `json:"include_upstream"`
		IncludeDownstream bool    `json:"include_downstream"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	if body.Note != nil {
		return badRequest("notes are not kept by updraft")
	}
	if body.NewState == nil {
		return invalid("missing", "new_state is required", "body", "new_state")
	}
	run, ti, err := s.taskInstance(r, mapIndex)
	if err != nil {
		return err
	}
	d, err := s.cfg.Versions.Get(r.Context(), run.VersionID)
	if err != nil {
		return err
	}
	ids := []string{ti.TaskID}
	if body.IncludeDownstream {
		ids = append(ids, d.Graph().Descendants(ti.TaskID)...)
	}
	if body.IncludeUpstream {
		ids = append(ids, ancestors(d, ti.TaskID)...)
	}
	tis, err := s.st.TaskInstanceListByRun(r.Context(), run.ID, ids)
	if err != nil {
		return err
	}
	to := dag.TaskState(*body.NewState)
	var changed []*store.TaskInstance
	var changes []*store.TaskInstanceChange
	now := s.now()
	reason := "marked " + string(to) + " by " + c.user.Username
	for _, x := range tis {
		if x.State == to {
			continue
		}
		changed = append(changed, x)
		changes = append(changes, &store.TaskInstanceChange{RunPK: run.ID, TaskID: x.TaskID, MapIndex: x.MapIndex,
			From: []dag.TaskState{x.State}, Try: x.TryNumber, State: to, EndDate: &now, Reason: &reason,
			RecordTry: x.TryNumber > 0})
	}
	if !dryRun && len(changes) > 0 {
		applied, err := s.st.TaskInstanceApply(r.Context(), changes)
		if err != nil {
			return err
		}
		var done []*store.TaskInstance
		for i, ok := range applied {
			if ok {
				x := changed[i]
				x.State, x.EndDate = to, &now
				done = append(done, x)
			}
		}
		// Those another process changed meanwhile kept their new state;
		// the answer lists the ones this request marked.
		changed = done
		if s.cfg.Wake != nil {
			s.cfg.Wake()
		}
	}
	out := make([]taskInstanceResponse, 0, len(changed))
	for _, x := range changed {
		if dryRun {
			x.State = to
		}
		ti, err := s.toTaskInstance(r.Context(), x)
		if err != nil {
			return err
		}
		out = append(out, ti)
	}
	writeJSON(w, http.StatusOK, map[string]any{"task_instances": out, "total_entries": len(out)})
	return nil
}

// ancestors are every task upstream of id.
func ancestors(d *dag.DAG, id string) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(string)
	walk = func(x string) {
		for _, u := range d.Graph().Upstream(x) {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
				walk(u)
			}
		}
	}
	walk(id)
	return out
}

func (s *Server) postClearTaskInstances(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	body := struct {
		DryRun            bool     `json:"dry_run"`
		OnlyFailed        bool     `json:"only_failed"`
		TaskIDs           []string `json:"task_ids"`
		DagRunID          string   `json:"dag_run_id"`
		IncludeDownstream bool     `json:"include_downstream"`
	}{DryRun: true, OnlyFailed: true}
	if err := c.decode(&body); err != nil {
		return err
	}
	row, err := s.dagRow(r)
	if err != nil {
		return err
	}
	run, err := s.st.DagRunGet(r.Context(), row.DagID, body.DagRunID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("The DagRun with dag_id: `%s` and run_id: `%s` was not found", row.DagID, body.DagRunID)
	}
	if err != nil {
		return err
	}
	d, err := s.cfg.Versions.Get(r.Context(), run.VersionID)
	if err != nil {
		return err
	}
	for _, id := range body.TaskIDs {
		if d.Task(id) == nil {
			return invalid("value_error", "the DAG has no task "+strconv.Quote(id), "body", "task_ids")
		}
	}
	tis, err := scheduler.Clear(r.Context(), s.st, &scheduler.ClearParams{Run: run, Dag: d, TaskIDs: body.TaskIDs,
		Downstream: body.IncludeDownstream, OnlyFailed: body.OnlyFailed, DryRun: body.DryRun})
	if err != nil {
		return err
	}
	if !body.DryRun && s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	return s.writeTIList(w, r, tis, len(tis))
}
