import { useState } from 'react';
import { api } from '../../api/client';
import { usePools } from '../../api/hooks/admin';
import { paths } from '../../api/paths';
import type { Pool } from '../../api/types';
import { useApiMutation } from '../../api/useApiMutation';
import { useSession } from '../../auth/SessionContext';
import { hasPermission } from '../../lib/permissions';
import { AdminPage, RowActions } from './AdminPage';
import { ConfirmDelete } from './ConfirmDelete';
import { FormDialog } from './FormDialog';
import { useAdminList } from './useAdminList';

function PoolForm({ pool, onClose }: { pool: Pool | null; onClose: () => void }) {
  const [name, setName] = useState(pool?.name ?? '');
  const [slots, setSlots] = useState(String(pool?.slots ?? 128));
  const [description, setDescription] = useState(pool?.description ?? '');
  const [error, setError] = useState('');
  const mutation = useApiMutation(
    () =>
      pool
        ? api.patch(paths.pool(pool.name), { slots: Number(slots), description: description || null })
        : api.post(paths.pools, { name, slots: Number(slots), description: description || null }),
    { quietErrors: true, successMessage: `Saved ${name}`, onSuccess: onClose },
  );
  const submit = () => {
    if (!/^\d+$/.test(slots)) return setError('Slots must be a whole number, 0 or more');
    setError('');
    mutation.mutate(undefined, { onError: (failure) => setError(failure.message) });
  };
  return (
    <FormDialog title={pool ? `Edit pool ${pool.name}` : 'New pool'} testId="pool-form" error={error} busy={mutation.isPending} submitLabel="Save" onClose={onClose} onSubmit={submit}>
      <label className="field">
        <span>Name</span>
        <input data-testid="pool-name" required value={name} disabled={Boolean(pool)} onChange={(event) => setName(event.target.value)} />
      </label>
      <label className="field">
        <span>Slots</span>
        <input data-testid="pool-slots" type="number" min={0} step={1} required value={slots} onChange={(event) => setSlots(event.target.value)} />
      </label>
      <label className="field">
        <span>Description</span>
        <input data-testid="pool-description" value={description} onChange={(event) => setDescription(event.target.value)} />
      </label>
    </FormDialog>
  );
}

function SlotsBar({ pool }: { pool: Pool }) {
  const total = Math.max(pool.slots, 1);
  const part = (count: number, className: string, label: string) =>
    count > 0 ? <span className={className} style={{ width: `${(count / total) * 100}%` }} title={`${label}: ${count}`} /> : null;
  return (
    <div className="slots-bar" aria-label={`${pool.occupied_slots} of ${pool.slots} slots in use`}>
      {part(pool.running_slots, 'slots-running', 'Running')}
      {part(pool.queued_slots, 'slots-queued', 'Queued')}
      {part(pool.scheduled_slots, 'slots-scheduled', 'Scheduled')}
    </div>
  );
}

export default function PoolsPage() {
  const { session } = useSession();
  const list = useAdminList();
  const query = usePools(list.pattern, list.offset);
  const [editing, setEditing] = useState<Pool | null | 'new'>(null);
  const [deleting, setDeleting] = useState<Pool | null>(null);
  const canEdit = hasPermission(session, 'POOL:edit');
  const canDelete = hasPermission(session, 'POOL:delete');

  return (
    <AdminPage
      title="Pools"
      noun="pool"
      list={list}
      query={query}
      searchPlaceholder="Search pools"
      addLabel={hasPermission(session, 'POOL:create') ? 'Add pool' : undefined}
      onAdd={() => setEditing('new')}
      headers={['Pool', 'Slots', 'Usage', 'Running', 'Queued', 'Open', 'Description']}
      row={(pool) => (
        <tr key={pool.name} data-testid={`pool-row-${pool.name}`}>
          <td className="mono">{pool.name}</td>
          <td>{pool.slots}</td>
          <td>
            <SlotsBar pool={pool} />
          </td>
          <td>{pool.running_slots}</td>
          <td>{pool.queued_slots}</td>
          <td>{pool.open_slots}</td>
          <td className="muted">{pool.description}</td>
          <RowActions
            noun="pool"
            id={pool.name}
            onEdit={canEdit ? () => setEditing(pool) : undefined}
            onDelete={canDelete && pool.name !== 'default_pool' ? () => setDeleting(pool) : undefined}
          />
        </tr>
      )}
    >
      {editing && <PoolForm pool={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && <ConfirmDelete what="pool" name={deleting.name} remove={() => api.delete(paths.pool(deleting.name))} onClose={() => setDeleting(null)} />}
    </AdminPage>
  );
}
