package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
)

func exerciseAuth(t *testing.T, open Opener) {
	t.Run("User", func(t *testing.T) { exerciseUser(t, open) })
	t.Run("Connection", func(t *testing.T) { exerciseConnection(t, open) })
	t.Run("EncryptedVariable", func(t *testing.T) { exerciseEncryptedVariable(t, open) })
}

func wantConflict(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("%s: got error %v, want store.ErrConflict", what, err)
	}
}

// userParams is an active user with every field set but LastLogin.
func userParams(name, role string) *store.User {
	return &store.User{
		Username:     name,
		Email:        name + "@example.com",
		FirstName:    "Zoë " + name,
		LastName:     "O'Brien",
		Role:         role,
		PasswordHash: "$2a$10$" + name + ".N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		Active:       true,
		CreatedAt:    day(1),
	}
}

// equalUser compares every field of a user but its ID.
func equalUser(t *testing.T, what string, got, want *store.User) {
	t.Helper()
	equal(t, what+" username", got.Username, want.Username)
	equal(t, what+" email", got.Email, want.Email)
	equal(t, what+" first name", got.FirstName, want.FirstName)
	equal(t, what+" last name", got.LastName, want.LastName)
	equal(t, what+" role", got.Role, want.Role)
	equal(t, what+" password hash", got.PasswordHash, want.PasswordHash)
	equal(t, what+" active", got.Active, want.Active)
	equalTime(t, what+" created at", got.CreatedAt, want.CreatedAt)
	equalOptTime(t, what+" last login", got.LastLogin, want.LastLogin)
}

func mustCreateUser(t *testing.T, s store.Store, u *store.User) *store.User {
	t.Helper()
	out, err := s.UserCreate(t.Context(), u)
	if err != nil {
		t.Fatalf("UserCreate %s: %v", u.Username, err)
	}
	return out
}

func mustUser(t *testing.T, s store.Store, name string) *store.User {
	t.Helper()
	u, err := s.UserGet(t.Context(), name)
	if err != nil {
		t.Fatalf("UserGet %s: %v", name, err)
	}
	return u
}

func userName(u *store.User) string { return u.Username }

