import { useState } from 'react';
import { api } from '../../api/client';
import { useUsers } from '../../api/hooks/admin';
import { paths } from '../../api/paths';
import type { Role, User } from '../../api/types';
import { useApiMutation } from '../../api/useApiMutation';
import { useSession } from '../../auth/SessionContext';
import { Pagination } from '../../components/Pagination';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { Time } from '../../components/Time';
import { hasPermission } from '../../lib/permissions';
import { AdminToolbar } from './AdminToolbar';
import { ConfirmDelete } from './ConfirmDelete';
import { FormDialog } from './FormDialog';
import { useAdminList } from './useAdminList';

const ROLES: Role[] = ['Admin', 'Op', 'User', 'Viewer'];

function NewUserForm({ onClose }: { onClose: () => void }) {
  const [fields, setFields] = useState({ username: '', password: '', role: 'Viewer' as Role, first_name: '', last_name: '', email: '' });
  const [error, setError] = useState('');
  const set = (name: keyof typeof fields) => (event: { target: { value: string } }) => setFields((current) => ({ ...current, [name]: event.target.value }));
  const mutation = useApiMutation(() => api.post(paths.users, fields), { quietErrors: true, successMessage: `Created ${fields.username}`, onSuccess: onClose });
  const submit = () => {
    if (fields.password.length < 8) return setError('The password needs at least 8 characters');
    setError('');
    mutation.mutate(undefined, { onError: (failure) => setError(failure.message) });
  };
  return (
    <FormDialog title="New user" testId="user-form" error={error} busy={mutation.isPending} submitLabel="Create" onClose={onClose} onSubmit={submit}>
      <div className="form-grid">
        <label className="field">
          <span>Username</span>
          <input data-testid="user-username" required autoComplete="off" value={fields.username} onChange={set('username')} />
        </label>
        <label className="field">
          <span>Password</span>
          <input data-testid="user-password" type="password" required autoComplete="new-password" value={fields.password} onChange={set('password')} />
        </label>
        <label className="field">
          <span>Role</span>
          <select data-testid="user-role" value={fields.role} onChange={set('role')}>
            {ROLES.map((role) => (
              <option key={role}>{role}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Email</span>
          <input data-testid="user-email" type="email" value={fields.email} onChange={set('email')} />
        </label>
        <label className="field">
          <span>First name</span>
          <input data-testid="user-first-name" value={fields.first_name} onChange={set('first_name')} />
        </label>
        <label className="field">
          <span>Last name</span>
          <input data-testid="user-last-name" value={fields.last_name} onChange={set('last_name')} />
        </label>
      </div>
    </FormDialog>
  );
}

function UserRow({ user, self }: { user: User; self: boolean }) {
  const { session } = useSession();
  const canEdit = hasPermission(session, 'USER:edit') && !self;
  const [deleting, setDeleting] = useState(false);
  const patch = useApiMutation((body: Partial<User>) => api.patch<User>(paths.user(user.username), body), { successMessage: (saved) => `Saved ${saved.username}` });
  return (
    <tr data-testid={`user-row-${user.username}`} className={user.active ? undefined : 'row-paused'}>
      <td className="mono">
        {user.username}
        {self && <span className="pill">you</span>}
      </td>
      <td>{[user.first_name, user.last_name].filter(Boolean).join(' ')}</td>
      <td>{user.email}</td>
      <td>
        <select data-testid={`user-role-${user.username}`} value={user.role} disabled={!canEdit || patch.isPending} onChange={(event) => patch.mutate({ role: event.target.value as Role })} aria-label={`Role of ${user.username}`}>
          {ROLES.map((role) => (
            <option key={role}>{role}</option>
          ))}
        </select>
      </td>
      <td>{user.active ? 'Active' : <span className="muted">Inactive</span>}</td>
      <td>
        <Time value={user.last_login} />
      </td>
      <td className="col-actions">
        {canEdit && (
          <button type="button" className="button button-small" data-testid={`user-active-${user.username}`} disabled={patch.isPending} onClick={() => patch.mutate({ active: !user.active })}>
            {user.active ? 'Deactivate' : 'Activate'}
          </button>
        )}
        {hasPermission(session, 'USER:delete') && !self && (
          <button type="button" className="button button-small button-danger-outline" data-testid={`user-delete-${user.username}`} onClick={() => setDeleting(true)}>
            Delete
          </button>
        )}
        {deleting && <ConfirmDelete what="user" name={user.username} remove={() => api.delete(paths.user(user.username))} onClose={() => setDeleting(false)} />}
      </td>
    </tr>
  );
}

export default function UsersPage() {
  const { session } = useSession();
  const list = useAdminList();
  const query = useUsers(list.pattern, list.offset);
  const [creating, setCreating] = useState(false);

  return (
    <div className="page">
      <div className="page-header">
        <h1>Users</h1>
      </div>
      <AdminToolbar search={list.search} onSearch={list.setSearch} placeholder="Search usernames" testId="user-search">
        {hasPermission(session, 'USER:create') && (
          <button type="button" className="button button-primary" data-testid="user-add" onClick={() => setCreating(true)}>
            Add user
          </button>
        )}
      </AdminToolbar>
      {query.error ? (
        <ErrorMessage error={query.error} />
      ) : !query.data ? (
        <Loading />
      ) : (
        <div className="table-card">
          <table className="table" data-testid="users-table">
            <thead>
              <tr>
                <th>Username</th>
                <th>Name</th>
                <th>Email</th>
                <th>Role</th>
                <th>Status</th>
                <th>Last login</th>
                <th className="col-actions" />
              </tr>
            </thead>
            <tbody>
              {query.data.users.map((user) => (
                <UserRow key={user.username} user={user} self={user.username === session?.username} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {query.data && <Pagination offset={list.offset} limit={50} total={query.data.total_entries} onChange={list.setOffset} />}
      {creating && <NewUserForm onClose={() => setCreating(false)} />}
    </div>
  );
}
