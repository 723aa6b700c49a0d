package io.qrrefresher.refresh;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import io.qrrefresher.common.RouteContract;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.RuntimeCamelException;

/**
 * The instances of one run, claimed from the database a batch at a time (route {@code claim-refresh-batch}) as the
 * parallel split asks for them. Claiming lazily keeps the pool busy without a barrier between batches and shares a
 * cycle's instances among the replicas in proportion to how fast each one works. The split pulls from one thread at
 * a time, but not always the same one, hence the synchronisation.
 */
final class ClaimedInstances implements Iterator<ConnectingInstance> {

    static final String CLAIM_ROUTE = RouteContract.CLAIM_REFRESH_BATCH;
    static final String CLAIM_SIZE_PROPERTY = "claimSize";

    private final ProducerTemplate producer;
    private final RefreshRun run;
    private final int batchSize;
    private final Deque<ConnectingInstance> batch = new ArrayDeque<>();
    private int allowed = Integer.MAX_VALUE;
    private boolean exhausted;

    ClaimedInstances(ProducerTemplate producer, RefreshRun run, int batchSize) {
        this.producer = producer;
        this.run = run;
        this.batchSize = batchSize;
    }

    @Override
    public synchronized boolean hasNext() {
        if (batch.isEmpty() && !exhausted) {
            claimNextBatch();
        }
        return !batch.isEmpty();
    }

    @Override
    public synchronized ConnectingInstance next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return batch.poll();
    }

    private void claimNextBatch() {
        int size = Math.min(batchSize, Math.min(allowed, run.getLimit()));
        if (size <= 0) {
            exhausted = true;
            return;
        }
        Exchange answer = producer.send(CLAIM_ROUTE, exchange -> {
            exchange.setProperty(RefreshRuns.RUN_PROPERTY, run);
            exchange.setProperty(CLAIM_SIZE_PROPERTY, size);
        });
        if (answer.getException() != null) {
            // the run cannot go on without the database: the split fails and the run is recorded as aborted
            throw RuntimeCamelException.wrapRuntimeCamelException(answer.getException());
        }
        List<?> rows = answer.getMessage().getBody(List.class);
        // fewer rows than asked is not the end: other replicas may have held some rows locked for a moment
        if (rows == null || rows.isEmpty()) {
            exhausted = true;
            return;
        }
        for (Object row : rows) {
            batch.add((ConnectingInstance) row);
        }
        allowed = run.claimed(rows.size());
    }
}
