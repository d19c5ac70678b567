package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
)

// Errors Submit returns; the scheduler fails the try with them.
var (
	ErrStopped     = errors.New("kubernetes executor stopped")
	ErrNoFreeSlot  = errors.New("kubernetes executor has no free slot")
	ErrAlreadyKnow = errors.New("try is already running")
)

// createWorkers create pods at once: each create is a round trip to the
// API server, which the client's QPS paces; Submit only queues.
const createWorkers = 16

// Executor runs each try as a pod. It is safe for concurrent use.
type Executor struct {
	cfg    Config
	client kubernetes.Interface
	log    *slog.Logger

	events  chan executor.Event
	creates chan *try
	stop    chan struct{}
	wg      sync.WaitGroup
	// ctx bounds the executor's own calls to the API server (creates,
	// deletes, log streams), which outlive any caller's context; Stop
	// cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	tries    map[executor.TryKey]*try
	watches  map[string]*watch // by namespace
	selector labels.Selector
}

// watch is the informer of one namespace's pods.
type watch struct {
	lister listersv1.PodLister
	synced cache.InformerSynced
}

var _ executor.Executor = (*Executor)(nil)

// New connects to the API server and starts watching the default
// namespace. It fails at once, naming what is missing, when the
// credentials may not list pods there.
func New(ctx context.Context, cfg Config) (*Executor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rc, err := cfg.restConfig()
	if err != nil {
		return nil, err
	}
	rc.QPS, rc.Burst = cfg.QPS, cfg.Burst
	rc.UserAgent = "updraft"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %w", err)
	}
	return newWithClient(ctx, cfg, client)
}

func newWithClient(ctx context.Context, cfg Config, client kubernetes.Interface) (*Executor, error) {
	sel := labels.SelectorFromSet(labels.Set{labelManagedBy: managedBy, labelInstance: cfg.Instance})
	e := &Executor{
		cfg: cfg, client: client, log: cfg.Logger,
		events:  make(chan executor.Event, 2*cfg.Parallelism+16),
		creates: make(chan *try, cfg.Parallelism),
		stop:    make(chan struct{}),
		tries:   map[executor.TryKey]*try{}, watches: map[string]*watch{}, selector: sel,
	}
	e.ctx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if _, err := e.watchNamespace(ctx, cfg.Namespace); err != nil {
		close(e.stop)
		e.cancel()
		return nil, err
	}
	for range createWorkers {
		e.wg.Go(e.createLoop)
	}
	return e, nil
}

// watchNamespace starts (once) the informer of a namespace's pods that
// this executor made, and waits for its first list. A missing permission
// is reported here, naming it, rather than as a silent informer retrying.
func (e *Executor) watchNamespace(ctx context.Context, ns string) (*watch, error) {
	e.mu.Lock()
	w := e.watches[ns]
	e.mu.Unlock()
	if w != nil {
		return w, nil
	}
	_, err := e.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: e.selector.String(), Limit: 1})
	if err != nil {
		return nil, permissionError(err, "list", "pods", ns)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(e.client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = e.selector.String() }))
	inf := factory.Core().V1().Pods()
	// The informer acts for the executor's lifetime, not for the caller
	// that made it watch: what it does uses the executor's context.
	_, err = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { e.onPod(obj) },    //nolint:contextcheck // see above
		UpdateFunc: func(_, obj any) { e.onPod(obj) }, //nolint:contextcheck // see above
		DeleteFunc: e.onPodGone,
	})
	if err != nil {
		return nil, err
	}
	w = &watch{lister: inf.Lister(), synced: inf.Informer().HasSynced}
	e.mu.Lock()
	if prev := e.watches[ns]; prev != nil {
		e.mu.Unlock()
		return prev, nil
	}
	e.watches[ns] = w
	e.mu.Unlock()
	factory.Start(e.stop)
	if !cache.WaitForCacheSync(ctx.Done(), w.synced) {
		return nil, fmt.Errorf("kubernetes: the pods of namespace %s did not sync: %w", ns, context.Cause(ctx))
	}
	return w, nil
}

// permissionError names the permission the executor lacks, and the Role
// that grants it.
func permissionError(err error, verb, resource, ns string) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("kubernetes: may not %s %s in namespace %s: %w (the executor needs the Role in deploy/manifests/rbac.yaml)",
			verb, resource, ns, err)
	}
	return fmt.Errorf("kubernetes: %s %s in namespace %s: %w", verb, resource, ns, err)
}

