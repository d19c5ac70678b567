package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/tasktoken"
)

// maxXComKey is the longest XCom key, as Airflow's xcom.key column.
const maxXComKey = 512

// authenticateTask returns the try a request's task token names. Cookies
// and user tokens are not taken: these operations are a try's, not a
// person's.
func (s *Server) authenticateTask(r *http.Request) (executor.TryKey, error) {
	token, ok := bearerToken(r)
	if !ok {
		return executor.TryKey{}, errorf(http.StatusUnauthorized, "Not authenticated: a task token is required")
	}
	key, err := tasktoken.Verify(s.cfg.Secret, token, s.now())
	if errors.Is(err, tasktoken.ErrExpired) {
		return executor.TryKey{}, errorf(http.StatusUnauthorized, "Task token has expired")
	}
	if err != nil {
		return executor.TryKey{}, errorf(http.StatusUnauthorized, "Invalid task token")
	}
	return key, nil
}

// setXCom stores a value a running try pushes: Airflow 3's execution API
// operation of the same name.
func (s *Server) setXCom(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mapIndex := q.integer("map_index", -1, -1)
	if err := q.err(); err != nil {
		return err
	}
	dagID, runID, taskID, key := r.PathValue("dag_id"), r.PathValue("run_id"), r.PathValue("task_id"), r.PathValue("key")
	if len(key) > maxXComKey {
		return invalid("string_too_long", fmt.Sprintf("an XCom key has at most %d characters", maxXComKey), "path", "key")
	}
	want := executor.TryKey{DagID: dagID, RunID: runID, TaskID: taskID, MapIndex: mapIndex, TryNumber: c.try.TryNumber}
	if *c.try != want {
		return errorf(http.StatusForbidden, "Forbidden: the task token is for %s, not for task %s[%d] of %s/%s",
			c.try, taskID, mapIndex, dagID, runID)
	}
	run, err := s.st.DagRunGet(r.Context(), dagID, runID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("The DagRun with dag_id: `%s` and run_id: `%s` was not found", dagID, runID)
	}
	if err != nil {
		return err
	}
	ok, err := s.st.XComPush(r.Context(), &store.XComPushParams{RunPK: run.ID, TaskID: taskID, MapIndex: mapIndex,
		TryNumber: c.try.TryNumber, Key: key, Value: c.body})
	if err != nil {
		return err
	}
	if !ok {
		return errorf(http.StatusConflict, "try %d of task %s is not queued or running", c.try.TryNumber, taskID)
	}
	writeJSON(w, http.StatusCreated, map[string]string{"message": "XCom successfully set"})
	return nil
}
