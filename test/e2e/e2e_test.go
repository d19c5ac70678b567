// Package e2e runs the updraft binary as a user does: built from source,
// started as a process, driven through its command line.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds updraft once per test process.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "updraft-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "updraft")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/updraft")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v\n%s", buildErr, binPath)
	}
	return binPath
}

// env is a data directory and a DAGs folder for one test.
type env struct {
	t    *testing.T
	bin  string
	data string
	dags string
}

func newEnv(t *testing.T, dags map[string]string) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, bin: binary(t), data: filepath.Join(dir, "data"), dags: filepath.Join(dir, "dags")}
	if err := os.MkdirAll(e.dags, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range dags {
		if err := os.WriteFile(filepath.Join(e.dags, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) args(args ...string) []string {
	return append([]string{"--data-dir", e.data, "--dags-folder", e.dags}, args...)
}

// run runs a command to its end and returns stdout, stderr and exit code.
func (e *env) run(args ...string) (string, string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, e.args(args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("updraft %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// start starts a long-running command (scheduler, standalone).
func (e *env) start(args ...string) *exec.Cmd {
	e.t.Helper()
	cmd := exec.Command(e.bin, e.args(args...)...)
	logf, err := os.Create(filepath.Join(e.t.TempDir(), "out.log"))
	if err != nil {
		e.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_, _ = cmd.Process.Wait()
		if e.t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			e.t.Logf("output of updraft %v:\n%s", args, b)
		}
	})
	return cmd
}

// waitFor polls until cond holds; the bound is generous because it is a
// wait for an outcome, not a measurement.
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type taskState struct {
	TaskID    string `json:"task_id"`
	State     string `json:"state"`
	TryNumber int    `json:"try_number"`
	ExitCode  *int   `json:"exit_code"`
	Reason    string `json:"reason"`
}

func (e *env) taskStates(dagID, runID string) map[string]taskState {
	e.t.Helper()
	out, errOut, code := e.run("tasks", "states-for-dag-run", dagID, runID, "-o", "json")
	if code != 0 {
		e.t.Fatalf("states-for-dag-run: %s", errOut)
	}
	var tis []taskState
	if err := json.Unmarshal([]byte(out), &tis); err != nil {
		e.t.Fatalf("states-for-dag-run output %q: %v", out, err)
	}
	m := map[string]taskState{}
	for _, ti := range tis {
		m[ti.TaskID] = ti
	}
	return m
}

type runState struct {
	RunID string `json:"dag_run_id"`
	State string `json:"state"`
}

func (e *env) runs(dagID string) []runState {
	e.t.Helper()
	out, errOut, code := e.run("runs", "list", "-d", dagID, "-o", "json")
	if code != 0 {
		e.t.Fatalf("runs list: %s", errOut)
	}
	var rs []runState
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		e.t.Fatalf("runs list output %q: %v", out, err)
	}
	return rs
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(strings.ReplaceAll(string(b), "\n", " "))
}

func writeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMain stops the PostgreSQL server the tests that need one share.
func TestMain(m *testing.M) { pgserver.Main(m) }
