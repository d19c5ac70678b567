package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

func exerciseXCom(t *testing.T, open Opener) {
	t.Run("StoreAndRead", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		fan := func(i int) store.TaskInstanceInit { ti := task("fan"); ti.MapIndex = i; return ti }
		r := createRun(t, s, v, "r1", day(1), task("a"), task("b"), fan(0), fan(1))
		other := createRun(t, s, v, "r2", day(2), task("a"))

		_, err := s.XComGet(ctx, r.ID, "a", -1, "return_value")
		wantNotFound(t, "XComGet before any", err)
		xs, err := s.XComList(ctx, r.ID)
		noErr(t, "XComList", err)
		equal(t, "xcoms of a new run", len(xs), 0)

		values := map[string]json.RawMessage{
			"a[-1]":  json.RawMessage(`{"rows": 10, "files": ["x.csv", "y.csv"]}`),
			"fan[0]": json.RawMessage(`[1, 2.5, null]`),
			"fan[1]": json.RawMessage(`"ünïcode\nline"`),
		}
		var changes []*store.TaskInstanceChange
		for _, c := range []struct {
			id string
			i  int
		}{{"a", -1}, {"fan", 0}, {"fan", 1}} {
			changes = append(changes, &store.TaskInstanceChange{RunPK: r.ID, TaskID: c.id, MapIndex: c.i,
				State: dag.TaskSuccess, XCom: values[fmt.Sprintf("%s[%d]", c.id, c.i)]})
		}
		changes = append(changes, &store.TaskInstanceChange{RunPK: other.ID, TaskID: "a", MapIndex: -1,
			State: dag.TaskSuccess, XCom: json.RawMessage(`"other run"`)})
		equalSlice(t, "applied", mustApply(t, s, changes...), []bool{true, true, true, true})

		x, err := s.XComGet(ctx, r.ID, "fan", 1, "return_value")
		noErr(t, "XComGet", err)
		equal(t, "run pk", x.RunPK, r.ID)
		equal(t, "dag id", x.DagID, "etl")
		equal(t, "run id", x.RunID, "r1")
		equal(t, "task id", x.TaskID, "fan")
		equal(t, "map index", x.MapIndex, 1)
		equal(t, "key", x.Key, "return_value")
		equalJSON(t, "value", x.Value, values["fan[1]"])
		recent(t, "timestamp", x.Timestamp)

		_, err = s.XComGet(ctx, r.ID, "fan", 1, "other_key")
		wantNotFound(t, "XComGet of another key", err)
		_, err = s.XComGet(ctx, r.ID, "b", -1, "return_value")
		wantNotFound(t, "XComGet of a task without one", err)

		xs, err = s.XComList(ctx, r.ID)
		noErr(t, "XComList", err)
		if len(xs) != len(values) {
			t.Fatalf("XComList lists %d, want %d", len(xs), len(values))
		}
		for _, x := range xs {
			k := fmt.Sprintf("%s[%d]", x.TaskID, x.MapIndex)
			want, ok := values[k]
			if !ok {
				t.Errorf("XComList lists %s", k)
				continue
			}
			equalJSON(t, k+" value", x.Value, want)
			equal(t, k+" run pk", x.RunPK, r.ID)
			equal(t, k+" dag id", x.DagID, "etl")
			equal(t, k+" run id", x.RunID, "r1")
			equal(t, k+" key", x.Key, "return_value")
			recent(t, k+" timestamp", x.Timestamp)
		}

		// A later try's value replaces the earlier one.
		mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, State: dag.TaskSuccess,
			XCom: json.RawMessage(`{"rows": 11}`)})
		x, err = s.XComGet(ctx, r.ID, "a", -1, "return_value")
		noErr(t, "XComGet", err)
		equalJSON(t, "replaced value", x.Value, json.RawMessage(`{"rows": 11}`))
		xs, err = s.XComList(ctx, r.ID)
		noErr(t, "XComList", err)
		equal(t, "xcoms after replace", len(xs), len(values))
	})

	t.Run("ClearedWhenANewTryStarts", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("a"), task("b"))
		mustApply(t, s,
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, State: dag.TaskSuccess, TryDelta: 1, XCom: json.RawMessage(`1`)},
			&store.TaskInstanceChange{RunPK: r.ID, TaskID: "b", MapIndex: -1, State: dag.TaskSuccess, TryDelta: 1, XCom: json.RawMessage(`2`)})
		// A second key of a's, pushed by its running try 2.
		mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, Try: 1, State: dag.TaskRunning, TryDelta: 1})
		ok, err := s.XComPush(ctx, &store.XComPushParams{RunPK: r.ID, TaskID: "a", MapIndex: -1, TryNumber: 2, Key: "rows", Value: json.RawMessage(`3`)})
		noErr(t, "XComPush", err)
		equal(t, "pushed", ok, true)

		// A change whose guard fails clears nothing.
		applied := mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, Try: 7,
			State: dag.TaskQueued, TryDelta: 1, ClearXCom: true})
		equalSlice(t, "applied with a wrong try", applied, []bool{false})
		xs, err := s.XComList(ctx, r.ID)
		noErr(t, "XComList", err)
		equal(t, "entries after a refused change", len(xs), 3)

		// Try 3 starts: a's entries go, b's stay.
		mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, Try: 2,
			State: dag.TaskQueued, TryDelta: 1, ClearXCom: true})
		xs, err = s.XComList(ctx, r.ID)
		noErr(t, "XComList", err)
		if len(xs) != 1 || xs[0].TaskID != "b" {
			t.Errorf("entries after a's new try: %d, want only b's", len(xs))
		}
		if _, err := s.TaskInstanceApply(ctx, []*store.TaskInstanceChange{{RunPK: r.ID, TaskID: "b", MapIndex: -1,
			State: dag.TaskQueued, ClearXCom: true, XCom: json.RawMessage(`4`)}}); err == nil {
			t.Error("a change that both clears and stores XCom was taken")
		}
	})

	t.Run("Push", func(t *testing.T) {
		s, ctx := setup(t, open)
		v := syncDag(t, s, "etl")
		r := createRun(t, s, v, "r1", day(1), task("a"), task("b"))
		push := func(try int, key, value string) bool {
			t.Helper()
			ok, err := s.XComPush(ctx, &store.XComPushParams{RunPK: r.ID, TaskID: "a", MapIndex: -1, TryNumber: try,
				Key: key, Value: json.RawMessage(value)})
			noErr(t, "XComPush", err)
			return ok
		}
		// Not yet queued: nothing is written.
		equal(t, "pushed before the try is queued", push(1, "return_value", `1`), false)
		mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, State: dag.TaskQueued, TryDelta: 1})
		equal(t, "pushed by the queued try", push(1, "return_value", `{"n": 1}`), true)
		mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, Try: 1, State: dag.TaskRunning})
		big := `{"blob": "` + strings.Repeat("x", 64<<10) + `"}`
		equal(t, "pushed by the running try", push(1, "return_value", big), true)
		equal(t, "pushed under another key", push(1, "rows", `42`), true)
		equal(t, "pushed by another try", push(2, "return_value", `"stale"`), false)

		x, err := s.XComGet(ctx, r.ID, "a", -1, "return_value")
		noErr(t, "XComGet", err)
		equalJSON(t, "pushed value", x.Value, json.RawMessage(big))
		recent(t, "timestamp", x.Timestamp)
		x, err = s.XComGet(ctx, r.ID, "a", -1, "rows")
		noErr(t, "XComGet rows", err)
		equalJSON(t, "rows", x.Value, json.RawMessage(`42`))
		_, err = s.XComGet(ctx, r.ID, "b", -1, "return_value")
		wantNotFound(t, "XComGet of the task that pushed nothing", err)

		// The try's success without a value of its own keeps the pushed one.
		mustApply(t, s, &store.TaskInstanceChange{RunPK: r.ID, TaskID: "a", MapIndex: -1, Try: 1, State: dag.TaskSuccess})
		equal(t, "pushed after the try ended", push(1, "return_value", `"late"`), false)
		x, err = s.XComGet(ctx, r.ID, "a", -1, "return_value")
		noErr(t, "XComGet after success", err)
		equalJSON(t, "value after success", x.Value, json.RawMessage(big))
	})
}

