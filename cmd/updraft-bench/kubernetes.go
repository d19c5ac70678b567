package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/executor/kubernetes"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/scheduler"
)

// The Kubernetes rows run pods on the test cluster's KWOK nodes (hack/kube),
// which move them to Succeeded at once: what is measured is updraft's own
// work and the API server's, not a container's.
//
//   - pods/s: one run of n independent pod tasks.
//   - overhead: a chain of pod tasks; from an upstream's success being
//     committed to the downstream's pod create call, and from the
//     informer showing a pod Succeeded to its task's success being
//     committed.

const kwokPodTemplate = `apiVersion: v1
kind: Pod
metadata:
  annotations: {sim.kwok/start-delay: 0s, sim.kwok/run-duration: 0s}
spec:
  nodeSelector: {updraft.dev/node-kind: kwok}
  tolerations: [{key: updraft.dev/node-kind, operator: Exists, effect: NoSchedule}]
`

// kubeHarness is a harness whose tasks run as pods in a namespace of their
// own, deleted afterwards.
type kubeHarness struct {
	*harness
	kex    *kubernetes.Executor
	client k8s.Interface
	ns     string
	mu     sync.Mutex
	trace  map[string]map[kubernetes.TraceEvent]time.Time // by task
}

func newKubeHarness(ctx context.Context, kubeconfig, dagYAML string) (*kubeHarness, error) {
	h, err := newHarness(ctx, dagYAML, 1)
	if err != nil {
		return nil, err
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		h.close()
		return nil, err
	}
	// The same pace as the executor's own client.
	rc.QPS, rc.Burst = kubernetes.DefaultQPS, kubernetes.DefaultBurst
	client, err := k8s.NewForConfig(rc)
	if err != nil {
		h.close()
		return nil, err
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := "bench-" + hex.EncodeToString(b)
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		h.close()
		return nil, err
	}
	kh := &kubeHarness{harness: h, client: client, ns: ns, trace: map[string]map[kubernetes.TraceEvent]time.Time{}}
	for deadline := time.Now().Add(time.Minute); ; {
		if _, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			kh.close(ctx)
			return nil, fmt.Errorf("namespace %s has no default ServiceAccount after a minute", ns)
		}
		time.Sleep(100 * time.Millisecond)
	}
	tpl := filepath.Join(h.dir, "pod-template.yaml")
	if err := os.WriteFile(tpl, []byte(kwokPodTemplate), 0o644); err != nil {
		kh.close(ctx)
		return nil, err
	}
	kh.kex, err = kubernetes.New(ctx, kubernetes.Config{
		REST: rc, Namespace: ns, Image: "bench:1", UpdraftImage: "updraft.local/updraft:dev", PodTemplateFile: tpl,
		Logs:   logstore.FileStore{Dir: filepath.Join(h.dir, "logs")},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Trace: func(key executor.TryKey, ev kubernetes.TraceEvent, at time.Time) {
			kh.mu.Lock()
			defer kh.mu.Unlock()
			if kh.trace[key.TaskID] == nil {
				kh.trace[key.TaskID] = map[kubernetes.TraceEvent]time.Time{}
			}
			kh.trace[key.TaskID][ev] = at
		},
	})
	if err != nil {
		kh.close(ctx)
		return nil, err
	}
	h.executors = map[string]executor.Executor{"kubernetes": kh.kex}
	h.defaultExecutor = "kubernetes"
	return kh, nil
}

func (kh *kubeHarness) close(ctx context.Context) {
	if kh.kex != nil {
		kh.kex.Stop()
	}
	_ = kh.client.CoreV1().Namespaces().Delete(context.WithoutCancel(ctx), kh.ns, metav1.DeleteOptions{})
	kh.harness.close()
}

func (kh *kubeHarness) traced(task string, ev kubernetes.TraceEvent) time.Time {
	kh.mu.Lock()
	defer kh.mu.Unlock()
	return kh.trace[task][ev]
}

func runKubeFanout(ctx context.Context, kubeconfig string, n int) (*result, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "dag_id: pods\nschedule: null\nmax_active_tasks: %d\ntasks:\n", n)
	for i := range n {
		fmt.Fprintf(&b, "  t%05d: {command: [\"true\"]}\n", i)
	}
	kh, err := newKubeHarness(ctx, kubeconfig, b.String())
	if err != nil {
		return nil, err
	}
	defer kh.close(ctx)
	done := 0
	cpu, cpuErr := readCPU()
	state, elapsed, err := kh.run(ctx, "pods", func(t scheduler.Transition) {
		if t.State == string(dag.TaskSuccess) {
			done++
		}
	})
	if err != nil {
		return nil, err
	}
	if state != dag.DagRunSuccess || done != n {
		return nil, fmt.Errorf("pod fan-out ended %s with %d of %d tasks succeeded", state, done, n)
	}
	rate := float64(n) / elapsed.Seconds()
	return &result{Rows: []row{
		{Name: fmt.Sprintf("Kubernetes: %d pod tasks on KWOK nodes: throughput", n),
			Figure: fmt.Sprintf("%.0f pods/s (%.1f s%s)", rate, elapsed.Seconds(), busySince(cpu, cpuErr)),
			Target: ">= 100 pods/s", Met: rate >= 100},
	}}, nil
}

