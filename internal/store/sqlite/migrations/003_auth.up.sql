-- Users of the API and UI, as Airflow's ab_user keeps them; the role is one
-- of store.Roles and the password a bcrypt hash.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL DEFAULT '',
    first_name    TEXT NOT NULL DEFAULT '',
    last_name     TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('Admin', 'Op', 'User', 'Viewer')),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    last_login    TEXT
);

-- Connections to external systems, as Airflow's connection table keeps
-- them: password and extra are stored as the caller gives them, encrypted
-- when the flags say so.
CREATE TABLE connection (
    conn_id            TEXT PRIMARY KEY,
    conn_type          TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    host               TEXT NOT NULL DEFAULT '',
    schema             TEXT NOT NULL DEFAULT '',
    login              TEXT NOT NULL DEFAULT '',
    password           TEXT NOT NULL DEFAULT '',
    port               INTEGER,
    extra              TEXT NOT NULL DEFAULT '',
    is_encrypted       INTEGER NOT NULL DEFAULT 0,
    is_extra_encrypted INTEGER NOT NULL DEFAULT 0
);

-- A variable's value may be Fernet ciphertext, which the caller decrypts.
ALTER TABLE variable ADD COLUMN is_encrypted INTEGER NOT NULL DEFAULT 0;
