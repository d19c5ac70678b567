// Package cli is updraft's command line: `updraft <noun> <verb>`, as
// `airflow dags trigger`. It wires configuration to services and presents
// results; the work is done by the packages it calls.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/secret"
	"github.com/updraft-dev/updraft/internal/store"
)

// Version is set at build time with -ldflags "-X .../cli.Version=...".
var Version = "dev"

// app is what every command shares: the configuration and the store, opened
// on first use.
type app struct {
	cfg     config.Config
	cfgFile string
	output  string
	log     *slog.Logger
	out     io.Writer
	errOut  io.Writer
	environ []string

	st       store.Store
	versions *scheduler.Versions
	// masker learns the secrets of variables and connections as they are
	// read, and hides them in what updraft shows.
	masker *secret.Masker
}

// Execute runs the command line with args and returns the exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) int {
	a := &app{cfg: config.Default(), out: stdout, errOut: stderr, environ: environ,
		masker: secret.NewMasker(secret.MaskerConfig{})}
	root := a.rootCommand() //nolint:contextcheck // commands take ctx from cmd.Context(), set by ExecuteContext
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if a.st != nil {
		_ = a.st.Close()
	}
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintln(stderr, "Error:", err)
		return 1
	}
	return 0
}

// exitError ends a command with a code and no further message: the command
// has already said what happened.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit code %d", e.code) }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "updraft",
		Short:         "A workflow orchestrator for data and ML pipelines",
		Long:          "updraft runs DAGs of tasks on a schedule: as local processes or, later, Kubernetes pods.\nIt speaks Airflow's vocabulary: dags, runs, tasks, trigger rules, XCom.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.configure(cmd)
		},
	}
	f := root.PersistentFlags()
	f.StringVar(&a.cfgFile, "config", "", "configuration file (YAML); also UPDRAFT_CONFIG")
	f.String("data-dir", "", "data directory for the database and logs (default .updraft)")
	f.String("dags-folder", "", "folder of DAG files (default dags)")
	f.String("database-url", "", "metadata database: sqlite:///path/updraft.db or postgres://user:pass@host:5432/db (default: updraft.db in the data directory)")
	f.String("log-level", "", "debug, info, warn or error")
	f.String("api-address", "", "host:port where server and standalone serve the REST API (default :8080)")
	f.StringVarP(&a.output, "output", "o", "table", "output format: table or json")
	root.AddCommand(
		a.standaloneCommand(),
		a.schedulerCommand(),
		a.serverCommand(),
		a.usersCommand(),
		a.dagsCommand(),
		a.tasksCommand(),
		a.runsCommand(),
		a.dbCommand(),
		a.versionCommand(),
		a.execCommand(),
		a.copyBinaryCommand(),
	)
	return root
}

// configure layers defaults, the file, the environment and the flags.
func (a *app) configure(cmd *cobra.Command) error {
	file := a.cfgFile
	if file == "" {
		file = lookupEnv(a.environ, "UPDRAFT_CONFIG")
	}
	if file != "" {
		if err := a.cfg.LoadFile(file); err != nil {
			return err
		}
	}
	if err := a.cfg.LoadEnv(a.environ); err != nil {
		return err
	}
	flags := cmd.Flags()
	for flag, dst := range map[string]*string{
		"data-dir": &a.cfg.DataDir, "dags-folder": &a.cfg.DagsFolder,
		"database-url": &a.cfg.DatabaseURL, "log-level": &a.cfg.LogLevel, "api-address": &a.cfg.APIAddress,
	} {
		if flags.Changed(flag) {
			*dst, _ = flags.GetString(flag)
		}
	}
	if a.output != "table" && a.output != "json" {
		return fmt.Errorf("--output: must be table or json, got %q", a.output)
	}
	if err := a.cfg.Validate(); err != nil {
		return err
	}
	a.log = newLogger(a.errOut, a.cfg.LogLevel, a.cfg.LogFormat)
	return nil
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func lookupEnv(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
