package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/executor/kubernetes"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/tasktoken"
)

// executors builds the executors the configuration names.
func (a *app) executors(ctx context.Context, st store.Store) (map[string]executor.Executor, error) {
	out := map[string]executor.Executor{}
	stopAll := func() {
		for _, ex := range out {
			ex.Stop()
		}
	}
	for _, name := range a.cfg.Executors() {
		switch name {
		case "local":
			ex, err := a.localExecutor()
			if err != nil {
				stopAll()
				return nil, err
			}
			out[name] = ex
		case "kubernetes":
			ex, err := a.kubernetesExecutor(ctx, st)
			if err != nil {
				stopAll()
				return nil, err
			}
			out[name] = ex
		default:
			stopAll()
			return nil, fmt.Errorf("executor: unknown executor %q", name)
		}
	}
	return out, nil
}

// kubernetesExecutor is the Kubernetes executor as configured.
func (a *app) kubernetesExecutor(ctx context.Context, st store.Store) (*kubernetes.Executor, error) {
	profiles := map[string]kubernetes.Profile{}
	for name, p := range a.cfg.KubernetesResourceProfiles {
		profiles[name] = kubernetes.Profile{Requests: p.Requests, Limits: p.Limits}
	}
	cfg := kubernetes.Config{
		Kubeconfig:      a.cfg.KubernetesKubeconfig,
		Context:         a.cfg.KubernetesContext,
		QPS:             float32(a.cfg.KubernetesQPS),
		Burst:           a.cfg.KubernetesBurst,
		Namespace:       a.cfg.KubernetesNamespace,
		Image:           a.cfg.KubernetesImage,
		UpdraftImage:    a.cfg.KubernetesUpdraftImage,
		PodTemplateFile: a.cfg.KubernetesPodTemplateFile,
		Profiles:        profiles,
		Parallelism:     a.cfg.KubernetesParallelism,
		StartupTimeout:  a.cfg.KubernetesStartupTimeout,
		OnFinishAction:  a.cfg.KubernetesOnFinishAction,
		TryRunning:      func(ctx context.Context, k executor.TryKey) (bool, error) { return tryRunning(ctx, st, k) },
		Logs:            logstore.FileStore{Dir: a.cfg.LogDir()},
		Logger:          a.log,
		Now:             time.Now,
	}
	if a.cfg.KubernetesAPIURL != "" {
		// The API server checks task tokens with the same secret key.
		key, err := a.secretKey()
		if err != nil {
			return nil, err
		}
		if a.cfg.SecretKey == "" && a.cfg.DatabaseURL != "" {
			// On a shared database the API servers are other processes,
			// likely on other machines, with keys of their own.
			a.log.Warn("kubernetes_api_url is set but secret_key is not: task tokens are signed with the key generated in "+
				"this data directory, which API servers elsewhere do not have; set the same secret_key for every process",
				"key_file", filepath.Join(a.cfg.DataDir, "secret_key"))
		}
		cfg.APIURL, cfg.TaskToken = a.cfg.KubernetesAPIURL, tasktoken.Issuer{Secret: key}.Issue
	}
	return kubernetes.New(ctx, cfg)
}

// tryRunning tells whether the store has a try queued or running: the pod
// of one that is not may be deleted.
func tryRunning(ctx context.Context, st store.Store, k executor.TryKey) (bool, error) {
	run, err := st.DagRunGet(ctx, k.DagID, k.RunID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ti, err := st.TaskInstanceGet(ctx, run.ID, k.TaskID, k.MapIndex)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	active := ti.State == dag.TaskQueued || ti.State == dag.TaskRunning || ti.State == dag.TaskRestarting
	return active && ti.TryNumber == k.TryNumber, nil
}
