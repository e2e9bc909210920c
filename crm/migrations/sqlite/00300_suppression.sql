-- +goose Up
-- The suppression list, as migrations/postgres/00300. The keyed hashes are
-- computed by Go functions the program registers with the driver
-- (contactbot_email_hash, contactbot_phone_hashes in crm/sqlite.go), so the
-- triggers work for whatever writes contacts through contactbot's binary.
-- An SQLite file has one user: the key's protection is the file's.
CREATE TABLE IF NOT EXISTS contactbot_settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS suppressions (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
    hash        TEXT NOT NULL,
    dnd         TEXT NOT NULL DEFAULT '{}',
    contact_dnd BOOLEAN NOT NULL DEFAULT false,
    source      TEXT NOT NULL CHECK (source IN ('deleted', 'merged', 'erased')),
    deletion_id TEXT NOT NULL DEFAULT '',
    contact_id  TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    deleted_at  TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS suppressions_hash ON suppressions (kind, hash);
CREATE INDEX IF NOT EXISTS suppressions_deletion_id ON suppressions (deletion_id) WHERE deletion_id <> '';

CREATE TABLE IF NOT EXISTS suppression_hits (
    contact_id     TEXT NOT NULL,
    suppression_id TEXT NOT NULL,
    deleted_at     TIMESTAMP NOT NULL,
    applied_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (contact_id, suppression_id)
) WITHOUT ROWID;

-- Re-apply audit lines waiting for the bot to post them (Store.FeedReapplied).
CREATE TABLE IF NOT EXISTS suppression_feed (
    audit_id INTEGER PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS suppression_skip (
    contact_id TEXT PRIMARY KEY
) WITHOUT ROWID;

-- A trigger has no variables: the entries one contact matches are noted
-- here by the trigger's first statement and removed by its last.
CREATE TABLE IF NOT EXISTS suppression_pending (
    contact_id     TEXT NOT NULL,
    suppression_id TEXT NOT NULL,
    PRIMARY KEY (contact_id, suppression_id)
) WITHOUT ROWID;

-- The two triggers (INSERT; UPDATE of email or phone) share one body;
-- SQLite cannot call a procedure, so it is written out twice.
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS contacts_reapply_suppression_insert AFTER INSERT ON contacts
WHEN (new.email IS NOT NULL OR new.phone IS NOT NULL)
 AND EXISTS (SELECT 1 FROM suppressions)
 AND NOT EXISTS (SELECT 1 FROM suppression_skip WHERE contact_id = new.id)
BEGIN
    INSERT OR IGNORE INTO suppression_pending (contact_id, suppression_id)
        SELECT new.id, s.id FROM suppressions s
         WHERE ((s.kind = 'email' AND s.hash = contactbot_email_hash((SELECT value FROM contactbot_settings WHERE name = 'suppression_key'), new.email))
             OR (s.kind = 'phone' AND s.hash IN (SELECT value FROM json_each(contactbot_phone_hashes((SELECT value FROM contactbot_settings WHERE name = 'suppression_key'), new.phone)))))
           AND NOT EXISTS (SELECT 1 FROM suppression_hits h WHERE h.contact_id = new.id AND h.suppression_id = s.id);
    INSERT INTO dnd_settings (contact_id, channel, status)
        SELECT new.id, j.key,
               CASE max(CASE j.value WHEN 'permanent' THEN 2 WHEN 'active' THEN 1 ELSE 0 END) WHEN 2 THEN 'permanent' WHEN 1 THEN 'active' ELSE 'inactive' END
          FROM suppression_pending p JOIN suppressions s ON s.id = p.suppression_id, json_each(s.dnd) j
         WHERE p.contact_id = new.id
         GROUP BY j.key
    ON CONFLICT (contact_id, channel) DO UPDATE SET status = excluded.status
         WHERE (CASE excluded.status WHEN 'permanent' THEN 2 WHEN 'active' THEN 1 ELSE 0 END) > (CASE dnd_settings.status WHEN 'permanent' THEN 2 WHEN 'active' THEN 1 ELSE 0 END);
    UPDATE contacts SET dnd = true WHERE id = new.id AND NOT dnd
       AND EXISTS (SELECT 1 FROM suppression_pending p JOIN suppressions s ON s.id = p.suppression_id WHERE p.contact_id = new.id AND s.contact_dnd);
    INSERT INTO suppression_hits (contact_id, suppression_id, deleted_at, applied_at)
        SELECT new.id, s.id, s.deleted_at, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
          FROM suppression_pending p JOIN suppressions s ON s.id = p.suppression_id WHERE p.contact_id = new.id;
    INSERT INTO audit_log (at, actor, action, contact_id, deletion_id, outcome, detail)
        SELECT strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), 'system', 'dnd_reapplied', new.id, n.deletion_id, 'ok',
               'opted out before (deleted ' || substr(n.deleted_at, 1, 10) || '): DND re-applied: '
               || coalesce((SELECT group_concat(CASE channel WHEN 'sms' THEN 'SMS' WHEN 'email' THEN 'Email' WHEN 'call' THEN 'Calls' WHEN 'whatsapp' THEN 'WhatsApp' WHEN 'gmb' THEN 'Google Business' WHEN 'fb' THEN 'Facebook' ELSE channel END || CASE status WHEN 'permanent' THEN ' on (permanent)' ELSE ' on' END, ', ' ORDER BY CASE channel WHEN 'sms' THEN 1 WHEN 'email' THEN 2 WHEN 'call' THEN 3 WHEN 'whatsapp' THEN 4 WHEN 'gmb' THEN 5 WHEN 'fb' THEN 6 ELSE 7 END)
                              FROM dnd_settings WHERE contact_id = new.id AND status IN ('active', 'permanent')), 'no channel')
               || CASE WHEN EXISTS (SELECT 1 FROM suppression_pending p JOIN suppressions s ON s.id = p.suppression_id WHERE p.contact_id = new.id AND s.contact_dnd) THEN '; contact DND on for all channels' ELSE '' END
               || '; suppression ' || (SELECT group_concat(suppression_id, ', ' ORDER BY suppression_id) FROM suppression_pending WHERE contact_id = new.id)
          FROM (SELECT s.deletion_id, s.deleted_at FROM suppression_pending p JOIN suppressions s ON s.id = p.suppression_id
                 WHERE p.contact_id = new.id ORDER BY s.deleted_at DESC, s.id LIMIT 1) n;
    -- last_insert_rowid() is the audit line's while this trigger runs; the
    -- line was written exactly when entries are pending.
    INSERT INTO suppression_feed (audit_id)
        SELECT last_insert_rowid() WHERE EXISTS (SELECT 1 FROM suppression_pending WHERE contact_id = new.id);
    DELETE FROM suppression_pending WHERE contact_id = new.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS contacts_reapply_suppression_update AFTER UPDATE OF email, phone ON contacts
WHEN (new.email IS NOT old.email OR new.phone IS NOT old.phone)
 AND (new.email IS NOT NULL OR new.phone IS NOT NULL)
 AND EXISTS (SELECT 1 FROM suppressions)
 AND NOT EXISTS (SELECT 1 FROM suppression_skip WHERE contact_id = new.id)
BEGIN
    INSERT OR IGNORE INTO suppression_pending (contact_id, suppression_id)
        SELECT new.id, s.id FROM suppressions s
         WHERE ((s.kind = 'email' AND s.hash = contactbot_email_hash((SELECT value FROM contactbot_settings WHERE name = 'suppression_key'), new.email))
             OR (s.kind = 'phone' AND s.hash IN (SELECT value FROM json_each(contactbot_phone_hashes((SELECT value FROM contactbot_settings WHERE name = 'suppression_key'), new.phone)))))
           AND NOT EXISTS (SELECT 1 FROM suppression_hits h WHERE h.contact_id = new.id AND h.suppression_id = s.id);
    INSERT INTO dnd_settings (contact_id, channel, status)
        SELECT new.id, j.key,
               CASE max(CASE j.value WHEN 'permanent' THEN 2 WHEN 'active' THEN 1 ELSE 0 END) WHEN 2 THEN 'permanent' WHEN 1 THEN 'active' ELSE 'inactive' END
          FROM suppression_pending p JOIN suppressions s ON s.id = p.suppression_id, json_each(s.dnd) j
         WHERE p.contact_id = new.id
         GROUP BY j.key
    ON CONFLICT (contact_id, channel) DO UPDATE SET status = excluded.status
         WHERE (CASE excluded.status WHEN 'permanent' THEN 2 WHEN 'active' THEN 1 ELSE 0 END) > (CASE dnd_settings.status WHEN 'permanent' THEN 2 WHEN 'active' THEN 1 ELSE 0 END);
    UPDATE contacts SET dnd = true WHERE id = new.id AND NOT dnd
       AND EXISTS (SELECT 1 FROM suppression_pending p JOIN suppressions s ON s.id = p.suppression_id WHERE p.contact_id = new.id AND s.contact_dnd);
    INSERT INTO suppression_hits (contact_id, suppression_id, deleted_at, applied_at)
        SELECT new.id, s.id, s.deleted_at, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
          FROM suppression_pending p JOIN suppressions s ON s.id = p.suppression_id WHERE p.contact_id = new.id;
    INSERT INTO audit_log (at, actor, action, contact_id, deletion_id, outcome, detail)
        SELECT strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), 'system', 'dnd_reapplied', new.id, n.deletion_id, 'ok',
               'opted out before (deleted ' || substr(n.deleted_at, 1, 10) || '): DND re-applied: '
               || coalesce((SELECT group_concat(CASE channel WHEN 'sms' THEN 'SMS' WHEN 'email' THEN 'Email' WHEN 'call' THEN 'Calls' WHEN 'whatsapp' THEN 'WhatsApp' WHEN 'gmb' THEN 'Google Business' WHEN 'fb' THEN 'Facebook' ELSE channel END || CASE status WHEN 'permanent' THEN ' on (permanent)' ELSE ' on' END, ', ' ORDER BY CASE channel WHEN 'sms' THEN 1 WHEN 'email' THEN 2 WHEN 'call' THEN 3 WHEN 'whatsapp' THEN 4 WHEN 'gmb' THEN 5 WHEN 'fb' THEN 6 ELSE 7 END)
                              FROM dnd_settings WHERE contact_id = new.id AND status IN ('active', 'permanent')), 'no channel')
               || CASE WHEN EXISTS (SELECT 1 FROM suppression_pending p JOIN suppressions s ON s.id = p.suppression_id WHERE p.contact_id = new.id AND s.contact_dnd) THEN '; contact DND on for all channels' ELSE '' END
               || '; suppression ' || (SELECT group_concat(suppression_id, ', ' ORDER BY suppression_id) FROM suppression_pending WHERE contact_id = new.id)
          FROM (SELECT s.deletion_id, s.deleted_at FROM suppression_pending p JOIN suppressions s ON s.id = p.suppression_id
                 WHERE p.contact_id = new.id ORDER BY s.deleted_at DESC, s.id LIMIT 1) n;
    -- last_insert_rowid() is the audit line's while this trigger runs; the
    -- line was written exactly when entries are pending.
    INSERT INTO suppression_feed (audit_id)
        SELECT last_insert_rowid() WHERE EXISTS (SELECT 1 FROM suppression_pending WHERE contact_id = new.id);
    DELETE FROM suppression_pending WHERE contact_id = new.id;
