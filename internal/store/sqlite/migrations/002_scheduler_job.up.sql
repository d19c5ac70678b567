-- Scheduler jobs: every scheduler process records itself and heartbeats, so
-- the tries a dead scheduler's executor ran can be told from the ones a
-- live scheduler still follows.
CREATE TABLE scheduler_job (
    id               INTEGER PRIMARY KEY,
    hostname         TEXT NOT NULL,
    pid              INTEGER NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('running', 'success', 'failed')),
    start_date       TEXT NOT NULL,
    latest_heartbeat TEXT NOT NULL,
    end_date         TEXT
);
CREATE INDEX scheduler_job_state ON scheduler_job (state, latest_heartbeat);

-- The job whose executor runs the current try; 0 for none.
ALTER TABLE task_instance ADD COLUMN queued_by_job_id INTEGER NOT NULL DEFAULT 0;
