package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
)

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