// Submit renders the try's pod and queues its creation.
func (e *Executor) Submit(ctx context.Context, req *executor.Request) error {
	pod, err := e.cfg.renderPod(req)
	if err != nil {
		return err
	}
	if _, err := e.watchNamespace(ctx, pod.Namespace); err != nil {
		return err
	}
	t := newTry(req.Key, pod, e.cfg.Now())
	t.timeout, t.timeoutLeft = req.Timeout, req.Timeout
	t.startupTimeout = e.cfg.StartupTimeout
	t.onFinish = e.cfg.OnFinishAction
	if req.Task != nil {
		if req.Task.Pod.StartupTimeout > 0 {
			t.startupTimeout = req.Task.Pod.StartupTimeout
		}
		if req.Task.Pod.OnFinishAction != "" {
			t.onFinish = req.Task.Pod.OnFinishAction
		}
	}
	e.mu.Lock()
	switch {
	case e.closed:
		e.mu.Unlock()
		return ErrStopped
	case len(e.tries) >= e.cfg.Parallelism:
		e.mu.Unlock()
		return ErrNoFreeSlot
	case e.tries[req.Key] != nil:
		e.mu.Unlock()
		return ErrAlreadyKnow
	}
	e.tries[req.Key] = t
	e.mu.Unlock()
	// Room is sure: creates holds Parallelism and so many tries at most.
	e.creates <- t
	return nil
}

// createLoop creates queued pods until Stop.
func (e *Executor) createLoop() {
	for {
		select {
		case <-e.stop:
			return
		case t := <-e.creates:
			e.create(t)
		}
	}
}

func (e *Executor) create(t *try) {
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	if t.isEnded() {
		return // cancelled before its turn came
	}
	e.openLog(t)
	t.createdAt = e.cfg.Now()
	if e.cfg.Trace != nil {
		e.cfg.Trace(t.key, TraceCreate, t.createdAt)
	}
	_, err := e.client.CoreV1().Pods(t.ns).Create(ctx, t.pod, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// Made by an earlier attempt at this same try (a create whose
		// answer was lost): follow it rather than run the try twice.
		err = nil
	}
	if err != nil {
		e.finish(t, executor.Event{State: dag.TaskFailed, ExitCode: -1,
			Reason: "cannot create pod: " + permissionError(err, "create", "pods", t.ns).Error()})
		return
	}
	if t.isEnded() {
		// Cancelled while the create was on its way.
		e.deletePod(t)
		return
	}
	e.logf(t, "pod %s/%s created (image %s)", t.ns, t.name, t.pod.Spec.Containers[0].Image)
	t.startTimer = time.AfterFunc(t.startupTimeout, func() { e.startupTimedOut(t) })
	// The informer may have seen the pod before the timer was set.
	if pod := e.cachedPod(t); pod != nil {
		e.onPod(pod)
	}
}

// cachedPod is the informer's copy of a try's pod, or nil.
func (e *Executor) cachedPod(t *try) *corev1.Pod {
	e.mu.Lock()
	w := e.watches[t.ns]
	e.mu.Unlock()
	if w == nil {
		return nil
	}
	pod, err := w.lister.Pods(t.ns).Get(t.name)
	if err != nil {
		return nil
	}
	return pod
}

// Cancel deletes a try's pod; the try fails as cancelled.
func (e *Executor) Cancel(key executor.TryKey) {
	t := e.try(key)
	if t == nil {
		return
	}
	e.end(t, "cancelled")
}

// end stops a try that has not ended by itself: its pod is deleted and it
// fails with reason.
func (e *Executor) end(t *try, reason string) {
	if !t.claimEnd() {
		return
	}
	e.logf(t, "%s: deleting pod %s/%s", reason, t.ns, t.name)
	e.deletePod(t)
	e.finish(t, executor.Event{State: dag.TaskFailed, ExitCode: -1, Reason: reason})
}

func (e *Executor) deletePod(t *try) {
	grace := int64(e.cfg.DeleteGrace / time.Second)
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	err := e.client.CoreV1().Pods(t.ns).Delete(ctx, t.name, metav1.DeleteOptions{GracePeriodSeconds: &grace})
	if err != nil && !apierrors.IsNotFound(err) {
		e.log.Warn("cannot delete a pod", "pod", t.ns+"/"+t.name, "err", permissionError(err, "delete", "pods", t.ns))
	}
}

// startupTimedOut fails a try whose pod is not running yet, with the cause
// Kubernetes gives for it.
func (e *Executor) startupTimedOut(t *try) {
	if t.isStarted() {
		return
	}
	cause := "no status yet"
	if pod := e.cachedPod(t); pod != nil {
		cause = pendingCause(pod)
	}
	e.end(t, fmt.Sprintf("pod did not start within %s: %s", t.startupTimeout, cause))
}

// Events delivers Started and Finished events.
func (e *Executor) Events() <-chan executor.Event { return e.events }

// FreeSlots is how many more tries Submit may start now.
func (e *Executor) FreeSlots() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return 0
	}
	return e.cfg.Parallelism - len(e.tries)
}

func (e *Executor) try(key executor.TryKey) *try {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tries[key]
}

// emit sends an event; the channel has room for every try's two.
func (e *Executor) emit(ev executor.Event) {
	select {
	case e.events <- ev:
	case <-e.stop:
	}
}

// Stop stops watching and creating. Running pods go on: a scheduler that
// starts again adopts them (Recover).
func (e *Executor) Stop() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	tries := make([]*try, 0, len(e.tries))
	for _, t := range e.tries {
		tries = append(tries, t)
	}
	e.mu.Unlock()
	close(e.stop)
	e.cancel()
	for _, t := range tries {
		t.stopTimers()
		t.stopLog()
	}
	e.wg.Wait()
}
