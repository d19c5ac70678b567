import { useState } from 'react';
import { api } from '../../api/client';
import { useConnections } from '../../api/hooks/admin';
import { paths } from '../../api/paths';
import type { Connection } from '../../api/types';
import { useApiMutation } from '../../api/useApiMutation';
import { useSession } from '../../auth/SessionContext';
import { hasPermission } from '../../lib/permissions';
import { AdminPage, RowActions } from './AdminPage';
import { ConfirmDelete } from './ConfirmDelete';
import { FormDialog } from './FormDialog';
import { useAdminList } from './useAdminList';

const MASK = '***';
type ConnectionFields = Record<'connection_id' | 'conn_type' | 'description' | 'host' | 'login' | 'schema' | 'port' | 'password' | 'extra', string>;

function toFields(connection: Connection | null): ConnectionFields {
  return {
    connection_id: connection?.connection_id ?? '',
    conn_type: connection?.conn_type ?? '',
    description: connection?.description ?? '',
    host: connection?.host ?? '',
    login: connection?.login ?? '',
    schema: connection?.schema ?? '',
    port: connection?.port === null || connection?.port === undefined ? '' : String(connection.port),
    // The server never returns a stored password; *** sent back keeps it.
    password: connection?.password ? MASK : '',
    extra: connection?.extra ?? '',
  };
}

function ConnectionForm({ connection, onClose }: { connection: Connection | null; onClose: () => void }) {
  const [fields, setFields] = useState(() => toFields(connection));
  const [error, setError] = useState('');
  const set = (name: keyof ConnectionFields) => (event: { target: { value: string } }) => setFields((current) => ({ ...current, [name]: event.target.value }));
  const mutation = useApiMutation(
    () => {
      const body = {
        connection_id: fields.connection_id,
        conn_type: fields.conn_type,
        description: fields.description || null,
        host: fields.host || null,
        login: fields.login || null,
        schema: fields.schema || null,
        port: fields.port ? Number(fields.port) : null,
        password: fields.password || null,
        extra: fields.extra || null,
      };
      return connection ? api.patch(paths.connection(connection.connection_id), body) : api.post(paths.connections, body);
    },
    { quietErrors: true, successMessage: `Saved ${fields.connection_id}`, onSuccess: onClose },
  );
  const submit = () => {
    if (fields.port && !/^\d+$/.test(fields.port)) return setError('Port must be a whole number');
    if (fields.extra && fields.extra !== MASK) {
      try {
        const parsed = JSON.parse(fields.extra);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return setError('Extra must be a JSON object');
      } catch {
        return setError('Extra is not valid JSON');
      }
    }
    setError('');
    mutation.mutate(undefined, { onError: (failure) => setError(failure.message) });
  };
  const input = (name: keyof ConnectionFields, label: string, props: Record<string, unknown> = {}) => (
    <label className="field">
      <span>{label}</span>
      <input data-testid={`connection-${name}`} value={fields[name]} onChange={set(name)} {...props} />
    </label>
  );
  return (
    <FormDialog title={connection ? `Edit connection ${connection.connection_id}` : 'New connection'} testId="connection-form" error={error} busy={mutation.isPending} submitLabel="Save" onClose={onClose} onSubmit={submit}>
      <div className="form-grid">
        {input('connection_id', 'Connection id', { required: true, disabled: Boolean(connection) })}
        {input('conn_type', 'Type', { required: true, placeholder: 'postgres, http, aws…' })}
        {input('host', 'Host')}
        {input('port', 'Port', { inputMode: 'numeric' })}
        {input('login', 'Login', { autoComplete: 'off' })}
        {input('password', 'Password', { type: 'password', autoComplete: 'new-password' })}
        {input('schema', 'Schema')}
        {input('description', 'Description')}
      </div>
      <label className="field">
        <span>Extra (JSON)</span>
        <textarea data-testid="connection-extra" className="mono" rows={4} value={fields.extra} onChange={set('extra')} spellCheck={false} />
      </label>
    </FormDialog>
  );
}

export default function ConnectionsPage() {
  const { session } = useSession();
  const list = useAdminList();
  const query = useConnections(list.pattern, list.offset);
  const [editing, setEditing] = useState<Connection | null | 'new'>(null);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  const canEdit = hasPermission(session, 'CONNECTION:edit');
  const canDelete = hasPermission(session, 'CONNECTION:delete');

  return (
    <AdminPage
      title="Connections"
      noun="connection"
      list={list}
      query={query}
      searchPlaceholder="Search connection ids"
      addLabel={hasPermission(session, 'CONNECTION:create') ? 'Add connection' : undefined}
      onAdd={() => setEditing('new')}
      headers={['Connection id', 'Type', 'Host', 'Port', 'Login', 'Password', 'Extra']}
      row={(connection) => (
        <tr key={connection.connection_id} data-testid={`connection-row-${connection.connection_id}`}>
          <td className="mono">{connection.connection_id}</td>
          <td>{connection.conn_type}</td>
          <td>{connection.host}</td>
          <td>{connection.port}</td>
          <td>{connection.login}</td>
          <td className="mono">{connection.password ? MASK : ''}</td>
          <td className="mono cell-clip" title={connection.extra ?? undefined}>
            {connection.extra}
          </td>
          <RowActions
            noun="connection"
            id={connection.connection_id}
            onEdit={canEdit ? () => setEditing(connection) : undefined}
            onDelete={canDelete ? () => setDeleting(connection) : undefined}
          />
        </tr>
      )}
    >
      {editing && <ConnectionForm connection={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDelete what="connection" name={deleting.connection_id} remove={() => api.delete(paths.connection(deleting.connection_id))} onClose={() => setDeleting(null)} />
      )}
    </AdminPage>
  );
}
