package postgres

import (
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/dag"
)

// Helpers that turn the store's values into statement arguments and the
// conditions on them.

// stateArg stores the none state as NULL.
func stateArg(s dag.TaskState) *string {
	if s == dag.TaskNone {
		return nil
	}
	v := string(s)
	return &v
}

// stateCond renders a condition on col for a list of states that may hold
// none (NULL), adding its argument through arg. One state is an equality,
// so the state index also gives the rows in its order; several are one
// array argument, so the statement's text is the same for any of them.
func stateCond(col string, states []dag.TaskState, arg func(any) string) string {
	var named []string
	hasNone := false
	for _, s := range states {
		if s == dag.TaskNone {
			hasNone = true
		} else {
			named = append(named, string(s))
		}
	}
	var parts []string
	switch len(named) {
	case 0:
	case 1:
		parts = append(parts, col+" = "+arg(named[0]))
	default:
		parts = append(parts, col+" = ANY("+arg(named)+"::text[])")
	}
	if hasNone {
		parts = append(parts, col+" IS NULL")
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// taskGuardArgs splits a guard on task states into the named states (NULL
// for any state, when the guard is empty) and whether none is one of them.
func taskGuardArgs(from []dag.TaskState) (named []string, none bool) {
	if len(from) == 0 {
		return nil, false
	}
	named = []string{}
	for _, s := range from {
		if s == dag.TaskNone {
			none = true
		} else {
			named = append(named, string(s))
		}
	}
	return named, none
}

// argList collects a statement's arguments, returning each one's $n.
type argList []any

func (a *argList) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// limitArg is a LIMIT's argument: NULL, no limit, for 0.
func limitArg(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}

// guardArg is a state guard's argument: NULL, any state, when empty.
func guardArg[T ~string](from []T) []string {
	if len(from) == 0 {
		return nil
	}
	return strs(from)
}

// strs converts a list of states for pgx, which sends []string as text[].
func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// nonNil makes a nil list an empty array: pgx sends a nil slice as NULL,
// and x <> ALL(NULL) is never true.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
