-- The API's lists (store.QueryStore) and their counts, at a hundred
-- thousand runs and a million task instances.
-- Runs across DAGs by logical date, newest first by default (the rowid,
-- which every index ends with, breaks ties).
CREATE INDEX dag_run_logical ON dag_run (logical_date);
-- A DAG's runs in a state, in id order, counted from the index alone; and
-- the ids of a DAG's runs, whose task instances its list reads through the
-- primary key. Task instances get no index of their own here: counting a
-- DAG's ten thousand through the primary key stays within a few
-- milliseconds, and every index on task_instance is one more write per
-- state change for SQLite's one writer.
CREATE INDEX dag_run_dag_state ON dag_run (dag_id, state);