func exerciseUser(t *testing.T, open Opener) {
	t.Run("Empty", func(t *testing.T) {
		s, ctx := setup(t, open)
		_, err := s.UserGet(ctx, "nobody")
		wantNotFound(t, "UserGet unknown", err)
		us, err := s.UserList(ctx)
		noErr(t, "UserList", err)
		equal(t, "users of an empty store", len(us), 0)
		wantNotFound(t, "UserUpdate unknown", s.UserUpdate(ctx, userParams("nobody", store.RoleAdmin)))
		wantNotFound(t, "UserDelete unknown", s.UserDelete(ctx, "nobody"))
		us, err = s.UserList(ctx)
		noErr(t, "UserList", err)
		equal(t, "users after updating an unknown one", len(us), 0)
	})

	t.Run("CreateGet", func(t *testing.T) {
		s, ctx := setup(t, open)
		admin := userParams("admin", store.RoleAdmin)
		created := mustCreateUser(t, s, admin)
		if created.ID <= 0 {
			t.Errorf("created user's ID = %d, want above 0", created.ID)
		}
		equalUser(t, "created admin", created, admin)

		// Inactive, with a last login and empty names: the other value of
		// every field that has one.
		viewer := userParams("viewer", store.RoleViewer)
		viewer.Active = false
		viewer.LastLogin = ptr(day(2).Add(90 * time.Minute))
		viewer.Email, viewer.FirstName, viewer.LastName = "", "", ""
		createdViewer := mustCreateUser(t, s, viewer)
		if createdViewer.ID <= 0 || createdViewer.ID == created.ID {
			t.Errorf("second user's ID = %d, want above 0 and not %d", createdViewer.ID, created.ID)
		}
		equalUser(t, "created viewer", createdViewer, viewer)

		got := mustUser(t, s, "admin")
		equal(t, "admin id", got.ID, created.ID)
		equalUser(t, "admin", got, admin)
		got = mustUser(t, s, "viewer")
		equal(t, "viewer id", got.ID, createdViewer.ID)
		equalUser(t, "viewer", got, viewer)

		_, err := s.UserGet(ctx, "Admin")
		wantNotFound(t, "UserGet of another case", err)
	})

	t.Run("CreatedAtDefaultsToNow", func(t *testing.T) {
		s, _ := setup(t, open)
		u := userParams("new", store.RoleUser)
		u.CreatedAt = time.Time{}
		created := mustCreateUser(t, s, u)
		recent(t, "created at of a new user", created.CreatedAt)
		recent(t, "stored created at", mustUser(t, s, "new").CreatedAt)
	})

	t.Run("Duplicate", func(t *testing.T) {
		s, ctx := setup(t, open)
		first := userParams("ops", store.RoleOp)
		created := mustCreateUser(t, s, first)
		again := userParams("ops", store.RoleViewer)
		again.Email = "someone.else@example.com"
		_, err := s.UserCreate(ctx, again)
		wantConflict(t, "UserCreate of an existing username", err)
		got := mustUser(t, s, "ops")
		equal(t, "id after a duplicate", got.ID, created.ID)
		equalUser(t, "user after a duplicate", got, first)
		us, err := s.UserList(ctx)
		noErr(t, "UserList", err)
		equal(t, "users after a duplicate", len(us), 1)
	})

	t.Run("Roles", func(t *testing.T) {
		s, ctx := setup(t, open)
		for _, role := range store.Roles {
			u := mustCreateUser(t, s, userParams("as-"+role, role))
			equal(t, role+" user's role", u.Role, role)
		}
		_, err := s.UserCreate(ctx, userParams("bad", "Superuser"))
		if err == nil {
			t.Error("UserCreate with an unknown role succeeded")
		}
		_, err = s.UserGet(ctx, "bad")
		wantNotFound(t, "UserGet of a user refused for its role", err)
		_, err = s.UserCreate(ctx, userParams("empty", ""))
		if err == nil {
			t.Error("UserCreate without a role succeeded")
		}

		u := userParams("as-"+store.RoleUser, "admin")
		if err := s.UserUpdate(ctx, u); err == nil {
			t.Error("UserUpdate to an unknown role succeeded")
		}
		equal(t, "role after a refused update", mustUser(t, s, u.Username).Role, store.RoleUser)
	})

	t.Run("List", func(t *testing.T) {
		s, ctx := setup(t, open)
		for _, name := range []string{"mia", "zed", "admin", "bob"} {
			mustCreateUser(t, s, userParams(name, store.RoleViewer))
		}
		last := userParams("carol", store.RoleOp)
		last.Active = false
		last.LastLogin = ptr(day(3))
		mustCreateUser(t, s, last)

		us, err := s.UserList(ctx)
		noErr(t, "UserList", err)
		equalSlice(t, "users", pluck(us, userName), []string{"admin", "bob", "carol", "mia", "zed"})
		for _, u := range us {
			if u.ID <= 0 {
				t.Errorf("listed %s has ID %d", u.Username, u.ID)
			}
			if u.Username == "carol" {
				equalUser(t, "listed carol", u, last)
			}
		}
	})

	t.Run("SetLastLogin", func(t *testing.T) {
		s, ctx := setup(t, open)
		created := mustCreateUser(t, s, userParams("ann", store.RoleViewer))
		// A role changed after the login read the user stays changed.
		changed := *created
		changed.Role = store.RoleAdmin
		noErr(t, "UserUpdate", s.UserUpdate(ctx, &changed))
		noErr(t, "UserSetLastLogin", s.UserSetLastLogin(ctx, "ann", day(9)))
		got, err := s.UserGet(ctx, "ann")
		noErr(t, "UserGet", err)
		equal(t, "role", got.Role, store.RoleAdmin)
		if got.LastLogin == nil {
			t.Fatal("last login not recorded")
		}
		equalTime(t, "last login", *got.LastLogin, day(9))
		if err := s.UserSetLastLogin(ctx, "nobody", day(9)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserSetLastLogin of an unknown user: %v, want ErrNotFound", err)
		}
	})

	t.Run("Update", func(t *testing.T) {
		s, ctx := setup(t, open)
		created := mustCreateUser(t, s, userParams("ann", store.RoleViewer))
		other := mustCreateUser(t, s, userParams("ben", store.RoleViewer))

		// Every field changes; ID and CreatedAt are given wrong and kept.
		login := day(5).Add(3*time.Hour + 7*time.Second)
		changed := &store.User{ //nolint:gosec // a fixture's hash, no credential
			ID:           other.ID + 1000,
			Username:     "ann",
			Email:        "ann@elsewhere.org",
			FirstName:    "Ann",
			LastName:     "Lee",
			Role:         store.RoleAdmin,
			PasswordHash: "$2a$12$changedchangedchangedchangedchangedchangedchangedcha",
			Active:       false,
			CreatedAt:    day(9),
			LastLogin:    &login,
		}
		noErr(t, "UserUpdate", s.UserUpdate(ctx, changed))
		got := mustUser(t, s, "ann")
		equal(t, "id after update", got.ID, created.ID)
		want := *changed
		want.CreatedAt = day(1)
		equalUser(t, "updated user", got, &want)

		// And back: active again, last login cleared, names emptied.
		back := want
		back.Active = true
		back.LastLogin = nil
		back.Email, back.FirstName, back.LastName = "", "", ""
		noErr(t, "UserUpdate back", s.UserUpdate(ctx, &back))
		got = mustUser(t, s, "ann")
		equal(t, "id after second update", got.ID, created.ID)
		equalUser(t, "user updated back", got, &back)

		// The other user is untouched.
		got = mustUser(t, s, "ben")
		equal(t, "other user's id", got.ID, other.ID)
		equalUser(t, "other user", got, userParams("ben", store.RoleViewer))
	})

	t.Run("Delete", func(t *testing.T) {
		s, ctx := setup(t, open)
		first := mustCreateUser(t, s, userParams("gone", store.RoleUser))
		mustCreateUser(t, s, userParams("kept", store.RoleUser))

		noErr(t, "UserDelete", s.UserDelete(ctx, "gone"))
		_, err := s.UserGet(ctx, "gone")
		wantNotFound(t, "UserGet deleted", err)
		wantNotFound(t, "UserDelete deleted", s.UserDelete(ctx, "gone"))
		wantNotFound(t, "UserUpdate deleted", s.UserUpdate(ctx, userParams("gone", store.RoleUser)))
		us, err := s.UserList(ctx)
		noErr(t, "UserList", err)
		equalSlice(t, "users after delete", pluck(us, userName), []string{"kept"})

		// The username is free again.
		again := userParams("gone", store.RoleOp)
		again.CreatedAt = day(4)
		u := mustCreateUser(t, s, again)
		if u.ID == first.ID {
			t.Errorf("recreated user reuses ID %d", u.ID)
		}
		equalUser(t, "recreated user", mustUser(t, s, "gone"), again)
	})
}

