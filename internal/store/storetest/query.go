package storetest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

func exerciseQuery(t *testing.T, open Opener) {
	t.Run("DagFilters", func(t *testing.T) { testDagFilters(t, open) })
	t.Run("DagOrder", func(t *testing.T) { testDagOrder(t, open) })
	t.Run("DagTagList", func(t *testing.T) { testDagTagList(t, open) })
	t.Run("DagRunFilters", func(t *testing.T) { testDagRunFilters(t, open) })
	t.Run("DagRunOrderAndPages", func(t *testing.T) { testDagRunOrder(t, open) })
	t.Run("TaskInstanceFilters", func(t *testing.T) { testTaskInstanceFilters(t, open) })
	t.Run("TaskInstanceOrderAndPages", func(t *testing.T) { testTaskInstanceOrder(t, open) })
	t.Run("TaskInstanceStates", func(t *testing.T) { testTaskInstanceStates(t, open) })
	t.Run("DagVersions", func(t *testing.T) { testDagVersions(t, open) })
	t.Run("OrderByUnknown", func(t *testing.T) { testOrderByUnknown(t, open) })
	t.Run("DagRunDelete", func(t *testing.T) { testDagRunDelete(t, open) })
}

// orderCase is one order_by field as the suite expects it: cmp compares
// two rows that both have a value, ascending (nil for the primary key
// itself); null reports a row without one (nil: the fixture has none),
// which comes last in either direction. A unique field has no ties to
// break.
type orderCase[T any] struct {
	field  string
	cmp    func(a, b T) int
	null   func(T) bool
	unique bool
}

// sortedAs sorts rows as order_by c.field (descending with desc) promises:
// NULLs last, then by value, ties by the primary key (key), all but the
// NULLs in the one direction.
func sortedAs[T any](rows []T, c orderCase[T], desc bool, key func(a, b T) int) []T {
	sign := 1
	if desc {
		sign = -1
	}
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b T) int {
		if c.null != nil {
			an, bn := c.null(a), c.null(b)
			switch {
			case an && !bn:
				return 1
			case bn && !an:
				return -1
			case an && bn:
				return sign * key(a, b)
			}
		}
		if c.cmp != nil {
			if r := c.cmp(a, b); r != 0 {
				return sign * r
			}
		}
		return sign * key(a, b)
	})
	return out
}

// checkFixture fails the test when rows cannot tell a right order from a
// wrong one for c: every field needs two rows that tie, and a nullable
// one a row with and a row without a value.
func checkFixture[T any](t *testing.T, rows []T, c orderCase[T]) {
	t.Helper()
	if c.cmp == nil {
		return
	}
	tie, null, value := false, false, false
	for i, a := range rows {
		if c.null != nil && c.null(a) {
			null = true
			continue
		}
		value = true
		for _, b := range rows[i+1:] {
			if (c.null == nil || !c.null(b)) && c.cmp(a, b) == 0 {
				tie = true
			}
		}
	}
	if (!tie && !c.unique) || !value || (c.null != nil && !null) {
		t.Fatalf("fixture for order_by %s: tie %v, value %v, null %v", c.field, tie, value, null)
	}
}

// checkOrders lists rows in every order of cases, both directions, once
// whole and once in pages of two, and compares with sortedAs.
func checkOrders[T any, K comparable](t *testing.T, rows []T, cases []orderCase[T], key func(a, b T) int, id func(T) K,
	list func(store.Page) ([]T, int, error)) {
	t.Helper()
	for _, c := range cases {
		checkFixture(t, rows, c)
		for _, desc := range []bool{false, true} {
			orderBy := c.field
			if desc {
				orderBy = "-" + orderBy
			}
			want := pluck(sortedAs(rows, c, desc, key), id)
			got, total, err := list(store.Page{OrderBy: orderBy})
			noErr(t, "order_by "+orderBy, err)
			equal(t, "total ordered by "+orderBy, total, len(rows))
			equalSlice(t, "order_by "+orderBy, pluck(got, id), want)
			equalSlice(t, "pages of 2 ordered by "+orderBy, pluck(pages(t, 2, orderBy, len(rows), list), id), want)
		}
	}
}

// pages reads a list page by page, checking every page's total.
func pages[T any](t *testing.T, limit int, orderBy string, total int, list func(store.Page) ([]T, int, error)) []T {
	t.Helper()
	var all []T
	for offset := 0; ; offset += limit {
		got, n, err := list(store.Page{Limit: limit, Offset: offset, OrderBy: orderBy})
		noErr(t, fmt.Sprintf("page at %d ordered by %s", offset, orderBy), err)
		equal(t, fmt.Sprintf("total of page at %d ordered by %s", offset, orderBy), n, total)
		if len(got) > limit {
			t.Fatalf("page at %d: %d rows, limit %d", offset, len(got), limit)
		}
		all = append(all, got...)
		if len(got) < limit || offset > total {
			return all
		}
	}
}

// filterCase is one filter and the rows it must keep.
type filterCase[P any, T any] struct {
	name string
	p    P
	keep func(T) bool
}

