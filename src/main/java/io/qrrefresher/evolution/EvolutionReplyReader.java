package io.qrrefresher.evolution;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import io.qrrefresher.common.Failures;
import io.qrrefresher.metrics.QrMetrics;
import org.apache.hc.core5.http.io.EofSensorInputStream;

/**
 * Reads Evolution API's answer into an {@link EvolutionReply}. The body is read as a stream and never beyond a size
 * limit, so a runaway reply costs at most that much memory. Answers that show Evolution API itself is unwell (5xx, 429)
 * are thrown as {@link EvolutionUnavailableException}, which the circuit breaker counts.
 */
public final class EvolutionReplyReader {

    private final int maxReplyBytes;
    private final QrMetrics metrics;

    public EvolutionReplyReader(int maxReplyBytes, QrMetrics metrics) {
        this.maxReplyBytes = maxReplyBytes;
        this.metrics = metrics;
    }

    /**
     * Reads the answer of a call into {@code refresh} ({@link EvolutionCallSite#replied}); 5xx and 429 are thrown, for
     * the breaker to count. {@code declaredLength} is the answer's Content-Length, when it has one.
     */
    public void read(EvolutionCallSite refresh, EvolutionRequests.CallClock clock, int status, String contentType,
                     Long declaredLength, InputStream body) throws EvolutionUnavailableException, IOException {
        timed(clock, refresh, String.valueOf(status));
        byte[] bytes;
        if (declaredLength != null && declaredLength > maxReplyBytes) {
            discard(body);
            bytes = null;
        } else {
            bytes = readAtMost(body, maxReplyBytes);
        }
        if (status >= 500 || status == 429) {
            EvolutionReply reply = EvolutionReply.parse(status, contentType, bytes == null ? new byte[0] : bytes);
            throw new EvolutionUnavailableException(reply.problem());
        }
        if (bytes == null) {
            refresh.replied(EvolutionReply.failure(status, "Evolution API answered HTTP " + status
                    + " with a body larger than " + maxReplyBytes + " bytes; ignored"));
            return;
        }
        refresh.replied(EvolutionReply.parse(status, contentType, bytes));
    }

    /**
     * The circuit breaker's fallback: the call failed ({@code cause}), or the open breaker did not make it (no cause).
     */
    public void unavailable(EvolutionCallSite refresh, EvolutionRequests.CallClock clock, Throwable cause) {
        if (cause == null) {
            refresh.unavailable("Evolution API circuit breaker is open: call not made", true);
        } else {
            refresh.unavailable("Evolution API unavailable: " + Failures.describe(cause), false);
            if (!(cause instanceof EvolutionUnavailableException)) {
                timed(clock, refresh, "error");
            }
        }
    }

    /** Records the call's latency once, when it got an answer or failed on the wire. */
    private void timed(EvolutionRequests.CallClock clock, EvolutionCallSite refresh, String result) {
        Long elapsed = clock == null ? null : clock.elapsedOnce();
        if (elapsed != null) {
            metrics.evolutionCall(refresh.getCall().pathSegment(), result, elapsed);
        }
    }

    /** Returns the bytes, or null when the body is longer than {@code limit} (the rest is then left unread). */
    private static byte[] readAtMost(InputStream body, int limit) throws IOException {
        if (body == null) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int total = 0;
        int read;
        while ((read = body.read(buffer)) != -1) {
            total += read;
            if (total > limit) {
                discard(body);
                return null;
            }
            out.write(buffer, 0, read);
        }
        body.close();
        return out.toByteArray();
    }

    /** Drops the connection instead of draining a body we will not read. */
    private static void discard(InputStream body) throws IOException {
        if (body instanceof EofSensorInputStream sensor) {
            sensor.abort();
        } else if (body != null) {
            body.close();
        }
    }
}
