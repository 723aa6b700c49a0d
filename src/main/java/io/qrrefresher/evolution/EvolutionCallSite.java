package io.qrrefresher.evolution;

/**
 * What the route {@code call-evolution-api} needs from whoever makes the call (the refresh of one instance): the key,
 * which call, and where the answer goes. Kept here so that the Evolution client does not depend on the refresh.
 */
public interface EvolutionCallSite {

    /** The exchange property that holds the call site of the current Evolution call. */
    String PROPERTY = "refresh";

    /** The key of the {@code apikey} header (route call-evolution-api). */
    String getApiKey();

    EvolutionCall getCall();

    /** Evolution answered (whatever it answered). */
    void replied(EvolutionReply reply);

    /** No answer: the call was not made (breaker open) or failed before an answer. */
    void unavailable(String error, boolean shortCircuited);
}