func runKubeChain(ctx context.Context, kubeconfig string, n int) (*result, error) {
	var b strings.Builder
	b.WriteString("dag_id: podchain\nschedule: null\ntasks:\n")
	for i := range n {
		fmt.Fprintf(&b, "  t%04d:\n    command: [\"true\"]\n", i)
		if i > 0 {
			fmt.Fprintf(&b, "    depends_on: [t%04d]\n", i-1)
		}
	}
	kh, err := newKubeHarness(ctx, kubeconfig, b.String())
	if err != nil {
		return nil, err
	}
	defer kh.close(ctx)
	var mu sync.Mutex
	success := map[string]time.Time{}
	state, _, err := kh.run(ctx, "podchain", func(t scheduler.Transition) {
		if t.State == string(dag.TaskSuccess) {
			mu.Lock()
			success[t.TaskID] = t.Time
			mu.Unlock()
		}
	})
	if err != nil {
		return nil, err
	}
	if state != dag.DagRunSuccess {
		return nil, fmt.Errorf("pod chain ended %s", state)
	}
	var toCreate, toSuccess []time.Duration
	for i := range n {
		id := fmt.Sprintf("t%04d", i)
		created, ended := kh.traced(id, kubernetes.TraceCreate), kh.traced(id, kubernetes.TraceEnded)
		if created.IsZero() || ended.IsZero() || success[id].IsZero() {
			return nil, fmt.Errorf("task %s: missing a trace", id)
		}
		toSuccess = append(toSuccess, success[id].Sub(ended))
		if i > 0 {
			toCreate = append(toCreate, created.Sub(success[fmt.Sprintf("t%04d", i-1)]))
		}
	}
	c50, c99 := percentile(toCreate, 50), percentile(toCreate, 99)
	s50, s99 := percentile(toSuccess, 50), percentile(toSuccess, 99)
	return &result{Rows: []row{
		{Name: fmt.Sprintf("Kubernetes: chain of %d pods: upstream success to pod create, p50 (p99)", n),
			Figure: ms(c50) + " (" + ms(c99) + ")", Target: "<= 50 ms", Met: c50 <= 50*time.Millisecond},
		{Name: "Kubernetes: pod Succeeded seen to task success, p50 (p99)",
			Figure: ms(s50) + " (" + ms(s99) + ")", Target: "<= 50 ms", Met: s50 <= 50*time.Millisecond},
	}}, nil
}

// runKubeBaseline creates n pods straight through client-go, as many at
// once as the updraft executor would, and waits for all to succeed; then
// reads each one's log and deletes it, as any executor must. The two
// figures are the ceiling the test cluster itself sets on this machine,
// for creating pods alone and for the whole of a pod's work, beside which
// the executor's figure reads.
func runKubeBaseline(ctx context.Context, kubeconfig string, n int) (*result, error) {
	kh, err := newKubeHarness(ctx, kubeconfig, "dag_id: none\nschedule: null\ntasks: {a: {}}\n")
	if err != nil {
		return nil, err
	}
	defer kh.close(ctx)
	var tpl corev1.Pod
	if err := yaml.Unmarshal([]byte(kwokPodTemplate), &tpl); err != nil {
		return nil, err
	}
	tpl.Spec.Containers = []corev1.Container{{Name: "base", Image: "bench:1"}}
	tpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	tpl.Labels = map[string]string{"bench": "baseline"}
	pods := kh.client.CoreV1().Pods(kh.ns)
	name := func(i int) string { return fmt.Sprintf("baseline-%05d", i) }
	start := time.Now()
	if err := onEach(n, func(i int) error {
		p := tpl.DeepCopy()
		p.Name = name(i)
		_, err := pods.Create(ctx, p, metav1.CreateOptions{})
		return err
	}); err != nil {
		return nil, err
	}
	for {
		list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "bench=baseline", FieldSelector: "status.phase=Succeeded"})
		if err != nil {
			return nil, err
		}
		if len(list.Items) == n {
			break
		}
		if time.Since(start) > 10*time.Minute {
			return nil, fmt.Errorf("baseline: %d of %d pods succeeded after 10 minutes", len(list.Items), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	created := time.Since(start)
	if err := onEach(n, func(i int) error {
		logs, err := pods.GetLogs(name(i), &corev1.PodLogOptions{Container: "base"}).Stream(ctx)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, logs)
		_ = logs.Close()
		if err != nil {
			return err
		}
		return pods.Delete(ctx, name(i), metav1.DeleteOptions{})
	}); err != nil {
		return nil, err
	}
	whole := time.Since(start)
	rate := func(d time.Duration) string {
		return fmt.Sprintf("%.0f pods/s (%.1f s)", float64(n)/d.Seconds(), d.Seconds())
	}
	return &result{Rows: []row{
		{Name: fmt.Sprintf("Kubernetes: the test cluster alone, %d pods created by client-go", n),
			Figure: rate(created), Target: "(the ceiling on this machine)", Met: true},
		{Name: fmt.Sprintf("Kubernetes: the test cluster alone, %d pods created, logs read, deleted", n),
			Figure: rate(whole), Target: "(the ceiling for an executor's work)", Met: true},
	}}, nil
}

// onEach runs f for 0..n-1 on 16 workers, as the executor creates pods,
// and returns the first error.
func onEach(n int, f func(i int) error) error {
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range work {
				if err := f(i); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}
