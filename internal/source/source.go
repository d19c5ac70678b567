// Package source loads DAG files into the store. Dir is the DAGs folder: it
// parses the YAML files under it, stores a new DAG version when a file's
// content changes, records a file that does not parse as an import error
// (leaving its last good DAG in place), and deactivates the DAGs of files that
// are gone. Sync is one pass; Watch repeats it when the folder changes.
package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// Dir is a folder of DAG files: every *.yaml and *.yml under Path, in
// subfolders too, except hidden files and folders and those a .updraftignore
// file names. The fields are set before the first Sync or Watch and not
// changed afterwards; the methods are safe for concurrent use.
type Dir struct {
	// Path is the DAGs folder. A file's fileloc is Path joined with the
	// file's path inside it.
	Path string
	// Store receives the DAGs, their versions and the import errors.
	Store store.Store
	// Parse turns one file into its DAG. It must be pure (no I/O, no clock):
	// it runs on several goroutines at once.
	Parse func(filename string, src []byte) (*dag.DAG, error)
	// Logger receives a line per new DAG version, removed DAG and import
	// error; nil discards them.
	Logger *slog.Logger
	// Now is the clock of the parse times; nil means time.Now.
	Now func() time.Time
	// PausedOnCreation pauses a DAG seen for the first time, like Airflow's
	// dags_are_paused_at_creation.
	PausedOnCreation bool
	// Rescan is how often Watch syncs the whole folder even without file
	// events, for filesystems that send none (network mounts, some volume
	// types) and events lost to a full queue. Zero or less means 30s.
	Rescan time.Duration

	// mu makes passes run one at a time and guards the fields below.
	mu sync.Mutex
	// files is what the last passes learned of each file, by fileloc; nil
	// until the first pass loads what the store already holds.
	files map[string]*fileState
	// badPatterns are .updraftignore patterns already reported, so a bad
	// one is logged once and not at every pass.
	badPatterns map[string]bool

	errMu sync.Mutex
	errs  map[string]string
}

// SyncResult counts what one pass did.
type SyncResult struct {
	// Parsed is how many files were read and parsed.
	Parsed int
	// Unchanged is how many files were not parsed: same size and
	// modification time as at the last pass, or read again and found with
	// the same content.
	Unchanged int
	// Errors is how many of the files parsed in this pass are import
	// errors, those whose dag_id another file defines included. Dir.Errors
	// lists every file in error.
	Errors int
	// NewVersions is how many new DAG versions were stored.
	NewVersions int
	// Removed is how many files were gone since the last pass.
	Removed int
	// Duration is how long the pass took.
	Duration time.Duration
}

// fileState is what is known of one file between passes. The fields describe
// what the store holds, so a failed store write leaves them as they were and
// the next pass tries again.
type fileState struct {
	// size and mtime decide whether the file is read again at all.
	size  int64
	mtime time.Time
	// racy says the file was modified so shortly before it was read that
	// a later write could keep both its size and its mtime (timestamps
	// are only as fine as the kernel's clock tick, or 2s on some
	// filesystems). Such a file is hashed again at the next pass; git's
	// index has the same rule.
	racy bool
	// hash is the sha256 of the content last handled, valid or not; the
	// same content read again is not parsed again.
	hash string
	// dagID is the DAG the file defines in the store, "" when none. A file
	// that turns invalid keeps it, so a typo does not make a DAG vanish.
	dagID string
	// extra says the store may hold more active DAGs for this file than
	// dagID: it is set from the store at the first pass.
	extra bool
	// err is the file's import error as stored, "" when none.
	err string
	// blocked is the parse of a valid file whose dag_id another file
	// defines. It is kept so the DAG is stored as soon as the id is free,
	// without waiting for the file to change.
	blocked *parsed
}

// parsed is a valid DAG file.
type parsed struct {
	dag  *dag.DAG
	src  []byte
	hash string
}

const (
	// defaultRescan is Rescan when it is not set.
	defaultRescan = 30 * time.Second
	// racyWindow is how recently modified a file must be to be racy: the
	// coarsest common timestamp resolution (FAT, some network mounts).
	racyWindow = 2 * time.Second
)

// Sync makes the store agree with the folder, in one pass. Only files whose
// size or modification time changed are read, and only those whose content
// changed are parsed; the first pass reads them all, and also deactivates
// the DAGs and clears the import errors the store holds for files under Path
// that are gone. A file that fails to parse does not stop the others; a
// store write that fails is returned, after the other files were handled,
// and tried again at the next pass.
func (d *Dir) Sync(ctx context.Context) (*SyncResult, error) {
	p, err := d.sync(ctx)
	if p == nil {
		return nil, err
	}
	return &p.res, err
}

// Errors returns the import errors as of the last pass: file to message.
func (d *Dir) Errors() map[string]string {
	d.errMu.Lock()
	defer d.errMu.Unlock()
	return maps.Clone(d.errs)
}

func (d *Dir) check() error {
	var errs []error
	if d.Path == "" {
		errs = append(errs, errors.New("source: Dir.Path is empty"))
	}
	if d.Store == nil {
		errs = append(errs, errors.New("source: Dir.Store is nil"))
	}
	if d.Parse == nil {
		errs = append(errs, errors.New("source: Dir.Parse is nil"))
	}
	return errors.Join(errs...)
}

func (d *Dir) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

func (d *Dir) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

// load seeds the file states from the store before the first pass, so that
// a file deleted, renamed or fixed while no process watched the folder is
// noticed, and an error already stored is not written again.
func (d *Dir) load(ctx context.Context) error {
	files := map[string]*fileState{}
	state := func(file string) *fileState {
		st := files[file]
		if st == nil {
			// size -1 never matches a file, so every seeded file is read.
			st = &fileState{size: -1}
			files[file] = st
		}
		return st
	}
	dags, err := d.Store.DagList(ctx, &store.DagListParams{})
	if err != nil {
		return fmt.Errorf("list dags: %w", err)
	}
	for _, dg := range dags {
		if !d.owns(dg.FileLoc) {
			continue
		}
		st := state(dg.FileLoc)
		if st.dagID == "" {
			st.dagID = dg.DagID
		} else {
			st.extra = true
		}
	}
	ies, err := d.Store.ImportErrorList(ctx)
	if err != nil {
		return fmt.Errorf("list import errors: %w", err)
	}
	for _, ie := range ies {
		if d.owns(ie.FileLoc) {
			state(ie.FileLoc).err = ie.Message
		}
	}
	d.files = files
	return nil
}

// owns reports whether a fileloc in the store is under Path: other sources
// may share the store, and their files are not this folder's to deactivate.
func (d *Dir) owns(fileLoc string) bool {
	rel, err := filepath.Rel(filepath.Clean(d.Path), fileLoc)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return false
	}
	return filepath.Join(d.Path, rel) == fileLoc
}

// publishErrors copies the import errors for Errors, which must not wait for
// a pass in progress.
func (d *Dir) publishErrors() {
	errs := map[string]string{}
	for file, st := range d.files {
		if st.err != "" {
			errs[file] = st.err
		}
	}
	d.errMu.Lock()
	d.errs = errs
	d.errMu.Unlock()
}
