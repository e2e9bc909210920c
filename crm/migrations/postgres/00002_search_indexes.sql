-- +goose Up
-- Search never scans contacts: email by lower(), phone by its reversed digits
-- (a suffix match, so "555 010 2233" finds "+1 (555) 010-2233"), names by a
-- word-prefix full-text index that ignores case and accents.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE (it reads a dictionary), so an index needs an
-- IMMUTABLE wrapper that names the dictionary explicitly.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_name_doc(first_name text, last_name text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_tsvector('simple'::regconfig, contactbot_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_phone_key(phone text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT reverse(regexp_replace(phone, '[^0-9]', '', 'g')) $$;
-- +goose StatementEnd

CREATE INDEX IF NOT EXISTS contacts_email_lower ON contacts (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS contacts_phone_key ON contacts (contactbot_phone_key(phone) text_pattern_ops) WHERE phone IS NOT NULL;
CREATE INDEX IF NOT EXISTS contacts_name_doc ON contacts USING gin (contactbot_name_doc(first_name, last_name));

-- +goose Down
DROP INDEX IF EXISTS contacts_name_doc;
DROP INDEX IF EXISTS contacts_phone_key;
DROP INDEX IF EXISTS contacts_email_lower;
DROP FUNCTION IF EXISTS contactbot_phone_key(text);
DROP FUNCTION IF EXISTS contactbot_name_doc(text, text);
DROP FUNCTION IF EXISTS contactbot_fold(text);
