// The pause switch of a DAG (on = active, as in Airflow). Shows the wanted
// state at once and rolls back if the server refuses.
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { paths } from '../api/paths';
import { useApiMutation } from '../api/useApiMutation';
import type { Dag } from '../api/types';
import { useSession } from '../auth/SessionContext';
import { hasPermission, missingPermissionTitle } from '../lib/permissions';
import { Switch } from './Switch';

export function PauseToggle({ dagId, isPaused, testId }: { dagId: string; isPaused: boolean; testId: string }) {
  const { session } = useSession();
  const [active, setActive] = useState(!isPaused);
  useEffect(() => setActive(!isPaused), [isPaused]);
  const mutation = useApiMutation((paused: boolean) => api.patch<Dag>(paths.dag(dagId), { is_paused: paused }), {
    successMessage: (dag) => `${dag.dag_id} ${dag.is_paused ? 'paused' : 'unpaused'}`,
  });
  const allowed = hasPermission(session, 'DAG:edit');
  return (
    <Switch
      checked={active}
      label={active ? `Pause ${dagId}` : `Unpause ${dagId}`}
      testId={testId}
      disabled={!allowed || mutation.isPending}
      title={allowed ? (active ? 'Active: click to pause' : 'Paused: click to unpause') : missingPermissionTitle(session, 'DAG:edit')}
      onChange={(checked) => {
        setActive(checked);
        mutation.mutate(!checked, { onError: () => setActive(!isPaused) });
      }}
    />
  );
}
