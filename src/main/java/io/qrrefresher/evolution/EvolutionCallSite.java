package io.qrrefresher.evolution;

/**
 * What the route {@code call-evolution-api} needs from whoever makes the call (the refresh of one instance, or a
 * request for a phone-number pairing code): the key, which call, and where the answer goes. Kept here so that the
 * Evolution client does not depend on its callers.
 */
public interface EvolutionCallSite {

    /** The exchange property that holds the call site of the current Evolution call (route call-evolution-api). */
    String PROPERTY = "evolutionCall";

    /** The key of the {@code apikey} header (route call-evolution-api). */
    String getApiKey();

    EvolutionCall getCall();

    /** The instance the call is about, as stored. */
    String getInstanceName();

    /** The path segment of the call to make, such as connectionState (route {@code call-evolution-api}). */
    default String getCallPath() {
        return getCall().pathSegment();
    }

    /** GET or DELETE (route {@code call-evolution-api}). */
    default String getHttpMethod() {
        return getCall().method();
    }

    /** The instance name as one percent-encoded URL path segment (route {@code call-evolution-api}). */
    default String getInstanceNameInPath() {
        return EvolutionRequests.pathSegment(getInstanceName());
    }

    /** The query string of the call, or null: {@code number=<digits>} only on the connect of a pairing request. */
    default String getHttpQuery() {
        return null;
    }

    /** Evolution answered (whatever it answered). */
    void replied(EvolutionReply reply);

    /** No answer: the call was not made (breaker open) or failed before an answer. */
    void unavailable(String error, boolean shortCircuited);
}
