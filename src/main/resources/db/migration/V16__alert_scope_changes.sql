-- qr-refresher, schema version 16: what a firing alert said about where its fault lies (its scope, such as
-- 'instance' or 'server'), so that a diagnosis that changes while the incident stays open (one instance without QR
-- codes, then every instance of the server) is posted again with its new scope and hint instead of staying as it was
-- first posted.
ALTER TABLE alert_incidents ADD COLUMN IF NOT EXISTS variant text;
COMMENT ON COLUMN alert_incidents.variant IS
    'The scope the firing alert was last posted with; a firing signal with another one is posted again';
