package scheduler

import (
	"context"
	"fmt"
	"sync"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// ParseFunc turns a DAG file's source into its model.
type ParseFunc func(filename string, src []byte) (*dag.DAG, error)

// Versions loads DAG versions from the store and keeps them parsed: a
// version never changes, so it is parsed once per process. One that does
// not parse is remembered too, so it is not read and parsed again on every
// request that shows one of its task instances.
type Versions struct {
	store store.Store
	parse ParseFunc

	mu         sync.Mutex
	cache      map[int64]*dag.DAG
	unloadable map[int64]*UnloadableError
}

// NewVersions returns an empty cache.
func NewVersions(st store.Store, parse ParseFunc) *Versions {
	return &Versions{store: st, parse: parse, cache: map[int64]*dag.DAG{}, unloadable: map[int64]*UnloadableError{}}
}

// Get returns the DAG of a version.
func (v *Versions) Get(ctx context.Context, id int64) (*dag.DAG, error) {
	v.mu.Lock()
	d, bad := v.cache[id], v.unloadable[id]
	v.mu.Unlock()
	if d != nil {
		return d, nil
	}
	if bad != nil {
		return nil, bad
	}
	ver, err := v.store.DagVersionGet(ctx, id)
	if err != nil {
		return nil, err
	}
	d, err = v.parse(ver.FileLoc, ver.Source)
	if err != nil {
		ue := &UnloadableError{DagID: ver.DagID, Version: ver.VersionNumber, Err: err}
		v.mu.Lock()
		v.unloadable[id] = ue
		v.mu.Unlock()
		return nil, ue
	}
	v.mu.Lock()
	v.cache[id] = d
	v.mu.Unlock()
	return d, nil
}

// UnloadableError says a stored DAG version no longer parses, as after an
// upgrade whose parser is stricter. It is permanent, unlike a store error.
type UnloadableError struct {
	DagID   string
	Version int
	Err     error
}

func (e *UnloadableError) Error() string {
	return fmt.Sprintf("dag version %d of %s no longer parses: %v", e.Version, e.DagID, e.Err)
}

func (e *UnloadableError) Unwrap() error { return e.Err }

// Latest returns a DAG's row and the model of its latest version.
func (v *Versions) Latest(ctx context.Context, dagID string) (*store.Dag, *dag.DAG, error) {
	row, err := v.store.DagGet(ctx, dagID)
	if err != nil {
		return nil, nil, err
	}
	if row.LatestVersionID == 0 {
		return nil, nil, fmt.Errorf("dag %s has no version: %w", dagID, store.ErrNotFound)
	}
	d, err := v.Get(ctx, row.LatestVersionID)
	return row, d, err
}
