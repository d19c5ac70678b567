package postgres

import (
	"flag"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
	"github.com/updraft-dev/updraft/internal/store/storetest"
)

var queryBenchURL = flag.String("querypg", "", "BenchmarkQuery: the URL of a database to load, or to use as it is when it holds DAGs")

// BenchmarkQuery times the API's first pages with their totals on 100
// DAGs of 1,000 runs of 10 tasks: 100,000 runs and 1,000,000 task
// instances (-short: a hundredth of the runs), on the test server or the
// database -querypg names. Loading takes a while; it happens once, then
// every list runs; with -querypg the data stays for the next run.
//
//	go test -run '^$' -bench Query -benchtime 500x ./internal/store/postgres/
func BenchmarkQuery(b *testing.B) {
	size := storetest.LoadParams{Dags: 100, RunsPerDag: 1000, TasksPerRun: 10, Workers: 8}
	if testing.Short() {
		size.RunsPerDag = 10
	}
	url := *queryBenchURL
	if url == "" {
		url = pgserver.ForTest(b)
	}
	ctx := b.Context()
	s, err := Open(ctx, url, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	_, dags, err := s.DagQuery(ctx, &store.DagQueryParams{Page: store.Page{Limit: 1}})
	if err != nil {
		b.Fatal(err)
	}
	if dags > 0 {
		b.Logf("the data already in %s", url)
	} else {
		start := time.Now()
		if err := storetest.Load(ctx, s, size); err != nil {
			b.Fatal(err)
		}
		// What autovacuum does after a load like this one, without
		// waiting for it: statistics for the planner, and the visibility
		// map that lets a count read an index alone.
		if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
		b.Logf("loaded %d dags × %d runs × %d tasks in %s", size.Dags, size.RunsPerDag, size.TasksPerRun, time.Since(start))
	}
	storetest.BenchmarkQueries(b, s)
}
