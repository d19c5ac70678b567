package storetest

import "testing"

// TODO(query store): filtered, ordered, paged lists with totals.
func exerciseQuery(t *testing.T, open Opener) {}
