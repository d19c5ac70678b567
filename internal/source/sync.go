package source

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
)

// pass is one Sync in progress.
type pass struct {
	res SyncResult
	// changed says the pass wrote to the store, so Watch tells its caller.
	changed bool
	// dirs are the folders walked, for Watch to watch.
	dirs []string
	// parsedAt is the one parse time of every DAG of the pass.
	parsedAt time.Time
	// racyAfter: a file modified after it may change again within the
	// same timestamp tick, unseen by size and mtime.
	racyAfter time.Time
	// owner says which file defines each dag_id after the pass.
	owner map[string]string
	errs  []error
}

func (p *pass) fail(file string, err error) {
	p.errs = append(p.errs, fmt.Errorf("%s: %w", file, err))
}

// sync runs one pass. It returns a nil pass when it failed before writing
// anything, and otherwise the pass with the store errors it met.
func (d *Dir) sync(ctx context.Context) (*pass, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	start := time.Now()
	if d.files == nil {
		if err := d.load(ctx); err != nil {
			return nil, fmt.Errorf("load DAGs of %s: %w", d.Path, err)
		}
	}
	defer d.publishErrors()

	t, err := d.walk()
	if err != nil {
		return nil, err
	}
	var jobs []job
	for _, e := range t.files {
		st := d.files[e.path]
		if st != nil && st.size == e.size && st.mtime.Equal(e.mtime) && !st.racy {
			continue
		}
		j := job{entry: e}
		if st != nil {
			j.prevHash = st.hash
		}
		jobs = append(jobs, j)
	}
	results := d.parseAll(ctx, jobs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	byPath := make(map[string]*result, len(results))
	for i := range results {
		byPath[results[i].path] = &results[i]
	}

	p := &pass{dirs: t.dirs, parsedAt: d.now(), racyAfter: start.Add(-racyWindow)}
	p.owner = d.assign(t.files, byPath)

	present := make(map[string]bool, len(t.files))
	for _, e := range t.files {
		present[e.path] = true
	}
	var gone []string
	for file := range d.files {
		if !present[file] && !t.underUnreadable(file) {
			gone = append(gone, file)
		}
	}
	slices.Sort(gone)
	for _, file := range gone {
		if ctx.Err() != nil {
			break
		}
		d.remove(ctx, p, file)
	}
	for _, e := range t.files {
		if ctx.Err() != nil {
			break
		}
		d.apply(ctx, p, e, byPath[e.path])
	}
	p.res.Duration = time.Since(start)
	if err := ctx.Err(); err != nil {
		return p, err
	}
	return p, errors.Join(p.errs...)
}

// candidate returns the valid parse a file offers this pass: its new one,
// or the one kept while its dag_id was taken. Nil means the file keeps
// whatever DAG it has.
func candidate(st *fileState, r *result) *parsed {
	switch {
	case r != nil && r.p != nil:
		return r.p
	case r != nil && !r.same:
		// Invalid, or gone since the walk.
		return nil
	case st != nil:
		return st.blocked
	}
	return nil
}

// assign decides, before anything is written, which file defines each
// dag_id, so that the outcome does not depend on the order of the writes:
// a file keeps the dag_id it has unless it now defines another; a file that
// turns invalid keeps its DAG too. A file that wants a dag_id another file
// keeps is a duplicate, and keeps its old DAG. New claims are granted in path
// order, so of two new files the first one wins.
func (d *Dir) assign(files []entry, results map[string]*result) map[string]string {
	owner := map[string]string{}
	type want struct{ file, id, old string }
	var wants []want
	for _, e := range files {
		st := d.files[e.path]
		var old string
		if st != nil {
			old = st.dagID
		}
		// Every file holds its old id for now, one that moves to a new id
		// too: it lets go only once it gets the new one.
		if _, taken := owner[old]; old != "" && !taken {
			owner[old] = e.path
		}
		if c := candidate(st, results[e.path]); c != nil && c.dag.ID != old {
			wants = append(wants, want{e.path, c.dag.ID, old})
		}
	}
	// A file that asked for an id earlier in path order than the file that
	// lets go of it still gets it: repeat until nothing moves.
	for moved := true; moved; {
		moved = false
		rest := wants[:0]
		for _, w := range wants {
			if _, taken := owner[w.id]; taken {
				rest = append(rest, w)
				continue
			}
			if w.old != "" && owner[w.old] == w.file {
				delete(owner, w.old)
			}
			owner[w.id] = w.file
			moved = true
		}
		wants = rest
	}
	// What is left wants an id that a file keeps, a true duplicate, or one
	// that another file left here holds: files that swapped their dag_ids.
	// Those let go of their old ids together and ask again.
	waiting := map[string]bool{}
	for _, w := range wants {
		waiting[w.file] = true
	}
	var swapped []want
	for _, w := range wants {
		if waiting[owner[w.id]] {
			swapped = append(swapped, w)
		}
	}
	for _, w := range swapped {
		if w.old != "" && owner[w.old] == w.file {
			delete(owner, w.old)
		}
	}
	for _, w := range swapped {
		if _, taken := owner[w.id]; !taken {
			owner[w.id] = w.file
		} else if _, taken := owner[w.old]; w.old != "" && !taken {
			owner[w.old] = w.file
		}
	}
	return owner
}

// apply brings the store in line with one file that is there.
func (d *Dir) apply(ctx context.Context, p *pass, e entry, r *result) {
	st := d.files[e.path]
	switch {
	case r != nil && r.gone:
		// Seen by the walk, gone at the read: the next pass decides.
		return
	case r == nil || r.same:
		p.res.Unchanged++
		if st.blocked != nil {
			d.settle(ctx, p, e.path, st, st.blocked, false)
		}
		// The content is the one last handled, whose outcome st holds.
		st.size, st.mtime, st.racy = e.size, e.mtime, e.mtime.After(p.racyAfter)
		d.dropLost(p, e.path, st)
		return
	}
	if st == nil {
		// size -1 until the writes succeed, so a failed one is retried.
		st = &fileState{size: -1}
		d.files[e.path] = st
	}
	p.res.Parsed++
	var ok bool
	if r.p != nil {
		ok = d.settle(ctx, p, e.path, st, r.p, true)
	} else {
		p.res.Errors++
		ok = d.setError(ctx, p, e.path, st, r.err.Error(), true)
		if ok {
			st.blocked = nil
		}
	}
	if ok {
		st.size, st.mtime, st.hash, st.racy = e.size, e.mtime, r.hash, e.mtime.After(p.racyAfter)
	}
	d.dropLost(p, e.path, st)
}

// dropLost forgets a dag_id that another file took from this one this pass.
// An id nobody holds is kept: the file let go of it for a new one whose
// write failed, so the store still has it under this file.
func (d *Dir) dropLost(p *pass, file string, st *fileState) {
	if o := p.owner[st.dagID]; st.dagID != "" && o != "" && o != file {
		st.dagID = ""
	}
}

// settle stores a valid file's DAG, or records it as a duplicate when
// another file defines its dag_id. fresh says the file was just parsed.
func (d *Dir) settle(ctx context.Context, p *pass, file string, st *fileState, c *parsed, fresh bool) bool {
	id := c.dag.ID
	if first := p.owner[id]; first != file {
		if fresh {
			p.res.Errors++
		}
		msg := fmt.Sprintf("%s: dag_id %s is already defined in %s", file, id, first)
		if !d.setError(ctx, p, file, st, msg, fresh) {
			return false
		}
		st.blocked = c
		return true
	}
	return d.storeDAG(ctx, p, file, st, c)
}

// storeDAG syncs a valid file's DAG: the store adds a version only when the
// hash differs from the latest one.
func (d *Dir) storeDAG(ctx context.Context, p *pass, file string, st *fileState, c *parsed) bool {
	g := c.dag
	v, created, err := d.Store.DagSync(ctx, &store.DagSyncParams{
		DagID:            g.ID,
		FileLoc:          file,
		Source:           c.src,
		Hash:             c.hash,
		Description:      g.Description,
		Owner:            g.Owner,
		Tags:             g.Tags,
		Schedule:         g.Schedule.Expr,
		PausedOnCreation: d.PausedOnCreation,
		ParsedAt:         p.parsedAt,
	})
	if err != nil {
		p.fail(file, err)
		return false
	}
	p.changed = true
	if created {
		p.res.NewVersions++
		d.logger().Info("new DAG version", "dag_id", g.ID, "version", v.VersionNumber, "file", file)
	}
	if renamed := st.dagID != "" && st.dagID != g.ID; renamed || st.extra {
		if err := d.Store.DagDeactivate(ctx, file, []string{g.ID}); err != nil {
			p.fail(file, err)
			return false
		}
		if _, moved := p.owner[st.dagID]; renamed && !moved {
			d.logger().Info("DAG removed", "dag_id", st.dagID, "file", file)
		}
	}
	if st.err != "" {
		if err := d.Store.ImportErrorClear(ctx, file); err != nil {
			p.fail(file, err)
			return false
		}
		d.logger().Info("import error cleared", "file", file, "dag_id", g.ID)
	}
	st.dagID, st.extra, st.err, st.blocked = g.ID, false, "", nil
	return true
}

// setError records a file's import error; its DAG, if it has one, stays as
// it was. The store is written only when the message changed; the warning
// is logged each time the file is parsed, so whoever just saved it sees why.
func (d *Dir) setError(ctx context.Context, p *pass, file string, st *fileState, msg string, fresh bool) bool {
	changed := st.err != msg
	if changed {
		if err := d.Store.ImportErrorSet(ctx, file, msg); err != nil {
			p.fail(file, err)
			return false
		}
		p.changed = true
	}
	if fresh || changed {
		d.logger().Warn("DAG file has import errors", "file", file, "error", msg)
	}
	st.err = msg
	return true
}

// remove deactivates the DAGs of a file that is gone and clears its import
// error.
func (d *Dir) remove(ctx context.Context, p *pass, file string) {
	st := d.files[file]
	if err := d.Store.DagDeactivate(ctx, file, nil); err != nil {
		p.fail(file, err)
		return
	}
	if err := d.Store.ImportErrorClear(ctx, file); err != nil {
		p.fail(file, err)
		return
	}
	// A DAG that another file defines now has moved rather than gone.
	if _, moved := p.owner[st.dagID]; st.dagID != "" && !moved {
		d.logger().Info("DAG removed", "dag_id", st.dagID, "file", file)
	}
	delete(d.files, file)
	p.changed = true
	p.res.Removed++
}
