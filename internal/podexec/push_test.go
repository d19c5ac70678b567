package podexec

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/executor"
)

const bigValue = `printf '{"blob": "%s"}' "$(head -c 10000 /dev/zero | tr '\0' a)" > "$UPDRAFT_XCOM_FILE"`

// A value too large for the termination message goes through Push, and
// the message only says it is stored.
func TestLargeValueIsPushed(t *testing.T) {
	var pushed []byte
	r := runWith(t, t.Context(), func(c *Config) {
		c.Push = func(_ context.Context, v []byte) error { pushed = v; return nil }
	}, "sh", "-c", bigValue)
	if r.code != 0 || r.message.Error != "" {
		t.Fatalf("exit %d, error %q", r.code, r.message.Error)
	}
	if !r.message.XComStored || r.message.XCom != nil || r.raw != `{"xcom_stored":true}` {
		t.Errorf("message %s", r.raw)
	}
	if len(pushed) != len(`{"blob": ""}`)+10000 || !strings.HasPrefix(string(pushed), `{"blob": "aaa`) {
		t.Errorf("pushed %d bytes: %.40s", len(pushed), pushed)
	}
	if !strings.Contains(r.stderr, "XCom value of 10012 bytes sent to the API") {
		t.Errorf("stderr %q", r.stderr)
	}

	// A small value stays in the message even with an API at hand.
	r = runWith(t, t.Context(), func(c *Config) {
		c.Push = func(context.Context, []byte) error { t.Error("a small value was pushed"); return nil }
	}, "sh", "-c", `echo '[1, 2]' > "$UPDRAFT_XCOM_FILE"`)
	if r.code != 0 || string(r.message.XCom) != "[1,2]" {
		t.Errorf("small value: exit %d, message %s", r.code, r.raw)
	}

	// The API refusing it fails the try, saying why.
	r = runWith(t, t.Context(), func(c *Config) {
		c.Push = func(context.Context, []byte) error { return errors.New("409 Conflict: try 1 is not running") }
	}, "sh", "-c", bigValue)
	if r.code != 1 || !strings.Contains(r.message.Error, "cannot send the XCom value (10012 bytes) to the API: 409 Conflict") {
		t.Errorf("refused: exit %d, message %s", r.code, r.raw)
	}

	// Over the limit, nothing is sent.
	r = runWith(t, t.Context(), func(c *Config) {
		c.MaxXCom = 8000
		c.Push = func(context.Context, []byte) error { t.Error("a value over the limit was pushed"); return nil }
	}, "sh", "-c", bigValue)
	if r.code != 1 || !strings.Contains(r.message.Error, "more than the limit of 8000") {
		t.Errorf("over the limit: exit %d, message %s", r.code, r.raw)
	}
}

func TestPusherFromEnv(t *testing.T) {
	env := []string{"PATH=/bin", executor.EnvAPIURL + "=http://updraft.updraft.svc:8080/", executor.EnvTaskToken + "=tok",
		executor.EnvDagID + "=etl", executor.EnvRunID + "=manual__2026-11-23T12:00:00+00:00", executor.EnvTaskID + "=load",
		executor.EnvMapIndex + "=-1", executor.EnvTryNumber + "=2"}
	p, err := PusherFromEnv(env)
	if err != nil {
		t.Fatal(err)
	}
	want := executor.TryKey{DagID: "etl", RunID: "manual__2026-11-23T12:00:00+00:00", TaskID: "load", MapIndex: -1, TryNumber: 2}
	if p.URL != "http://updraft.updraft.svc:8080" || p.Token != "tok" || p.Key != want {
		t.Errorf("pusher %+v", p)
	}
	if p, err := PusherFromEnv([]string{"PATH=/bin"}); p != nil || err != nil {
		t.Errorf("without an API: %v %v", p, err)
	}
	for name, edit := range map[string]string{
		"no token":   executor.EnvTaskToken + "=",
		"bad URL":    executor.EnvAPIURL + "=updraft:8080",
		"bad number": executor.EnvTryNumber + "=two",
	} {
		if _, err := PusherFromEnv(append(append([]string{}, env...), edit)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// Push sends the value to set_xcom, tries again on 5xx, and stops at a
// refusal.
func TestPusherPush(t *testing.T) {
	var calls atomic.Int32
	var gotPath, gotAuth, gotBody string
	status := []int{http.StatusServiceUnavailable, http.StatusCreated}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		gotPath, gotAuth = r.URL.EscapedPath()+"?"+r.URL.RawQuery, r.Header.Get("Authorization")
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.WriteHeader(status[min(int(n), len(status))-1])
		_, _ = io.WriteString(w, `{"detail": "try 2 of task load is not queued or running"}`)
	}))
	defer srv.Close()
	p := &Pusher{URL: srv.URL, Token: "tok", Backoff: time.Millisecond,
		Key: executor.TryKey{DagID: "etl", RunID: "manual__2026-11-23T12:00:00+00:00", TaskID: "load", MapIndex: 3, TryNumber: 2}}
	if err := p.Push(t.Context(), []byte(`{"rows": 1}`)); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls, want 2 (one 503, then 201)", calls.Load())
	}
	if gotPath != "/execution/xcoms/etl/manual__2026-11-23T12:00:00+00:00/load/return_value?map_index=3" ||
		gotAuth != "Bearer tok" || gotBody != `{"rows": 1}` {
		t.Errorf("request %s, %q, %s", gotPath, gotAuth, gotBody)
	}

	calls.Store(0)
	status = []int{http.StatusConflict}
	err := p.Push(t.Context(), []byte(`1`))
	if err == nil || !strings.Contains(err.Error(), "409 Conflict") || !strings.Contains(err.Error(), "not queued or running") {
		t.Errorf("refused: %v", err)
	}
	if calls.Load() != 1 {
		t.Errorf("a refusal was sent %d times", calls.Load())
	}

	calls.Store(0)
	status = []int{http.StatusBadGateway}
	if err := p.Push(t.Context(), []byte(`1`)); err == nil || calls.Load() != pushAttempts {
		t.Errorf("502 every time: %v after %d calls", err, calls.Load())
	}
}
