package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/executor/local"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/store"
)

func (a *app) standaloneCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "standalone",
		Short: "Run everything in one process on the embedded database: DAG folder, scheduler, local executor",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runScheduler(cmd.Context(), "standalone")
		},
	}
}

func (a *app) schedulerCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "scheduler",
		Short: "Run the scheduler: reads the DAG folder, creates runs, starts tasks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runScheduler(cmd.Context(), "scheduler")
		},
	}
}

// localExecutor is the local executor as configured.
func (a *app) localExecutor() (*local.Executor, error) {
	tmp := filepath.Join(a.cfg.DataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	return local.New(local.Config{
		Parallelism: a.cfg.Parallelism,
		Logs:        logstore.FileStore{Dir: a.cfg.LogDir()},
		TempDir:     tmp,
		KillGrace:   a.cfg.KillGrace,
		Env:         a.environ,
		Logger:      a.log,
		Now:         time.Now,
	}), nil
}

// newScheduler wires a scheduler to the store and its executors, by name;
// defaultExecutor runs the tasks that name none.
func (a *app) newScheduler(st store.Store, executors map[string]executor.Executor, defaultExecutor string,
	onlyRun int64, observe func(scheduler.Transition)) (*scheduler.Scheduler, error) {
	return scheduler.New(scheduler.Config{
		Store:           st,
		Executors:       executors,
		DefaultExecutor: defaultExecutor,
		Versions:        a.versions,
		Logger:          a.log,
		Now:             time.Now,
		Hostname:        hostname(),
		Tick:            a.cfg.SchedulerTick,
		OnlyRun:         onlyRun,
		Observe:         observe,

		HeartbeatInterval: a.cfg.SchedulerHeartbeatInterval,
		HeartbeatTimeout:  a.cfg.SchedulerHeartbeatTimeout,
		Mask:              a.masker.Mask,
	})
}

func (a *app) runScheduler(ctx context.Context, mode string) error {
	release, err := a.lockIfEmbedded()
	if err != nil {
		return err
	}
	defer release()
	st, err := a.storeWaiting(ctx)
	if err != nil {
		if ctx.Err() != nil {
			// Stopped while waiting for the database: a clean stop.
			return nil
		}
		return err
	}
	src := a.dagSource(st)
	res, err := src.Sync(ctx)
	if err != nil {
		return err
	}
	executors, err := a.executors(ctx, st)
	if err != nil {
		return err
	}
	defer func() {
		for _, ex := range executors {
			ex.Stop()
		}
	}()
	s, err := a.newScheduler(st, executors, a.cfg.Executors()[0], 0, nil)
	if err != nil {
		return err
	}
	var ln net.Listener
	if mode == "standalone" {
		if err := a.ensureAdmin(ctx, st); err != nil {
			return err
		}
		if ln, err = net.Listen("tcp", a.cfg.APIAddress); err != nil {
			return fmt.Errorf("api_address %s: %w", a.cfg.APIAddress, err)
		}
	}
	fmt.Fprintf(a.errOut, "updraft %s %s\n  data dir:    %s\n  database:    %s\n  dags folder: %s (%d files parsed, %d with errors, in %s)\n  executors:   %s\n  parallelism: %d\n",
		mode, Version, a.cfg.DataDir, a.databaseName(), a.cfg.DagsFolder, res.Parsed, res.Errors, fmtDuration(res.Duration),
		strings.Join(a.cfg.Executors(), ", "), a.cfg.Parallelism)
	if ln != nil {
		fmt.Fprintf(a.errOut, "  ui:          http://%s/\n  api:         http://%s/api/v2\n", ln.Addr(), ln.Addr())
	}
	// The watcher and the API stop with the scheduler, also when the
	// scheduler stops on an error of its own.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watchDone := make(chan error, 1)
	go func() { watchDone <- src.Watch(ctx, s.Wake) }()
	apiDone := make(chan error, 1)
	if ln != nil {
		go func() {
			err := a.serveAPI(ctx, st, ln, s.Wake)
			if err != nil {
				a.log.Error("API server stopped", "err", err)
				cancel()
			}
			apiDone <- err
		}()
	} else {
		apiDone <- nil
	}
	runErr := s.Run(ctx)
	cancel()
	if err := <-watchDone; err != nil && ctx.Err() == nil {
		a.log.Error("DAG folder watch stopped", "err", err)
	}
	if err := <-apiDone; err != nil && runErr == nil {
		runErr = err
	}
	fmt.Fprintln(a.errOut, "updraft", mode, "stopped")
	return runErr
}
