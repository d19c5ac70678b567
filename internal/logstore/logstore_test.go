package logstore

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestFileStore(t *testing.T) {
	t.Parallel()
	s := FileStore{Dir: t.TempDir()}
	k := Key{DagID: "d", RunID: "manual__2026-01-01T00:00:00+00:00", TaskID: "t", MapIndex: -1, TryNumber: 2}
	want := filepath.Join(s.Dir, "dag_id=d", "run_id=manual__2026-01-01T00:00:00+00:00", "task_id=t.attempt=2.log")
	if got := s.Path(k); got != want {
		t.Fatalf("path %s, want %s", got, want)
	}
	mapped := k
	mapped.MapIndex = 3
	if got := filepath.Base(s.Path(mapped)); got != "task_id=t.map_index=3.attempt=2.log" {
		t.Fatalf("mapped path %s", got)
	}
	if _, _, err := s.Read(k, 0, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read before create: %v", err)
	}
	for _, part := range []string{"hello\n", "world\n"} {
		f, err := s.Create(k) // appends: a second open must not truncate
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(part); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, next, err := s.Read(k, 0, 4)
	if err != nil || string(b) != "hell" || next != 4 {
		t.Fatalf("first 4 bytes: %q %d %v", b, next, err)
	}
	b, next, err = s.Read(k, next, 0)
	if err != nil || string(b) != "o\nworld\n" || next != 12 {
		t.Fatalf("rest: %q %d %v", b, next, err)
	}
	b, next2, err := s.Read(k, next, 0)
	if err != nil || len(b) != 0 || next2 != next {
		t.Fatalf("at the end: %q %d %v", b, next2, err)
	}
}

// Ids that would leave the run's directory are refused before any file is
// made or read.
func TestKeyStaysInItsDirectory(t *testing.T) {
	s := FileStore{Dir: t.TempDir()}
	for _, k := range []Key{
		{DagID: "d", RunID: "x/../../../tmp/pwned", TaskID: "t", TryNumber: 1},
		{DagID: "..", RunID: "r", TaskID: "t", TryNumber: 1},
		{DagID: "d", RunID: "r", TaskID: `a\b`, TryNumber: 1},
		{DagID: "d", RunID: "", TaskID: "t", TryNumber: 1},
	} {
		if f, err := s.Create(k); !errors.Is(err, ErrInvalidKey) {
			if f != nil {
				_ = f.Close()
			}
			t.Errorf("Create(%+v): %v, want ErrInvalidKey", k, err)
		}
		if _, _, err := s.Read(k, 0, 0); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Read(%+v): %v, want ErrInvalidKey", k, err)
		}
	}
}
