package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/spec"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/sqlite"
)

// testBundle is what a test needs besides the Dir under test.
type testBundle struct {
	store store.Store
	dir   string
	logs  *syncBuffer
}

// setup returns a Dir over a fresh temp folder and a fresh SQLite store,
// with a clock that moves a second at each reading.
func setup(t testing.TB) (*Dir, *testBundle) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &testBundle{store: st, dir: t.TempDir(), logs: &syncBuffer{}}
	return newDir(b), b
}

// newDir returns a Dir over the bundle's folder and store, as a restarted
// process would make it.
func newDir(b *testBundle) *Dir {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &Dir{
		Path:   b.dir,
		Store:  b.store,
		Parse:  spec.Parse,
		Logger: slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Second)
			return now
		},
		PausedOnCreation: true,
	}
}

// syncBuffer is a log sink safe for the goroutines of Watch.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// dagYAML is a valid DAG file; extra lines go at the top level.
func dagYAML(id string, extra ...string) string {
	return "dag_id: " + id + "\n" + strings.Join(extra, "\n") + "\ntasks:\n  say:\n    command: echo " + id + "\n"
}

func (b *testBundle) path(name string) string {
	return filepath.Join(b.dir, filepath.FromSlash(name))
}

func (b *testBundle) write(t testing.TB, name, content string) string {
	t.Helper()
	p := b.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (b *testBundle) remove(t testing.TB, name string) {
	t.Helper()
	if err := os.RemoveAll(b.path(name)); err != nil {
		t.Fatal(err)
	}
}

func mustSync(t testing.TB, d *Dir) *SyncResult {
	t.Helper()
	res, err := d.Sync(context.Background())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return res
}

func (b *testBundle) dag(t testing.TB, id string) *store.Dag {
	t.Helper()
	g, err := b.store.DagGet(context.Background(), id)
	if err != nil {
		t.Fatalf("DagGet(%s): %v", id, err)
	}
	return g
}

func (b *testBundle) latest(t testing.TB, id string) *store.DagVersion {
	t.Helper()
	v, err := b.store.DagVersionGet(context.Background(), b.dag(t, id).LatestVersionID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// activeDags lists the ids of the active DAGs.
func (b *testBundle) activeDags(t testing.TB) []string {
	t.Helper()
	dags, err := b.store.DagList(context.Background(), &store.DagListParams{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range dags {
		ids = append(ids, g.DagID)
	}
	return ids
}

// importErrors returns the stored import errors, file to message.
func (b *testBundle) importErrors(t testing.TB) map[string]string {
	t.Helper()
	ies, err := b.store.ImportErrorList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, ie := range ies {
		out[ie.FileLoc] = ie.Message
	}
	return out
}

func checkResult(t *testing.T, got *SyncResult, want SyncResult) {
	t.Helper()
	got2 := *got
	got2.Duration = 0
	if got2 != want {
		t.Errorf("SyncResult = %+v, want %+v", got2, want)
	}
}

func TestSyncFirstPassStoresDAGs(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	src := dagYAML("hello", "description: Says hello", `schedule: "@daily"`, "tags: [demo, ml]", "owner: ml-team")
	a := b.write(t, "a.yaml", src)
	sub := b.write(t, "sub/b.yml", dagYAML("world"))

	checkResult(t, mustSync(t, d), SyncResult{Parsed: 2, NewVersions: 2})

	g := b.dag(t, "hello")
	if !g.IsActive || !g.IsPaused || g.FileLoc != a || g.Description != "Says hello" ||
		g.Owner != "ml-team" || g.Schedule != "@daily" || !slices.Equal(g.Tags, []string{"demo", "ml"}) {
		t.Errorf("dag hello = %+v", g)
	}
	if !g.LastParsedAt.Equal(time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)) {
		t.Errorf("LastParsedAt = %v, want the injected clock", g.LastParsedAt)
	}
	v := b.latest(t, "hello")
	sum := sha256.Sum256([]byte(src))
	if v.VersionNumber != 1 || string(v.Source) != src || v.Hash != hex.EncodeToString(sum[:]) || v.FileLoc != a {
		t.Errorf("version = %+v", v)
	}
	if g := b.dag(t, "world"); g.FileLoc != sub {
		t.Errorf("world fileloc = %s, want %s", g.FileLoc, sub)
	}
	if logs := b.logs.String(); !strings.Contains(logs, `msg="new DAG version" dag_id=hello version=1 file=`+a) {
		t.Errorf("no version log line in:\n%s", logs)
	}
	if errs := d.Errors(); len(errs) != 0 {
		t.Errorf("Errors() = %v", errs)
	}
}

func TestSyncUnchangedParsesNothing(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	b.write(t, "a.yaml", dagYAML("a"))
	b.write(t, "b.yaml", dagYAML("b"))
	mustSync(t, d)

	checkResult(t, mustSync(t, d), SyncResult{Unchanged: 2})
	if v := b.latest(t, "a"); v.VersionNumber != 1 {
		t.Errorf("version %d, want 1", v.VersionNumber)
	}
}

func TestSyncTouchAddsNoVersion(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	a := b.write(t, "a.yaml", dagYAML("a"))
	mustSync(t, d)
	before := b.dag(t, "a")

	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(a, later, later); err != nil {
		t.Fatal(err)
	}
	checkResult(t, mustSync(t, d), SyncResult{Unchanged: 1})
	after := b.dag(t, "a")
	// DagSync sets last_parsed_at on every call: an equal one means no
	// store write at all.
	if !after.LastParsedAt.Equal(before.LastParsedAt) || after.LatestVersionID != before.LatestVersionID {
		t.Errorf("touch wrote to the store: before %+v, after %+v", before, after)
	}
}

func TestSyncEditAddsVersion(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	b.write(t, "a.yaml", dagYAML("a"))
	mustSync(t, d)

	edited := dagYAML("a", "description: now with a description")
	b.write(t, "a.yaml", edited)
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1, NewVersions: 1})
	v := b.latest(t, "a")
	if v.VersionNumber != 2 || string(v.Source) != edited {
		t.Errorf("latest version = %d %q, want 2 with the edit", v.VersionNumber, v.Source)
	}
	if g := b.dag(t, "a"); g.Description != "now with a description" {
		t.Errorf("description = %q", g.Description)
	}
}

func TestSyncBrokenFileKeepsItsDAG(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	good := dagYAML("a")
	a := b.write(t, "a.yaml", good)
	mustSync(t, d)
	v1 := b.dag(t, "a").LatestVersionID

	b.write(t, "a.yaml", dagYAML("a", "retrys: 3"))
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1, Errors: 1})
	msg := b.importErrors(t)[a]
	if !strings.HasPrefix(msg, a+":") || !strings.Contains(msg, "retrys") {
		t.Errorf("import error = %q, want the parser's file:line:col message", msg)
	}
	if g := b.dag(t, "a"); !g.IsActive || g.LatestVersionID != v1 {
		t.Errorf("broken file changed its DAG: %+v", g)
	}
	if got := d.Errors(); got[a] != msg || len(got) != 1 {
		t.Errorf("Errors() = %v", got)
	}
	if logs := b.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "retrys") {
		t.Errorf("no warning for the import error in:\n%s", logs)
	}

	// Touching the broken file again neither parses it nor writes.
	checkResult(t, mustSync(t, d), SyncResult{Unchanged: 1})

	// Putting the old content back clears the error and adds no version.
	b.write(t, "a.yaml", good)
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1})
	if errs := b.importErrors(t); len(errs) != 0 {
		t.Errorf("import errors after the fix = %v", errs)
	}
	if len(d.Errors()) != 0 {
		t.Errorf("Errors() after the fix = %v", d.Errors())
	}
	if g := b.dag(t, "a"); g.LatestVersionID != v1 {
		t.Errorf("restoring the content made a new version")
	}

	// A file that never parsed has an error and no DAG.
	n := b.write(t, "new.yaml", "dag_id: [\n")
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1, Unchanged: 1, Errors: 1})
	if _, ok := b.importErrors(t)[n]; !ok {
		t.Errorf("no import error for %s", n)
	}
}

