// Package pgserver starts throwaway PostgreSQL servers: for the tests of the
// PostgreSQL store and of everything that runs on it, for end-to-end tests
// and for benchmarks. A server lives in a fresh temporary directory, listens
// on a free port of 127.0.0.1, trusts every local connection, and dies with
// the process that started it.
//
// Tests use ForTest, which starts one server per test binary and gives each
// test a database of its own; a test binary's TestMain calls Main so the
// server is stopped and its directory removed when the tests end.
package pgserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options tune a server. The zero value is what tests want.
type Options struct {
	// BinDir holds initdb and postgres. When empty, the environment variable
	// UPDRAFT_PG_BIN names it, or else hack/postgres.sh of this repository
	// finds (and if need be installs) PostgreSQL and prints it.
	BinDir string
	// Fsync keeps the server durable: fsync, synchronous_commit and
	// full_page_writes on, as in production. Off by default: a throwaway
	// server loses nothing on a crash, and tests run faster without the
	// flushes. A benchmark whose numbers must include durable commits sets
	// it, and reports Server.Fsync.
	Fsync bool
	// MaxConnections is the server's max_connections; 300 when 0, for a
	// test binary whose tests and scheduler processes each hold a pool.
	MaxConnections int
}

// Server is a running throwaway server.
type Server struct {
	dir    string // the temporary directory: data/, the socket, the log
	port   int
	fsync  bool
	cmd    *exec.Cmd
	exited chan struct{} // closed when the postmaster has exited
	admin  *pgxpool.Pool

	stopOnce sync.Once
	stopErr  error
}

const (
	// superuser is the role initdb creates, whoever runs it.
	superuser = "postgres"
	// dirPrefix names the temporary directories, so a later Start can find
	// the ones a killed process left behind.
	dirPrefix = "updraft-pg-"
	// ownerFile in a server's directory holds the pid of the process that
	// started it.
	ownerFile = "owner.pid"
	logFile   = "postgres.log"
)

// Start starts a server with the default options: see StartWith.
func Start(ctx context.Context) (*Server, error) {
	return StartWith(ctx, Options{})
}

