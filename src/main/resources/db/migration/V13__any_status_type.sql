-- qr-refresher, schema version 13: instance_status of any type the application chose (text, varchar, or an enum
-- such as CREATE TYPE instance_status AS ENUM ('disconnected', 'connecting', 'open', 'close')).
-- Literals ('open') fit every such column; a value bound as a parameter is text, which an enum column refuses
-- ("column instance_status is of type instance_status but expression is of type character varying"). This function
-- casts a text value to the type of the column it is written to: SET instance_status =
-- qr_refresher.as_type_of(instance_status, :status). It creates nothing in the application's schema.
SET LOCAL client_min_messages = warning;

CREATE FUNCTION as_type_of(column_value anyelement, value text) RETURNS anyelement
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    result ALIAS FOR $0;
BEGIN
    -- pg_typeof names the column's type (schema-qualified outside pg_catalog), never anything a caller wrote
    EXECUTE format('SELECT CAST($1 AS %s)', pg_typeof(column_value)) INTO result USING value;
    RETURN result;
END
$$;

COMMENT ON FUNCTION as_type_of(anyelement, text) IS
    'qr-refresher: casts a text value to the type of the column it is written to (text, varchar or an enum)';