func TestSyncFixWithNewContentAddsVersion(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	a := b.write(t, "a.yaml", dagYAML("a"))
	mustSync(t, d)
	b.write(t, "a.yaml", "dag_id: a\ntasks: {x: {command: 3}}\n")
	mustSync(t, d)
	b.write(t, "a.yaml", dagYAML("a", "description: fixed"))
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1, NewVersions: 1})
	if _, ok := b.importErrors(t)[a]; ok {
		t.Error("import error still there")
	}
	if v := b.latest(t, "a"); v.VersionNumber != 2 {
		t.Errorf("version %d, want 2", v.VersionNumber)
	}
}

func TestSyncDeletedFileDeactivates(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	b.write(t, "a.yaml", dagYAML("a"))
	b.write(t, "b.yaml", dagYAML("b"))
	broken := b.write(t, "c.yaml", "nope: 1\n")
	mustSync(t, d)

	b.remove(t, "a.yaml")
	b.remove(t, "c.yaml")
	checkResult(t, mustSync(t, d), SyncResult{Unchanged: 1, Removed: 2})
	if g := b.dag(t, "a"); g.IsActive {
		t.Error("dag a still active")
	}
	if ids := b.activeDags(t); !slices.Equal(ids, []string{"b"}) {
		t.Errorf("active dags = %v, want [b]", ids)
	}
	if _, ok := b.importErrors(t)[broken]; ok {
		t.Error("import error of a deleted file still there")
	}
	if logs := b.logs.String(); !strings.Contains(logs, `msg="DAG removed" dag_id=a`) {
		t.Errorf("no removal log line in:\n%s", logs)
	}

	// The file coming back makes its DAG active again, with no new version.
	b.write(t, "a.yaml", dagYAML("a"))
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1, Unchanged: 1})
	if g := b.dag(t, "a"); !g.IsActive {
		t.Error("dag a not active again")
	}
}

