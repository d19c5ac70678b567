package storetest

import (
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

func dagIDOf(d *store.Dag) string { return d.DagID }

func exerciseDag(t *testing.T, open Opener) {
	t.Run("SyncCreatesVersionOne", func(t *testing.T) {
		s, ctx := setup(t, open)
		p := dagParams("etl", "h1")
		v, created := mustSync(t, s, p)
		if !created {
			t.Error("first sync: created = false, want true")
		}
		if v.ID == 0 {
			t.Error("first sync: version id is 0")
		}
		equal(t, "version number", v.VersionNumber, 1)
		equal(t, "version dag id", v.DagID, "etl")
		equal(t, "version hash", v.Hash, "h1")
		equal(t, "version fileloc", v.FileLoc, p.FileLoc)
		equalBytes(t, "version source", v.Source, p.Source)
		// The version is made by the parse, so it carries the parse's time:
		// callers inject the clock.
		equalTime(t, "version created at", v.CreatedAt, p.ParsedAt)

		got, err := s.DagVersionGet(ctx, v.ID)
		noErr(t, "DagVersionGet", err)
		equalVersion(t, got, v)

		d := mustDag(t, s, "etl")
		equal(t, "dag id", d.DagID, "etl")
		equal(t, "is active", d.IsActive, true)
		equal(t, "is paused", d.IsPaused, false)
		equal(t, "fileloc", d.FileLoc, p.FileLoc)
		equal(t, "latest version id", d.LatestVersionID, v.ID)
		equal(t, "description", d.Description, p.Description)
		equal(t, "owner", d.Owner, p.Owner)
		equalSlice(t, "tags", d.Tags, p.Tags)
		equal(t, "schedule", d.Schedule, p.Schedule)
		if d.NextDataInterval != nil {
			t.Errorf("next data interval = %v, want nil", d.NextDataInterval)
		}
		equalTime(t, "last parsed at", d.LastParsedAt, p.ParsedAt)
	})

	t.Run("SyncSameHashKeepsVersion", func(t *testing.T) {
		s, _ := setup(t, open)
		v1, _ := mustSync(t, s, dagParams("etl", "h1"))

		p := dagParams("etl", "h1")
		p.Description = "new description"
		p.Owner = "platform"
		p.Tags = nil
		p.Schedule = "@hourly"
		p.ParsedAt = hour(5)
		v, created := mustSync(t, s, p)
		if created {
			t.Error("same hash: created = true, want false")
		}
		equalVersion(t, v, v1)

		// The DAG row follows every parse, even when the version does not.
		d := mustDag(t, s, "etl")
		equal(t, "latest version id", d.LatestVersionID, v1.ID)
		equal(t, "description", d.Description, "new description")
		equal(t, "owner", d.Owner, "platform")
		equal(t, "len(tags)", len(d.Tags), 0)
		equal(t, "schedule", d.Schedule, "@hourly")
		equalTime(t, "last parsed at", d.LastParsedAt, hour(5))
	})

	t.Run("SyncChangedHashAddsVersion", func(t *testing.T) {
		s, ctx := setup(t, open)
		v1, _ := mustSync(t, s, dagParams("etl", "h1"))
		p := dagParams("etl", "h2")
		p.Source = []byte("dag_id: etl\ntasks: []\n")
		p.ParsedAt = hour(3)
		v2, created := mustSync(t, s, p)
		if !created {
			t.Error("changed hash: created = false, want true")
		}
		equal(t, "version number", v2.VersionNumber, 2)
		if v2.ID == v1.ID {
			t.Errorf("version 2 has the id of version 1 (%d)", v1.ID)
		}
		equal(t, "hash", v2.Hash, "h2")
		equalBytes(t, "source", v2.Source, p.Source)
		equalTime(t, "created at", v2.CreatedAt, hour(3))
		equal(t, "latest version id", mustDag(t, s, "etl").LatestVersionID, v2.ID)

		// Versions are immutable: runs of version 1 still read its source.
		old, err := s.DagVersionGet(ctx, v1.ID)
		noErr(t, "DagVersionGet v1", err)
		equalVersion(t, old, v1)

		// Going back to an older source is a change too.
		v3, created := mustSync(t, s, dagParams("etl", "h1"))
		if !created || v3.VersionNumber != 3 {
			t.Errorf("back to hash h1: version %d, created %v; want version 3, created", v3.VersionNumber, created)
		}
	})

	t.Run("SyncVersionsPerDag", func(t *testing.T) {
		s, _ := setup(t, open)
		mustSync(t, s, dagParams("a", "h1"))
		mustSync(t, s, dagParams("a", "h2"))
		vb, created := mustSync(t, s, dagParams("b", "h1"))
		if !created || vb.VersionNumber != 1 {
			t.Errorf("dag b: version %d, created %v; want version 1, created", vb.VersionNumber, created)
		}
	})

	t.Run("SyncPausedOnCreationOnlyForNewDag", func(t *testing.T) {
		s, ctx := setup(t, open)
		p := dagParams("paused", "h1")
		p.PausedOnCreation = true
		mustSync(t, s, p)
		equal(t, "new dag paused", mustDag(t, s, "paused").IsPaused, true)

		noErr(t, "DagSetPaused", s.DagSetPaused(ctx, "paused", false))
		p.Hash = "h2"
		mustSync(t, s, p)
		equal(t, "unpaused dag paused after sync", mustDag(t, s, "paused").IsPaused, false)

		q := dagParams("running", "h1")
		mustSync(t, s, q)
		noErr(t, "DagSetPaused", s.DagSetPaused(ctx, "running", true))
		q.PausedOnCreation = false
		mustSync(t, s, q)
		equal(t, "paused dag paused after sync", mustDag(t, s, "running").IsPaused, true)
	})

	t.Run("SyncReactivatesAndMoves", func(t *testing.T) {
		s, ctx := setup(t, open)
		p := dagParams("etl", "h1")
		mustSync(t, s, p)
		noErr(t, "DagDeactivate", s.DagDeactivate(ctx, p.FileLoc, nil))
		equal(t, "is active after deactivate", mustDag(t, s, "etl").IsActive, false)

		// The DAG reappears in another file.
		p.FileLoc = "dags/moved.yaml"
		mustSync(t, s, p)
		d := mustDag(t, s, "etl")
		equal(t, "is active after sync", d.IsActive, true)
		equal(t, "fileloc", d.FileLoc, "dags/moved.yaml")

		// Its old file is gone: that must not deactivate it again.
		noErr(t, "DagDeactivate", s.DagDeactivate(ctx, "dags/etl.yaml", nil))
		equal(t, "is active after old file deactivated", mustDag(t, s, "etl").IsActive, true)
	})

	t.Run("Deactivate", func(t *testing.T) {
		s, ctx := setup(t, open)
		var vb *store.DagVersion
		for _, id := range []string{"a", "b", "c"} {
			p := dagParams(id, "h1")
			p.FileLoc = "dags/many.yaml"
			v, _ := mustSync(t, s, p)
			if id == "b" {
				vb = v
			}
		}
		mustSync(t, s, dagParams("other", "h1"))
		run := createRun(t, s, vb, "r1", day(1), task("t"))

		noErr(t, "DagDeactivate keep a", s.DagDeactivate(ctx, "dags/many.yaml", []string{"a"}))
		for id, want := range map[string]bool{"a": true, "b": false, "c": false, "other": true} {
			equal(t, id+" is active", mustDag(t, s, id).IsActive, want)
		}
		// Runs of an inactive DAG stay.
		_, err := s.DagRunGet(ctx, "b", "r1")
		noErr(t, "DagRunGet of inactive dag", err)
		mustTI(t, s, run.ID, "t")

		noErr(t, "DagDeactivate keep none", s.DagDeactivate(ctx, "dags/many.yaml", nil))
		equal(t, "a is active", mustDag(t, s, "a").IsActive, false)
		equal(t, "other is active", mustDag(t, s, "other").IsActive, true)

		noErr(t, "DagDeactivate unknown file", s.DagDeactivate(ctx, "dags/nothing.yaml", []string{"x"}))
	})

	t.Run("GetNotFound", func(t *testing.T) {
		s, ctx := setup(t, open)
		_, err := s.DagGet(ctx, "nope")
		wantNotFound(t, "DagGet unknown", err)
		_, err = s.DagVersionGet(ctx, 4242)
		wantNotFound(t, "DagVersionGet unknown", err)
	})

	t.Run("List", func(t *testing.T) {
		s, ctx := setup(t, open)
		for _, id := range []string{"active", "paused", "gone", "gone_paused"} {
			mustSync(t, s, dagParams(id, "h1"))
		}
		noErr(t, "pause", s.DagSetPaused(ctx, "paused", true))
		noErr(t, "pause", s.DagSetPaused(ctx, "gone_paused", true))
		noErr(t, "deactivate", s.DagDeactivate(ctx, "dags/gone.yaml", nil))
		noErr(t, "deactivate", s.DagDeactivate(ctx, "dags/gone_paused.yaml", nil))

		cases := []struct {
			name string
			p    store.DagListParams
			want []string
		}{
			{"default", store.DagListParams{}, []string{"active", "paused"}},
			{"inactive", store.DagListParams{IncludeInactive: true}, []string{"active", "gone", "gone_paused", "paused"}},
			{"paused", store.DagListParams{Paused: ptr(true)}, []string{"paused"}},
			{"unpaused", store.DagListParams{Paused: ptr(false)}, []string{"active"}},
			{"inactive paused", store.DagListParams{IncludeInactive: true, Paused: ptr(true)}, []string{"gone_paused", "paused"}},
		}
		for _, c := range cases {
			ds, err := s.DagList(ctx, &c.p)
			noErr(t, "DagList "+c.name, err)
			equalSet(t, "DagList "+c.name, pluck(ds, dagIDOf), c.want)
		}
		ds, err := s.DagList(ctx, &store.DagListParams{})
		noErr(t, "DagList", err)
		for _, d := range ds {
			if d.DagID == "paused" && (!d.IsPaused || d.LatestVersionID == 0 || len(d.Tags) != 2) {
				t.Errorf("listed dag %+v: fields not read", d)
			}
		}
	})

	t.Run("SetPaused", func(t *testing.T) {
		s, ctx := setup(t, open)
		mustSync(t, s, dagParams("etl", "h1"))
		noErr(t, "pause", s.DagSetPaused(ctx, "etl", true))
		equal(t, "paused", mustDag(t, s, "etl").IsPaused, true)
		// Setting the state it has is no error.
		noErr(t, "pause again", s.DagSetPaused(ctx, "etl", true))
		noErr(t, "unpause", s.DagSetPaused(ctx, "etl", false))
		equal(t, "paused", mustDag(t, s, "etl").IsPaused, false)
		wantNotFound(t, "DagSetPaused unknown", s.DagSetPaused(ctx, "nope", true))
	})

	t.Run("SetNextRun", func(t *testing.T) {
		s, ctx := setup(t, open)
		mustSync(t, s, dagParams("etl", "h1"))
		next := &dag.DataInterval{Start: day(2), End: day(3).Add(-time.Microsecond)}
		noErr(t, "DagSetNextRun", s.DagSetNextRun(ctx, "etl", next))
		d := mustDag(t, s, "etl")
		if d.NextDataInterval == nil {
			t.Fatal("next data interval = nil after DagSetNextRun")
		}
		equalTime(t, "next start", d.NextDataInterval.Start, next.Start)
		equalTime(t, "next end", d.NextDataInterval.End, next.End)

		// A sync must not forget it.
		mustSync(t, s, dagParams("etl", "h2"))
		if mustDag(t, s, "etl").NextDataInterval == nil {
			t.Error("next data interval = nil after a sync")
		}

		noErr(t, "DagSetNextRun nil", s.DagSetNextRun(ctx, "etl", nil))
		if d := mustDag(t, s, "etl"); d.NextDataInterval != nil {
			t.Errorf("next data interval = %v after clearing, want nil", d.NextDataInterval)
		}
	})
}

func equalVersion(t *testing.T, got, want *store.DagVersion) {
	t.Helper()
	equal(t, "version id", got.ID, want.ID)
	equal(t, "version dag id", got.DagID, want.DagID)
	equal(t, "version number", got.VersionNumber, want.VersionNumber)
	equal(t, "version hash", got.Hash, want.Hash)
	equal(t, "version fileloc", got.FileLoc, want.FileLoc)
	equalBytes(t, "version source", got.Source, want.Source)
	equalTime(t, "version created at", got.CreatedAt, want.CreatedAt)
}

func exerciseImportError(t *testing.T, open Opener) {
	t.Run("SetReplaceClear", func(t *testing.T) {
		s, ctx := setup(t, open)
		list := func() map[string]*store.ImportError {
			t.Helper()
			es, err := s.ImportErrorList(ctx)
			noErr(t, "ImportErrorList", err)
			m := map[string]*store.ImportError{}
			for _, e := range es {
				m[e.FileLoc] = e
			}
			if len(m) != len(es) {
				t.Errorf("ImportErrorList lists a file twice: %d errors for %d files", len(es), len(m))
			}
			return m
		}
		if n := len(list()); n != 0 {
			t.Fatalf("empty store lists %d import errors", n)
		}

		noErr(t, "set a", s.ImportErrorSet(ctx, "dags/a.yaml", "line 3: bad key"))
		noErr(t, "set b", s.ImportErrorSet(ctx, "dags/b.yaml", "cycle: x -> y -> x"))
		m := list()
		equal(t, "errors", len(m), 2)
		a := m["dags/a.yaml"]
		if a == nil {
			t.Fatal("no error for dags/a.yaml")
		}
		equal(t, "message", a.Message, "line 3: bad key")
		recent(t, "timestamp", a.Timestamp)
		if a.ID == 0 {
			t.Error("import error id is 0")
		}

		// A file's new error replaces its old one.
		noErr(t, "set a again", s.ImportErrorSet(ctx, "dags/a.yaml", "line 4: bad value"))
		m = list()
		equal(t, "errors after replace", len(m), 2)
		equal(t, "replaced message", m["dags/a.yaml"].Message, "line 4: bad value")
		equal(t, "other message", m["dags/b.yaml"].Message, "cycle: x -> y -> x")

		noErr(t, "clear a", s.ImportErrorClear(ctx, "dags/a.yaml"))
		m = list()
		equal(t, "errors after clear", len(m), 1)
		if m["dags/b.yaml"] == nil {
			t.Error("clearing a removed b")
		}
		// Every file that parses is cleared, with an error or not.
		noErr(t, "clear a file without error", s.ImportErrorClear(ctx, "dags/fine.yaml"))
		equal(t, "errors", len(list()), 1)
	})
}
