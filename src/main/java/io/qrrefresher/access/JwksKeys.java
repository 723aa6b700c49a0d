package io.qrrefresher.access;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public keys of the application's identity provider, read from its JWKS URL (Supabase:
 * {@code https://<project>.supabase.co/auth/v1/.well-known/jwks.json}), to verify user JWTs signed with RS256 or
 * ES256. Keys are fetched in the background, at start and every {@link #REFRESH}, and again (at most once per
 * {@link #MIN_REFETCH}) when a token names a key id not yet known: verifying a token never waits for the network.
 */
public final class JwksKeys implements AutoCloseable {

    static final Duration REFRESH = Duration.ofMinutes(10);
    static final Duration MIN_REFETCH = Duration.ofSeconds(30);
    private static final int MAX_BYTES = 1_048_576;
    private static final long CLOCK_SKEW_SECONDS = 60;
    private static final Logger LOG = LoggerFactory.getLogger(JwksKeys.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Key(String alg, PublicKey publicKey) {
    }

    private final URI url;
    private final HttpClient http;
    private final Clock clock;
    private volatile Map<String, Key> keys = Map.of();
    private final AtomicReference<Instant> lastRefetchRequest = new AtomicReference<>(Instant.EPOCH);
    private final AtomicInteger fetches = new AtomicInteger();
    private final ScheduledExecutorService fetcher = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "jwks-fetch");
        thread.setDaemon(true);
        return thread;
    });

    public JwksKeys(URI url, Clock clock) {
        this.url = url;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * Fetches the keys now (in the background) and then every {@link #REFRESH}, on one daemon thread that also does
     * the fetches asked for by unknown key ids.
     */
    public void start() {
        fetcher.execute(this::fetchAndReschedule);
    }

    private void fetchAndReschedule() {
        fetch();
        fetcher.schedule(this::fetchAndReschedule, keys.isEmpty() ? MIN_REFETCH.toMillis() : REFRESH.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    public int size() {
        return keys.size();
    }

    /** How many times the key set was read (for tests and logs). */
    public int fetches() {
        return fetches.get();
    }

    @Override
    public void close() {
        fetcher.shutdownNow();
    }

    /** The claims of a token signed by one of the keys (RS256 or ES256), unexpired; empty otherwise. */
    public Optional<JsonNode> verify(String token, Instant now) {
        if (!Hs256Jwt.looksLikeJwt(token)) {
            return Optional.empty();
        }
        String[] parts = token.split("\\.", -1);
        try {
            Base64.Decoder decoder = Base64.getUrlDecoder();
            JsonNode header = JSON.readTree(decoder.decode(parts[0]));
            String alg = header == null ? "" : header.path("alg").asText();
            String kid = header == null ? "" : header.path("kid").asText("");
            if (!alg.equals("RS256") && !alg.equals("ES256")) {
                return Optional.empty();
            }
            Key key = keys.get(kid);
            if (key == null) {
                refetchSoon();
                return Optional.empty();
            }
            if (!key.alg().equals(alg)) {
                return Optional.empty();
            }
            Signature signature = Signature.getInstance(alg.equals("RS256") ? "SHA256withRSA"
                    : "SHA256withECDSAinP1363Format");
            signature.initVerify(key.publicKey());
            signature.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!signature.verify(decoder.decode(parts[2]))) {
                return Optional.empty();
            }
            JsonNode claims = JSON.readTree(decoder.decode(parts[1]));
            if (claims == null || !claims.isObject() || !claims.path("exp").canConvertToLong()) {
                return Optional.empty();
            }
            long seconds = now.getEpochSecond();
            boolean expired = claims.path("exp").asLong() + CLOCK_SKEW_SECONDS < seconds;
            boolean notYet = claims.has("nbf") && claims.path("nbf").asLong() - CLOCK_SKEW_SECONDS > seconds;
            return expired || notYet ? Optional.empty() : Optional.of(claims);
        } catch (IllegalArgumentException | IOException | GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    /**
     * A token named a key not known: read the keys again, at most once per {@link #MIN_REFETCH} whatever the number of
     * such tokens (a flood of made-up key ids costs one fetch, never a thread or a request each).
     */
    private void refetchSoon() {
        Instant now = clock.instant();
        Instant last = lastRefetchRequest.get();
        if (Duration.between(last, now).compareTo(MIN_REFETCH) >= 0 && lastRefetchRequest.compareAndSet(last, now)) {
            fetcher.execute(this::fetch);
        }
    }

    /** Reads the key set; keeps the previous one when the URL cannot be read. */
    void fetch() {
        fetches.incrementAndGet();
        lastRefetchRequest.accumulateAndGet(clock.instant(), (a, b) -> a.isAfter(b) ? a : b);
        try {
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                    .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = response.body()) {
                body = in.readNBytes(MAX_BYTES + 1);
            }
            if (response.statusCode() != 200 || body.length > MAX_BYTES) {
                LOG.warn("VIEWER_JWKS_URL answered HTTP {}{}: keeping the {} keys known", response.statusCode(),
                        body.length > MAX_BYTES ? " with more than 1 MB" : "", keys.size());
                return;
            }
            Map<String, Key> read = parse(JSON.readTree(body));
            keys = read;
            LOG.info("Read {} signing keys from VIEWER_JWKS_URL", read.size());
        } catch (IOException | RuntimeException e) {
            LOG.warn("VIEWER_JWKS_URL could not be read ({}): keeping the {} keys known", e.getMessage(), keys.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The RS256 and ES256 (P-256) signing keys of a JWKS document, by key id; others are skipped. */
    static Map<String, Key> parse(JsonNode jwks) {
        Map<String, Key> read = new ConcurrentHashMap<>();
        for (JsonNode jwk : jwks.path("keys")) {
            String use = jwk.path("use").asText("sig");
            String kid = jwk.path("kid").asText("");
            if (!use.equals("sig")) {
                continue;
            }
            try {
                Base64.Decoder decoder = Base64.getUrlDecoder();
                switch (jwk.path("kty").asText()) {
                    case "RSA" -> read.put(kid, new Key("RS256", KeyFactory.getInstance("RSA").generatePublic(
                            new RSAPublicKeySpec(new BigInteger(1, decoder.decode(jwk.path("n").asText())),
                                    new BigInteger(1, decoder.decode(jwk.path("e").asText()))))));
                    case "EC" -> {
                        if (!"P-256".equals(jwk.path("crv").asText())) {
                            continue;
                        }
                        AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
                        parameters.init(new ECGenParameterSpec("secp256r1"));
                        ECPoint point = new ECPoint(new BigInteger(1, decoder.decode(jwk.path("x").asText())),
                                new BigInteger(1, decoder.decode(jwk.path("y").asText())));
                        read.put(kid, new Key("ES256", KeyFactory.getInstance("EC").generatePublic(
                                new ECPublicKeySpec(point, parameters.getParameterSpec(ECParameterSpec.class)))));
                    }
                    default -> {
                    }
                }
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                LOG.warn("Skipped JWKS key '{}': {}", kid, e.getMessage());
            }
        }
        return read;
    }
}