func TestSyncDagIDChangeDeactivatesOldID(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	a := b.write(t, "a.yaml", dagYAML("old"))
	mustSync(t, d)
	b.write(t, "a.yaml", dagYAML("new"))
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1, NewVersions: 1})
	if ids := b.activeDags(t); !slices.Equal(ids, []string{"new"}) {
		t.Errorf("active dags = %v, want [new]", ids)
	}
	if g := b.dag(t, "new"); g.FileLoc != a {
		t.Errorf("fileloc = %s", g.FileLoc)
	}
}

func TestSyncDuplicateDagID(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	a := b.write(t, "a.yaml", dagYAML("x"))
	bb := b.write(t, "b.yaml", dagYAML("x", "description: the second"))

	checkResult(t, mustSync(t, d), SyncResult{Parsed: 2, Errors: 1, NewVersions: 1})
	want := fmt.Sprintf("dag_id x is already defined in %s", a)
	if msg := b.importErrors(t)[bb]; !strings.Contains(msg, want) {
		t.Errorf("import error of b = %q, want it to contain %q", msg, want)
	}
	if g := b.dag(t, "x"); g.FileLoc != a || g.Description != "" {
		t.Errorf("dag x = %+v, want a.yaml's", g)
	}

	// A later edit of the first file keeps it the owner.
	b.write(t, "a.yaml", dagYAML("x", "description: the first"))
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1, Unchanged: 1, NewVersions: 1})
	if g := b.dag(t, "x"); g.FileLoc != a {
		t.Errorf("dag x moved to %s", g.FileLoc)
	}

	// Once the first file is gone, the second one defines x, without being
	// touched.
	b.remove(t, "a.yaml")
	checkResult(t, mustSync(t, d), SyncResult{Unchanged: 1, Removed: 1, NewVersions: 1})
	if g := b.dag(t, "x"); g.FileLoc != bb || !g.IsActive || g.Description != "the second" {
		t.Errorf("dag x = %+v, want b.yaml's", g)
	}
	if errs := b.importErrors(t); len(errs) != 0 {
		t.Errorf("import errors = %v", errs)
	}
	if strings.Contains(b.logs.String(), `msg="DAG removed"`) {
		t.Error("a DAG that moved to another file was logged as removed")
	}
}

