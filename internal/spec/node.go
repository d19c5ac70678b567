package spec

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// tag is the node's resolved short tag, like !!str or !!int.
func tag(n *yaml.Node) string { return n.ShortTag() }

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && tag(n) == "!!null" }

// isString accepts the scalars a person reads as text. A date is one: only
// the fields that are dates parse it as such.
func isString(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	t := tag(n)
	return t == "!!str" || t == "!!timestamp"
}

// isText accepts any scalar but null, by its text as written: argv items,
// environment values and Kubernetes quantities are strings in the end, and
// `cpu: 1` or `--epochs, 10` should not need quotes.
func isText(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	switch tag(n) {
	case "!!str", "!!timestamp", "!!int", "!!float", "!!bool":
		return true
	}
	return false
}

// describe names what a node is, for "expected X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	default:
		// Other kinds are handled after the switch.
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	switch t := tag(n); t {
	case "!!null":
		return "null"
	case "!!str":
		return "string " + strconv.Quote(v)
	case "!!int":
		return "integer " + v
	case "!!float":
		return "number " + v
	case "!!bool":
		return "boolean " + v
	case "!!timestamp":
		return "date " + v
	default:
		return "a value tagged " + t
	}
}

// joinKey extends a path with a mapping key, quoting keys that would make
// the path ambiguous (a task id may contain dots).
func joinKey(path, key string) string {
	plain := key != ""
	for _, r := range key {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	default:
		return path + "." + key
	}
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// suggest proposes the known field closest to a misspelt key.
func suggest(key string, fields []field) string {
	best, bestDist := "", 3
	for _, f := range fields {
		if dist := editDistance(key, f.name); dist < bestDist {
			best, bestDist = f.name, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
