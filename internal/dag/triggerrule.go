package dag

// TriggerRule decides, from the states of a task's upstream tasks, whether the
// task runs, waits, is skipped or fails upstream. The names are Airflow's.
type TriggerRule string

const (
	AllSuccess              TriggerRule = "all_success"
	AllFailed               TriggerRule = "all_failed"
	AllDone                 TriggerRule = "all_done"
	AllSkipped              TriggerRule = "all_skipped"
	OneSuccess              TriggerRule = "one_success"
	OneFailed               TriggerRule = "one_failed"
	OneDone                 TriggerRule = "one_done"
	NoneFailed              TriggerRule = "none_failed"
	NoneSkipped             TriggerRule = "none_skipped"
	NoneFailedMinOneSuccess TriggerRule = "none_failed_min_one_success"
	Always                  TriggerRule = "always"
)

// TriggerRules lists every trigger rule.
func TriggerRules() []TriggerRule {
	return []TriggerRule{AllSuccess, AllFailed, AllDone, AllSkipped, OneSuccess, OneFailed,
		OneDone, NoneFailed, NoneSkipped, NoneFailedMinOneSuccess, Always}
}

// Valid reports whether r is one of Airflow's trigger rules.
func (r TriggerRule) Valid() bool {
	for _, v := range TriggerRules() {
		if r == v {
			return true
		}
	}
	return false
}

// UpstreamCounts tallies the states of a task's direct upstream tasks.
// Removed upstream tasks are left out of Total, as Airflow does.
type UpstreamCounts struct {
	Total          int
	Success        int
	Failed         int
	UpstreamFailed int
	Skipped        int
}

// Add counts one upstream task in state s.
func (c *UpstreamCounts) Add(s TaskState) {
	switch s {
	case TaskSuccess:
		c.Success++
	case TaskFailed:
		c.Failed++
	case TaskUpstreamFailed:
		c.UpstreamFailed++
	case TaskSkipped:
		c.Skipped++
	case TaskRemoved:
		return
	case TaskNone, TaskScheduled, TaskQueued, TaskRunning, TaskUpForRetry, TaskDeferred,
		TaskUpForReschedule, TaskRestarting:
	}
	c.Total++
}

func (c UpstreamCounts) done() int   { return c.Success + c.Failed + c.UpstreamFailed + c.Skipped }
func (c UpstreamCounts) failed() int { return c.Failed + c.UpstreamFailed }

// Decision is what a trigger rule says about a task whose upstream is in the
// given states.
type Decision int

const (
	// Wait: upstream tasks are still to finish before the rule can tell.
	Wait Decision = iota
	// Run: the task's dependencies are met.
	Run
	// Skip: the task will never run; it becomes skipped.
	Skip
	// FailUpstream: the task will never run; it becomes upstream_failed.
	FailUpstream
)

// Evaluate applies the rule as soon as the outcome is known, without waiting
// for every upstream task when the answer is already settled, as Airflow's
// trigger rule dependency does.
func (r TriggerRule) Evaluate(c UpstreamCounts) Decision {
	if c.Total == 0 {
		return Run
	}
	allDone := c.done() == c.Total
	switch r {
	case AllSuccess:
		switch {
		case c.failed() > 0:
			return FailUpstream
		case c.Skipped > 0:
			return Skip
		case c.Success == c.Total:
			return Run
		}
	case AllFailed:
		switch {
		case c.Success+c.Skipped > 0:
			return Skip
		case allDone:
			return Run
		}
	case AllDone:
		if allDone {
			return Run
		}
	case AllSkipped:
		switch {
		case c.Success+c.failed() > 0:
			return Skip
		case allDone:
			return Run
		}
	case OneSuccess:
		switch {
		case c.Success > 0:
			return Run
		case allDone && c.Skipped == c.Total:
			return Skip
		case allDone:
			return FailUpstream
		}
	case OneFailed:
		switch {
		case c.failed() > 0:
			return Run
		case allDone:
			return Skip
		}
	case OneDone:
		switch {
		case c.Success+c.Failed > 0:
			return Run
		case allDone:
			return Skip
		}
	case NoneFailed:
		switch {
		case c.failed() > 0:
			return FailUpstream
		case allDone:
			return Run
		}
	case NoneSkipped:
		switch {
		case c.Skipped > 0:
			return Skip
		case allDone:
			return Run
		}
	case NoneFailedMinOneSuccess:
		switch {
		case c.failed() > 0:
			return FailUpstream
		case allDone && c.Success > 0:
			return Run
		case allDone:
			return Skip
		}
	case Always:
		return Run
	}
	return Wait
}
