// Package postgres is the metadata store on PostgreSQL, through pgx: what
// several schedulers and API servers share. Every method is one transaction
// (often one statement, or one pipelined batch: one round trip); the ones
// schedulers race on lock what they decide from (the DAG row, the pools, the
// task instances they dispatch), so limits hold across processes.
package postgres

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/updraft-dev/updraft/internal/store"
)

// Options tune the connection pool and the server's limits on statements.
// A zero field takes the setting the URL gives (pool_max_conns,
// pool_min_conns, pool_max_conn_lifetime, statement_timeout, lock_timeout,
// connect_timeout), or else the default.
type Options struct {
	// MaxConns caps the pool's connections; 16 by default. A scheduler's
	// dispatch holds one while it reads through others.
	MaxConns int32
	// MinConns keeps connections open while idle; none by default.
	MinConns int32
	// MaxConnLifetime closes older connections, so a pool spreads over
	// the servers behind a proxy again after a failover; 1h by default.
	MaxConnLifetime time.Duration
	// StatementTimeout ends a statement that runs longer: a stuck query
	// fails instead of holding its locks for ever; 30s by default.
	StatementTimeout time.Duration
	// LockTimeout ends a statement that waits longer for a lock; 10s by
	// default.
	LockTimeout time.Duration
	// ConnectTimeout bounds opening a connection; 10s by default.
	ConnectTimeout time.Duration
}

const (
	defaultMaxConns         = 16
	defaultMaxConnLifetime  = time.Hour
	defaultStatementTimeout = 30 * time.Second
	defaultLockTimeout      = 10 * time.Second
	defaultConnectTimeout   = 10 * time.Second
)

// Store is the PostgreSQL store.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://...) and migrates it to
// the latest schema. It refuses a database from a newer updraft.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	s, err := OpenNoMigrate(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// OpenNoMigrate connects without migrating. It fails with an error that
// wraps store.ErrUnavailable when the server cannot be reached.
func OpenNoMigrate(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := poolConfig(url, opts)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", classify(ctx, err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", classify(ctx, err))
	}
	return &Store{pool: pool}, nil
}

// Close closes the pool's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// poolConfig parses url and applies opts and the defaults to it.
func poolConfig(connString string, opts Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	set := func(key string) bool { return connParamSet(connString, key) }
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !set("pool_max_conns"):
		cfg.MaxConns = defaultMaxConns
	}
	if opts.MinConns > 0 {
		cfg.MinConns = opts.MinConns
	}
	switch {
	case opts.MaxConnLifetime > 0:
		cfg.MaxConnLifetime = opts.MaxConnLifetime
	case !set("pool_max_conn_lifetime"):
		cfg.MaxConnLifetime = defaultMaxConnLifetime
	}
	switch {
	case opts.ConnectTimeout > 0:
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	case !set("connect_timeout"):
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	// Sent at connect as the session's defaults: no round trip per use.
	for key, d := range map[string][2]time.Duration{
		"statement_timeout": {opts.StatementTimeout, defaultStatementTimeout},
		"lock_timeout":      {opts.LockTimeout, defaultLockTimeout},
	} {
		switch {
		case d[0] > 0:
			cfg.ConnConfig.RuntimeParams[key] = strconv.FormatInt(d[0].Milliseconds(), 10)
		case !set(key):
			cfg.ConnConfig.RuntimeParams[key] = strconv.FormatInt(d[1].Milliseconds(), 10)
		}
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "updraft"
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		// Times come back in UTC, whatever the server's or this process's
		// time zone, as the store's callers expect.
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	return cfg, nil
}

// connParamSet reports whether a connection string, a URL or keyword/value
// pairs, sets key.
func connParamSet(connString, key string) bool {
	if u, err := url.Parse(connString); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Query().Has(key)
	}
	return regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(key) + `\s*=`).MatchString(connString)
}
