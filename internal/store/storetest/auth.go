package storetest

import "testing"

// TODO(auth store): users, connections, encrypted variables.
func exerciseAuth(t *testing.T, open Opener) {}
