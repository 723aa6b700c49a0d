-- qr-refresher, schema version 10: what the alerts need to say why a QR is missing (README, "Alerts and what they
-- mean"): why the last refresh failed, when Evolution last answered, when a poll found a stale QR on screen, the QR
-- limit closes of each instance, and per run the QRs read and the causes seen.
SET LOCAL client_min_messages = warning;

ALTER TABLE instance_state ADD COLUMN IF NOT EXISTS last_failure_reason text;
ALTER TABLE instance_state ADD COLUMN IF NOT EXISTS last_read_at timestamptz;
ALTER TABLE instance_state ADD COLUMN IF NOT EXISTS stale_qr_found_at timestamptz;
COMMENT ON COLUMN instance_state.last_failure_reason IS
    'The failure reason of the last failed refresh (not_found, unauthorized, ...), meaningful while consecutive_failures > 0';
COMMENT ON COLUMN instance_state.last_read_at IS
    'When Evolution last answered a refresh of this instance without an error (written once per run, for all of them)';
COMMENT ON COLUMN instance_state.stale_qr_found_at IS
    'When a poll last found Evolution showing another QR while the stored one had already expired';

-- one row each time Evolution's QR limit closed a connecting row (webhook qrcode.updated, statusCode 500)
CREATE TABLE qr_limit_closes (
    instance_id uuid NOT NULL,
    closed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX qr_limit_closes_closed_at ON qr_limit_closes (closed_at);
CREATE INDEX qr_limit_closes_instance ON qr_limit_closes (instance_id, closed_at);
-- keyed by the application's id, of the type it has (uuid, bigint, integer, text...): no foreign key, so that the
-- application's TRUNCATE and its own migrations stay its own (V14's triggers forget the rows of deleted instances)
DO
$$
BEGIN
    EXECUTE format('ALTER TABLE qr_refresher.qr_limit_closes ALTER COLUMN instance_id TYPE %1$s USING instance_id::text::%1$s',
                   (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                    WHERE attrelid = 'public.evolution_instances'::regclass AND attname = 'id' AND NOT attisdropped));
END
$$;

ALTER TABLE refresh_runs ADD COLUMN IF NOT EXISTS qr_read integer NOT NULL DEFAULT 0;
ALTER TABLE refresh_runs ADD COLUMN IF NOT EXISTS stale_qr_found integer NOT NULL DEFAULT 0;
ALTER TABLE refresh_runs ADD COLUMN IF NOT EXISTS causes text;
COMMENT ON COLUMN refresh_runs.qr_read IS 'Instances whose QR the run read (refreshed + unchanged)';
COMMENT ON COLUMN refresh_runs.stale_qr_found IS
    'Of those, how many had an expired QR stored while Evolution showed another one';
COMMENT ON COLUMN refresh_runs.causes IS
    'JSON: per cause seen in the run (instance_missing, instance_key_rejected, ...), a count and up to 20 instances';

-- the stored QR's expiry, so that a refresh can tell that the QR on screen had expired
CREATE OR REPLACE VIEW refresh_candidates AS
SELECT e.id AS instance_id, e.instance_name, e.instance_token, e.last_qr_update,
       s.qr_count, s.qr_code_hash,
       COALESCE(s.consecutive_failures, 0) AS consecutive_failures,
       s.close_seen_at IS NOT NULL AS close_seen,
       COALESCE(s.connect_requests, 1) AS connect_requests,
       COALESCE(s.connect_requests_served, 0) AS connect_requests_served,
       e.qr_expires_at
FROM public.evolution_instances e
LEFT JOIN instance_state s ON s.instance_id = e.id
WHERE e.instance_status = 'connecting';
