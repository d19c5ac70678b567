package spec

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
)

// The fields of the Kubernetes executor's pod. Everything Kubernetes would
// refuse and that can be known without a cluster is reported here, so that
// a mistake shows when the file is saved rather than when the task runs.

const (
	// baseContainer is the name of the task's container, as Airflow's
	// KubernetesPodOperator names it: pod_override patches it by this name.
	baseContainer = "base"
	// maxAnnotationsSize is the API server's limit on a pod's annotations.
	maxAnnotationsSize = 256 * 1024
)

var (
	imagePullPolicies = []string{"Always", "IfNotPresent", "Never"}
	// The resource names a container may use without a domain prefix.
	standardResources = []string{"cpu", "memory", "ephemeral-storage"}
	taintEffects      = []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}
	// Lt and Gt need a feature gate that clusters lack by default.
	tolerationOperators = []corev1.TolerationOperator{corev1.TolerationOpExists, corev1.TolerationOpEqual}
)

func secretVolumeName(secret string) string { return dag.SecretRef{Secret: secret}.VolumeName() }

// podOf builds the model's pod from a task's fields, default_args applied.
// The Kubernetes objects are copied so that tasks sharing a default do not
// share them.
func podOf(f taskFields) dag.Pod {
	p := dag.Pod{
		Image:                    f.Image,
		ImagePullPolicy:          f.ImagePullPolicy,
		ImagePullSecrets:         slices.Clone(f.ImagePullSecrets),
		Namespace:                f.Namespace,
		NodeSelector:             stringMap(f.NodeSelector),
		Labels:                   stringMap(f.Labels),
		Annotations:              stringMap(f.Annotations),
		ServiceAccountName:       f.ServiceAccountName,
		PriorityClassName:        f.PriorityClassName,
		ActiveDeadline:           time.Duration(deref(f.ActiveDeadline, 0)),
		StartupTimeout:           time.Duration(deref(f.StartupTimeout, 0)),
		OnFinishAction:           f.OnFinishAction,
		Volumes:                  slices.Clone(f.Volumes.canonical),
		VolumeMounts:             slices.Clone(f.VolumeMounts.canonical),
		InitContainers:           slices.Clone(f.InitContainers.canonical),
		Tolerations:              slices.Clone(f.Tolerations.canonical),
		Affinity:                 slices.Clone(f.Affinity.canonical),
		SecurityContext:          slices.Clone(f.SecurityContext.canonical),
		ContainerSecurityContext: slices.Clone(f.ContainerSecurityContext.canonical),
	}
	p.PodOverride = overridePatch(f.PodOverride)
	if r := f.Resources; r != nil {
		p.Resources = r.profile
		p.Requests = stringMap(r.spec.Requests)
		p.Limits = stringMap(r.spec.Limits)
	}
	for _, e := range f.EnvFrom {
		p.EnvFrom = append(p.EnvFrom, dag.EnvFrom{Secret: e.Secret, ConfigMap: e.ConfigMap})
	}
	for _, s := range f.Secrets {
		p.Secrets = append(p.Secrets, dag.SecretRef{Secret: s.Secret, Key: s.Key, Env: s.Env, Mount: s.Mount})
	}
	return p
}

// overridePatch is the metadata and spec of a pod_override, as written:
// re-encoded from its type it would carry zero values (a null containers
// list) that would delete what the executor rendered. apiVersion and kind,
// checked to be a Pod's, are left out.
func overridePatch(o kube[corev1.Pod]) json.RawMessage {
	w, _ := o.written.(map[string]any)
	patch := make(map[string]any, 2)
	for _, key := range []string{"metadata", "spec"} {
		if v, ok := w[key]; ok {
			patch[key] = v
		}
	}
	if len(patch) == 0 {
		return nil
	}
	// It cannot fail: the same values were encoded when they were decoded.
	b, _ := json.Marshal(patch)
	return b
}

