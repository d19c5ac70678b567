package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/source"
	"github.com/updraft-dev/updraft/internal/spec"
	"github.com/updraft-dev/updraft/internal/store"
)

func (a *app) dagsCommand() *cobra.Command {
	dags := &cobra.Command{Use: "dags", Short: "List, check, trigger and test DAGs"}
	dags.AddCommand(a.dagsList(), a.dagsValidate(), a.dagsShow(), a.dagsTrigger(), a.dagsPause(true),
		a.dagsPause(false), a.dagsTest(), a.dagsNextRuns(), a.dagsBackfill())
	return dags
}

// parseDAG reads a DAG file with the checks the configured executors ask
// for: a pod task must name a resource profile the Kubernetes executor has.
func (a *app) parseDAG(filename string, src []byte) (*dag.DAG, error) {
	executors := a.cfg.Executors()
	opts := spec.Options{DefaultExecutor: "local"}
	if len(executors) > 0 {
		opts.DefaultExecutor = executors[0]
	}
	if slices.Contains(executors, "kubernetes") {
		opts.ResourceProfiles = append([]string{}, slices.Sorted(maps.Keys(a.cfg.KubernetesResourceProfiles))...)
	}
	return spec.ParseWith(filename, src, opts)
}

// dagSource is the DAGs folder as the store sees it.
func (a *app) dagSource(st store.Store) *source.Dir {
	return &source.Dir{Path: a.cfg.DagsFolder, Store: st, Parse: a.parseDAG, Logger: a.log, Now: time.Now,
		PausedOnCreation: a.cfg.DagsArePausedAtCreation}
}

// syncedStore opens the store and brings it up to date with the DAGs
// folder, as Airflow's CLI reads its DagBag before answering.
func (a *app) syncedStore(ctx context.Context) (store.Store, error) {
	st, err := a.store(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := a.dagSource(st).Sync(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

type dagJSON struct {
	DagID        string     `json:"dag_id"`
	FileLoc      string     `json:"fileloc"`
	Owners       string     `json:"owners"`
	IsPaused     bool       `json:"is_paused"`
	Schedule     string     `json:"schedule"`
	Tags         []string   `json:"tags"`
	NextDagrun   *time.Time `json:"next_dagrun_data_interval_start,omitempty"`
	NextDagrunAt *time.Time `json:"next_dagrun_run_after,omitempty"`
}

type importErrorJSON struct {
	FileLoc string `json:"filename"`
	Message string `json:"stack_trace"`
}

func (a *app) dagsList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List DAGs and the files that failed to parse",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.syncedStore(ctx)
			if err != nil {
				return err
			}
			dags, err := st.DagList(ctx, &store.DagListParams{})
			if err != nil {
				return err
			}
			ies, err := st.ImportErrorList(ctx)
			if err != nil {
				return err
			}
			var rows [][]string
			out := struct {
				Dags         []dagJSON         `json:"dags"`
				ImportErrors []importErrorJSON `json:"import_errors"`
			}{Dags: []dagJSON{}, ImportErrors: []importErrorJSON{}}
			for _, d := range dags {
				j := dagJSON{DagID: d.DagID, FileLoc: d.FileLoc, Owners: d.Owner, IsPaused: d.IsPaused, Schedule: d.Schedule, Tags: d.Tags}
				next := ""
				if d.NextDataInterval != nil {
					j.NextDagrun, j.NextDagrunAt = &d.NextDataInterval.Start, &d.NextDataInterval.End
					next = fmtTime(&d.NextDataInterval.End)
				}
				out.Dags = append(out.Dags, j)
				rows = append(rows, []string{d.DagID, d.FileLoc, d.Owner, strconv.FormatBool(d.IsPaused),
					orDash(d.Schedule), orDash(next)})
			}
			for _, e := range ies {
				out.ImportErrors = append(out.ImportErrors, importErrorJSON{FileLoc: e.FileLoc, Message: e.Message})
			}
			if err := a.table([]string{"DAG_ID", "FILELOC", "OWNERS", "IS_PAUSED", "SCHEDULE", "NEXT_RUN"}, rows, out); err != nil {
				return err
			}
			if a.output != "json" && len(ies) > 0 {
				fmt.Fprintf(a.out, "\n%d import error(s):\n", len(ies))
				for _, e := range ies {
					fmt.Fprintf(a.out, "\n%s\n", indent(e.Message))
				}
			}
			return nil
		},
	}
}

