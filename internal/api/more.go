package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

func (s *Server) patchDags(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	p := &store.DagQueryParams{Tags: q.list("tags"), DagIDPattern: q.str("dag_id_pattern"), Paused: q.boolean("paused")}
	p.Limit, p.Offset, p.OrderBy = q.page(s.cfg.MaxPageLimit, "dag_id")
	q.oneOf("tags_match_mode", q.list("tags_match_mode"), "any", "all")
	q.oneOf("update_mask", q.list("update_mask"), "is_paused")
	p.TagsMatchAll = q.str("tags_match_mode") == "all"
	if ex := q.boolean("exclude_stale"); ex != nil && !*ex {
		p.IncludeInactive = true
	}
	if err := q.err(); err != nil {
		return err
	}
	var body struct {
		IsPaused bool `json:"is_paused"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	rows, total, err := s.st.DagQuery(r.Context(), p)
	if err != nil {
		return orderByError(err)
	}
	errs, err := s.importErrorFiles(r)
	if err != nil {
		return err
	}
	out := make([]dagResponse, 0, len(rows))
	for _, row := range rows {
		if err := s.st.DagSetPaused(r.Context(), row.DagID, body.IsPaused); err != nil {
			return err
		}
		row.IsPaused = body.IsPaused
		out = append(out, toDag(row, s.parsed(r, row), errs))
	}
	if !body.IsPaused && len(rows) > 0 && s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	writeJSON(w, http.StatusOK, map[string]any{"dags": out, "total_entries": total})
	return nil
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

type jobResponse struct {
	ID              int64      `json:"id"`
	DagID           *string    `json:"dag_id"`
	State           string     `json:"state"`
	JobType         string     `json:"job_type"`
	StartDate       time.Time  `json:"start_date"`
	EndDate         *time.Time `json:"end_date"`
	LatestHeartbeat time.Time  `json:"latest_heartbeat"`
	ExecutorClass   *string    `json:"executor_class"`
	Hostname        string     `json:"hostname"`
	Unixname        *string    `json:"unixname"`
	PID             int        `json:"pid"`
}

// jobAliveWithin is how recent a running job's heartbeat must be for
// is_alive, as Airflow's scheduler_health_check_threshold.
const jobAliveWithin = 30 * time.Second

func (s *Server) getJobs(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	limit, offset, order := q.page(s.cfg.MaxPageLimit, "id")
	q.oneOf("order_by", []string{order}, "id", "-id", "start_date", "-start_date")
	alive := q.boolean("is_alive")
	state, typ, host := q.str("job_state"), q.str("job_type"), q.str("hostname")
	q.oneOf("job_state", q.list("job_state"), "running", "success", "failed")
	if err := q.err(); err != nil {
		return err
	}
	jobs, err := s.st.SchedulerJobList(r.Context(), false)
	if err != nil {
		return err
	}
	now := s.now()
	jobs = slices.DeleteFunc(jobs, func(j *store.SchedulerJob) bool {
		isAlive := j.State == store.JobRunning && now.Sub(j.LatestHeartbeat) < jobAliveWithin
		return (alive != nil && *alive != isAlive) || (state != "" && j.State != state) ||
			(typ != "" && typ != "SchedulerJob") || (host != "" && j.Hostname != host)
	})
	// Job ids grow with start times: both orders are the id's.
	slices.SortFunc(jobs, func(a, b *store.SchedulerJob) int { return int(a.ID - b.ID) })
	if strings.HasPrefix(order, "-") {
		slices.Reverse(jobs)
	}
	out := make([]jobResponse, 0, len(jobs))
	for _, j := range pageOf(jobs, limit, offset) {
		out = append(out, jobResponse{ID: j.ID, State: j.State, JobType: "SchedulerJob", StartDate: j.StartDate.UTC(),
			EndDate: utcPtr(j.EndDate), LatestHeartbeat: j.LatestHeartbeat.UTC(), Hostname: j.Hostname, PID: j.PID})
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": out, "total_entries": len(jobs)})
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
