package secret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/updraft-dev/updraft/internal/store"
)

// DecryptError says which stored value could not be decrypted: the
// fernet_key changed or lost the key it was encrypted with (Err is
// ErrInvalidToken), or no fernet_key is configured (ErrNoKeys).
type DecryptError struct {
	// Kind is "variable" or "connection".
	Kind string
	// Name is the variable's key or the connection's conn_id.
	Name string
	// Field is "value", "password" or "extra".
	Field string
	Err   error
}

func (e *DecryptError) Error() string {
	if errors.Is(e.Err, ErrNoKeys) {
		return fmt.Sprintf("%s %q: %s is encrypted and no fernet_key is configured", e.Kind, e.Name, e.Field)
	}
	return fmt.Sprintf("%s %q: cannot decrypt %s with the configured fernet_key (was it changed without "+
		"keeping the old key after a comma?): %v", e.Kind, e.Name, e.Field, e.Err)
}

func (e *DecryptError) Unwrap() error { return e.Err }

// Wrap returns st with variables and connections encrypted at rest, as
// Airflow keeps them, so an Airflow database and fernet_key can be shared.
//
// Writes take clear values. With keys, a variable's value and a
// connection's password and extra are stored encrypted with the first key
// and flagged (IsEncrypted, IsExtraEncrypted); an empty password or extra
// stays empty and unflagged, as in Airflow. Without keys (nil) they are
// stored in clear, unflagged. The flags the caller sets are ignored.
//
// Reads return clear values: flagged ones are decrypted with any of the
// keys, or fail with a *DecryptError naming the variable or connection.
// The flags are kept as stored, to show how a value is kept.
//
// Values that pass through, read or written, are registered with m (when
// not nil): a variable's value when its key is sensitive, a connection's
// password, and the values under sensitive keys of a JSON variable or
// extra.
func Wrap(st store.Store, keys *Keys, m *Masker) store.Store {
	return &encStore{Store: st, keys: keys, m: m}
}

type encStore struct {
	store.Store
	keys *Keys
	m    *Masker
}

var _ store.Store = (*encStore)(nil)

