package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
)

const userColumns = `id, username, email, first_name, last_name, role, password_hash, active, created_at, last_login`

func scanUser(row interface{ Scan(...any) error }) (*store.User, error) {
	var u store.User
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.Role, &u.PasswordHash, &u.Active,
		timeCol{&u.CreatedAt}, optTimeCol{&u.LastLogin})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// UserCreate inserts a user; a zero CreatedAt is now.
func (s *Store) UserCreate(ctx context.Context, u *store.User) (*store.User, error) {
	created := u.CreatedAt
	if created.IsZero() {
		created = nowUTC()
	}
	out, err := scanUser(s.w.QueryRowContext(ctx, `INSERT INTO users (username, email, first_name, last_name, role,
		password_hash, active, created_at, last_login) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+userColumns,
		u.Username, u.Email, u.FirstName, u.LastName, u.Role, u.PasswordHash, u.Active, fmtTime(created),
		nullTime(u.LastLogin)))
	if isConstraint(err) {
		return nil, fmt.Errorf("user %s: %w", u.Username, store.ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", u.Username, err)
	}
	return out, nil
}

// UserGet returns a user by username.
func (s *Store) UserGet(ctx context.Context, username string) (*store.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, username))
	if err != nil {
		return nil, notFound(err, "user "+username)
	}
	return u, nil
}

// UserList returns every user ordered by username.
func (s *Store) UserList(ctx context.Context) ([]*store.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UserUpdate replaces the fields of a user but its ID and CreatedAt.
func (s *Store) UserUpdate(ctx context.Context, u *store.User) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET email = ?, first_name = ?, last_name = ?, role = ?,
		password_hash = ?, active = ?, last_login = ? WHERE username = ?`,
		u.Email, u.FirstName, u.LastName, u.Role, u.PasswordHash, u.Active, nullTime(u.LastLogin), u.Username)
	if err != nil {
		return fmt.Errorf("user %s: %w", u.Username, err)
	}
	return requireOne(res, "user "+u.Username)
}

// UserSetLastLogin records a login.
func (s *Store) UserSetLastLogin(ctx context.Context, username string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET last_login = ? WHERE username = ?`, nullTime(&at), username)
	if err != nil {
		return fmt.Errorf("user %s: %w", username, err)
	}
	return requireOne(res, "user "+username)
}

// UserDelete deletes a user.
func (s *Store) UserDelete(ctx context.Context, username string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM users WHERE username = ?`, username)
	if err != nil {
		return err
	}
	return requireOne(res, "user "+username)
}

const connColumns = `conn_id, conn_type, description, host, schema, login, password, port, extra, is_encrypted,
	is_extra_encrypted`

func scanConn(row interface{ Scan(...any) error }) (*store.Connection, error) {
	var c store.Connection
	var port sql.NullInt64
	err := row.Scan(&c.ConnID, &c.ConnType, &c.Description, &c.Host, &c.Schema, &c.Login, &c.Password, &port,
		&c.Extra, &c.IsEncrypted, &c.IsExtraEncrypted)
	if err != nil {
		return nil, err
	}
	if port.Valid {
		p := int(port.Int64)
		c.Port = &p
	}
	return &c, nil
}

// portArg stores no port as NULL.
func portArg(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// ConnectionCreate inserts a connection.
func (s *Store) ConnectionCreate(ctx context.Context, c *store.Connection) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO connection (`+connColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ConnID, c.ConnType, c.Description, c.Host, c.Schema, c.Login, c.Password, portArg(c.Port), c.Extra,
		c.IsEncrypted, c.IsExtraEncrypted)
	if isConstraint(err) {
		return fmt.Errorf("connection %s: %w", c.ConnID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("connection %s: %w", c.ConnID, err)
	}
	return nil
}

// ConnectionUpdate replaces a connection's fields.
func (s *Store) ConnectionUpdate(ctx context.Context, c *store.Connection) error {
	res, err := s.w.ExecContext(ctx, `UPDATE connection SET conn_type = ?, description = ?, host = ?, schema = ?,
		login = ?, password = ?, port = ?, extra = ?, is_encrypted = ?, is_extra_encrypted = ? WHERE conn_id = ?`,
		c.ConnType, c.Description, c.Host, c.Schema, c.Login, c.Password, portArg(c.Port), c.Extra,
		c.IsEncrypted, c.IsExtraEncrypted, c.ConnID)
	if err != nil {
		return fmt.Errorf("connection %s: %w", c.ConnID, err)
	}
	return requireOne(res, "connection "+c.ConnID)
}

// ConnectionGet returns a connection.
func (s *Store) ConnectionGet(ctx context.Context, connID string) (*store.Connection, error) {
	c, err := scanConn(s.r.QueryRowContext(ctx, `SELECT `+connColumns+` FROM connection WHERE conn_id = ?`, connID))
	if err != nil {
		return nil, notFound(err, "connection "+connID)
	}
	return c, nil
}

// ConnectionDelete deletes a connection.
func (s *Store) ConnectionDelete(ctx context.Context, connID string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM connection WHERE conn_id = ?`, connID)
	if err != nil {
		return err
	}
	return requireOne(res, "connection "+connID)
}

// ConnectionList returns every connection ordered by ConnID.
func (s *Store) ConnectionList(ctx context.Context) ([]*store.Connection, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+connColumns+` FROM connection ORDER BY conn_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Connection
	for rows.Next() {
		c, err := scanConn(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
