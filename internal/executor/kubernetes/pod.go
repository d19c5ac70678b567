package kubernetes

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/podexec"
)

// Labels and annotations on every pod. Label values must be short and
// plain, so the labels hold readable forms for kubectl and the try's hash
// for exact lookup; the annotations hold the exact values.
const (
	labelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "updraft"
	labelInstance  = "updraft.dev/instance"
	labelTry       = "updraft.dev/try"
	labelDagID     = "updraft.dev/dag-id"
	labelRunID     = "updraft.dev/run-id"
	labelTaskID    = "updraft.dev/task-id"
	labelTryNumber = "updraft.dev/try-number"
	labelMapIndex  = "updraft.dev/map-index"

	annotationDagID     = "updraft.dev/dag-id"
	annotationRunID     = "updraft.dev/run-id"
	annotationTaskID    = "updraft.dev/task-id"
	annotationTryNumber = "updraft.dev/try-number"
	annotationMapIndex  = "updraft.dev/map-index"
	// annotationOnFinish keeps the task's on_finish_action with its pod,
	// for a scheduler that adopts the pod after a restart.
	annotationOnFinish = "updraft.dev/on-finish-action"
	// annotationTimeout keeps the task's execution_timeout, so that an
	// adopted try is still timed out.
	annotationTimeout = "updraft.dev/execution-timeout"
)

// The task's container is named as Airflow's KubernetesPodOperator names
// it; updraft's init container puts the updraft binary into a shared
// emptyDir, where `updraft exec` also keeps the XCom file.
const (
	containerName     = "base"
	initContainerName = "updraft-init"
	toolsVolume       = "updraft-tools"
	toolsDir          = "/opt/updraft"
	toolsBinary       = toolsDir + "/updraft"
	xcomFile          = toolsDir + "/xcom.json"
)

// tryHash identifies a try in a label value: the first 40 hex digits of
// the SHA-256 of its key.
func tryHash(k executor.TryKey) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d", k.DagID, k.RunID, k.TaskID, k.MapIndex, k.TryNumber)))
	return hex.EncodeToString(sum[:20])
}

var notLabelChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// labelValue is a readable label value for s: characters a label may not
// hold become "-", and a value that had to change or be cut keeps a short
// hash of s so that two ids do not share it.
func labelValue(s string) string {
	v := notLabelChars.ReplaceAllString(s, "-")
	v = strings.Trim(v, "-_.")
	if v == s && len(v) <= 63 {
		return v
	}
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:4])
	if len(v) > 54 {
		v = strings.Trim(v[:54], "-_.")
	}
	if v == "" {
		return h
	}
	return v + "-" + h
}

var notNameChars = regexp.MustCompile(`[^a-z0-9-]+`)

// podName names a try's pod: readable parts of the DAG and task ids, and
// the try's hash, within the 63 characters of a DNS label. The same try
// always gets the same name, so creating its pod twice is refused by the
// API server rather than running it twice.
func podName(k executor.TryKey) string {
	part := func(s string, n int) string {
		s = notNameChars.ReplaceAllString(strings.ToLower(s), "-")
		s = strings.Trim(s, "-")
		if len(s) > n {
			s = strings.Trim(s[:n], "-")
		}
		return s
	}
	name := strings.Trim(part(k.DagID, 24)+"-"+part(k.TaskID, 24), "-")
	return strings.TrimLeft(name+"-"+tryHash(k)[:12], "-")
}

// tryLabels are the labels that identify a try's pod.
func tryLabels(instance string, k executor.TryKey) map[string]string {
	l := map[string]string{
		labelManagedBy: managedBy,
		labelInstance:  instance,
		labelTry:       tryHash(k),
		labelDagID:     labelValue(k.DagID),
		labelRunID:     labelValue(k.RunID),
		labelTaskID:    labelValue(k.TaskID),
		labelTryNumber: strconv.Itoa(k.TryNumber),
	}
	// As Airflow's pods, only a mapped task's carry its index: -1 is not a
	// label value.
	if k.MapIndex >= 0 {
		l[labelMapIndex] = strconv.Itoa(k.MapIndex)
	}
	return l
}

