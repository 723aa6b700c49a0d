package io.qrrefresher.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

/** Plain JDBC for tests: set up rows as the application would, and read back what the service wrote. */
public final class Db {

    private final DataSource dataSource;

    public Db(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Inserts a row as the application does after /instance/create. */
    public UUID insertInstance(String name, String token, String status) {
        return (UUID) queryOne("INSERT INTO evolution_instances (instance_name, instance_token, instance_status)"
                + " VALUES (?, ?, ?) RETURNING id", name, token, status).get("id");
    }

    /** The evolution_instances row of an instance. */
    public Map<String, Object> instance(String name) {
        return queryOne("SELECT * FROM evolution_instances WHERE instance_name = ?", name);
    }

    /** The refresher's state row of an instance, or null. */
    public Map<String, Object> state(String name) {
        List<Map<String, Object>> rows = query("SELECT s.* FROM qr_refresher.instance_state s"
                + " JOIN evolution_instances e ON e.id = s.instance_id WHERE e.instance_name = ?", name);
        return rows.isEmpty() ? null : rows.get(0);
    }

    public int update(String sql, Object... args) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, args);
            return statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public Map<String, Object> queryOne(String sql, Object... args) {
        List<Map<String, Object>> rows = query(sql, args);
        if (rows.size() != 1) {
            throw new IllegalStateException("Expected one row, got " + rows.size() + ": " + sql);
        }
        return rows.get(0);
    }

    public List<Map<String, Object>> query(String sql, Object... args) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, args);
            try (ResultSet rs = statement.executeQuery()) {
                ResultSetMetaData meta = rs.getMetaData();
                List<Map<String, Object>> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        row.put(meta.getColumnLabel(i), rs.getObject(i));
                    }
                    rows.add(row);
                }
                return rows;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void bind(PreparedStatement statement, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            statement.setObject(i + 1, args[i]);
        }
    }
}
