package secret

import (
	"bytes"
	"strings"
)

// matcher finds secrets: a byte trie of every registered form, immutable
// once built. At each position it takes the longest secret starting there,
// so where secrets overlap the leftmost wins, then the longest (what one
// regexp of the secrets, longest first, would do, in one pass and
// without backtracking).
type matcher struct {
	// first is the node each byte leads to from the root; 0 is none.
	first [256]int32
	// nodes[0] is the root, only reached through first.
	nodes []trieNode
	// star says some secret holds '*', so a Replacement can make one.
	star bool
}

type trieNode struct {
	// keys[i] leads to nodes[kids[i]].
	keys []byte
	kids []int32
	// end says a secret ends here.
	end bool
}

func newMatcher(secrets map[string]struct{}) *matcher {
	m := &matcher{nodes: make([]trieNode, 1, 64)}
	for s := range secrets {
		if s == "" {
			continue
		}
		m.star = m.star || strings.IndexByte(s, '*') >= 0
		i := m.first[s[0]]
		if i == 0 {
			i = m.newNode()
			m.first[s[0]] = i
		}
		for j := 1; j < len(s); j++ {
			nd := &m.nodes[i]
			if k := bytes.IndexByte(nd.keys, s[j]); k >= 0 {
				i = nd.kids[k]
				continue
			}
			next := m.newNode()
			nd = &m.nodes[i] // newNode may have moved the nodes
			nd.keys = append(nd.keys, s[j])
			nd.kids = append(nd.kids, next)
			i = next
		}
		m.nodes[i].end = true
	}
	return m
}

func (m *matcher) newNode() int32 {
	m.nodes = append(m.nodes, trieNode{})
	return int32(len(m.nodes) - 1)
}

// longest returns the length of the longest secret at b[x:] (0 for none),
// and whether b ends while a longer secret could still be there.
func longest[S ~string | ~[]byte](m *matcher, b S, x int) (n int, more bool) {
	i := m.first[b[x]]
	for j := x + 1; i != 0; j++ {
		nd := &m.nodes[i]
		if nd.end {
			n = j - x
		}
		if len(nd.keys) == 0 {
			return n, false
		}
		if j == len(b) {
			return n, true
		}
		k := bytes.IndexByte(nd.keys, b[j])
		if k < 0 {
			return n, false
		}
		i = nd.kids[k]
	}
	return n, false
}

// scan masks b. Unless final, it stops at the first position where b ends
// before it is known whether a secret starts there: done is how much of b
// is masked. When it finds secrets it appends the masked b[:done] to out;
// when it finds none it appends nothing and found is false.
func scan[S ~string | ~[]byte](m *matcher, b S, final bool, out []byte) (_ []byte, done int, found bool) {
	last := 0 // b[:last] is in out
	done = len(b)
	for x := 0; x < len(b); {
		n, more := longest(m, b, x)
		if more && !final {
			done = x
			break
		}
		if n == 0 {
			x++
			continue
		}
		out = append(out, b[last:x]...)
		out = append(out, Replacement...)
		found = true
		x += n
		last = x
	}
	if found {
		out = append(out, b[last:done]...)
	}
	return out, done, found
}
