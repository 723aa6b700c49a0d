package io.qrrefresher.webhook;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.common.Failures;
import io.qrrefresher.common.JsonAnswer;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.config.Settings.EvolutionServer;
import io.qrrefresher.evolution.EvolutionServers;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.metrics.QrMetrics;
import io.qrrefresher.evolution.QrFingerprint;
import io.qrrefresher.webhook.WebhookEvent.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Evolution API webhooks (v2 and v1 envelopes, Evolution API v2, as recorded in src/test/resources/evolution) into {@link WebhookEvent}s and answers them.
 * Anything malformed is a 400 and anything the refresher does not use a 202, with the reason; neither writes.
 * Evolution retries for minutes, so late and duplicated deliveries are normal: a QR that arrives after its lifetime,
 * or older than the one stored, is ignored.
 */
public final class WebhookEvents {


    private static final Logger LOG = LoggerFactory.getLogger(WebhookEvents.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KNOWN_EVENTS = Set.of("qrcode.updated", "connection.update",
            "status.instance", "logout.instance");

    static final int MAX_INSTANCE_NAME_LENGTH = 255;

    private final EvolutionServers servers;
    private final Duration qrLifetime;
    private final QrContent qrContent;
    private final AlertSignals alerts;
    private final Clock clock;
    private final EvolutionClocks evolutionClocks = new EvolutionClocks();
    private volatile long lastDatabaseWarning;

    private final QrMetrics metrics;

    public WebhookEvents(Duration qrLifetime, QrContent qrContent, AlertSignals alerts, QrMetrics metrics,
                         Clock clock, EvolutionServers servers) {
        this.servers = servers;
        this.qrLifetime = qrLifetime;
        this.qrContent = qrContent;
        this.metrics = metrics;
        this.alerts = alerts;
        this.clock = clock;
    }

    /** How many Evolution clocks are remembered (bounded; fed only by authenticated events). */
    public int serversRemembered() {
        return evolutionClocks.size();
    }

    /**
     * A webhook as read (route {@code evolution-webhooks}, property {@code webhookRead}): the event to write, or the
     * answer to give at once when there is nothing to act on ({@code early}: 400 malformed, 422 not a QR, 202 not
     * used, 401 another instance's token).
     */
    public record WebhookRead(WebhookEvent event, EarlyAnswer early) {
        static WebhookRead answered(String eventName, int status, String reason) {
            return new WebhookRead(null, new EarlyAnswer(status, reason, eventName));
        }
    }

    /** An answer given before any write, and the event name it is counted under. */
    public record EarlyAnswer(int status, String reason, String event) {
    }

    /**
     * Reads the webhook's body; {@code authenticated} is the instance a per-instance token was for (null with the
     * global token).
     */
    public WebhookRead read(byte[] bytes, String authenticated) {
        Instant receivedAt = clock.instant();
        String eventName = "unknown";
        JsonNode body;
        try {
            body = bytes == null || bytes.length == 0 ? null : JSON.readTree(bytes);
        } catch (IOException e) {
            return WebhookRead.answered(eventName, 400, "body is not JSON");
        }
        if (body == null || !body.isObject() || !body.path("event").isTextual() || !body.path("instance").isTextual()
                || body.path("instance").asText().isBlank()) {
            return WebhookRead.answered(eventName, 400,
                    "not an Evolution API webhook: expected a JSON object with event and instance");
        }
        String event = body.path("event").asText().toLowerCase(Locale.ROOT).replace('_', '.');
        eventName = KNOWN_EVENTS.contains(event) ? event : "other";
        String instance = body.path("instance").asText();
        String nameProblem = instanceNameProblem(instance);
        if (nameProblem != null) {
            return WebhookRead.answered(eventName, 400, nameProblem);
        }
        if (authenticated != null && !authenticated.equals(instance)) {
            // cannot happen with one top-level "instance" (WebhookInstance read the same one): refused all the same
            return WebhookRead.answered(eventName, 401, "the per-instance webhook token is for another instance");
        }
        JsonNode data = body.path("data");
        OffsetDateTime eventTime = eventTime(body.path("date_time"));
        WebhookEvent parsed;
        switch (event) {
            case "qrcode.updated" -> {
                JsonNode qrcode = data.path("qrcode");
                if (qrcode.path("code").isTextual() && !qrcode.path("code").asText().isBlank()) {
                    String code = qrcode.path("code").asText();
                    QrContent.Verdict image = qrContent.imageFor(code);
                    if (!image.accepted()) {
                        metrics.qrRejected("webhook", image.reason());
                        return WebhookRead.answered(eventName, 422, "not stored: " + image.problem());
                    }
                    // ordered on our clock: when Evolution sent it = arrival less how late it came
                    Duration late = Duration.ZERO;
                    if (eventTime != null) {
                        // each server's clock is learnt from events its global token authenticated; a per-instance
                        // token (which its tenant can read) only ever shapes the baseline of its own instance
                        String clock = authenticated != null ? "instance:" + instance
                                : body.path("server_url").asText("");
                        late = evolutionClocks.lateness(clock,
                                eventTime.toInstant(), receivedAt, qrLifetime);
                        if (late.compareTo(qrLifetime) > 0) {
                            return WebhookRead.answered(eventName, 202, "expired QR: delivered " + late.toSeconds()
                                    + " s after Evolution sent it");
                        }
                    }
                    OffsetDateTime sentAt = receivedAt.minus(late).atOffset(ZoneOffset.UTC);
                    String pairingCode = qrcode.path("pairingCode").isTextual()
                            ? QrContent.phonePairingCode(qrcode.path("pairingCode").asText()) : null;
                    parsed = new WebhookEvent(Kind.QR, event, instance, image.image(), QrFingerprint.of(code), sentAt,
                            pairingCode);
                } else if (data.path("statusCode").asInt() == 500) {
                    parsed = new WebhookEvent(Kind.QR_LIMIT, event, instance, null, null, eventTime);
                } else {
                    return WebhookRead.answered(eventName, 400, "qrcode.updated without data.qrcode.code or data.statusCode");
                }
            }
            case "connection.update" -> {
                String state = data.path("state").asText("");
                switch (state) {
                    case "open" -> parsed = new WebhookEvent(Kind.OPENED, event, instance, null, null, eventTime);
                    // Evolution sends no webhook for a close it reconnects from: a close here is terminal
                    case "close" -> parsed = new WebhookEvent(Kind.CLOSED, event, instance, null, null, eventTime);
                    // the QR limit (statusReason 428), sent with qrcode.updated statusCode 500: whichever comes
                    // first closes the row
                    case "refused" -> parsed = new WebhookEvent(Kind.QR_LIMIT, event, instance, null, null,
                            eventTime);
                    case "connecting" -> {
                        return WebhookRead.answered(eventName, 202, "connection.update connecting needs no write");
                    }
                    default -> {
                        return WebhookRead.answered(eventName, 400, "connection.update with unknown state '" + state + "'");
                    }
                }
            }
            case "status.instance" -> {
                if (!"closed".equals(data.path("status").asText())) {
                    return WebhookRead.answered(eventName, 202, "status.instance " + data.path("status").asText() + " is not used");
                }
                parsed = new WebhookEvent(Kind.CLOSED, event, instance, null, null, eventTime);
            }
            case "logout.instance" -> parsed = new WebhookEvent(Kind.CLOSED, event, instance, null, null, eventTime);
            default -> {
                return WebhookRead.answered(eventName, 202, "event " + event + " is not used by qr-refresher");
            }
        }
        return new WebhookRead(parsed.sentBy(servers.sentBy(body.path("server_url").asText("")).orElse(null)),
                null);
    }

    /**
     * Several servers: an event whose server_url names one of them, for an instance of another, is refused (403);
     * null when it may be taken. The instance's server is the one its row names ({@code row}: {@code named}, its
     * evolution_server), else the ones whose list names it ({@code discovered}); one that no list names yet may be
     * on any of them. No row: null (the event is ignored later).
     */
    public EarlyAnswer fromAnotherServer(WebhookEvent event, java.util.Map<?, ?> row) {
        if (event.getServer() == null || row == null) {
            return null;
        }
        String named = (String) row.get("named");
        String discovered = (String) row.get("discovered");
        EvolutionServers.Location location = servers.locate(named, discovered);
        String holder;
        if (location.byDefault()) {
            // no list names it yet (created since the last one, say): any configured server may hold it
            return null;
        }
        if (location.server() != null) {
            if (location.server().name().equals(event.getServer())) {
                return null;
            }
            holder = location.server().name();
        } else if ("on_several_servers".equals(location.failureReason())) {
            // listed by several: an event of one of them is that one's
            if (java.util.Arrays.asList(discovered.split(",")).contains(event.getServer())) {
                return null;
            }
            holder = discovered;
        } else {
            holder = Failures.printable(named, 40);
        }
        return new EarlyAnswer(403, "an event of the Evolution server '" + event.getServer() + "' for '"
                + event.getInstanceName() + "', which is on the server '" + holder + "'", event.getEvent());
    }

    /** Sends the answer {@link #read} prepared for a webhook with nothing to act on. */
    public JsonAnswer answerEarly(EarlyAnswer answer) {
        if (answer.status() == 401) {
            return JsonAnswer.error(401, "unauthorized", answer.reason());
        }
        if (answer.status() == 403) {
            metrics.webhook(answer.event(), "rejected");
            LOG.warn("Webhook {} refused (403): {}", answer.event(), Failures.printable(answer.reason(), 200));
            return JsonAnswer.error(403, "forbidden", answer.reason());
        }
        boolean refused = answer.status() == 400 || answer.status() == 422;
        metrics.webhook(answer.event(), refused ? "rejected" : "ignored");
        if (refused) {
            // Evolution does not retry 400/422: one line, no stack trace
            LOG.warn("Webhook {} refused ({}): {}", answer.event(), answer.status(),
                    Failures.printable(answer.reason(), 200));
            return JsonAnswer.error(answer.status(), answer.status() == 400 ? "bad_request" : "unprocessable",
                    answer.reason());
        }
        return ignore(answer.status(), answer.reason());
    }

    /** Answers after the write: {@code known} rows with that name, {@code changed} rows written. */
    public JsonAnswer answer(WebhookEvent event, Map<?, ?> result) {
        long known = ((Number) result.get("known")).longValue();
        long changed = ((Number) result.get("changed")).longValue();
        metrics.webhook(event.getEvent(), known == 0 ? "unknown_instance" : changed == 0 ? "ignored" : "stored");
        if (known == 0) {
            LOG.debug("Webhook {}: no such instance in evolution_instances", event);
            return ignore(202, "unknown instance");
        }
        if (changed == 0) {
            return ignore(200, event.getKind() == Kind.QR
                    ? "not stored: instance not connecting, same QR as stored, or older than the stored one"
                    : "not stored: instance not connecting");
        }
        switch (event.getKind()) {
            case OPENED -> LOG.info("Instance '{}' is paired (webhook {}): status set to open, QR cleared",
                    event.getInstanceName(), event.getEvent());
            case CLOSED -> LOG.info("Instance '{}' closed by Evolution (webhook {}): status set to close, QR cleared",
                    event.getInstanceName(), event.getEvent());
            case QR_LIMIT -> alerts.qrLimitReached(event.getInstanceName());
            default -> LOG.debug("Webhook {} stored", event);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "stored");
        body.put("event", event.getEvent());
        return JsonAnswer.ok(body);
    }

    /**
     * The write failed. When the database cannot be reached: 503, so that Evolution delivers the event again later.
     * When PostgreSQL refused the content itself (a data error): 400, never retried.
     */
    public JsonAnswer writeFailed(WebhookEvent event, Throwable failure) {
        String reason = Failures.describe(failure);
        String eventName = event == null ? "unknown" : event.getEvent();
        String sqlState = Failures.sqlState(failure);
        if (Failures.isContentRefused(failure)) {
            metrics.webhook(eventName, "rejected");
            LOG.warn("Webhook {} refused: PostgreSQL rejected its content ({}): {}", event, sqlState, reason);
            return JsonAnswer.error(400, "bad_request", "the event's content cannot be stored (" + sqlState + ")");
        }
        metrics.webhook(eventName, "unavailable");
        long now = System.currentTimeMillis();
        if (now - lastDatabaseWarning > 10_000) {
            lastDatabaseWarning = now;
            LOG.warn("Webhooks answered 503 (Evolution will retry): {}", reason);
        }
        return JsonAnswer.error(503, "database_unavailable", "the event could not be stored; deliver it again later");
    }

    /** Why {@code name} cannot be an instance name, or null. */
    static String instanceNameProblem(String name) {
        if (name.length() > MAX_INSTANCE_NAME_LENGTH) {
            return "instance name longer than " + MAX_INSTANCE_NAME_LENGTH + " characters";
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                return "instance name holds control characters";
            }
        }
        return null;
    }

    private static JsonAnswer ignore(int status, String reason) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "ignored");
        body.put("reason", reason);
        return new JsonAnswer(status, body);
    }

    private static OffsetDateTime eventTime(JsonNode dateTime) {
        if (!dateTime.isTextual()) {
            return null;
        }
        try {
            return Instant.parse(dateTime.asText()).atOffset(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