// checkPodFields checks the pod's fields where they are written, each on its
// own; checkPodRefs checks what they say about each other once default_args
// are applied.
func (d *decoder) checkPodFields(path string, f *taskFields) {
	at := func(key string) string { return joinKey(path, key) }
	checkEnum(d, at("image_pull_policy"), "image pull policy", f.ImagePullPolicy, imagePullPolicies)
	checkEnum(d, at("on_finish_action"), "action", f.OnFinishAction, dag.OnFinishActions)
	if f.Namespace != "" {
		d.checkName(at("namespace"), "namespace", f.Namespace, content.IsDNS1123Label)
	}
	if f.ServiceAccountName != "" {
		d.checkName(at("service_account_name"), "service account name", f.ServiceAccountName, content.IsDNS1123Subdomain)
	}
	if f.PriorityClassName != "" {
		d.checkName(at("priority_class_name"), "priority class name", f.PriorityClassName, content.IsDNS1123Subdomain)
	}
	for i, s := range f.ImagePullSecrets {
		d.checkName(indexPath(at("image_pull_secrets"), i), "Secret name", s, content.IsDNS1123Subdomain)
	}
	checkLabels(d, at("labels"), f.Labels)
	checkLabels(d, at("node_selector"), f.NodeSelector)
	checkAnnotations(d, at("annotations"), f.Annotations)
	d.checkResources(at("resources"), f.Resources)
	d.checkEnvFrom(at("env_from"), f.EnvFrom)
	d.checkSecrets(at("secrets"), f.Secrets)
	d.checkPositive(at("active_deadline"), f.ActiveDeadline, true)
	d.checkPositive(at("startup_timeout"), f.StartupTimeout, false)
	d.checkVolumes(at("volumes"), f.Volumes.get(), true)
	d.checkMounts(at("volume_mounts"), f.VolumeMounts.get())
	d.checkContainers(at("init_containers"), f.InitContainers.get(), containerRules{needImage: true, init: true})
	d.checkTolerations(at("tolerations"), f.Tolerations.get())
	if a := f.Affinity.value; a != nil {
		d.checkAffinity(at("affinity"), a)
	}
	if f.PodOverride.value != nil {
		d.checkPodOverride(at("pod_override"), f.PodOverride)
	}
}

// checkEnum reports a value, when set, that is not one of allowed.
func checkEnum[T ~string](d *decoder, path, what string, v T, allowed []T) {
	if v != "" && !slices.Contains(allowed, v) && !d.reported(path) {
		d.errorAt(d.valueAt(path), path, "unknown %s %q; use one of %s", what, v, quoteList(allowed))
	}
}

// fieldAt is the path of key inside parent and the place to report it: the
// key's value, or the parent when the key was left out.
func (d *decoder) fieldAt(parent, key string) (pos, string) {
	p := joinKey(parent, key)
	if _, ok := d.values[p]; ok {
		return d.values[p], p
	}
	return d.valueAt(parent), p
}

func (d *decoder) missing(parent, key string) {
	p, fp := d.fieldAt(parent, key)
	d.errorAt(p, fp, "missing required field")
}

// checkName applies one of Kubernetes' name formats, like
// content.IsDNS1123Subdomain, and tells whether the name passed.
func (d *decoder) checkName(path, what, name string, check func(string) []string) bool {
	if d.reported(path) {
		return false
	}
	if msgs := check(name); len(msgs) > 0 {
		d.errorAt(d.valueAt(path), path, "invalid %s %q: %s", what, name, strings.Join(msgs, "; "))
		return false
	}
	return true
}

// checkLabels checks the keys and values of labels and of node selectors,
// which match labels.
func checkLabels[V ~string](d *decoder, path string, m map[string]V) {
	for k, v := range m {
		kp := joinKey(path, k)
		if d.reported(kp) {
			continue
		}
		if msgs := content.IsLabelKey(k); len(msgs) > 0 {
			d.errorAt(d.keyAt(kp), kp, "invalid label key %q: %s", k, strings.Join(msgs, "; "))
			continue
		}
		d.checkName(kp, "label value", string(v), content.IsLabelValue)
	}
}

// checkAnnotations checks annotation keys, which the API server reads
// without regard to case, and their total size.
func checkAnnotations[V ~string](d *decoder, path string, m map[string]V) {
	size := 0
	for k, v := range m {
		kp := joinKey(path, k)
		size += len(k) + len(v)
		if msgs := content.IsLabelKey(strings.ToLower(k)); len(msgs) > 0 && !d.reported(kp) {
			d.errorAt(d.keyAt(kp), kp, "invalid annotation key %q: %s", k, strings.Join(msgs, "; "))
		}
	}
	if size > maxAnnotationsSize {
		d.errorAt(d.valueAt(path), path, "annotations take %d bytes, at most %d are allowed", size, maxAnnotationsSize)
	}
}

