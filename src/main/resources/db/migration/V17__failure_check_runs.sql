-- qr-refresher, schema version 17: one row per run of the failure check, with the fire time Quartz scheduled it for
-- and the replica that ran it (its application_name). It is what "one check per tick, whatever the number of
-- replicas" is measured by, and says when the check last ran. Rows older than a day are deleted by the check itself.
SET LOCAL client_min_messages = warning;

CREATE TABLE IF NOT EXISTS failure_check_runs (
    fire_time timestamptz NOT NULL,
    replica   text NOT NULL,
    ran_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS failure_check_runs_fire_time ON failure_check_runs (fire_time);
COMMENT ON TABLE failure_check_runs IS
    'One row per run of the failure check: the fire time it ran for and the replica (application_name) that ran it';
