// Package kubetest gives tests the project's Kubernetes test cluster (a
// real API server, KWOK's simulated nodes and, with --real-node, a real
// kubelet), which hack/kube/up.sh builds and starts, and namespaces of
// their own in it.
package kubetest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

var (
	once       sync.Once
	kubeconfig string
	upErr      error
)

// Kubeconfig is the test cluster's admin kubeconfig: $UPDRAFT_KUBECONFIG,
// which `make test` and CI export after starting the cluster, or else the
// one hack/kube/up.sh prints once it has started the cluster (or found it
// running).
func Kubeconfig() (string, error) {
	once.Do(func() {
		// A test harness, like pgserver: tests have no configuration.
		if kubeconfig = os.Getenv("UPDRAFT_KUBECONFIG"); kubeconfig != "" { //nolint:forbidigo // see above
			return
		}
		_, file, _, _ := runtime.Caller(0)
		up := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "hack", "kube", "up.sh")
		out, err := exec.Command(up).CombinedOutput()
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				kubeconfig = strings.TrimSpace(p)
			}
		}
		switch {
		case kubeconfig == "" && err != nil:
			upErr = fmt.Errorf("hack/kube/up.sh: %w:\n%s", err, out)
		case kubeconfig == "":
			upErr = fmt.Errorf("hack/kube/up.sh printed no READY line:\n%s", out)
		}
	})
	return kubeconfig, upErr
}

// Namespace makes a namespace named prefix-RANDOM, waits until pods may be
// created in it (its default ServiceAccount exists), and deletes it when
// the test ends.
func Namespace(t testing.TB, client kubernetes.Interface, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := prefix + "-" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return ns
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s without its default ServiceAccount after a minute", ns)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
