package cli

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

type runJSON struct {
	DagID             string          `json:"dag_id"`
	RunID             string          `json:"dag_run_id"`
	State             dag.DagRunState `json:"state"`
	RunType           dag.RunType     `json:"run_type"`
	LogicalDate       time.Time       `json:"logical_date"`
	DataIntervalStart time.Time       `json:"data_interval_start"`
	DataIntervalEnd   time.Time       `json:"data_interval_end"`
	StartDate         *time.Time      `json:"start_date"`
	EndDate           *time.Time      `json:"end_date"`
	Conf              any             `json:"conf"`
}

func runToJSON(r *store.DagRun) runJSON {
	return runJSON{DagID: r.DagID, RunID: r.RunID, State: r.State, RunType: r.RunType, LogicalDate: r.LogicalDate,
		DataIntervalStart: r.DataInterval.Start, DataIntervalEnd: r.DataInterval.End, StartDate: r.StartDate,
		EndDate: r.EndDate, Conf: rawJSON(r.Conf)}
}

func (a *app) runsCommand() *cobra.Command {
	runs := &cobra.Command{Use: "runs", Short: "List DAG runs"}
	var dagID string
	var states []string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List DAG runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.store(ctx)
			if err != nil {
				return err
			}
			p := &store.DagRunListParams{DagID: dagID, Limit: limit, Desc: true}
			for _, s := range states {
				st := dag.DagRunState(s)
				if !slices.Contains(dag.DagRunStates(), st) {
					return fmt.Errorf("--state: %q is not a DAG run state; use one of %v", s, dag.DagRunStates())
				}
				p.States = append(p.States, st)
			}
			rs, err := st.DagRunList(ctx, p)
			if err != nil {
				return err
			}
			var rows [][]string
			out := []runJSON{}
			for _, r := range rs {
				out = append(out, runToJSON(r))
				var dur time.Duration
				if r.StartDate != nil && r.EndDate != nil {
					dur = r.EndDate.Sub(*r.StartDate)
				}
				rows = append(rows, []string{r.DagID, r.RunID, string(r.State), string(r.RunType),
					fmtTime(&r.LogicalDate), fmtTime(r.StartDate), orDash(fmtDuration(dur))})
			}
			return a.table([]string{"DAG_ID", "RUN_ID", "STATE", "RUN_TYPE", "LOGICAL_DATE", "START_DATE", "DURATION"}, rows, out)
		},
	}
	list.Flags().StringVarP(&dagID, "dag-id", "d", "", "only runs of this DAG")
	list.Flags().StringSliceVar(&states, "state", nil, "only runs in these states (queued, running, success, failed)")
	list.Flags().IntVar(&limit, "limit", 50, "at most this many runs; 0 for all")
	runs.AddCommand(list)
	return runs
}
