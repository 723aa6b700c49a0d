-- qr-refresher, schema version 9: when a row entered 'connecting', so that a row that just did is not stale.
SET LOCAL client_min_messages = warning;

ALTER TABLE instance_state ADD COLUMN IF NOT EXISTS connecting_since timestamptz;
COMMENT ON COLUMN instance_state.connecting_since IS
    'When the row last entered connecting: a QR is overdue QR_STALE_AFTER after the later of this and last_qr_update';

-- rows already waiting: since their last change, the best this migration knows
UPDATE instance_state s SET connecting_since = COALESCE(e.updated_at, now())
FROM public.evolution_instances e
WHERE e.id = s.instance_id AND e.instance_status = 'connecting' AND s.connecting_since IS NULL;

CREATE OR REPLACE FUNCTION note_connect_request() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF NEW.instance_status = 'connecting'
       AND (TG_OP = 'INSERT' OR OLD.instance_status IS DISTINCT FROM 'connecting') THEN
        INSERT INTO qr_refresher.instance_state AS s
            (instance_id, connect_requests, connect_requests_served, connecting_since)
        VALUES (NEW.id, 1, 0, now())
        ON CONFLICT (instance_id) DO UPDATE
            SET connect_requests = s.connect_requests + 1, close_seen_at = NULL, connecting_since = now(),
                updated_at = now();
        PERFORM pg_notify('qr_code_updated', qr_refresher.qr_event('qr_requested', NEW));
    END IF;
    RETURN NULL;
END
$$;
