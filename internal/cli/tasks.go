package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/executor/local"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/template"
)

func (a *app) tasksCommand() *cobra.Command {
	tasks := &cobra.Command{Use: "tasks", Short: "Test, inspect and clear task instances"}
	tasks.AddCommand(a.tasksTest(), a.tasksStates(), a.tasksClear(), a.tasksLogs())
	return tasks
}

type tiJSON struct {
	TaskID    string     `json:"task_id"`
	State     string     `json:"state"`
	TryNumber int        `json:"try_number"`
	StartDate *time.Time `json:"start_date"`
	EndDate   *time.Time `json:"end_date"`
	Duration  float64    `json:"duration"`
	ExitCode  *int       `json:"exit_code"`
	Reason    string     `json:"reason,omitempty"`
}

// tiTable prints task instances in the DAG's order.
func (a *app) tiTable(d *dag.DAG, tis []*store.TaskInstance) error {
	byID := map[string]*store.TaskInstance{}
	for _, ti := range tis {
		byID[ti.TaskID] = ti
	}
	var rows [][]string
	out := []tiJSON{}
	for _, id := range d.Graph().Order() {
		ti := byID[id]
		if ti == nil {
			continue
		}
		code := ""
		if ti.ExitCode != nil {
			code = strconv.Itoa(*ti.ExitCode)
		}
		out = append(out, tiJSON{TaskID: id, State: ti.State.String(), TryNumber: ti.TryNumber, StartDate: ti.StartDate,
			EndDate: ti.EndDate, Duration: ti.Duration().Seconds(), ExitCode: ti.ExitCode, Reason: ti.Reason})
		rows = append(rows, []string{id, ti.State.String(), strconv.Itoa(ti.TryNumber), orDash(fmtDuration(ti.Duration())),
			orDash(code), orDash(truncate(ti.Reason, 60))})
	}
	return a.table([]string{"TASK_ID", "STATE", "TRY", "DURATION", "EXIT_CODE", "REASON"}, rows, out)
}

// runAndDag loads a run and the DAG version it runs.
func (a *app) runAndDag(ctx context.Context, dagID, runID string) (store.Store, *store.DagRun, *dag.DAG, error) {
	st, err := a.store(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := st.DagRunGet(ctx, dagID, runID)
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := a.versions.Get(ctx, r.VersionID)
	return st, r, d, err
}

func (a *app) tasksStates() *cobra.Command {
	return &cobra.Command{
		Use:   "states-for-dag-run DAG_ID RUN_ID",
		Short: "Show the state of every task instance of a run",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, r, d, err := a.runAndDag(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			tis, err := st.TaskInstanceListByRun(ctx, r.ID, nil)
			if err != nil {
				return err
			}
			return a.tiTable(d, tis)
		},
	}
}

func (a *app) tasksClear() *cobra.Command {
	var downstream, onlyFailed bool
	cmd := &cobra.Command{
		Use:   "clear DAG_ID RUN_ID [TASK_ID]...",
		Short: "Clear task instances of a run (all when none named) so they run again",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, r, d, err := a.runAndDag(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			cleared, err := scheduler.Clear(ctx, st, &scheduler.ClearParams{Run: r, Dag: d, TaskIDs: args[2:],
				Downstream: downstream, OnlyFailed: onlyFailed})
			if err != nil {
				return err
			}
			if a.output != "json" {
				fmt.Fprintf(a.out, "cleared %d task instance(s) of %s/%s; the run is queued again\n", len(cleared), r.DagID, r.RunID)
			}
			return a.tiTable(d, cleared)
		},
	}
	cmd.Flags().BoolVarP(&downstream, "downstream", "d", false, "also clear the tasks downstream of the named ones")
	cmd.Flags().BoolVarP(&onlyFailed, "only-failed", "f", false, "only clear failed and upstream_failed task instances")
	return cmd
}

func (a *app) tasksLogs() *cobra.Command {
	var try int
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs DAG_ID RUN_ID TASK_ID",
		Short: "Print the log of a task instance's try (the latest by default)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, r, _, err := a.runAndDag(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			ti, err := st.TaskInstanceGet(ctx, r.ID, args[2], -1)
			if err != nil {
				return err
			}
			if try == 0 {
				try = ti.TryNumber
			}
			key := logstore.Key{DagID: r.DagID, RunID: r.RunID, TaskID: ti.TaskID, MapIndex: -1, TryNumber: try}
			logs := logstore.FileStore{Dir: a.cfg.LogDir()}
			// Reading the variables and connections teaches the masker
			// their secrets, which the log then shows as ***.
			if _, err := st.VariableList(ctx); err != nil {
				return err
			}
			if _, err := st.ConnectionList(ctx); err != nil {
				return err
			}
			return followLog(ctx, logs, key, a.out, a.masker.Mask, func() bool {
				if !follow {
					return true
				}
				cur, err := st.TaskInstanceGet(ctx, r.ID, ti.TaskID, -1)
				return err != nil || cur.TryNumber != try || !cur.State.Active()
			})
		},
	}
	cmd.Flags().IntVarP(&try, "try", "t", 0, "try number (default: the latest)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing while the try runs")
	return cmd
}