// checkFilters runs every case, whole and with a page of one, and checks
// it keeps the rows keep does, in the default order. A case must keep some
// rows and leave some (none marks one that keeps nothing on purpose), so a
// filter that does nothing fails.
func checkFilters[P any, T any, K comparable](t *testing.T, rows []T, cases []filterCase[P, T], id func(T) K,
	list func(P, store.Page) ([]T, int, error)) {
	t.Helper()
	for _, c := range cases {
		var want []K
		for _, r := range rows {
			if c.keep(r) {
				want = append(want, id(r))
			}
		}
		if len(want) == len(rows) {
			t.Fatalf("%s: the case keeps every row", c.name)
		}
		got, total, err := list(c.p, store.Page{})
		noErr(t, c.name, err)
		equalSlice(t, c.name, pluck(got, id), want)
		equal(t, c.name+" total", total, len(want))
		one, total, err := list(c.p, store.Page{Limit: 1, Offset: 1})
		noErr(t, c.name+" second page of one", err)
		equal(t, c.name+" total of a page of one", total, len(want))
		if len(want) > 1 {
			equalSlice(t, c.name+" second page of one", pluck(one, id), want[1:2])
		} else {
			equal(t, c.name+" rows of an empty second page", len(one), 0)
		}
		// Without the count: the same page, and -1 for the total.
		uncounted, total, err := list(c.p, store.Page{Limit: 1, Offset: 1, NoCount: true})
		noErr(t, c.name+" page without a count", err)
		equal(t, c.name+" total not counted", total, -1)
		equalSlice(t, c.name+" page without a count", pluck(uncounted, id), pluck(one, id))
	}
}

func cmpTime(a, b time.Time) int { return a.Compare(b) }

func cmpOptTime(a, b *time.Time) int { return a.Compare(*b) }

