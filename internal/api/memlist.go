package api

import (
	"slices"
	"strings"
)

// The small tables (variables, connections, pools) come from the store
// whole; their lists are filtered, ordered and paged here.

// memoryOrder reads order_by for such a list: a field of fields (nil
// meaning the name itself), with an optional leading "-". It returns the
// comparison, with the name breaking ties, or records a 422 naming the
// fields allowed.
func memoryOrder[T any](q *query, order string, name func(T) string, fields map[string]func(a, b T) int) func(a, b T) int {
	field, desc := strings.CutPrefix(order, "-")
	by, ok := fields[field]
	if !ok {
		allowed := make([]string, 0, len(fields))
		for f := range fields {
			allowed = append(allowed, f)
		}
		slices.Sort(allowed)
		q.fail("value_error", "order_by must be one of "+strings.Join(allowed, ", ")+", optionally with a leading -", "order_by")
	}
	return func(a, b T) int {
		if desc {
			a, b = b, a
		}
		if by != nil {
			if c := by(a, b); c != 0 {
				return c
			}
		}
		return strings.Compare(name(a), name(b))
	}
}

// memoryFilter keeps the items whose name matches a *_pattern parameter
// (see searchPattern), sorted by cmp.
func memoryFilter[T any](list []T, pattern string, name func(T) string, cmp func(a, b T) int) []T {
	pattern = strings.ToLower(searchPattern(pattern))
	list = slices.DeleteFunc(list, func(x T) bool {
		return pattern != "" && !likeMatch(pattern, strings.ToLower(name(x)))
	})
	slices.SortStableFunc(list, cmp)
	return list
}
