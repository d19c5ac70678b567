package postgres

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
)

func count(t *testing.T, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(t.Context(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgserver.ForTest(t)
	s, err := OpenNoMigrate(ctx, url, Options{})
	if err != nil {
		t.Fatalf("OpenNoMigrate: %v", err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Errorf("SchemaVersion of a new database = %d, %v; want 0", v, err)
	}

	ms, err := loadMigrations()
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	if len(ms) == 0 || LatestVersion() != ms[len(ms)-1].Version {
		t.Fatalf("LatestVersion() = %d with %d migrations", LatestVersion(), len(ms))
	}
	var names []string
	for i, m := range ms {
		if i > 0 && m.Version == ms[i-1].Version {
			t.Errorf("migrations %s and %s have the same version", ms[i-1].Name, m.Name)
		}
		names = append(names, m.Name)
	}

	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	if strings.Join(applied, ",") != strings.Join(names, ",") {
		t.Errorf("first Migrate applied %v, want %v", applied, names)
	}
	applied, err = s.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Errorf("second Migrate = %v, %v; want nothing applied", applied, err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != LatestVersion() {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, LatestVersion())
	}
	if n := count(t, s, `SELECT count(*) FROM schema_migration`); n != len(ms) {
		t.Errorf("schema_migration has %d rows, want %d", n, len(ms))
	}
	// The seed rows of a migration are not written twice.
	if n := count(t, s, `SELECT count(*) FROM slot_pool`); n != 1 {
		t.Errorf("slot_pool has %d rows, want 1", n)
	}
	_ = s.Close()

	// Opening an up-to-date database migrates nothing and keeps its data.
	s2 := openURL(t, url, Options{})
	if _, err := s2.PoolGet(ctx, "default_pool"); err != nil {
		t.Errorf("PoolGet after reopen: %v", err)
	}
}

// Schedulers and a CLI command starting together on a new database each
// migrate it: one applies the migrations, the others wait and find them
// applied, and none fails.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	url := pgserver.ForTest(t)
	const n = 6
	errs := make([]error, n)
	applied := make([][]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			s, err := OpenNoMigrate(t.Context(), url, Options{})
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			applied[i], errs[i] = s.Migrate(t.Context())
		})
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("process %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	ms, _ := loadMigrations()
	if total != len(ms) {
		t.Errorf("%d migrations applied in all, want each of the %d once: %v", total, len(ms), applied)
	}
	s := openURL(t, url, Options{})
	if n := count(t, s, `SELECT count(*) FROM schema_migration`); n != len(ms) {
		t.Errorf("schema_migration has %d rows, want %d", n, len(ms))
	}
	if n := count(t, s, `SELECT count(*) FROM slot_pool`); n != 1 {
		t.Errorf("slot_pool has %d rows, want 1", n)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgserver.ForTest(t)
	s := openURL(t, url, Options{})
	newer := LatestVersion() + 1
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migration (version, name) VALUES ($1, $2)`,
		newer, fmt.Sprintf("%03d_future.up.sql", newer)); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(ctx, url, Options{})
	if err == nil {
		s2.Close()
		t.Fatal("Open of a database from a newer updraft: no error")
	}
	for _, want := range []string{fmt.Sprintf("database schema version %d is newer than this updraft knows (%d): upgrade updraft",
		newer, LatestVersion())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if applied, err := s.Migrate(ctx); err == nil || len(applied) != 0 {
		t.Errorf("Migrate of a newer database = %v, %v; want an error and nothing applied", applied, err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != newer {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, newer)
	}
}
