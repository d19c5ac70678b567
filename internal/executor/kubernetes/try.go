package kubernetes

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/tools/cache"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/podexec"
)

// try is one pod the executor follows.
type try struct {
	key      executor.TryKey
	pod      *corev1.Pod // as rendered; nil when adopted
	ns, name string

	timeout        time.Duration // execution_timeout
	timeoutLeft    time.Duration // of it, from when the executor follows the pod
	startupTimeout time.Duration
	onFinish       string
	submittedAt    time.Time
	createdAt      time.Time

	mu         sync.Mutex
	started    bool
	ended      bool // claimed by whoever reports the end
	startTimer *time.Timer
	runTimer   *time.Timer
	log        *os.File
	logSince   time.Time // adoption: the log stream starts here
	logLast    time.Time // the timestamp of the last line written
	logCancel  context.CancelFunc
	logDone    chan struct{}
}

func newTry(k executor.TryKey, pod *corev1.Pod, now time.Time) *try {
	return &try{key: k, pod: pod, ns: pod.Namespace, name: pod.Name, submittedAt: now}
}

func (t *try) isStarted() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.started
}

func (t *try) isEnded() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ended
}

// claimEnd reports whether the caller is the one to report the try's end.
func (t *try) claimEnd() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return false
	}
	t.ended = true
	return true
}

func (t *try) stopTimers() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tm := range []*time.Timer{t.startTimer, t.runTimer} {
		if tm != nil {
			tm.Stop()
		}
	}
}

func (t *try) stopLog() {
	t.mu.Lock()
	cancel := t.logCancel
	t.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// tryOf returns the informer object's pod and the try that follows it, or
// nil when no try does.
func (e *Executor) tryOf(obj any) (*corev1.Pod, *try) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	key, ok := keyOf(pod)
	if !ok {
		return nil, nil
	}
	if t := e.try(key); t != nil && t.name == pod.Name {
		return pod, t
	}
	return nil, nil
}

// onPod follows a pod through its phases: running reports Started, an end
// reports Finished.
func (e *Executor) onPod(obj any) {
	pod, t := e.tryOf(obj)
	if t == nil {
		return
	}
	phase := pod.Status.Phase
	if phase == corev1.PodRunning || phase == corev1.PodSucceeded || phase == corev1.PodFailed {
		e.markStarted(t, pod)
	}
	if (phase == corev1.PodSucceeded || phase == corev1.PodFailed) && t.claimEnd() {
		if e.cfg.Trace != nil {
			e.cfg.Trace(t.key, TraceEnded, e.cfg.Now())
		}
		// The informer's goroutine must not wait for the log.
		go e.ended(t, pod)
	}
}

// onPodGone fails a try whose pod was deleted by someone else before it
// ended.
func (e *Executor) onPodGone(obj any) {
	if pod, t := e.tryOf(obj); t != nil {
		e.end(t, fmt.Sprintf("pod %s/%s was deleted before it ended", pod.Namespace, pod.Name))
	}
}

// markStarted reports Started once, starts the execution timeout and the
// log stream.
func (e *Executor) markStarted(t *try, pod *corev1.Pod) {
	t.mu.Lock()
	if t.started || t.ended {
		t.mu.Unlock()
		return
	}
	t.started = true
	if t.startTimer != nil {
		t.startTimer.Stop()
	}
	if t.timeout > 0 {
		t.runTimer = time.AfterFunc(t.timeoutLeft, func() { e.end(t, fmt.Sprintf("timed out after %s", t.timeout)) })
	}
	ctx, cancel := context.WithCancel(e.ctx)
	t.logCancel, t.logDone = cancel, make(chan struct{})
	t.mu.Unlock()
	node := pod.Spec.NodeName
	e.logf(t, "pod %s/%s running on node %s", t.ns, t.name, node)
	e.emit(executor.Event{Key: t.key, Kind: executor.Started, Time: e.cfg.Now()})
	go e.streamLog(ctx, t)
}

// streamLog copies the main container's log into the try's log while the
// pod runs, so it stays readable after the pod is gone. It reconnects
// after a broken stream, skipping the lines it already has by their
// timestamps; when the pod ends, ended stops it and reads the rest.
func (e *Executor) streamLog(ctx context.Context, t *try) {
	defer close(t.logDone)
	// A task that ends within the first moment needs no stream: its log is
	// read once when it ends, which spares the API server a request per
	// short task.
	select {
	case <-ctx.Done():
		return
	case <-time.After(logStreamDelay):
	}
	for attempt := 0; ctx.Err() == nil; attempt++ {
		rc, err := e.client.CoreV1().Pods(t.ns).GetLogs(t.name, e.logOptions(t, true)).Stream(ctx)
		if err == nil {
			e.copyLog(t, rc)
			_ = rc.Close()
			if e.podDone(t) {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(time.Duration(attempt+1)*200*time.Millisecond, 2*time.Second)):
		}
	}
}

