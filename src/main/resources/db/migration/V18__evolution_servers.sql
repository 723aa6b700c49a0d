-- qr-refresher, schema version 18: several Evolution servers (README, "Several Evolution servers"). The application
-- names the server of each instance in evolution_server (one of EVOLUTION_SERVERS); NULL is the default server (the
-- one named "default", else the first listed). The column is recorded in install_record, so uninstall.sql removes it.
-- A column of that name the application already has is left as it is (type, comment) and read as text.
SET LOCAL client_min_messages = warning;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'public.evolution_instances'::regclass
                   AND attname = 'evolution_server' AND NOT attisdropped) THEN
        ALTER TABLE public.evolution_instances ADD COLUMN evolution_server text;
        COMMENT ON COLUMN public.evolution_instances.evolution_server IS
            'qr-refresher: the Evolution server (a name of EVOLUTION_SERVERS) that holds this instance; NULL: the default one';
    END IF;
END
$$;

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
       e.evolution_server::text AS evolution_server
FROM public.evolution_instances e
LEFT JOIN instance_state s ON s.instance_id = e.id
WHERE e.instance_status = 'connecting';
