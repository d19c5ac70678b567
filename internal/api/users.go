package api

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
)

// Users are managed by admins, as in Airflow's FAB auth manager, with one
// role per user and the password never shown. The operations are
// updraft's own: Airflow's public API has none for users.

type userResponse struct {
	Username  string     `json:"username"`
	Email     string     `json:"email"`
	FirstName string     `json:"first_name"`
	LastName  string     `json:"last_name"`
	Role      string     `json:"role"`
	Active    bool       `json:"active"`
	CreatedAt time.Time  `json:"created_at"`
	LastLogin *time.Time `json:"last_login"`
}

func toUser(u *store.User) userResponse {
	return userResponse{Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Role: u.Role, Active: u.Active, CreatedAt: u.CreatedAt.UTC(), LastLogin: utcPtr(u.LastLogin)}
}

func (s *Server) getUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	limit, offset, order := q.page(s.cfg.MaxPageLimit, "username")
	name := func(u *store.User) string { return u.Username }
	cmpOrder := memoryOrder(q, order, name, map[string]func(a, b *store.User) int{
		"username":   nil,
		"role":       func(a, b *store.User) int { return cmp.Compare(a.Role, b.Role) },
		"created_at": func(a, b *store.User) int { return a.CreatedAt.Compare(b.CreatedAt) },
		"last_login": func(a, b *store.User) int { return compareTimes(a.LastLogin, b.LastLogin) },
	})
	if err := q.err(); err != nil {
		return err
	}
	list, err := s.st.UserList(r.Context())
	if err != nil {
		return err
	}
	list = memoryFilter(list, q.str("username_pattern"), name, cmpOrder)
	out := make([]userResponse, 0, len(list))
	for _, u := range pageOf(list, limit, offset) {
		out = append(out, toUser(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "total_entries": len(list)})
	return nil
}

// compareTimes orders times with nil (never) first.
func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}

func (s *Server) user(r *http.Request) (*store.User, error) {
	name := r.PathValue("username")
	u, err := s.st.UserGet(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The User with username: `%s` was not found", name)
	}
	return u, err
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	u, err := s.user(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUser(u))
	return nil
}

// userBody is what post_user and patch_user accept; absent fields are nil.
type userBody struct {
	Username  string  `json:"username"`
	Password  *string `json:"password"`
	Role      *string `json:"role"`
	Email     *string `json:"email"`
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	Active    *bool   `json:"active"`
}

// apply copies the fields set (and named by the mask, when there is one)
// onto u, hashing a new password.
func (b *userBody) apply(u *store.User, mask []string) error {
	set := func(f string) bool { return len(mask) == 0 || slices.Contains(mask, f) }
	if b.Password != nil && set("password") {
		hash, err := HashPassword(*b.Password)
		if err != nil {
			return invalid("value_error", err.Error(), "body", "password")
		}
		u.PasswordHash = hash
	}
	for _, f := range []struct {
		name string
		from *string
		to   *string
	}{{"role", b.Role, &u.Role}, {"email", b.Email, &u.Email}, {"first_name", b.FirstName, &u.FirstName}, {"last_name", b.LastName, &u.LastName}} {
		if f.from != nil && set(f.name) {
			*f.to = *f.from
		}
	}
	if b.Active != nil && set("active") {
		u.Active = *b.Active
	}
	return nil
}

func (s *Server) postUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	var body userBody
	if err := c.decode(&body); err != nil {
		return err
	}
	u := &store.User{Username: body.Username, Active: true, CreatedAt: s.now().UTC()}
	if err := body.apply(u, nil); err != nil {
		return err
	}
	created, err := s.st.UserCreate(r.Context(), u)
	if errors.Is(err, store.ErrConflict) {
		return errorf(http.StatusConflict, "The User with username: `%s` already exists", body.Username)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toUser(created))
	return nil
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mask := q.list("update_mask")
	q.oneOf("update_mask", mask, "password", "role", "email", "first_name", "last_name", "active")
	if err := q.err(); err != nil {
		return err
	}
	var body userBody
	if err := c.decode(&body); err != nil {
		return err
	}
	u, err := s.user(r)
	if err != nil {
		return err
	}
	if err := body.apply(u, mask); err != nil {
		return err
	}
	// An admin who demotes or deactivates themselves could leave nobody
	// able to manage users.
	if u.Username == c.user.Username && (u.Role != store.RoleAdmin || !u.Active) {
		return badRequest("you cannot take away your own Admin role nor deactivate yourself")
	}
	if err := s.st.UserUpdate(r.Context(), u); errors.Is(err, store.ErrNotFound) {
		return notFound("The User with username: `%s` was not found", u.Username)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUser(u))
	return nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	name := r.PathValue("username")
	if name == c.user.Username {
		return badRequest("you cannot delete yourself")
	}
	if err := s.st.UserDelete(r.Context(), name); errors.Is(err, store.ErrNotFound) {
		return notFound("The User with username: `%s` was not found", name)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
