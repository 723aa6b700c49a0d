package io.qrrefresher.events;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.qrrefresher.common.RouteContract;
import io.qrrefresher.common.Failures;
import io.qrrefresher.metrics.QrMetrics;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.apache.camel.component.pgevent.PgEventConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the LISTEN connection of the route {@code listen-qr-events}. It learns of a lost connection from
 * {@link ListenerConnections}, and proves the connection alive anyway: the service NOTIFYs itself a heartbeat every
 * interval and must receive it, once. When the connection is lost, heartbeats stop, or one arrives twice, the watchdog
 * closes every listener connection and listens again on a fresh one, at every interval until that works. After any
 * gap it asks for a resync, because notifications sent during the gap are lost.
 */
public final class ListenerWatchdog {

    public static final String ROUTE_ID = RouteContract.QR_EVENTS_LISTENER_ROUTE;
    private static final Logger LOG = LoggerFactory.getLogger(ListenerWatchdog.class);
    private static final int MISSED_BEATS = 3;

    private final CamelContext camelContext;
    private final ListenerConnections connections;
    private final Duration interval;
    private final Clock clock;
    private final String sender = UUID.randomUUID().toString();
    private final AtomicLong sequence = new AtomicLong();
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    private final AtomicInteger rebuilds = new AtomicInteger();
    private volatile Instant startedAt;
    private volatile Instant lastReceived;
    private volatile Instant quietUntil;
    private volatile boolean duplicated;
    private volatile boolean lost;
    private volatile ProducerTemplate producer;

    private final QrMetrics metrics;

    public ListenerWatchdog(CamelContext camelContext, ListenerConnections connections, Duration interval,
                            QrMetrics metrics, Clock clock) {
        this.camelContext = camelContext;
        this.metrics = metrics;
        this.connections = connections;
        this.interval = interval;
        this.clock = clock;
        connections.onLost(() -> lost = true);
    }

    /** The payload of the next heartbeat NOTIFY. */
    public String nextHeartbeat() {
        return "{\"event\":\"heartbeat\",\"id\":\"" + sender + ":" + sequence.incrementAndGet() + "\"}";
    }

    /** A heartbeat came back through LISTEN; those of other replicas are not ours to count. */
    void heartbeat(String id) {
        if (id == null || !id.startsWith(sender + ":")) {
            return;
        }
        Instant now = clock.instant();
        if (received.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet() > 1) {
            duplicated = true;
        }
        Instant previous = lastReceived;
        lastReceived = now;
        if (previous != null && Duration.between(previous, now).compareTo(interval.multipliedBy(2)) > 0) {
            LOG.info("Notifications flow again after {} s without heartbeat: resynchronising",
                    Duration.between(previous, now).toSeconds());
            resync();
        }
        received.keySet().removeIf(key -> sequenceOf(key) < sequence.get() - 100);
    }

    /** Called every interval, before the next heartbeat is sent. */
    public void check() {
        Instant now = clock.instant();
        if (startedAt == null) {
            // the first heartbeat goes out now: give it time to come back
            startedAt = now;
            quietUntil = now.plus(interval.multipliedBy(MISSED_BEATS));
            return;
        }
        if (lost) {
            rebuild("the connection to PostgreSQL was lost");
        } else if (duplicated) {
            rebuild("a heartbeat arrived twice: more than one connection listens");
        } else if (now.isAfter(quietUntil) && !isListening()) {
            rebuild("no heartbeat came back for " + Duration.between(lastReceivedOrStart(), now).toSeconds() + " s");
        }
    }

    /** Heartbeats come back (or the service has just started and the first one is on its way). */
    public boolean isListening() {
        Instant now = clock.instant();
        if (lost) {
            return false;
        }
        if (startedAt == null) {
            return true;
        }
        return now.isBefore(quietUntil)
                || Duration.between(lastReceivedOrStart(), now).compareTo(interval.multipliedBy(MISSED_BEATS)) < 0;
    }

    public Instant lastHeartbeat() {
        return lastReceived;
    }

    private static final String REBUILD = "rebuild";
    // since when rebuilding fails (null while it does not); a failing rebuild is told at WARN once a minute
    private Instant failingSince;
    private final io.qrrefresher.common.OncePer failingTold = new io.qrrefresher.common.OncePer(Duration.ofMinutes(1));

    public int rebuilds() {
        return rebuilds.get();
    }

    private synchronized void rebuild(String reason) {
        Route route = camelContext.getRoute(ROUTE_ID);
        if (route == null || !(route.getConsumer() instanceof PgEventConsumer consumer)) {
            return;
        }
        // one WARN when rebuilding starts and one a minute while it fails (a database outage retries every few
        // seconds), one INFO when it succeeds after failing
        Instant now = clock.instant();
        boolean tell = failingTold.due(REBUILD, now);
        if (tell) {
            LOG.warn("Rebuilding the LISTEN connection: {}", reason);
        } else {
            LOG.debug("Rebuilding the LISTEN connection: {}", reason);
        }
        try {
            consumer.getPgEventListener().closeConnection();
            connections.closeAll();
            consumer.getPgEventListener().initConnection();
        } catch (Exception e) {
            if (failingSince == null) {
                failingSince = now;
            }
            if (tell) {
                LOG.warn("LISTEN connection not rebuilt yet, retrying every {} s (told again in a minute if it still"
                        + " fails): {}", interval.toSeconds(), Failures.describe(e));
            } else {
                LOG.debug("LISTEN connection not rebuilt yet: {}", Failures.describe(e));
            }
            return;
        } finally {
            duplicated = false;
            received.clear();
        }
        if (failingSince != null) {
            LOG.info("LISTEN connection rebuilt, after {} s of failed attempts", Duration.between(failingSince, now)
                    .toSeconds());
            failingSince = null;
        }
        failingTold.reset(REBUILD);
        lost = false;
        rebuilds.incrementAndGet();
        metrics.listenerRebuild();
        quietUntil = clock.instant().plus(interval.multipliedBy(MISSED_BEATS));
        resync();
    }

    private void resync() {
        try {
            if (producer == null) {
                producer = camelContext.createProducerTemplate();
            }
            producer.asyncSendBody(RouteContract.RESYNC_AFTER_LISTENER_GAP, null);
        } catch (RuntimeException e) {
            LOG.warn("Could not ask for a resync: {}", e.getMessage());
        }
    }

    private Instant lastReceivedOrStart() {
        Instant last = lastReceived;
        return last != null ? last : startedAt;
    }

    private static long sequenceOf(String id) {
        return Long.parseLong(id.substring(id.lastIndexOf(':') + 1));
    }
}