// connParams is a connection with every field set.
func connParams(id string) *store.Connection {
	return &store.Connection{ //nolint:gosec // a fixture's password, no credential
		ConnID:           id,
		ConnType:         "postgres",
		Description:      "the warehouse: ünïcode\nand a second line",
		Host:             "db.internal",
		Schema:           "analytics",
		Login:            "etl",
		Password:         "gAAAAABlZ-ciphertext==",
		Port:             ptr(5432),
		Extra:            `{"sslmode": "require"}`,
		IsEncrypted:      true,
		IsExtraEncrypted: true,
	}
}

// equalConn compares every field of a connection.
func equalConn(t *testing.T, what string, got, want *store.Connection) {
	t.Helper()
	equal(t, what+" conn id", got.ConnID, want.ConnID)
	equal(t, what+" conn type", got.ConnType, want.ConnType)
	equal(t, what+" description", got.Description, want.Description)
	equal(t, what+" host", got.Host, want.Host)
	equal(t, what+" schema", got.Schema, want.Schema)
	equal(t, what+" login", got.Login, want.Login)
	equal(t, what+" password", got.Password, want.Password)
	equalOptInt(t, what+" port", got.Port, want.Port)
	equal(t, what+" extra", got.Extra, want.Extra)
	equal(t, what+" is encrypted", got.IsEncrypted, want.IsEncrypted)
	equal(t, what+" is extra encrypted", got.IsExtraEncrypted, want.IsExtraEncrypted)
}

func mustConn(t *testing.T, s store.Store, id string) *store.Connection {
	t.Helper()
	c, err := s.ConnectionGet(t.Context(), id)
	if err != nil {
		t.Fatalf("ConnectionGet %s: %v", id, err)
	}
	return c
}

