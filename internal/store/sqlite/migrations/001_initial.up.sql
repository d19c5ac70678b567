-- Times are TEXT in UTC, fixed width (2006-01-02T15:04:05.000000Z), so they
-- sort as they compare.

CREATE TABLE dag (
    dag_id            TEXT PRIMARY KEY,
    is_paused         INTEGER NOT NULL DEFAULT 0,
    is_active         INTEGER NOT NULL DEFAULT 1,
    fileloc           TEXT NOT NULL,
    latest_version_id INTEGER,
    description       TEXT NOT NULL DEFAULT '',
    owner             TEXT NOT NULL DEFAULT '',
    tags              TEXT NOT NULL DEFAULT '[]',
    schedule          TEXT NOT NULL DEFAULT '',
    next_interval_start TEXT,
    next_interval_end   TEXT,
    last_parsed_at    TEXT NOT NULL
);

CREATE TABLE dag_version (
    id             INTEGER PRIMARY KEY,
    dag_id         TEXT NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
    version_number INTEGER NOT NULL,
    hash           TEXT NOT NULL,
    fileloc        TEXT NOT NULL,
    source         BLOB NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (dag_id, version_number)
);

CREATE TABLE import_error (
    id        INTEGER PRIMARY KEY,
    fileloc   TEXT NOT NULL UNIQUE,
    message   TEXT NOT NULL,
    timestamp TEXT NOT NULL
);

CREATE TABLE dag_run (
    id                  INTEGER PRIMARY KEY,
    dag_id              TEXT NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
    run_id              TEXT NOT NULL,
    dag_version_id      INTEGER NOT NULL REFERENCES dag_version (id),
    state               TEXT NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed')),
    run_type            TEXT NOT NULL CHECK (run_type IN ('scheduled', 'manual', 'backfill')),
    logical_date        TEXT NOT NULL,
    data_interval_start TEXT NOT NULL,
    data_interval_end   TEXT NOT NULL,
    conf                TEXT NOT NULL DEFAULT '{}',
    queued_at           TEXT,
    start_date          TEXT,
    end_date            TEXT,
    created_at          TEXT NOT NULL,
    clear_number        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (dag_id, run_id)
);
CREATE INDEX dag_run_dag_logical ON dag_run (dag_id, logical_date);
CREATE INDEX dag_run_state ON dag_run (state);

CREATE TABLE task_instance (
    dag_run_id      INTEGER NOT NULL REFERENCES dag_run (id) ON DELETE CASCADE,
    task_id         TEXT NOT NULL,
    map_index       INTEGER NOT NULL DEFAULT -1,
    try_number      INTEGER NOT NULL DEFAULT 0,
    max_tries       INTEGER NOT NULL DEFAULT 0,
    state           TEXT CHECK (state IS NULL OR state IN ('scheduled', 'queued', 'running',
                        'success', 'failed', 'up_for_retry', 'upstream_failed', 'skipped',
                        'removed', 'deferred', 'up_for_reschedule', 'restarting')),
    pool            TEXT NOT NULL,
    pool_slots      INTEGER NOT NULL DEFAULT 1,
    priority_weight INTEGER NOT NULL DEFAULT 1,
    executor        TEXT NOT NULL DEFAULT '',
    queued_at       TEXT,
    start_date      TEXT,
    end_date        TEXT,
    next_retry_at   TEXT,
    hostname        TEXT NOT NULL DEFAULT '',
    pid             INTEGER NOT NULL DEFAULT 0,
    exit_code       INTEGER,
    reason          TEXT NOT NULL DEFAULT '',
    rendered        TEXT,
    PRIMARY KEY (dag_run_id, task_id, map_index)
) WITHOUT ROWID;
-- The scheduler's hot queries: what is scheduled (in dispatch order, so no
-- sort of all scheduled rows), what is active (for limits), what waits for a
-- retry, whether a run has anything unfinished.
CREATE INDEX task_instance_state ON task_instance (state, priority_weight DESC, dag_run_id, task_id);

CREATE TABLE task_instance_history (
    dag_run_id  INTEGER NOT NULL REFERENCES dag_run (id) ON DELETE CASCADE,
    task_id     TEXT NOT NULL,
    map_index   INTEGER NOT NULL,
    try_number  INTEGER NOT NULL,
    state       TEXT NOT NULL,
    start_date  TEXT,
    end_date    TEXT,
    hostname    TEXT NOT NULL DEFAULT '',
    pid         INTEGER NOT NULL DEFAULT 0,
    exit_code   INTEGER,
    reason      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (dag_run_id, task_id, map_index, try_number)
) WITHOUT ROWID;

CREATE TABLE xcom (
    dag_run_id INTEGER NOT NULL REFERENCES dag_run (id) ON DELETE CASCADE,
    task_id    TEXT NOT NULL,
    map_index  INTEGER NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    timestamp  TEXT NOT NULL,
    PRIMARY KEY (dag_run_id, task_id, map_index, key)
) WITHOUT ROWID;

CREATE TABLE variable (
    key         TEXT PRIMARY KEY,
    val         TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE slot_pool (
    name        TEXT PRIMARY KEY,
    slots       INTEGER NOT NULL CHECK (slots >= 0),
    description TEXT NOT NULL DEFAULT ''
);
INSERT INTO slot_pool (name, slots, description) VALUES ('default_pool', 128, 'Default pool');
