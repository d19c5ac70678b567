package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/api"
	"github.com/updraft-dev/updraft/internal/logstore"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/ui"
)

func (a *app) serverCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "server",
		Short: "Serve the web UI and the REST API (/api/v2, shaped like Airflow's) on api_address",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.storeWaiting(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			ln, err := net.Listen("tcp", a.cfg.APIAddress)
			if err != nil {
				return fmt.Errorf("api_address %s: %w", a.cfg.APIAddress, err)
			}
			fmt.Fprintf(a.errOut, "updraft server %s\n  database: %s\n  ui:       http://%s/\n  api:      http://%s/api/v2\n", Version, a.databaseName(), ln.Addr(), ln.Addr())
			return a.serveAPI(ctx, st, ln, nil)
		},
	}
}

// serveAPI serves the API on ln until ctx ends, then shuts down gracefully.
func (a *app) serveAPI(ctx context.Context, st store.Store, ln net.Listener, wake func()) error {
	key, err := a.secretKey()
	if err != nil {
		return err
	}
	var settings []api.ConfigOption
	for _, kv := range a.cfg.Public() {
		settings = append(settings, api.ConfigOption{Key: kv[0], Value: kv[1]})
	}
	srv, err := api.New(api.Config{
		Store: st, Versions: a.versions, Logs: logstore.FileStore{Dir: a.cfg.LogDir()}, Logger: a.log,
		Secret: key, TokenTTL: a.cfg.APITokenTTL, MaxBodyBytes: a.cfg.APIMaxBodyBytes,
		Version: Version, Now: time.Now, Wake: wake, Settings: settings, Masker: a.masker,
	})
	if err != nil {
		return err
	}
	app, err := ui.New()
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", srv)
	mux.Handle("/auth/", srv)
	// What tries in pods call with their task tokens (set_xcom).
	mux.Handle("/execution/", srv)
	mux.Handle("/", app)
	// Bodies are small (api_max_body_bytes): a client that trickles one
	// is cut off rather than holding a connection.
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shut); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// secretKey is the configured secret_key, or the one generated into the
// data directory on first use, so tokens outlive a restart.
func (a *app) secretKey() ([]byte, error) {
	if a.cfg.SecretKey != "" {
		return []byte(a.cfg.SecretKey), nil
	}
	key, err := a.dataDirKey("secret_key", func() string { return hex.EncodeToString(randomBytes(32)) })
	if err != nil {
		return nil, err
	}
	if len(key) < 32 {
		return nil, fmt.Errorf("%s: the secret key must be at least 32 characters", filepath.Join(a.cfg.DataDir, "secret_key"))
	}
	return []byte(key), nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// dataDirKey reads a key kept in a file of the data directory, creating it
// with generate on first use, readable by its owner only. Processes that
// start at once agree: the first to create the file wins.
func (a *app) dataDirKey(name string, generate func() string) (string, error) {
	path := filepath.Join(a.cfg.DataDir, name)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o755); err != nil {
		return "", err
	}
	key := generate()
	// Written whole to a temporary file, then linked into place: another
	// process never reads a half-written key, and if one linked its key
	// first, that one is used.
	tmp, err := os.CreateTemp(a.cfg.DataDir, "."+name+"-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if _, err := tmp.WriteString(key + "\n"); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return a.dataDirKey(name, generate)
	} else if err != nil {
		return "", err
	}
	return key, nil
}
