package dag

import "testing"

func counts(states ...TaskState) UpstreamCounts {
	var c UpstreamCounts
	for _, s := range states {
		c.Add(s)
	}
	return c
}

// Each rule against the upstream states that settle it, and those that do
// not yet: Airflow decides as soon as the outcome is known.
func TestTriggerRuleEvaluate(t *testing.T) {
	t.Parallel()
	const (
		ok   = TaskSuccess
		bad  = TaskFailed
		upf  = TaskUpstreamFailed
		skip = TaskSkipped
		run  = TaskRunning
		none = TaskNone
	)
	tests := []struct {
		rule     TriggerRule
		upstream []TaskState
		want     Decision
	}{
		{AllSuccess, nil, Run},
		{AllSuccess, []TaskState{ok, ok}, Run},
		{AllSuccess, []TaskState{ok, run}, Wait},
		{AllSuccess, []TaskState{bad, run}, FailUpstream},
		{AllSuccess, []TaskState{upf, ok}, FailUpstream},
		{AllSuccess, []TaskState{skip, ok}, Skip},
		{AllSuccess, []TaskState{ok, TaskRemoved}, Run},
		{AllFailed, []TaskState{bad, upf}, Run},
		{AllFailed, []TaskState{bad, run}, Wait},
		{AllFailed, []TaskState{bad, ok}, Skip},
		{AllDone, []TaskState{bad, ok, skip}, Run},
		{AllDone, []TaskState{bad, TaskUpForRetry}, Wait},
		{AllSkipped, []TaskState{skip, skip}, Run},
		{AllSkipped, []TaskState{skip, ok}, Skip},
		{AllSkipped, []TaskState{skip, none}, Wait},
		{OneSuccess, []TaskState{ok, run}, Run},
		{OneSuccess, []TaskState{bad, run}, Wait},
		{OneSuccess, []TaskState{bad, skip}, FailUpstream},
		{OneSuccess, []TaskState{skip, skip}, Skip},
		{OneFailed, []TaskState{bad, run}, Run},
		{OneFailed, []TaskState{ok, run}, Wait},
		{OneFailed, []TaskState{ok, skip}, Skip},
		{OneDone, []TaskState{bad, run}, Run},
		{OneDone, []TaskState{ok, none}, Run},
		{OneDone, []TaskState{skip, upf}, Skip},
		{OneDone, []TaskState{skip, run}, Wait},
		{NoneFailed, []TaskState{ok, skip}, Run},
		{NoneFailed, []TaskState{ok, upf}, FailUpstream},
		{NoneFailed, []TaskState{ok, run}, Wait},
		{NoneSkipped, []TaskState{ok, bad}, Run},
		{NoneSkipped, []TaskState{skip, run}, Skip},
		{NoneFailedMinOneSuccess, []TaskState{ok, skip}, Run},
		{NoneFailedMinOneSuccess, []TaskState{skip, skip}, Skip},
		{NoneFailedMinOneSuccess, []TaskState{bad, run}, FailUpstream},
		{NoneFailedMinOneSuccess, []TaskState{ok, run}, Wait},
		{Always, []TaskState{run, none}, Run},
	}
	for _, tt := range tests {
		if got := tt.rule.Evaluate(counts(tt.upstream...)); got != tt.want {
			t.Errorf("%s with upstream %v: %d, want %d", tt.rule, tt.upstream, got, tt.want)
		}
	}
	for _, r := range TriggerRules() {
		if !r.Valid() {
			t.Errorf("%s is not valid", r)
		}
	}
	if TriggerRule("all_good").Valid() {
		t.Error("all_good is valid")
	}
}

func TestTaskStateSets(t *testing.T) {
	t.Parallel()
	finished := map[TaskState]bool{TaskSuccess: true, TaskFailed: true, TaskSkipped: true, TaskUpstreamFailed: true, TaskRemoved: true}
	for _, s := range append(TaskStates(), TaskNone) {
		if s.Finished() != finished[s] {
			t.Errorf("%s: Finished() = %v", s, s.Finished())
		}
		if s.Active() != (s == TaskQueued || s == TaskRunning) {
			t.Errorf("%s: Active() = %v", s, s.Active())
		}
	}
	if TaskNone.String() != "none" || TaskQueued.String() != "queued" {
		t.Error("String of none and queued")
	}
}
