-- +goose Up
-- The Leadgains CRM tables the bot works on. Names and columns are a contract:
-- other tools and tests write to them directly (DESIGN.md, "CRM schema").
CREATE TABLE IF NOT EXISTS contacts (
    id           text PRIMARY KEY,
    location_id  text NOT NULL,
    first_name   text NOT NULL DEFAULT '',
    last_name    text NOT NULL DEFAULT '',
    email        text,
    phone        text,
    company_name text,
    source       text,
    dnd          boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS dnd_settings (
    contact_id text NOT NULL REFERENCES contacts(id),
    channel    text NOT NULL CHECK (channel IN ('sms','email','call','whatsapp','gmb','fb')),
    status     text NOT NULL CHECK (status IN ('active','inactive','permanent')),
    PRIMARY KEY (contact_id, channel)
);

CREATE TABLE IF NOT EXISTS conversations (
    id         text PRIMARY KEY,
    contact_id text NOT NULL REFERENCES contacts(id),
    channel    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS conversations_contact_id ON conversations (contact_id);

CREATE TABLE IF NOT EXISTS messages (
    id              text PRIMARY KEY,
    conversation_id text NOT NULL REFERENCES conversations(id),
    direction       text NOT NULL CHECK (direction IN ('inbound','outbound')),
    body            text NOT NULL DEFAULT '',
    sent_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS messages_conversation_id ON messages (conversation_id);

CREATE TABLE IF NOT EXISTS notes (
    id         text PRIMARY KEY,
    contact_id text NOT NULL REFERENCES contacts(id),
    body       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS notes_contact_id ON notes (contact_id);

CREATE TABLE IF NOT EXISTS opportunities (
    id             text PRIMARY KEY,
    contact_id     text NOT NULL REFERENCES contacts(id),
    name           text NOT NULL DEFAULT '',
    status         text NOT NULL CHECK (status IN ('open','won','lost','abandoned')),
    monetary_value numeric(12,2) NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS opportunities_contact_id ON opportunities (contact_id);

CREATE TABLE IF NOT EXISTS tasks (
    id         text PRIMARY KEY,
    contact_id text NOT NULL REFERENCES contacts(id),
    title      text NOT NULL DEFAULT '',
    due_at     timestamptz,
    completed  boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS tasks_contact_id ON tasks (contact_id);

CREATE TABLE IF NOT EXISTS appointments (
    id         text PRIMARY KEY,
    contact_id text NOT NULL REFERENCES contacts(id),
    title      text NOT NULL DEFAULT '',
    starts_at  timestamptz NOT NULL,
    status     text NOT NULL CHECK (status IN ('confirmed','cancelled','showed','noshow'))
);
CREATE INDEX IF NOT EXISTS appointments_contact_id ON appointments (contact_id);

CREATE TABLE IF NOT EXISTS workflow_enrollments (
    id            text PRIMARY KEY,
    contact_id    text NOT NULL REFERENCES contacts(id),
    workflow_name text NOT NULL,
    status        text NOT NULL CHECK (status IN ('active','finished','stopped')),
    enrolled_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS workflow_enrollments_contact_id ON workflow_enrollments (contact_id);

-- +goose Down
DROP TABLE IF EXISTS workflow_enrollments, appointments, tasks, opportunities, notes, messages, conversations, dnd_settings, contacts;
