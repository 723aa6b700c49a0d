-- qr-refresher, schema version 3: runtime control of the refresh, like pg_cron's cron.job.active and
-- cron.alter_job. One row, absent until an operator changes something: then it wins over the configuration, for
-- every replica and across restarts (DELETE /refresh-control goes back to the configuration).
CREATE TABLE refresh_control (
    id             smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    active         boolean NOT NULL,
    cron           text NOT NULL,
    concurrency    integer NOT NULL,
    instance_limit integer NOT NULL,
    version        bigint NOT NULL,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    changed_by     text NOT NULL,
    change         text NOT NULL
);
