package kubernetes

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
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
		kubeconfig := os.Getenv("UPDRAFT_KUBECONFIG")
		if kubeconfig == "" {
			kubeconfig, clusterErr = kubeUp()
			if clusterErr != nil {
				return
			}
		}
		clusterREST, clusterErr = clientcmd.BuildConfigFromFlags("", kubeconfig)
	})
	if clusterErr != nil {
		t.Fatalf("test cluster: %v", clusterErr)
	}
	return rest.CopyConfig(clusterREST)
}

// kubeUp starts the test cluster (or finds it running) and returns its
// admin kubeconfig.
func kubeUp() (string, error) {
	out, err := exec.Command("../../../hack/kube/up.sh").CombinedOutput()
	if err != nil {
		return "", &upError{err: err, out: string(out)}
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if path, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
			return strings.TrimSpace(path), nil
		}
	}
	return "", &upError{out: string(out)}
}

type upError struct {
	err error
	out string
}

func (e *upError) Error() string {
	return "hack/kube/up.sh did not print READY: " + errString(e.err) + "\n" + e.out
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// testNamespace makes a namespace for one test, ready for pods (its
// default ServiceAccount exists), and deletes it afterwards.
func testNamespace(t *testing.T, rc *rest.Config) (string, kubernetes.Interface) {
	t.Helper()
	client := kubernetes.NewForConfigOrDie(rc)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := "ut-" + strings.ToLower(strings.ReplaceAll(t.Name(), "_", "-"))
	if len(ns) > 50 {
		ns = ns[:50]
	}
	ns = strings.Trim(ns, "-") + "-" + hex.EncodeToString(b)
	ns = strings.ReplaceAll(ns, "/", "-")
	ctx := context.Background()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	waitFor(t, "the namespace's default ServiceAccount", 60*time.Second, func() bool {
		_, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	return ns, client
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
