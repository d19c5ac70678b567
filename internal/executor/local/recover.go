package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/updraft-dev/updraft/internal/executor"
)

// killWait bounds how long Recover waits for processes to vanish after
// SIGKILL; only a process stuck in the kernel takes longer.
const killWait = 5 * time.Second

// Recover adopts nothing: a process started by an earlier scheduler process
// is not our child, so we could neither wait for it nor learn its exit code.
// Instead it makes sure those tries are over, so that the scheduler can
// retry or fail them without two copies running. For each try recorded on
// this host it finds the try's process group, SIGTERMs it, SIGKILLs it after
// KillGrace, and waits until it is gone.
//
// A PID in the store may by now belong to someone else. A group is killed
// only if its leader, or failing that one of its members, has the try's
// identity (UPDRAFT_DAG_ID, UPDRAFT_RUN_ID, UPDRAFT_TASK_ID,
// UPDRAFT_TRY_NUMBER, UPDRAFT_MAP_INDEX) in /proc/<pid>/environ. A process
// group id cannot be reused while the group has a member, so one matching
// member proves the whole group is the try's.
//
// It returns an error when the host name is unknown or processes survive
// SIGKILL; cancelling ctx cuts the grace period short, not the SIGKILL.
func (e *Executor) Recover(ctx context.Context, tries []executor.RunningTry) ([]executor.TryKey, error) {
	adopted := []executor.TryKey{}
	host, err := os.Hostname()
	if err != nil {
		return adopted, fmt.Errorf("recover: host name: %w", err)
	}
	e.mu.Lock()
	own := make(map[executor.TryKey]bool, len(e.running))
	for k := range e.running {
		own[k] = true
	}
	e.mu.Unlock()

	var targets []target
	var procs []procStat // scanned once, and only when a leader is gone
	scanned := false
	// The log of each try tells what became of it, so a reader of a log that
	// stops mid-way learns why.
	var noted []executor.TryKey
	defer func() {
		for _, k := range noted {
			e.noteInLog(k, "the scheduler that ran this try stopped; a new scheduler ended what was left of it")
		}
	}()
	for _, rt := range tries {
		if rt.Hostname != host || own[rt.Key] {
			continue
		}
		if rt.PID <= 0 {
			// Queued, or started without its start recorded: the store has
			// no pid, so look for the try's processes by their identity.
			if !scanned {
				procs, scanned = scanProc(), true
			}
			want := identityEnv(rt.Key)
			for _, p := range procs {
				if p.state != 'Z' && environHas(p.pid, want) {
					targets = append(targets, target{key: rt.Key, id: p.pgid, group: true})
					noted = append(noted, rt.Key)
					break
				}
			}
			continue
		}
		noted = append(noted, rt.Key)
		want := identityEnv(rt.Key)
		leader, err := readStat(rt.PID)
		leaderOurs := err == nil && environHas(rt.PID, want)
		groupOurs := leaderOurs && leader.pgid == rt.PID
		if !groupOurs {
			if !scanned {
				procs, scanned = scanProc(), true
			}
			for _, p := range procs {
				if p.pgid == rt.PID && p.state != 'Z' && environHas(p.pid, want) {
					groupOurs = true
					break
				}
			}
		}
		if groupOurs {
			targets = append(targets, target{key: rt.Key, id: rt.PID, group: true})
		}
		// A leader that moved to a group of its own is killed on its own.
		if leaderOurs && leader.pgid != rt.PID {
			targets = append(targets, target{key: rt.Key, id: rt.PID})
		}
		if !groupOurs && !leaderOurs {
			e.log.Info("recover: try's process is gone or not ours",
				slog.String("try", rt.Key.String()), slog.Int("pid", rt.PID))
		}
	}
	if len(targets) == 0 {
		return adopted, nil
	}

	for _, t := range targets {
		e.log.Warn("recover: terminating a try left running by a previous scheduler",
			slog.String("try", t.key.String()), slog.Int("pid", t.id), slog.Bool("group", t.group))
		_ = unix.Kill(t.sigID(), unix.SIGTERM)
	}
	left := waitGone(ctx, targets, e.cfg.KillGrace)
	for _, t := range left {
		e.log.Warn("recover: killing a try that ignored SIGTERM",
			slog.String("try", t.key.String()), slog.Int("pid", t.id))
		_ = unix.Kill(t.sigID(), unix.SIGKILL)
	}
	left = waitGone(context.WithoutCancel(ctx), left, killWait)
	if len(left) > 0 {
		return adopted, fmt.Errorf("recover: processes of %d tries survived SIGKILL, first %s (pid %d)",
			len(left), left[0].key, left[0].id)
	}
	return adopted, nil
}