func exerciseVariable(t *testing.T, open Opener) {
	t.Run("Create", func(t *testing.T) {
		s, ctx := setup(t, open)
		noErr(t, "VariableCreate", s.VariableCreate(ctx, &store.Variable{Key: "k", Value: "first", Description: "d"}))
		err := s.VariableCreate(ctx, &store.Variable{Key: "k", Value: "second"})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("VariableCreate of an existing key: %v, want ErrConflict", err)
		}
		v, err := s.VariableGet(ctx, "k")
		noErr(t, "VariableGet", err)
		equal(t, "value after a refused create", v.Value, "first")
		equal(t, "description", v.Description, "d")
	})
	t.Run("CRUD", func(t *testing.T) {
		s, ctx := setup(t, open)
		_, err := s.VariableGet(ctx, "nope")
		wantNotFound(t, "VariableGet unknown", err)
		vs, err := s.VariableList(ctx)
		noErr(t, "VariableList", err)
		equal(t, "variables of an empty store", len(vs), 0)

		noErr(t, "VariableSet", s.VariableSet(ctx, &store.Variable{Key: "bucket", Value: "s3://data", Description: "where data lands"}))
		noErr(t, "VariableSet", s.VariableSet(ctx, &store.Variable{Key: "json", Value: "{\"a\": [1, 2]}\nünïcode"}))
		v, err := s.VariableGet(ctx, "bucket")
		noErr(t, "VariableGet", err)
		equal(t, "variable", *v, store.Variable{Key: "bucket", Value: "s3://data", Description: "where data lands"})

		noErr(t, "VariableSet replace", s.VariableSet(ctx, &store.Variable{Key: "bucket", Value: "s3://other"}))
		v, err = s.VariableGet(ctx, "bucket")
		noErr(t, "VariableGet", err)
		equal(t, "replaced variable", *v, store.Variable{Key: "bucket", Value: "s3://other"})

		vs, err = s.VariableList(ctx)
		noErr(t, "VariableList", err)
		got := map[string]store.Variable{}
		for _, v := range vs {
			got[v.Key] = *v
		}
		equal(t, "variables", len(vs), 2)
		equal(t, "listed json", got["json"], store.Variable{Key: "json", Value: "{\"a\": [1, 2]}\nünïcode"})

		noErr(t, "VariableDelete", s.VariableDelete(ctx, "bucket"))
		_, err = s.VariableGet(ctx, "bucket")
		wantNotFound(t, "VariableGet deleted", err)
		wantNotFound(t, "VariableDelete deleted", s.VariableDelete(ctx, "bucket"))
		vs, err = s.VariableList(ctx)
		noErr(t, "VariableList", err)
		equal(t, "variables after delete", len(vs), 1)
	})
}

