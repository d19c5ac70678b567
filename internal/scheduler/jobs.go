package scheduler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/store"
)

// ErrDeclaredDead is returned by Run when another scheduler declared this
// one dead (its heartbeat was missing for longer than the timeout) and
// settled its tries: going on would run them twice.
var ErrDeclaredDead = errors.New("this scheduler was declared dead by another one after missing heartbeats; stopping")

// startJob records this scheduler as a running job, retrying while the
// database cannot be reached.
func (s *Scheduler) startJob(ctx context.Context) error {
	p := &store.SchedulerJobStartParams{Hostname: s.cfg.Hostname, PID: os.Getpid()}
	return s.retryUnavailable(ctx, "register the scheduler", func() error {
		p.At = s.now()
		j, err := s.st.SchedulerJobStart(ctx, p)
		if err == nil {
			s.jobID = j.ID
			s.log.Info("scheduler started", "job_id", j.ID, "hostname", j.Hostname, "pid", j.PID)
		}
		return err
	})
}

// heartbeat records that this scheduler lives, every HeartbeatInterval,
// until ctx ends. It calls dead when the store says the job is no longer
// running. A heartbeat that fails for another reason (the database is
// away) is retried at the next interval: only other schedulers decide.
func (s *Scheduler) heartbeat(ctx context.Context, dead func()) {
	t := time.NewTicker(s.cfg.HeartbeatInterval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.st.SchedulerJobHeartbeat(ctx, s.jobID, s.now())
		switch {
		case errors.Is(err, store.ErrNotFound):
			dead()
			return
		case err != nil && ctx.Err() == nil:
			if !failing {
				s.log.Warn("scheduler heartbeat failed; retrying", "job_id", s.jobID, "err", err)
			}
			failing = true
		case err == nil && failing:
			s.log.Info("scheduler heartbeat recorded again", "job_id", s.jobID)
			failing = false
		}
	}
}

// endJob records a clean stop. Its tries become orphans, which the next
// scheduler to look settles at once instead of after the timeout. ctx may
// be done already: the record is written on a context of its own.
func (s *Scheduler) endJob(ctx context.Context) {
	if s.jobID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.st.SchedulerJobEnd(ctx, s.jobID, s.now()); err != nil {
		s.log.Warn("record scheduler stop", "job_id", s.jobID, "err", err)
	}
}

// reapJobs declares dead the schedulers that stopped heartbeating for
// longer than the timeout, and at once those on this host whose process is
// gone.
func (s *Scheduler) reapJobs(ctx context.Context) error {
	now := s.now()
	dead, err := s.st.SchedulerJobFailStale(ctx, now.Add(-s.cfg.HeartbeatTimeout), s.jobID, now)
	if err != nil {
		return err
	}
	for _, j := range dead {
		s.log.Warn("scheduler declared dead: no heartbeat", "job_id", j.ID, "hostname", j.Hostname, "pid", j.PID,
			"latest_heartbeat", j.LatestHeartbeat, "timeout", s.cfg.HeartbeatTimeout)
	}
	running, err := s.st.SchedulerJobList(ctx, true)
	if err != nil {
		return err
	}
	for _, j := range running {
		if j.ID == s.jobID || j.Hostname != s.cfg.Hostname || processAlive(j.PID) {
			continue
		}
		ok, err := s.st.SchedulerJobFail(ctx, j.ID, now)
		if err != nil {
			return err
		}
		if ok {
			s.log.Warn("scheduler declared dead: its process is gone", "job_id", j.ID, "hostname", j.Hostname, "pid", j.PID)
		}
	}
	return nil
}

// processAlive reports whether a process with this pid exists on this host.
// A pid reused by another process reads as alive: the job is then declared
// dead by its missing heartbeat instead, later but never wrongly.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// cancelStale cancels the tries this scheduler's executors run whose task
// instance moved on without them: cleared (restarting), skipped by a run
// timeout, or marked by hand, possibly by another scheduler or the API.
func (s *Scheduler) cancelStale(ctx context.Context) error {
	if len(s.inflight) == 0 {
		return nil
	}
	tis, err := s.st.TaskInstanceListByState(ctx, &store.TaskInstanceListParams{
		States: []dag.TaskState{dag.TaskQueued, dag.TaskRunning}, QueuedByJob: s.jobID})
	if err != nil {
		return err
	}
	live := make(map[executor.TryKey]bool, len(tis))
	for _, ti := range tis {
		live[tryKey(ti)] = true
	}
	for key, exName := range s.inflight {
		if !live[key] {
			s.executorFor(exName).Cancel(key)
		}
	}
	return nil
}

// retryUnavailable runs fn until it succeeds, returns an error other than
// store.ErrUnavailable, or ctx ends; while the database cannot be reached
// it says so and waits, doubling the wait up to 30s.
func (s *Scheduler) retryUnavailable(ctx context.Context, what string, fn func() error) error {
	wait := 200 * time.Millisecond
	for {
		err := fn()
		if err == nil || !errors.Is(err, store.ErrUnavailable) {
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}
		s.log.Error("database unreachable; retrying", "action", what, "retry_in", wait, "err", err)
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
		wait = min(2*wait, 30*time.Second)
	}
}
