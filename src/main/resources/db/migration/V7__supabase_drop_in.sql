-- qr-refresher, schema version 7: a drop-in for a Supabase project.
SET LOCAL client_min_messages = warning;

-- Version 7 used to drop idx_evolution_instances_status when another index led with instance_status, taking it for a
-- duplicate of its own; but that name is also the one a Supabase seed gives its own index, so it dropped a user's
-- object. It drops nothing now: the migrations only add (an index of ours that duplicates yours costs a little write
-- time, and uninstall.sql removes it). Where this version already ran, its checksum is realigned at start
-- (Database.KNOWN_EDITS).
SELECT 1;