// testDagFilters: DAGs whose ids, tags, paused flags and activity differ.
func testDagFilters(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	for _, d := range []struct {
		id     string
		tags   []string
		paused bool
	}{
		{"alpha_etl", []string{"etl", "daily"}, false},
		{"BETA_ETL", []string{"etl"}, true},
		{"alphaxetl", nil, false},
		{"delta_report", []string{"report", "daily"}, false},
		{"old_etl", []string{"etl", "legacy"}, false},
	} {
		p := dagParams(d.id, "h1")
		p.Tags = d.tags
		p.PausedOnCreation = d.paused
		p.FileLoc = "dags/" + d.id + ".yaml"
		mustSync(t, s, p)
	}
	noErr(t, "DagDeactivate", s.DagDeactivate(ctx, "dags/old_etl.yaml", nil))
	all, err := s.DagList(ctx, &store.DagListParams{IncludeInactive: true})
	noErr(t, "DagList", err)
	has := func(d *store.Dag, tags ...string) bool {
		return slices.ContainsFunc(d.Tags, func(tag string) bool { return slices.Contains(tags, tag) })
	}
	active := func(d *store.Dag) bool { return d.IsActive }
	checkFilters(t, all, []filterCase[store.DagQueryParams, *store.Dag]{
		{"active", store.DagQueryParams{}, active},
		{"paused", store.DagQueryParams{Paused: ptr(true)}, func(d *store.Dag) bool { return d.IsPaused }},
		{"not paused", store.DagQueryParams{Paused: ptr(false)}, func(d *store.Dag) bool { return active(d) && !d.IsPaused }},
		{"pattern without case", store.DagQueryParams{DagIDPattern: "%Etl"},
			func(d *store.Dag) bool { return active(d) && d.DagID != "delta_report" }},
		{"pattern with _", store.DagQueryParams{DagIDPattern: "alpha_etl"},
			func(d *store.Dag) bool { return d.DagID == "alpha_etl" || d.DagID == "alphaxetl" }},
		{"pattern with \\_", store.DagQueryParams{DagIDPattern: `%\_etl`, IncludeInactive: true},
			func(d *store.Dag) bool { return d.DagID != "alphaxetl" && d.DagID != "delta_report" }},
		{"pattern ending in \\", store.DagQueryParams{DagIDPattern: `%\`}, func(*store.Dag) bool { return false }},
		{"ids", store.DagQueryParams{DagIDs: []string{"delta_report", "old_etl", "nope"}},
			func(d *store.Dag) bool { return d.DagID == "delta_report" }},
		{"ids with inactive", store.DagQueryParams{DagIDs: []string{"delta_report", "old_etl"}, IncludeInactive: true},
			func(d *store.Dag) bool { return d.DagID == "delta_report" || d.DagID == "old_etl" }},
		{"any tag", store.DagQueryParams{Tags: []string{"report", "legacy"}},
			func(d *store.Dag) bool { return d.DagID == "delta_report" }},
		{"any tag with inactive", store.DagQueryParams{Tags: []string{"etl"}, IncludeInactive: true},
			func(d *store.Dag) bool { return has(d, "etl") }},
		{"all tags", store.DagQueryParams{Tags: []string{"daily", "etl"}, TagsMatchAll: true},
			func(d *store.Dag) bool { return d.DagID == "alpha_etl" }},
		{"all of a repeated tag", store.DagQueryParams{Tags: []string{"daily", "daily"}, TagsMatchAll: true},
			func(d *store.Dag) bool { return has(d, "daily") }},
		{"unknown tag", store.DagQueryParams{Tags: []string{"nope"}}, func(*store.Dag) bool { return false }},
		{"together", store.DagQueryParams{DagIDPattern: "%etl%", Tags: []string{"etl"}, Paused: ptr(false)},
			func(d *store.Dag) bool { return d.DagID == "alpha_etl" }},
	}, dagIDOf, func(p store.DagQueryParams, page store.Page) ([]*store.Dag, int, error) {
		p.Page = page
		return s.DagQuery(ctx, &p)
	})

	got, _, err := s.DagQuery(ctx, &store.DagQueryParams{DagIDs: []string{"alpha_etl"}})
	noErr(t, "DagQuery alpha_etl", err)
	if len(got) != 1 || !reflect.DeepEqual(got[0], mustDag(t, s, "alpha_etl")) {
		t.Errorf("DagQuery alpha_etl = %+v, want DagGet's %+v", got, mustDag(t, s, "alpha_etl"))
	}
}

func testDagOrder(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	for _, d := range []struct {
		id     string
		parsed time.Time
		next   *time.Time
	}{
		{"c", hour(1), ptr(day(1))},
		{"a", hour(1), ptr(day(2))},
		{"d", hour(3), ptr(day(2))},
		{"b", hour(2), nil},
		{"e", hour(4), nil},
	} {
		p := dagParams(d.id, "h1")
		p.ParsedAt = d.parsed
		mustSync(t, s, p)
		if d.next != nil {
			noErr(t, "DagSetNextRun", s.DagSetNextRun(ctx, d.id, &dag.DataInterval{Start: *d.next, End: d.next.Add(time.Hour)}))
		}
	}
	all, err := s.DagList(ctx, &store.DagListParams{})
	noErr(t, "DagList", err)
	checkOrders(t, all, []orderCase[*store.Dag]{
		{field: "dag_id"},
		{field: "next_dagrun", cmp: func(a, b *store.Dag) int { return a.NextDataInterval.Start.Compare(b.NextDataInterval.Start) },
			null: func(d *store.Dag) bool { return d.NextDataInterval == nil }},
		{field: "last_parsed_time", cmp: func(a, b *store.Dag) int { return cmpTime(a.LastParsedAt, b.LastParsedAt) }},
	}, func(a, b *store.Dag) int { return cmp.Compare(a.DagID, b.DagID) }, dagIDOf,
		func(page store.Page) ([]*store.Dag, int, error) {
			return s.DagQuery(ctx, &store.DagQueryParams{Page: page})
		})

	// The default is dag_id.
	got, _, err := s.DagQuery(ctx, &store.DagQueryParams{})
	noErr(t, "DagQuery", err)
	equalSlice(t, "default order", pluck(got, dagIDOf), []string{"a", "b", "c", "d", "e"})
}

func testDagTagList(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	tags, err := s.DagTagList(ctx)
	noErr(t, "DagTagList of none", err)
	equal(t, "tags of no DAG", len(tags), 0)
	for _, d := range []struct {
		id   string
		tags []string
	}{
		{"a", []string{"etl", "daily"}},
		{"b", []string{"report", "daily"}},
		{"c", nil},
		{"gone", []string{"legacy", "etl"}},
	} {
		p := dagParams(d.id, "h1")
		p.Tags = d.tags
		mustSync(t, s, p)
	}
	noErr(t, "DagDeactivate", s.DagDeactivate(ctx, "dags/gone.yaml", nil))
	tags, err = s.DagTagList(ctx)
	noErr(t, "DagTagList", err)
	equalSlice(t, "tags", tags, []string{"daily", "etl", "report"})
}

func runPK(r *store.DagRun) int64 { return r.ID }

// runFixture writes runs of two DAGs, created out of every order they can
// be listed in, with ties in every field and runs without a start or end.
func runFixture(t *testing.T, s store.Store) []*store.DagRun {
	t.Helper()
	ctx := t.Context()
	va, vb := syncDag(t, s, "a"), syncDag(t, s, "b")
	for _, r := range []struct {
		v          *store.DagVersion
		runID      string
		logical    time.Time
		runType    dag.RunType
		state      dag.DagRunState
		start, end *time.Time
	}{
		{vb, "r2", day(5), dag.RunManual, dag.DagRunQueued, nil, nil},
		{va, "r3", day(3), dag.RunScheduled, dag.DagRunRunning, ptr(hour(1)), nil},
		{va, "r1", day(1), dag.RunScheduled, dag.DagRunSuccess, ptr(hour(1)), ptr(hour(5))},
		{vb, "r5", day(4), dag.RunBackfill, dag.DagRunRunning, ptr(hour(2)), nil},
		{va, "r4", day(3), dag.RunScheduled, dag.DagRunQueued, nil, nil},
		{vb, "r1", day(1), dag.RunManual, dag.DagRunSuccess, ptr(hour(3)), ptr(hour(4))},
		{va, "r2", day(2), dag.RunScheduled, dag.DagRunFailed, ptr(hour(2)), ptr(hour(5))},
	} {
		p := runParams(r.v, r.runID, r.logical, task("t"))
		p.RunType = r.runType
		run := mustCreateRun(t, s, p)
		if r.state != dag.DagRunQueued {
			_, err := s.DagRunSetState(ctx, &store.DagRunSetStateParams{ID: run.ID, State: r.state, StartDate: r.start, EndDate: r.end})
			noErr(t, "DagRunSetState", err)
		}
	}
	all, err := s.DagRunList(ctx, &store.DagRunListParams{})
	noErr(t, "DagRunList", err)
	slices.SortFunc(all, func(a, b *store.DagRun) int { return cmp.Compare(a.ID, b.ID) })
	return all
}

func testDagRunFilters(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	all := runFixture(t, s)
	in := func(tm *time.Time, from, to time.Time) bool {
		return tm != nil && !tm.Before(from) && !tm.After(to)
	}
	forever := day(1000)
	checkFilters(t, all, []filterCase[store.DagRunQueryParams, *store.DagRun]{
		{"one dag", store.DagRunQueryParams{DagIDs: []string{"b"}}, func(r *store.DagRun) bool { return r.DagID == "b" }},
		{"unknown dag", store.DagRunQueryParams{DagIDs: []string{"nope"}}, func(*store.DagRun) bool { return false }},
		{"one state", store.DagRunQueryParams{States: []dag.DagRunState{dag.DagRunRunning}},
			func(r *store.DagRun) bool { return r.State == dag.DagRunRunning }},
		{"states", store.DagRunQueryParams{States: []dag.DagRunState{dag.DagRunSuccess, dag.DagRunFailed}},
			func(r *store.DagRun) bool { return r.State.Finished() }},
		{"run types", store.DagRunQueryParams{RunTypes: []dag.RunType{dag.RunManual, dag.RunBackfill}},
			func(r *store.DagRun) bool { return r.RunType != dag.RunScheduled }},
		{"logical date, both ends included", store.DagRunQueryParams{LogicalDate: store.TimeRange{GTE: ptr(day(2)), LTE: ptr(day(4))}},
			func(r *store.DagRun) bool { return in(&r.LogicalDate, day(2), day(4)) }},
		{"logical date from", store.DagRunQueryParams{LogicalDate: store.TimeRange{GTE: ptr(day(3))}},
			func(r *store.DagRun) bool { return in(&r.LogicalDate, day(3), forever) }},
		{"logical date to", store.DagRunQueryParams{LogicalDate: store.TimeRange{LTE: ptr(day(1))}},
			func(r *store.DagRun) bool { return in(&r.LogicalDate, day(0), day(1)) }},
		{"start date", store.DagRunQueryParams{StartDate: store.TimeRange{GTE: ptr(hour(2))}},
			func(r *store.DagRun) bool { return in(r.StartDate, hour(2), forever) }},
		{"end date", store.DagRunQueryParams{EndDate: store.TimeRange{LTE: ptr(hour(4))}},
			func(r *store.DagRun) bool { return in(r.EndDate, day(0), hour(4)) }},
		{"together", store.DagRunQueryParams{DagIDs: []string{"a", "b"}, States: []dag.DagRunState{dag.DagRunQueued, dag.DagRunRunning},
			LogicalDate: store.TimeRange{LTE: ptr(day(4))}},
			func(r *store.DagRun) bool { return !r.State.Finished() && in(&r.LogicalDate, day(0), day(4)) }},
	}, runPK, func(p store.DagRunQueryParams, page store.Page) ([]*store.DagRun, int, error) {
		p.Page = page
		return s.DagRunQuery(ctx, &p)
	})

	got, _, err := s.DagRunQuery(ctx, &store.DagRunQueryParams{DagIDs: []string{"a"}, States: []dag.DagRunState{dag.DagRunSuccess}})
	noErr(t, "DagRunQuery", err)
	if len(got) != 1 || !reflect.DeepEqual(got[0], mustRun(t, s, got[0].ID)) {
		t.Errorf("DagRunQuery = %+v, want one run as DagRunGetByID returns it", got)
	}
}

func testDagRunOrder(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	all := runFixture(t, s)
	checkOrders(t, all, []orderCase[*store.DagRun]{
		{field: "id"},
		{field: "dag_id", cmp: func(a, b *store.DagRun) int { return cmp.Compare(a.DagID, b.DagID) }},
		{field: "run_id", cmp: func(a, b *store.DagRun) int { return cmp.Compare(a.RunID, b.RunID) }},
		{field: "state", cmp: func(a, b *store.DagRun) int { return cmp.Compare(a.State, b.State) }},
		{field: "run_type", cmp: func(a, b *store.DagRun) int { return cmp.Compare(a.RunType, b.RunType) }},
		{field: "logical_date", cmp: func(a, b *store.DagRun) int { return cmpTime(a.LogicalDate, b.LogicalDate) }},
		{field: "start_date", cmp: func(a, b *store.DagRun) int { return cmpOptTime(a.StartDate, b.StartDate) },
			null: func(r *store.DagRun) bool { return r.StartDate == nil }},
		{field: "end_date", cmp: func(a, b *store.DagRun) int { return cmpOptTime(a.EndDate, b.EndDate) },
			null: func(r *store.DagRun) bool { return r.EndDate == nil }},
		// Every run created is queued at its creation: none without.
		{field: "queued_at", cmp: func(a, b *store.DagRun) int { return cmpOptTime(a.QueuedAt, b.QueuedAt) }},
	}, func(a, b *store.DagRun) int { return cmp.Compare(a.ID, b.ID) }, runPK,
		func(page store.Page) ([]*store.DagRun, int, error) {
			return s.DagRunQuery(ctx, &store.DagRunQueryParams{Page: page})
		})

	// The default is id; an offset alone skips rows, and one past the end
	// gives none, with the total still counted.
	got, total, err := s.DagRunQuery(ctx, &store.DagRunQueryParams{Page: store.Page{Offset: 5}})
	noErr(t, "DagRunQuery offset 5", err)
	equalSlice(t, "runs from 5", pluck(got, runPK), pluck(all[5:], runPK))
	equal(t, "total from 5", total, len(all))
	got, total, err = s.DagRunQuery(ctx, &store.DagRunQueryParams{Page: store.Page{Limit: 3, Offset: len(all)}})
	noErr(t, "DagRunQuery past the end", err)
	equal(t, "runs past the end", len(got), 0)
	equal(t, "total past the end", total, len(all))
	got, total, err = s.DagRunQuery(ctx, &store.DagRunQueryParams{Page: store.Page{Limit: 2, Offset: 2, OrderBy: "-logical_date"},
		DagIDs: []string{"a"}})
	noErr(t, "DagRunQuery of a", err)
	equal(t, "total of a", total, 4)
	equalSlice(t, "second page of a by -logical_date", pluck(got, runIDOf), []string{"r2", "r1"})
}

// tiPK names a task instance by its primary key.
func tiPK(ti *store.TaskInstance) string {
	return fmt.Sprintf("%d/%s[%d]", ti.RunPK, ti.TaskID, ti.MapIndex)
}

func cmpTIKey(a, b *store.TaskInstance) int {
	return cmp.Or(cmp.Compare(a.RunPK, b.RunPK), cmp.Compare(a.TaskID, b.TaskID), cmp.Compare(a.MapIndex, b.MapIndex))
}

// tiFixture writes three runs of two DAGs with task instances in several
// states, pools and tries, with ties in every field and task instances
// without a state, a start, an end or a duration.
func tiFixture(t *testing.T, s store.Store) (ra, rb, rc *store.DagRun, all []*store.TaskInstance) {
	t.Helper()
	va, vb := syncDag(t, s, "a"), syncDag(t, s, "b")
	tasks := []store.TaskInstanceInit{
		{TaskID: "t1", MapIndex: -1, Pool: "default_pool", PoolSlots: 1, PriorityWeight: 3},
		{TaskID: "t2", MapIndex: -1, Pool: "db", PoolSlots: 1, PriorityWeight: 1},
		{TaskID: "m", MapIndex: 0, Pool: "default_pool", PoolSlots: 1, PriorityWeight: 2},
		{TaskID: "m", MapIndex: 1, Pool: "default_pool", PoolSlots: 1, PriorityWeight: 2},
	}
	rb = createRun(t, s, vb, "r1", day(1), tasks...)
	ra = createRun(t, s, va, "r1", day(2), tasks...)
	rc = createRun(t, s, va, "r2", day(1), tasks[:2]...)
	set := func(r *store.DagRun, taskID string, mapIndex int, state dag.TaskState, try int, queued, start, end *time.Time) {
		t.Helper()
		mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: taskID, MapIndex: mapIndex, State: state, TryDelta: try,
			QueuedAt: queued, StartDate: start, EndDate: end})
	}
	h := func(n int) *time.Time { return ptr(hour(n)) }
	set(ra, "t1", -1, dag.TaskSuccess, 1, h(0), h(1), h(3))
	set(ra, "t2", -1, dag.TaskFailed, 2, h(1), h(2), h(4))
	set(ra, "m", 0, dag.TaskRunning, 1, h(0), h(1), nil)
	set(rb, "t1", -1, dag.TaskSuccess, 1, h(2), h(3), h(4))
	set(rb, "m", 0, dag.TaskSuccess, 1, h(2), h(2), h(3))
	set(rb, "m", 1, dag.TaskScheduled, 0, nil, nil, nil)
	set(rc, "t1", -1, dag.TaskFailed, 3, h(5), h(5), h(7))
	set(rc, "t2", -1, dag.TaskQueued, 1, h(5), nil, nil)
	for _, r := range []*store.DagRun{ra, rb, rc} {
		tis, err := s.TaskInstanceListByRun(t.Context(), r.ID, nil)
		noErr(t, "TaskInstanceListByRun", err)
		all = append(all, tis...)
	}
	slices.SortFunc(all, cmpTIKey)
	return ra, rb, rc, all
}

// TaskInstanceStates gives the key and state of every task instance of the
// runs asked for, in key order, and nothing of other runs.
func testTaskInstanceStates(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	ra, _, rc, all := tiFixture(t, s)
	var want []store.TaskInstanceState
	for _, ti := range all {
		if ti.RunPK == ra.ID || ti.RunPK == rc.ID {
			want = append(want, store.TaskInstanceState{RunPK: ti.RunPK, TaskID: ti.TaskID, MapIndex: ti.MapIndex, State: ti.State})
		}
	}
	got, err := s.TaskInstanceStates(ctx, []int64{rc.ID, ra.ID})
	noErr(t, "TaskInstanceStates", err)
	if !slices.Equal(got, want) {
		t.Errorf("TaskInstanceStates:\n got  %v\n want %v", got, want)
	}
	if len(want) == 0 || !slices.ContainsFunc(want, func(x store.TaskInstanceState) bool { return x.State == dag.TaskNone }) {
		t.Fatal("the fixture should have task instances with and without a state")
	}
	got, err = s.TaskInstanceStates(ctx, nil)
	noErr(t, "TaskInstanceStates of no runs", err)
	if len(got) != 0 {
		t.Errorf("no runs: %v", got)
	}
}

func testTaskInstanceFilters(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	ra, rb, rc, all := tiFixture(t, s)
	in := func(tm *time.Time, from, to time.Time) bool {
		return tm != nil && !tm.Before(from) && !tm.After(to)
	}
	forever := day(1000)
	states := func(states ...dag.TaskState) func(*store.TaskInstance) bool {
		return func(ti *store.TaskInstance) bool { return slices.Contains(states, ti.State) }
	}
	checkFilters(t, all, []filterCase[store.TaskInstanceQueryParams, *store.TaskInstance]{
		{"one dag", store.TaskInstanceQueryParams{DagIDs: []string{"a"}}, func(ti *store.TaskInstance) bool { return ti.DagID == "a" }},
		{"one run", store.TaskInstanceQueryParams{RunPK: rb.ID}, func(ti *store.TaskInstance) bool { return ti.RunPK == rb.ID }},
		{"two runs", store.TaskInstanceQueryParams{RunPKs: []int64{ra.ID, rc.ID}},
			func(ti *store.TaskInstance) bool { return ti.RunPK == ra.ID || ti.RunPK == rc.ID }},
		{"runs and a state", store.TaskInstanceQueryParams{RunPKs: []int64{rb.ID, rc.ID}, States: []dag.TaskState{dag.TaskSuccess}},
			func(ti *store.TaskInstance) bool { return ti.RunPK != ra.ID && ti.State == dag.TaskSuccess }},
		{"run of another dag", store.TaskInstanceQueryParams{RunPK: rb.ID, DagIDs: []string{"a"}},
			func(*store.TaskInstance) bool { return false }},
		{"tasks", store.TaskInstanceQueryParams{TaskIDs: []string{"t1", "m"}},
			func(ti *store.TaskInstance) bool { return ti.TaskID != "t2" }},
		{"one state", store.TaskInstanceQueryParams{States: []dag.TaskState{dag.TaskSuccess}}, states(dag.TaskSuccess)},
		{"none", store.TaskInstanceQueryParams{States: []dag.TaskState{dag.TaskNone}}, states(dag.TaskNone)},
		{"none or success", store.TaskInstanceQueryParams{States: []dag.TaskState{dag.TaskSuccess, dag.TaskNone}},
			states(dag.TaskNone, dag.TaskSuccess)},
		{"states", store.TaskInstanceQueryParams{States: []dag.TaskState{dag.TaskFailed, dag.TaskQueued, dag.TaskScheduled}},
			states(dag.TaskFailed, dag.TaskQueued, dag.TaskScheduled)},
		{"pool", store.TaskInstanceQueryParams{Pools: []string{"db"}}, func(ti *store.TaskInstance) bool { return ti.Pool == "db" }},
		{"logical date", store.TaskInstanceQueryParams{LogicalDate: store.TimeRange{GTE: ptr(day(2))}},
			func(ti *store.TaskInstance) bool { return in(&ti.LogicalDate, day(2), forever) }},
		{"logical date, both ends included", store.TaskInstanceQueryParams{LogicalDate: store.TimeRange{GTE: ptr(day(1)), LTE: ptr(day(1))}},
			func(ti *store.TaskInstance) bool { return in(&ti.LogicalDate, day(1), day(1)) }},
		{"start date", store.TaskInstanceQueryParams{StartDate: store.TimeRange{GTE: ptr(hour(2)), LTE: ptr(hour(5))}},
			func(ti *store.TaskInstance) bool { return in(ti.StartDate, hour(2), hour(5)) }},
		{"end date", store.TaskInstanceQueryParams{EndDate: store.TimeRange{LTE: ptr(hour(3))}},
			func(ti *store.TaskInstance) bool { return in(ti.EndDate, day(0), hour(3)) }},
		{"dag and state", store.TaskInstanceQueryParams{DagIDs: []string{"a"}, States: []dag.TaskState{dag.TaskFailed}},
			func(ti *store.TaskInstance) bool { return ti.DagID == "a" && ti.State == dag.TaskFailed }},
		{"run and none", store.TaskInstanceQueryParams{RunPK: ra.ID, States: []dag.TaskState{dag.TaskNone, dag.TaskRunning}},
			func(ti *store.TaskInstance) bool {
				return ti.RunPK == ra.ID && states(dag.TaskNone, dag.TaskRunning)(ti)
			}},
		{"together", store.TaskInstanceQueryParams{DagIDs: []string{"a"}, TaskIDs: []string{"t2"}, Pools: []string{"db"},
			LogicalDate: store.TimeRange{LTE: ptr(day(1))}},
			func(ti *store.TaskInstance) bool { return ti.RunPK == rc.ID && ti.TaskID == "t2" }},
	}, tiPK, func(p store.TaskInstanceQueryParams, page store.Page) ([]*store.TaskInstance, int, error) {
		p.Page = page
		return s.TaskInstanceQuery(ctx, &p)
	})

	got, _, err := s.TaskInstanceQuery(ctx, &store.TaskInstanceQueryParams{RunPK: ra.ID, TaskIDs: []string{"t2"}})
	noErr(t, "TaskInstanceQuery", err)
	if len(got) != 1 || !reflect.DeepEqual(got[0], mustTI(t, s, ra.ID, "t2")) {
		t.Errorf("TaskInstanceQuery = %+v, want one task instance as TaskInstanceGet returns it", got)
	}
}

func testTaskInstanceOrder(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	_, _, _, all := tiFixture(t, s)
	str := func(f func(*store.TaskInstance) string) func(a, b *store.TaskInstance) int {
		return func(a, b *store.TaskInstance) int { return cmp.Compare(f(a), f(b)) }
	}
	num := func(f func(*store.TaskInstance) int) func(a, b *store.TaskInstance) int {
		return func(a, b *store.TaskInstance) int { return cmp.Compare(f(a), f(b)) }
	}
	checkOrders(t, all, []orderCase[*store.TaskInstance]{
		{field: "id"},
		{field: "dag_id", cmp: str(func(ti *store.TaskInstance) string { return ti.DagID })},
		{field: "run_id", cmp: str(func(ti *store.TaskInstance) string { return ti.RunID })},
		{field: "task_id", cmp: str(func(ti *store.TaskInstance) string { return ti.TaskID })},
		{field: "map_index", cmp: num(func(ti *store.TaskInstance) int { return ti.MapIndex })},
		{field: "state", cmp: str(func(ti *store.TaskInstance) string { return string(ti.State) }),
			null: func(ti *store.TaskInstance) bool { return ti.State == dag.TaskNone }},
		{field: "pool", cmp: str(func(ti *store.TaskInstance) string { return ti.Pool })},
		{field: "priority_weight", cmp: num(func(ti *store.TaskInstance) int { return ti.PriorityWeight })},
		{field: "try_number", cmp: num(func(ti *store.TaskInstance) int { return ti.TryNumber })},
		{field: "logical_date", cmp: func(a, b *store.TaskInstance) int { return cmpTime(a.LogicalDate, b.LogicalDate) }},
		{field: "start_date", cmp: func(a, b *store.TaskInstance) int { return cmpOptTime(a.StartDate, b.StartDate) },
			null: func(ti *store.TaskInstance) bool { return ti.StartDate == nil }},
		{field: "end_date", cmp: func(a, b *store.TaskInstance) int { return cmpOptTime(a.EndDate, b.EndDate) },
			null: func(ti *store.TaskInstance) bool { return ti.EndDate == nil }},
		{field: "queued_at", cmp: func(a, b *store.TaskInstance) int { return cmpOptTime(a.QueuedAt, b.QueuedAt) },
			null: func(ti *store.TaskInstance) bool { return ti.QueuedAt == nil }},
		{field: "duration", cmp: func(a, b *store.TaskInstance) int { return cmp.Compare(a.Duration(), b.Duration()) },
			null: func(ti *store.TaskInstance) bool { return ti.StartDate == nil || ti.EndDate == nil }},
	}, cmpTIKey, tiPK, func(page store.Page) ([]*store.TaskInstance, int, error) {
		return s.TaskInstanceQuery(ctx, &store.TaskInstanceQueryParams{Page: page})
	})

	// Durations a microsecond apart keep their order: no rounding.
	v := syncDag(t, s, "micro")
	r := createRun(t, s, v, "r1", day(9), task("x"), task("y"))
	mustApply(t, s,
		&store.TaskInstanceChange{RunPK: r.ID, TaskID: "x", MapIndex: -1, State: dag.TaskSuccess,
			StartDate: ptr(hour(1)), EndDate: ptr(hour(2).Add(time.Microsecond))},
		&store.TaskInstanceChange{RunPK: r.ID, TaskID: "y", MapIndex: -1, State: dag.TaskSuccess,
			StartDate: ptr(hour(1)), EndDate: ptr(hour(2))})
	got, _, err := s.TaskInstanceQuery(ctx, &store.TaskInstanceQueryParams{Page: store.Page{OrderBy: "-duration"}, RunPK: r.ID})
	noErr(t, "TaskInstanceQuery -duration", err)
	equalSlice(t, "tasks by -duration", pluck(got, taskIDOf), []string{"x", "y"})
}

func testDagVersions(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	var versions []*store.DagVersion
	for i, parsed := range []time.Time{hour(2), hour(1), hour(2)} {
		p := dagParams("etl", fmt.Sprint("h", i))
		p.ParsedAt = parsed
		v, _ := mustSync(t, s, p)
		versions = append(versions, v)
	}
	syncDag(t, s, "other")
	number := func(v *store.DagVersion) int { return v.VersionNumber }
	checkOrders(t, versions, []orderCase[*store.DagVersion]{
		{field: "version_number", cmp: func(a, b *store.DagVersion) int { return cmp.Compare(a.VersionNumber, b.VersionNumber) },
			unique: true},
		{field: "created_at", cmp: func(a, b *store.DagVersion) int { return cmpTime(a.CreatedAt, b.CreatedAt) }},
	}, func(a, b *store.DagVersion) int { return cmp.Compare(a.ID, b.ID) }, number,
		func(page store.Page) ([]*store.DagVersion, int, error) { return s.DagVersionList(ctx, "etl", page) })
	got, total, err := s.DagVersionList(ctx, "etl", store.Page{})
	noErr(t, "DagVersionList", err)
	equal(t, "total", total, 3)
	equalSlice(t, "default order", pluck(got, number), []int{1, 2, 3})
	if len(got) == 3 {
		equalVersion(t, got[1], versions[1])
	}
	got, total, err = s.DagVersionList(ctx, "nope", store.Page{})
	noErr(t, "DagVersionList of an unknown DAG", err)
	equal(t, "versions of an unknown DAG", len(got), 0)
	equal(t, "total of an unknown DAG", total, 0)

	v, err := s.DagVersionGetByNumber(ctx, "etl", 2)
	noErr(t, "DagVersionGetByNumber", err)
	equalVersion(t, v, versions[1])
	_, err = s.DagVersionGetByNumber(ctx, "etl", 4)
	wantNotFound(t, "DagVersionGetByNumber 4", err)
	_, err = s.DagVersionGetByNumber(ctx, "other", 2)
	wantNotFound(t, "DagVersionGetByNumber of another DAG", err)
}

func testOrderByUnknown(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	syncDag(t, s, "etl")
	runFields := []string{"id", "dag_id", "run_id", "state", "run_type", "logical_date", "start_date", "end_date", "queued_at"}
	tiFields := []string{"id", "dag_id", "run_id", "task_id", "map_index", "state", "pool", "priority_weight", "try_number",
		"logical_date", "start_date", "end_date", "queued_at", "duration"}
	for _, orderBy := range []string{"nope", "-nope", "-", "--id", "ID", "dag_id; DROP TABLE dag_run", "conf"} {
		field, _ := strings.CutPrefix(orderBy, "-")
		check := func(what string, allowed []string, err error) {
			t.Helper()
			var oe *store.OrderByError
			if !errors.As(err, &oe) {
				t.Errorf("%s ordered by %q: got error %v, want *store.OrderByError", what, orderBy, err)
				return
			}
			equal(t, what+" order_by error field", oe.Field, field)
			equalSlice(t, what+" allowed fields", oe.Allowed, allowed)
		}
		page := store.Page{OrderBy: orderBy, Limit: 10}
		_, _, err := s.DagQuery(ctx, &store.DagQueryParams{Page: page})
		check("DagQuery", []string{"dag_id", "next_dagrun", "last_parsed_time"}, err)
		_, _, err = s.DagRunQuery(ctx, &store.DagRunQueryParams{Page: page})
		check("DagRunQuery", runFields, err)
		_, _, err = s.TaskInstanceQuery(ctx, &store.TaskInstanceQueryParams{Page: page})
		check("TaskInstanceQuery", tiFields, err)
		_, _, err = s.DagVersionList(ctx, "etl", page)
		check("DagVersionList", []string{"version_number", "created_at"}, err)
	}
	// The run table is still there.
	_, total, err := s.DagRunQuery(ctx, &store.DagRunQueryParams{})
	noErr(t, "DagRunQuery", err)
	equal(t, "runs", total, 0)
}

func testDagRunDelete(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	v := syncDag(t, s, "etl")
	gone := createRun(t, s, v, "r1", day(1), task("a"), task("b"))
	kept := createRun(t, s, v, "r2", day(2), task("a"))
	for _, r := range []*store.DagRun{gone, kept} {
		mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, State: dag.TaskSuccess, TryDelta: 1,
			RecordTry: true, XCom: json.RawMessage(`{"n": 1}`)})
	}

	noErr(t, "DagRunDelete", s.DagRunDelete(ctx, gone.ID))
	_, err := s.DagRunGetByID(ctx, gone.ID)
	wantNotFound(t, "DagRunGetByID of the deleted run", err)
	tis, err := s.TaskInstanceListByRun(ctx, gone.ID, nil)
	noErr(t, "TaskInstanceListByRun", err)
	equal(t, "task instances of the deleted run", len(tis), 0)
	_, total, err := s.TaskInstanceQuery(ctx, &store.TaskInstanceQueryParams{})
	noErr(t, "TaskInstanceQuery", err)
	equal(t, "task instances left", total, 1)
	tries, err := s.TaskInstanceTries(ctx, gone.ID, "a", -1)
	noErr(t, "TaskInstanceTries", err)
	equal(t, "tries of the deleted run", len(tries), 0)
	xs, err := s.XComList(ctx, gone.ID)
	noErr(t, "XComList", err)
	equal(t, "xcom of the deleted run", len(xs), 0)

	// The other run keeps everything.
	equal(t, "kept run", mustRun(t, s, kept.ID).RunID, "r2")
	tries, err = s.TaskInstanceTries(ctx, kept.ID, "a", -1)
	noErr(t, "TaskInstanceTries of the kept run", err)
	equal(t, "tries of the kept run", len(tries), 1)
	xs, err = s.XComList(ctx, kept.ID)
	noErr(t, "XComList of the kept run", err)
	equal(t, "xcom of the kept run", len(xs), 1)
	_, total, err = s.DagRunQuery(ctx, &store.DagRunQueryParams{})
	noErr(t, "DagRunQuery", err)
	equal(t, "runs left", total, 1)

	wantNotFound(t, "DagRunDelete again", s.DagRunDelete(ctx, gone.ID))
	wantNotFound(t, "DagRunDelete of an unknown run", s.DagRunDelete(ctx, kept.ID+1000))
	// A run id can be used again once its run is gone.
	createRun(t, s, v, "r1", day(1), task("a"))
}
