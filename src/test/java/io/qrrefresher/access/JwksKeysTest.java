package io.qrrefresher.access;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;


import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import io.qrrefresher.support.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** User JWTs signed by the application's identity provider (RS256, ES256), verified with the keys of its JWKS URL. */
@Execution(ExecutionMode.CONCURRENT) // no service in this JVM: runs beside the in-JVM service tests
@Order(30)
class JwksKeysTest {

    static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    HttpServer server;
    final AtomicReference<String> jwks = new AtomicReference<>("{\"keys\":[]}");
    final AtomicInteger fetches = new AtomicInteger();
    final AtomicInteger status = new AtomicInteger(200);
    KeyPair rsa;
    KeyPair ec;

    @BeforeEach
    void identityProvider() throws Exception {
        KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
        rsaGenerator.initialize(2048);
        rsa = rsaGenerator.generateKeyPair();
        KeyPairGenerator ecGenerator = KeyPairGenerator.getInstance("EC");
        ecGenerator.initialize(new ECGenParameterSpec("secp256r1"));
        ec = ecGenerator.generateKeyPair();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/auth/v1/.well-known/jwks.json", exchange -> {
            fetches.incrementAndGet();
            byte[] body = jwks.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status.get(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void tokensSignedWithTheProvidersKeysAreVerifiedOthersAreNot() throws Exception {
        jwks.set("{\"keys\":[" + rsaJwk("rsa-1") + "," + ecJwk("ec-1") + "]}");
        JwksKeys keys = new JwksKeys(url(), Clock.systemUTC());
        keys.fetch();
        assertThat(keys.size()).isEqualTo(2);
        Instant now = Instant.now();
        long exp = now.plusSeconds(600).getEpochSecond();

        assertThat(keys.verify(sign("RS256", "rsa-1", rsa.getPrivate(), "user-1", exp), now))
                .get().extracting(c -> c.path("sub").asText()).isEqualTo("user-1");
        assertThat(keys.verify(sign("ES256", "ec-1", ec.getPrivate(), "user-2", exp), now))
                .get().extracting(c -> c.path("sub").asText()).isEqualTo("user-2");

        KeyPairGenerator other = KeyPairGenerator.getInstance("RSA");
        other.initialize(2048);
        assertThat(keys.verify(sign("RS256", "rsa-1", other.generateKeyPair().getPrivate(), "user-1", exp), now))
                .as("signed by someone else").isEmpty();
        assertThat(keys.verify(sign("RS256", "rsa-1", rsa.getPrivate(), "user-1", now.minusSeconds(600)
                .getEpochSecond()), now)).as("expired").isEmpty();
        assertThat(keys.verify(sign("ES256", "rsa-1", ec.getPrivate(), "user-1", exp), now))
                .as("algorithm other than the key's").isEmpty();
        String token = sign("RS256", "rsa-1", rsa.getPrivate(), "user-1", exp);
        String[] parts = token.split("\\.");
        String forgedClaims = B64URL.encodeToString(("{\"sub\":\"admin\",\"exp\":" + exp + "}")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(keys.verify(parts[0] + "." + forgedClaims + "." + parts[2], now)).as("claims changed").isEmpty();
    }

    @Test
    void anUnknownKeyIdMakesTheKeysBeReadAgainWithoutWaitingForThem() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        JwksKeys keys = new JwksKeys(url(), clock);
        keys.fetch();
        assertThat(keys.size()).isZero();
        jwks.set("{\"keys\":[" + rsaJwk("rotated") + "]}");
        String token = sign("RS256", "rotated", rsa.getPrivate(), "user-1", Instant.now().plusSeconds(600)
                .getEpochSecond());

        assertThat(keys.verify(token, Instant.now())).as("unknown key id").isEmpty();
        assertThat(fetches.get()).as("no new fetch within 30 s of the last").isEqualTo(1);

        clock.advance(Duration.ofSeconds(31));
        // a flood of tokens naming unknown keys: refused at once, and one fetch for all of them
        for (int i = 0; i < 1000; i++) {
            assertThat(keys.verify(sign("RS256", "made-up-" + i, rsa.getPrivate(), "user-1", Instant.now()
                    .plusSeconds(600).getEpochSecond()), Instant.now())).isEmpty();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> keys.size() == 1);
        assertThat(fetches.get()).isEqualTo(2);
        assertThat(keys.verify(token, Instant.now())).isPresent();
        keys.close();
    }

    @Test
    void aJwksUrlThatAnswersBadlyKeepsTheKeysKnown() throws Exception {
        jwks.set("{\"keys\":[" + rsaJwk("rsa-1") + "]}");
        JwksKeys keys = new JwksKeys(url(), Clock.systemUTC());
        keys.fetch();
        String token = sign("RS256", "rsa-1", rsa.getPrivate(), "user-1", Instant.now().plusSeconds(600)
                .getEpochSecond());
        assertThat(keys.verify(token, Instant.now())).isPresent();

        status.set(500);
        keys.fetch();
        status.set(200);
        jwks.set("<html>maintenance</html>");
        keys.fetch();
        jwks.set("{\"keys\":[" + "x".repeat(1_100_000) + "]}");
        keys.fetch();
        server.stop(0);
        keys.fetch();

        assertThat(keys.size()).isEqualTo(1);
        assertThat(keys.verify(token, Instant.now())).as("still verified with the keys read before").isPresent();
        keys.close();
    }

    @Test
    void theFetchInTheBackgroundReadsTheKeysAtStart() throws Exception {
        jwks.set("{\"keys\":[" + ecJwk("ec-start") + "]}");
        JwksKeys keys = new JwksKeys(url(), Clock.systemUTC());
        keys.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> keys.size() == 1);
        keys.close();
    }

    private URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/auth/v1/.well-known/jwks.json");
    }

    private String rsaJwk(String kid) {
        RSAPublicKey key = (RSAPublicKey) rsa.getPublic();
        return "{\"kty\":\"RSA\",\"kid\":\"" + kid + "\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\""
                + unsigned(key.getModulus(), 0) + "\",\"e\":\"" + unsigned(key.getPublicExponent(), 0) + "\"}";
    }

    private String ecJwk(String kid) {
        ECPublicKey key = (ECPublicKey) ec.getPublic();
        return "{\"kty\":\"EC\",\"kid\":\"" + kid + "\",\"use\":\"sig\",\"alg\":\"ES256\",\"crv\":\"P-256\",\"x\":\""
                + unsigned(key.getW().getAffineX(), 32) + "\",\"y\":\"" + unsigned(key.getW().getAffineY(), 32) + "\"}";
    }

    private static String unsigned(BigInteger value, int length) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        if (length > bytes.length) {
            byte[] padded = new byte[length];
            System.arraycopy(bytes, 0, padded, length - bytes.length, bytes.length);
            bytes = padded;
        }
        return B64URL.encodeToString(bytes);
    }

    private static String sign(String alg, String kid, PrivateKey key, String subject, long exp) throws Exception {
        String header = B64URL.encodeToString(("{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}")
                .getBytes(StandardCharsets.UTF_8));
        String claims = B64URL.encodeToString(("{\"sub\":\"" + subject + "\",\"aud\":\"authenticated\",\"exp\":"
                + exp + "}").getBytes(StandardCharsets.UTF_8));
        Signature signature = Signature.getInstance(alg.equals("RS256") ? "SHA256withRSA"
                : "SHA256withECDSAinP1363Format");
        signature.initSign(key);
        signature.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + B64URL.encodeToString(signature.sign());
    }
}
