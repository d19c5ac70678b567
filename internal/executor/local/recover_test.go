package local_test

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/executor/local"
)

// orphan starts script the way an earlier scheduler would have started key:
// in its own process group with the try's identity in its environment. It
// returns the leader's pid and the pid the script prints first.
func orphan(t *testing.T, k executor.TryKey, script string) (leader, child int) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(),
		"UPDRAFT_DAG_ID="+k.DagID,
		"UPDRAFT_RUN_ID="+k.RunID,
		"UPDRAFT_TASK_ID="+k.TaskID,
		"UPDRAFT_TRY_NUMBER="+strconv.Itoa(k.TryNumber),
		"UPDRAFT_MAP_INDEX="+strconv.Itoa(k.MapIndex),
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	leader = cmd.Process.Pid
	killAtEnd(t, leader)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read child pid: %v", err)
	}
	child, err = strconv.Atoi(line[:len(line)-1])
	if err != nil {
		t.Fatal(err)
	}
	killAtEnd(t, child)
	// Reap the leader as init would reap a real orphan.
	go func() { _ = cmd.Wait() }()
	return leader, child
}

func TestRecover(t *testing.T) {
	t.Parallel()
	ex, _ := setup(t, func(c *local.Config) { c.KillGrace = 300 * time.Millisecond })
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}

	// A try whose leader and background child ignore SIGTERM.
	stubborn := key("stubborn")
	stubbornLeader, stubbornChild := orphan(t, stubborn, `trap "" TERM; sleep 60 & echo $!; wait; wait`)
	// A try whose leader is gone, with its child still in the group.
	headless := key("headless")
	headlessLeader, headlessChild := orphan(t, headless, `sleep 60 & echo $!`)
	assertGone(t, headlessLeader)
	// A PID now used by another try's process: same task, another run.
	reused := key("reused")
	other := reused
	other.RunID = "manual__another"
	reusedLeader, reusedChild := orphan(t, other, `sleep 60 & echo $!; wait`)
	// A try queued with no pid recorded whose process did start: found by
	// its identity.
	unrecorded := key("unrecorded")
	unrecordedLeader, unrecordedChild := orphan(t, unrecorded, `sleep 60 & echo $!; wait`)
	// A try that ran on another host.
	elsewhere := key("elsewhere")
	elsewhereLeader, elsewhereChild := orphan(t, elsewhere, `sleep 60 & echo $!; wait`)

	tries := []executor.RunningTry{
		{Key: stubborn, PID: stubbornLeader, Hostname: host},
		{Key: headless, PID: headlessLeader, Hostname: host},
		{Key: reused, PID: reusedLeader, Hostname: host},
		{Key: elsewhere, PID: elsewhereLeader, Hostname: "elsewhere.example"},
		{Key: key("no-pid"), Hostname: host},
		{Key: unrecorded, Hostname: host},
	}
	begin := time.Now()
	adopted, err := ex.Recover(t.Context(), tries)
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if adopted == nil || len(adopted) != 0 {
		t.Errorf("adopted = %#v, want an empty list", adopted)
	}
	if took := time.Since(begin); took < 300*time.Millisecond || took > 10*time.Second {
		t.Errorf("Recover took %v, want the grace before SIGKILL", took)
	}

	for _, pid := range []int{stubbornLeader, stubbornChild, headlessChild, unrecordedLeader, unrecordedChild} {
		if running(pid) {
			t.Errorf("process %d of a recovered try still runs", pid)
		}
	}
	for _, pid := range []int{reusedLeader, reusedChild, elsewhereLeader, elsewhereChild} {
		if !running(pid) {
			t.Errorf("unrelated process %d was killed", pid)
		}
	}
}

func TestRecoverNothing(t *testing.T) {
	t.Parallel()
	ex, _ := setup(t, nil)
	adopted, err := ex.Recover(t.Context(), nil)
	if err != nil || adopted == nil || len(adopted) != 0 {
		t.Errorf("Recover(nil) = %#v, %v, want an empty list", adopted, err)
	}
}