func (d *decoder) checkEnvFrom(path string, envFrom []envFrom) {
	for i, e := range envFrom {
		ip := indexPath(path, i)
		switch {
		case d.reported(ip):
		case (e.Secret == "") == (e.ConfigMap == ""):
			d.errorAt(d.valueAt(ip), ip, "expected exactly one of secret or config_map")
		case e.Secret != "":
			d.checkName(joinKey(ip, "secret"), "Secret name", e.Secret, content.IsDNS1123Subdomain)
		default:
			d.checkName(joinKey(ip, "config_map"), "ConfigMap name", e.ConfigMap, content.IsDNS1123Subdomain)
		}
	}
}

// checkPositive checks a duration that, when set, must be above zero; the
// pod's activeDeadlineSeconds also counts whole seconds only.
func (d *decoder) checkPositive(path string, v *duration, wholeSeconds bool) {
	if v == nil || d.reported(path) {
		return
	}
	t := time.Duration(*v)
	switch {
	case t <= 0:
		d.errorAt(d.valueAt(path), path, "must be positive, got %s", t)
	case wholeSeconds && t%time.Second != 0:
		d.errorAt(d.valueAt(path), path, "must be a whole number of seconds, got %s", t)
	}
}

// checkResources checks the long form of resources: resource names, their
// quantities, and that no request is above its limit.
func (d *decoder) checkResources(path string, r *resources) {
	if r == nil {
		return
	}
	if r.profile == "" && r.spec.Requests == nil && r.spec.Limits == nil {
		if !d.reported(path) {
			d.errorAt(d.valueAt(path), path, "expected a resource profile name or requests and limits")
		}
		return
	}
	parse := func(key string, m map[string]text) map[string]resource.Quantity {
		out := make(map[string]resource.Quantity, len(m))
		for name, v := range m {
			p := joinKey(joinKey(path, key), name)
			if d.reported(p) {
				continue
			}
			if !quantityInRange(string(v)) {
				d.errorAt(d.valueAt(p), p, "quantity %q is out of range", v)
				continue
			}
			q, err := resource.ParseQuantity(string(v))
			if err != nil {
				d.errorAt(d.valueAt(p), p, "invalid quantity %q; use a number with an optional suffix, like 500m, 2 or 1Gi", v)
				continue
			}
			out[name] = q
		}
		return out
	}
	d.checkQuantities(path, parse("requests", r.spec.Requests), parse("limits", r.spec.Limits))
}

// checkContainerResources is checkResources for a container written as in a
// manifest, whose quantities the decoder parsed already.
func (d *decoder) checkContainerResources(path string, r corev1.ResourceRequirements) {
	conv := func(l corev1.ResourceList) map[string]resource.Quantity {
		out := make(map[string]resource.Quantity, len(l))
		for name, q := range l {
			out[string(name)] = q
		}
		return out
	}
	d.checkQuantities(path, conv(r.Requests), conv(r.Limits))
}

func (d *decoder) checkQuantities(path string, requests, limits map[string]resource.Quantity) {
	check := func(key string, m map[string]resource.Quantity) {
		for name, q := range m {
			p := joinKey(joinKey(path, key), name)
			switch {
			case d.reported(p):
			case !isResourceName(name):
				d.errorAt(d.keyAt(p), p, "unknown resource %q; use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource with a domain, like nvidia.com/gpu", name)
			case q.Sign() < 0:
				d.errorAt(d.valueAt(p), p, "quantity %s must not be negative", q.String())
			}
		}
	}
	check("requests", requests)
	check("limits", limits)
	for name, q := range requests {
		p := joinKey(joinKey(path, "requests"), name)
		if l, ok := limits[name]; ok && q.Cmp(l) > 0 && !d.reported(p) {
			d.errorAt(d.valueAt(p), p, "request %s is above the limit %s", q.String(), l.String())
		}
	}
}

