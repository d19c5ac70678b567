import { useState } from 'react';
import { api } from '../../api/client';
import { useVariables } from '../../api/hooks/admin';
import { paths } from '../../api/paths';
import type { Variable } from '../../api/types';
import { useApiMutation } from '../../api/useApiMutation';
import { useSession } from '../../auth/SessionContext';
import { Pagination } from '../../components/Pagination';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { hasPermission } from '../../lib/permissions';
import { AdminToolbar } from './AdminToolbar';
import { ConfirmDelete } from './ConfirmDelete';
import { FormDialog } from './FormDialog';
import { useAdminList } from './useAdminList';

function VariableForm({ variable, onClose }: { variable: Variable | null; onClose: () => void }) {
  const [key, setKey] = useState(variable?.key ?? '');
  const [value, setValue] = useState(variable?.value ?? '');
  const [description, setDescription] = useState(variable?.description ?? '');
  const [error, setError] = useState('');
  const mutation = useApiMutation(
    () => {
      const body = { key, value, description: description || null };
      return variable ? api.patch(paths.variable(variable.key), body) : api.post(paths.variables, body);
    },
    { quietErrors: true, successMessage: variable ? `Saved ${key}` : `Created ${key}`, onSuccess: onClose },
  );
  return (
    <FormDialog
      title={variable ? `Edit variable ${variable.key}` : 'New variable'}
      testId="variable-form"
      error={error}
      busy={mutation.isPending}
      submitLabel="Save"
      onClose={onClose}
      onSubmit={() => mutation.mutate(undefined, { onError: (failure) => setError(failure.message) })}
    >
      <label className="field">
        <span>Key</span>
        <input data-testid="variable-key" required value={key} disabled={Boolean(variable)} onChange={(event) => setKey(event.target.value)} />
      </label>
      <label className="field">
        <span>Value</span>
        <textarea data-testid="variable-value" className="mono" rows={5} value={value} onChange={(event) => setValue(event.target.value)} />
      </label>
      <label className="field">
        <span>Description</span>
        <input data-testid="variable-description" value={description} onChange={(event) => setDescription(event.target.value)} />
      </label>
    </FormDialog>
  );
}

export default function VariablesPage() {
  const { session } = useSession();
  const list = useAdminList();
  const query = useVariables(list.pattern, list.offset);
  const [editing, setEditing] = useState<Variable | null | 'new'>(null);
  const [deleting, setDeleting] = useState<Variable | null>(null);
  const canCreate = hasPermission(session, 'VARIABLE:create');
  const canEdit = hasPermission(session, 'VARIABLE:edit');
  const canDelete = hasPermission(session, 'VARIABLE:delete');

  return (
    <div className="page">
      <div className="page-header">
        <h1>Variables</h1>
      </div>
      <AdminToolbar search={list.search} onSearch={list.setSearch} placeholder="Search keys" testId="variable-search">
        {canCreate && (
          <button type="button" className="button button-primary" data-testid="variable-add" onClick={() => setEditing('new')}>
            Add variable
          </button>
        )}
      </AdminToolbar>
      {query.error ? (
        <ErrorMessage error={query.error} />
      ) : !query.data ? (
        <Loading />
      ) : (
        <div className="table-card">
          <table className="table" data-testid="variables-table">
            <thead>
              <tr>
                <th>Key</th>
                <th>Value</th>
                <th>Description</th>
                <th className="col-actions" />
              </tr>
            </thead>
            <tbody>
              {query.data.variables.map((variable) => (
                <tr key={variable.key} data-testid={`variable-row-${variable.key}`}>
                  <td className="mono">{variable.key}</td>
                  <td className="mono cell-clip" title={variable.value}>
                    {variable.value}
                  </td>
                  <td className="muted">{variable.description}</td>
                  <td className="col-actions">
                    {canEdit && (
                      <button type="button" className="button button-small" data-testid={`variable-edit-${variable.key}`} onClick={() => setEditing(variable)}>
                        Edit
                      </button>
                    )}
                    {canDelete && (
                      <button type="button" className="button button-small button-danger-outline" data-testid={`variable-delete-${variable.key}`} onClick={() => setDeleting(variable)}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
              {query.data.variables.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    No variables.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {query.data && <Pagination offset={list.offset} limit={50} total={query.data.total_entries} onChange={list.setOffset} />}
      {editing && <VariableForm variable={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && <ConfirmDelete what="variable" name={deleting.key} remove={() => api.delete(paths.variable(deleting.key))} onClose={() => setDeleting(null)} />}
    </div>
  );
}