func TestSyncDuplicateKeepsOldDAG(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	b.write(t, "a.yaml", dagYAML("x"))
	bb := b.write(t, "b.yaml", dagYAML("y"))
	mustSync(t, d)

	// b.yaml now claims a.yaml's id: it is an import error and y stays.
	b.write(t, "b.yaml", dagYAML("x"))
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1, Unchanged: 1, Errors: 1})
	if ids := b.activeDags(t); !slices.Equal(ids, []string{"x", "y"}) {
		t.Errorf("active dags = %v, want [x y]", ids)
	}
	if g := b.dag(t, "y"); g.FileLoc != bb {
		t.Errorf("dag y fileloc = %s", g.FileLoc)
	}
}

func TestSyncSwappedDagIDs(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	a := b.write(t, "a.yaml", dagYAML("x"))
	bb := b.write(t, "b.yaml", dagYAML("y"))
	mustSync(t, d)

	// Each file now holds the other's old content, so no version is new.
	b.write(t, "a.yaml", dagYAML("y"))
	b.write(t, "b.yaml", dagYAML("x"))
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 2})
	if g := b.dag(t, "x"); g.FileLoc != bb || !g.IsActive {
		t.Errorf("dag x = %+v", g)
	}
	if g := b.dag(t, "y"); g.FileLoc != a || !g.IsActive {
		t.Errorf("dag y = %+v", g)
	}
	if errs := b.importErrors(t); len(errs) != 0 {
		t.Errorf("import errors = %v", errs)
	}
}

func TestSyncSubfoldersHiddenAndIgnored(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	for _, name := range []string{
		"a.yaml", "sub/b.yaml", "sub/deep/c.yml", // found
		".hidden/d.yaml", ".e.yaml", // hidden
		"drafts/f.yaml", "g_draft.yaml", "sub/h.yaml", "sub/deep/i.yaml", "sub/deep/j_draft.yml", // ignored
	} {
		id := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), ".yaml"), ".yml")
		b.write(t, name, dagYAML(id))
	}
	b.write(t, "notes.txt", "not a DAG")
	b.write(t, "sub/broken.yaml.bak", "dag_id: [")
	b.write(t, ".updraftignore", "# work in progress\ndrafts/\n*_draft.yaml\n*_draft.yml\n\n[bad\n")
	b.write(t, "sub/.updraftignore", "h.yaml\ndeep/i.yaml\n")

	checkResult(t, mustSync(t, d), SyncResult{Parsed: 3, NewVersions: 3})
	if ids := b.activeDags(t); !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Errorf("active dags = %v, want [a b c]", ids)
	}
	if !strings.Contains(b.logs.String(), "bad pattern in ignore file") {
		t.Error("the bad pattern was not reported")
	}

	// An edit of the ignore file takes effect without touching the files.
	b.write(t, ".updraftignore", "*_draft.yaml\n")
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 2, Unchanged: 3, NewVersions: 2})
	if ids := b.activeDags(t); !slices.Equal(ids, []string{"a", "b", "c", "f", "j_draft"}) {
		t.Errorf("active dags = %v", ids)
	}
	// And ignoring a folder again removes its DAGs.
	b.write(t, ".updraftignore", "sub/\n")
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1, Unchanged: 2, NewVersions: 1, Removed: 3})
	if ids := b.activeDags(t); !slices.Equal(ids, []string{"a", "f", "g_draft"}) {
		t.Errorf("active dags = %v", ids)
	}
}