// logStreamDelay is how long a pod runs before its log is followed.
const logStreamDelay = time.Second

// logOptions read the main container's log from where the try's log has
// got to.
func (e *Executor) logOptions(t *try, follow bool) *corev1.PodLogOptions {
	opts := &corev1.PodLogOptions{Container: containerName, Follow: follow, Timestamps: true}
	t.mu.Lock()
	since := t.logSince
	if !t.logLast.IsZero() {
		since = t.logLast
	}
	t.mu.Unlock()
	if !since.IsZero() {
		opts.SinceTime = &metav1.Time{Time: since}
	}
	return opts
}

// finishLog reads what the ended container wrote after the stream's last
// line, in one request: a follow stream may not end by itself (it need not
// when the kubelet is slow to notice, and does not on simulated nodes), so
// ended does not wait for it.
func (e *Executor) finishLog(t *try) {
	t.stopLog()
	t.mu.Lock()
	done := t.logDone
	t.mu.Unlock()
	if done != nil {
		<-done
	}
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	rc, err := e.client.CoreV1().Pods(t.ns).GetLogs(t.name, e.logOptions(t, false)).Stream(ctx)
	if err != nil {
		e.logf(t, "cannot read the end of the pod's log: %v", permissionError(err, "get", "pods/log", t.ns))
		return
	}
	defer rc.Close()
	e.copyLog(t, rc)
}

// copyLog writes the stream's lines without their timestamps, skipping
// those not after the last one written.
func (e *Executor) copyLog(t *try, r io.Reader) {
	t.mu.Lock()
	last := t.logLast
	t.mu.Unlock()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var buf bytes.Buffer
	for sc.Scan() {
		line := sc.Bytes()
		stamp, text, ok := bytes.Cut(line, []byte(" "))
		ts, err := time.Parse(time.RFC3339Nano, string(stamp))
		if !ok || err != nil {
			text = line // not timestamped: keep it whole
		} else if !ts.After(last) {
			continue
		} else {
			last = ts
		}
		buf.Reset()
		buf.Write(text)
		buf.WriteByte('\n')
		e.writeLog(t, buf.Bytes())
		t.mu.Lock()
		t.logLast = last
		t.mu.Unlock()
	}
}

// podDone tells whether the try's main container has ended, so its log
// stream will not grow.
func (e *Executor) podDone(t *try) bool {
	pod := e.cachedPod(t)
	if pod == nil {
		return true
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return true
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == containerName && cs.State.Terminated != nil {
			return true
		}
	}
	return false
}

// ended reports the end of a pod that finished by itself.
func (e *Executor) ended(t *try, pod *corev1.Pod) {
	t.stopTimers()
	// The log first: what the task printed last is in the log before the
	// scheduler learns the try ended.
	e.finishLog(t)
	ev := result(pod)
	if ev.State == dag.TaskFailed {
		e.appendEvents(t)
	}
	e.logf(t, "pod %s/%s %s", t.ns, t.name, describeEnd(ev))
	if t.onFinish == "delete_pod" || (t.onFinish == "delete_succeeded_pod" && ev.State == dag.TaskSuccess) {
		e.deletePod(t)
	}
	e.finish(t, ev)
}

// result reads a finished pod's outcome: the main container's exit code,
// the reason Kubernetes gives (OOMKilled, Error, DeadlineExceeded), and
// the XCom value `updraft exec` left in the termination message.
func result(pod *corev1.Pod) executor.Event {
	ev := executor.Event{State: dag.TaskFailed, ExitCode: -1}
	var term *corev1.ContainerStateTerminated
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == containerName && cs.State.Terminated != nil {
			term = cs.State.Terminated
		}
	}
	var msg podexec.Message
	if term != nil {
		ev.ExitCode = int(term.ExitCode)
		msg, _ = podexec.ParseMessage(term.Message)
	}
	if pod.Status.Phase == corev1.PodSucceeded && (term == nil || term.ExitCode == 0) {
		ev.State, ev.ExitCode, ev.XCom = dag.TaskSuccess, 0, msg.XCom
		return ev
	}
	var parts []string
	switch {
	case pod.Status.Reason != "":
		// DeadlineExceeded (activeDeadlineSeconds), Evicted, ...
		parts = append(parts, pod.Status.Reason)
		if pod.Status.Message != "" {
			parts = append(parts, pod.Status.Message)
		}
	case term == nil:
		parts = append(parts, "the task's container did not run: "+pendingCause(pod))
	case term.Reason == "OOMKilled":
		parts = append(parts, fmt.Sprintf("OOMKilled (exit code %d)", term.ExitCode))
	default:
		parts = append(parts, fmt.Sprintf("exit code %d", term.ExitCode))
	}
	if msg.Error != "" {
		parts = append(parts, msg.Error)
	} else if term != nil && term.Message != "" && !strings.HasPrefix(strings.TrimSpace(term.Message), "{") {
		parts = append(parts, strings.TrimSpace(term.Message))
	}
	ev.Reason = strings.Join(parts, ": ")
	return ev
}

