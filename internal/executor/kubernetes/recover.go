package kubernetes

import (
	"context"
	"os"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/updraft-dev/updraft/internal/executor"
)

// Recover adopts the pods of the tries the store says were running: a
// restarted scheduler follows them instead of starting them again. Pods of
// this deployment whose try the database no longer has queued or running
// (Config.TryRunning) are deleted: their tries were settled while nobody
// watched. Pods of tries another scheduler follows are left alone. The
// pods looked at are those of the default namespace and of the namespaces
// the tries' tasks name: the executor lists nothing cluster-wide.
func (e *Executor) Recover(ctx context.Context, tries []executor.RunningTry) ([]executor.TryKey, error) {
	running := map[executor.TryKey]bool{}
	namespaces := []string{e.cfg.Namespace}
	for _, rt := range tries {
		running[rt.Key] = true
		if rt.Task != nil && rt.Task.Pod.Namespace != "" && !slices.Contains(namespaces, rt.Task.Pod.Namespace) {
			namespaces = append(namespaces, rt.Task.Pod.Namespace)
		}
	}
	var pods []*corev1.Pod
	for i, ns := range namespaces {
		list, err := e.podsIn(ctx, ns)
		if err != nil && i == 0 {
			return nil, err
		}
		if err != nil {
			// One namespace the executor may no longer read does not keep
			// the others' tries from being adopted; its tries are left to
			// the scheduler, which settles what nobody adopts.
			e.log.Warn("cannot look for pods to adopt", "namespace", ns, "err", err)
			continue
		}
		pods = append(pods, list...)
	}
	var adopted []executor.TryKey
	type follow struct {
		t   *try
		pod *corev1.Pod
	}
	var follows []follow
	for _, pod := range pods {
		key, ok := keyOf(pod)
		switch {
		case !ok || pod.DeletionTimestamp != nil:
			continue
		case !running[key]:
			if e.try(key) == nil && e.stray(ctx, key) {
				t := &try{key: key, ns: pod.Namespace, name: pod.Name}
				e.log.Info("deleting the pod of a try that is not running", "pod", pod.Namespace+"/"+pod.Name, "try", key.String())
				e.deletePod(t) //nolint:contextcheck // bounded by the executor's context, as every delete
			}
			continue
		}
		t := &try{key: key, ns: pod.Namespace, name: pod.Name, onFinish: e.cfg.OnFinishAction,
			startupTimeout: e.cfg.StartupTimeout, submittedAt: e.cfg.Now()}
		if a := pod.Annotations[annotationOnFinish]; a != "" {
			t.onFinish = a
		}
		t.timeout, t.timeoutLeft = remainingTimeout(pod, e.cfg.Now())
		// The log goes on where the last writer stopped: lines of that
		// second may repeat, none is lost.
		if fi, err := os.Stat(e.cfg.Logs.Path(logKey(key))); err == nil {
			t.logSince = fi.ModTime().Truncate(time.Second)
		}
		e.mu.Lock()
		if e.tries[key] != nil || len(e.tries) >= e.cfg.Parallelism {
			e.mu.Unlock()
			continue
		}
		e.tries[key] = t
		e.mu.Unlock()
		e.openLog(t)
		e.logf(t, "adopted pod %s/%s after a scheduler restart", t.ns, t.name)
		adopted = append(adopted, key)
		follows = append(follows, follow{t, pod})
	}
	for _, f := range follows {
		if f.pod.Status.Phase == corev1.PodPending {
			t := f.t
			t.mu.Lock()
			t.startTimer = time.AfterFunc(t.startupTimeout, func() { e.startupTimedOut(t) }) //nolint:contextcheck // a timer of the executor's
			t.mu.Unlock()
		}
		e.onPod(f.pod) //nolint:contextcheck // what follows an adopted pod outlives Recover's caller
	}
	return adopted, nil
}

// podsIn lists the pods of this deployment in a namespace, watching it
// from now on.
func (e *Executor) podsIn(ctx context.Context, ns string) ([]*corev1.Pod, error) {
	w, err := e.watchNamespace(ctx, ns)
	if err != nil {
		return nil, err
	}
	return w.lister.Pods(ns).List(labels.Everything())
}

// stray tells whether a pod's try is over in the database, so that no
// scheduler will ever follow the pod.
func (e *Executor) stray(ctx context.Context, key executor.TryKey) bool {
	if e.cfg.TryRunning == nil {
		return false
	}
	running, err := e.cfg.TryRunning(ctx, key)
	if err != nil {
		e.log.Warn("cannot tell whether a pod's try is running; leaving the pod", "try", key.String(), "err", err)
		return false
	}
	return !running
}

// remainingTimeout reads an adopted try's execution timeout and what is
// left of it, counted from the pod's start; zeros when it has none.
func remainingTimeout(pod *corev1.Pod, now time.Time) (total, left time.Duration) {
	total, err := time.ParseDuration(pod.Annotations[annotationTimeout])
	if err != nil || total <= 0 {
		return 0, 0
	}
	left = total
	if pod.Status.StartTime != nil {
		left -= now.Sub(pod.Status.StartTime.Time)
	}
	// Already past it: time out at once.
	return total, max(left, time.Millisecond)
}