func (a *app) dagsValidate() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE or FOLDER]...",
		Short: "Check DAG files and print every error with its position; no database needed",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{a.cfg.DagsFolder}
			}
			files, err := dagFiles(args)
			if err != nil {
				return err
			}
			type result struct {
				File   string   `json:"file"`
				DagID  string   `json:"dag_id,omitempty"`
				Errors []string `json:"errors"`
			}
			var results []result
			bad := 0
			for _, f := range files {
				src, err := os.ReadFile(f)
				r := result{File: f, Errors: []string{}}
				if err == nil {
					var d *dag.DAG
					d, err = a.parseDAG(f, src)
					if err == nil {
						r.DagID = d.ID
					}
				}
				if err != nil {
					bad++
					r.Errors = strings.Split(err.Error(), "\n")
				}
				results = append(results, r)
			}
			if a.output == "json" {
				if err := a.table(nil, nil, results); err != nil {
					return err
				}
			} else {
				for _, r := range results {
					if len(r.Errors) == 0 {
						fmt.Fprintf(a.out, "ok     %s (dag_id %s)\n", r.File, r.DagID)
						continue
					}
					fmt.Fprintf(a.out, "error  %s\n", r.File)
					for _, e := range r.Errors {
						fmt.Fprintf(a.out, "       %s\n", e)
					}
				}
				fmt.Fprintf(a.out, "%d file(s), %d with errors\n", len(files), bad)
			}
			if bad > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
}

// dagFiles expands folders into their *.yaml and *.yml files.
func dagFiles(args []string) ([]string, error) {
	var files []string
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, arg)
			continue
		}
		err = filepath.WalkDir(arg, func(p string, de os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if de.IsDir() && p != arg && strings.HasPrefix(de.Name(), ".") {
				return filepath.SkipDir
			}
			if ext := filepath.Ext(p); !de.IsDir() && (ext == ".yaml" || ext == ".yml") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

func (a *app) dagsShow() *cobra.Command {
	var dot bool
	cmd := &cobra.Command{
		Use:   "show DAG_ID",
		Short: "Show a DAG's tasks in dependency order (or as Graphviz DOT with --dot)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if _, err := a.syncedStore(ctx); err != nil {
				return err
			}
			row, d, err := a.versions.Latest(ctx, args[0])
			if err != nil {
				return err
			}
			g := d.Graph()
			if dot {
				fmt.Fprintf(a.out, "digraph %q {\n  rankdir=LR;\n", d.ID)
				for _, id := range g.Order() {
					fmt.Fprintf(a.out, "  %q;\n", id)
					for _, down := range g.Downstream(id) {
						fmt.Fprintf(a.out, "  %q -> %q;\n", id, down)
					}
				}
				fmt.Fprintln(a.out, "}")
				return nil
			}
			type taskJSON struct {
				TaskID      string   `json:"task_id"`
				Upstream    []string `json:"upstream_task_ids"`
				TriggerRule string   `json:"trigger_rule"`
				Retries     int      `json:"retries"`
				Command     []string `json:"command"`
			}
			var rows [][]string
			var tasks []taskJSON
			for _, id := range g.Order() {
				t := d.Task(id)
				cmdline := strings.Join(t.Command.Args(), " ")
				if t.Command.Shell != "" {
					cmdline = t.Command.Shell
				}
				tasks = append(tasks, taskJSON{TaskID: id, Upstream: nonNil(t.Upstream), TriggerRule: string(t.TriggerRule),
					Retries: t.Retries, Command: nonNil(t.Command.Args())})
				rows = append(rows, []string{id, orDash(strings.Join(t.Upstream, ",")), string(t.TriggerRule),
					strconv.Itoa(t.Retries), orDash(truncate(cmdline, 60))})
			}
			if a.output != "json" {
				fmt.Fprintf(a.out, "%s (%s), version %d, schedule %s: %s\n\n", d.ID, row.FileLoc, versionNumber(ctx, a, row),
					d.Schedule.String(), d.Schedule.Description())
			}
			return a.table([]string{"TASK_ID", "UPSTREAM", "TRIGGER_RULE", "RETRIES", "COMMAND"}, rows, tasks)
		},
	}
	cmd.Flags().BoolVar(&dot, "dot", false, "print the graph in Graphviz DOT")
	return cmd
}

func versionNumber(ctx context.Context, a *app, row *store.Dag) int {
	v, err := a.st.DagVersionGet(ctx, row.LatestVersionID)
	if err != nil {
		return 0
	}
	return v.VersionNumber
}

func (a *app) dagsTrigger() *cobra.Command {
	var conf, runID, logical string
	cmd := &cobra.Command{
		Use:   "trigger DAG_ID",
		Short: "Create a manual DAG run; a running scheduler picks it up",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.syncedStore(ctx)
			if err != nil {
				return err
			}
			p, err := triggerParams(args[0], conf, runID, logical)
			if err != nil {
				return err
			}
			r, err := scheduler.Trigger(ctx, st, a.versions, time.Now(), p)
			if err != nil {
				return err
			}
			return a.table([]string{"DAG_ID", "RUN_ID", "STATE", "LOGICAL_DATE"},
				[][]string{{r.DagID, r.RunID, string(r.State), fmtTime(&r.LogicalDate)}}, runToJSON(r))
		},
	}
	cmd.Flags().StringVarP(&conf, "conf", "c", "", `JSON object for the run's conf, e.g. '{"learning_rate": 0.2}'`)
	cmd.Flags().StringVarP(&runID, "run-id", "r", "", "run id (default manual__<logical date>)")
	cmd.Flags().StringVarP(&logical, "logical-date", "e", "", "logical date, RFC 3339 or YYYY-MM-DD (default now)")
	return cmd
}

