package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/store"
)

func (a *app) dagsTest() *cobra.Command {
	var conf string
	cmd := &cobra.Command{
		Use:   "test DAG_ID [LOGICAL_DATE]",
		Short: "Run one DAG run in this process to completion, showing task states as they change; exit 1 if it fails",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := triggerParams(args[0], conf, "", "")
			if err != nil {
				return err
			}
			if len(args) == 2 {
				t, err := dag.ParseTime(args[1])
				if err != nil {
					return fmt.Errorf("LOGICAL_DATE: %w", err)
				}
				p.LogicalDate = &t
			}
			// The live view is the output; the scheduler's own log lines
			// would interleave with it, so only errors show unless asked.
			if !cmd.Flags().Changed("log-level") && lookupEnv(a.environ, "UPDRAFT_LOG_LEVEL") == "" {
				a.log = newLogger(a.errOut, "error", a.cfg.LogFormat)
			}
			return a.testDag(cmd.Context(), p)
		},
	}
	cmd.Flags().StringVarP(&conf, "conf", "c", "", "JSON object for the run's conf")
	return cmd
}

// testDag runs one DAG run with a scheduler of its own that looks at that
// run only. On SQLite it takes the scheduler lock, as a scheduler does.
func (a *app) testDag(ctx context.Context, p *scheduler.TriggerParams) error {
	release, err := a.lockIfEmbedded()
	if err != nil {
		return err
	}
	defer release()
	st, err := a.syncedStore(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	if p.LogicalDate == nil {
		p.LogicalDate = &now
	}
	p.RunID = scheduler.RunID("test", *p.LogicalDate)
	r, err := scheduler.Trigger(ctx, st, a.versions, now, p)
	if err != nil {
		return err
	}
	d, err := a.versions.Get(ctx, r.VersionID)
	if err != nil {
		return err
	}
	ex, err := a.localExecutor()
	if err != nil {
		return err
	}
	defer ex.Stop()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	width := 0
	for _, t := range d.Tasks {
		width = max(width, len(t.ID))
	}
	fmt.Fprintf(a.out, "%s: run %s (%d tasks)\n", d.ID, r.RunID, len(d.Tasks))
	var final dag.DagRunState
	observe := func(t scheduler.Transition) {
		el := t.Time.Sub(now).Seconds()
		if t.TaskID == "" {
			fmt.Fprintf(a.out, "%8.3fs  %-*s  run %s\n", el, width, "", t.State)
			if st := dag.DagRunState(t.State); st.Finished() {
				final = st
				cancel()
			}
			return
		}
		line := fmt.Sprintf("%8.3fs  %-*s  %s", el, width, t.TaskID, t.State)
		if t.Try > 0 {
			line += fmt.Sprintf(" (try %d)", t.Try)
		}
		if t.Reason != "" && t.State != "running" {
			line += ": " + t.Reason
		}
		fmt.Fprintln(a.out, line)
	}
	// The test run's own loop may run while the DAG is paused.
	s, err := a.newScheduler(st, map[string]executor.Executor{"local": ex}, "local", r.ID, observe)
	if err != nil {
		return err
	}
	if err := s.Run(runCtx); err != nil {
		return err
	}
	if final == "" {
		return ctx.Err()
	}
	tis, err := st.TaskInstanceListByRun(ctx, r.ID, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.out)
	if err := a.tiTable(d, tis); err != nil {
		return err
	}
	if final != dag.DagRunFailed {
		return nil
	}
	a.printFailedLogs(r, tis)
	fmt.Fprintf(a.errOut, "dag run %s failed\n", r.RunID)
	return &exitError{code: 1}
}

// printFailedLogs shows the end of each failed task's log, which is where
// the reason usually is.
func (a *app) printFailedLogs(r *store.DagRun, tis []*store.TaskInstance) {
	logs := logstore.FileStore{Dir: a.cfg.LogDir()}
	for _, ti := range tis {
		if ti.State != dag.TaskFailed {
			continue
		}
		b, _, err := logs.Read(logstore.Key{DagID: r.DagID, RunID: r.RunID, TaskID: ti.TaskID, MapIndex: -1, TryNumber: ti.TryNumber}, 0, 0)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 20 {
			lines = lines[len(lines)-20:]
		}
		fmt.Fprintf(a.out, "\n--- log of %s, try %d (%s) ---\n%s\n", ti.TaskID, ti.TryNumber,
			logs.Path(logstore.Key{DagID: r.DagID, RunID: r.RunID, TaskID: ti.TaskID, MapIndex: -1, TryNumber: ti.TryNumber}),
			strings.Join(lines, "\n"))
	}
}
