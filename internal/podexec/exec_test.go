package podexec

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type result struct {
	code    int
	message Message
	raw     string
	stdout  string
	stderr  string
}

func run(t *testing.T, ctx context.Context, argv ...string) result {
	t.Helper()
	return runWith(t, ctx, nil, argv...)
}

// runWith runs argv with the configuration edit makes.
func runWith(t *testing.T, ctx context.Context, edit func(*Config), argv ...string) result {
	t.Helper()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	cfg := Config{Argv: argv, XComFile: filepath.Join(dir, "xcom.json"), TerminationLog: filepath.Join(dir, "termination-log"),
		Env: []string{"PATH=" + os.Getenv("PATH")}, Stdout: &out, Stderr: &errOut}
	if edit != nil {
		edit(&cfg)
	}
	code := Run(ctx, cfg)
	raw, err := os.ReadFile(cfg.TerminationLog)
	if err != nil {
		t.Fatalf("no termination message: %v", err)
	}
	if len(raw) > MaxMessage {
		t.Errorf("termination message of %d bytes, more than Kubernetes keeps", len(raw))
	}
	m, err := ParseMessage(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return result{code: code, message: m, raw: string(raw), stdout: out.String(), stderr: errOut.String()}
}

func TestExitCodesAndXCom(t *testing.T) {
	for _, c := range []struct {
		name   string
		argv   []string
		code   int
		xcom   string
		errHas string
	}{
		{name: "success with a value", argv: []string{"sh", "-c", `echo hello; printf '{"rows": 42}\n' > "$UPDRAFT_XCOM_FILE"`},
			code: 0, xcom: `{"rows":42}`},
		{name: "success without a value", argv: []string{"true"}, code: 0},
		{name: "exit code kept", argv: []string{"sh", "-c", `echo '{"x": 1}' > "$UPDRAFT_XCOM_FILE"; exit 42`}, code: 42},
		{name: "command not found", argv: []string{"Python", "-c", "print('hello world')"}, code: 127, errHas: `command not found: "Python"`},
		{name: "not executable", argv: []string{"/etc/hostname"}, code: 126, errHas: "cannot run"},
		{name: "ended by a signal", argv: []string{"sh", "-c", "kill -KILL $$"}, code: 137},
		{name: "invalid value", argv: []string{"sh", "-c", `echo 'not json' > "$UPDRAFT_XCOM_FILE"`}, code: 1, errHas: "invalid XCom"},
		{name: "value too large for a termination message", argv: []string{"sh", "-c",
			`printf '"%s"' "$(head -c 5000 /dev/zero | tr '\0' a)" > "$UPDRAFT_XCOM_FILE"`}, code: 1, errHas: "5002 bytes, more than a termination message holds (4096)"},
		{name: "no command", argv: nil, code: 126, errHas: "no command"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, t.Context(), c.argv...)
			if r.code != c.code {
				t.Errorf("exit code %d, want %d (stderr %q)", r.code, c.code, r.stderr)
			}
			if string(r.message.XCom) != c.xcom {
				t.Errorf("xcom %q, want %q", r.message.XCom, c.xcom)
			}
			if c.errHas != "" && (!strings.Contains(r.message.Error, c.errHas) || !strings.Contains(r.stderr, c.errHas)) {
				t.Errorf("error %q and stderr %q should say %q", r.message.Error, r.stderr, c.errHas)
			}
			if c.errHas == "" && r.message.Error != "" {
				t.Errorf("unexpected error %q", r.message.Error)
			}
		})
	}
}

func TestOutputPassesThrough(t *testing.T) {
	r := run(t, t.Context(), "sh", "-c", "echo to-stdout; echo to-stderr >&2")
	if r.stdout != "to-stdout\n" || r.stderr != "to-stderr\n" {
		t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
}

// A value left in the file by an earlier container of the pod is not the
// try's return value.
func TestStaleXComCleared(t *testing.T) {
	xcom := filepath.Join(t.TempDir(), "xcom.json")
	if err := os.WriteFile(xcom, []byte(`{"stale": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runWith(t, t.Context(), func(c *Config) { c.XComFile = xcom }, "true")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if strings.Contains(r.raw, "stale") || r.message.XCom != nil {
		t.Errorf("termination message %s carries the stale value", r.raw)
	}
}

// Cancelling (the kubelet's SIGTERM) reaches the command's whole process
// group: a shell and the sleep it started both end.
func TestCancelTerminatesProcessGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pidFile := filepath.Join(t.TempDir(), "pid")
	go func() {
		for {
			if b, err := os.ReadFile(pidFile); err == nil && len(b) > 0 {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	start := time.Now()
	r := run(t, ctx, "sh", "-c", `sleep 30 & echo $! > `+pidFile+`; wait`)
	if r.code != 128+15 {
		t.Errorf("exit code %d, want 143 (SIGTERM)", r.code)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s: the command was not terminated", took)
	}
	b, _ := os.ReadFile(pidFile)
	// Once ended it may linger as a zombie until its new parent reaps it.
	stat := "/proc/" + strings.TrimSpace(string(b)) + "/stat"
	for deadline := time.Now().Add(5 * time.Second); ; {
		s, err := os.ReadFile(stat)
		if err != nil || strings.Contains(string(s), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the background sleep survived: %s", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCopyBinary(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "updraft")
	if err := CopyBinary(dest); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	want, _ := os.Stat(self)
	if fi.Size() != want.Size() || fi.Mode().Perm() != 0o755 {
		t.Errorf("copy: %d bytes mode %v; want %d bytes mode 0755", fi.Size(), fi.Mode().Perm(), want.Size())
	}
}

func TestParseMessage(t *testing.T) {
	if m, err := ParseMessage(""); err != nil || m.XCom != nil || m.Error != "" {
		t.Errorf("empty message: %+v %v", m, err)
	}
	if _, err := ParseMessage("OOMKilled by someone"); err == nil {
		t.Error("a message not written by updraft exec was accepted")
	}
}
