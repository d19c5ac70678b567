import { useState } from 'react';
import { api } from '../../api/client';
import { useVariables } from '../../api/hooks/admin';
import { paths } from '../../api/paths';
import type { Variable } from '../../api/types';
import { useApiMutation } from '../../api/useApiMutation';
import { useSession } from '../../auth/SessionContext';
import { hasPermission } from '../../lib/permissions';
import { AdminPage, RowActions } from './AdminPage';
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
  const canEdit = hasPermission(session, 'VARIABLE:edit');
  const canDelete = hasPermission(session, 'VARIABLE:delete');

  return (
    <AdminPage
      title="Variables"
      noun="variable"
      list={list}
      query={query}
      searchPlaceholder="Search keys"
      addLabel={hasPermission(session, 'VARIABLE:create') ? 'Add variable' : undefined}
      onAdd={() => setEditing('new')}
      headers={['Key', 'Value', 'Description']}
      row={(variable) => (
        <tr key={variable.key} data-testid={`variable-row-${variable.key}`}>
          <td className="mono">{variable.key}</td>
          <td className="mono cell-clip" title={variable.value}>
            {variable.value}
          </td>
          <td className="muted">{variable.description}</td>
          <RowActions
            noun="variable"
            id={variable.key}
            onEdit={canEdit ? () => setEditing(variable) : undefined}
            onDelete={canDelete ? () => setDeleting(variable) : undefined}
          />
        </tr>
      )}
    >
      {editing && <VariableForm variable={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && <ConfirmDelete what="variable" name={deleting.key} remove={() => api.delete(paths.variable(deleting.key))} onClose={() => setDeleting(null)} />}
    </AdminPage>
  );
}
