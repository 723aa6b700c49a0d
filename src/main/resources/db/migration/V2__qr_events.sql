-- qr-refresher, schema version 2: push and real time.
-- Additive: one nullable column on the application's table, one on the refresher's, and notifications.

SET LOCAL client_min_messages = warning;

-- When the stored QR stops being scannable (estimate): WhatsApp rotates QR codes every ~45 s.
ALTER TABLE public.evolution_instances ADD COLUMN IF NOT EXISTS qr_expires_at timestamptz;

-- Evolution's own clock (webhook date_time) of the last QR event stored: orders late and retried deliveries.
ALTER TABLE instance_state ADD COLUMN last_qr_event_at timestamptz;

-- Every change of a QR code or a status is announced on the channel qr_code_updated, with a small JSON payload
-- (no token, no image) that any backend can LISTEN to:
--   {"event":"qr_updated"|"status_changed"|"qr_requested"|"heartbeat", "instance_id", "instance_name", "user_id",
--    "instance_status", "last_qr_update", "qr_expires_at"}
CREATE FUNCTION qr_event(event text, instance public.evolution_instances) RETURNS text
    LANGUAGE sql STABLE AS
$$
SELECT json_build_object(
    'event', event,
    'instance_id', instance.id,
    'instance_name', instance.instance_name,
    'user_id', instance.user_id,
    'instance_status', instance.instance_status,
    'last_qr_update', instance.last_qr_update,
    'qr_expires_at', instance.qr_expires_at)::text
$$;

CREATE FUNCTION announce_qr_change() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF NEW.qr_code IS NOT DISTINCT FROM OLD.qr_code AND NEW.instance_status IS NOT DISTINCT FROM OLD.instance_status THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('qr_code_updated', qr_refresher.qr_event(
        CASE WHEN NEW.instance_status IS DISTINCT FROM OLD.instance_status THEN 'status_changed' ELSE 'qr_updated' END,
        NEW));
    RETURN NULL;
END
$$;

CREATE TRIGGER qr_refresher_announce_change
    AFTER UPDATE OF qr_code, instance_status ON public.evolution_instances
    FOR EACH ROW EXECUTE FUNCTION announce_qr_change();

-- A row inserted in, or moved into, connecting is also announced, so that the refresher (and anyone listening)
-- acts at once instead of at the next tick.
CREATE OR REPLACE FUNCTION note_connect_request() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF NEW.instance_status = 'connecting'
       AND (TG_OP = 'INSERT' OR OLD.instance_status IS DISTINCT FROM 'connecting') THEN
        INSERT INTO qr_refresher.instance_state AS s (instance_id, connect_requests, connect_requests_served)
        VALUES (NEW.id, 1, 0)
        ON CONFLICT (instance_id) DO UPDATE
            SET connect_requests = s.connect_requests + 1, close_seen_at = NULL, updated_at = now();
        PERFORM pg_notify('qr_code_updated', qr_refresher.qr_event('qr_requested', NEW));
    END IF;
    RETURN NULL;
END
$$;

-- The instances the refresher works on, with what it remembers about each: one definition for the scheduled run,
-- the immediate refresh of a requested instance and the resync after a LISTEN gap. A row never seen by the refresher
-- counts as one unserved request for a QR.
CREATE VIEW refresh_candidates AS
SELECT e.id AS instance_id, e.instance_name, e.instance_token, e.last_qr_update,
       s.qr_count, s.qr_code_hash,
       COALESCE(s.consecutive_failures, 0) AS consecutive_failures,
       s.close_seen_at IS NOT NULL AS close_seen,
       COALESCE(s.connect_requests, 1) AS connect_requests,
       COALESCE(s.connect_requests_served, 0) AS connect_requests_served
FROM public.evolution_instances e
LEFT JOIN instance_state s ON s.instance_id = e.id
WHERE e.instance_status = 'connecting';