func connID(c *store.Connection) string { return c.ConnID }

func exerciseConnection(t *testing.T, open Opener) {
	t.Run("Empty", func(t *testing.T) {
		s, ctx := setup(t, open)
		_, err := s.ConnectionGet(ctx, "nope")
		wantNotFound(t, "ConnectionGet unknown", err)
		cs, err := s.ConnectionList(ctx)
		noErr(t, "ConnectionList", err)
		equal(t, "connections of an empty store", len(cs), 0)
		wantNotFound(t, "ConnectionUpdate unknown", s.ConnectionUpdate(ctx, connParams("nope")))
		wantNotFound(t, "ConnectionDelete unknown", s.ConnectionDelete(ctx, "nope"))
		cs, err = s.ConnectionList(ctx)
		noErr(t, "ConnectionList", err)
		equal(t, "connections after updating an unknown one", len(cs), 0)
	})

	t.Run("CreateGet", func(t *testing.T) {
		s, ctx := setup(t, open)
		full := connParams("warehouse")
		noErr(t, "ConnectionCreate", s.ConnectionCreate(ctx, full))
		equalConn(t, "full connection", mustConn(t, s, "warehouse"), full)

		// No port, nothing encrypted, only the type: the other value of
		// every field that has one.
		bare := &store.Connection{ConnID: "http_default", ConnType: "http"}
		noErr(t, "ConnectionCreate", s.ConnectionCreate(ctx, bare))
		equalConn(t, "bare connection", mustConn(t, s, "http_default"), bare)

		// Port 0 is a port, not none; the flags are independent.
		zero := &store.Connection{ConnID: "zero", ConnType: "ftp", Port: ptr(0), Password: "plain",
			Extra: "gAAAAABl-extra", IsExtraEncrypted: true}
		noErr(t, "ConnectionCreate", s.ConnectionCreate(ctx, zero))
		equalConn(t, "connection with port 0", mustConn(t, s, "zero"), zero)

		_, err := s.ConnectionGet(ctx, "Warehouse")
		wantNotFound(t, "ConnectionGet of another case", err)
	})

	t.Run("Duplicate", func(t *testing.T) {
		s, ctx := setup(t, open)
		first := connParams("db")
		noErr(t, "ConnectionCreate", s.ConnectionCreate(ctx, first))
		again := &store.Connection{ConnID: "db", ConnType: "mysql"}
		wantConflict(t, "ConnectionCreate of an existing conn id", s.ConnectionCreate(ctx, again))
		equalConn(t, "connection after a duplicate", mustConn(t, s, "db"), first)
		cs, err := s.ConnectionList(ctx)
		noErr(t, "ConnectionList", err)
		equal(t, "connections after a duplicate", len(cs), 1)
	})

	t.Run("List", func(t *testing.T) {
		s, ctx := setup(t, open)
		for _, id := range []string{"s3_logs", "aws_default", "postgres_default", "http_api"} {
			noErr(t, "ConnectionCreate "+id, s.ConnectionCreate(ctx, &store.Connection{ConnID: id, ConnType: "generic"}))
		}
		full := connParams("mysql_main")
		noErr(t, "ConnectionCreate", s.ConnectionCreate(ctx, full))
		cs, err := s.ConnectionList(ctx)
		noErr(t, "ConnectionList", err)
		equalSlice(t, "connections", pluck(cs, connID),
			[]string{"aws_default", "http_api", "mysql_main", "postgres_default", "s3_logs"})
		for _, c := range cs {
			switch c.ConnID {
			case "mysql_main":
				equalConn(t, "listed mysql_main", c, full)
			case "aws_default":
				equalConn(t, "listed aws_default", c, &store.Connection{ConnID: "aws_default", ConnType: "generic"})
			}
		}
	})

	t.Run("Update", func(t *testing.T) {
		s, ctx := setup(t, open)
		noErr(t, "ConnectionCreate", s.ConnectionCreate(ctx, connParams("db")))
		noErr(t, "ConnectionCreate", s.ConnectionCreate(ctx, connParams("other")))

		// Every field changes; the port goes away, the flags go off.
		changed := &store.Connection{
			ConnID:      "db",
			ConnType:    "mysql",
			Description: "moved",
			Host:        "mysql.internal",
			Schema:      "sales",
			Login:       "reader",
			Password:    "plain text",
			Extra:       `{"charset": "utf8mb4"}`,
		}
		noErr(t, "ConnectionUpdate", s.ConnectionUpdate(ctx, changed))
		equalConn(t, "updated connection", mustConn(t, s, "db"), changed)

		// And back: a port again, both flags on.
		back := *changed
		back.Port = ptr(3306)
		back.IsEncrypted, back.IsExtraEncrypted = true, true
		noErr(t, "ConnectionUpdate back", s.ConnectionUpdate(ctx, &back))
		equalConn(t, "connection updated back", mustConn(t, s, "db"), &back)

		equalConn(t, "other connection", mustConn(t, s, "other"), connParams("other"))
	})

	t.Run("Delete", func(t *testing.T) {
		s, ctx := setup(t, open)
		noErr(t, "ConnectionCreate", s.ConnectionCreate(ctx, connParams("gone")))
		noErr(t, "ConnectionCreate", s.ConnectionCreate(ctx, connParams("kept")))

		noErr(t, "ConnectionDelete", s.ConnectionDelete(ctx, "gone"))
		_, err := s.ConnectionGet(ctx, "gone")
		wantNotFound(t, "ConnectionGet deleted", err)
		wantNotFound(t, "ConnectionDelete deleted", s.ConnectionDelete(ctx, "gone"))
		wantNotFound(t, "ConnectionUpdate deleted", s.ConnectionUpdate(ctx, connParams("gone")))
		cs, err := s.ConnectionList(ctx)
		noErr(t, "ConnectionList", err)
		equalSlice(t, "connections after delete", pluck(cs, connID), []string{"kept"})

		// The conn id is free again.
		again := &store.Connection{ConnID: "gone", ConnType: "sftp", Port: ptr(22)}
		noErr(t, "ConnectionCreate again", s.ConnectionCreate(ctx, again))
		equalConn(t, "recreated connection", mustConn(t, s, "gone"), again)
	})
}

