-- qr-refresher, schema version 6: the public edge.
SET LOCAL client_min_messages = warning;

-- Webhook QRs are now ordered on the service's own clock (arrival time less the delivery delay), no longer on
-- Evolution's date_time: a forged or shifted date_time can no longer block later QR codes. Values of the old clock
-- are dropped; the next QR stored sets the column again.
COMMENT ON COLUMN instance_state.last_qr_event_at IS
    'When Evolution sent the last QR stored, on the service''s clock: orders late and retried webhook deliveries';
UPDATE instance_state SET last_qr_event_at = NULL WHERE last_qr_event_at IS NOT NULL;

-- Live-stream clients must lose access at once when a row's token or owner changes or the row is deleted: those
-- changes are announced too ('access_changed'). SECURITY DEFINER with a pinned search_path, so that any role that may
-- write the application's table can, without rights on this schema.
CREATE OR REPLACE FUNCTION announce_qr_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('qr_code_updated', qr_refresher.qr_event('access_changed', OLD));
    ELSIF NEW.instance_status IS DISTINCT FROM OLD.instance_status THEN
        PERFORM pg_notify('qr_code_updated', qr_refresher.qr_event('status_changed', NEW));
    ELSIF NEW.qr_code IS DISTINCT FROM OLD.qr_code THEN
        PERFORM pg_notify('qr_code_updated', qr_refresher.qr_event('qr_updated', NEW));
    ELSIF NEW.instance_token IS DISTINCT FROM OLD.instance_token OR NEW.user_id IS DISTINCT FROM OLD.user_id THEN
        PERFORM pg_notify('qr_code_updated', qr_refresher.qr_event('access_changed', NEW));
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER qr_refresher_announce_change ON public.evolution_instances;
CREATE TRIGGER qr_refresher_announce_change
    AFTER UPDATE OF qr_code, instance_status, instance_token, user_id OR DELETE ON public.evolution_instances
    FOR EACH ROW EXECUTE FUNCTION announce_qr_change();
