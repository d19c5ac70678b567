package postgres

import (
	"context"
	"errors"

	"github.com/updraft-dev/updraft/internal/store"
)

// TODO(auth store): replaced by the real implementation; this file goes.
var errAuthTodo = errors.New("not implemented yet")

func (s *Store) UserCreate(context.Context, *store.User) (*store.User, error) {
	return nil, errAuthTodo
}
func (s *Store) UserGet(context.Context, string) (*store.User, error)      { return nil, errAuthTodo }
func (s *Store) UserList(context.Context) ([]*store.User, error)           { return nil, errAuthTodo }
func (s *Store) UserUpdate(context.Context, *store.User) error             { return errAuthTodo }
func (s *Store) UserDelete(context.Context, string) error                  { return errAuthTodo }
func (s *Store) ConnectionCreate(context.Context, *store.Connection) error { return errAuthTodo }
func (s *Store) ConnectionUpdate(context.Context, *store.Connection) error { return errAuthTodo }
func (s *Store) ConnectionGet(context.Context, string) (*store.Connection, error) {
	return nil, errAuthTodo
}
func (s *Store) ConnectionDelete(context.Context, string) error              { return errAuthTodo }
func (s *Store) ConnectionList(context.Context) ([]*store.Connection, error) { return nil, errAuthTodo }