func exerciseEncryptedVariable(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) {
		s, ctx := setup(t, open)
		secret := store.Variable{Key: "api_key", Value: "gAAAAABl-ciphertext==", Description: "encrypted", IsEncrypted: true}
		plain := store.Variable{Key: "bucket", Value: "s3://data"}
		noErr(t, "VariableSet encrypted", s.VariableSet(ctx, &secret))
		noErr(t, "VariableSet plain", s.VariableSet(ctx, &plain))

		v, err := s.VariableGet(ctx, "api_key")
		noErr(t, "VariableGet", err)
		equal(t, "encrypted variable", *v, secret)
		v, err = s.VariableGet(ctx, "bucket")
		noErr(t, "VariableGet", err)
		equal(t, "plain variable", *v, plain)

		vs, err := s.VariableList(ctx)
		noErr(t, "VariableList", err)
		if len(vs) != 2 {
			t.Fatalf("VariableList lists %d, want 2", len(vs))
		}
		equal(t, "listed encrypted variable", *vs[0], secret)
		equal(t, "listed plain variable", *vs[1], plain)

		// Replacing a variable replaces its flag, both ways.
		decrypted := store.Variable{Key: "api_key", Value: "the key"}
		noErr(t, "VariableSet replace encrypted", s.VariableSet(ctx, &decrypted))
		encrypted := store.Variable{Key: "bucket", Value: "gAAAAABl-bucket==", IsEncrypted: true}
		noErr(t, "VariableSet replace plain", s.VariableSet(ctx, &encrypted))
		v, err = s.VariableGet(ctx, "api_key")
		noErr(t, "VariableGet", err)
		equal(t, "variable no longer encrypted", *v, decrypted)
		v, err = s.VariableGet(ctx, "bucket")
		noErr(t, "VariableGet", err)
		equal(t, "variable now encrypted", *v, encrypted)

		vs, err = s.VariableList(ctx)
		noErr(t, "VariableList", err)
		if len(vs) != 2 {
			t.Fatalf("VariableList lists %d, want 2", len(vs))
		}
		equal(t, "listed decrypted variable", *vs[0], decrypted)
		equal(t, "listed encrypted variable", *vs[1], encrypted)
	})
}
