package scheduler

import (
	"context"
	"errors"
	"testing"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/spec"
)

// A version is parsed once, whether or not it parses: one that does not is
// not read and parsed again on each Get.
func TestVersionsParseOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{
		"good": "dag_id: good\ntasks: {a: {command: [echo, good]}}\n",
		"bad":  "dag_id: bad\ntasks: {a: {command: [echo, bad]}}\n",
	})
	good, bad := b.trigger(t, "good", nil), b.trigger(t, "bad", nil)
	parses := map[string]int{}
	versions := NewVersions(b.st, func(name string, src []byte) (*dag.DAG, error) {
		d, err := spec.Parse(name, src)
		if err == nil {
			parses[d.ID]++
			if d.ID == "bad" {
				return nil, errors.New("no longer valid")
			}
		}
		return d, err
	})
	for range 3 {
		if d, err := versions.Get(context.Background(), good.VersionID); err != nil || d.ID != "good" {
			t.Fatalf("good: %v %v", d, err)
		}
		var ue *UnloadableError
		if _, err := versions.Get(context.Background(), bad.VersionID); !errors.As(err, &ue) || ue.DagID != "bad" {
			t.Fatalf("bad: %v, want an UnloadableError", err)
		}
	}
	if parses["good"] != 1 || parses["bad"] != 1 {
		t.Errorf("parsed %v, want each version once", parses)
	}
}
