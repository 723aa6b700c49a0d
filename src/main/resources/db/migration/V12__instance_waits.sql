-- qr-refresher, schema version 12: one definition of how long a row has waited for a QR, shared by the failure check
-- (check-qr-failures.yaml) and GET /instances/{name}/status (admin-api.yaml), so that an alert and the status of the
-- same instance never disagree. A row waits since the later of its last QR and the moment it entered connecting.
SET LOCAL client_min_messages = warning;

CREATE VIEW instance_waits AS
SELECT e.id AS instance_id, e.instance_name, e.instance_status, e.last_qr_update, e.qr_expires_at,
       COALESCE(e.instance_token, '') <> '' AS own_token,
       COALESCE(s.consecutive_failures, 0) AS consecutive_failures, s.last_failure_reason, s.last_error,
       s.last_error_at, s.last_read_at, s.last_webhook_at, s.stale_qr_found_at,
       w.since AS waiting_since,
       COALESCE(s.last_read_at >= w.since, false) AS read_since_waiting
FROM public.evolution_instances e
LEFT JOIN instance_state s ON s.instance_id = e.id
CROSS JOIN LATERAL (SELECT COALESCE(GREATEST(e.last_qr_update, s.connecting_since), e.updated_at,
                                    CAST('-infinity' AS timestamptz)) AS since) w;
