-- qr-refresher, schema version 5: claims walk an index instead of sorting every connecting row.
-- A run claims the instances whose lease was stamped with the oldest cycle first (least recently refreshed first):
-- rows claimed in the current cycle move to the end of this index, so each claim reads about a batch of rows,
-- where ordering by QR age sorted every unclaimed connecting row at each claim (114 ms a claim at 50 000 rows).
SET LOCAL client_min_messages = warning;

CREATE INDEX refresh_leases_next_claim ON refresh_leases (cycle, instance_id);
