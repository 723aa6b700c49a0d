package io.qrrefresher.support;

import java.util.List;

/**
 * The application's side of a database as text, object by object (what a {@code pg_dump --schema=public} shows, read
 * from the catalog: the pg_dump here is older than the server), to compare a database before and after the service.
 */
public final class Catalog {

    /** The application's side of a database: every object outside the system schemas, as text. */
    private static final String CATALOG = """
            SELECT 'schema ' || nspname FROM pg_namespace
             WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
            UNION ALL SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                   || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
            UNION ALL SELECT 'relation ' || relname || ' ' || relkind::text || ' rls=' || relrowsecurity FROM pg_class
             WHERE relnamespace = 'public'::regnamespace
            UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
            UNION ALL SELECT 'trigger ' || tgname || ' on ' || tgrelid::regclass FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
            UNION ALL SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = 'public'
            UNION ALL SELECT 'policy ' || policyname || ' on ' || tablename FROM pg_policies
            UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
             WHERE connamespace = 'public'::regnamespace
            ORDER BY 1""";

    private Catalog() {
    }

    /** Every object outside the system schemas, one line each, sorted. */
    public static List<String> of(Db db) {
        return db.query(CATALOG).stream().map(row -> String.valueOf(row.values().iterator().next())).toList();
    }
}
