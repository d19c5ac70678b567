package scheduler

import (
	"encoding/json"
	"testing"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/template"
)

// A param set by a run's conf renders as the same param from the DAG file
// does: conf comes from JSON, where 2 would otherwise be the float 2.0.
func TestConfParamsRenderLikeFileParams(t *testing.T) {
	d := &dag.DAG{ID: "d", Params: []dag.Param{{Name: "epochs", Default: 3}, {Name: "lr", Default: 0.1}, {Name: "tags", Default: []any{}}}}
	task := &dag.Task{ID: "t"}
	r := template.NewRenderer()
	for _, c := range []struct {
		conf string
		want string
	}{
		{``, "3 0.1 []"},
		{`{"epochs": 2, "lr": 0.5, "tags": [1, 2.5]}`, "2 0.5 [1, 2.5]"},
		{`{"epochs": 12345678901}`, "12345678901 0.1 []"},
	} {
		run := &store.DagRun{DagID: "d", RunID: "r", Conf: json.RawMessage(c.conf)}
		tc, err := TemplateContext(run, d, task, 1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Render(t.Context(), "{{ params.epochs }} {{ params.lr }} {{ params.tags }}", tc)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("conf %s: rendered %q, want %q", c.conf, got, c.want)
		}
	}
	if _, err := TemplateContext(&store.DagRun{Conf: json.RawMessage(`[1]`)}, d, task, 1); err == nil {
		t.Error("a conf that is not an object was accepted")
	}
}
