package io.qrrefresher.stream;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.common.Failures;
import io.qrrefresher.common.RouteContract;
import io.qrrefresher.config.Settings;
import io.qrrefresher.stream.StreamAccess.Credential;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two ways the QR screen asks for a new code, authorised like the live stream (viewer token, user JWT, admin
 * token):
 * <ul>
 * <li>{@code POST /instances/{name}/qr/renew}, "get a new code": a {@code close} row goes back to {@code connecting}
 * (route renew-qr), which the database trigger records as one connect request: the refresh sends exactly one
 * {@code connect}, however many screens ask.</li>
 * <li>{@code POST /instances/{name}/qr/pairing-code} with {@code {"number":"+55 11 98765-4321"}}, "link with phone
 * number instead" (route request-pairing-code): answers the 8-character code WhatsApp shows on that phone.</li>
 * </ul>
 * Both open a WhatsApp socket, so they share one allowance: at most one per instance per QR_RENEW_MIN_INTERVAL on this
 * replica. The token only as {@code Authorization: Bearer} (a POST has no reason to put it in a URL); failed
 * credentials counted per address with the stream's ({@link AuthFailures}); at most QR_STREAM_MAX_PENDING requests
 * waiting for the database or Evolution, past which 503. A phone number is never logged in full.
 */
public final class QrRenewals {

    public static final String PATH = "/instances/:name/qr/renew";
    public static final String PAIRING_PATH = "/instances/:name/qr/pairing-code";
    /** A pairing request's JSON body is a phone number: anything larger is refused unread. */
    static final int MAX_PAIRING_BODY_BYTES = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(QrRenewals.class);
    private static final String WHAT = "New QR request";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ViewerAdmission admission;
    private final int maxPending;
    private final AtomicInteger pending = new AtomicInteger();
    private final Duration minInterval;
    private final Clock clock;
    private final Map<String, Instant> lastRenewal = new ConcurrentHashMap<>();
    private ProducerTemplate producer;
    private WorkerExecutor workers;

    public QrRenewals(Settings.Widget settings, int maxPending, StreamAccess access, AuthFailures authFailures,
                      Clock clock) {
        this.admission = new ViewerAdmission(settings, access, authFailures, clock);
        this.maxPending = maxPending;
        this.minInterval = settings.renewMinInterval();
        this.clock = clock;
    }