// Bounds on a quantity's text. resource.Quantity's arithmetic grows with
// the exponent: 1e-99999999 takes seconds to parse and 1e99999999 minutes to
// compare, and a file must not hold the parser up. No resource comes near.
const (
	maxQuantityLength   = 64
	maxQuantityExponent = 100
)

// quantityInRange tells whether s is within the bounds above; whether it is
// a quantity at all is resource.ParseQuantity's to say.
func quantityInRange(s string) bool {
	if len(s) > maxQuantityLength {
		return false
	}
	// The exponent of 1e3 or 1E-3; in 1E (exa) or 1Ei there is none.
	if i := strings.LastIndexAny(s, "eE"); i >= 0 {
		if exp, err := strconv.Atoi(s[i+1:]); err == nil && (exp > maxQuantityExponent || exp < -maxQuantityExponent) {
			return false
		}
	}
	return true
}

// isResourceName accepts the names a container's resources may use: the
// standard ones, huge pages of a size, and extended resources, which have a
// domain.
func isResourceName(name string) bool {
	if slices.Contains(standardResources, name) {
		return true
	}
	if size, ok := strings.CutPrefix(name, corev1.ResourceHugePagesPrefix); ok {
		if !quantityInRange(size) {
			return false
		}
		_, err := resource.ParseQuantity(size)
		return err == nil
	}
	return strings.Contains(name, "/") && len(content.IsLabelKey(name)) == 0
}

// checkSecrets checks each secrets entry: one key as a variable (env and
// key) or files in a directory (mount, all keys or the one key).
func (d *decoder) checkSecrets(path string, secrets []secretSpec) {
	mounted := map[string]int{}
	for i, s := range secrets {
		ip := indexPath(path, i)
		if d.reported(ip) {
			continue
		}
		d.checkName(joinKey(ip, "secret"), "Secret name", s.Secret, content.IsDNS1123Subdomain)
		if s.Key != "" {
			d.checkName(joinKey(ip, "key"), "Secret key", s.Key, validation.IsConfigMapKey)
		}
		switch {
		case (s.Env == "") == (s.Mount == ""):
			d.errorAt(d.valueAt(ip), ip, "expected exactly one of env or mount")
		case s.Env != "" && s.Key == "":
			d.errorAt(d.valueAt(ip), joinKey(ip, "key"), "missing required field: env takes the value of one key")
		case executor.IsIdentityVar(s.Env):
			d.errorAt(d.valueAt(joinKey(ip, "env")), joinKey(ip, "env"), "%s is set by updraft for each try; a task may not set it", s.Env)
		case s.Env != "":
			d.checkName(joinKey(ip, "env"), "environment variable name", s.Env, validation.IsRelaxedEnvVarName)
		default:
			d.checkSecretMount(ip, s, mounted, i)
		}
	}
}

func (d *decoder) checkSecretMount(ip string, s secretSpec, mounted map[string]int, i int) {
	if !strings.HasPrefix(s.Mount, "/") {
		mp := joinKey(ip, "mount")
		d.errorAt(d.valueAt(mp), mp, "expected an absolute path, got %q", s.Mount)
	}
	sp := joinKey(ip, "secret")
	if d.reported(sp) {
		return
	}
	// One volume per Secret keeps its name predictable; two directories
	// of one Secret are written with volumes and volume_mounts.
	if j, ok := mounted[s.Secret]; ok {
		d.errorAt(d.valueAt(sp), sp, "Secret %q is mounted by secrets[%d] already; mount it once, or use volumes and volume_mounts", s.Secret, j)
		return
	}
	mounted[s.Secret] = i
	if msgs := content.IsDNS1123Label(secretVolumeName(s.Secret)); len(msgs) > 0 {
		d.errorAt(d.valueAt(sp), sp, "Secret %q cannot be mounted: its volume name %q %s; use volumes and volume_mounts", s.Secret, secretVolumeName(s.Secret), strings.Join(msgs, "; "))
	}
}

// checkVolumes checks volume names and, unless the volumes patch others,
// that each has one source.
func (d *decoder) checkVolumes(path string, volumes []corev1.Volume, needSource bool) {
	seen := map[string]int{}
	for i, v := range volumes {
		ip := indexPath(path, i)
		np := joinKey(ip, "name")
		switch {
		case d.reported(ip):
			continue
		case v.Name == "":
			d.missing(ip, "name")
		case !d.checkName(np, "volume name", v.Name, content.IsDNS1123Label):
		case seen[v.Name] > 0:
			d.errorAt(d.valueAt(np), np, "volume %q is declared twice, first at line %d", v.Name, seen[v.Name])
		default:
			seen[v.Name] = d.valueAt(np).line
		}
		if needSource {
			d.checkVolumeSource(ip, v.VolumeSource)
		}
	}
}