// keyOf reads a pod's try from its annotations.
func keyOf(pod *corev1.Pod) (executor.TryKey, bool) {
	a := pod.Annotations
	try, err1 := strconv.Atoi(a[annotationTryNumber])
	mapIndex, err2 := strconv.Atoi(a[annotationMapIndex])
	k := executor.TryKey{DagID: a[annotationDagID], RunID: a[annotationRunID], TaskID: a[annotationTaskID],
		TryNumber: try, MapIndex: mapIndex}
	if err1 != nil || err2 != nil || k.DagID == "" || k.RunID == "" || k.TaskID == "" {
		return k, false
	}
	// A pod whose labels and annotations disagree was not made by us.
	return k, pod.Labels[labelTry] == tryHash(k)
}

// renderPod builds a try's pod: the pod template when there is one, the
// task's pod fields over it, and the task's pod_override over both.
func (c *Config) renderPod(req *executor.Request) (*corev1.Pod, error) {
	var task dag.Task
	if req.Task != nil {
		task = *req.Task
	}
	p := task.Pod
	pod := &corev1.Pod{}
	if c.podTemplate != nil {
		pod = c.podTemplate.DeepCopy()
	}
	pod.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	k := req.Key
	name, ids := podName(k), tryLabels(c.Instance, k)
	pod.Name = name
	pod.GenerateName = ""
	pod.Namespace = cmp.Or(p.Namespace, c.Namespace)

	pod.Labels = merged(pod.Labels, c.Labels, p.Labels, ids)
	pod.Annotations = merged(pod.Annotations, p.Annotations, map[string]string{
		annotationDagID: k.DagID, annotationRunID: k.RunID, annotationTaskID: k.TaskID,
		annotationTryNumber: strconv.Itoa(k.TryNumber), annotationMapIndex: strconv.Itoa(k.MapIndex),
		annotationOnFinish: cmp.Or(p.OnFinishAction, c.OnFinishAction),
	})
	if req.Timeout > 0 {
		pod.Annotations[annotationTimeout] = req.Timeout.String()
	}

	spec := &pod.Spec
	spec.RestartPolicy = corev1.RestartPolicyNever
	if p.ServiceAccountName != "" {
		spec.ServiceAccountName = p.ServiceAccountName
	}
	if p.PriorityClassName != "" {
		spec.PriorityClassName = p.PriorityClassName
	}
	if len(p.NodeSelector) > 0 {
		spec.NodeSelector = merged(spec.NodeSelector, p.NodeSelector)
	}
	if p.ActiveDeadline > 0 {
		secs := int64((p.ActiveDeadline + time.Second - 1) / time.Second)
		spec.ActiveDeadlineSeconds = &secs
	}
	for _, name := range p.ImagePullSecrets {
		spec.ImagePullSecrets = append(spec.ImagePullSecrets, corev1.LocalObjectReference{Name: name})
	}
	errs := []error{
		appendJSON(p.Tolerations, &spec.Tolerations, "tolerations"),
		appendJSON(p.Volumes, &spec.Volumes, "volumes"),
		appendJSON(p.InitContainers, &spec.InitContainers, "init_containers"),
		setJSON(p.Affinity, &spec.Affinity, "affinity"),
		setJSON(p.SecurityContext, &spec.SecurityContext, "security_context"),
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("task %s: %w", k.TaskID, err)
	}

	reserved, err := c.reservedEnv(req)
	if err != nil {
		return nil, err
	}
	base, err := c.baseContainer(req, p, reserved)
	if err != nil {
		return nil, err
	}
	// The template's container named base gives the task's container its
	// defaults; the template's other containers (sidecars) stay.
	replaced := false
	for i := range spec.Containers {
		if spec.Containers[i].Name == containerName {
			spec.Containers[i] = overlayContainer(spec.Containers[i], base)
			replaced = true
		}
	}
	if !replaced {
		spec.Containers = append([]corev1.Container{base}, spec.Containers...)
	}
	if c.UpdraftImage != "" {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: toolsVolume,
			VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		spec.InitContainers = append([]corev1.Container{{
			Name: initContainerName, Image: c.UpdraftImage, ImagePullPolicy: corev1.PullPolicy(c.UpdraftImagePullPolicy),
			Command:      []string{"updraft", "copy-binary", toolsBinary},
			VolumeMounts: []corev1.VolumeMount{{Name: toolsVolume, MountPath: toolsDir}},
		}}, spec.InitContainers...)
	}
	for _, s := range p.Secrets {
		if s.Mount == "" {
			continue
		}
		vol := corev1.Volume{Name: s.VolumeName(),
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: s.Secret}}}
		if s.Key != "" {
			vol.Secret.Items = []corev1.KeyToPath{{Key: s.Key, Path: s.Key}}
		}
		if !slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == vol.Name }) {
			spec.Volumes = append(spec.Volumes, vol)
		}
	}

	if len(p.PodOverride) > 0 {
		pod, err = applyOverride(pod, p.PodOverride)
		if err != nil {
			return nil, fmt.Errorf("task %s: pod_override: %w", k.TaskID, err)
		}
		// What identifies the try is not the override's to change.
		pod.Name = name
		for _, l := range []string{labelTry, labelManagedBy, labelInstance} {
			pod.Labels[l] = ids[l]
		}
		pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	}
	pinEnv(pod, reserved)
	return pod, nil
}

