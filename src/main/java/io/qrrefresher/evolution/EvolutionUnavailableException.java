package io.qrrefresher.evolution;

/**
 * Evolution API could not answer at all: a transport error, a timeout, HTTP 5xx or 429. Only these count as failures
 * for the circuit breaker; a 404 or 401 for one instance says nothing about the API's health.
 */
public class EvolutionUnavailableException extends Exception {

    public EvolutionUnavailableException(String message) {
        super(message);
    }
}
