-- +goose Up
-- The suppression list: opt-outs that outlive a delete. When a contact with
-- any DND is deleted, its email and its phone's national number are kept as
-- keyed hashes (HMAC-SHA-256 with SUPPRESSION_KEY) with the channels and
-- statuses it had opted out of. A contact created later with that email or
-- phone, by anything that writes to contacts (an import, a form, the API),
-- gets the same DND back from the triggers below, and the audit trail says so.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- The bot's own settings. The suppression key is kept here because the
-- triggers run in other tools' sessions too, which do not have the bot's
-- environment. Nobody but the owner (the role that runs the migrations, i.e.
-- the bot) and superusers may read it: PUBLIC has no rights, and the trigger
-- function that reads it runs as its owner (SECURITY DEFINER).
CREATE TABLE IF NOT EXISTS contactbot_settings (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL
);
REVOKE ALL ON contactbot_settings FROM PUBLIC;

-- One opt-out of one deleted contact, by email or by phone. dnd maps a
-- channel to its status ("active" or "permanent"); contact_dnd is the
-- contact-wide flag. No contact details: only the hash.
CREATE TABLE IF NOT EXISTS suppressions (
    id          text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('email', 'phone')),
    hash        text NOT NULL,
    dnd         jsonb NOT NULL DEFAULT '{}'::jsonb,
    contact_dnd boolean NOT NULL DEFAULT false,
    -- deleted: a delete of a contact with DND; merged: its duplicate merged
    -- away; erased: a privacy erasure (every channel permanent).
    source      text NOT NULL CHECK (source IN ('deleted', 'merged', 'erased')),
    deletion_id text NOT NULL DEFAULT '',
    contact_id  text NOT NULL DEFAULT '',
    created_by  text NOT NULL,
    deleted_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS suppressions_hash ON suppressions (kind, hash);
CREATE INDEX IF NOT EXISTS suppressions_deletion_id ON suppressions (deletion_id) WHERE deletion_id <> '';
REVOKE ALL ON suppressions FROM PUBLIC;

-- Which contact got which entry's DND back, and the delete date it came
-- from (kept when the entry is removed): the search result's "opted out
-- before" line.
CREATE TABLE IF NOT EXISTS suppression_hits (
    contact_id     text NOT NULL,
    suppression_id text NOT NULL,
    deleted_at     timestamptz NOT NULL,
    applied_at     timestamptz NOT NULL,
    PRIMARY KEY (contact_id, suppression_id)
);

-- Re-apply audit lines written by the trigger, waiting for the bot to post
-- them to the audit channel (the trigger runs in other tools' sessions, which
-- cannot render Slack messages): Store.FeedReapplied takes them.
CREATE TABLE IF NOT EXISTS suppression_feed (
    audit_id bigint PRIMARY KEY
);

-- Contacts a restore or a merge is putting back within its transaction:
-- their archived DND rows come back as they were, so the triggers leave
-- them alone. Rows live only inside that transaction.
CREATE TABLE IF NOT EXISTS suppression_skip (
    contact_id text PRIMARY KEY
);

-- The normalised email the hash is of: outer spaces cut, ASCII letters in
-- lower case (crm.EmailKey is the same in Go; lower() would depend on the
-- database's locale).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_email_key(email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT translate(btrim(email), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') $$;
-- +goose StatementEnd