// reservedEnv is what the executor alone sets in the task's container: the
// try's identity and, with the wrapper, where its return value goes.
func (c *Config) reservedEnv(req *executor.Request) ([]corev1.EnvVar, error) {
	var env []corev1.EnvVar
	if c.UpdraftImage != "" {
		env = append(env, corev1.EnvVar{Name: podexec.EnvXComFile, Value: xcomFile})
		if c.APIURL != "" {
			token, err := c.TaskToken(req.Key)
			if err != nil {
				return nil, fmt.Errorf("task %s: task token: %w", req.Key.TaskID, err)
			}
			env = append(env, corev1.EnvVar{Name: executor.EnvAPIURL, Value: c.APIURL},
				corev1.EnvVar{Name: executor.EnvTaskToken, Value: token})
		}
	}
	for _, kv := range executor.IdentityEnv(req) {
		name, value, _ := strings.Cut(kv, "=")
		env = append(env, corev1.EnvVar{Name: name, Value: value})
	}
	return env, nil
}

// pinEnv gives the task's container the reserved variables first and no
// other value for them, whatever the pod template or pod_override set: a
// DAG cannot send its try's token elsewhere or pose as another try.
func pinEnv(pod *corev1.Pod, reserved []corev1.EnvVar) {
	for i := range pod.Spec.Containers {
		ctr := &pod.Spec.Containers[i]
		if ctr.Name != containerName {
			continue
		}
		env := append([]corev1.EnvVar{}, reserved...)
		for _, e := range ctr.Env {
			if !executor.IsIdentityVar(e.Name) {
				env = append(env, e)
			}
		}
		ctr.Env = env
	}
}

// baseContainer is the task's container.
func (c *Config) baseContainer(req *executor.Request, p dag.Pod, reserved []corev1.EnvVar) (corev1.Container, error) {
	k := req.Key
	ctr := corev1.Container{
		Name:                     containerName,
		Image:                    cmp.Or(p.Image, c.Image),
		ImagePullPolicy:          corev1.PullPolicy(p.ImagePullPolicy),
		WorkingDir:               req.WorkingDir,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
	if ctr.Image == "" && c.podTemplate == nil {
		return ctr, fmt.Errorf("task %s has no image: set image on the task or kubernetes_image in the configuration", k.TaskID)
	}
	ctr.Args = req.Argv
	if c.UpdraftImage != "" {
		ctr.Command = []string{toolsBinary, "exec", "--"}
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: toolsVolume, MountPath: toolsDir})
	} else {
		// Without the wrapper the argv is the container's command itself,
		// and no XCom comes back.
		ctr.Command, ctr.Args = req.Argv, nil
	}
	ctr.Env = append(ctr.Env, reserved...)
	for _, kv := range req.Env {
		name, value, _ := strings.Cut(kv, "=")
		if executor.IsIdentityVar(name) {
			continue
		}
		ctr.Env = append(ctr.Env, corev1.EnvVar{Name: name, Value: value})
	}
	for _, s := range p.Secrets {
		switch {
		case s.Env != "" && !executor.IsIdentityVar(s.Env): // refused at parse time
			ctr.Env = append(ctr.Env, corev1.EnvVar{Name: s.Env, ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: s.Secret}, Key: s.Key}}})
		case s.Mount != "":
			ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: s.VolumeName(), MountPath: s.Mount, ReadOnly: true})
		}
	}
	for _, e := range p.EnvFrom {
		switch {
		case e.Secret != "":
			ctr.EnvFrom = append(ctr.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: e.Secret}}})
		case e.ConfigMap != "":
			ctr.EnvFrom = append(ctr.EnvFrom, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: e.ConfigMap}}})
		}
	}
	res, err := c.resources(p)
	if err != nil {
		return ctr, fmt.Errorf("task %s: %w", k.TaskID, err)
	}
	ctr.Resources = res
	if err := errors.Join(appendJSON(p.VolumeMounts, &ctr.VolumeMounts, "volume_mounts"),
		setJSON(p.ContainerSecurityContext, &ctr.SecurityContext, "container_security_context")); err != nil {
		return ctr, fmt.Errorf("task %s: %w", k.TaskID, err)
	}
	return ctr, nil
}

