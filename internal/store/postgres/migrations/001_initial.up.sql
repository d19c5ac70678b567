-- The PostgreSQL schema: the SQLite store's tables with PostgreSQL's types.
-- Times are timestamptz (microseconds, read back in UTC); JSON columns are
-- json, not jsonb: json keeps the text as written and takes every valid
-- document, where jsonb refuses the \u0000 escape a task's return value may
-- hold, which would fail the whole batch of state changes it came in.

CREATE TABLE dag (
    dag_id              text PRIMARY KEY,
    is_paused           boolean NOT NULL DEFAULT false,
    is_active           boolean NOT NULL DEFAULT true,
    fileloc             text NOT NULL,
    latest_version_id   bigint,
    description         text NOT NULL DEFAULT '',
    owner               text NOT NULL DEFAULT '',
    tags                text[] NOT NULL DEFAULT '{}',
    schedule            text NOT NULL DEFAULT '',
    next_interval_start timestamptz,
    next_interval_end   timestamptz,
    last_parsed_at      timestamptz NOT NULL,
    CHECK ((next_interval_start IS NULL) = (next_interval_end IS NULL))
);
-- DagDeactivate goes by file.
CREATE INDEX dag_fileloc ON dag (fileloc);

CREATE TABLE dag_version (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dag_id         text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
    version_number integer NOT NULL,
    hash           text NOT NULL,
    fileloc        text NOT NULL,
    source         bytea NOT NULL,
    created_at     timestamptz NOT NULL,
    UNIQUE (dag_id, version_number)
);

CREATE TABLE import_error (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fileloc   text NOT NULL UNIQUE,
    message   text NOT NULL,
    timestamp timestamptz NOT NULL
);

CREATE TABLE dag_run (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dag_id              text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
    run_id              text NOT NULL,
    dag_version_id      bigint NOT NULL REFERENCES dag_version (id),
    state               text NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed')),
    run_type            text NOT NULL CHECK (run_type IN ('scheduled', 'manual', 'backfill')),
    logical_date        timestamptz NOT NULL,
    data_interval_start timestamptz NOT NULL,
    data_interval_end   timestamptz NOT NULL,
    conf                json NOT NULL DEFAULT '{}',
    queued_at           timestamptz,
    start_date          timestamptz,
    end_date            timestamptz,
    created_at          timestamptz NOT NULL,
    clear_number        integer NOT NULL DEFAULT 0,
    UNIQUE (dag_id, run_id)
);
CREATE INDEX dag_run_dag_logical ON dag_run (dag_id, logical_date);
-- Runs by state, and a DAG's running runs counted for max_active_runs.
CREATE INDEX dag_run_state ON dag_run (state, dag_id);

-- Task instances change state several times a try: leave room in each page
-- so an update that changes no indexed column stays on its page (HOT).
CREATE TABLE task_instance (
    dag_run_id       bigint NOT NULL REFERENCES dag_run (id) ON DELETE CASCADE,
    task_id          text NOT NULL,
    map_index        integer NOT NULL DEFAULT -1,
    try_number       integer NOT NULL DEFAULT 0,
    max_tries        integer NOT NULL DEFAULT 0,
    -- NULL is none: not yet scheduled.
    state            text CHECK (state IN ('scheduled', 'queued', 'running', 'success', 'failed', 'up_for_retry',
                         'upstream_failed', 'skipped', 'removed', 'deferred', 'up_for_reschedule', 'restarting')),
    pool             text NOT NULL,
    pool_slots       integer NOT NULL DEFAULT 1,
    priority_weight  integer NOT NULL DEFAULT 1,
    executor         text NOT NULL DEFAULT '',
    queued_at        timestamptz,
    start_date       timestamptz,
    end_date         timestamptz,
    next_retry_at    timestamptz,
    hostname         text NOT NULL DEFAULT '',
    pid              integer NOT NULL DEFAULT 0,
    -- The scheduler job whose executor runs the current try; 0 for none.
    -- No foreign key: a job's row may go while its tries are kept.
    queued_by_job_id bigint NOT NULL DEFAULT 0,
    exit_code        integer,
    reason           text NOT NULL DEFAULT '',
    rendered         json,
    PRIMARY KEY (dag_run_id, task_id, map_index)
) WITH (fillfactor = 80);
-- The scheduler's hot query: what is scheduled, in dispatch order, so the
-- first rows come off the index without sorting every scheduled row; also
-- what is active, for the limits, and what waits for a retry.
CREATE INDEX task_instance_state ON task_instance (state, priority_weight DESC, dag_run_id, task_id);
-- Whether a run has anything unfinished, asked after every task end: only
-- the unfinished rows are in it, so the answer is one probe. The list is
-- dag.TaskState.Finished's; the queries repeat it so the planner uses this.
CREATE INDEX task_instance_unfinished ON task_instance (dag_run_id)
    WHERE state IS NULL OR state NOT IN ('success', 'failed', 'skipped', 'upstream_failed', 'removed');