// checkVolumeSource requires exactly one of the VolumeSource's fields, each
// a pointer to one kind of volume.
func (d *decoder) checkVolumeSource(path string, src corev1.VolumeSource) {
	v := reflect.ValueOf(src)
	var kinds []string
	for _, f := range d.jsonFieldsOf(v.Type()) {
		if fv := v.FieldByIndex(f.index); fv.Kind() == reflect.Pointer && !fv.IsNil() {
			kinds = append(kinds, f.name)
		}
	}
	switch len(kinds) {
	case 0:
		d.errorAt(d.valueAt(path), path, "missing a volume source, like emptyDir, configMap, secret or persistentVolumeClaim")
	case 1:
	default:
		d.errorAt(d.valueAt(path), path, "expected one volume source, got %s", strings.Join(kinds, ", "))
	}
}

// checkMounts checks that each mount names a volume and a path, and that no
// path is mounted twice in one container.
func (d *decoder) checkMounts(path string, mounts []corev1.VolumeMount) {
	seen := map[string]int{}
	for i, m := range mounts {
		ip := indexPath(path, i)
		if d.reported(ip) {
			continue
		}
		if m.Name == "" {
			d.missing(ip, "name")
		}
		mp := joinKey(ip, "mountPath")
		switch {
		case m.MountPath == "":
			d.missing(ip, "mountPath")
		case seen[m.MountPath] > 0:
			d.errorAt(d.valueAt(mp), mp, "mount path %q is used twice, first at line %d", m.MountPath, seen[m.MountPath])
		default:
			seen[m.MountPath] = d.valueAt(mp).line
		}
	}
}

// containerRules say what a list of containers must hold.
type containerRules struct {
	// needImage is false for a patch, whose containers may change ones the
	// pod has rather than add them.
	needImage bool
	// init containers may not take the name of the task's container.
	init bool
}

// checkContainers checks init containers, or the containers of a
// pod_override.
func (d *decoder) checkContainers(path string, containers []corev1.Container, rules containerRules) {
	seen := map[string]int{}
	for i, c := range containers {
		ip := indexPath(path, i)
		np := joinKey(ip, "name")
		if d.reported(ip) {
			continue
		}
		switch {
		case c.Name == "":
			d.missing(ip, "name")
		case !d.checkName(np, "container name", c.Name, content.IsDNS1123Label):
		case seen[c.Name] > 0:
			d.errorAt(d.valueAt(np), np, "container %q is declared twice, first at line %d", c.Name, seen[c.Name])
		case rules.init && c.Name == baseContainer:
			d.errorAt(d.valueAt(np), np, "%q is the name of the task's container", c.Name)
		default:
			seen[c.Name] = d.valueAt(np).line
		}
		if rules.needImage && c.Image == "" {
			d.missing(ip, "image")
		}
		for j, e := range c.Env {
			d.checkName(joinKey(indexPath(joinKey(ip, "env"), j), "name"), "environment variable name", e.Name, validation.IsRelaxedEnvVarName)
		}
		d.checkContainerResources(joinKey(ip, "resources"), c.Resources)
		d.checkMounts(joinKey(ip, "volumeMounts"), c.VolumeMounts)
	}
}

// checkTolerations applies the API server's rules for tolerations.
func (d *decoder) checkTolerations(path string, tolerations []corev1.Toleration) {
	for i, t := range tolerations {
		ip := indexPath(path, i)
		if d.reported(ip) {
			continue
		}
		if t.Key != "" {
			d.checkName(joinKey(ip, "key"), "taint key", t.Key, content.IsLabelKey)
		}
		d.checkTolerationOperator(ip, t)
		if t.Effect != "" && !slices.Contains(taintEffects, t.Effect) {
			p, fp := d.fieldAt(ip, "effect")
			d.errorAt(p, fp, "unknown effect %q; use one of %s", t.Effect, quoteList(taintEffects))
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			p, fp := d.fieldAt(ip, "tolerationSeconds")
			d.errorAt(p, fp, "applies to effect NoExecute only")
		}
	}
}