func poolName(p *store.Pool) string { return p.Name }

func exercisePool(t *testing.T, open Opener) {
	t.Run("Create", func(t *testing.T) {
		s, ctx := setup(t, open)
		noErr(t, "PoolCreate", s.PoolCreate(ctx, &store.Pool{Name: "gpu", Slots: 2}))
		err := s.PoolCreate(ctx, &store.Pool{Name: "gpu", Slots: 9})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("PoolCreate of an existing name: %v, want ErrConflict", err)
		}
		p, err := s.PoolGet(ctx, "gpu")
		noErr(t, "PoolGet", err)
		equal(t, "slots after a refused create", p.Slots, 2)
		if err := s.PoolCreate(ctx, &store.Pool{Name: "default_pool", Slots: 1}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("PoolCreate default_pool: %v, want ErrConflict", err)
		}
	})
	t.Run("DefaultPool", func(t *testing.T) {
		s, ctx := setup(t, open)
		p, err := s.PoolGet(ctx, "default_pool")
		noErr(t, "PoolGet default_pool", err)
		equal(t, "default_pool slots", p.Slots, 128)
		ps, err := s.PoolList(ctx)
		noErr(t, "PoolList", err)
		equalSlice(t, "pools of a new store", pluck(ps, poolName), []string{"default_pool"})
	})

	t.Run("CRUD", func(t *testing.T) {
		s, ctx := setup(t, open)
		_, err := s.PoolGet(ctx, "db")
		wantNotFound(t, "PoolGet unknown", err)

		noErr(t, "PoolSet", s.PoolSet(ctx, &store.Pool{Name: "db", Slots: 4, Description: "the warehouse"}))
		p, err := s.PoolGet(ctx, "db")
		noErr(t, "PoolGet", err)
		equal(t, "pool", *p, store.Pool{Name: "db", Slots: 4, Description: "the warehouse"})

		// Zero slots is how a pool is drained.
		noErr(t, "PoolSet replace", s.PoolSet(ctx, &store.Pool{Name: "db", Slots: 0}))
		p, err = s.PoolGet(ctx, "db")
		noErr(t, "PoolGet", err)
		equal(t, "replaced pool", *p, store.Pool{Name: "db", Slots: 0})

		noErr(t, "PoolSet default_pool", s.PoolSet(ctx, &store.Pool{Name: "default_pool", Slots: 16, Description: "smaller"}))
		ps, err := s.PoolList(ctx)
		noErr(t, "PoolList", err)
		equalSet(t, "pools", pluck(ps, poolName), []string{"db", "default_pool"})
		for _, p := range ps {
			if p.Name == "default_pool" {
				equal(t, "listed default_pool", *p, store.Pool{Name: "default_pool", Slots: 16, Description: "smaller"})
			}
		}

		noErr(t, "PoolDelete", s.PoolDelete(ctx, "db"))
		_, err = s.PoolGet(ctx, "db")
		wantNotFound(t, "PoolGet deleted", err)
		wantNotFound(t, "PoolDelete deleted", s.PoolDelete(ctx, "db"))
		wantNotFound(t, "PoolDelete unknown", s.PoolDelete(ctx, "nope"))
	})
}