-- The active tries of a scheduler job, and the active tries whose job no
-- longer runs (orphans a live scheduler adopts): small, as only active rows
-- are in it.
CREATE INDEX task_instance_queued_by_job ON task_instance (queued_by_job_id)
    WHERE state IN ('queued', 'running', 'restarting');

CREATE TABLE task_instance_history (
    dag_run_id  bigint NOT NULL REFERENCES dag_run (id) ON DELETE CASCADE,
    task_id     text NOT NULL,
    map_index   integer NOT NULL,
    try_number  integer NOT NULL,
    -- NULL is none: a restarting try put back to run again ends in none.
    state       text CHECK (state IN ('scheduled', 'queued', 'running', 'success', 'failed', 'up_for_retry',
                    'upstream_failed', 'skipped', 'removed', 'deferred', 'up_for_reschedule', 'restarting')),
    start_date  timestamptz,
    end_date    timestamptz,
    hostname    text NOT NULL DEFAULT '',
    pid         integer NOT NULL DEFAULT 0,
    exit_code   integer,
    reason      text NOT NULL DEFAULT '',
    PRIMARY KEY (dag_run_id, task_id, map_index, try_number)
);

CREATE TABLE xcom (
    dag_run_id bigint NOT NULL REFERENCES dag_run (id) ON DELETE CASCADE,
    task_id    text NOT NULL,
    map_index  integer NOT NULL,
    key        text NOT NULL,
    value      json NOT NULL,
    timestamp  timestamptz NOT NULL,
    PRIMARY KEY (dag_run_id, task_id, map_index, key)
);

CREATE TABLE variable (
    key         text PRIMARY KEY,
    val         text NOT NULL,
    description text NOT NULL DEFAULT ''
);

CREATE TABLE slot_pool (
    name        text PRIMARY KEY,
    slots       integer NOT NULL CHECK (slots >= 0),
    description text NOT NULL DEFAULT ''
);
INSERT INTO slot_pool (name, slots, description) VALUES ('default_pool', 128, 'Default pool');

-- Scheduler jobs: every scheduler process records itself and heartbeats, so
-- the tries a dead scheduler's executor ran can be told from the ones a
-- live scheduler still follows.
CREATE TABLE scheduler_job (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hostname         text NOT NULL,
    pid              integer NOT NULL,
    state            text NOT NULL CHECK (state IN ('running', 'success', 'failed')),
    start_date       timestamptz NOT NULL,
    latest_heartbeat timestamptz NOT NULL,
    end_date         timestamptz
);
-- The running jobs, by heartbeat: the stale ones to declare dead, and the
-- live ones an orphaned try's job is looked up among.
CREATE INDEX scheduler_job_running ON scheduler_job (latest_heartbeat) WHERE state = 'running';
