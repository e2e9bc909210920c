-- +goose Up
-- What serve compares its SUPPRESSION_KEY with at start, without reading
-- the key: the HMAC of a fixed text under the stored key (crm's
-- suppressionKeyCheck computes the same in Go). It says whether two keys
-- agree and nothing of the key. A view reads its table with its owner's
-- rights (the role that runs the migrations), so serve's own role may be
-- granted this view and nothing on contactbot_settings.
CREATE OR REPLACE VIEW contactbot_suppression_key_check AS
    SELECT encode(hmac(convert_to('contactbot suppression key check', 'UTF8'), decode(value, 'hex'), 'sha256'), 'hex') AS key_check
      FROM contactbot_settings WHERE name = 'suppression_key';

-- +goose Down
DROP VIEW IF EXISTS contactbot_suppression_key_check;
