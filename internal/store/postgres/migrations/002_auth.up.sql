-- Users of the API and UI, as Airflow's ab_user keeps them; the role is one
-- of store.Roles and the password a bcrypt hash.
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    email         text NOT NULL DEFAULT '',
    first_name    text NOT NULL DEFAULT '',
    last_name     text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('Admin', 'Op', 'User', 'Viewer')),
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL,
    last_login    timestamptz
);

-- Connections to external systems, as Airflow's connection table keeps
-- them: password and extra are stored as the caller gives them, encrypted
-- when the flags say so.
CREATE TABLE connection (
    conn_id            text PRIMARY KEY,
    conn_type          text NOT NULL,
    description        text NOT NULL DEFAULT '',
    host               text NOT NULL DEFAULT '',
    schema             text NOT NULL DEFAULT '',
    login              text NOT NULL DEFAULT '',
    password           text NOT NULL DEFAULT '',
    port               integer,
    extra              text NOT NULL DEFAULT '',
    is_encrypted       boolean NOT NULL DEFAULT false,
    is_extra_encrypted boolean NOT NULL DEFAULT false
);

-- A variable's value may be Fernet ciphertext, which the caller decrypts.
ALTER TABLE variable ADD COLUMN is_encrypted boolean NOT NULL DEFAULT false;
