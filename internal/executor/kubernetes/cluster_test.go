package kubernetes

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/updraft-dev/updraft/internal/executor/kubernetes/kubetest"
)

// The tests run against a real API server with etcd, kube-scheduler,
// kube-controller-manager and KWOK's simulated nodes, started by
// hack/kube/up.sh (which `make test` and CI run first, exporting
// UPDRAFT_KUBECONFIG). Each test gets a namespace of its own.

var (
	clusterOnce sync.Once
	clusterREST *rest.Config
	clusterErr  error
)

func testCluster(t testing.TB) *rest.Config {
	t.Helper()
	clusterOnce.Do(func() {
		kubeconfig, err := kubetest.Kubeconfig()
		if err != nil {
			clusterErr = err
			return
		}
		clusterREST, clusterErr = clientcmd.BuildConfigFromFlags("", kubeconfig)
	})
	if clusterErr != nil {
		t.Fatalf("test cluster: %v", clusterErr)
	}
	return rest.CopyConfig(clusterREST)
}

// testNamespace makes a namespace for one test, named after it, ready for
// pods, and deletes it afterwards.
func testNamespace(t *testing.T, rc *rest.Config) (string, kubernetes.Interface) {
	t.Helper()
	client := kubernetes.NewForConfigOrDie(rc)
	prefix := "ut-" + strings.ToLower(strings.NewReplacer("_", "-", "/", "-").Replace(t.Name()))
	if len(prefix) > 50 {
		prefix = prefix[:50]
	}
	return kubetest.Namespace(t, client, strings.Trim(prefix, "-")), client
}

// kwokTemplate is a pod template that sends pods to KWOK's simulated nodes.
func kwokTemplate(t *testing.T) string {
	return writeTemplate(t, `apiVersion: v1
kind: Pod
metadata:
  labels: {from-template: "yes"}
spec:
  nodeSelector: {updraft.dev/node-kind: kwok}
  tolerations: [{key: updraft.dev/node-kind, operator: Exists, effect: NoSchedule}]
  containers:
    - name: base
      image: busybox:template
      env: [{name: FROM_TEMPLATE, value: "1"}]
`)
}

// writeTemplate writes a pod template into the test's temporary directory
// and returns its path.
func writeTemplate(t *testing.T, tpl string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pod-template.yaml")
	if err := os.WriteFile(path, []byte(tpl), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func waitFor(t testing.TB, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// podGone tells whether a pod no longer exists.
func podGone(client kubernetes.Interface, ns, name string) bool {
	_, err := client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	return apierrors.IsNotFound(err)
}