// VariableGet returns a variable with its value decrypted.
func (s *encStore) VariableGet(ctx context.Context, key string) (*store.Variable, error) {
	v, err := s.Store.VariableGet(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := s.openVariable(v); err != nil {
		return nil, err
	}
	return v, nil
}

// VariableSet stores a variable with its value encrypted.
func (s *encStore) VariableSet(ctx context.Context, v *store.Variable) error {
	c, err := s.sealVariable(v)
	if err != nil {
		return err
	}
	return s.Store.VariableSet(ctx, c)
}

// VariableCreate inserts a variable with its value encrypted.
func (s *encStore) VariableCreate(ctx context.Context, v *store.Variable) error {
	c, err := s.sealVariable(v)
	if err != nil {
		return err
	}
	return s.Store.VariableCreate(ctx, c)
}

// sealVariable returns a copy of v with its value encrypted, and registers
// the value.
func (s *encStore) sealVariable(v *store.Variable) (*store.Variable, error) {
	s.maskVariable(v)
	c := *v
	c.IsEncrypted = false
	if s.keys != nil {
		tok, err := s.keys.Encrypt([]byte(v.Value))
		if err != nil {
			return nil, fmt.Errorf("variable %q: %w", v.Key, err)
		}
		c.Value, c.IsEncrypted = tok, true
	}
	return &c, nil
}

// VariableList returns every variable with its value decrypted. When some
// cannot be, it fails with the errors of them all.
func (s *encStore) VariableList(ctx context.Context) ([]*store.Variable, error) {
	vs, err := s.Store.VariableList(ctx)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, v := range vs {
		if err := s.openVariable(v); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return vs, nil
}

// ConnectionCreate inserts a connection with its password and extra
// encrypted.
func (s *encStore) ConnectionCreate(ctx context.Context, c *store.Connection) error {
	sealed, err := s.sealConnection(c)
	if err != nil {
		return err
	}
	return s.Store.ConnectionCreate(ctx, sealed)
}

// ConnectionUpdate replaces a connection, its password and extra
// encrypted.
func (s *encStore) ConnectionUpdate(ctx context.Context, c *store.Connection) error {
	sealed, err := s.sealConnection(c)
	if err != nil {
		return err
	}
	return s.Store.ConnectionUpdate(ctx, sealed)
}

// ConnectionGet returns a connection with its password and extra
// decrypted.
func (s *encStore) ConnectionGet(ctx context.Context, connID string) (*store.Connection, error) {
	c, err := s.Store.ConnectionGet(ctx, connID)
	if err != nil {
		return nil, err
	}
	if err := s.openConnection(c); err != nil {
		return nil, err
	}
	return c, nil
}

// ConnectionList returns every connection with its password and extra
// decrypted. When some cannot be, it fails with the errors of them all.
func (s *encStore) ConnectionList(ctx context.Context) ([]*store.Connection, error) {
	cs, err := s.Store.ConnectionList(ctx)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, c := range cs {
		if err := s.openConnection(c); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cs, nil
}

// openVariable decrypts v's value in place, and registers it.
func (s *encStore) openVariable(v *store.Variable) error {
	if v.IsEncrypted {
		clear, err := s.decrypt(v.Value)
		if err != nil {
			return &DecryptError{Kind: "variable", Name: v.Key, Field: "value", Err: err}
		}
		v.Value = clear
	}
	s.maskVariable(v)
	return nil
}

func (s *encStore) maskVariable(v *store.Variable) {
	if s.m == nil {
		return
	}
	s.m.AddValue(v.Key, v.Value)
	if j, ok := decodeJSON(v.Value); ok {
		s.m.AddValue(v.Key, j)
	}
}

// sealConnection returns a copy of c with its password and extra
// encrypted, and registers them.
func (s *encStore) sealConnection(c *store.Connection) (*store.Connection, error) {
	s.maskConnection(c)
	out := *c
	out.IsEncrypted, out.IsExtraEncrypted = false, false
	if s.keys == nil {
		return &out, nil
	}
	var err error
	if c.Password != "" {
		if out.Password, err = s.keys.Encrypt([]byte(c.Password)); err != nil {
			return nil, fmt.Errorf("connection %q: password: %w", c.ConnID, err)
		}
		out.IsEncrypted = true
	}
	if c.Extra != "" {
		if out.Extra, err = s.keys.Encrypt([]byte(c.Extra)); err != nil {
			return nil, fmt.Errorf("connection %q: extra: %w", c.ConnID, err)
		}
		out.IsExtraEncrypted = true
	}
	return &out, nil
}

// openConnection decrypts c's password and extra in place, and registers
// them.
func (s *encStore) openConnection(c *store.Connection) error {
	if c.IsEncrypted && c.Password != "" {
		clear, err := s.decrypt(c.Password)
		if err != nil {
			return &DecryptError{Kind: "connection", Name: c.ConnID, Field: "password", Err: err}
		}
		c.Password = clear
	}
	if c.IsExtraEncrypted && c.Extra != "" {
		clear, err := s.decrypt(c.Extra)
		if err != nil {
			return &DecryptError{Kind: "connection", Name: c.ConnID, Field: "extra", Err: err}
		}
		c.Extra = clear
	}
	s.maskConnection(c)
	return nil
}

func (s *encStore) maskConnection(c *store.Connection) {
	if s.m == nil {
		return
	}
	s.m.Add(c.Password)
	if j, ok := decodeJSON(c.Extra); ok {
		s.m.AddValue("", j)
	}
}

func (s *encStore) decrypt(tok string) (string, error) {
	if s.keys == nil {
		return "", ErrNoKeys
	}
	b, err := s.keys.Decrypt(tok)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// decodeJSON decodes s when it holds a JSON object or array.
func decodeJSON(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	var v any
	if err := json.Unmarshal([]byte(t), &v); err != nil {
		return nil, false
	}
	return v, true
}
