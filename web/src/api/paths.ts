// The API's paths, built in one place so every caller encodes ids alike.
import { seg } from './client';

const base = '/api/v2';

export const paths = {
  session: `${base}/auth/session`,
  uiDags: `${base}/ui/dags`,
  grid: (dagId: string) => `${base}/ui/grid/${seg(dagId)}`,
  dagTags: `${base}/dagTags`,
  importErrors: `${base}/importErrors`,
  dag: (dagId: string) => `${base}/dags/${seg(dagId)}`,
  dagDetails: (dagId: string) => `${base}/dags/${seg(dagId)}/details`,
  tasks: (dagId: string) => `${base}/dags/${seg(dagId)}/tasks`,
  dagSource: (dagId: string) => `${base}/dagSources/${seg(dagId)}`,
  dagRuns: (dagId: string) => `${base}/dags/${seg(dagId)}/dagRuns`,
  dagRun: (dagId: string, runId: string) => `${base}/dags/${seg(dagId)}/dagRuns/${seg(runId)}`,
  clearRun: (dagId: string, runId: string) => `${base}/dags/${seg(dagId)}/dagRuns/${seg(runId)}/clear`,
  taskInstances: (dagId: string, runId: string) => `${base}/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances`,
  taskInstance: (dagId: string, runId: string, taskId: string) =>
    `${base}/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}`,
  taskInstanceDryRun: (dagId: string, runId: string, taskId: string) =>
    `${base}/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}/dry_run`,
  tries: (dagId: string, runId: string, taskId: string) =>
    `${base}/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}/tries`,
  log: (dagId: string, runId: string, taskId: string, tryNumber: number) =>
    `${base}/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}/logs/${tryNumber}`,
  xcomEntries: (dagId: string, runId: string, taskId: string) =>
    `${base}/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}/xcomEntries`,
  xcomEntry: (dagId: string, runId: string, taskId: string, key: string) =>
    `${base}/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}/xcomEntries/${seg(key)}`,
  clearTaskInstances: (dagId: string) => `${base}/dags/${seg(dagId)}/clearTaskInstances`,
  variables: `${base}/variables`,
  variable: (key: string) => `${base}/variables/${seg(key)}`,
  connections: `${base}/connections`,
  connection: (id: string) => `${base}/connections/${seg(id)}`,
  pools: `${base}/pools`,
  pool: (name: string) => `${base}/pools/${seg(name)}`,
  users: `${base}/users`,
  user: (username: string) => `${base}/users/${seg(username)}`,
};
