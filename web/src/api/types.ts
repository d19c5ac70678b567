// Shapes of the API's answers, as internal/api/openapi.yaml defines them.
// Only the fields the UI reads are listed where a schema is large.

export type DagRunState = 'queued' | 'running' | 'success' | 'failed';
export type DagRunType = 'backfill' | 'scheduled' | 'manual' | 'asset_triggered';
export type TaskInstanceState =
  | 'removed'
  | 'scheduled'
  | 'queued'
  | 'running'
  | 'success'
  | 'restarting'
  | 'failed'
  | 'up_for_retry'
  | 'up_for_reschedule'
  | 'upstream_failed'
  | 'skipped'
  | 'deferred';
export type Role = 'Admin' | 'Op' | 'User' | 'Viewer';

export interface SessionResponse {
  username: string;
  role: Role;
  permissions: string[];
  csrf_token: string;
  expires_at: string;
  email: string;
  first_name: string;
  last_name: string;
}

export interface DagTag {
  name: string;
  dag_id: string;
}

export interface Dag {
  dag_id: string;
  dag_display_name: string;
  is_paused: boolean;
  is_stale: boolean;
  last_parsed_time: string | null;
  relative_fileloc: string | null;
  fileloc: string;
  description: string | null;
  timetable_summary: string | null;
  timetable_description: string | null;
  tags: DagTag[];
  max_active_tasks: number;
  max_active_runs: number | null;
  has_import_errors: boolean;
  next_dagrun_logical_date: string | null;
  next_dagrun_run_after: string | null;
  owners: string[];
}

export interface DagVersion {
  id: string;
  version_number: number;
  dag_id: string;
  bundle_version: string | null;
  created_at: string;
}

/** A param as get_dag_details gives it: Airflow's serialized Param. */
export interface DagParam {
  value?: unknown;
  description?: string | null;
  schema?: JsonSchema;
}

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  title?: string;
  description?: string;
}

export interface DagDetails extends Dag {
  catchup: boolean;
  dag_run_timeout: string | null;
  doc_md: string | null;
  start_date: string | null;
  end_date: string | null;
  is_paused_upon_creation: boolean | null;
  params: Record<string, DagParam | unknown> | null;
  render_template_as_native_obj: boolean;
  template_search_path: string[] | null;
  timezone: string | null;
  last_parsed: string | null;
  default_args: Record<string, unknown> | null;
  concurrency: number;
  latest_dag_version: DagVersion | null;
}

export interface DagRunSummary {
  dag_run_id: string;
  state: DagRunState;
  run_type: DagRunType;
  logical_date: string | null;
  run_after: string;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
}

export interface UiDag extends Dag {
  latest_dag_runs: DagRunSummary[];
}

export interface DagRun extends DagRunSummary {
  dag_id: string;
  queued_at: string | null;
  data_interval_start: string | null;
  data_interval_end: string | null;
  triggered_by: string | null;
  triggering_user_name: string | null;
  conf: Record<string, unknown> | null;
  note: string | null;
  dag_versions: DagVersion[];
}

export interface TimeDelta {
  days: number;
  seconds: number;
  microseconds: number;
}

export interface Task {
  task_id: string;
  task_display_name: string;
  owner: string | null;
  trigger_rule: string;
  retries: number;
  pool: string;
  operator_name: string;
  downstream_task_ids: string[];
  template_fields: string[];
  execution_timeout: TimeDelta | null;
  retry_delay: TimeDelta | null;
}

export interface TaskInstance {
  id: string;
  task_id: string;
  dag_id: string;
  dag_run_id: string;
  map_index: number;
  logical_date: string | null;
  run_after: string;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  state: TaskInstanceState | null;
  try_number: number;
  max_tries: number;
  task_display_name: string;
  hostname: string | null;
  unixname: string | null;
  pool: string;
  pool_slots: number;
  queue: string | null;
  priority_weight: number | null;
  operator: string | null;
  operator_name: string | null;
  queued_when: string | null;
  scheduled_when: string | null;
  pid: number | null;
  executor: string | null;
  note: string | null;
  rendered_fields?: Record<string, unknown>;
  dag_version: DagVersion | null;
}

export interface TaskInstanceTry {
  task_id: string;
  dag_run_id: string;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  state: TaskInstanceState | null;
  try_number: number;
  max_tries: number;
  hostname: string | null;
  pid: number | null;
  operator_name: string | null;
  queued_when: string | null;
  exit_code?: number | null;
  reason?: string | null;
}

export interface LogLine {
  event: string;
  timestamp?: string;
  [field: string]: unknown;
}

export interface LogChunk {
  content: LogLine[];
  continuation_token: string | null;
}

export interface XComEntry {
  key: string;
  timestamp: string;
  map_index: number;
  task_id: string;
  run_id: string;
}

export interface XComEntryWithValue extends XComEntry {
  value: unknown;
}

export interface ImportError {
  import_error_id: number;
  timestamp: string;
  filename: string;
  stack_trace: string;
}

export interface DagSource {
  content: string | null;
  dag_id: string;
  version_number: number | null;
}

export interface GridTask {
  task_id: string;
  task_display_name: string;
  downstream_task_ids: string[];
}

export interface GridRun extends DagRunSummary {
  task_states: (TaskInstanceState | null)[];
}

export interface GridResponse {
  tasks: GridTask[];
  dag_runs: GridRun[];
  total_entries: number;
}

export interface Variable {
  key: string;
  value: string;
  description: string | null;
  is_encrypted: boolean;
}

export interface Connection {
  connection_id: string;
  conn_type: string;
  description: string | null;
  host: string | null;
  login: string | null;
  schema: string | null;
  port: number | null;
  password: string | null;
  extra: string | null;
}

export interface Pool {
  name: string;
  slots: number;
  description: string | null;
  occupied_slots: number;
  running_slots: number;
  queued_slots: number;
  scheduled_slots: number;
  open_slots: number;
  deferred_slots: number;
}

export interface User {
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  role: Role;
  active: boolean;
  created_at: string;
  last_login: string | null;
}

/** Every list answer has its rows under one key plus total_entries. */
export type Page<K extends string, T> = { [key in K]: T[] } & { total_entries: number };
