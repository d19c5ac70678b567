package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// schedulerLock makes sure one scheduler at a time works on a SQLite
// database: two would start the same tries. The kernel releases the lock
// when the process dies, even by kill -9, so a crash never leaves it stale.
type schedulerLock struct{ f *os.File }

func lockScheduler(dataDir string) (*schedulerLock, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dataDir, "scheduler.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		_ = f.Close()
		holder := strings.TrimSpace(string(b))
		return nil, fmt.Errorf("another scheduler (pid %s) is running on %s: stop it first, or use another --data-dir", holder, dataDir)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &schedulerLock{f: f}, nil
}

func (l *schedulerLock) release() {
	_ = unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	_ = l.f.Close()
}
