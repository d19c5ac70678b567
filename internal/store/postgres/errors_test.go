package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
)

// closedPort returns a port of 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

func TestUnavailableClosedPort(t *testing.T) {
	t.Parallel()
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", closedPort(t))
	_, err := Open(t.Context(), url, Options{ConnectTimeout: 5 * time.Second})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open on a closed port: %v, want store.ErrUnavailable", err)
	}
}

// A database that goes away under an open store: every method says so
// with store.ErrUnavailable, which the scheduler retries.
func TestUnavailableServerStopped(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, err := pgserver.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	}()
	url, err := srv.NewDatabase(ctx, "gone")
	if err != nil {
		t.Fatal(err)
	}
	s := openURL(t, url, Options{ConnectTimeout: 5 * time.Second})
	if err := s.VariableSet(ctx, &store.Variable{Key: "k", Value: "v"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"VariableGet": func() error { _, err := s.VariableGet(ctx, "k"); return err },
		"DagList":     func() error { _, err := s.DagList(ctx, &store.DagListParams{}); return err },
		"TaskInstanceApply": func() error {
			_, err := s.TaskInstanceApply(ctx, []*store.TaskInstanceChange{{RunPK: 1, TaskID: "a", MapIndex: -1}})
			return err
		},
		"TaskInstanceDispatch": func() error {
			_, err := s.TaskInstanceDispatch(ctx, func(context.Context, store.DispatchTx) ([]*store.TaskInstanceChange, error) {
				return nil, nil
			})
			return err
		},
		"DagSync": func() error {
			_, _, err := s.DagSync(ctx, &store.DagSyncParams{DagID: "d", FileLoc: "f", Hash: "h", ParsedAt: time.Now()})
			return err
		},
	} {
		// The first call may meet a pooled connection the server closed,
		// the next ones a refused connect: both are outages.
		for i := range 2 {
			if err := call(); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("%s #%d after the server stopped: %v, want store.ErrUnavailable", name, i+1, err)
			}
		}
	}
}

// An answer of the server is no outage: retrying a wrong database name or
// a unique violation forever would help nobody.
func TestNotUnavailable(t *testing.T) {
	t.Parallel()
	srv, err := pgserver.Shared()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), srv.DatabaseURL("no_such_database"), Options{})
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open of a database that does not exist: %v, want an error that is not store.ErrUnavailable", err)
	} else if !strings.Contains(err.Error(), "no_such_database") {
		t.Errorf("error %q does not name the database", err)
	}

	s := openStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.DagList(ctx, &store.DagListParams{}); errors.Is(err, store.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("DagList with a canceled context: %v, want context.Canceled only", err)
	}
}
