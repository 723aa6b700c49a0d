-- qr-refresher, schema version 14: nothing of ours stands in the way of the application's own work on its table.
-- The foreign keys from our tables to public.evolution_instances (ours, created by versions 1, 4 and 10) made every
-- TRUNCATE of the application's table fail ("cannot truncate a table referenced in a foreign key constraint"), and tie
-- our tables to the type of its id. They go; what they cleaned up (ON DELETE CASCADE) is done by triggers of ours:
-- after a DELETE, that row's state; after a TRUNCATE, all of it.
SET LOCAL client_min_messages = warning;

ALTER TABLE instance_state DROP CONSTRAINT IF EXISTS instance_state_instance_id_fkey;
ALTER TABLE refresh_leases DROP CONSTRAINT IF EXISTS refresh_leases_instance_id_fkey;
ALTER TABLE qr_limit_closes DROP CONSTRAINT IF EXISTS qr_limit_closes_instance_id_fkey;

-- SECURITY DEFINER with a pinned search_path, like the other triggers: the application's roles need no rights here
CREATE FUNCTION forget_deleted_instances() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM qr_refresher.instance_state;
        DELETE FROM qr_refresher.refresh_leases;
        DELETE FROM qr_refresher.qr_limit_closes;
    ELSE
        DELETE FROM qr_refresher.instance_state WHERE instance_id IN (SELECT id FROM gone);
        DELETE FROM qr_refresher.refresh_leases WHERE instance_id IN (SELECT id FROM gone);
        DELETE FROM qr_refresher.qr_limit_closes WHERE instance_id IN (SELECT id FROM gone);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER qr_refresher_forget_deleted
    AFTER DELETE ON public.evolution_instances REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION forget_deleted_instances();

CREATE TRIGGER qr_refresher_forget_truncated
    AFTER TRUNCATE ON public.evolution_instances
    FOR EACH STATEMENT EXECUTE FUNCTION forget_deleted_instances();
