package dag

import (
	"errors"
	"slices"
	"sort"
	"testing"
)

func tasks(edges map[string][]string, order ...string) []*Task {
	var out []*Task
	for _, id := range order {
		out = append(out, &Task{ID: id, Upstream: edges[id], PriorityWeight: 1})
	}
	return out
}

func TestGraph(t *testing.T) {
	t.Parallel()
	// a -> b -> d, a -> c -> d, e alone; file order puts c before b.
	g, err := NewGraph(tasks(map[string][]string{"b": {"a"}, "c": {"a"}, "d": {"b", "c"}}, "e", "a", "c", "b", "d"))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Order(); !slices.Equal(got, []string{"e", "a", "c", "b", "d"}) {
		t.Errorf("order %v", got)
	}
	if got := g.Leaves(); !slices.Equal(got, []string{"e", "d"}) {
		t.Errorf("leaves %v", got)
	}
	desc := g.Descendants("a")
	sort.Strings(desc)
	if !slices.Equal(desc, []string{"b", "c", "d"}) {
		t.Errorf("descendants of a %v", desc)
	}
	// Airflow's downstream weight rule: own weight plus every descendant's.
	for id, want := range map[string]int{"a": 4, "b": 2, "c": 2, "d": 1, "e": 1} {
		if got := g.PriorityWeight(id); got != want {
			t.Errorf("priority of %s: %d, want %d", id, got, want)
		}
	}
	if got := g.Upstream("d"); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("upstream of d %v", got)
	}
}

func TestGraphErrors(t *testing.T) {
	t.Parallel()
	_, err := NewGraph(tasks(map[string][]string{"b": {"a"}, "c": {"b"}, "a": {"c"}, "x": {"a"}}, "x", "a", "b", "c"))
	var ce *CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("want a CycleError, got %v", err)
	}
	// Found from x, the first task in the file, walking upstream; named in
	// the order the tasks run.
	if got := ce.Error(); got != "cycle in task dependencies: b -> c -> a -> b" {
		t.Errorf("cycle message %q", got)
	}
	if len(ce.Cycle) != 4 || ce.Cycle[0] != ce.Cycle[3] {
		t.Errorf("cycle %v does not close on its first task", ce.Cycle)
	}
	_, err = NewGraph(tasks(map[string][]string{"a": {"ghost"}}, "a"))
	var ue *UnknownUpstreamError
	if !errors.As(err, &ue) || ue.Task != "a" || ue.Upstream != "ghost" {
		t.Fatalf("want an UnknownUpstreamError, got %v", err)
	}
	_, err = NewGraph(tasks(map[string][]string{"a": {"a"}}, "a"))
	if !errors.As(err, &ce) {
		t.Fatalf("self-dependency: want a CycleError, got %v", err)
	}
}

func TestParamCheck(t *testing.T) {
	t.Parallel()
	lo, hi := 1.0, 10.0
	tests := []struct {
		p  Param
		v  any
		ok bool
	}{
		{Param{Type: ParamInteger}, 3, true},
		{Param{Type: ParamInteger}, 3.0, true},
		{Param{Type: ParamInteger}, 3.5, false},
		{Param{Type: ParamInteger}, "3", false},
		{Param{Type: ParamNumber}, int64(3), true},
		{Param{Type: ParamString}, "x", true},
		{Param{Type: ParamString}, 1, false},
		{Param{Type: ParamBoolean}, true, true},
		{Param{Type: ParamArray}, []any{1}, true},
		{Param{Type: ParamArray}, map[string]any{}, false},
		{Param{Type: ParamObject}, map[string]any{"a": 1}, true},
		{Param{Type: ParamNull}, nil, true},
		{Param{}, "anything", true},
		{Param{Enum: []any{"fast", "slow"}}, "slow", true},
		{Param{Enum: []any{"fast", "slow"}}, "medium", false},
		{Param{Enum: []any{1, 2}}, 2.0, true},
		{Param{Type: ParamNumber, Minimum: &lo, Maximum: &hi}, 10, true},
		{Param{Type: ParamNumber, Minimum: &lo, Maximum: &hi}, 0.5, false},
		{Param{Type: ParamNumber, Minimum: &lo, Maximum: &hi}, 11, false},
	}
	for _, tt := range tests {
		if err := tt.p.Check(tt.v); (err == nil) != tt.ok {
			t.Errorf("%+v with %v: %v, want ok=%v", tt.p, tt.v, err, tt.ok)
		}
	}
}
