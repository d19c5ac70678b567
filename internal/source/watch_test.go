package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
)

// watching runs Watch until the test ends, and checks then that it stopped.
// It returns how many times onChange was called so far.
func watching(t *testing.T, d *Dir) func() int64 {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var changes atomic.Int64
	done := make(chan error, 1)
	go func() { done <- d.Watch(ctx, func() { changes.Add(1) }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watch returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Watch did not return after cancel")
		}
	})
	return changes.Load
}

// eventually polls cond for up to ten seconds: a bound on how long to wait
// for the watcher, not a measure of how fast it is.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hasVersion reports whether the DAG exists, is active and has at least the
// given version.
func (b *testBundle) hasVersion(id string, version int) bool {
	ctx := context.Background()
	g, err := b.store.DagGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (!g.IsActive || g.LatestVersionID == 0) {
		return false
	}
	if err != nil {
		panic(err)
	}
	v, err := b.store.DagVersionGet(ctx, g.LatestVersionID)
	if err != nil {
		panic(err)
	}
	return v.VersionNumber >= version
}

func TestWatchSeesChanges(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	// No rescan within the test: what it sees, it sees through events.
	d.Rescan = time.Hour
	b.write(t, "a.yaml", dagYAML("a"))
	changes := watching(t, d)
	eventually(t, "the first pass", func() bool { return b.hasVersion("a", 1) })
	eventually(t, "onChange after the first pass", func() bool { return changes() >= 1 })

	b.write(t, "b.yaml", dagYAML("b"))
	eventually(t, "a new file", func() bool { return b.hasVersion("b", 1) })

	b.write(t, "a.yaml", dagYAML("a", "description: edited"))
	eventually(t, "an edit", func() bool { return b.hasVersion("a", 2) })

	// A folder made after the watch began, with a file, then another file
	// in it once the folder is watched.
	b.write(t, "new/deeper/c.yaml", dagYAML("c"))
	eventually(t, "a file in a new folder", func() bool { return b.hasVersion("c", 1) })
	b.write(t, "new/deeper/d.yaml", dagYAML("d"))
	eventually(t, "a second file in the new folder", func() bool { return b.hasVersion("d", 1) })

	broken := b.write(t, "b.yaml", "dag_id: b\nnope: 1\n")
	eventually(t, "an import error", func() bool { _, ok := d.Errors()[broken]; return ok })

	before := changes()
	b.remove(t, "new")
	eventually(t, "a removed folder", func() bool { return !b.hasVersion("c", 1) && !b.hasVersion("d", 1) })
	eventually(t, "onChange after the removal", func() bool { return changes() > before })
}

func TestWatchFollowsSymlinkSwap(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	d.Rescan = time.Hour
	// git-sync publishes each checkout by pointing a symlink at it.
	v1 := filepath.Join(b.dir, ".worktrees", "v1")
	v2 := filepath.Join(b.dir, ".worktrees", "v2")
	b.write(t, ".worktrees/v1/a.yaml", dagYAML("a"))
	b.write(t, ".worktrees/v2/a.yaml", dagYAML("a"))
	b.write(t, ".worktrees/v2/b.yaml", dagYAML("b"))
	link := filepath.Join(b.dir, "repo")
	if err := os.Symlink(v1, link); err != nil {
		t.Fatal(err)
	}
	d.Path = link
	watching(t, d)
	eventually(t, "the first pass", func() bool { return b.hasVersion("a", 1) })

	tmp := filepath.Join(b.dir, "repo.tmp")
	if err := os.Symlink(v2, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new checkout", func() bool { return b.hasVersion("b", 1) })
	if g := b.dag(t, "b"); g.FileLoc != filepath.Join(link, "b.yaml") {
		t.Errorf("fileloc = %s, want it under the link", g.FileLoc)
	}
	// The watch follows the link to the new checkout.
	b.write(t, ".worktrees/v2/c.yaml", dagYAML("c"))
	eventually(t, "a file in the new checkout", func() bool { return b.hasVersion("c", 1) })
}

func TestWatchRescanFindsWhatEventsMiss(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	// The folder does not exist yet, so there is nothing to watch: only the
	// rescan can find it.
	d.Path = filepath.Join(b.dir, "later")
	d.Rescan = 50 * time.Millisecond
	watching(t, d)
	b.write(t, "later/a.yaml", dagYAML("a"))
	eventually(t, "the folder made after Watch began", func() bool { return b.hasVersion("a", 1) })
}

func TestWatchStopsOnCancel(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	b.write(t, "a.yaml", dagYAML("a"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Watch(ctx, nil) }()
	eventually(t, "the first pass", func() bool { return b.hasVersion("a", 1) })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Watch = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return after cancel")
	}
}