func TestSyncAfterRestartReconcilesTheStore(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	b.write(t, "a.yaml", dagYAML("a"))
	b.write(t, "b.yaml", dagYAML("b"))
	broken := b.write(t, "c.yaml", "dag_id: c\nnope: 1\n")
	gone := b.write(t, "d.yaml", "dag_id: d\nnope: 1\n")
	mustSync(t, d)
	// A DAG of another source sharing the store is none of this folder's
	// business.
	ctx := context.Background()
	if _, _, err := b.store.DagSync(ctx, &store.DagSyncParams{DagID: "other", FileLoc: "/elsewhere/o.yaml", Source: []byte("x"), Hash: "h"}); err != nil {
		t.Fatal(err)
	}

	// While no process watches: a.yaml goes, b.yaml changes its id, c.yaml
	// is fixed, d.yaml goes.
	b.remove(t, "a.yaml")
	b.write(t, "b.yaml", dagYAML("b2"))
	b.write(t, "c.yaml", dagYAML("c"))
	b.remove(t, "d.yaml")

	d2 := newDir(b)
	checkResult(t, mustSync(t, d2), SyncResult{Parsed: 2, NewVersions: 2, Removed: 2})
	if ids := b.activeDags(t); !slices.Equal(ids, []string{"b2", "c", "other"}) {
		t.Errorf("active dags = %v, want [b2 c other]", ids)
	}
	if errs := b.importErrors(t); len(errs) != 0 {
		t.Errorf("import errors = %v (c.yaml %s, d.yaml %s)", errs, broken, gone)
	}
	// A restart with nothing changed stores no version and keeps errors.
	b.write(t, "e.yaml", "nope: 1\n")
	mustSync(t, d2)
	d3 := newDir(b)
	checkResult(t, mustSync(t, d3), SyncResult{Parsed: 3, Errors: 1})
	if len(d3.Errors()) != 1 {
		t.Errorf("Errors() = %v", d3.Errors())
	}
}

func TestSyncParserPanicIsAnImportError(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	d.Parse = func(filename string, src []byte) (*dag.DAG, error) {
		if bytes.Contains(src, []byte("boom")) {
			panic("boom")
		}
		return spec.Parse(filename, src)
	}
	b.write(t, "a.yaml", dagYAML("a"))
	boom := b.write(t, "boom.yaml", dagYAML("boom"))
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 2, Errors: 1, NewVersions: 1})
	if msg := d.Errors()[boom]; !strings.Contains(msg, "parser failed: boom") {
		t.Errorf("error = %q", msg)
	}
}

// failingStore fails DagSync for one dag_id while fail is set.
type failingStore struct {
	store.Store
	mu   sync.Mutex
	fail string
}

func (s *failingStore) DagSync(ctx context.Context, p *store.DagSyncParams) (*store.DagVersion, bool, error) {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if p.DagID == fail {
		return nil, false, errors.New("disk full")
	}
	return s.Store.DagSync(ctx, p)
}

func TestSyncStoreFailureIsRetried(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	fs := &failingStore{Store: b.store, fail: "b"}
	d.Store = fs
	b.write(t, "a.yaml", dagYAML("a"))
	b.write(t, "b.yaml", dagYAML("b"))

	res, err := d.Sync(context.Background())
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Sync error = %v, want the store's", err)
	}
	checkResult(t, res, SyncResult{Parsed: 2, NewVersions: 1})

	fs.mu.Lock()
	fs.fail = ""
	fs.mu.Unlock()
	checkResult(t, mustSync(t, d), SyncResult{Parsed: 1, Unchanged: 1, NewVersions: 1})
	if ids := b.activeDags(t); !slices.Equal(ids, []string{"a", "b"}) {
		t.Errorf("active dags = %v", ids)
	}
}

func TestSyncMissingFolderFails(t *testing.T) {
	t.Parallel()
	d, b := setup(t)
	b.write(t, "a.yaml", dagYAML("a"))
	mustSync(t, d)
	d.Path = filepath.Join(b.dir, "nope")
	if _, err := d.Sync(context.Background()); err == nil {
		t.Fatal("Sync of a missing folder succeeded")
	}
	if ids := b.activeDags(t); !slices.Equal(ids, []string{"a"}) {
		t.Errorf("a missing folder changed the DAGs: %v", ids)
	}
}

func TestOwns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dir, file string
		want      bool
	}{
		{"/dags", "/dags/a.yaml", true},
		{"/dags/", "/dags/sub/a.yaml", true},
		{"/dags", "/dags2/a.yaml", false},
		{"/dags", "/other/a.yaml", false},
		{"dags", "dags/a.yaml", true},
		{".", "a.yaml", true},
		{".", "../a.yaml", false},
		{"dags", "/dags/a.yaml", false},
	} {
		d := &Dir{Path: tc.dir}
		if got := d.owns(tc.file); got != tc.want {
			t.Errorf("Dir{%s}.owns(%s) = %v, want %v", tc.dir, tc.file, got, tc.want)
		}
	}
}