-- Every ending of a phone's digits from 7 to 15 digits long. An entry holds
-- the hash of a national number, which ends the digits however the number
-- is written ("+49 30 901820", "030 901820"): one of these is it (the same
-- rule as search's phone match; crm.phoneSuffixes in Go).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_phone_suffixes(phone text) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT right(d, n) FROM (SELECT regexp_replace(phone, '[^0-9]', '', 'g') AS d) p, generate_series(7, least(length(d), 15)) n $$;
-- +goose StatementEnd

-- A DND channel as people read it (crm.ChannelLabel), for audit details.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_channel_label(channel text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE channel WHEN 'sms' THEN 'SMS' WHEN 'email' THEN 'Email' WHEN 'call' THEN 'Calls' WHEN 'whatsapp' THEN 'WhatsApp' WHEN 'gmb' THEN 'Google Business' WHEN 'fb' THEN 'Facebook' ELSE channel END $$;
-- +goose StatementEnd

-- The order of strictness of DND statuses: permanent is never lowered.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_dnd_rank(status text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE status WHEN 'permanent' THEN 2 WHEN 'active' THEN 1 ELSE 0 END $$;
-- +goose StatementEnd

-- Re-applies the DND of matching entries to a new (or re-addressed)
-- contact: missing channels are inserted, weaker ones raised, the contact
-- flag set; the hit and an audit line are recorded. It runs as its owner so
-- that an importer's role needs no right on the key or the list.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_reapply_suppression() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    k       bytea;
    email_h text;
    phone_h text[];
    hit_ids text[];
    newest  record;
    flag    boolean;
    aid     bigint;
BEGIN
    -- Cheap exits first: an import into a database with an empty list
    -- costs one index probe per row.
    IF NOT EXISTS (SELECT 1 FROM suppressions LIMIT 1) THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM suppression_skip WHERE contact_id = NEW.id) THEN
        RETURN NULL;
    END IF;
    SELECT decode(value, 'hex') INTO k FROM contactbot_settings WHERE name = 'suppression_key';
    IF k IS NULL THEN
        RETURN NULL;
    END IF;
    -- The hashes first, then one index probe per kind: an OR across both
    -- kinds (or a join to the set of hashes) makes the planner scan the list.
    email_h := encode(hmac(convert_to(contactbot_email_key(NEW.email), 'UTF8'), k, 'sha256'), 'hex');
    SELECT array_agg(encode(hmac(convert_to(x, 'UTF8'), k, 'sha256'), 'hex')) INTO phone_h FROM contactbot_phone_suffixes(NEW.phone) x;
    SELECT array_agg(m.id ORDER BY m.deleted_at, m.id) INTO hit_ids FROM (
        SELECT s.id, s.deleted_at FROM suppressions s WHERE s.kind = 'email' AND s.hash = email_h
        UNION ALL
        SELECT s.id, s.deleted_at FROM suppressions s WHERE s.kind = 'phone' AND s.hash = ANY (phone_h)) m
     WHERE NOT EXISTS (SELECT 1 FROM suppression_hits h WHERE h.contact_id = NEW.id AND h.suppression_id = m.id);
    IF hit_ids IS NULL THEN
        RETURN NULL;
    END IF;

    INSERT INTO dnd_settings (contact_id, channel, status)
        SELECT NEW.id, j.key,
               CASE max(contactbot_dnd_rank(j.value)) WHEN 2 THEN 'permanent' WHEN 1 THEN 'active' ELSE 'inactive' END
          FROM suppressions s, jsonb_each_text(s.dnd) j
         WHERE s.id = ANY (hit_ids)
         GROUP BY j.key
    ON CONFLICT (contact_id, channel) DO UPDATE SET status = EXCLUDED.status
         WHERE contactbot_dnd_rank(EXCLUDED.status) > contactbot_dnd_rank(dnd_settings.status);
    SELECT bool_or(contact_dnd) INTO flag FROM suppressions WHERE id = ANY (hit_ids);
    IF flag THEN
        UPDATE contacts SET dnd = true WHERE id = NEW.id AND NOT dnd;
    END IF;

    SELECT s.deletion_id, s.deleted_at INTO newest FROM suppressions s
     WHERE s.id = ANY (hit_ids) ORDER BY s.deleted_at DESC, s.id LIMIT 1;
    INSERT INTO suppression_hits (contact_id, suppression_id, deleted_at, applied_at)
        SELECT NEW.id, s.id, s.deleted_at, now() FROM suppressions s WHERE s.id = ANY (hit_ids);
    INSERT INTO audit_log (at, actor, action, contact_id, deletion_id, outcome, detail)
    VALUES (now(), 'system', 'dnd_reapplied', NEW.id, newest.deletion_id, 'ok',
            'opted out before (deleted ' || to_char(newest.deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '): DND re-applied: '
            || coalesce((SELECT string_agg(contactbot_channel_label(channel) || CASE status WHEN 'permanent' THEN ' on (permanent)' ELSE ' on' END, ', '
                                           ORDER BY array_position(ARRAY['sms', 'email', 'call', 'whatsapp', 'gmb', 'fb'], channel))
                           FROM dnd_settings WHERE contact_id = NEW.id AND status IN ('active', 'permanent')), 'no channel')
            || CASE WHEN flag THEN '; contact DND on for all channels' ELSE '' END
            || '; suppression ' || array_to_string(hit_ids, ', '))
    RETURNING id INTO aid;
    INSERT INTO suppression_feed (audit_id) VALUES (aid);
    RETURN NULL;
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION contactbot_reapply_suppression() FROM PUBLIC;

-- On INSERT, and on an UPDATE that changes the email or phone: a contact
-- edited to an opted-out address is the same risk as one created with it.
DROP TRIGGER IF EXISTS contacts_reapply_suppression_insert ON contacts;
CREATE TRIGGER contacts_reapply_suppression_insert AFTER INSERT ON contacts
    FOR EACH ROW WHEN (NEW.email IS NOT NULL OR NEW.phone IS NOT NULL)
    EXECUTE FUNCTION contactbot_reapply_suppression();
DROP TRIGGER IF EXISTS contacts_reapply_suppression_update ON contacts;
CREATE TRIGGER contacts_reapply_suppression_update AFTER UPDATE OF email, phone ON contacts
    FOR EACH ROW WHEN (NEW.email IS DISTINCT FROM OLD.email OR NEW.phone IS DISTINCT FROM OLD.phone)
    EXECUTE FUNCTION contactbot_reapply_suppression();

-- An importer that writes the contact and then its DND rows would collide
-- with the rows re-applied in between: for a contact that got DND back,
-- an INSERT of an existing channel raises it when stricter and is
-- otherwise dropped, never lowering what was re-applied.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_keep_reapplied_dnd() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    cur text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM suppression_hits WHERE contact_id = NEW.contact_id) THEN
        RETURN NEW;
    END IF;
    SELECT status INTO cur FROM dnd_settings WHERE contact_id = NEW.contact_id AND channel = NEW.channel FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    IF contactbot_dnd_rank(NEW.status) > contactbot_dnd_rank(cur) THEN
        UPDATE dnd_settings SET status = NEW.status WHERE contact_id = NEW.contact_id AND channel = NEW.channel;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION contactbot_keep_reapplied_dnd() FROM PUBLIC;
DROP TRIGGER IF EXISTS dnd_settings_keep_reapplied ON dnd_settings;
CREATE TRIGGER dnd_settings_keep_reapplied BEFORE INSERT ON dnd_settings
    FOR EACH ROW EXECUTE FUNCTION contactbot_keep_reapplied_dnd();

-- +goose Down
DROP TRIGGER IF EXISTS dnd_settings_keep_reapplied ON dnd_settings;
DROP FUNCTION IF EXISTS contactbot_keep_reapplied_dnd();
DROP TRIGGER IF EXISTS contacts_reapply_suppression_update ON contacts;
DROP TRIGGER IF EXISTS contacts_reapply_suppression_insert ON contacts;
DROP FUNCTION IF EXISTS contactbot_reapply_suppression();
DROP FUNCTION IF EXISTS contactbot_dnd_rank(text);
DROP FUNCTION IF EXISTS contactbot_channel_label(text);
DROP FUNCTION IF EXISTS contactbot_phone_suffixes(text);
DROP FUNCTION IF EXISTS contactbot_email_key(text);
DROP TABLE IF EXISTS suppression_skip;
DROP TABLE IF EXISTS suppression_feed;
DROP TABLE IF EXISTS suppression_hits;
DROP TABLE IF EXISTS suppressions;
DROP TABLE IF EXISTS contactbot_settings;
