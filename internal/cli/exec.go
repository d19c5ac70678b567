package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/podexec"
)

// execCommand is `updraft exec -- CMD`, the main process of a task's pod:
// it needs no configuration, database or DAG folder.
func (a *app) execCommand() *cobra.Command {
	var termLog, xcomFile string
	cmd := &cobra.Command{
		Use:   "exec [flags] -- COMMAND [ARG...]",
		Short: "Run a task's command inside its pod, keeping its exit code and passing on its XCom value",
		Long: "Runs COMMAND with UPDRAFT_XCOM_FILE set, exits with its exit code (128+N when signal N ended it),\n" +
			"and writes the JSON value the command left in UPDRAFT_XCOM_FILE to the container's termination\n" +
			"message, where the Kubernetes executor reads it; a value larger than a termination message holds is\n" +
			"sent to the API named by UPDRAFT_API_URL with UPDRAFT_TASK_TOKEN. SIGTERM is passed on to the\n" +
			"command's process group.",
		Args: cobra.ArbitraryArgs,
		// Nothing of updraft's configuration is needed, nor may be present.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			if xcomFile == "" {
				xcomFile = lookupEnv(a.environ, podexec.EnvXComFile)
			}
			cfg := podexec.Config{
				Argv: args, XComFile: xcomFile, TerminationLog: termLog, Env: a.environ,
				Stdin: os.Stdin, Stdout: a.out, Stderr: a.errOut,
			}
			// The executor names the API when kubernetes_api_url is set:
			// larger return values go there.
			pusher, err := podexec.PusherFromEnv(a.environ)
			if err != nil {
				fmt.Fprintln(a.errOut, "updraft exec:", err)
			}
			if pusher != nil {
				cfg.Push = pusher.Push
			}
			code := podexec.Run(cmd.Context(), cfg)
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&termLog, "termination-log", podexec.DefaultTerminationLog, "file Kubernetes reads the termination message from (terminationMessagePath)")
	cmd.Flags().StringVar(&xcomFile, "xcom-file", "", "file the command writes its return value to (default $UPDRAFT_XCOM_FILE, else a temporary file)")
	return cmd
}

// copyBinaryCommand is what the init container of a task's pod runs: it
// puts the updraft binary into the volume the task's container shares.
func (a *app) copyBinaryCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "copy-binary DEST",
		Short:             "Copy this updraft binary to DEST (used by the init container of a task's pod)",
		Args:              cobra.ExactArgs(1),
		Hidden:            true,
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(_ *cobra.Command, args []string) error {
			return podexec.CopyBinary(args[0])
		},
	}
}
