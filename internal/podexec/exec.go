// Package podexec is what runs inside a task's pod: `updraft exec -- CMD`
// runs the task's command as the container's main process would, keeps its
// exit code, and hands the XCom value the command wrote to
// UPDRAFT_XCOM_FILE to the executor through the container's termination
// message, which Kubernetes keeps in the pod's status after the container
// ends. The updraft binary reaches an image that lacks it through an init
// container that copies it into a shared emptyDir (CopyBinary).
package podexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/updraft-dev/updraft/internal/executor"
)

const (
	// EnvXComFile names the file a task writes its return value to, as
	// the local executor's tasks do.
	EnvXComFile = executor.EnvXComFile
	// DefaultTerminationLog is Kubernetes' default terminationMessagePath.
	DefaultTerminationLog = "/dev/termination-log"
	// MaxMessage is the most Kubernetes keeps of a container's termination
	// message.
	MaxMessage = 4096
)

// Message is the termination message `updraft exec` leaves: the task's
// return value, or why the try failed when the command's exit code does
// not say it.
type Message struct {
	XCom json.RawMessage `json:"xcom,omitempty"`
	// XComStored says the value was too large for the message and is in
	// the database already, sent through the API.
	XComStored bool   `json:"xcom_stored,omitempty"`
	Error      string `json:"error,omitempty"`
}

// ParseMessage reads a termination message; an empty one is a try without
// a return value.
func ParseMessage(s string) (Message, error) {
	var m Message
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return m, fmt.Errorf("termination message is not updraft's: %w", err)
	}
	return m, nil
}

// Config is one run of a task's command.
type Config struct {
	// Argv is the task's command; Argv[0] is looked up in PATH.
	Argv []string
	// XComFile is where the command writes its return value; a file in a
	// new temporary directory when empty.
	XComFile string
	// Env is the command's environment, UPDRAFT_XCOM_FILE aside.
	Env []string
	// TerminationLog is where the message goes; DefaultTerminationLog
	// when empty.
	TerminationLog string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Push sends a return value larger than a termination message holds
	// to updraft's API; without it such a value fails the try.
	Push func(ctx context.Context, value []byte) error
	// MaxXCom is the largest return value; executor.MaxXComBytes when 0.
	MaxXCom int
}

// Exit codes of failures that are updraft exec's own, as a shell gives
// them.
const (
	exitCannotRun = 126
	exitNotFound  = 127
)

// Run runs the command until it ends and returns the exit code the
// container should end with: the command's own, 128+N when a signal N
// ended it, 1 when its return value cannot be handed on. Cancelling ctx
// sends SIGTERM to the command's process group, as the kubelet's SIGTERM to
// the container does when a pod is deleted.
func Run(ctx context.Context, cfg Config) int {
	if len(cfg.Argv) == 0 {
		return fail(cfg, exitCannotRun, "no command to run: use updraft exec -- COMMAND [ARG...]")
	}
	if cfg.TerminationLog == "" {
		cfg.TerminationLog = DefaultTerminationLog
	}
	if cfg.XComFile == "" {
		dir, err := os.MkdirTemp("", "updraft-xcom-")
		if err != nil {
			return fail(cfg, exitCannotRun, "cannot make a directory for the XCom file: %v", err)
		}
		defer os.RemoveAll(dir)
		cfg.XComFile = filepath.Join(dir, "return.json")
	}
	// A return value left by an earlier container of the pod is not this
	// try's.
	if err := os.Remove(cfg.XComFile); err != nil && !errors.Is(err, os.ErrNotExist) { //nolint:gosec // the pod's spec names the file
		return fail(cfg, exitCannotRun, "cannot clear the XCom file %s: %v", cfg.XComFile, err)
	}

	cmd := exec.Command(cfg.Argv[0], cfg.Argv[1:]...)
	cmd.Env = append(append([]string{}, cfg.Env...), EnvXComFile+"="+cfg.XComFile)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = cfg.Stdin, cfg.Stdout, cfg.Stderr
	// Its own process group, so a SIGTERM reaches what the command started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return fail(cfg, exitNotFound, "command not found: %q", cfg.Argv[0])
		}
		return fail(cfg, exitCannotRun, "cannot run %q: %v", cfg.Argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		case <-done:
		}
	}()
	err := cmd.Wait()
	close(done)
	code := 0
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return fail(cfg, exitCannotRun, "waiting for %q: %v", cfg.Argv[0], err)
		}
		ws, _ := exit.Sys().(syscall.WaitStatus)
		code = ws.ExitStatus()
		if ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	}
	if code != 0 {
		// Airflow keeps a return value only from a try that succeeded.
		writeMessage(cfg, Message{})
		return code
	}
	maxXCom := cfg.MaxXCom
	if maxXCom <= 0 {
		maxXCom = executor.MaxXComBytes
	}
	xcom, err := executor.ReadXCom(cfg.XComFile, maxXCom)
	if err != nil {
		return fail(cfg, 1, "invalid XCom in %s: %v", EnvXComFile, err)
	}
	if fits := MaxMessage - len(`{"xcom":}`); len(xcom) <= fits {
		writeMessage(cfg, Message{XCom: xcom})
		return 0
	}
	// Too large for the termination message: through the API, which
	// stores it before the try can be seen to end.
	if cfg.Push == nil {
		return fail(cfg, 1, "the XCom value in %s is %d bytes, more than a termination message holds (%d); "+
			"the executor's kubernetes_api_url lets pods send larger values to the API", EnvXComFile, len(xcom), MaxMessage)
	}
	if err := cfg.Push(ctx, xcom); err != nil {
		return fail(cfg, 1, "cannot send the XCom value (%d bytes) to the API: %v", len(xcom), err)
	}
	if cfg.Stderr != nil {
		fmt.Fprintf(cfg.Stderr, "updraft exec: XCom value of %d bytes sent to the API\n", len(xcom))
	}
	writeMessage(cfg, Message{XComStored: true})
	return 0
}

// fail reports a failure of updraft exec's own on stderr, where the task's
// log has it, and in the termination message, and returns code.
func fail(cfg Config, code int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	if cfg.Stderr != nil {
		fmt.Fprintln(cfg.Stderr, "updraft exec: "+msg)
	}
	if len(msg) > MaxMessage-64 {
		msg = msg[:MaxMessage-64]
	}
	writeMessage(cfg, Message{Error: msg})
	return code
}

// writeMessage writes the termination message. The kubelet mounts a file at
// the default path in every container; where there is none, this is not a
// pod and nothing is written there (the exit code still tells the result).
func writeMessage(cfg Config, m Message) {
	b, _ := json.Marshal(m)
	flags := os.O_WRONLY | os.O_TRUNC
	if cfg.TerminationLog != DefaultTerminationLog {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(cfg.TerminationLog, flags, 0o644)
	if errors.Is(err, os.ErrNotExist) && cfg.TerminationLog == DefaultTerminationLog {
		return
	}
	if err == nil {
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil && cfg.Stderr != nil {
		fmt.Fprintf(cfg.Stderr, "updraft exec: cannot write the termination message: %v\n", err)
	}
}

// CopyBinary copies the running updraft binary to dest, executable, for an
// init container to put it where the task's container can run it.
func CopyBinary(dest string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	src, err := os.Open(self)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".updraft-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}
