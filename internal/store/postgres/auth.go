package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/updraft-dev/updraft/internal/store"
)

const userColumns = `id, username, email, first_name, last_name, role, password_hash, active, created_at, last_login`

func scanUser(row pgx.Row) (*store.User, error) {
	var u store.User
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.Role, &u.PasswordHash, &u.Active,
		&u.CreatedAt, &u.LastLogin)
	return &u, err
}

// UserCreate inserts a user; a zero CreatedAt is now. A user with the same
// username is store.ErrConflict, by way of classify.
func (s *Store) UserCreate(ctx context.Context, u *store.User) (*store.User, error) {
	created := u.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	out, err := queryOne(ctx, s.pool, scanUser, "new user", `INSERT INTO users (username, email,
		first_name, last_name, role, password_hash, active, created_at, last_login)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+userColumns,
		u.Username, u.Email, u.FirstName, u.LastName, u.Role, u.PasswordHash, u.Active, created, u.LastLogin)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", u.Username, err)
	}
	return out, nil
}

// UserGet returns a user by username.
func (s *Store) UserGet(ctx context.Context, username string) (*store.User, error) {
	return queryOne(ctx, s.pool, scanUser, "user "+username, `SELECT `+userColumns+` FROM users WHERE username = $1`,
		username)
}

// UserList returns every user ordered by username.
func (s *Store) UserList(ctx context.Context) ([]*store.User, error) {
	return queryAll(ctx, s.pool, scanUser, `SELECT `+userColumns+` FROM users ORDER BY username`)
}

// UserUpdate replaces the fields of a user but its ID and CreatedAt.
func (s *Store) UserUpdate(ctx context.Context, u *store.User) error {
	return execOne(ctx, s.pool, "user "+u.Username, `UPDATE users SET email = $2, first_name = $3, last_name = $4,
		role = $5, password_hash = $6, active = $7, last_login = $8 WHERE username = $1`,
		u.Username, u.Email, u.FirstName, u.LastName, u.Role, u.PasswordHash, u.Active, u.LastLogin)
}

// UserSetLastLogin records a login.
func (s *Store) UserSetLastLogin(ctx context.Context, username string, at time.Time) error {
	return execOne(ctx, s.pool, "user "+username, `UPDATE users SET last_login = $2 WHERE username = $1`, username, at)
}

// UserDelete deletes a user.
func (s *Store) UserDelete(ctx context.Context, username string) error {
	return execOne(ctx, s.pool, "user "+username, `DELETE FROM users WHERE username = $1`, username)
}

const connColumns = `conn_id, conn_type, description, host, schema, login, password, port, extra, is_encrypted,
	is_extra_encrypted`

func scanConn(row pgx.Row) (*store.Connection, error) {
	var c store.Connection
	err := row.Scan(&c.ConnID, &c.ConnType, &c.Description, &c.Host, &c.Schema, &c.Login, &c.Password, &c.Port,
		&c.Extra, &c.IsEncrypted, &c.IsExtraEncrypted)
	return &c, err
}

// ConnectionCreate inserts a connection. The same ConnID is
// store.ErrConflict, by way of classify.
func (s *Store) ConnectionCreate(ctx context.Context, c *store.Connection) error {
	_, err := exec(ctx, s.pool, `INSERT INTO connection (`+connColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		c.ConnID, c.ConnType, c.Description, c.Host, c.Schema, c.Login, c.Password, c.Port, c.Extra,
		c.IsEncrypted, c.IsExtraEncrypted)
	if err != nil {
		return fmt.Errorf("connection %s: %w", c.ConnID, err)
	}
	return nil
}

// ConnectionUpdate replaces a connection's fields.
func (s *Store) ConnectionUpdate(ctx context.Context, c *store.Connection) error {
	return execOne(ctx, s.pool, "connection "+c.ConnID, `UPDATE connection SET conn_type = $2, description = $3,
		host = $4, schema = $5, login = $6, password = $7, port = $8, extra = $9, is_encrypted = $10,
		is_extra_encrypted = $11 WHERE conn_id = $1`,
		c.ConnID, c.ConnType, c.Description, c.Host, c.Schema, c.Login, c.Password, c.Port, c.Extra,
		c.IsEncrypted, c.IsExtraEncrypted)
}

// ConnectionGet returns a connection.
func (s *Store) ConnectionGet(ctx context.Context, connID string) (*store.Connection, error) {
	return queryOne(ctx, s.pool, scanConn, "connection "+connID,
		`SELECT `+connColumns+` FROM connection WHERE conn_id = $1`, connID)
}

// ConnectionDelete deletes a connection.
func (s *Store) ConnectionDelete(ctx context.Context, connID string) error {
	return execOne(ctx, s.pool, "connection "+connID, `DELETE FROM connection WHERE conn_id = $1`, connID)
}

// ConnectionList returns every connection ordered by ConnID.
func (s *Store) ConnectionList(ctx context.Context) ([]*store.Connection, error) {
	return queryAll(ctx, s.pool, scanConn, `SELECT `+connColumns+` FROM connection ORDER BY conn_id`)
}
