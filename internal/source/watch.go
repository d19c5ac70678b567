package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

const (
	// quietPeriod is how long the folder must stay still before a sync:
	// editors and git write a file in several steps (truncate, write,
	// rename), and one sync should see the end result.
	quietPeriod = 100 * time.Millisecond
	// maxDelay bounds the wait when events never stop, as in a checkout
	// of thousands of files, so changes still land.
	maxDelay = time.Second
)

// Watch syncs the folder now, then again whenever a file or folder under it
// changes (after a short quiet period) and every Rescan, until ctx is done.
// onChange, when not nil, is called after a pass that changed the store: a
// new version, an import error set or cleared, a DAG removed. A failed pass
// is logged and retried at the next change or rescan; Watch returns only
// when ctx is done (with nil) or the watcher itself breaks.
func (d *Dir) Watch(ctx context.Context, onChange func()) error {
	if err := d.check(); err != nil {
		return err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	dw := &dirWatch{d: d, w: w, root: filepath.Clean(d.Path)}

	// Watches are added before the first pass so that nothing written
	// during it goes unseen.
	dw.watchParent()
	dw.watchTree(dw.root)
	run := func() {
		p, err := d.sync(ctx)
		if err != nil && ctx.Err() == nil {
			d.logger().Error("sync DAGs folder", "path", d.Path, "error", err)
		}
		if p == nil {
			return
		}
		dw.reconcile(p.dirs)
		if p.changed && onChange != nil && ctx.Err() == nil {
			onChange()
		}
	}
	run()

	rescanEvery := d.Rescan
	if rescanEvery <= 0 {
		rescanEvery = defaultRescan
	}
	rescan := time.NewTicker(rescanEvery)
	defer rescan.Stop()
	quiet := time.NewTimer(quietPeriod)
	quiet.Stop()
	defer quiet.Stop()
	// first is when the first event not yet synced came; zero when none.
	var first time.Time
	schedule := func() {
		now := time.Now()
		if first.IsZero() {
			first = now
		}
		if now.Sub(first) < maxDelay {
			quiet.Reset(quietPeriod)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("watch DAGs folder: event stream closed")
			}
			if dw.relevant(ev) {
				schedule()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("watch DAGs folder: error stream closed")
			}
			// An overflow means events were lost: only a full pass
			// knows what changed.
			d.logger().Warn("watch DAGs folder", "path", d.Path, "error", err)
			schedule()
		case <-quiet.C:
			first = time.Time{}
			run()
		case <-rescan.C:
			quiet.Stop()
			first = time.Time{}
			run()
		}
	}
}

// dirWatch is the fsnotify side of Watch. Its methods run on the goroutine
// of Watch only.
type dirWatch struct {
	d    *Dir
	w    *fsnotify.Watcher
	root string
	// parent is the folder holding root, watched when root is a symlink:
	// git-sync publishes a checkout by pointing the symlink elsewhere,
	// which only the parent hears of. "" when root is no symlink.
	parent string
	// target is what root resolved to at the last pass; when it changes,
	// every watch points into the old checkout and is made again.
	target string
}

// watchParent watches root's parent when root is a symlink.
func (dw *dirWatch) watchParent() {
	dw.parent = ""
	if info, err := os.Lstat(dw.root); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		dw.parent = filepath.Dir(dw.root)
		dw.addWatches([]string{dw.parent})
	}
}

// relevant reports whether an event may change what a pass finds, and
// watches a folder that just appeared at once, so files created in it
// before the pass are seen by the pass and those created after by events.
func (dw *dirWatch) relevant(ev fsnotify.Event) bool {
	if dw.parent != "" && filepath.Dir(ev.Name) == dw.parent {
		// Of root's siblings, only root itself matters.
		return ev.Name == dw.root
	}
	name := filepath.Base(ev.Name)
	switch {
	case name == ignoreFile:
		return true
	case strings.HasPrefix(name, ".."):
		// A Kubernetes ConfigMap or Secret volume swaps its ..data
		// symlink to update every file at once.
		return true
	case hidden(name):
		return false
	}
	if ev.Has(fsnotify.Create) {
		if info, err := os.Stat(ev.Name); err == nil && info.IsDir() {
			dw.watchTree(ev.Name)
			return true
		}
	}
	if isDAGFile(name) {
		// A bare chmod (touch) changes no content.
		return ev.Op&^fsnotify.Chmod != 0
	}
	// Something else removed or renamed may have been a folder of DAGs.
	return ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)
}

// watchTree watches dir and the folders below it, except hidden ones. Ignore
// files are not consulted here: the pass that follows knows them and
// reconcile drops the folders they leave out.
func (dw *dirWatch) watchTree(dir string) {
	var dirs []string
	// os.DirFS follows dir when it is a symlink, as the walk does.
	_ = fs.WalkDir(os.DirFS(dir), ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			return fs.SkipDir
		}
		if !de.IsDir() {
			return nil
		}
		if p != "." && hidden(de.Name()) {
			return fs.SkipDir
		}
		dirs = append(dirs, filepath.Join(dir, filepath.FromSlash(p)))
		return nil
	})
	dw.addWatches(dirs)
}

// reconcile makes the watched folders those the last pass walked: it adds
// the ones a watch missed (a folder that appeared while events were lost,
// root made again), drops the ones now ignored, and makes them all again
// when root points to a new checkout.
func (dw *dirWatch) reconcile(dirs []string) {
	dw.watchParent()
	if target, err := filepath.EvalSymlinks(dw.root); err == nil {
		if dw.target != "" && target != dw.target {
			for _, dir := range dw.w.WatchList() {
				if dir != dw.parent {
					_ = dw.w.Remove(dir)
				}
			}
		}
		dw.target = target
	}
	want := make(map[string]bool, len(dirs)+1)
	for _, dir := range dirs {
		want[dir] = true
	}
	if dw.parent != "" {
		want[dw.parent] = true
	}
	have := map[string]bool{}
	for _, dir := range dw.w.WatchList() {
		have[dir] = true
		if !want[dir] {
			// It may be gone already, taking its watch with it.
			_ = dw.w.Remove(dir)
		}
	}
	var missing []string
	for _, dir := range dirs {
		if !have[dir] {
			missing = append(missing, dir)
		}
	}
	dw.addWatches(missing)
}

// addWatches watches folders, logging one warning for those it cannot
// (the inotify watch limit, most often): their changes are still found by
// the periodic rescan.
func (dw *dirWatch) addWatches(dirs []string) {
	var failed int
	var firstErr error
	for _, dir := range dirs {
		if err := dw.w.Add(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			failed++
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if failed > 0 {
		dw.d.logger().Warn("cannot watch DAG folders; their changes are found at the next rescan",
			"folders", failed, "error", firstErr)
	}
}
