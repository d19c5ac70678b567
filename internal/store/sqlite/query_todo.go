package sqlite

import (
	"context"
	"errors"

	"github.com/updraft-dev/updraft/internal/store"
)

// TODO(query store): replaced by the real implementation; this file goes.
var errQueryTodo = errors.New("not implemented yet")

func (s *Store) DagQuery(context.Context, *store.DagQueryParams) ([]*store.Dag, int, error) {
	return nil, 0, errQueryTodo
}
func (s *Store) DagTagList(context.Context) ([]string, error) { return nil, errQueryTodo }
func (s *Store) DagRunQuery(context.Context, *store.DagRunQueryParams) ([]*store.DagRun, int, error) {
	return nil, 0, errQueryTodo
}
func (s *Store) DagRunDelete(context.Context, int64) error { return errQueryTodo }
func (s *Store) TaskInstanceQuery(context.Context, *store.TaskInstanceQueryParams) ([]*store.TaskInstance, int, error) {
	return nil, 0, errQueryTodo
}
func (s *Store) DagVersionList(context.Context, string, store.Page) ([]*store.DagVersion, int, error) {
	return nil, 0, errQueryTodo
}
func (s *Store) DagVersionGetByNumber(context.Context, string, int) (*store.DagVersion, error) {
	return nil, errQueryTodo
}