END;
-- +goose StatementEnd

-- As migrations/postgres/00300: an INSERT of a DND channel the re-apply
-- already wrote raises it when stricter and is otherwise dropped.
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS dnd_settings_keep_reapplied BEFORE INSERT ON dnd_settings
WHEN EXISTS (SELECT 1 FROM suppression_hits WHERE contact_id = new.contact_id)
 AND EXISTS (SELECT 1 FROM dnd_settings WHERE contact_id = new.contact_id AND channel = new.channel)
BEGIN
    UPDATE dnd_settings SET status = new.status
     WHERE contact_id = new.contact_id AND channel = new.channel
       AND (CASE new.status WHEN 'permanent' THEN 2 WHEN 'active' THEN 1 ELSE 0 END) > (CASE status WHEN 'permanent' THEN 2 WHEN 'active' THEN 1 ELSE 0 END);
    SELECT RAISE(IGNORE);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER IF EXISTS dnd_settings_keep_reapplied;
DROP TRIGGER IF EXISTS contacts_reapply_suppression_update;
DROP TRIGGER IF EXISTS contacts_reapply_suppression_insert;
DROP TABLE IF EXISTS suppression_pending;
DROP TABLE IF EXISTS suppression_skip;
DROP TABLE IF EXISTS suppression_feed;
DROP TABLE IF EXISTS suppression_hits;
DROP TABLE IF EXISTS suppressions;
DROP TABLE IF EXISTS contactbot_settings;
