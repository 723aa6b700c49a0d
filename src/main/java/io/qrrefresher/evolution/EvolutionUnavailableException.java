package io.qrrefresher.evolution;

/**
 * Evolution API could not answer at all: a transport error, a timeout, HTTP 5xx or 429. Only these count as failures
 * for the circuit breaker; a 404 or 401 for one instance says nothing about the API's health. A 503
 * {@code LICENSE_REQUIRED} is one of them, told apart ({@link #licenceRequired()}): the server is not activated.
 */
public class EvolutionUnavailableException extends Exception {

    private final boolean licenceRequired;

    public EvolutionUnavailableException(String message) {
        this(message, false);
    }

    public EvolutionUnavailableException(String message, boolean licenceRequired) {
        super(message);
        this.licenceRequired = licenceRequired;
    }

    /** The server answered 503 LICENSE_REQUIRED (Evolution 2.4's licence gate). */
    public boolean licenceRequired() {
        return licenceRequired;
    }
}
