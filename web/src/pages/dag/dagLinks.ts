// URLs of the DAG pages, built alike everywhere.
const enc = encodeURIComponent;

export type DagTab = 'grid' | 'graph' | 'gantt' | 'code' | 'details';
export const DAG_TABS: { id: DagTab; label: string }[] = [
  { id: 'grid', label: 'Grid' },
  { id: 'graph', label: 'Graph' },
  { id: 'gantt', label: 'Gantt' },
  { id: 'code', label: 'Code' },
  { id: 'details', label: 'Details' },
];

export const dagPath = (dagId: string) => `/dags/${enc(dagId)}`;
export const runPath = (dagId: string, runId: string) => `${dagPath(dagId)}/runs/${enc(runId)}`;
export const taskInstancePath = (dagId: string, runId: string, taskId: string) => `${runPath(dagId, runId)}/tasks/${enc(taskId)}`;

/** A tab of the DAG page, keeping the run the user had selected. */
export function dagTabPath(dagId: string, tab: DagTab, runId?: string): string {
  if (tab === 'grid') return runId ? runPath(dagId, runId) : dagPath(dagId);
  const query = new URLSearchParams({ tab });
  if (runId) query.set('run', runId);
  return `${dagPath(dagId)}?${query}`;
}
