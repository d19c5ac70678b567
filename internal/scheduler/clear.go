package scheduler

import (
	"context"
	"fmt"
	"slices"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// ClearParams says which task instances of a run to clear.
type ClearParams struct {
	Run *store.DagRun
	// Dag is the version of the DAG the run uses.
	Dag *dag.DAG
	// TaskIDs are the tasks to clear; every task when empty.
	TaskIDs []string
	// Downstream clears the named tasks' downstream tasks too.
	Downstream bool
	// OnlyFailed clears only failed and upstream_failed task instances.
	OnlyFailed bool
	// DryRun returns what would be cleared and changes nothing.
	DryRun bool
}

// Clear resets task instances of a run so they run again, with their
// retries renewed, and puts the run back in queued; it returns the task
// instances it cleared (would clear, with DryRun).
func Clear(ctx context.Context, st store.Store, p *ClearParams) ([]*store.TaskInstance, error) {
	ids, err := ClearSelection(p.Dag, p.TaskIDs, p.Downstream)
	if err != nil {
		return nil, err
	}
	if p.DryRun {
		tis, err := st.TaskInstanceListByRun(ctx, p.Run.ID, ids)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(tis, func(ti *store.TaskInstance) bool {
			return p.OnlyFailed && ti.State != dag.TaskFailed && ti.State != dag.TaskUpstreamFailed
		}), nil
	}
	retries := map[string]int{}
	for _, t := range p.Dag.Tasks {
		retries[t.ID] = t.Retries
	}
	return st.TaskInstanceClear(ctx, &store.TaskInstanceClearParams{RunPK: p.Run.ID, TaskIDs: ids,
		OnlyFailed: p.OnlyFailed, Retries: retries})
}

// ClearSelection names the tasks to clear: the named ones (all when none),
// and their downstream when asked.
func ClearSelection(d *dag.DAG, taskIDs []string, downstream bool) ([]string, error) {
	if len(taskIDs) == 0 {
		return nil, nil
	}
	seen := map[string]bool{}
	var out []string
	for _, id := range taskIDs {
		if d.Task(id) == nil {
			return nil, fmt.Errorf("dag %s has no task %q", d.ID, id)
		}
		ids := []string{id}
		if downstream {
			ids = append(ids, d.Graph().Descendants(id)...)
		}
		for _, x := range ids {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	return out, nil
}
