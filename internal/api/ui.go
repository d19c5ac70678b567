package api

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// The web UI's views read mostly the public operations; these two answer
// what a view would otherwise need hundreds of requests for, as Airflow's
// UI has its own /ui endpoints for the DAG list and the grid.

// dagRunSummary is a run as the DAG list and the grid draw it.
type dagRunSummary struct {
	DagRunID    string     `json:"dag_run_id"`
	State       string     `json:"state"`
	RunType     string     `json:"run_type"`
	LogicalDate *time.Time `json:"logical_date"`
	RunAfter    time.Time  `json:"run_after"`
	StartDate   *time.Time `json:"start_date"`
	EndDate     *time.Time `json:"end_date"`
	Duration    *float64   `json:"duration"`
}

func toRunSummary(r *store.DagRun) dagRunSummary {
	full := toDagRun(r, nil)
	return dagRunSummary{DagRunID: full.DagRunID, State: full.State, RunType: full.RunType, LogicalDate: full.LogicalDate,
		RunAfter: full.RunAfter, StartDate: full.StartDate, EndDate: full.EndDate, Duration: full.Duration}
}

type uiDagResponse struct {
	dagResponse
	LatestDagRuns []dagRunSummary `json:"latest_dag_runs"`
}

// uiGetDags is get_dags with each DAG's latest runs, newest first.
func (s *Server) uiGetDags(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	p := s.dagFilters(q)
	runsLimit := q.integer("dag_runs_limit", 10, 0)
	if runsLimit > 25 {
		q.fail("less_than_equal", "dag_runs_limit must be at most 25", "dag_runs_limit")
	}
	if err := q.err(); err != nil {
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
	out := make([]uiDagResponse, 0, len(rows))
	for _, row := range rows {
		d := uiDagResponse{dagResponse: toDag(row, s.parsed(r, row), errs), LatestDagRuns: []dagRunSummary{}}
		if runsLimit > 0 {
			runs, _, err := s.st.DagRunQuery(r.Context(), &store.DagRunQueryParams{DagIDs: []string{row.DagID},
				Page: store.Page{Limit: runsLimit, OrderBy: "-logical_date", NoCount: true}})
			if err != nil {
				return err
			}
			for _, run := range runs {
				d.LatestDagRuns = append(d.LatestDagRuns, toRunSummary(run))
			}
		}
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"dags": out, "total_entries": total})
	return nil
}

type gridTask struct {
	TaskID            string   `json:"task_id"`
	TaskDisplayName   string   `json:"task_display_name"`
	DownstreamTaskIDs []string `json:"downstream_task_ids"`
}

type gridRun struct {
	dagRunSummary
	TaskStates []*string `json:"task_states"`
}

// uiGetGrid answers a page of a DAG's runs with the state of every task in
// each, as arrays aligned with one list of tasks: for 100 runs of 500
// tasks that is a few hundred kilobytes instead of 50,000 objects.
func (s *Server) uiGetGrid(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	limit := q.integer("limit", 25, 1)
	if limit > 1000 {
		q.fail("less_than_equal", "limit must be at most 1000", "limit")
	}
	offset := q.integer("offset", 0, 0)
	if err := q.err(); err != nil {
		return err
	}
	row, err := s.dagRow(r)
	if err != nil {
		return err
	}
	runs, total, err := s.st.DagRunQuery(r.Context(), &store.DagRunQueryParams{DagIDs: []string{row.DagID},
		Page: store.Page{Limit: limit, Offset: offset, OrderBy: "-logical_date"}})
	if err != nil {
		return err
	}
	slices.Reverse(runs) // drawn oldest first, left to right
	pks := make([]int64, len(runs))
	for i, run := range runs {
		pks[i] = run.ID
	}
	tis, err := s.st.TaskInstanceStates(r.Context(), pks)
	if err != nil {
		return err
	}
	tasks, index := gridTasks(s.parsed(r, row), tis)
	out := make([]gridRun, len(runs))
	byRun := map[int64]*gridRun{}
	for i, run := range runs {
		out[i] = gridRun{dagRunSummary: toRunSummary(run), TaskStates: make([]*string, len(tasks))}
		byRun[run.ID] = &out[i]
	}
	for _, ti := range tis {
		// A mapped task shows the state of its first instance; updraft
		// maps no tasks yet, so that is its only one.
		if ti.State == dag.TaskNone || ti.MapIndex > 0 {
			continue
		}
		state := string(ti.State)
		byRun[ti.RunPK].TaskStates[index[ti.TaskID]] = &state
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": tasks, "dag_runs": out, "total_entries": total})
	return nil
}

// gridTasks lists the grid's rows: the latest version's tasks in
// topological order, then tasks that only the runs' older versions had,
// by name.
func gridTasks(d *dag.DAG, tis []store.TaskInstanceState) ([]gridTask, map[string]int) {
	var tasks []gridTask
	index := map[string]int{}
	if d != nil {
		g := d.Graph()
		for _, id := range g.Order() {
			down := slices.Clone(g.Downstream(id))
			if down == nil {
				down = []string{}
			}
			index[id] = len(tasks)
			tasks = append(tasks, gridTask{TaskID: id, TaskDisplayName: id, DownstreamTaskIDs: down})
		}
	}
	gone := map[string]bool{}
	for _, ti := range tis {
		if _, ok := index[ti.TaskID]; !ok {
			gone[ti.TaskID] = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(gone)) {
		index[id] = len(tasks)
		tasks = append(tasks, gridTask{TaskID: id, TaskDisplayName: id, DownstreamTaskIDs: []string{}})
	}
	if tasks == nil {
		tasks = []gridTask{}
	}
	return tasks, index
}
