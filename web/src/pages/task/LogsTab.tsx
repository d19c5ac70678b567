import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { api } from '../../api/client';
import { useTries } from '../../api/hooks/taskInstances';
import { paths } from '../../api/paths';
import type { TaskInstance } from '../../api/types';
import { DownloadIcon } from '../../components/Icons';
import { ErrorMessage } from '../../components/QueryState';
import { useToast } from '../../components/Toasts';
import { logFileName } from '../../lib/logFollow';
import { stateLabel } from '../../lib/stateColors';
import { LogLines } from './LogLines';
import { useLogFollow } from './useLogFollow';

export function LogsTab({ taskInstance, active }: { taskInstance: TaskInstance; active: boolean }) {
  const { dag_id: dagId, dag_run_id: runId, task_id: taskId } = taskInstance;
  const tries = useTries(dagId, runId, taskId, active);
  const latestTry = taskInstance.try_number;
  const [chosenTry, setChosenTry] = useState<number | null>(null);
  const tryNumber = chosenTry ?? latestTry;
  const live = active && tryNumber === latestTry;
  const { log, error } = useLogFollow({ dagId, runId, taskId, tryNumber }, live);
  const [autoScroll, setAutoScroll] = useState(true);
  const viewRef = useRef<HTMLDivElement>(null);
  const toast = useToast();

  // A new try appearing (the task was retried) moves the view to it.
  useEffect(() => setChosenTry(null), [latestTry]);

  useLayoutEffect(() => {
    const view = viewRef.current;
    if (autoScroll && view) view.scrollTop = view.scrollHeight;
  }, [log.lines.length, autoScroll]);

  const download = async () => {
    try {
      const text = await api.get<string>(paths.log(dagId, runId, taskId, tryNumber), { full_content: true }, { accept: 'text/plain' });
      const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = logFileName(dagId, runId, taskId, tryNumber);
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (failure) {
      toast.error(failure instanceof Error ? failure.message : String(failure));
    }
  };

  const tryOptions = tries.data?.task_instances.map((item) => item.try_number) ?? [];
  if (!tryOptions.includes(latestTry) && latestTry > 0) tryOptions.push(latestTry);

  return (
    <div className="logs">
      <div className="log-toolbar">
        <label className="inline-field">
          <span>Try</span>
          <select data-testid="try-select" value={tryNumber} onChange={(event) => setChosenTry(Number(event.target.value))} disabled={tryOptions.length === 0}>
            {tryOptions.map((number) => {
              const state = tries.data?.task_instances.find((item) => item.try_number === number)?.state;
              return (
                <option key={number} value={number}>
                  {number}
                  {state ? ` · ${stateLabel(state)}` : ''}
                </option>
              );
            })}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" data-testid="log-autoscroll" checked={autoScroll} onChange={(event) => setAutoScroll(event.target.checked)} /> Auto-scroll
        </label>
        {live && <span className="live-pill">Live</span>}
        <div className="toolbar-spacer" />
        <button type="button" className="button button-small" data-testid="log-download" onClick={download} disabled={tryNumber < 1}>
          <DownloadIcon size={14} /> Download
        </button>
      </div>
      {error ? <ErrorMessage error={error} /> : null}
      <div className="log-view" data-testid="log-view" ref={viewRef}>
        {tryNumber < 1 ? (
          <div className="muted">This task instance has not run yet.</div>
        ) : log.loads === 0 ? (
          <div className="muted">Loading log…</div>
        ) : log.lines.length === 0 ? (
          <div className="muted">{live ? 'Waiting for output…' : 'The log is empty.'}</div>
        ) : (
          <LogLines lines={log.lines} />
        )}
      </div>
    </div>
  );
}
