// The Grid tab: the grid at the left and, when a run or task instance is
// selected, its details beside it, as Airflow 3 shows them.
import { useCallback, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useGrid } from '../../api/hooks/runs';
import { ErrorMessage, Loading, Empty } from '../../components/QueryState';
import { buildGridModel } from '../../lib/gridModel';
import { loadSetting, saveSetting } from '../../lib/settings';
import { RunPanel } from '../run/RunPanel';
import { TaskInstancePanel } from '../task/TaskInstancePanel';
import { GridView } from './GridView';
import { StateLegend } from './StateLegend';
import { runPath, taskInstancePath } from './dagLinks';

export const GRID_LIMITS = [25, 50, 100, 365];
const LIMIT_KEY = 'updraft-grid-limit';

function savedLimit(): number {
  const value = Number(loadSetting(LIMIT_KEY));
  return GRID_LIMITS.includes(value) ? value : 25;
}

export function GridSection({ dagId, runId, taskId }: { dagId: string; runId?: string; taskId?: string }) {
  const navigate = useNavigate();
  // ?limit= wins (a shared link), then the user's last choice.
  const [params, setParams] = useSearchParams();
  const urlLimit = Number(params.get('limit'));
  const [chosenLimit, setLimit] = useState(savedLimit);
  const limit = urlLimit >= 1 && urlLimit <= 1000 ? urlLimit : chosenLimit;
  const grid = useGrid(dagId, limit);
  const model = useMemo(() => (grid.data ? buildGridModel(grid.data) : null), [grid.data]);
  const latestRunId = model?.runs[model.runs.length - 1]?.dag_run_id;

  const onSelectRun = useCallback((id: string) => navigate(runPath(dagId, id)), [dagId, navigate]);
  const onSelectTaskInstance = useCallback((run: string, task: string) => navigate(taskInstancePath(dagId, run, task)), [dagId, navigate]);
  const onSelectTask = useCallback(
    (task: string) => {
      const run = runId ?? latestRunId;
      if (run) navigate(taskInstancePath(dagId, run, task));
    },
    [dagId, runId, latestRunId, navigate],
  );

  const hasPanel = Boolean(runId);
  return (
    <div className={`grid-section${hasPanel ? ' grid-section-split' : ''}`}>
      <div className="grid-pane">
        <div className="grid-toolbar">
          <label className="inline-field">
            <span>Runs</span>
            <select
              data-testid="grid-limit"
              value={limit}
              onChange={(event) => {
                const value = Number(event.target.value);
                saveSetting(LIMIT_KEY, String(value));
                setLimit(value);
                if (params.has('limit')) {
                  setParams(
                    (current) => {
                      const next = new URLSearchParams(current);
                      next.delete('limit');
                      return next;
                    },
                    { replace: true },
                  );
                }
              }}
            >
              {(GRID_LIMITS.includes(limit) ? GRID_LIMITS : [...GRID_LIMITS, limit].sort((a, b) => a - b)).map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
          </label>
          {grid.isFetching && <span className="fetch-dot" title="Refreshing" />}
        </div>
        {grid.error ? (
          <ErrorMessage error={grid.error} />
        ) : !model ? (
          <Loading what="grid" />
        ) : model.tasks.length === 0 ? (
          <Empty>This DAG has no tasks.</Empty>
        ) : (
          <GridView model={model} selectedRunId={runId} selectedTaskId={taskId} onSelectRun={onSelectRun} onSelectTaskInstance={onSelectTaskInstance} onSelectTask={onSelectTask} />
        )}
        <StateLegend />
      </div>
      {hasPanel && (
        <div className="detail-pane">
          {taskId ? <TaskInstancePanel key={`${runId}/${taskId}`} dagId={dagId} runId={runId!} taskId={taskId} /> : <RunPanel key={runId} dagId={dagId} runId={runId!} />}
        </div>
      )}
    </div>
  );
}
