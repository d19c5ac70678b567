// Command pause is the sandbox ("pause") process of the test cluster's real
// node, standing in for registry.k8s.io/pause, which cannot be pulled here.
// It holds the pod's namespaces open until the kubelet stops the sandbox.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// As pid 1 of a pod that shares its process namespace, the sandbox
	// inherits orphans; ignoring SIGCHLD makes the kernel reap them.
	signal.Ignore(syscall.SIGCHLD)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
