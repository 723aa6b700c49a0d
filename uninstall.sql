-- qr-refresher: uninstall. Removes what qr-refresher added to this database and nothing else:
--   * the schema qr_refresher (its tables, views, functions, the migration and scheduler history), and with it its
--     triggers on public.evolution_instances (qr_refresher_*);
--   * its index public.qr_refresher_instance_status_idx (created only when no index of yours led with instance_status);
--   * the columns it added to public.evolution_instances, as recorded on its first migration (qr_refresher.install_record).
-- Your table, your rows, your columns, indexes, triggers, policies and grants stay. If qr-refresher created
-- public.evolution_instances itself (an empty database), the table holds your instances and is kept.
-- Nothing is removed when an object of yours uses one of ours (a view over qr_refresher.instance_waits, say): the
-- error names them. Everything happens in one transaction: it removes all of the above or nothing.
--
-- Stop every replica of the service first (a running one would migrate again), then:
--   psql "$DATABASE_URL" -f uninstall.sql
DO $uninstall$
DECLARE
    ours oid := to_regnamespace('qr_refresher');
    dependents text;
    complete boolean;
    created_table boolean;
    added text[];
    kept text[];
    column_name text;
    verbosity text := current_setting('client_min_messages');
BEGIN
    IF ours IS NULL THEN
        RAISE NOTICE 'qr-refresher: nothing to remove (this database has no schema qr_refresher)';
        RETURN;
    END IF;

    -- objects outside our schema that use ours (a trigger of ours on your table is ours: its name says so)
    SELECT string_agg(DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid), '; ')
    INTO dependents
    FROM pg_depend d
    WHERE d.deptype = 'n'
      AND ((d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM pg_class WHERE relnamespace = ours))
        OR (d.refclassid = 'pg_proc'::regclass AND d.refobjid IN (SELECT oid FROM pg_proc WHERE pronamespace = ours))
        OR (d.refclassid = 'pg_type'::regclass AND d.refobjid IN (SELECT oid FROM pg_type WHERE typnamespace = ours)))
      AND NOT COALESCE(CASE
            WHEN d.classid = 'pg_class'::regclass THEN
                (SELECT relnamespace = ours FROM pg_class WHERE oid = d.objid)
            WHEN d.classid = 'pg_rewrite'::regclass THEN
                (SELECT c.relnamespace = ours FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid)
            WHEN d.classid = 'pg_proc'::regclass THEN
                (SELECT pronamespace = ours FROM pg_proc WHERE oid = d.objid)
            WHEN d.classid = 'pg_type'::regclass THEN
                (SELECT typnamespace = ours FROM pg_type WHERE oid = d.objid)
            WHEN d.classid = 'pg_constraint'::regclass THEN
                (SELECT connamespace = ours FROM pg_constraint WHERE oid = d.objid)
            WHEN d.classid = 'pg_trigger'::regclass THEN
                (SELECT tgname LIKE 'qr\_refresher\_%' FROM pg_trigger WHERE oid = d.objid)
            WHEN d.classid = 'pg_attrdef'::regclass THEN
                (SELECT c.relnamespace = ours FROM pg_attrdef a JOIN pg_class c ON c.oid = a.adrelid WHERE a.oid = d.objid)
            ELSE false END, false);
    IF dependents IS NOT NULL THEN
        RAISE EXCEPTION 'qr-refresher: nothing was removed: objects of yours use objects of qr-refresher: %', dependents
            USING HINT = 'Drop or change them so that they no longer use the schema qr_refresher, then run uninstall.sql again.';
    END IF;

    IF to_regclass('qr_refresher.install_record') IS NOT NULL THEN
        EXECUTE 'SELECT bool_or(item = ''complete''), bool_or(item = ''table''),'
            || ' COALESCE(array_agg(name ORDER BY name) FILTER (WHERE item = ''column''), ''{}'')'
            || ' FROM qr_refresher.install_record'
            INTO complete, created_table, added;
    END IF;

    -- its list of the 30-odd objects of ours it drops says nothing to a reader
    PERFORM set_config('client_min_messages', 'warning', true);
    DROP SCHEMA qr_refresher CASCADE;
    PERFORM set_config('client_min_messages', verbosity, true);
    DROP INDEX IF EXISTS public.qr_refresher_instance_status_idx;

    IF to_regclass('public.evolution_instances') IS NOT NULL THEN
        IF COALESCE(complete, false) THEN
            FOREACH column_name IN ARRAY added LOOP
                EXECUTE format('ALTER TABLE public.evolution_instances DROP COLUMN IF EXISTS %I', column_name);
            END LOOP;
            IF cardinality(added) > 0 THEN
                RAISE NOTICE 'qr-refresher: removed the columns it had added to public.evolution_instances: %',
                    array_to_string(added, ', ');
            END IF;
        ELSE
            SELECT array_agg(attname::text ORDER BY attname) INTO kept FROM pg_attribute
            WHERE attrelid = 'public.evolution_instances'::regclass AND NOT attisdropped
              AND attname IN ('instance_token', 'qr_code', 'last_qr_update', 'updated_at', 'qr_expires_at', 'pairing_code',
                              'evolution_server');
            IF kept IS NOT NULL THEN
                RAISE NOTICE 'qr-refresher: kept these columns of public.evolution_instances: %. This database was first'
                    ' migrated by a version that did not record which columns it added, and they may be yours. Drop'
                    ' those your application does not use (ALTER TABLE public.evolution_instances DROP COLUMN ...).',
                    array_to_string(kept, ', ');
            END IF;
        END IF;
        IF COALESCE(created_table, false) THEN
            RAISE NOTICE 'qr-refresher: public.evolution_instances was created by qr-refresher on this database. It'
                ' holds your instances and is kept; DROP TABLE public.evolution_instances removes it.';
        END IF;
    END IF;
    RAISE NOTICE 'qr-refresher: removed (schema qr_refresher, its triggers and its index)';
END
$uninstall$;