// StartWith initializes a database cluster in a new temporary directory and
// starts a server on it, waiting until it accepts connections; ctx bounds
// the start only, not the server's life. As root it runs the server as the
// postgres system user, since PostgreSQL refuses to run as root. The server
// gets a parent-death signal, so it stops when this process dies, however it
// dies; call Stop to stop it before and remove its directory.
func StartWith(ctx context.Context, opts Options) (*Server, error) {
	bin, err := binDir(ctx, opts.BinDir)
	if err != nil {
		return nil, err
	}
	removeOrphans()
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	s := &Server{dir: dir, fsync: opts.Fsync}
	if err := s.start(ctx, bin, cred, opts); err != nil {
		s.kill()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential, opts Options) error {
	if err := os.WriteFile(filepath.Join(s.dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(s.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	data := filepath.Join(s.dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "--pgdata", data, "--username", superuser,
		"--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync")
	initdb.Dir = s.dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// The port is free when chosen but may be taken before the server binds
	// it: try another then.
	var err error
	for range 3 {
		s.port, err = freePort()
		if err != nil {
			return err
		}
		if err = s.run(ctx, bin, cred, opts); !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig(s.URL())
	if err != nil {
		return err
	}
	cfg.MaxConns = 4
	s.admin, err = pgxpool.NewWithConfig(ctx, cfg)
	return err
}

var errPortTaken = errors.New("port taken")

// run starts the postmaster and waits until it accepts connections.
func (s *Server) run(ctx context.Context, bin string, cred *syscall.Credential, opts Options) error {
	durable := "off"
	if opts.Fsync {
		durable = "on"
	}
	maxConns := opts.MaxConnections
	if maxConns == 0 {
		maxConns = 300
	}
	log, err := os.OpenFile(filepath.Join(s.dir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	// Not exec.CommandContext: ctx bounds the start, not the server's life.
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(s.dir, "data"),
		"-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.dir,
		"-c", "max_connections="+strconv.Itoa(maxConns),
		"-c", "fsync="+durable,
		"-c", "synchronous_commit="+durable,
		"-c", "full_page_writes="+durable,
		"-c", "timezone=UTC",
		"-c", "log_timezone=UTC",
	)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// SIGQUIT is PostgreSQL's immediate shutdown: the postmaster ends
		// its backends and removes its shared memory, so nothing outlives
		// this process. Go sets it after the credentials, which would
		// reset it.
		Pdeathsig: syscall.SIGQUIT,
		// Its own process group: a Ctrl-C in a terminal reaches the test
		// process, which then stops the server, not the server first.
		Setpgid: true,
	}
	exited := make(chan struct{})
	started := make(chan error)
	go func() {
		// The parent-death signal comes when the thread that started the
		// child ends, not the process: Go ends a thread when a goroutine
		// that locked it returns, which some test of the binary might do.
		// So the server is started from a thread held until it exits.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			_ = cmd.Wait()
		}
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd, s.exited = cmd, exited
	return s.waitReady(ctx)
}

// waitReady polls until the server accepts a connection, or fails with the
// end of its log when it exits first.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		select {
		case <-s.exited:
			tail := s.logTail()
			if strings.Contains(tail, "could not bind") || strings.Contains(tail, "already in use") {
				return errPortTaken
			}
			return fmt.Errorf("postgres exited while starting:\n%s", tail)
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections: %w\n%s", ctx.Err(), s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		attempt, cancelAttempt := context.WithTimeout(ctx, time.Second)
		conn, err := pgconn.Connect(attempt, s.URL())
		cancelAttempt()
		if err == nil {
			return conn.Close(ctx)
		}
	}
}

// logTail returns the last lines of the server's log, for errors.
func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, logFile))
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// URL is a postgres:// URL of the server's postgres database.
func (s *Server) URL() string { return s.DatabaseURL("postgres") }

// DatabaseURL is a postgres:// URL of a database of the server.
func (s *Server) DatabaseURL(name string) string {
	u := url.URL{Scheme: "postgres", User: url.User(superuser), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

// Fsync reports whether the server makes commits durable (Options.Fsync).
func (s *Server) Fsync() bool { return s.fsync }

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase(ctx context.Context, name string) (string, error) {
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgserver: create database %s: %w", name, err)
	}
	return s.DatabaseURL(name), nil
}

// DropDatabase drops a database, ending the connections still open to it.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	if _, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgserver: drop database %s: %w", name, err)
	}
	return nil
}

// Stop stops the server (a fast shutdown: open connections are ended) and
// removes its directory. It may be called more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.admin != nil {
			s.admin.Close()
		}
		s.stopErr = errors.Join(s.stopServer(), os.RemoveAll(s.dir))
		if s.stopErr != nil {
			s.stopErr = fmt.Errorf("pgserver: stop: %w", s.stopErr)
		}
	})
	return s.stopErr
}

func (s *Server) stopServer() error {
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
		return nil
	case <-time.After(30 * time.Second):
		s.kill()
		return errors.New("postgres did not stop within 30s: killed")
	}
}

// kill ends the postmaster at once, if it runs.
func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// removeOrphans removes the directories of servers whose starting process
// died without stopping them (a killed test binary): the parent-death
// signal stopped those servers, but nothing removed their files.
func removeOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		if !pidDead(filepath.Join(dir, ownerFile)) {
			continue
		}
		// The postmaster writes its pid first in postmaster.pid; it may
		// still be shutting down.
		if pm := filepath.Join(dir, "data", "postmaster.pid"); fileExists(pm) && !pidDead(pm) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

// pidDead reports whether the process whose pid is the first line of file
// is gone. A file that cannot be read says nothing: a server starting now
// may not have written it yet.
func pidDead(file string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return false
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(sc.Bytes())))
	if err != nil || pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