// resources are the container's requests and limits: the named profile's,
// with the task's own over them.
func (c *Config) resources(p dag.Pod) (corev1.ResourceRequirements, error) {
	var out corev1.ResourceRequirements
	requests, limits := map[string]string{}, map[string]string{}
	if p.Resources != "" {
		prof, ok := c.Profiles[p.Resources]
		if !ok {
			return out, fmt.Errorf("unknown resource profile %q; the configuration has %s", p.Resources, profileNames(c.Profiles))
		}
		maps.Copy(requests, prof.Requests)
		maps.Copy(limits, prof.Limits)
	}
	maps.Copy(requests, p.Requests)
	maps.Copy(limits, p.Limits)
	var err error
	if out.Requests, err = resourceList(requests); err != nil {
		return out, fmt.Errorf("requests: %w", err)
	}
	if out.Limits, err = resourceList(limits); err != nil {
		return out, fmt.Errorf("limits: %w", err)
	}
	return out, nil
}

func resourceList(m map[string]string) (corev1.ResourceList, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := corev1.ResourceList{}
	for name, v := range m {
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a quantity", name, v)
		}
		out[corev1.ResourceName(name)] = q
	}
	return out, nil
}

// overlayContainer sets the task's values over a template container.
func overlayContainer(tpl, task corev1.Container) corev1.Container {
	out := tpl
	out.Name = containerName
	if task.Image != "" {
		out.Image = task.Image
	}
	if task.ImagePullPolicy != "" {
		out.ImagePullPolicy = task.ImagePullPolicy
	}
	out.Command, out.Args = task.Command, task.Args
	if task.WorkingDir != "" {
		out.WorkingDir = task.WorkingDir
	}
	out.Env = append(out.Env, task.Env...)
	out.EnvFrom = append(out.EnvFrom, task.EnvFrom...)
	out.VolumeMounts = append(out.VolumeMounts, task.VolumeMounts...)
	if len(task.Resources.Requests) > 0 || len(task.Resources.Limits) > 0 {
		out.Resources = task.Resources
	}
	if task.SecurityContext != nil {
		out.SecurityContext = task.SecurityContext
	}
	out.TerminationMessagePolicy = task.TerminationMessagePolicy
	return out
}

// applyOverride merges a partial Pod over pod as a strategic merge patch:
// containers merge by name, so {spec: {containers: [{name: base, ...}]}}
// changes the task's container.
func applyOverride(pod *corev1.Pod, override json.RawMessage) (*corev1.Pod, error) {
	orig, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	out, err := strategicpatch.StrategicMergePatch(orig, override, corev1.Pod{})
	if err != nil {
		return nil, err
	}
	var merged corev1.Pod
	if err := json.Unmarshal(out, &merged); err != nil {
		return nil, err
	}
	if merged.Labels == nil {
		merged.Labels = map[string]string{}
	}
	return &merged, nil
}

// appendJSON appends the items of the JSON array raw, when set, to a list.
func appendJSON[T any](raw json.RawMessage, to *[]T, field string) error {
	if len(raw) == 0 {
		return nil
	}
	var more []T
	if err := json.Unmarshal(raw, &more); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	*to = append(*to, more...)
	return nil
}

// setJSON sets an object from the JSON raw, when set.
func setJSON[T any](raw json.RawMessage, to **T, field string) error {
	if len(raw) == 0 {
		return nil
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	*to = v
	return nil
}

// merged returns the maps laid over each other, later ones winning.
func merged(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}