func describeEnd(ev executor.Event) string {
	if ev.State == dag.TaskSuccess {
		return "succeeded"
	}
	return "failed: " + ev.Reason
}

// pendingCause says why a pod has not started: a container waiting for
// its image or its configuration, or the scheduler's word on why it fits
// no node.
func pendingCause(pod *corev1.Pod) string {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "PodInitializing" && w.Reason != "ContainerCreating" {
				return strings.TrimSuffix(fmt.Sprintf("%s: %s", w.Reason, w.Message), ": ")
			}
			if term := cs.State.Terminated; term != nil && term.ExitCode != 0 && cs.Name == initContainerName {
				return fmt.Sprintf("init container %s exited with code %d: %s", cs.Name, term.ExitCode, term.Reason)
			}
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return strings.TrimSuffix(fmt.Sprintf("%s: %s", c.Reason, c.Message), ": ")
		}
	}
	if pod.Status.Phase != "" {
		return "pod " + strings.ToLower(string(pod.Status.Phase))
	}
	return "no status yet"
}

// appendEvents adds the pod's events to the try's log, for a failure the
// log of the task alone does not explain.
func (e *Executor) appendEvents(t *try) {
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	list, err := e.client.CoreV1().Events(t.ns).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", t.name).String()})
	if err != nil {
		e.logf(t, "cannot read the pod's events: %v", permissionError(err, "list", "events", t.ns))
		return
	}
	items := list.Items
	sort.SliceStable(items, func(i, j int) bool { return eventTime(items[i]).Before(eventTime(items[j])) })
	for _, ev := range items {
		e.logf(t, "pod event %s %s: %s", ev.Type, ev.Reason, strings.TrimSpace(ev.Message))
	}
}

func eventTime(ev corev1.Event) time.Time {
	switch {
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	}
	return ev.FirstTimestamp.Time
}

// finish reports a try's end and forgets it.
func (e *Executor) finish(t *try, ev executor.Event) {
	t.stopTimers()
	t.stopLog()
	ev.Key, ev.Kind, ev.Time = t.key, executor.Finished, e.cfg.Now()
	t.mu.Lock()
	if t.log != nil {
		if err := t.log.Close(); err != nil {
			e.log.Warn("closing a try's log failed", slog.String("try", t.key.String()), slog.Any("error", err))
		}
		t.log = nil
	}
	t.ended = true
	t.mu.Unlock()
	e.mu.Lock()
	if e.tries[t.key] == t {
		delete(e.tries, t.key)
	}
	e.mu.Unlock()
	e.emit(ev)
}

func logKey(k executor.TryKey) logstore.Key {
	return logstore.Key{DagID: k.DagID, RunID: k.RunID, TaskID: k.TaskID, MapIndex: k.MapIndex, TryNumber: k.TryNumber}
}

// openLog opens the try's log for appending.
func (e *Executor) openLog(t *try) {
	f, err := e.cfg.Logs.Create(logKey(t.key))
	if err != nil {
		e.log.Warn("cannot open a try's log", "try", t.key.String(), "err", err)
		return
	}
	t.mu.Lock()
	t.log = f
	t.mu.Unlock()
}

func (e *Executor) writeLog(t *try, b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.log == nil {
		return
	}
	if _, err := t.log.Write(b); err != nil {
		e.log.Warn("writing a try's log failed", slog.String("try", t.key.String()), slog.Any("error", err))
	}
}

// logf writes one of updraft's own lines into the try's log.
func (e *Executor) logf(t *try, format string, args ...any) {
	line := fmt.Sprintf("[%s] updraft: %s\n", e.cfg.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"), fmt.Sprintf(format, args...))
	e.writeLog(t, []byte(line))
}
