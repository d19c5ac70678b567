package store

import (
	"context"
	"time"
)

// Roles, with Airflow's meanings: Viewer reads; User also triggers, clears
// and marks runs and task instances and pauses DAGs; Op also manages
// variables, connections and pools; Admin also manages users.
const (
	RoleAdmin  = "Admin"
	RoleOp     = "Op"
	RoleUser   = "User"
	RoleViewer = "Viewer"
)

// Roles lists the roles, most powerful first.
var Roles = []string{RoleAdmin, RoleOp, RoleUser, RoleViewer}

// User is someone who logs in to the API and UI.
type User struct {
	ID        int64
	Username  string
	Email     string
	FirstName string
	LastName  string
	// Role is one of Roles.
	Role string
	// PasswordHash is a bcrypt hash; the store never sees a password.
	PasswordHash string
	// Active users may log in; an inactive one is refused.
	Active    bool
	CreatedAt time.Time
	LastLogin *time.Time
}

// Connection is how tasks reach an external system, as Airflow keeps it.
// Password and Extra are stored as given: the caller encrypts them (and sets
// IsEncrypted / IsExtraEncrypted) before they reach the store.
type Connection struct {
	ConnID           string
	ConnType         string
	Description      string
	Host             string
	Schema           string
	Login            string
	Password         string
	Port             *int
	Extra            string
	IsEncrypted      bool
	IsExtraEncrypted bool
}

// AuthStore keeps users and connections.
type AuthStore interface {
	// UserCreate inserts a user and returns it with its ID; a user with the
	// same username gives ErrConflict.
	UserCreate(ctx context.Context, u *User) (*User, error)
	// UserGet returns a user by username, or ErrNotFound.
	UserGet(ctx context.Context, username string) (*User, error)
	// UserList returns every user ordered by username.
	UserList(ctx context.Context) ([]*User, error)
	// UserUpdate replaces every field of the user with u's username but its
	// ID and CreatedAt; ErrNotFound when there is none.
	UserUpdate(ctx context.Context, u *User) error
	// UserSetLastLogin records a login, changing nothing else of the user
	// (who may have been changed since the login read it); ErrNotFound
	// when there is no such user.
	UserSetLastLogin(ctx context.Context, username string, at time.Time) error
	// UserDelete deletes a user, or returns ErrNotFound.
	UserDelete(ctx context.Context, username string) error

	// ConnectionCreate inserts a connection; the same ConnID gives
	// ErrConflict.
	ConnectionCreate(ctx context.Context, c *Connection) error
	// ConnectionUpdate replaces a connection's fields; ErrNotFound when
	// there is none.
	ConnectionUpdate(ctx context.Context, c *Connection) error
	// ConnectionGet returns a connection, or ErrNotFound.
	ConnectionGet(ctx context.Context, connID string) (*Connection, error)
	// ConnectionDelete deletes a connection, or returns ErrNotFound.
	ConnectionDelete(ctx context.Context, connID string) error
	// ConnectionList returns every connection ordered by ConnID.
	ConnectionList(ctx context.Context) ([]*Connection, error)
}
