-- +goose Up
-- The Leadgains CRM tables, as in migrations/postgres/00001 (DESIGN.md, "CRM
-- schema"), for the embedded SQLite database. Differences, all of SQLite's
-- making: timestamps are TIMESTAMP text in UTC ("2006-01-02 15:04:05.999+00:00",
-- the driver's _time_format=sqlite; text order is time order), booleans are
-- 0/1, numeric(12,2) is stored as REAL. "now" defaults use the same format.
CREATE TABLE IF NOT EXISTS contacts (
    id           TEXT PRIMARY KEY,
    location_id  TEXT NOT NULL,
    first_name   TEXT NOT NULL DEFAULT '',
    last_name    TEXT NOT NULL DEFAULT '',
    email        TEXT,
    phone        TEXT,
    company_name TEXT,
    source       TEXT,
    dnd          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    updated_at   TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

CREATE TABLE IF NOT EXISTS dnd_settings (
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    channel    TEXT NOT NULL CHECK (channel IN ('sms','email','call','whatsapp','gmb','fb')),
    status     TEXT NOT NULL CHECK (status IN ('active','inactive','permanent')),
    PRIMARY KEY (contact_id, channel)
);

CREATE TABLE IF NOT EXISTS conversations (
    id         TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    channel    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);
CREATE INDEX IF NOT EXISTS conversations_contact_id ON conversations (contact_id);

CREATE TABLE IF NOT EXISTS messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    direction       TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
    body            TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);
CREATE INDEX IF NOT EXISTS messages_conversation_id ON messages (conversation_id);

CREATE TABLE IF NOT EXISTS notes (
    id         TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    body       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);
CREATE INDEX IF NOT EXISTS notes_contact_id ON notes (contact_id);

CREATE TABLE IF NOT EXISTS opportunities (
    id             TEXT PRIMARY KEY,
    contact_id     TEXT NOT NULL REFERENCES contacts(id),
    name           TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('open','won','lost','abandoned')),
    monetary_value NUMERIC(12,2) NOT NULL DEFAULT 0,
    created_at     TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);
CREATE INDEX IF NOT EXISTS opportunities_contact_id ON opportunities (contact_id);

CREATE TABLE IF NOT EXISTS tasks (
    id         TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    title      TEXT NOT NULL DEFAULT '',
    due_at     TIMESTAMP,
    completed  BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX IF NOT EXISTS tasks_contact_id ON tasks (contact_id);

CREATE TABLE IF NOT EXISTS appointments (
    id         TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    title      TEXT NOT NULL DEFAULT '',
    starts_at  TIMESTAMP NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('confirmed','cancelled','showed','noshow'))
);
CREATE INDEX IF NOT EXISTS appointments_contact_id ON appointments (contact_id);

CREATE TABLE IF NOT EXISTS workflow_enrollments (
    id            TEXT PRIMARY KEY,
    contact_id    TEXT NOT NULL REFERENCES contacts(id),
    workflow_name TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active','finished','stopped')),
    enrolled_at   TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);
CREATE INDEX IF NOT EXISTS workflow_enrollments_contact_id ON workflow_enrollments (contact_id);

-- +goose Down
DROP TABLE IF EXISTS workflow_enrollments;
DROP TABLE IF EXISTS appointments;
DROP TABLE IF EXISTS tasks;
DROP TABLE IF EXISTS opportunities;
DROP TABLE IF EXISTS notes;
DROP TABLE IF EXISTS messages;
DROP TABLE IF EXISTS conversations;
DROP TABLE IF EXISTS dnd_settings;
DROP TABLE IF EXISTS contacts;
