// Package logstore keeps task logs: one file per try under a directory, named
// with Airflow's key=value parts, readable while the try still writes to it.
package logstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Key identifies the log of one try.
type Key struct {
	DagID     string
	RunID     string
	TaskID    string
	MapIndex  int
	TryNumber int
}

// FileStore keeps logs as files under Dir.
type FileStore struct {
	Dir string
}

// Path returns the file of a try's log:
// dag_id=<dag>/run_id=<run>/task_id=<task>[.map_index=<i>].attempt=<n>.log.
// Airflow puts each task in a directory of its own; here a try's log is a
// file in its run's directory, because creating an inode is the costliest
// step of starting a short task on some file systems (half a millisecond of
// kernel time each, measured), and one per try is half of two.
func (s FileStore) Path(k Key) string {
	name := "task_id=" + k.TaskID
	if k.MapIndex >= 0 {
		name += ".map_index=" + strconv.Itoa(k.MapIndex)
	}
	name += fmt.Sprintf(".attempt=%d.log", k.TryNumber)
	return filepath.Join(s.Dir, "dag_id="+k.DagID, "run_id="+k.RunID, name)
}

// ErrInvalidKey says a key's ids would leave the run's directory.
var ErrInvalidKey = errors.New("invalid log key")

// check refuses ids that are empty, hold a path separator or are a dot
// name: each becomes a path component, which must stay one.
func (k Key) check() error {
	for name, v := range map[string]string{"dag_id": k.DagID, "run_id": k.RunID, "task_id": k.TaskID} {
		if v == "" || v == "." || v == ".." || strings.ContainsAny(v, "/\\\x00") {
			return fmt.Errorf("%w: %s %q", ErrInvalidKey, name, v)
		}
	}
	return nil
}

// Create opens a try's log for appending, creating its directories. The file
// is handed to the task process as its stdout and stderr, so what the task
// writes reaches the disk without passing through updraft.
func (s FileStore) Create(k Key) (*os.File, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	p := s.Path(k)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		// The first try of a run: its directory is new.
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("create log directory: %w", err)
		}
		f, err = os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	}
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return f, nil
}

// ErrNotFound says a try has no log (yet).
var ErrNotFound = errors.New("log not found")

// Read returns the log of a try from byte offset on, at most limit bytes
// (all when limit <= 0), and the offset to continue from: a reader following
// a running try calls it again with that offset.
func (s FileStore) Read(k Key, offset int64, limit int64) ([]byte, int64, error) {
	if err := k.check(); err != nil {
		return nil, offset, err
	}
	f, err := os.Open(s.Path(k))
	if errors.Is(err, os.ErrNotExist) {
		return nil, offset, ErrNotFound
	}
	if err != nil {
		return nil, offset, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, offset, err
	}
	var r io.Reader = f
	if limit > 0 {
		r = io.LimitReader(f, limit)
	}
	b, err := io.ReadAll(r)
	return b, offset + int64(len(b)), err
}
