-- qr-refresher, schema version 15: what the refresher added to the application's side of the database, so that
-- uninstall.sql removes exactly that. The service fills it on the first migration of a database (it compares the
-- application's table before and after): 'table' when the migration created public.evolution_instances, 'column'
-- for each column it added. On a database first migrated by an older version nothing was recorded ('complete' is
-- absent): uninstall.sql then keeps every column and names those the refresher may have added.
CREATE TABLE IF NOT EXISTS install_record (
    item        text NOT NULL CHECK (item IN ('complete', 'table', 'column')),
    name        text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item, name)
);
COMMENT ON TABLE install_record IS
    'What qr-refresher added outside its schema (read by uninstall.sql): the application''s table if it created it, the columns it added';
