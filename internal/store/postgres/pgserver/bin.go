package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// BinEnv is the environment variable that names the directory of initdb and
// postgres, for machines where hack/postgres.sh cannot find or install them
// or where the repository is not at hand (a binary run elsewhere).
const BinEnv = "UPDRAFT_PG_BIN"

// binDir returns the directory of the server binaries: the one given, the
// one BinEnv names, or the one hack/postgres.sh prints.
func binDir(ctx context.Context, given string) (string, error) {
	if given == "" {
		// Test infrastructure, like the testing package's flags: a test
		// binary has no config to carry this, and CI sets it on machines
		// without Debian's packages.
		given = os.Getenv(BinEnv) //nolint:forbidigo // see above
	}
	if given != "" {
		if _, err := os.Stat(filepath.Join(given, "initdb")); err != nil { //nolint:gosec // the operator names the directory
			return "", fmt.Errorf("pgserver: PostgreSQL binaries: %w", err)
		}
		return given, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("pgserver: finding hack/postgres.sh: %w (or set %s to the directory of initdb)", err, BinEnv)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "hack", "postgres.sh"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pgserver: hack/postgres.sh: %w\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return lines[len(lines)-1], nil
}

// repoRoot walks up from the working directory to this repository's root:
// the first directory with a go.mod and hack/postgres.sh. Tests run in their
// package's directory, commands usually in the root.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "hack", "postgres.sh")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no repository root above the working directory")
		}
		dir = parent
	}
}

// serverUser runs the server when this process is root, which PostgreSQL
// refuses to run as. Debian's package creates it.
const serverUser = "postgres"

// serverCredential returns the user and group to run initdb and the server
// as: nil (this process's) unless this process is root, else serverUser's,
// created when missing.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		var unknown user.UnknownUserError
		if !errors.As(err, &unknown) {
			return nil, fmt.Errorf("pgserver: user %s: %w", serverUser, err)
		}
		out, addErr := exec.Command("useradd", "--system", "--user-group", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", serverUser).CombinedOutput()
		// Another test binary may have created it meanwhile.
		if u, err = user.Lookup(serverUser); err != nil {
			return nil, fmt.Errorf("pgserver: PostgreSQL refuses to run as root and user %s could not be created: %w %s",
				serverUser, addErr, out)
		}
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