// noteInLog appends a line of updraft's own to a try's log.
func (e *Executor) noteInLog(k executor.TryKey, msg string) {
	f, err := e.cfg.Logs.Create(logKey(k))
	if err != nil {
		e.log.Warn("cannot write to a try's log", slog.String("try", k.String()), slog.Any("error", err))
		return
	}
	e.logf(&try{key: k, log: f}, "%s", msg)
	_ = f.Close()
}

// target is a process group, or a single process, to end.
type target struct {
	key   executor.TryKey
	id    int
	group bool
}

func (t target) sigID() int {
	if t.group {
		return -t.id
	}
	return t.id
}

// waitGone polls until every target is gone or d has passed, and returns
// the ones left.
func waitGone(ctx context.Context, ts []target, d time.Duration) []target {
	deadline := time.Now().Add(d)
	delay := 5 * time.Millisecond
	for {
		ts = alive(ts)
		left := time.Until(deadline)
		if len(ts) == 0 || left <= 0 {
			return ts
		}
		timer := time.NewTimer(min(delay, left))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ts
		case <-timer.C:
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// alive returns the targets that still have a running process. A zombie
// counts as gone: it runs no more, and only its parent can remove it, which
// may never happen (PID 1 of many containers does not reap).
func alive(ts []target) []target {
	var live []target
	var procs []procStat
	scanned := false
	for _, t := range ts {
		if errors.Is(unix.Kill(t.sigID(), 0), unix.ESRCH) {
			continue
		}
		if !scanned {
			procs, scanned = scanProc(), true
		}
		if procs == nil || t.running(procs) {
			live = append(live, t)
		}
	}
	return live
}

func (t target) running(procs []procStat) bool {
	for _, p := range procs {
		if p.state == 'Z' || p.state == 'X' {
			continue
		}
		if (t.group && p.pgid == t.id) || (!t.group && p.pid == t.id) {
			return true
		}
	}
	return false
}

// procStat is what Recover needs of /proc/<pid>/stat.
type procStat struct {
	pid   int
	state byte
	pgid  int
}

// readStat parses /proc/<pid>/stat: "pid (comm) state ppid pgrp ...", where
// comm may itself hold spaces and parentheses, hence the last ')'.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	pgid, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat: %w", pid, err)
	}
	return procStat{pid: pid, state: f[0][0], pgid: pgid}, nil
}

// scanProc lists every process; nil when /proc cannot be read.
func scanProc() []procStat {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	procs := make([]procStat, 0, len(entries))
	for _, de := range entries {
		pid, err := strconv.Atoi(de.Name())
		if err != nil {
			continue
		}
		if p, err := readStat(pid); err == nil {
			procs = append(procs, p)
		}
	}
	return procs
}

// environHas reports whether the environment process pid started with holds
// every "NAME=value" of want. It is readable for our own user's processes,
// and for all when running as root; an unreadable one matches nothing.
func environHas(pid int, want []string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil || len(b) == 0 {
		return false
	}
	hay := make([]byte, 0, len(b)+2)
	hay = append(hay, 0)
	hay = append(hay, b...)
	if hay[len(hay)-1] != 0 {
		hay = append(hay, 0)
	}
	for _, kv := range want {
		if !bytes.Contains(hay, []byte("\x00"+kv+"\x00")) {
			return false
		}
	}
	return true
}