func (d *decoder) checkTolerationOperator(ip string, t corev1.Toleration) {
	p, fp := d.fieldAt(ip, "operator")
	switch t.Operator {
	case "", corev1.TolerationOpEqual:
		if t.Key == "" {
			d.errorAt(p, fp, "operator Equal needs a key; tolerate every taint with operator Exists")
			return
		}
		d.checkName(joinKey(ip, "value"), "taint value", t.Value, content.IsLabelValue)
	case corev1.TolerationOpExists:
		if t.Value != "" {
			vp, vfp := d.fieldAt(ip, "value")
			d.errorAt(vp, vfp, "operator Exists takes no value")
		}
	default:
		d.errorAt(p, fp, "unknown operator %q; use one of %s", t.Operator, quoteList(tolerationOperators))
	}
}

// overrideType is what a pod_override copied from a manifest may say it is.
var overrideType = map[string]string{"apiVersion": "v1", "kind": "Pod"}

// checkPodOverride checks a patch of the pod. It reads the keys as written,
// since a key written empty still patches.
func (d *decoder) checkPodOverride(path string, o kube[corev1.Pod]) {
	written, _ := o.written.(map[string]any)
	for _, key := range slices.Sorted(maps.Keys(written)) {
		kp := joinKey(path, key)
		switch key {
		case "apiVersion", "kind":
			want := overrideType[key]
			if got, _ := written[key].(string); got != want && got != "" {
				d.errorAt(d.valueAt(kp), kp, "expected %q, got %q", want, got)
			}
		case "metadata":
			d.checkOverrideMetadata(kp, written[key], &o.value.ObjectMeta)
		case "spec":
			d.checkOverrideSpec(kp, &o.value.Spec)
		default:
			d.errorAt(d.keyAt(kp), kp, "not used: pod_override sets metadata and spec only")
		}
	}
}

// checkOverrideMetadata allows labels and annotations only: the executor
// names the pod and puts it in the task's namespace, and the rest of
// metadata is the API server's.
func (d *decoder) checkOverrideMetadata(path string, written any, m *metav1.ObjectMeta) {
	w, _ := written.(map[string]any)
	for _, key := range slices.Sorted(maps.Keys(w)) {
		if key != "labels" && key != "annotations" {
			kp := joinKey(path, key)
			d.errorAt(d.keyAt(kp), kp, "not used: pod_override sets the labels and annotations of metadata only")
		}
	}
	checkLabels(d, joinKey(path, "labels"), m.Labels)
	checkAnnotations(d, joinKey(path, "annotations"), m.Annotations)
}

// checkOverrideSpec checks the parts of a pod_override's spec that the
// task's own fields also set. Containers are merged by name, so each needs
// one: base is the task's container, another name adds a container, which
// needs an image.
func (d *decoder) checkOverrideSpec(path string, s *corev1.PodSpec) {
	cp := joinKey(path, "containers")
	d.checkContainers(cp, s.Containers, containerRules{})
	for i, c := range s.Containers {
		if ip := indexPath(cp, i); c.Name != baseContainer && c.Name != "" && c.Image == "" && !d.reported(ip) {
			p, fp := d.fieldAt(ip, "image")
			d.errorAt(p, fp, "missing required field: a container other than %q is added to the pod", baseContainer)
		}
	}
	d.checkContainers(joinKey(path, "initContainers"), s.InitContainers, containerRules{init: true})
	d.checkVolumes(joinKey(path, "volumes"), s.Volumes, false)
	d.checkTolerations(joinKey(path, "tolerations"), s.Tolerations)
	checkLabels(d, joinKey(path, "nodeSelector"), s.NodeSelector)
	if s.Affinity != nil {
		d.checkAffinity(joinKey(path, "affinity"), s.Affinity)
	}
}

// setsPodRefs tells whether the fields set any of what checkPodRefs compares.
func (f *taskFields) setsPodRefs() bool {
	return f.Volumes.value != nil || f.VolumeMounts.value != nil || f.InitContainers.value != nil ||
		f.PodOverride.value != nil || f.Secrets != nil
}

