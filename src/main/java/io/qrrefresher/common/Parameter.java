package io.qrrefresher.common;

/**
 * A query parameter as a bean read it: its value, or what is wrong with it ({@code problem}, which the route answers
 * with a 400 that says so). Query parameters are data: a bean reads one from the value the route binds, never from
 * the message's headers.
 */
public record Parameter<T>(T value, String problem) {

    public static <T> Parameter<T> of(T value) {
        return new Parameter<>(value, null);
    }

    public static <T> Parameter<T> wrong(String problem) {
        return new Parameter<>(null, problem);
    }
}