    /** Adds the handlers to the HTTP server of platform-http (once it runs). */
    public void install(CamelContext camelContext, int port) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camelContext,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        this.producer = camelContext.createProducerTemplate();
        this.workers = router.vertx().createSharedWorkerExecutor("qr-renew", 2);
        router.post(PATH).handler(routing -> admitted(routing, name -> renew(routing, name)));
        router.options(PATH).handler(routing -> admission.crossOrigin().preflight(routing.request(), routing.response(), "POST"));
        // the caller is known before the body is read (up to its limit; past it, 413): a refused request is answered
        // from its headers alone
        router.post(PAIRING_PATH).handler(routing -> admitted(routing, name -> routing.next()));
        router.post(PAIRING_PATH).handler(BodyHandler.create(false).setBodyLimit(MAX_PAIRING_BODY_BYTES))
                .handler(routing -> pairingCode(routing, routing.pathParam("name")));
        router.options(PAIRING_PATH).handler(routing -> admission.crossOrigin().preflight(routing.request(), routing.response(),
                "POST"));
    }

    /** The checks of every viewer request ({@link ViewerAdmission}), then {@code then}. */
    private void admitted(RoutingContext routing, java.util.function.Consumer<String> then) {
        Optional<Credential> credential = admission.admit(routing, WHAT, ViewerAdmission.TokenFrom.HEADER,
                QrRenewals::answer);
        if (credential.isEmpty()) {
            return;
        }
        routing.put(QrStreams.CREDENTIAL_PROPERTY, credential.get());
        then.accept(routing.pathParam("name"));
    }

    private void renew(RoutingContext routing, String name) {
        send(routing, name, RouteContract.RENEW_QR, Map.of(), "New QR",
                exchange -> answered(routing.response(), name, exchange.getMessage().getBody(String.class),
                        clock.instant()));
    }

    private void pairingCode(RoutingContext routing, String name) {
        String number = routing.body() == null ? null : numberIn(routing.body().asString());
        if (number == null) {
            LOG.info("Pairing code for instance '{}' refused: no valid phone number in the request",
                    Failures.printable(name, 64));
            answer(routing.response(), 400, "invalid_number", "send {\"number\":\"+5511987654321\"}: the country"
                    + " code and the number, 8 to 15 digits");
            return;
        }
        send(routing, name, RouteContract.REQUEST_PAIRING_CODE, Map.of(PhonePairings.NUMBER_PROPERTY, number),
                "Pairing code", exchange -> pairingAnswered(routing.response(), name, exchange));
    }

    /** The E.164 digits of the body's {@code number}, or null. */
    private static String numberIn(String body) {
        try {
            if (body == null) {
                return null;
            }
            com.fasterxml.jackson.databind.JsonNode json = JSON.readTree(body);
            return json != null && json.path("number").isTextual()
                    ? PhoneNumbers.e164Digits(json.path("number").asText()) : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** Runs {@code route} for the instance on a worker, then {@code answered} on the event loop. */
    private void send(RoutingContext routing, String name, String route, Map<String, Object> properties,
                      String what, java.util.function.Consumer<Exchange> answered) {
        HttpServerResponse response = routing.response();
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            answer(response, 503, "busy", "too many requests at once; retry in a few seconds");
            return;
        }
        Credential credential = routing.get(QrStreams.CREDENTIAL_PROPERTY);
        workers.executeBlocking(() -> producer.send(route, exchange -> {
            exchange.setProperty(QrStreams.INSTANCE_PROPERTY, name);
            exchange.setProperty(QrStreams.CREDENTIAL_PROPERTY, credential);
            exchange.setProperty(QrStreams.ALLOWED_PROPERTY, false);
            properties.forEach(exchange::setProperty);
        }), false).onComplete(result -> {
            pending.decrementAndGet();
            Exchange exchange = result.succeeded() ? result.result() : null;
            if (exchange == null || exchange.getException() != null) {
                LOG.warn("{} for instance '{}' not requested: {}", what, Failures.printable(name, 64),
                        Failures.describe(exchange == null ? result.cause() : exchange.getException()));
                answer(response, 503, "unavailable", "the request cannot be stored now; retry later");
                return;
            }
            if (!exchange.getProperty(QrStreams.ALLOWED_PROPERTY, false, Boolean.class)) {
                admission.unauthorized(routing, WHAT, ViewerAdmission.TokenFrom.HEADER, QrRenewals::answer);
                return;
            }
            answered.accept(exchange);
        });
    }

    private void pairingAnswered(HttpServerResponse response, String name, Exchange exchange) {
        String status = exchange.getMessage().getBody(String.class);
        PairingRequest request = exchange.getProperty(PhonePairings.REQUEST_PROPERTY, PairingRequest.class);
        if (request == null || !"pairing".equals(status)) {
            answered(response, name, status, clock.instant());
            return;
        }
        if (!request.isConnectAttempted()) {
            // nothing was opened: the person may try again at once
            lastRenewal.remove(name);
        }
        switch (request.getResult()) {
            case PAIRING_CODE -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("success", true);
                body.put("result", "pairing_code");
                body.put("message", "type this code on the phone: WhatsApp > Linked devices > Link with phone number");
                body.put("pairing_code", request.getPairingCode());
                answer(response, 200, body);
            }
            case REQUESTED -> answer(response, 202, "requested", "the pairing code is on its way (live stream)");
            case OPEN -> answer(response, 409, "paired", "the instance is paired: no code needed");
            case NOT_CLOSED -> answer(response, 502, "not_closed",
                    "Evolution API did not end the QR session in time; try again");
            case EVOLUTION_FAILED -> answer(response, 502, "evolution_failed",
                    "Evolution API refused the request; the operators can see why in the logs");
            case UNAVAILABLE -> answer(response, 503, "unavailable", "Evolution API cannot be reached now; retry later");
        }
    }

    /** {@code status}: what the route did: renewed, rate_limited, or the row's status when it left it alone. */
    private void answered(HttpServerResponse response, String name, String status, Instant now) {
        if ("renewed".equals(status)) {
            lastRenewal.put(name, now);
            answer(response, 202, "requested", "a new code is on its way");
        } else if ("rate_limited".equals(status)) {
            Instant last = lastRenewal.get(name);
            long wait = last == null ? 1 : Math.max(1, Duration.between(now, last.plus(minInterval)).toSeconds());
            response.putHeader("Retry-After", String.valueOf(wait));
            answer(response, 429, "too_soon", "a new code was asked for moments ago");
        } else if ("open".equals(status)) {
            answer(response, 409, "paired", "the instance is paired: no code needed");
        } else if ("phone_link_off".equals(status)) {
            answer(response, 403, "phone_link_off", "this link offers the QR code only (it was made with phone_link"
                    + " false)");
        } else {
            answer(response, 200, "already_connecting", "a code is on its way or shown already");
        }
    }

    /** For the route renew-qr: whether this instance was renewed less than QR_RENEW_MIN_INTERVAL ago here. */
    public boolean isTooSoon(String name) {
        Instant now = clock.instant();
        forgetExpired(now);
        Instant last = lastRenewal.get(name);
        return last != null && now.isBefore(last.plus(minInterval));
    }

    /** Bounds the map: a flood of instance names cannot grow it past what the allowance still needs. */
    private void forgetExpired(Instant now) {
        if (lastRenewal.size() > 10_000) {
            lastRenewal.values().removeIf(at -> !now.isBefore(at.plus(minInterval)));
        }
    }

    /**
     * For the route request-pairing-code: true when this instance was renewed less than QR_RENEW_MIN_INTERVAL ago;
     * otherwise the allowance is taken now, atomically, so that two requests at once never both log the instance out
     * and connect it (given back by {@link #pairingAnswered} when no connect was sent).
     */
    public boolean isTooSoonElseReserve(String name) {
        Instant now = clock.instant();
        forgetExpired(now);
        boolean[] tooSoon = {false};
        lastRenewal.compute(name, (key, last) -> {
            if (last != null && now.isBefore(last.plus(minInterval))) {
                tooSoon[0] = true;
                return last;
            }
            return now;
        });
        return tooSoon[0];
    }

    /**
     * {@code outcome}: what happened ({@code result}) when the request was served, what was wrong ({@code error}, the
     * shape of every refusal of the service) when it was not.
     */
    private static void answer(HttpServerResponse response, int status, String outcome, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", status < 300);
        body.put(status < 300 ? "result" : "error", outcome);
        body.put("message", message);
        answer(response, status, body);
    }

    private static void answer(HttpServerResponse response, int status, Map<String, Object> body) {
        HttpReplies.json(response, status, body);
    }
}
