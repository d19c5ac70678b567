// Which run the graph, Gantt and code views show: the one in ?run=, else the
// newest.
import { useSearchParams } from 'react-router';
import { useDagRun, useRecentRuns } from '../../api/hooks/runs';
import type { DagRun } from '../../api/types';
import { formatDateTime } from '../../lib/format';
import { stateLabel } from '../../lib/stateColors';
import { useTimeZone } from '../../lib/timeZone';

export function useSelectedRun(dagId: string, runId: string | undefined): { run: DagRun | null; runs: DagRun[]; loading: boolean } {
  const recent = useRecentRuns(dagId);
  const runs = recent.data?.dag_runs ?? [];
  const listed = runId ? runs.find((item) => item.dag_run_id === runId) : runs[0];
  // The list may not hold an older run named in the URL; ask for it then.
  const direct = useDagRun(dagId, runId && !recent.isPending && !listed ? runId : undefined);
  return { run: listed ?? direct.data ?? null, runs, loading: recent.isLoading || direct.isLoading };
}

export function RunPicker({ runs, selected }: { runs: DagRun[]; selected: string | undefined }) {
  const [, setParams] = useSearchParams();
  const timeZone = useTimeZone();
  if (runs.length === 0) return <span className="muted">No runs yet</span>;
  const options = selected && !runs.some((run) => run.dag_run_id === selected) ? [selected, ...runs.map((run) => run.dag_run_id)] : runs.map((run) => run.dag_run_id);
  return (
    <label className="inline-field">
      <span>Run</span>
      <select
        data-testid="run-picker"
        value={selected ?? runs[0].dag_run_id}
        onChange={(event) =>
          setParams((current) => {
            const next = new URLSearchParams(current);
            next.set('run', event.target.value);
            return next;
          })
        }
      >
        {options.map((id) => {
          const run = runs.find((item) => item.dag_run_id === id);
          return (
            <option key={id} value={id}>
              {run ? `${formatDateTime(run.run_after, timeZone)} · ${stateLabel(run.state)} · ${id}` : id}
            </option>
          );
        })}
      </select>
    </label>
  );
}
