-- qr-refresher, schema version 11: poll only what webhooks miss (README, "Coverage: poll only what webhooks miss").
-- When a qrcode.updated last arrived for each instance, so that every replica knows which instances webhooks cover,
-- and per run how many instances were covered (no Evolution call).
SET LOCAL client_min_messages = warning;

ALTER TABLE instance_state ADD COLUMN IF NOT EXISTS last_webhook_at timestamptz;
COMMENT ON COLUMN instance_state.last_webhook_at IS
    'When an authenticated qrcode.updated last arrived for the instance while connecting (stored or not)';

ALTER TABLE refresh_runs ADD COLUMN IF NOT EXISTS covered integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN refresh_runs.covered IS 'Instances the run skipped because webhooks keep their QR current';

CREATE OR REPLACE VIEW refresh_candidates AS
SELECT e.id AS instance_id, e.instance_name, e.instance_token, e.last_qr_update,
       s.qr_count, s.qr_code_hash,
       COALESCE(s.consecutive_failures, 0) AS consecutive_failures,
       s.close_seen_at IS NOT NULL AS close_seen,
       COALESCE(s.connect_requests, 1) AS connect_requests,
       COALESCE(s.connect_requests_served, 0) AS connect_requests_served,
       e.qr_expires_at,
       s.last_webhook_at,
       s.last_read_at
FROM public.evolution_instances e
LEFT JOIN instance_state s ON s.instance_id = e.id
WHERE e.instance_status = 'connecting';
