package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/updraft-dev/updraft/internal/executor"
)

// environ is the environment of a try: the base, the identity variables
// (executor.IdentityEnv), its XCom file, then the task's own. os/exec keeps
// the last value of a repeated name, so the identity variables override the
// base; a task's own Env cannot override any of them, as Recover relies on
// them to tell a try's processes from unrelated ones that reuse its PID.
func (e *Executor) environ(req *executor.Request, xcomPath string) []string {
	env := make([]string, 0, len(e.cfg.Env)+16+len(req.Env))
	env = append(env, e.cfg.Env...)
	env = append(env, executor.IdentityEnv(req)...)
	env = append(env, executor.EnvXComFile+"="+xcomPath)
	for _, kv := range req.Env {
		name, _, _ := strings.Cut(kv, "=")
		if executor.IsIdentityVar(name) {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// identityEnv is the part of a try's environment that Recover matches in
// /proc/<pid>/environ.
func identityEnv(k executor.TryKey) []string {
	return executor.IdentityEnv(&executor.Request{Key: k})[:5]
}

// defaultPath is what execvp searches when PATH is unset (glibc's _CS_PATH).
const defaultPath = "/bin:/usr/bin"

// lookPath finds the program the child would run: name itself when it has a
// slash (relative to the child's working directory), otherwise the first
// executable file named name in the directories of the child's PATH, which
// may differ from updraft's own. Relative PATH entries are skipped, as
// exec.LookPath refuses them: a task's working directory is often a checkout
// of user files, where an implicit lookup would be a trap.
func lookPath(name string, env []string, dir string) (string, error) {
	if strings.Contains(name, "/") {
		p := name
		if dir != "" && !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if err := checkExecutable(p); errors.Is(err, fs.ErrPermission) {
			return "", fmt.Errorf("cannot run %q: %w", name, err)
		} else if err != nil {
			return "", fmt.Errorf("command not found: %q: %w", name, err)
		}
		return p, nil
	}
	path, ok := lastEnv(env, "PATH")
	if !ok {
		path = defaultPath
	}
	for d := range strings.SplitSeq(path, ":") {
		if !filepath.IsAbs(d) {
			continue
		}
		p := filepath.Join(d, name)
		if checkExecutable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("command not found: %q", name)
}

// pathCache remembers where PATH lookups led, so that a DAG of ten thousand
// `true` tasks does not stat every PATH entry ten thousand times. A hit is
// still checked with one stat, and an entry is looked up afresh after
// pathCacheTTL, so a binary installed earlier in PATH is found soon.
type pathCache struct {
	mu      sync.Mutex
	entries map[string]pathEntry
}

type pathEntry struct {
	path string
	at   time.Time
}

const pathCacheTTL = 10 * time.Second

func (c *pathCache) lookPath(name string, env []string, dir string, now time.Time) (string, error) {
	if strings.Contains(name, "/") {
		return lookPath(name, env, dir)
	}
	path, _ := lastEnv(env, "PATH")
	key := name + "\x00" + path
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < pathCacheTTL && checkExecutable(e.path) == nil {
		return e.path, nil
	}
	p, err := lookPath(name, env, dir)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) > 1024 {
		c.entries = map[string]pathEntry{}
	}
	c.entries[key] = pathEntry{path: p, at: now}
	c.mu.Unlock()
	return p, nil
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return syscall.EISDIR
	}
	if fi.Mode()&0o111 == 0 {
		return fs.ErrPermission
	}
	return nil
}

// lastEnv returns the value of name as the child sees it: the last one.
func lastEnv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name); ok && strings.HasPrefix(v, "=") {
			return v[1:], true
		}
	}
	return "", false
}
