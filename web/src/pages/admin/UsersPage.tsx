import { useState } from 'react';
import { api } from '../../api/client';
import { useUsers } from '../../api/hooks/admin';
import { paths } from '../../api/paths';
import type { Role, User } from '../../api/types';
import { useApiMutation } from '../../api/useApiMutation';
import { useSession } from '../../auth/SessionContext';
import { Time } from '../../components/Time';
import { hasPermission } from '../../lib/permissions';
import { AdminPage, RowActions } from './AdminPage';
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
      <RowActions noun="user" id={user.username} onDelete={hasPermission(session, 'USER:delete') && !self ? () => setDeleting(true) : undefined}>
        {canEdit && (
          <button type="button" className="button button-small" data-testid={`user-active-${user.username}`} disabled={patch.isPending} onClick={() => patch.mutate({ active: !user.active })}>
            {user.active ? 'Deactivate' : 'Activate'}
          </button>
        )}
        {deleting && <ConfirmDelete what="user" name={user.username} remove={() => api.delete(paths.user(user.username))} onClose={() => setDeleting(false)} />}
      </RowActions>
    </tr>
  );
}

export default function UsersPage() {
  const { session } = useSession();
  const list = useAdminList();
  const query = useUsers(list.pattern, list.offset);
  const [creating, setCreating] = useState(false);

  return (
    <AdminPage
      title="Users"
      noun="user"
      list={list}
      query={query}
      searchPlaceholder="Search usernames"
      addLabel={hasPermission(session, 'USER:create') ? 'Add user' : undefined}
      onAdd={() => setCreating(true)}
      headers={['Username', 'Name', 'Email', 'Role', 'Status', 'Last login']}
      row={(user) => <UserRow key={user.username} user={user} self={user.username === session?.username} />}
    >
      {creating && <NewUserForm onClose={() => setCreating(false)} />}
    </AdminPage>
  );
}
