package io.qrrefresher.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The application's {@code public.evolution_instances} as it is, read from the catalog before any migration: the
 * types of the columns the refresher uses, row-level security, publications and indexes. {@link #describe} is the one
 * line the service logs at start; {@link #unsupported} is the one line it refuses with, before anything is created,
 * when the table has a shape the refresher cannot work with.
 *
 * @param exists       whether the table exists (when not, the first migration creates it)
 * @param columns      column name → its type as {@code format_type} prints it
 * @param enumValues   for a column of an enum type: its values, in order
 * @param uniqueColumns columns that alone carry a unique index (or the primary key)
 * @param rowSecurity  whether row-level security is enabled
 * @param publications the publications it belongs to (supabase_realtime, say)
 * @param indexes      how many indexes it has
 * @param leadingStatusIndex whether one of its indexes leads with {@code instance_status}
 */
public record UsersTable(boolean exists, Map<String, String> columns, Map<String, List<String>> enumValues,
                         Set<String> uniqueColumns, boolean rowSecurity, List<String> publications, int indexes,
                         boolean leadingStatusIndex) {

    /** The id types our tables can key by (their {@code instance_id} takes the same type). */
    static final Set<String> ID_TYPES = Set.of("uuid", "bigint", "integer", "smallint", "text", "character varying");
    static final Set<String> TEXT_TYPES = Set.of("text", "character varying");
    static final Set<String> TIMESTAMP_TYPES = Set.of("timestamp with time zone", "timestamp without time zone");
    /** The statuses the refresher writes or reads. */
    static final List<String> STATUSES = List.of("connecting", "open", "close");
    /** Columns of the application's table the migrations add when absent, and the triggers they create on it. */
    static final List<String> ADDED_COLUMNS = List.of("instance_token", "qr_code", "last_qr_update", "updated_at",
            "qr_expires_at", "pairing_code");
    static final List<String> TRIGGERS = List.of("qr_refresher_note_connect_request", "qr_refresher_announce_change",
            "qr_refresher_forget_deleted", "qr_refresher_forget_truncated");

    private static final String COLUMNS = "SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type,"
            + " CASE WHEN t.typtype = 'e' THEN (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder)"
            + " FROM pg_enum WHERE enumtypid = t.oid) END AS enum_values,"
            + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique"
            + " AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL) AS unique_alone"
            + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
            + " WHERE a.attrelid = to_regclass('public.evolution_instances') AND a.attnum > 0 AND NOT a.attisdropped"
            + " ORDER BY a.attnum";
    private static final String TABLE = "SELECT c.relrowsecurity,"
            + " (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) AS indexes,"
            + " EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
            + " WHERE i.indrelid = c.oid AND a.attname = 'instance_status' AND i.indpred IS NULL) AS leading_status,"
            + " (SELECT string_agg(p.pubname, ',' ORDER BY p.pubname) FROM pg_publication p"
            + " WHERE p.puballtables OR EXISTS (SELECT 1 FROM pg_publication_rel r"
            + " WHERE r.prpubid = p.oid AND r.prrelid = c.oid)) AS publications"
            + " FROM pg_class c WHERE c.oid = to_regclass('public.evolution_instances')";

    /** Reads the table on this session (nothing is written). */
    public static UsersTable read(Connection db) throws SQLException {
        Map<String, String> columns = new LinkedHashMap<>();
        Map<String, List<String>> enums = new LinkedHashMap<>();
        Set<String> unique = new java.util.TreeSet<>();
        try (Statement query = db.createStatement(); ResultSet rows = query.executeQuery(COLUMNS)) {
            while (rows.next()) {
                String name = rows.getString("attname");
                columns.put(name, rows.getString("type"));
                String values = rows.getString("enum_values");
                if (values != null) {
                    enums.put(name, List.of(values.split(",")));
                }
                if (rows.getBoolean("unique_alone")) {
                    unique.add(name);
                }
            }
        }
        try (Statement query = db.createStatement(); ResultSet row = query.executeQuery(TABLE)) {
            if (!row.next()) {
                return new UsersTable(false, Map.of(), Map.of(), Set.of(), false, List.of(), 0, false);
            }
            String publications = row.getString("publications");
            return new UsersTable(true, columns, enums, unique, row.getBoolean("relrowsecurity"),
                    publications == null ? List.of() : List.of(publications.split(",")), row.getInt("indexes"),
                    row.getBoolean("leading_status"));
        }
    }

    /** Why the refresher cannot work with this table, in one line with what to do; empty when it can. */
    public Optional<String> unsupported() {
        if (!exists) {
            return Optional.empty();
        }
        List<String> problems = new ArrayList<>();
        String id = columns.get("id");
        if (id == null) {
            problems.add("it has no column id (the refresher keys what it remembers per instance by it): add one,"
                    + " e.g. ALTER TABLE public.evolution_instances ADD COLUMN id bigint GENERATED BY DEFAULT AS"
                    + " IDENTITY UNIQUE");
        } else if (!ID_TYPES.contains(baseType(id))) {
            problems.add("its id is of type " + id + "; supported: uuid, bigint, integer, smallint, text, varchar");
        } else if (!uniqueColumns.contains("id")) {
            problems.add("its id is not unique (no primary key or unique index on id alone): add one, e.g."
                    + " ALTER TABLE public.evolution_instances ADD UNIQUE (id)");
        }
        if (!columns.containsKey("user_id")) {
            problems.add("it has no column user_id (viewer tokens are bound to the row's owner): add one, NULL in"
                    + " every row is fine: ALTER TABLE public.evolution_instances ADD COLUMN user_id uuid");
        }
        if (!columns.containsKey("instance_name")) {
            problems.add("it has no column instance_name (Evolution's name of the instance)");
        } else if (!TEXT_TYPES.contains(baseType(columns.get("instance_name")))) {
            problems.add("its instance_name is of type " + columns.get("instance_name") + "; supported: text, varchar");
        }
        String status = columns.get("instance_status");
        if (status == null) {
            problems.add("it has no column instance_status");
        } else if (enumValues.containsKey("instance_status")) {
            List<String> missing = STATUSES.stream().filter(value -> !enumValues.get("instance_status")
                    .contains(value)).toList();
            if (!missing.isEmpty()) {
                problems.add("its instance_status is of the enum type " + status + ", which lacks "
                        + String.join(", ", missing.stream().map(value -> "'" + value + "'").toList())
                        + " (Evolution's states the refresher writes): "
                        + String.join("; ", missing.stream().map(value -> "ALTER TYPE " + status + " ADD VALUE '"
                        + value + "'").toList()));
            }
        } else if (!TEXT_TYPES.contains(baseType(status))) {
            problems.add("its instance_status is of type " + status + "; supported: text, varchar, or an enum with"
                    + " the values 'connecting', 'open' and 'close'");
        }
        typed("qr_code", TEXT_TYPES, "text, varchar").ifPresent(problems::add);
        typed("instance_token", TEXT_TYPES, "text, varchar").ifPresent(problems::add);
        typed("last_qr_update", TIMESTAMP_TYPES, "timestamptz, timestamp").ifPresent(problems::add);
        if (problems.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("public.evolution_instances cannot be used as it is: " + String.join("; ", problems)
                + ". Nothing was changed in the database");
    }

    private Optional<String> typed(String column, Set<String> supported, String names) {
        String type = columns.get(column);
        if (type == null || supported.contains(baseType(type))) {
            return Optional.empty();
        }
        return Optional.of("its " + column + " is of type " + type + "; supported: " + names);
    }

    /** "character varying(100)" → "character varying". */
    static String baseType(String type) {
        int paren = type.indexOf('(');
        return paren < 0 ? type : type.substring(0, paren);
    }

    /**
     * One line: what the table is and, on a first migration ({@code firstMigration}), what the migration will add to
     * it; the same list as docs/coming-from-supabase.md, "What the migration adds".
     */
    public String describe(boolean firstMigration) {
        if (!exists) {
            return "public.evolution_instances does not exist: the first migration creates it (id uuid, instance_status"
                    + " text, and the columns the refresher uses), with the schema qr_refresher";
        }
        StringBuilder line = new StringBuilder("public.evolution_instances: id ")
                .append(columns.getOrDefault("id", "(none)"))
                .append(", instance_status ").append(columns.getOrDefault("instance_status", "(none)"));
        if (enumValues.containsKey("instance_status")) {
            line.append(" (enum: ").append(String.join(", ", enumValues.get("instance_status"))).append(')');
        }
        line.append(", qr_code ").append(columns.getOrDefault("qr_code", "(none)"))
                .append(", last_qr_update ").append(columns.getOrDefault("last_qr_update", "(none)"))
                .append(", row-level security ").append(rowSecurity ? "on" : "off")
                .append(publications.isEmpty() ? ", in no publication" : ", in publication "
                        + String.join(", ", publications))
                .append(", ").append(indexes).append(indexes == 1 ? " index" : " indexes");
        if (!uniqueColumns.contains("instance_name")) {
            line.append("; instance_name has no unique index of its own (Evolution's names are unique per server:"
                    + " two rows of one name share their QR)");
        }
        if (firstMigration) {
            List<String> adds = new ArrayList<>();
            List<String> newColumns = ADDED_COLUMNS.stream().filter(column -> !columns.containsKey(column)).toList();
            if (!newColumns.isEmpty()) {
                adds.add("columns " + String.join(", ", newColumns));
            }
            adds.add("triggers " + String.join(", ", TRIGGERS));
            if (!leadingStatusIndex) {
                adds.add("the index qr_refresher_instance_status_idx (none of the table's leads with instance_status)");
            }
            adds.add("the schema qr_refresher for everything else (uninstall.sql removes all of it)");
            line.append("; the first migration adds ").append(String.join("; ", adds));
        }
        return line.toString();
    }
}