// followLog copies a try's log to w from the start, and goes on reading
// while done() says the try may still write.
// followLog prints a try's log, masked line by line (a secret is never
// split between two writes), until done says the try ended.
func followLog(ctx context.Context, logs logstore.FileStore, key logstore.Key, w io.Writer, mask func(string) string, done func() bool) error {
	var off int64
	var pending []byte
	for {
		finished := done()
		b, next, err := logs.Read(key, off, 0)
		if err != nil && !errors.Is(err, logstore.ErrNotFound) {
			return err
		}
		pending = append(pending, b...)
		cut := bytes.LastIndexByte(pending, '\n') + 1
		if finished {
			cut = len(pending)
		}
		if _, err := io.WriteString(w, mask(string(pending[:cut]))); err != nil {
			return err
		}
		pending = pending[cut:]
		off = next
		if finished {
			if errors.Is(err, logstore.ErrNotFound) && off == 0 {
				return fmt.Errorf("no log for try %d of %s", key.TryNumber, key.TaskID)
			}
			return nil
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return nil
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (a *app) tasksTest() *cobra.Command {
	var conf string
	cmd := &cobra.Command{
		Use:   "test DAG_ID TASK_ID [LOGICAL_DATE]",
		Short: "Run one task now, ignoring its dependencies and recording no state, with its log on the terminal",
		Args:  cobra.RangeArgs(2, 3),
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
			task := d.Task(args[1])
			if task == nil {
				return fmt.Errorf("dag %s has no task %q", d.ID, args[1])
			}
			logical := time.Now().UTC()
			if len(args) == 3 {
				if logical, err = dag.ParseTime(args[2]); err != nil {
					return fmt.Errorf("LOGICAL_DATE: %w", err)
				}
			}
			p, err := triggerParams(d.ID, conf, "", "")
			if err != nil {
				return err
			}
			if err := scheduler.CheckConf(d, p.Conf); err != nil {
				return err
			}
			return a.testTask(ctx, st, d, task, logical, p.Conf)
		},
	}
	cmd.Flags().StringVarP(&conf, "conf", "c", "", "JSON object for dag_run.conf")
	return cmd
}

// testTask runs one try of a task through the local executor with its log
// in a temporary folder, copied to the terminal as it is written.
func (a *app) testTask(ctx context.Context, st store.Store, d *dag.DAG, task *dag.Task, logical time.Time, conf map[string]any) error {
	runID := scheduler.RunID("test", logical)
	r := &store.DagRun{DagID: d.ID, RunID: runID, RunType: dag.RunManual, LogicalDate: logical,
		DataInterval: d.Schedule.ManualInterval(logical, dag.TimetableParams{Start: d.StartDate, Location: d.Timezone})}
	if conf != nil {
		b, err := json.Marshal(conf)
		if err != nil {
			return err
		}
		r.Conf = b
	}
	tc, err := scheduler.TemplateContext(r, d, task, 1)
	if err != nil {
		return err
	}
	tc.Lookup = scheduler.NewLookup(st, 0)
	req, err := scheduler.BuildRequest(ctx, template.NewRenderer(), tc, r, d, task, 1)
	if err != nil {
		return err
	}
	if task.Empty() {
		fmt.Fprintf(a.out, "%s is an empty task: nothing to run\n", task.ID)
		return nil
	}
	tmp, err := os.MkdirTemp("", "updraft-tasks-test-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	logs := logstore.FileStore{Dir: tmp}
	ex := local.New(local.Config{Parallelism: 1, Logs: logs, TempDir: tmp, KillGrace: a.cfg.KillGrace, Env: a.environ, Logger: a.log})
	defer ex.Stop()
	if err := ex.Submit(ctx, req); err != nil {
		return err
	}
	var fin executor.Event
	finished := false
	key := logstore.Key{DagID: d.ID, RunID: runID, TaskID: task.ID, MapIndex: -1, TryNumber: 1}
	err = followLog(ctx, logs, key, a.out, a.masker.Mask, func() bool {
		for !finished {
			select {
			case ev := <-ex.Events():
				if ev.Kind == executor.Finished {
					fin, finished = ev, true
				}
				continue
			default:
			}
			break
		}
		return finished
	})
	if err != nil {
		return err
	}
	if !finished {
		return ctx.Err()
	}
	if fin.XCom != nil {
		fmt.Fprintf(a.out, "XCom return_value: %s\n", fin.XCom)
	}
	if fin.State != dag.TaskSuccess {
		fmt.Fprintf(a.errOut, "task %s failed: %s\n", task.ID, fin.Reason)
		return &exitError{code: 1}
	}
	return nil
}
