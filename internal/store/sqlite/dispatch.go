package sqlite

import (
	"context"

	"github.com/updraft-dev/updraft/internal/store"
)

// TaskInstanceDispatch runs decide, then applies its changes in one
// transaction. Dispatches in this process take turns; updraft runs one
// scheduler per SQLite database (it takes a file lock), so no other process
// dispatches meanwhile. decide reads outside the write transaction because
// the store's reads share the writer's only connection; a change another
// process made meanwhile (a clear) still wins, since every change is guarded
// by state and try number.
func (s *Store) TaskInstanceDispatch(ctx context.Context, decide func(context.Context, store.DispatchTx) ([]*store.TaskInstanceChange, error)) ([]bool, error) {
	s.dispatchMu.Lock()
	defer s.dispatchMu.Unlock()
	changes, err := decide(ctx, dispatchTx{s})
	if err != nil || len(changes) == 0 {
		return nil, err
	}
	return s.TaskInstanceApply(ctx, changes)
}

type dispatchTx struct{ s *Store }

func (d dispatchTx) Candidates(ctx context.Context, p *store.TaskInstanceListParams) ([]*store.TaskInstance, error) {
	return d.s.TaskInstanceListByState(ctx, p)
}

func (d dispatchTx) CountActive(ctx context.Context) (*store.ActiveCounts, error) {
	return d.s.TaskInstanceCountActive(ctx)
}

func (d dispatchTx) Pools(ctx context.Context) ([]*store.Pool, error) { return d.s.PoolList(ctx) }
