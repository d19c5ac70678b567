package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/updraft-dev/updraft/internal/dag"
)

// job is a file whose size or modification time changed.
type job struct {
	entry
	// prevHash is the hash of the content last handled, "" when none.
	prevHash string
}

// result is what reading and parsing one file gave.
type result struct {
	entry
	hash string
	// same: the content is the one last handled, so it was not parsed.
	same bool
	// gone: the file disappeared between the walk and the read; the next
	// pass sees it removed, or back.
	gone bool
	// p is the DAG when the file is valid; err is why it is not.
	p   *parsed
	err error
}

// parseAll reads and parses the files on runtime.NumCPU goroutines: parsing
// is pure and CPU-bound, and thousands of files must take well under a
// second. Results are in the order of the jobs. It stops early, with results
// missing, when ctx is done.
func (d *Dir) parseAll(ctx context.Context, jobs []job) []result {
	out := make([]result, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), len(jobs)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					return
				}
				out[i] = d.parseOne(jobs[i])
			}
		})
	}
	wg.Wait()
	return out
}

// parseOne reads, hashes and, when its content changed, parses one file.
func (d *Dir) parseOne(j job) result {
	r := result{entry: j.entry}
	src, err := os.ReadFile(j.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			r.gone = true
		} else {
			r.err = err
		}
		return r
	}
	sum := sha256.Sum256(src)
	r.hash = hex.EncodeToString(sum[:])
	if r.hash == j.prevHash {
		r.same = true
		return r
	}
	g, err := d.parseSafe(j.path, src)
	switch {
	case err != nil:
		r.err = err
	case g == nil || g.ID == "":
		r.err = fmt.Errorf("%s: no dag_id", j.path)
	default:
		r.p = &parsed{dag: g, src: src, hash: r.hash}
	}
	return r
}

// parseSafe calls Parse, turning a panic into the file's error: one file
// that crashes the parser must not stop the others or the process.
func (d *Dir) parseSafe(file string, src []byte) (g *dag.DAG, err error) {
	defer func() {
		if v := recover(); v != nil {
			g, err = nil, fmt.Errorf("%s: parser failed: %v", file, v)
		}
	}()
	return d.Parse(file, src)
}
