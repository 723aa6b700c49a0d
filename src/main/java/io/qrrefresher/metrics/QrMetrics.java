package io.qrrefresher.metrics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The service's own Prometheus meters (served at {@code /observe/metrics} with Camel's and the JVM's), named in the
 * usual style: {@code qr_refresher_runs_total{trigger,status}}, {@code qr_refresher_instances_total{outcome}},
 * {@code qr_refresher_instance_failures_total{reason}}, {@code qr_refresher_evolution_call_seconds{call,result}}
 * (histogram), {@code qr_refresher_alerts_total{alert,status,result}}, {@code qr_refresher_webhooks_total{event,result}},
 * and gauges. The circuit breaker's state comes from resilience4j's own binder ({@code resilience4j_circuitbreaker_*}).
 * Counters whose labels are known in advance exist at zero from the start, so that {@code increase()} sees their first
 * event. The latency histogram has a few buckets around what matters (the SLOs and the call timeout), not dozens.
 */
public final class QrMetrics {

    static final List<String> RUN_TRIGGERS = List.of("schedule", "manual");
    static final List<String> RUN_STATUSES = List.of("succeeded", "partially_failed", "failed", "skipped");
    static final List<String> WEBHOOK_EVENTS = List.of("qrcode.updated", "connection.update", "status.instance",
            "logout.instance");
    static final List<String> WEBHOOK_RESULTS = List.of("stored", "ignored", "rejected", "unknown_instance",
            "unavailable");

    private final MeterRegistry registry;
    private final Duration[] latencyBuckets;

    /** @param evolutionTimeout EVOLUTION_TIMEOUT_MS: the last latency bucket below +Inf */
    public QrMetrics(MeterRegistry registry, Duration evolutionTimeout) {
        this.registry = registry;
        this.latencyBuckets = java.util.stream.Stream.concat(
                        java.util.stream.Stream.of(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
                                Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
                                Duration.ofSeconds(5)),
                        java.util.stream.Stream.of(evolutionTimeout))
                .distinct().sorted().toArray(Duration[]::new);
        for (String trigger : RUN_TRIGGERS) {
            for (String status : RUN_STATUSES) {
                runs(trigger, status);
            }
        }
        for (String event : WEBHOOK_EVENTS) {
            for (String result : WEBHOOK_RESULTS) {
                webhooks(event, result);
            }
        }
        listenerRebuilds();
    }

    /** Registers the instance counters of these outcomes, and the failure counters of these reasons, at zero. */
    public void instanceOutcomes(List<String> outcomes, List<String> failureReasons) {
        outcomes.forEach(this::instances);
        failureReasons.forEach(this::failures);
    }

    /** Registers the alert-post counters of these alerts at zero (firing and resolved; delivered, failed, abandoned). */
    public void alertNames(List<String> alerts) {
        for (String alert : alerts) {
            for (String status : List.of("firing", "resolved")) {
                for (String result : List.of("delivered", "failed", "abandoned")) {
                    alerts(alert, status, result);
                }
            }
        }
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void run(String trigger, String status) {
        runs(trigger, status).increment();
    }

    private Counter runs(String trigger, String status) {
        return Counter.builder("qr_refresher.runs").description("Refresh runs by trigger and final status")
                .tag("trigger", trigger).tag("status", status).register(registry);
    }

    private Counter instances(String outcome) {
        return Counter.builder("qr_refresher.instances").description("Instances refreshed, by outcome")
                .tag("outcome", outcome).register(registry);
    }

    public void instance(String outcome, String failureReason) {
        instances(outcome).increment();
        if (failureReason != null) {
            failures(failureReason).increment();
        }
    }

    private Counter failures(String reason) {
        return Counter.builder("qr_refresher.instance.failures").description("Failed instance refreshes, by reason")
                .tag("reason", reason).register(registry);
    }

    /** The latency of one call to the Evolution server {@code server} (a configured name: bounded). */
    public void evolutionCall(String server, String call, String result, long nanos) {
        Timer.builder("qr_refresher.evolution.call").description("Evolution API call latency")
                .tag("call", call).tag("result", result).tag("server", server == null ? "none" : server)
                .serviceLevelObjectives(latencyBuckets)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void alert(String alert, String status, String result) {
        alerts(alert, status, result).increment();
    }

    private Counter alerts(String alert, String status, String result) {
        return Counter.builder("qr_refresher.alerts").description("Alert posts to the webhook, by alert, status and result")
                .tag("alert", alert).tag("status", status).tag("result", result).register(registry);
    }

    public void webhook(String event, String result) {
        webhooks(event, result).increment();
    }

    private Counter webhooks(String event, String result) {
        return Counter.builder("qr_refresher.webhooks").description("Evolution API webhooks received, by event and result")
                .tag("event", event).tag("result", result).register(registry);
    }

    public void streamRefused(String reason) {
        Counter.builder("qr_refresher.stream.refusals").description("Live-stream requests refused, by reason")
                .tag("reason", reason).register(registry).increment();
    }

    public void streamDropped(String reason) {
        Counter.builder("qr_refresher.stream.ended").description("Live streams ended by the service, by reason")
                .tag("reason", reason).register(registry).increment();
    }

    /** A QR from Evolution (poll reply or webhook) that was not stored because it is not a QR image or code. */
    public void qrRejected(String source, String reason) {
        Counter.builder("qr_refresher.qr.rejected").description("QR contents refused (never stored), by source and reason")
                .tag("source", source).tag("reason", reason).register(registry).increment();
    }

    public void listenerRebuild() {
        listenerRebuilds().increment();
    }

    private Counter listenerRebuilds() {
        return Counter.builder("qr_refresher.listener.rebuilds").description("LISTEN connections rebuilt by the watchdog")
                .register(registry);
    }

    /** A gauge whose value is read at scrape time; NaN when it cannot be read. */
    public void gauge(String name, String description, String unit, Supplier<Number> value) {
        gaugeBuilder(name, description, unit, value).register(registry);
    }

    /** One series of a labelled gauge ({@code name{tagKey="tagValue"}}). */
    public void gauge(String name, String description, String unit, String tagKey, String tagValue,
                      Supplier<Number> value) {
        gaugeBuilder(name, description, unit, value).tag(tagKey, tagValue).register(registry);
    }

    private static Gauge.Builder<Supplier<Double>> gaugeBuilder(String name, String description, String unit,
                                                                Supplier<Number> value) {
        return Gauge.builder(name, () -> {
            Number number = value.get();
            return number == null ? Double.NaN : number.doubleValue();
        }).description(description).baseUnit(unit);
    }
}
