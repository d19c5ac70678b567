package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/api"
	"github.com/updraft-dev/updraft/internal/store"
)

func (a *app) usersCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Manage the users of the API and UI"}
	cmd.AddCommand(a.usersCreate(), a.usersList(), a.usersDelete())
	return cmd
}

func (a *app) usersCreate() *cobra.Command {
	var u store.User
	var password string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a user with a role: Admin, Op, User or Viewer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(store.Roles, u.Role) {
				return fmt.Errorf("--role: must be one of %s, got %q", strings.Join(store.Roles, ", "), u.Role)
			}
			if passwordStdin {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && !errors.Is(err, io.EOF) {
					return fmt.Errorf("--password-stdin: %w", err)
				}
				password = strings.TrimRight(line, "\r\n")
			}
			if password == "" {
				return errors.New("a password is required: --password or --password-stdin")
			}
			hash, err := api.HashPassword(password)
			if err != nil {
				return err
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			u.PasswordHash, u.Active, u.CreatedAt = hash, true, time.Now().UTC()
			created, err := st.UserCreate(cmd.Context(), &u)
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("user %q already exists", u.Username)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "user %s created with role %s\n", created.Username, created.Role)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&u.Username, "username", "u", "", "login name (required)")
	f.StringVarP(&u.Role, "role", "r", "", "Admin, Op, User or Viewer (required)")
	f.StringVarP(&u.Email, "email", "e", "", "email address")
	f.StringVarP(&u.FirstName, "firstname", "f", "", "first name")
	f.StringVarP(&u.LastName, "lastname", "l", "", "last name")
	f.StringVarP(&password, "password", "p", "", "password (visible to other users of this machine; prefer --password-stdin)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	_ = cmd.MarkFlagRequired("username")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func (a *app) usersList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			users, err := st.UserList(cmd.Context())
			if err != nil {
				return err
			}
			type row struct {
				Username  string `json:"username"`
				Role      string `json:"role"`
				Email     string `json:"email"`
				FirstName string `json:"first_name"`
				LastName  string `json:"last_name"`
				Active    bool   `json:"active"`
			}
			var rows [][]string
			values := []row{}
			for _, u := range users {
				rows = append(rows, []string{u.Username, u.Role, u.Email, u.FirstName, u.LastName, fmt.Sprint(u.Active)})
				values = append(values, row{u.Username, u.Role, u.Email, u.FirstName, u.LastName, u.Active})
			}
			return a.table([]string{"USERNAME", "ROLE", "EMAIL", "FIRST NAME", "LAST NAME", "ACTIVE"}, rows, values)
		},
	}
}

func (a *app) usersDelete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete USERNAME",
		Short: "Delete a user",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			if err := st.UserDelete(cmd.Context(), args[0]); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("user %q does not exist", args[0])
			} else if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "user %s deleted\n", args[0])
			return nil
		},
	}
}

// adminPasswordFile keeps the password standalone generated for admin, as
// `airflow standalone` keeps its own.
const adminPasswordFile = "standalone_admin_password.txt"

// ensureAdmin creates the user admin with a random password when there are
// no users yet, prints the password once and keeps it in the data
// directory, readable by its owner only.
func (a *app) ensureAdmin(ctx context.Context, st store.Store) error {
	users, err := st.UserList(ctx)
	if err != nil || len(users) > 0 {
		return err
	}
	password := rand.Text()
	hash, err := api.HashPassword(password)
	if err != nil {
		return err
	}
	_, err = st.UserCreate(ctx, &store.User{Username: "admin", Role: store.RoleAdmin, PasswordHash: hash,
		Active: true, CreatedAt: time.Now().UTC()})
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	if err != nil {
		return err
	}
	path := filepath.Join(a.cfg.DataDir, adminPasswordFile)
	_ = os.Remove(path) // a file left by an earlier database keeps its mode otherwise
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("keep the admin password: %w", err)
	}
	fmt.Fprintf(a.errOut, "created user admin (role Admin) with password %s\n  (kept in %s)\n", password, path)
	return nil
}
