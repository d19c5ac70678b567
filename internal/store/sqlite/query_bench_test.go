package sqlite

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/store/storetest"
)

var queryBenchDB = flag.String("querydb", "", "BenchmarkQuery: the database file to load, or to use as it is when it exists")

// BenchmarkQuery times the API's first pages with their totals on 100
// DAGs of 1,000 runs of 10 tasks: 100,000 runs and 1,000,000 task
// instances (-short: a hundredth of the runs). Loading takes a while; it
// happens once, then every list runs; -querydb keeps the data for the next
// run.
//
//	go test -run '^$' -bench Query -benchtime 500x ./internal/store/sqlite/
func BenchmarkQuery(b *testing.B) {
	size := storetest.LoadParams{Dags: 100, RunsPerDag: 1000, TasksPerRun: 10}
	if testing.Short() {
		size.RunsPerDag = 10
	}
	path := *queryBenchDB
	if path == "" {
		path = filepath.Join(b.TempDir(), "updraft.db")
	}
	_, statErr := os.Stat(path)
	s, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if statErr == nil {
		b.Logf("the data already in %s", path)
	} else {
		start := time.Now()
		if err := storetest.Load(b.Context(), s, size); err != nil {
			b.Fatal(err)
		}
		b.Logf("loaded %d dags × %d runs × %d tasks in %s", size.Dags, size.RunsPerDag, size.TasksPerRun, time.Since(start))
	}
	storetest.BenchmarkQueries(b, s)
}
