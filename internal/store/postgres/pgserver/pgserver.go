// Package pgserver starts throwaway PostgreSQL servers: for the tests of the
// PostgreSQL store and of everything that runs on it, for end-to-end tests
// and for benchmarks. A server lives in a fresh temporary directory, listens
// on a free port of 127.0.0.1, trusts every local connection, and dies with
// the process that started it.
//
// Tests use ForTest, which starts one server per test binary and gives each
// test a database of its own; a test binary's TestMain calls Main so the
// server is stopped and its directory removed when the tests end. A test of
// what happens when the database goes away starts a server of its own and
// takes it down with Kill and up again with Restart.
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
	// Fsync keeps the server durable: fsync and full_page_writes on, as in
	// production. Off by default: a throwaway server loses nothing of value
	// when its machine crashes, and tests run faster without the flushes. A
	// benchmark whose numbers must include durable commits sets it, and
	// reports Server.Fsync.
	//
	// Commits are synchronous either way (synchronous_commit on): a commit
	// is acknowledged once its WAL is written, to the disk with Fsync, else
	// to the operating system, which costs little. So a server that Kill
	// crashes keeps every commit it acknowledged, as a production server
	// does, and a test of an outage sees what production would.
	Fsync bool
	// MaxConnections is the server's max_connections; 300 when 0, for a
	// test binary whose tests and scheduler processes each hold a pool.
	MaxConnections int
}

// Server is a running throwaway server.
type Server struct {
	dir   string // the temporary directory: data/, the socket, the log
	port  int
	fsync bool
	// What starting the postmaster takes, again at Restart.
	bin   string
	cred  *syscall.Credential
	opts  Options
	admin *pgxpool.Pool

	// mu guards the postmaster, which Kill ends and Restart replaces.
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the postmaster has exited
	stopped bool          // Stop was called: no Restart

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
	s := &Server{dir: dir, fsync: opts.Fsync, bin: bin, cred: cred, opts: opts}
	if err := s.start(ctx); err != nil {
		s.kill()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	return s, nil
}

func (s *Server) start(ctx context.Context) error {
	bin, cred := s.bin, s.cred
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
		if err = s.run(ctx); !errors.Is(err, errPortTaken) {
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
func (s *Server) run(ctx context.Context) error {
	durable := "off"
	if s.opts.Fsync {
		durable = "on"
	}
	maxConns := s.opts.MaxConnections
	if maxConns == 0 {
		maxConns = 300
	}
	log, err := os.OpenFile(filepath.Join(s.dir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	// Not exec.CommandContext: ctx bounds the start, not the server's life.
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", filepath.Join(s.dir, "data"),
		"-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.dir,
		"-c", "max_connections="+strconv.Itoa(maxConns),
		"-c", "fsync="+durable,
		"-c", "synchronous_commit=on",
		"-c", "full_page_writes="+durable,
		"-c", "timezone=UTC",
		"-c", "log_timezone=UTC",
	)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: s.cred,
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
// removes its directory. It may be called more than once, and after Kill.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.admin != nil {
			s.admin.Close()
		}
		s.mu.Lock()
		s.stopped = true
		err := s.stopServer()
		s.mu.Unlock()
		s.stopErr = errors.Join(err, os.RemoveAll(s.dir))
		if s.stopErr != nil {
			s.stopErr = fmt.Errorf("pgserver: stop: %w", s.stopErr)
		}
	})
	return s.stopErr
}

func (s *Server) stopServer() error {
	if !s.running() {
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

// running reports whether the postmaster runs; s.mu is held, or s is not
// shared yet.
func (s *Server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Kill takes the server down as a crash does, for tests of what its
// clients do while their database is away: an immediate shutdown
// (SIGQUIT), in which every backend exits at once, its transaction
// unfinished, and the postmaster follows without a checkpoint. Open
// connections break, and connects are refused until Restart, which finds
// the data directory and the port as Kill left them. Every commit the
// server acknowledged survives (see Options.Fsync). Kill returns once the
// postmaster and its backends have exited; it does nothing when the server
// is down already.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("pgserver: kill: the server was stopped")
	}
	if !s.running() {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGQUIT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgserver: kill: %w", err)
	}
	// The postmaster waits for its backends, and kills with SIGKILL those
	// that have not exited after 5s.
	select {
	case <-s.exited:
		return nil
	case <-time.After(30 * time.Second):
		s.kill()
		return errors.New("pgserver: kill: postgres did not exit within 30s of SIGQUIT: killed")
	}
}

// Restart starts again a server that Kill took down, on the same data
// directory and port, and waits until it accepts connections: PostgreSQL
// first recovers from its WAL, as after a crash. ctx bounds the start only.
// The URLs the server gave out stay valid.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("pgserver: restart: the server was stopped")
	}
	if s.running() {
		return errors.New("pgserver: restart: the server is running; Kill it first")
	}
	// Nothing else should take the port, but a Start elsewhere may hold it
	// for a moment while it checks that the port is free.
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("pgserver: restart: %w", ctx.Err())
			case <-time.After(time.Second):
			}
		}
		if err = s.run(ctx); !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		s.kill()
		return fmt.Errorf("pgserver: restart on port %d: %w", s.port, err)
	}
	// The admin pool's connections died with the old postmaster.
	s.admin.Reset()
	return nil
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
