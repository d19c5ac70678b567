package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/updraft-dev/updraft/internal/store"
)

// TaskInstanceDispatch runs decide in a transaction whose reads lock what
// they return, then applies decide's changes in it and commits, releasing
// the locks. Schedulers dispatching at once each take other candidates
// (SKIP LOCKED) and take turns counting pool slots (the pools' rows are
// locked), so neither a try nor a pool's limit is given out twice. It is
// not retried on a deadlock, unlike the other writes: decide would run
// again, and the scheduler's next pass does that anyway.
func (s *Store) TaskInstanceDispatch(ctx context.Context, decide func(context.Context, store.DispatchTx) ([]*store.TaskInstanceChange, error)) ([]bool, error) {
	var applied []bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		changes, err := decide(ctx, &dispatchTx{tx: tx})
		if err != nil || len(changes) == 0 {
			return err
		}
		applied, err = applyChanges(ctx, tx, changes)
		return err
	})
	if err != nil {
		return nil, classify(ctx, err)
	}
	return applied, nil
}

// dispatchTx reads in the dispatch's transaction. Not safe for concurrent
// use, as the transaction is not.
type dispatchTx struct {
	tx pgx.Tx
	// poolsLocked is set once the pools' rows are locked.
	poolsLocked bool
}

// Candidates is TaskInstanceListByState locking its rows; rows another
// dispatch holds are skipped, and LIMIT counts only the rows locked.
func (d *dispatchTx) Candidates(ctx context.Context, p *store.TaskInstanceListParams) ([]*store.TaskInstance, error) {
	if len(p.States) == 0 {
		return nil, nil
	}
	q, args := listByState(p)
	return queryAll(ctx, d.tx, scanTI, q+` FOR UPDATE OF ti SKIP LOCKED`, args...)
}

// lockPools is Pools' lock: dispatches that count pool slots take turns.
const lockPools = `SELECT name, slots, description FROM slot_pool ORDER BY name FOR UPDATE`

// CountActive counts what is active once the pools are locked (it locks
// them first if Pools did not): every dispatch that queued before has
// committed by then, so none of its tries is missing from the count, in
// whichever order decide reads.
func (d *dispatchTx) CountActive(ctx context.Context) (*store.ActiveCounts, error) {
	if !d.poolsLocked {
		if _, err := exec(ctx, d.tx, lockPools); err != nil {
			return nil, err
		}
		d.poolsLocked = true
	}
	return countActive(ctx, d.tx)
}

// Pools lists the pools and locks them until the commit.
func (d *dispatchTx) Pools(ctx context.Context) ([]*store.Pool, error) {
	pools, err := queryAll(ctx, d.tx, scanPool, lockPools)
	if err == nil {
		d.poolsLocked = true
	}
	return pools, err
}
