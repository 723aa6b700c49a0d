-- qr-refresher, schema version 1.
-- Additive only: it creates the application's table when it is absent (a fresh database), and otherwise only adds
-- what the refresher needs to it. It never drops, rewrites or deletes application data. The refresher's own tables
-- live in the schema qr_refresher (this migration runs with it as the default schema).

-- "column already exists, skipping" notices of ADD COLUMN IF NOT EXISTS are expected, not worth a warning
SET LOCAL client_min_messages = warning;

CREATE TABLE IF NOT EXISTS public.evolution_instances (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NULL,
    instance_name   text NOT NULL UNIQUE,
    instance_token  text,
    instance_status text NOT NULL,
    qr_code         text,
    last_qr_update  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- An existing table (a Supabase project, say) may predate some columns the refresher reads or writes.
ALTER TABLE public.evolution_instances ADD COLUMN IF NOT EXISTS instance_token text;
ALTER TABLE public.evolution_instances ADD COLUMN IF NOT EXISTS qr_code text;
ALTER TABLE public.evolution_instances ADD COLUMN IF NOT EXISTS last_qr_update timestamptz;
ALTER TABLE public.evolution_instances ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

-- An index on instance_status, only when none of the application's leads with it (a Supabase seed often has its own,
-- idx_evolution_instances_status); ours has a name of its own, the only index a migration of ours may ever drop.
DO
$$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                   WHERE i.indrelid = 'public.evolution_instances'::regclass AND a.attname = 'instance_status'
                     AND i.indpred IS NULL) THEN
        CREATE INDEX qr_refresher_instance_status_idx ON public.evolution_instances (instance_status);
    END IF;
END
$$;

-- What the refresher remembers per instance between runs.
CREATE TABLE instance_state (
    instance_id             uuid PRIMARY KEY,
    qr_count                integer,             -- Evolution's count of the last QR stored
    qr_code_hash            text,                -- SHA-256 of the last QR code stored
    last_qr_changed_at      timestamptz,
    close_seen_at           timestamptz,         -- first read that said close, until confirmed or cleared
    connect_requests        integer NOT NULL DEFAULT 0,  -- times the row entered 'connecting' (trigger below)
    connect_requests_served integer NOT NULL DEFAULT 0,  -- of those, how many were served
    consecutive_failures    integer NOT NULL DEFAULT 0,
    last_error              text,
    last_error_at           timestamptz,
    updated_at              timestamptz NOT NULL DEFAULT now()
);
-- keyed by the application's id, of the type it has (uuid, bigint, integer, text...): no foreign key, so that the
-- application's TRUNCATE and its own migrations stay its own (V14's triggers forget the rows of deleted instances)
DO
$$
BEGIN
    EXECUTE format('ALTER TABLE qr_refresher.instance_state ALTER COLUMN instance_id TYPE %1$s USING instance_id::text::%1$s',
                   (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                    WHERE attrelid = 'public.evolution_instances'::regclass AND attname = 'id' AND NOT attisdropped));
END
$$;

-- A row inserted in 'connecting', or moved back into it by the application, is an explicit request for a QR:
-- the one case where the refresher may send connect to an instance Evolution has closed (once per request).
-- SECURITY DEFINER: the application's role (Supabase 'authenticated', say) needs no rights on the refresher's tables.
CREATE FUNCTION note_connect_request() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF NEW.instance_status = 'connecting'
       AND (TG_OP = 'INSERT' OR OLD.instance_status IS DISTINCT FROM 'connecting') THEN
        INSERT INTO qr_refresher.instance_state AS s (instance_id, connect_requests, connect_requests_served)
        VALUES (NEW.id, 1, 0)
        ON CONFLICT (instance_id) DO UPDATE
            SET connect_requests = s.connect_requests + 1, close_seen_at = NULL, updated_at = now();
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER qr_refresher_note_connect_request
    AFTER INSERT OR UPDATE OF instance_status ON public.evolution_instances
    FOR EACH ROW EXECUTE FUNCTION note_connect_request();

-- One row per run, in the spirit of pg_cron's cron.job_run_details.
CREATE TABLE refresh_runs (
    id              bigserial PRIMARY KEY,
    trigger         text NOT NULL,               -- schedule | manual
    started_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz,
    status          text NOT NULL,               -- running | succeeded | partially_failed | failed | interrupted
    total_instances integer NOT NULL DEFAULT 0,
    refreshed       integer NOT NULL DEFAULT 0,
    unchanged       integer NOT NULL DEFAULT 0,
    opened          integer NOT NULL DEFAULT 0,
    closed          integer NOT NULL DEFAULT 0,
    failed          integer NOT NULL DEFAULT 0,
    message         text
);
CREATE INDEX refresh_runs_started_at ON refresh_runs (started_at DESC);

-- One row per alert: whether an incident is open, so that it is posted once, not at every check.
CREATE TABLE alert_incidents (
    alert            text PRIMARY KEY,
    status           text NOT NULL,              -- firing | resolved
    opened_at        timestamptz NOT NULL,
    last_notified_at timestamptz NOT NULL,
    resolved_at      timestamptz,
    detail           text
);

-- Alerts waiting for (or done with) delivery to ALERT_WEBHOOK_URL.
CREATE TABLE alert_outbox (
    id              bigserial PRIMARY KEY,
    alert           text NOT NULL,
    status          text NOT NULL,               -- firing | resolved
    payload         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    abandoned_at    timestamptz,
    last_error      text
);
CREATE INDEX alert_outbox_pending ON alert_outbox (next_attempt_at) WHERE delivered_at IS NULL AND abandoned_at IS NULL;
