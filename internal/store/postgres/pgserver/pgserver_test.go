package pgserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		helper()
		return
	}
	Main(m)
}

// start starts a server that t stops.
func start(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := StartWith(t.Context(), opts)
	if err != nil {
		t.Fatalf("StartWith: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return srv
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func show(t *testing.T, conn *pgx.Conn, setting string) string {
	t.Helper()
	var v string
	if err := conn.QueryRow(t.Context(), "SHOW "+setting).Scan(&v); err != nil {
		t.Fatalf("SHOW %s: %v", setting, err)
	}
	return v
}

func TestStartDatabasesStop(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := start(t, Options{})

	conn := connect(t, srv.URL())
	for setting, want := range map[string]string{"fsync": "off", "synchronous_commit": "on", "max_connections": "300", "TimeZone": "UTC",
		"server_encoding": "UTF8", "lc_collate": "C", "listen_addresses": "127.0.0.1"} {
		if got := show(t, conn, setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	if srv.Fsync() {
		t.Error("Fsync() = true for a server started without it")
	}
	if os.Geteuid() == 0 {
		var super string
		if err := conn.QueryRow(ctx, "SELECT current_user").Scan(&super); err != nil || super != "postgres" {
			t.Errorf("current_user = %q, %v; want postgres", super, err)
		}
	}

	// Each database is its own: a table in one is not in the other.
	urlA, err := srv.NewDatabase(ctx, "a")
	if err != nil {
		t.Fatalf("NewDatabase a: %v", err)
	}
	urlB, err := srv.NewDatabase(ctx, "B-mixed case")
	if err != nil {
		t.Fatalf("NewDatabase with a name to quote: %v", err)
	}
	a, b := connect(t, urlA), connect(t, urlB)
	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, "SELECT * FROM only_in_a"); err == nil {
		t.Error("a table of database a is visible in database B-mixed case")
	}
	if _, err := srv.NewDatabase(ctx, "a"); err == nil {
		t.Error("NewDatabase of an existing name: no error")
	}

	// Dropping ends the connections still open to the database.
	if err := srv.DropDatabase(ctx, "a"); err != nil {
		t.Fatalf("DropDatabase with a connection open: %v", err)
	}
	if _, err := pgx.Connect(ctx, urlA); err == nil {
		t.Error("connected to a dropped database")
	}

	dir := srv.dir
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server directory after Stop: %v, want it removed", err)
	}
	if c, err := pgx.Connect(ctx, srv.URL()); err == nil {
		c.Close(ctx)
		t.Error("connected to a stopped server")
	}
}

func TestFsyncOption(t *testing.T) {
	t.Parallel()
	srv := start(t, Options{Fsync: true, MaxConnections: 50})
	if !srv.Fsync() {
		t.Error("Fsync() = false for a server started with it")
	}
	conn := connect(t, srv.URL())
	for setting, want := range map[string]string{"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on", "max_connections": "50"} {
		if got := show(t, conn, setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
}

// Kill takes a server down as a crash does: open connections break and
// new ones are refused. Restart brings it back on the same port with every
// commit it acknowledged, however close to the crash.
func TestKillRestart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := start(t, Options{})
	url, err := srv.NewDatabase(ctx, "outage")
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, url)
	if _, err := conn.Exec(ctx, "CREATE TABLE acked (n int)"); err != nil {
		t.Fatal(err)
	}
	// Many small commits, the last just before the crash: a commit still
	// in the WAL buffers (synchronous_commit off) would be lost.
	const rows = 500
	for i := range rows {
		if _, err := conn.Exec(ctx, "INSERT INTO acked VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if err := srv.Kill(); err != nil {
		t.Errorf("Kill of a server that is down: %v", err)
	}

	// Down: the open connection is broken, a new one refused, the data
	// directory kept.
	if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("a connection opened before Kill still works")
	}
	attempt, cancel := context.WithTimeout(ctx, 10*time.Second)
	if c, err := pgx.Connect(attempt, url); err == nil {
		_ = c.Close(ctx)
		t.Error("connected to a killed server")
	}
	cancel()
	if _, err := srv.NewDatabase(ctx, "while_down"); err == nil {
		t.Error("NewDatabase on a killed server: no error")
	}
	if _, err := os.Stat(filepath.Join(srv.dir, "data", "PG_VERSION")); err != nil {
		t.Errorf("data directory after Kill: %v", err)
	}

	// Up again, at the same address, with every acknowledged commit.
	if err := srv.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if got := srv.DatabaseURL("outage"); got != url {
		t.Errorf("URL after Restart = %s, want %s", got, url)
	}
	conn = connect(t, url)
	var n, sum int
	if err := conn.QueryRow(ctx, "SELECT count(*), coalesce(sum(n), 0) FROM acked").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != rows || sum != rows*(rows-1)/2 {
		t.Errorf("after Restart: %d rows summing to %d, want %d summing to %d", n, sum, rows, rows*(rows-1)/2)
	}
	if _, err := srv.NewDatabase(ctx, "after"); err != nil {
		t.Errorf("NewDatabase after Restart: %v", err)
	}
	if err := srv.Restart(ctx); err == nil {
		t.Error("Restart of a running server: no error")
	}

	// Stop after a Kill stops nothing and removes the directory; there is
	// no Restart after Stop.
	if err := srv.Kill(); err != nil {
		t.Fatalf("second Kill: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop after Kill: %v", err)
	}
	if _, err := os.Stat(srv.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server directory after Stop: %v, want it removed", err)
	}
	if err := srv.Restart(ctx); err == nil {
		t.Error("Restart after Stop: no error")
	}
	if err := srv.Kill(); err == nil {
		t.Error("Kill after Stop: no error")
	}
}

func TestStartFailsWithReason(t *testing.T) {
	t.Parallel()
	_, err := StartWith(t.Context(), Options{BinDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "initdb") {
		t.Errorf("StartWith a directory without PostgreSQL: %v, want an error about initdb", err)
	}
}

func TestForTest(t *testing.T) {
	t.Parallel()
	var names []string
	for i := range 2 {
		t.Run(fmt.Sprint("db", i), func(t *testing.T) {
			url := ForTest(t)
			conn := connect(t, url)
			var name string
			if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
			var tables int
			if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables != 0 {
				t.Errorf("a new database has %d tables", tables)
			}
			// Left open on purpose: the drop at cleanup must end it.
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("databases of two tests: %v, want two different", names)
	}
	srv, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, srv.URL())
	var left int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = ANY($1)", names).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d test databases left after their tests ended", left)
	}
}

func TestDBName(t *testing.T) {
	for name, want := range map[string]string{
		"TestExercise/Dag/Sync#01": "t_testexercise_dag_sync_01",
		strings.Repeat("x", 100):   "t_" + strings.Repeat("x", 46),
	} {
		if got := dbName(name); got != want {
			t.Errorf("dbName(%q) = %q, want %q", name, got, want)
		}
	}
}

// helperEnv makes the test binary a process that starts a server, prints
// the postmaster's pid and directory, and waits to be killed.
const helperEnv = "PGSERVER_TEST_HELPER"

func helper() {
	srv, err := Start(context.Background())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(srv.cmd.Process.Pid, srv.dir)
	select {}
}

// TestServerDiesWithItsProcess kills a process that started a server, as a
// test binary killed on timeout is: the server must stop by itself, and the
// next Start must remove the directory it left.
func TestServerDiesWithItsProcess(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("helper: %v", err)
	}
	var pid int
	var dir string
	if _, err := fmt.Sscan(line, &pid, &dir); err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("helper said %q: %v", line, err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("postmaster %d not running before its parent died: %v", pid, err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	deadline := time.Now().Add(30 * time.Second)
	for !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("postmaster %d still runs 30s after its parent was killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The directory may already be gone here: test binaries of other
	// packages, running at the same time, Start servers too, and each
	// Start removes the directories of dead owners.
	srv := start(t, Options{})
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory %s of a dead process's server after a new Start: %v, want it removed", dir, err)
	}
	// The new server's own directory is kept while its process lives.
	if _, err := os.Stat(filepath.Join(srv.dir, ownerFile)); err != nil {
		t.Errorf("a running server's directory: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(srv.dir, ownerFile)); string(got) != strconv.Itoa(os.Getpid()) {
		t.Errorf("owner file = %q, want this process's pid", got)
	}
}