func triggerParams(dagID, conf, runID, logical string) (*scheduler.TriggerParams, error) {
	p := &scheduler.TriggerParams{DagID: dagID, RunID: runID}
	if conf != "" {
		if err := json.Unmarshal([]byte(conf), &p.Conf); err != nil {
			return nil, fmt.Errorf("--conf: must be a JSON object: %w", err)
		}
	}
	if logical != "" {
		t, err := dag.ParseTime(logical)
		if err != nil {
			return nil, fmt.Errorf("--logical-date: %w", err)
		}
		p.LogicalDate = &t
	}
	return p, nil
}

func (a *app) dagsPause(pause bool) *cobra.Command {
	use, short := "pause DAG_ID", "Pause a DAG: no new runs are scheduled or started"
	if !pause {
		use, short = "unpause DAG_ID", "Unpause a DAG"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.syncedStore(ctx)
			if err != nil {
				return err
			}
			if err := st.DagSetPaused(ctx, args[0], pause); err != nil {
				return err
			}
			return a.table([]string{"DAG_ID", "IS_PAUSED"}, [][]string{{args[0], strconv.FormatBool(pause)}},
				map[string]any{"dag_id": args[0], "is_paused": pause})
		},
	}
}

func (a *app) dagsNextRuns() *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:   "next-runs DAG_ID",
		Short: "Show the data intervals of the next scheduled runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.syncedStore(ctx)
			if err != nil {
				return err
			}
			_, d, err := a.versions.Latest(ctx, args[0])
			if err != nil {
				return err
			}
			var last *dag.DataInterval
			if r, err := st.DagRunLatest(ctx, d.ID, string(dag.RunScheduled)); err == nil {
				last = &r.DataInterval
			}
			tt := dag.TimetableParams{Start: d.StartDate, End: d.EndDate, Catchup: d.Catchup, Location: d.Timezone}
			type next struct {
				LogicalDate       time.Time `json:"logical_date"`
				DataIntervalStart time.Time `json:"data_interval_start"`
				DataIntervalEnd   time.Time `json:"data_interval_end"`
				RunAfter          time.Time `json:"run_after"`
			}
			var rows [][]string
			out := []next{}
			for _, iv := range d.Schedule.NextRuns(last, tt, time.Now(), n) {
				runAfter := iv.End
				out = append(out, next{iv.Start, iv.Start, iv.End, runAfter})
				rows = append(rows, []string{fmtTime(&iv.Start), fmtTime(&iv.Start), fmtTime(&iv.End), fmtTime(&runAfter)})
			}
			if a.output != "json" {
				fmt.Fprintf(a.out, "%s: %s\n", d.ID, d.Schedule.Description())
				if len(out) == 0 {
					fmt.Fprintln(a.out, "no scheduled runs")
					return nil
				}
			}
			return a.table([]string{"LOGICAL_DATE", "DATA_INTERVAL_START", "DATA_INTERVAL_END", "RUN_AFTER"}, rows, out)
		},
	}
	cmd.Flags().IntVarP(&n, "num", "n", 5, "how many runs")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func (a *app) dagsBackfill() *cobra.Command {
	var start, end string
	cmd := &cobra.Command{
		Use:   "backfill DAG_ID --start-date DATE --end-date DATE",
		Short: "Create runs for every scheduled interval between two dates; a running scheduler runs them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.syncedStore(ctx)
			if err != nil {
				return err
			}
			s, err := dag.ParseTime(start)
			if err != nil {
				return fmt.Errorf("--start-date: %w", err)
			}
			e, err := dag.ParseTime(end)
			if err != nil {
				return fmt.Errorf("--end-date: %w", err)
			}
			runs, err := scheduler.Backfill(ctx, st, a.versions, time.Now(), &scheduler.BackfillParams{DagID: args[0], Start: s, End: e})
			if err != nil {
				return err
			}
			var rows [][]string
			out := []runJSON{}
			for _, r := range runs {
				out = append(out, runToJSON(r))
				rows = append(rows, []string{r.DagID, r.RunID, string(r.State), fmtTime(&r.LogicalDate)})
			}
			if a.output != "json" {
				fmt.Fprintf(a.out, "%d backfill run(s) created\n", len(runs))
			}
			return a.table([]string{"DAG_ID", "RUN_ID", "STATE", "LOGICAL_DATE"}, rows, out)
		},
	}
	cmd.Flags().StringVarP(&start, "start-date", "s", "", "first logical date, YYYY-MM-DD or RFC 3339 (required)")
	cmd.Flags().StringVarP(&end, "end-date", "e", "", "last logical date, included (required)")
	_ = cmd.MarkFlagRequired("start-date")
	_ = cmd.MarkFlagRequired("end-date")
	return cmd
}
