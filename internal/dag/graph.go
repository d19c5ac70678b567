package dag

import (
	"fmt"
	"slices"
	"strings"
)

// Graph is the task graph of a DAG: edges both ways, a topological order and
// the priority weight of each task.
type Graph struct {
	order      []string
	upstream   map[string][]string
	downstream map[string][]string
	weight     map[string]int
}

// UnknownUpstreamError says a task depends on a task the DAG does not have.
type UnknownUpstreamError struct {
	Task     string
	Upstream string
}

func (e *UnknownUpstreamError) Error() string {
	return fmt.Sprintf("task %q depends on unknown task %q", e.Task, e.Upstream)
}

// CycleError names the tasks of a cycle in dependency order, first task
// repeated at the end: a -> b -> c -> a.
type CycleError struct {
	Cycle []string
}

func (e *CycleError) Error() string {
	return "cycle in task dependencies: " + strings.Join(e.Cycle, " -> ")
}

// NewGraph builds the graph of tasks, or returns an *UnknownUpstreamError or a
// *CycleError.
func NewGraph(tasks []*Task) (*Graph, error) {
	g := &Graph{
		upstream:   make(map[string][]string, len(tasks)),
		downstream: make(map[string][]string, len(tasks)),
		weight:     make(map[string]int, len(tasks)),
	}
	byID := make(map[string]*Task, len(tasks))
	for _, t := range tasks {
		byID[t.ID] = t
	}
	for _, t := range tasks {
		for _, up := range t.Upstream {
			if byID[up] == nil {
				return nil, &UnknownUpstreamError{Task: t.ID, Upstream: up}
			}
			g.upstream[t.ID] = append(g.upstream[t.ID], up)
			g.downstream[up] = append(g.downstream[up], t.ID)
		}
	}
	if c := findCycle(tasks, g.upstream); c != nil {
		return nil, &CycleError{Cycle: c}
	}
	g.order = topoOrder(tasks, g.upstream, g.downstream)
	// Airflow's default weight rule, "downstream": a task's priority is its own
	// weight plus the weights of every task downstream of it, so long chains
	// start first.
	for i := len(g.order) - 1; i >= 0; i-- {
		id := g.order[i]
		w := byID[id].PriorityWeight
		for _, d := range g.Descendants(id) {
			w += byID[d].PriorityWeight
		}
		g.weight[id] = w
	}
	return g, nil
}

// Order returns the task ids in a topological order, stable with the file's order.
func (g *Graph) Order() []string { return g.order }

// Upstream returns the direct upstream task ids of id.
func (g *Graph) Upstream(id string) []string { return g.upstream[id] }

// Downstream returns the direct downstream task ids of id.
func (g *Graph) Downstream(id string) []string { return g.downstream[id] }

// PriorityWeight returns the effective priority of a task.
func (g *Graph) PriorityWeight(id string) int { return g.weight[id] }

// Descendants returns every task downstream of id, each once, in no
// particular order.
func (g *Graph) Descendants(id string) []string {
	seen := map[string]bool{}
	var out []string
	stack := slices.Clone(g.downstream[id])
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
		stack = append(stack, g.downstream[n]...)
	}
	return out
}

// Leaves returns the tasks with no downstream, in topological order.
func (g *Graph) Leaves() []string {
	var out []string
	for _, id := range g.order {
		if len(g.downstream[id]) == 0 {
			out = append(out, id)
		}
	}
	return out
}

// topoOrder is Kahn's algorithm, taking ready tasks in file order so the
// result is stable.
func topoOrder(tasks []*Task, up, down map[string][]string) []string {
	indeg := make(map[string]int, len(tasks))
	for _, t := range tasks {
		indeg[t.ID] = len(up[t.ID])
	}
	pos := make(map[string]int, len(tasks))
	for i, t := range tasks {
		pos[t.ID] = i
	}
	var ready []string
	for _, t := range tasks {
		if indeg[t.ID] == 0 {
			ready = append(ready, t.ID)
		}
	}
	order := make([]string, 0, len(tasks))
	for len(ready) > 0 {
		n := ready[0]
		ready = ready[1:]
		order = append(order, n)
		var next []string
		for _, d := range down[n] {
			indeg[d]--
			if indeg[d] == 0 {
				next = append(next, d)
			}
		}
		slices.SortFunc(next, func(a, b string) int { return pos[a] - pos[b] })
		ready = append(ready, next...)
	}
	return order
}

// findCycle returns one cycle as a path a -> ... -> a, or nil. Depth-first
// search with colors, iterating tasks in file order so the reported cycle is
// stable.
func findCycle(tasks []*Task, up map[string][]string) []string {
	const (
		white = iota
		grey
		black
	)
	color := make(map[string]int, len(tasks))
	var path []string
	var visit func(string) []string
	visit = func(n string) []string {
		color[n] = grey
		path = append(path, n)
		for _, u := range up[n] {
			switch color[u] {
			case grey:
				i := slices.Index(path, u)
				cycle := slices.Clone(path[i:])
				// path follows upstream edges; report in dependency order.
				slices.Reverse(cycle)
				return append(cycle, cycle[0])
			case white:
				if c := visit(u); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		color[n] = black
		return nil
	}
	for _, t := range tasks {
		if color[t.ID] == white {
			if c := visit(t.ID); c != nil {
				return c
			}
		}
	}
	return nil
}
