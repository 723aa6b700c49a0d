package io.qrrefresher.evolution;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import io.qrrefresher.common.Failures;
import io.qrrefresher.metrics.QrMetrics;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
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

    public void read(Exchange exchange) throws EvolutionUnavailableException, IOException {
        EvolutionCallSite refresh = exchange.getProperty(EvolutionCallSite.PROPERTY, EvolutionCallSite.class);
        Message message = exchange.getMessage();
        int status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        String contentType = message.getHeader(Exchange.CONTENT_TYPE, String.class);
        Long declaredLength = message.getHeader("Content-Length", Long.class);
        InputStream body = message.getBody(InputStream.class);
        message.setBody(null);
        timed(exchange, refresh, String.valueOf(status));

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

    /** The circuit breaker's fallback: the call failed, or the open breaker did not make it. */
    public void unavailable(Exchange exchange) {
        EvolutionCallSite refresh = exchange.getProperty(EvolutionCallSite.PROPERTY, EvolutionCallSite.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (cause == null) {
            refresh.unavailable("Evolution API circuit breaker is open: call not made", true);
        } else {
            refresh.unavailable("Evolution API unavailable: " + Failures.describe(cause), false);
            if (!(cause instanceof EvolutionUnavailableException)) {
                timed(exchange, refresh, "error");
            }
        }
    }

    /** Records the call's latency once, when it got an answer or failed on the wire. */
    private void timed(Exchange exchange, EvolutionCallSite refresh, String result) {
        Long started = exchange.getProperty(EvolutionRequests.STARTED, Long.class);
        if (started != null) {
            exchange.removeProperty(EvolutionRequests.STARTED);
            metrics.evolutionCall(refresh.getCall().pathSegment(), result, System.nanoTime() - started);
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
