package api

import (
	"fmt"
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

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	if ok, wait := s.limiter.allow(r, body.Username); !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		return errorf(http.StatusTooManyRequests, "Too many login attempts; try again in %d s", int(wait.Seconds())+1)
	}
	u, err := s.login(r.Context(), body.Username, body.Password)
	if err != nil {
		return err
	}
	token, err := s.issueToken(u.Username)
	if err != nil {
		return err
	}
	now := s.now()
	u.LastLogin = &now
	if err := s.st.UserUpdate(r.Context(), u); err != nil {
		s.log.Warn("cannot record a login", "user", u.Username, "err", err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"access_token": token})
	return nil
}

// handlers maps operation ids to their handlers.
func (s *Server) handlers() map[string]handler {
	return map[string]handler{
		"create_token":            s.createToken,
		"get_health":              s.getHealth,
		"get_version":             s.getVersion,
		"get_dags":                s.getDags,
		"get_dag":                 s.getDag,
		"patch_dag":               s.patchDag,
		"get_dag_details":         s.getDagDetails,
		"get_tasks":               s.getTasks,
		"get_task":                s.getTask,
		"get_dag_source":          s.getDagSource,
		"get_dag_tags":            s.getDagTags,
		"get_import_errors":       s.getImportErrors,
		"get_import_error":        s.getImportError,
		"get_dag_versions":        s.getDagVersions,
		"get_dag_version":         s.getDagVersion,
		"get_dag_runs":            s.getDagRuns,
		"trigger_dag_run":         s.triggerDagRun,
		"get_list_dag_runs_batch": s.getListDagRunsBatch,
		"get_dag_run":             s.getDagRun,
		"patch_dag_run":           s.patchDagRun,
		"delete_dag_run":          s.deleteDagRun,
		"clear_dag_run":           s.clearDagRun,

		"get_task_instances":            s.getTaskInstances,
		"get_task_instances_batch":      s.getTaskInstancesBatch,
		"get_task_instance":             s.getTaskInstance,
		"patch_task_instance":           s.patchTaskInstance,
		"patch_task_instance_dry_run":   s.patchTaskInstanceDryRun,
		"get_task_instance_tries":       s.getTaskInstanceTries,
		"get_task_instance_try_details": s.getTaskInstanceTryDetails,
		"post_clear_task_instances":     s.postClearTaskInstances,
		"get_log":                       s.getLog,
		"get_xcom_entries":              s.getXComEntries,
		"get_xcom_entry":                s.getXComEntry,

		"get_variables":   s.getVariables,
		"post_variable":   s.postVariable,
		"get_variable":    s.getVariable,
		"patch_variable":  s.patchVariable,
		"delete_variable": s.deleteVariable,

		"get_connections":   s.getConnections,
		"post_connection":   s.postConnection,
		"get_connection":    s.getConnection,
		"patch_connection":  s.patchConnection,
		"delete_connection": s.deleteConnection,

		"get_pools":   s.getPools,
		"post_pool":   s.postPool,
		"get_pool":    s.getPool,
		"patch_pool":  s.patchPool,
		"delete_pool": s.deletePool,

		"get_config":       s.getConfig,
		"get_config_value": s.getConfigValue,
		"patch_dags":       s.patchDags,
		"get_dag_stats":    s.getDagStats,
		"get_jobs":         s.getJobs,
	}
}
