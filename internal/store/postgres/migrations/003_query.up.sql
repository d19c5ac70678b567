-- The API's lists (store.QueryStore) and their counts, at a hundred
-- thousand runs and a million task instances.
-- Runs across DAGs by logical date, newest first by default: read off the
-- index in the order asked, ties broken by id.
CREATE INDEX dag_run_logical ON dag_run (logical_date, id);
-- A DAG's runs in id order (the default): the first page of a DAG's runs
-- in a state, and the runs whose task instances a DAG's list walks, in
-- their order, without reading the table. dag_run_state counts a DAG's
-- runs in a state.
CREATE INDEX dag_run_dag_id ON dag_run (dag_id, id);
-- The task instances of those runs in a state, counted from the index
-- alone: through the primary key a count of a DAG's task instances read
-- ten thousand rows of the table. Like task_instance_state, one more index
-- a state change writes.
CREATE INDEX task_instance_run_state ON task_instance (dag_run_id, state);
