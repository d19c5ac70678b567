package local

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/logstore"
)

// Exit codes of tries that never ran, as a shell reports them.
const (
	exitNotFound  = 127
	exitCannotRun = 126
)

// try is one running (or starting) task try.
type try struct {
	key executor.TryKey
	log *os.File
	// xcomPath is the file UPDRAFT_XCOM_FILE names: one per try in the
	// executor's private directory, so a try costs no directory of its own
	// (creating and removing one per try halved throughput on ext4).
	xcomPath string
	cmd      *exec.Cmd
	began    time.Time

	mu sync.Mutex
	// pid is the leader's process id, and the id of its process group.
	pid int
	// reason says why updraft is ending the try (timeout, cancel, stop);
	// the first one wins.
	reason string
	// exited is set once the leader has exited. From then on no signal may
	// be sent to the group: once the leader is reaped its id may be reused.
	exited  bool
	timeout *time.Timer
	kill    *time.Timer
}

// start prepares and starts the process of t. It returns an error only for
// executor-level trouble, before anything was reported; a try that cannot
// run is reported as Finished and start returns nil.
func (e *Executor) start(t *try, req *executor.Request) error {
	f, err := e.cfg.Logs.Create(logKey(req.Key))
	if err != nil {
		return fmt.Errorf("try %s: %w", req.Key, err)
	}
	dir, err := e.xcomDir()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("try %s: create XCom directory: %w", req.Key, err)
	}
	xcomPath := filepath.Join(dir, strconv.FormatUint(e.xcomSeq.Add(1), 10)+".json")
	t.log, t.xcomPath = f, xcomPath
	env := e.environ(req, xcomPath)

	e.logf(t, "running %s (try %d)", argvString(req.Argv), req.Key.TryNumber)
	if len(req.Argv) == 0 {
		e.notStarted(t, exitNotFound, "empty command")
		return nil
	}
	// The kernel reports a missing working directory as a missing command
	// (ENOENT from chdir in the child), so look first and say which.
	if req.WorkingDir != "" {
		if fi, err := os.Stat(req.WorkingDir); err != nil || !fi.IsDir() {
			if err == nil {
				err = fmt.Errorf("%s: %w", req.WorkingDir, syscall.ENOTDIR)
			}
			e.notStarted(t, exitCannotRun, "cannot start: working directory: "+err.Error())
			return nil
		}
	}
	path, err := e.paths.lookPath(req.Argv[0], env, req.WorkingDir, e.cfg.Now())
	if err != nil {
		code := exitNotFound
		if errors.Is(err, fs.ErrPermission) {
			code = exitCannotRun
		}
		e.notStarted(t, code, err.Error())
		return nil
	}
	t.cmd = &exec.Cmd{
		Path:   path,
		Args:   req.Argv,
		Env:    env,
		Dir:    req.WorkingDir,
		Stdout: f,
		Stderr: f,
		SysProcAttr: &syscall.SysProcAttr{
			// Its own group, so that timeout, cancel and Recover reach the
			// processes it starts too.
			Setpgid: true,
			// Dies with the scheduler. Strictly, the signal fires when the
			// OS thread that forked the child exits; the Go runtime keeps
			// its threads for good unless a goroutine exits while locked to
			// one (runtime.LockOSThread), so callers of Submit must not.
			Pdeathsig: syscall.SIGKILL,
		},
	}

	// t.mu is held across Start so that a Cancel or Stop arriving meanwhile
	// finds the pid set and signals the group itself.
	t.mu.Lock()
	if t.reason != "" {
		reason := t.reason
		t.mu.Unlock()
		e.notStarted(t, -1, reason)
		return nil
	}
	if err := t.cmd.Start(); err != nil {
		t.mu.Unlock()
		e.notStarted(t, exitCannotRun, "cannot start: "+err.Error())
		return nil
	}
	t.began = e.cfg.Now()
	t.pid = t.cmd.Process.Pid
	if req.Timeout > 0 {
		reason := "timed out after " + req.Timeout.String()
		t.timeout = time.AfterFunc(req.Timeout, func() { t.terminate(reason, e.cfg.KillGrace) })
	}
	t.mu.Unlock()

	e.emit(executor.Event{Key: t.key, Kind: executor.Started, Time: t.began, PID: t.pid})
	go e.wait(t)
	return nil
}

// notStarted reports a try whose process never ran.
func (e *Executor) notStarted(t *try, code int, reason string) {
	e.logf(t, "%s", reason)
	e.finish(t, 1, executor.Event{
		Key: t.key, Kind: executor.Finished, Time: e.cfg.Now(),
		State: dag.TaskFailed, ExitCode: code, Reason: reason,
	})
	e.senders.Done()
}

