package spec

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The API server's rules for affinity: operators and the values they take,
// label keys, weights and topology keys.

var (
	nodeSelectorOperators = []corev1.NodeSelectorOperator{corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn,
		corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist, corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt}
	labelSelectorOperators = []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn,
		metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}
)

// nodeNameField is the one field a node selector's matchFields may test.
const nodeNameField = "metadata.name"

func (d *decoder) checkAffinity(path string, a *corev1.Affinity) {
	if na := a.NodeAffinity; na != nil {
		d.checkNodeAffinity(joinKey(path, "nodeAffinity"), na)
	}
	if pa := a.PodAffinity; pa != nil {
		d.checkPodAffinity(joinKey(path, "podAffinity"), pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		d.checkPodAffinity(joinKey(path, "podAntiAffinity"), pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
}

func (d *decoder) checkNodeAffinity(path string, na *corev1.NodeAffinity) {
	if r := na.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
		rp := joinKey(path, "requiredDuringSchedulingIgnoredDuringExecution")
		tp := joinKey(rp, "nodeSelectorTerms")
		if len(r.NodeSelectorTerms) == 0 && !d.reported(rp) {
			p, _ := d.fieldAt(rp, "nodeSelectorTerms")
			d.errorAt(p, tp, "expected at least one term")
		}
		for i, term := range r.NodeSelectorTerms {
			d.checkNodeSelectorTerm(indexPath(tp, i), term)
		}
	}
	pp := joinKey(path, "preferredDuringSchedulingIgnoredDuringExecution")
	for i, term := range na.PreferredDuringSchedulingIgnoredDuringExecution {
		ip := indexPath(pp, i)
		d.checkWeight(ip, term.Weight)
		d.checkNodeSelectorTerm(joinKey(ip, "preference"), term.Preference)
	}
}

func (d *decoder) checkNodeSelectorTerm(path string, term corev1.NodeSelectorTerm) {
	ep := joinKey(path, "matchExpressions")
	for i, r := range term.MatchExpressions {
		ip := indexPath(ep, i)
		if d.reported(ip) {
			continue
		}
		d.checkName(joinKey(ip, "key"), "label key", r.Key, content.IsLabelKey)
		d.checkNodeOperator(ip, r)
	}
	fp := joinKey(path, "matchFields")
	for i, r := range term.MatchFields {
		ip := indexPath(fp, i)
		if d.reported(ip) {
			continue
		}
		if r.Key != nodeNameField {
			p, kp := d.fieldAt(ip, "key")
			d.errorAt(p, kp, "unknown field %q; matchFields tests %q only", r.Key, nodeNameField)
		}
		d.checkNodeOperator(ip, r)
	}
}

// checkNodeOperator checks an operator of a node selector and the number of
// values it takes.
func (d *decoder) checkNodeOperator(path string, r corev1.NodeSelectorRequirement) {
	switch {
	case checkSetOperator(d, path, r.Operator, r.Values):
	case r.Operator == corev1.NodeSelectorOpGt || r.Operator == corev1.NodeSelectorOpLt:
		vp, values := d.fieldAt(path, "values")
		if len(r.Values) != 1 {
			d.errorAt(vp, values, "operator %s takes one value", r.Operator)
		} else if _, err := strconv.ParseInt(r.Values[0], 10, 64); err != nil {
			ip := indexPath(values, 0)
			d.errorAt(d.valueAt(ip), ip, "operator %s compares integers, got %q", r.Operator, r.Values[0])
		}
	default:
		p, op := d.fieldAt(path, "operator")
		d.errorAt(p, op, "unknown operator %q; use one of %s", r.Operator, quoteList(nodeSelectorOperators))
	}
}

// checkSetOperator checks the values of the operators node selectors and
// label selectors share: In and NotIn need some, Exists and DoesNotExist take
// none. It reports whether op is one of them.
func checkSetOperator[T ~string](d *decoder, path string, op T, values []string) bool {
	vp, vfp := d.fieldAt(path, "values")
	switch metav1.LabelSelectorOperator(op) {
	case metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn:
		if len(values) == 0 {
			d.errorAt(vp, vfp, "operator %s needs values", op)
		}
	case metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist:
		if len(values) > 0 {
			d.errorAt(vp, vfp, "operator %s takes no values", op)
		}
	default:
		return false
	}
	return true
}

func (d *decoder) checkPodAffinity(path string, required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm) {
	rp := joinKey(path, "requiredDuringSchedulingIgnoredDuringExecution")
	for i, term := range required {
		d.checkPodAffinityTerm(indexPath(rp, i), term)
	}
	pp := joinKey(path, "preferredDuringSchedulingIgnoredDuringExecution")
	for i, w := range preferred {
		ip := indexPath(pp, i)
		d.checkWeight(ip, w.Weight)
		d.checkPodAffinityTerm(joinKey(ip, "podAffinityTerm"), w.PodAffinityTerm)
	}
}

func (d *decoder) checkPodAffinityTerm(path string, term corev1.PodAffinityTerm) {
	if d.reported(path) {
		return
	}
	if term.TopologyKey == "" {
		d.missing(path, "topologyKey")
	} else {
		d.checkName(joinKey(path, "topologyKey"), "topology key", term.TopologyKey, content.IsLabelKey)
	}
	for i, ns := range term.Namespaces {
		d.checkName(indexPath(joinKey(path, "namespaces"), i), "namespace", ns, content.IsDNS1123Label)
	}
	d.checkLabelSelector(joinKey(path, "labelSelector"), term.LabelSelector)
	d.checkLabelSelector(joinKey(path, "namespaceSelector"), term.NamespaceSelector)
}

func (d *decoder) checkLabelSelector(path string, s *metav1.LabelSelector) {
	if s == nil {
		return
	}
	checkLabels(d, joinKey(path, "matchLabels"), s.MatchLabels)
	ep := joinKey(path, "matchExpressions")
	for i, r := range s.MatchExpressions {
		ip := indexPath(ep, i)
		if d.reported(ip) {
			continue
		}
		d.checkName(joinKey(ip, "key"), "label key", r.Key, content.IsLabelKey)
		if !checkSetOperator(d, ip, r.Operator, r.Values) {
			p, op := d.fieldAt(ip, "operator")
			d.errorAt(p, op, "unknown operator %q; use one of %s", r.Operator, quoteList(labelSelectorOperators))
		}
	}
}

// checkWeight checks the weight of a preferred term, which the scheduler
// adds up per node.
func (d *decoder) checkWeight(path string, w int32) {
	if p, wp := d.fieldAt(path, "weight"); (w < 1 || w > 100) && !d.reported(wp) {
		d.errorAt(p, wp, "must be between 1 and 100, got %d", w)
	}
}
