package pgserver

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// shared is the one server of a test binary, started by the first ForTest.
var shared struct {
	mu      sync.Mutex
	started bool
	srv     *Server
	err     error
	// n numbers the databases, which keeps their names unique.
	n atomic.Int64
}

// Shared returns the test binary's server, starting it on first use; a
// failed start is not tried again.
func Shared() (*Server, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		// The first start on a new machine may install PostgreSQL.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		shared.srv, shared.err = Start(ctx)
	}
	return shared.srv, shared.err
}

// ForTest returns the URL of a new, empty database on the test binary's
// server, which it starts on first use; the database is dropped when t ends,
// so every test has one of its own. When no server can be started the test
// fails with the reason: a test that needs PostgreSQL never passes without.
//
// The server is stopped by Main, which the test binary's TestMain calls;
// without it the server still dies with the test binary (parent-death
// signal), and the next Start removes the directory it left.
func ForTest(t testing.TB) string {
	t.Helper()
	srv, err := Shared()
	if err != nil {
		t.Fatalf("PostgreSQL for tests: %v", err)
	}
	name := fmt.Sprintf("%s_%d", dbName(t.Name()), shared.n.Add(1))
	url, err := srv.NewDatabase(t.Context(), name)
	if err != nil {
		t.Fatalf("PostgreSQL for tests: %v", err)
	}
	t.Cleanup(func() {
		// t's context is done by now.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := srv.DropDatabase(ctx, name); err != nil {
			t.Errorf("PostgreSQL for tests: %v", err)
		}
	})
	return url
}

// Main runs the tests, stops the shared server if they started one, and
// exits; call it from TestMain:
//
//	func TestMain(m *testing.M) { pgserver.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if err := StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// StopShared stops the shared server if a test started it; for a TestMain
// that does more than Main.
func StopShared() error {
	shared.mu.Lock()
	srv := shared.srv
	shared.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Stop()
}

// dbName turns a test's name into the start of a database name that says
// which test it belongs to: lower case letters, digits and underscores,
// short enough to leave room for a number within PostgreSQL's 63 bytes.
func dbName(test string) string {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(test) {
		if b.Len() >= 48 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
