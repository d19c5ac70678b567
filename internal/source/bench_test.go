package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/spec"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/sqlite"
)

// benchFiles is how many DAG files the benchmarks sync.
const benchFiles = 1000

// writeBenchFolder writes benchFiles DAG files of ten tasks each, in ten
// subfolders, the shape of a large real folder.
func writeBenchFolder(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	for i := range benchFiles {
		var src strings.Builder
		fmt.Fprintf(&src, "dag_id: dag_%04d\ndescription: Benchmark DAG %d\nschedule: \"0 3 * * *\"\ntags: [bench]\n", i, i)
		src.WriteString("default_args:\n  owner: bench\n  retries: 2\n  retry_delay: 5m\n  image: registry.example.com/bench:1\n")
		src.WriteString("tasks:\n")
		for t := range 10 {
			fmt.Fprintf(&src, "  task_%d:\n    command: [python, step.py, --step, \"%d\", --date, \"{{ ds }}\"]\n", t, t)
			if t > 0 {
				fmt.Fprintf(&src, "    depends_on: [task_%d]\n", t-1)
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("team_%d", i%10), fmt.Sprintf("dag_%04d.yaml", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

func openBenchStore(b *testing.B) store.Store {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "db.sqlite"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkSyncThousandFiles is the first pass over a folder of a thousand
// DAG files into a fresh SQLite store: every file read, parsed and stored.
func BenchmarkSyncThousandFiles(b *testing.B) {
	dir := writeBenchFolder(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		d := &Dir{Path: dir, Store: openBenchStore(b), Parse: spec.Parse}
		b.StartTimer()
		res, err := d.Sync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if res.Parsed != benchFiles || res.NewVersions != benchFiles {
			b.Fatalf("result %+v", res)
		}
	}
	b.ReportMetric(float64(benchFiles*b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkSyncThousandFilesUnchanged is a later pass with nothing changed:
// a walk and a stat per file, what Watch's rescan costs.
func BenchmarkSyncThousandFilesUnchanged(b *testing.B) {
	dir := writeBenchFolder(b)
	ctx := context.Background()
	d := &Dir{Path: dir, Store: openBenchStore(b), Parse: spec.Parse}
	if _, err := d.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	// The files were just written: age them past the racy window so the
	// pass measured is the steady one.
	d.mu.Lock()
	for _, st := range d.files {
		st.racy = false
	}
	d.mu.Unlock()
	for b.Loop() {
		res, err := d.Sync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if res.Unchanged != benchFiles {
			b.Fatalf("result %+v", res)
		}
	}
	b.ReportMetric(float64(benchFiles*b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkParseThousandFiles is the read-and-parse part of a first pass
// alone, on the worker pool, without the store.
func BenchmarkParseThousandFiles(b *testing.B) {
	dir := writeBenchFolder(b)
	d := &Dir{Path: dir, Parse: spec.Parse}
	t, err := d.walk()
	if err != nil {
		b.Fatal(err)
	}
	jobs := make([]job, len(t.files))
	for i, e := range t.files {
		jobs[i] = job{entry: e}
	}
	ctx := context.Background()
	for b.Loop() {
		for _, r := range d.parseAll(ctx, jobs) {
			if r.err != nil {
				b.Fatal(r.err)
			}
		}
	}
	b.ReportMetric(float64(benchFiles*b.N)/b.Elapsed().Seconds(), "files/s")
}
