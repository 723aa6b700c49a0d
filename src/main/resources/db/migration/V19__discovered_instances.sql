-- qr-refresher, schema version 19: which Evolution server holds each instance whose row names none
-- (evolution_server NULL) when several servers are configured, as each server's own list says
-- (GET /instance/fetchInstances, read by the routes made from the template evolution-server-discovery). Written here,
-- never to the application's column. Only names of evolution_instances are kept.
SET LOCAL client_min_messages = warning;

CREATE TABLE discovered_instances (
    instance_name text NOT NULL,
    server        text NOT NULL,
    seen_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance_name, server)
);
COMMENT ON TABLE discovered_instances IS
    'qr-refresher: the Evolution servers whose GET /instance/fetchInstances listed an instance of evolution_instances';

-- the servers whose list names each candidate (comma-separated; server names have no comma)
CREATE OR REPLACE VIEW refresh_candidates AS
SELECT e.id AS instance_id, e.instance_name, e.instance_token, e.last_qr_update,
       s.qr_count, s.qr_code_hash,
       COALESCE(s.consecutive_failures, 0) AS consecutive_failures,
       s.close_seen_at IS NOT NULL AS close_seen,
       COALESCE(s.connect_requests, 1) AS connect_requests,
       COALESCE(s.connect_requests_served, 0) AS connect_requests_served,
       e.qr_expires_at,
       s.last_webhook_at,
       s.last_read_at,
       e.evolution_server::text AS evolution_server,
       (SELECT string_agg(d.server, ',' ORDER BY d.server) FROM discovered_instances d
        WHERE d.instance_name = e.instance_name) AS discovered_servers
FROM public.evolution_instances e
LEFT JOIN instance_state s ON s.instance_id = e.id
WHERE e.instance_status = 'connecting';

-- the failure check and the status endpoint name each row's server: the one it names, else the ones that list it
CREATE OR REPLACE VIEW instance_waits AS
SELECT e.id AS instance_id, e.instance_name, e.instance_status, e.last_qr_update, e.qr_expires_at,
       COALESCE(e.instance_token, '') <> '' AS own_token,
       COALESCE(s.consecutive_failures, 0) AS consecutive_failures, s.last_failure_reason, s.last_error,
       s.last_error_at, s.last_read_at, s.last_webhook_at, s.stale_qr_found_at,
       w.since AS waiting_since,
       COALESCE(s.last_read_at >= w.since, false) AS read_since_waiting,
       COALESCE(NULLIF(e.evolution_server::text, ''),
                (SELECT string_agg(d.server, ',' ORDER BY d.server) FROM discovered_instances d
                 WHERE d.instance_name = e.instance_name)) AS evolution_server
FROM public.evolution_instances e
LEFT JOIN instance_state s ON s.instance_id = e.id
CROSS JOIN LATERAL (SELECT COALESCE(GREATEST(e.last_qr_update, s.connecting_since), e.updated_at,
                                    CAST('-infinity' AS timestamptz)) AS since) w;
