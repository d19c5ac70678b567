package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/updraft-dev/updraft/internal/scheduler"
	dagspec "github.com/updraft-dev/updraft/internal/spec"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/postgres"
	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
	"github.com/updraft-dev/updraft/internal/store/sqlite"
	"github.com/updraft-dev/updraft/internal/store/storetest"
)

// BenchmarkListEndpoints times the first page of the API's list endpoints,
// filtered as the UI asks for them, through the whole handler (token,
// role, query, JSON), with 100 DAGs × 1,000 runs × 10 tasks in the store:
// 100,000 runs and 1,000,000 task instances (-short: a hundredth of the
// runs). It reports each endpoint's median and 99th percentile latency, on
// SQLite and on PostgreSQL. Loading the data takes minutes.
//
//	go test -run '^$' -bench ListEndpoints -benchtime 300x ./internal/api/
func BenchmarkListEndpoints(b *testing.B) {
	size := storetest.LoadParams{Dags: 100, RunsPerDag: 1000, TasksPerRun: 10}
	if testing.Short() {
		size.RunsPerDag = 10
	}
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "updraft.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchList(b, st, size, nil)
	})
	b.Run("postgres", func(b *testing.B) {
		url := pgserver.ForTest(b)
		st, err := postgres.Open(b.Context(), url, postgres.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		// Autovacuum would get to the freshly loaded tables within minutes;
		// until it has, counts cannot use index-only scans. VACUUM ANALYZE
		// stands in for it, as a database in service has had it.
		benchList(b, st, size, func() error {
			conn, err := pgx.Connect(b.Context(), url)
			if err != nil {
				return err
			}
			defer conn.Close(b.Context())
			_, err = conn.Exec(b.Context(), "VACUUM ANALYZE")
			return err
		})
	})
}

func benchList(b *testing.B, st store.Store, size storetest.LoadParams, afterLoad func() error) {
	start := time.Now()
	if err := storetest.Load(b.Context(), st, size); err != nil {
		b.Fatal(err)
	}
	if afterLoad != nil {
		if err := afterLoad(); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d runs and %d task instances in %s", size.Dags*size.RunsPerDag,
		size.Dags*size.RunsPerDag*size.TasksPerRun, time.Since(start).Round(time.Second))
	srv, err := New(Config{Store: st, Versions: scheduler.NewVersions(st, dagspec.Parse), Secret: []byte(strings.Repeat("k", 32))})
	if err != nil {
		b.Fatal(err)
	}
	hash, err := HashPassword(testPassword)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.UserCreate(b.Context(), &store.User{Username: "v", Role: store.RoleViewer, PasswordHash: hash, Active: true}); err != nil {
		b.Fatal(err)
	}
	token, _, err := srv.issueToken("v", "")
	if err != nil {
		b.Fatal(err)
	}
	runs, _, err := st.DagRunQuery(b.Context(), &store.DagRunQueryParams{DagIDs: []string{"dag_007"}, Page: store.Page{Limit: 1000}})
	if err != nil || len(runs) == 0 {
		b.Fatalf("runs of dag_007: %d %v", len(runs), err)
	}
	for _, c := range []struct {
		name string
		path func(i int) string
	}{
		{"dags", func(int) string { return "/api/v2/dags?limit=50" }},
		{"dags/tag", func(int) string { return "/api/v2/dags?limit=50&tags=team_3&paused=false" }},
		{"runs/all/-logical_date", func(int) string { return "/api/v2/dags/~/dagRuns?limit=50&order_by=-logical_date" }},
		{"runs/dag/failed", func(i int) string {
			return fmt.Sprintf("/api/v2/dags/dag_%03d/dagRuns?limit=50&state=failed&order_by=-logical_date", i%size.Dags)
		}},
		{"runs/all/running", func(int) string { return "/api/v2/dags/~/dagRuns?limit=50&state=running" }},
		{"tis/run", func(i int) string {
			return "/api/v2/dags/dag_007/dagRuns/" + runs[(i*7919)%len(runs)].RunID + "/taskInstances?limit=100"
		}},
		{"tis/all/failed", func(int) string { return "/api/v2/dags/~/dagRuns/~/taskInstances?limit=50&state=failed" }},
		{"tis/all/running", func(int) string { return "/api/v2/dags/~/dagRuns/~/taskInstances?limit=50&state=running" }},
	} {
		b.Run(c.name, func(b *testing.B) {
			took := make([]time.Duration, 0, b.N)
			for i := range b.N {
				req := httptest.NewRequest("GET", c.path(i), nil)
				req.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				t0 := time.Now()
				srv.ServeHTTP(rec, req)
				took = append(took, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", req.URL, rec.Code, rec.Body)
				}
			}
			slices.Sort(took)
			at := func(q float64) float64 {
				return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(at(0.50), "p50-ms")
			b.ReportMetric(at(0.99), "p99-ms")
		})
	}
}

// BenchmarkGrid times ui_get_grid for a DAG of 500 tasks over 100 runs (50,000
// task instances), as the web UI's grid asks for it, on SQLite and on
// PostgreSQL.
//
//	go test -run '^$' -bench Grid -benchtime 50x ./internal/api/
func BenchmarkGrid(b *testing.B) {
	size := storetest.LoadParams{Dags: 1, RunsPerDag: 100, TasksPerRun: 500}
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "updraft.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchGrid(b, st, size)
	})
	b.Run("postgres", func(b *testing.B) {
		st, err := postgres.Open(b.Context(), pgserver.ForTest(b), postgres.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchGrid(b, st, size)
	})
}

// BenchmarkUIDags times ui_get_dags, the web UI's DAG list, for the first
// page of 50 of 1,000 DAGs with their 10 latest runs each.
//
//	go test -run '^$' -bench UIDags -benchtime 50x ./internal/api/
func BenchmarkUIDags(b *testing.B) {
	size := storetest.LoadParams{Dags: 1000, RunsPerDag: 10, TasksPerRun: 2}
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "updraft.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchUI(b, st, size, "/api/v2/ui/dags?limit=50&dag_runs_limit=10")
	})
	b.Run("postgres", func(b *testing.B) {
		st, err := postgres.Open(b.Context(), pgserver.ForTest(b), postgres.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchUI(b, st, size, "/api/v2/ui/dags?limit=50&dag_runs_limit=10")
	})
}

func benchGrid(b *testing.B, st store.Store, size storetest.LoadParams) {
	benchUI(b, st, size, "/api/v2/ui/grid/dag_000?limit=100")
}

// benchUI loads the store and times one GET as a Viewer.
func benchUI(b *testing.B, st store.Store, size storetest.LoadParams, path string) {
	if err := storetest.Load(b.Context(), st, size); err != nil {
		b.Fatal(err)
	}
	srv, err := New(Config{Store: st, Versions: scheduler.NewVersions(st, dagspec.Parse), Secret: []byte(strings.Repeat("k", 32))})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.UserCreate(b.Context(), &store.User{Username: "v", Role: store.RoleViewer, Active: true}); err != nil {
		b.Fatal(err)
	}
	token, _, err := srv.issueToken("v", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var bytes int
	for range b.N {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
		bytes = rec.Body.Len()
	}
	b.ReportMetric(float64(bytes)/1024, "KiB")
}