// wait is the one goroutine of a started try: it reaps the process and
// reports how the try ended.
func (e *Executor) wait(t *try) {
	defer e.senders.Done()

	// Wait for the leader's exit without reaping it: while it is a zombie its
	// id still names our process group, so killing the group cannot hit
	// anybody else. Then kill what is left of the group (children that were
	// put in the background), and only then reap.
	waitErr := waitExited(t.pid)
	t.mu.Lock()
	t.exited = true
	if waitErr == nil {
		_ = unix.Kill(-t.pid, unix.SIGKILL)
	}
	stopTimer(t.timeout)
	stopTimer(t.kill)
	reason := t.reason
	t.mu.Unlock()
	if waitErr != nil {
		e.log.Warn("waiting for a try without reaping it failed; its background processes may survive",
			slog.String("try", t.key.String()), slog.Int("pid", t.pid), slog.Any("error", waitErr))
	}

	err := t.cmd.Wait()
	end := e.cfg.Now()
	took := formatDuration(end.Sub(t.began))

	ev := executor.Event{Key: t.key, Kind: executor.Finished, Time: end, State: dag.TaskFailed}
	var how string
	ws, ok := waitStatus(t.cmd)
	switch {
	case !ok:
		ev.ExitCode = -1
		how = fmt.Sprintf("ended, status unknown (%v), after %s", err, took)
		ev.Reason = cmp.Or(reason, fmt.Sprintf("status unknown: %v", err))
	case ws.Signaled():
		ev.ExitCode = -1
		sig := signalName(ws.Signal())
		how = fmt.Sprintf("killed by signal %s after %s", sig, took)
		ev.Reason = cmp.Or(reason, "killed by signal "+sig)
	default:
		ev.ExitCode = ws.ExitStatus()
		how = fmt.Sprintf("exited with code %d after %s", ev.ExitCode, took)
		switch {
		case reason != "":
			ev.Reason = reason
		case ev.ExitCode != 0:
			ev.Reason = fmt.Sprintf("exit code %d", ev.ExitCode)
		}
	}
	if reason != "" {
		how += " (" + reason + ")"
	}
	e.logf(t, "%s", how)

	// Airflow keeps a return value only from a try that succeeded.
	if ev.Reason == "" {
		xcom, err := executor.ReadXCom(t.xcomPath, e.cfg.MaxXComSize)
		if err != nil {
			ev.Reason = "invalid XCom in UPDRAFT_XCOM_FILE: " + err.Error()
			e.logf(t, "%s", ev.Reason)
		} else {
			ev.State, ev.XCom = dag.TaskSuccess, xcom
		}
	}
	e.finish(t, 0, ev)
}

// finish releases what t holds, frees its slot and reports ev; unsent is
// 1 when t never sent its Started event. The slot is free before the event
// is out, so a scheduler reacting to the event sees it in FreeSlots.
func (e *Executor) finish(t *try, unsent int, ev executor.Event) {
	if err := t.log.Close(); err != nil {
		e.log.Warn("closing a try's log failed", slog.String("try", t.key.String()), slog.Any("error", err))
	}
	// unlink alone: os.Remove would also try rmdir when the file is absent,
	// as it is for most tries.
	if err := syscall.Unlink(t.xcomPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		e.log.Warn("removing a try's XCom file failed", slog.String("try", t.key.String()), slog.Any("error", err))
	}
	e.release(t, unsent)
	e.emit(ev)
}

// terminate asks the try's process group to end: SIGTERM now, SIGKILL after
// grace. A try that has not started yet is not started at all.
func (t *try) terminate(reason string, grace time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reason != "" || t.exited {
		return
	}
	t.reason = reason
	if t.pid == 0 {
		return
	}
	_ = unix.Kill(-t.pid, unix.SIGTERM)
	t.kill = time.AfterFunc(grace, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.exited {
			_ = unix.Kill(-t.pid, unix.SIGKILL)
		}
	})
}

// waitExited blocks until process pid, a child of ours, has exited, and
// leaves it to be reaped.
func waitExited(pid int) error {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

func waitStatus(cmd *exec.Cmd) (syscall.WaitStatus, bool) {
	if cmd.ProcessState == nil {
		return 0, false
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ws, ok
}

func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(sig))
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// logf appends one line of the executor's own to the try's log, after or
// before what the task writes, so the log tells the whole story.
func (e *Executor) logf(t *try, format string, args ...any) {
	var b bytes.Buffer
	b.WriteByte('[')
	b.WriteString(e.cfg.Now().UTC().Format(logTimeFormat))
	b.WriteString("] updraft: ")
	fmt.Fprintf(&b, format, args...)
	b.WriteByte('\n')
	if _, err := t.log.Write(b.Bytes()); err != nil {
		e.log.Warn("writing a try's log failed", slog.String("try", t.key.String()), slog.Any("error", err))
	}
}

const logTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// argvString shows a command as a JSON array, unambiguous about spaces.
func argvString(argv []string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if argv == nil {
		argv = []string{}
	}
	_ = enc.Encode(argv) // strings always encode
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// formatDuration keeps durations short in the log: milliseconds, or
// microseconds below one.
func formatDuration(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func logKey(k executor.TryKey) logstore.Key {
	return logstore.Key{DagID: k.DagID, RunID: k.RunID, TaskID: k.TaskID, MapIndex: k.MapIndex, TryNumber: k.TryNumber}
}
