import { useState } from 'react';
import { api } from '../../api/client';
import { usePools } from '../../api/hooks/admin';
import { paths } from '../../api/paths';
import type { Pool } from '../../api/types';
import { useApiMutation } from '../../api/useApiMutation';
import { useSession } from '../../auth/SessionContext';
import { Pagination } from '../../components/Pagination';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { hasPermission } from '../../lib/permissions';
import { AdminToolbar } from './AdminToolbar';
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

  return (
    <div className="page">
      <div className="page-header">
        <h1>Pools</h1>
      </div>
      <AdminToolbar search={list.search} onSearch={list.setSearch} placeholder="Search pools" testId="pool-search">
        {hasPermission(session, 'POOL:create') && (
          <button type="button" className="button button-primary" data-testid="pool-add" onClick={() => setEditing('new')}>
            Add pool
          </button>
        )}
      </AdminToolbar>
      {query.error ? (
        <ErrorMessage error={query.error} />
      ) : !query.data ? (
        <Loading />
      ) : (
        <div className="table-card">
          <table className="table" data-testid="pools-table">
            <thead>
              <tr>
                <th>Pool</th>
                <th>Slots</th>
                <th>Usage</th>
                <th>Running</th>
                <th>Queued</th>
                <th>Open</th>
                <th>Description</th>
                <th className="col-actions" />
              </tr>
            </thead>
            <tbody>
              {query.data.pools.map((pool) => (
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
                  <td className="col-actions">
                    {hasPermission(session, 'POOL:edit') && (
                      <button type="button" className="button button-small" data-testid={`pool-edit-${pool.name}`} onClick={() => setEditing(pool)}>
                        Edit
                      </button>
                    )}
                    {hasPermission(session, 'POOL:delete') && pool.name !== 'default_pool' && (
                      <button type="button" className="button button-small button-danger-outline" data-testid={`pool-delete-${pool.name}`} onClick={() => setDeleting(pool)}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {query.data && <Pagination offset={list.offset} limit={50} total={query.data.total_entries} onChange={list.setOffset} />}
      {editing && <PoolForm pool={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && <ConfirmDelete what="pool" name={deleting.name} remove={() => api.delete(paths.pool(deleting.name))} onClose={() => setDeleting(null)} />}
    </div>
  );
}
