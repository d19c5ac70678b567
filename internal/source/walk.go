package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ignoreFile names the files of glob patterns that leave files and folders
// out of the DAGs folder, like Airflow's .airflowignore.
const ignoreFile = ".updraftignore"

// isDAGFile reports whether a file name is one of a DAG file.
func isDAGFile(name string) bool {
	ext := filepath.Ext(name)
	return ext == ".yaml" || ext == ".yml"
}

// hidden reports whether a file or folder is left out for its name: editors,
// git and git-sync keep their files under dot names (.git, .worktrees,
// .train.yaml.swp).
func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// entry is one DAG file found by a walk.
type entry struct {
	// path is the fileloc: Path joined with the file's path inside it.
	path  string
	size  int64
	mtime time.Time
}

// tree is what a walk of the folder found.
type tree struct {
	// files are the DAG files, ordered by path.
	files []entry
	// dirs are the folders walked, Path first; Watch watches them.
	dirs []string
	// unreadable are folders that could not be listed. The files known
	// under them are kept as they are rather than taken for removed, so a
	// permission mistake does not deactivate DAGs.
	unreadable []string
}

// under reports whether file is in one of the unreadable folders.
func (t *tree) underUnreadable(file string) bool {
	for _, dir := range t.unreadable {
		if strings.HasPrefix(file, dir+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// walk lists the DAG files under Path. It goes through os.DirFS so that a
// Path which is a symlink, as git-sync makes it, is followed; symlinks
// inside are followed for files but not for folders, which could loop.
func (d *Dir) walk() (*tree, error) {
	fsys := os.DirFS(d.Path)
	t := &tree{}
	rules := map[string][]rule{}
	err := fs.WalkDir(fsys, ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			switch {
			case p == ".":
				return err
			case errors.Is(err, fs.ErrNotExist):
				// Removed while we walked: its files are gone.
				return nil
			default:
				dir := filepath.Join(d.Path, filepath.FromSlash(p))
				d.logger().Warn("cannot read DAGs folder; its DAGs are kept as they are", "path", dir, "error", err)
				t.unreadable = append(t.unreadable, dir)
				return fs.SkipDir
			}
		}
		name := de.Name()
		if p != "." && (hidden(name) || ignored(rules, p, de.IsDir())) {
			if de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if de.IsDir() {
			t.dirs = append(t.dirs, filepath.Join(d.Path, filepath.FromSlash(p)))
			rules[p] = d.readIgnore(fsys, p)
			return nil
		}
		if !isDAGFile(name) {
			return nil
		}
		// fs.Stat follows a symlinked file, which de.Info does not.
		info, err := fs.Stat(fsys, p)
		if err != nil || !info.Mode().IsRegular() {
			// Gone since it was listed, a dangling symlink, or not a
			// file: nothing to parse.
			return nil
		}
		t.files = append(t.files, entry{
			path:  filepath.Join(d.Path, filepath.FromSlash(p)),
			size:  info.Size(),
			mtime: info.ModTime(),
		})
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		// fs.WalkDir names the folder ".", which tells a user nothing.
		return nil, fmt.Errorf("DAGs folder %s does not exist (set dags_folder, UPDRAFT_DAGS_FOLDER or --dags-folder): %w", d.Path, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read DAGs folder %s: %w", d.Path, err)
	}
	// The walk is lexical per folder ("a/b.yaml" before "a.yaml"); sorting
	// the paths themselves makes "the first file" of a duplicate dag_id the
	// same whichever way the folders nest.
	slices.SortFunc(t.files, func(a, b entry) int { return strings.Compare(a.path, b.path) })
	return t, nil
}

// rule is one line of a .updraftignore file.
type rule struct {
	pattern string
	// anchored patterns hold a slash and match the path below the folder of
	// their ignore file; the others match a name at any depth below it.
	anchored bool
	// dirOnly patterns end in a slash and match only folders.
	dirOnly bool
}

// readIgnore reads the rules of a folder's .updraftignore; a folder without
// one has none.
func (d *Dir) readIgnore(fsys fs.FS, dir string) []rule {
	src, err := fs.ReadFile(fsys, path.Join(dir, ignoreFile))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			d.logger().Warn("cannot read ignore file", "file", filepath.Join(d.Path, filepath.FromSlash(dir), ignoreFile), "error", err)
		}
		return nil
	}
	var rules []rule
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := rule{pattern: line}
		if strings.HasSuffix(r.pattern, "/") {
			r.dirOnly = true
			r.pattern = strings.TrimRight(r.pattern, "/")
		}
		if strings.Contains(r.pattern, "/") {
			r.anchored = true
			r.pattern = strings.TrimLeft(r.pattern, "/")
		}
		if _, err := path.Match(r.pattern, ""); err != nil {
			key := path.Join(dir, ignoreFile) + "\x00" + line
			if !d.badPatterns[key] {
				if d.badPatterns == nil {
					d.badPatterns = map[string]bool{}
				}
				d.badPatterns[key] = true
				d.logger().Warn("bad pattern in ignore file; it is skipped",
					"file", filepath.Join(d.Path, filepath.FromSlash(dir), ignoreFile), "pattern", line, "error", err)
			}
			continue
		}
		rules = append(rules, r)
	}
	return rules
}

// ignored reports whether the rules of any folder above p (a slash path
// relative to Path) leave p out. A folder left out is not walked, so its
// contents need no check of their own.
func ignored(rules map[string][]rule, p string, isDir bool) bool {
	dir := p
	for dir != "." {
		dir = path.Dir(dir)
		rel := p
		if dir != "." {
			rel = p[len(dir)+1:]
		}
		for _, r := range rules[dir] {
			if r.dirOnly && !isDir {
				continue
			}
			target := rel
			if !r.anchored {
				target = path.Base(p)
			}
			if ok, _ := path.Match(r.pattern, target); ok {
				return true
			}
		}
	}
	return false
}