// checkPodRefs checks, once default_args are applied, that every volume
// mount names a volume of the pod and that the volumes secrets create take
// no declared volume's name. own is what the task itself sets: a mount
// written in default_args is reported with the task's id when the task adds
// volumes of its own, as the mistake is then the task's.
func (d *decoder) checkPodRefs(id, path string, own, f *taskFields) {
	declared := map[string]bool{}
	for _, v := range f.Volumes.get() {
		declared[v.Name] = true
	}
	// Where the task's secrets were written, its own or the default.
	from := "default_args"
	if own.Secrets != nil {
		from = path
	}
	r := mountRefs{declared: declared}
	if own.Volumes.value != nil || own.Secrets != nil || own.PodOverride.value != nil {
		r.task, r.taskPath = id, path
	}
	d.checkSecretVolumes(joinKey(from, "secrets"), f, r)
	// An override's volumes may patch the volumes above, by name.
	var override corev1.PodSpec
	if o := f.PodOverride.value; o != nil {
		override = o.Spec
	}
	for _, v := range override.Volumes {
		declared[v.Name] = true
	}
	d.checkMountRefs(f.VolumeMounts.path, f.VolumeMounts.get(), r)
	containers := map[string][]corev1.Container{
		f.InitContainers.path: f.InitContainers.get(),
		joinKey(joinKey(f.PodOverride.path, "spec"), "containers"):     override.Containers,
		joinKey(joinKey(f.PodOverride.path, "spec"), "initContainers"): override.InitContainers,
	}
	for cp, cs := range containers {
		for i, c := range cs {
			d.checkMountRefs(joinKey(indexPath(cp, i), "volumeMounts"), c.VolumeMounts, r)
		}
	}
}

// checkSecretVolumes adds the volumes of the secrets that are mounted to
// those declared, reporting a volume of volumes that has the same name, and
// a mount path that volume_mounts use too.
func (d *decoder) checkSecretVolumes(path string, f *taskFields, r mountRefs) {
	mountPaths := map[string]int{}
	for i, m := range f.VolumeMounts.get() {
		mountPaths[m.MountPath] = i
	}
	secretVolumes := map[string]string{}
	for i, s := range f.Secrets {
		if s.Mount == "" || s.Env != "" {
			continue
		}
		secretVolumes[secretVolumeName(s.Secret)] = s.Secret
		mp := joinKey(indexPath(path, i), "mount")
		if j, ok := mountPaths[s.Mount]; ok && !d.reported(mp) {
			d.refErrorAt(d.valueAt(mp), mp, "mount path %q is used by volume_mounts[%d] too", s.Mount, j)
		}
	}
	for i, v := range f.Volumes.get() {
		np := joinKey(indexPath(f.Volumes.path, i), "name")
		if secret, ok := secretVolumes[v.Name]; ok && !d.reported(np) {
			d.refErrorAt(d.valueAt(np), np, "volume name %q%s is taken by the volume secrets create for Secret %q", v.Name, r.in(np), secret)
		}
	}
	for name := range secretVolumes {
		r.declared[name] = true
	}
}

// mountRefs holds the volumes a task's mounts may name.
type mountRefs struct {
	declared map[string]bool
	// task names the task in errors about fields written outside it, when
	// the task adds volumes of its own: the mistake is then the task's.
	task, taskPath string
}

func (d *decoder) checkMountRefs(path string, mounts []corev1.VolumeMount, r mountRefs) {
	for i, m := range mounts {
		np := joinKey(indexPath(path, i), "name")
		if m.Name == "" || r.declared[m.Name] || d.reported(np) {
			continue
		}
		if len(r.declared) == 0 {
			d.refErrorAt(d.valueAt(np), np, "unknown volume %q%s; declare it in volumes", m.Name, r.in(np))
			continue
		}
		d.refErrorAt(d.valueAt(np), np, "unknown volume %q%s; use one of %s", m.Name, r.in(np), quoteList(slices.Sorted(maps.Keys(r.declared))))
	}
}

// in names the task when path is outside it.
func (r mountRefs) in(path string) string {
	if r.task == "" || strings.HasPrefix(path, r.taskPath+".") {
		return ""
	}
	return fmt.Sprintf(" in task %q", r.task)
}
