package api

import (
	"net/http"
	"time"
)

// getHealth reports the metadata database healthy when it answers, and the
// scheduler healthy when one heartbeat within the last 30 s, as Airflow
// judges its scheduler by scheduler_health_check_threshold.
func (s *Server) getHealth(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	db, sched := "healthy", "unhealthy"
	var latest *time.Time
	jobs, err := s.st.SchedulerJobList(r.Context(), true)
	if err != nil {
		db = "unhealthy"
		s.log.Warn("health: metadata database", "err", err)
	}
	for _, j := range jobs {
		if latest == nil || j.LatestHeartbeat.After(*latest) {
			latest = utc(j.LatestHeartbeat)
		}
	}
	if latest != nil && s.now().Sub(*latest) < 30*time.Second {
		sched = "healthy"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"metadatabase": map[string]any{"status": db},
		"scheduler":    map[string]any{"status": sched, "latest_scheduler_heartbeat": latest},
		"triggerer":    map[string]any{"status": nil, "latest_triggerer_heartbeat": nil},
	})
	return nil
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": s.cfg.Version, "git_version": nil})
	return nil
}
