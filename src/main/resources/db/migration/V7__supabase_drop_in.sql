-- qr-refresher, schema version 7: a drop-in for a Supabase project.
SET LOCAL client_min_messages = warning;

-- Version 1 created idx_evolution_instances_status unless an index of that very name existed. An application's own
-- index on instance_status (any name, not partial, instance_status first) serves the same lookups: ours is then a
-- duplicate that only slows the application's writes, and is dropped.
DO
$$
DECLARE
    status_column smallint;
BEGIN
    SELECT attnum INTO status_column FROM pg_attribute
    WHERE attrelid = 'public.evolution_instances'::regclass AND attname = 'instance_status' AND NOT attisdropped;
    IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = 'public.evolution_instances'::regclass
                 AND c.relname <> 'idx_evolution_instances_status'
                 AND i.indkey[0] = status_column AND i.indpred IS NULL AND i.indexprs IS NULL) THEN
        DROP INDEX IF EXISTS public.idx_evolution_instances_status;
    END IF;
END
$$;
