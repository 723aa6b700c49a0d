package io.qrrefresher.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.EvolutionSimulator.State;

import io.qrrefresher.support.LogCapture;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.jolokia.client.JolokiaClient;
import org.jolokia.client.JolokiaClientBuilder;
import org.jolokia.client.exception.JolokiaRemoteException;
import org.jolokia.client.request.JolokiaExecRequest;
import org.jolokia.client.request.JolokiaReadRequest;
import org.jolokia.client.response.JolokiaReadResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Jolokia as operators' tools meet it: Jolokia's own Java client with its defaults (Basic credentials, not pre-emptive,
 * POST), the shipped restrictor policy (reads, and the Camel operations hawtio needs: nothing else), and no password
 * left on disk.
 */
@ResourceLock("second-service") // reads the JVM's log: no other service may run meanwhile
@Order(Integer.MAX_VALUE) // last in order: by then no other service runs
class JolokiaTest {

    static final String USER = "ops";
    static final String PASSWORD = "jolokia-test-password-42";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final ObjectMapper JSON = new ObjectMapper();

    static List<Path> credentialFilesBefore;
    static LogCapture logs;
    static ScriptedEvolutionApi evolution;
    static RunningService service;

    @BeforeAll
    static void start() throws Exception {
        credentialFilesBefore = credentialFiles();
        logs = LogCapture.open();
        evolution = ScriptedEvolutionApi.start();
        service = RunningService.against(evolution)
                .with("qr.refresh.cron", "* * * * * ?").with("qr.refresh.min-interval", "PT1S")
                .with("jolokia.enabled", "true").with("jolokia.user", USER).with("jolokia.password", PASSWORD)
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        evolution.close();
        logs.close();
    }

    @Test
    void routeStatisticsOverJmxAndJolokiaWhichRefusesStrangers() throws Exception {
        evolution.addInstance("jmx", "token-jmx", State.CONNECTING);
        evolution.rotate("jmx");
        service.db().insertInstance("jmx", "token-jmx", "connecting");
        ObjectName route = new ObjectName("org.apache.camel:context=" + service.context().getManagementName()
                + ",type=routes,name=\"refresh-qr-codes\"");
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();

        await().atMost(Duration.ofSeconds(15)).until(() -> (Long) jmx.getAttribute(route, "ExchangesCompleted") >= 1);
        assertThat((Long) jmx.getAttribute(route, "ExchangesFailed")).isZero();

        String read = "/observe/jolokia/read/org.apache.camel:context=" + service.context().getManagementName()
                + ",type=routes,name=%22refresh-qr-codes%22/ExchangesCompleted,ExchangesFailed";
        HttpResponse<String> answer = get(read, basic(USER, PASSWORD));
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode value = JSON.readTree(answer.body()).get("value");
        assertThat(value.get("ExchangesCompleted").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(value.get("ExchangesFailed").asLong()).isZero();

        assertThat(get(read, null).statusCode()).isEqualTo(401);
        assertThat(get(read, basic(USER, "wrong-password-123")).statusCode()).isEqualTo(401);
        assertThat(get("/observe/health", null).statusCode()).isEqualTo(200);
    }

    @Test
    void theStandardClientWorksAndThePolicyAllowsWhatHawtioNeedsOnly() throws Exception {
        try (JolokiaClient client = new JolokiaClientBuilder().url(service.managementUrl("/observe/jolokia").toString())
                     .user(USER).password(PASSWORD).build()) {
            String context = service.context().getManagementName();
            ObjectName route = new ObjectName("org.apache.camel:context=" + context
                    + ",type=routes,name=\"refresh-qr-codes\"");

            JolokiaReadResponse state = client.execute(new JolokiaReadRequest(route, "State"));
            assertThat(state.<String>getValue()).isEqualTo("Started");
            // what hawtio does with a route: suspend, resume, its statistics
            client.execute(new JolokiaExecRequest(route, "suspend()"));
            assertThat(client.<JolokiaReadResponse, JolokiaReadRequest>execute(new JolokiaReadRequest(route, "State"))
                    .<String>getValue()).isEqualTo("Suspended");
            client.execute(new JolokiaExecRequest(route, "resume()"));
            client.execute(new JolokiaExecRequest(new ObjectName("org.apache.camel:context=" + context
                    + ",type=context,name=\"" + context + "\""), "dumpRoutesStatsAsXml(boolean,boolean)", true, true));

            // stopping or suspending the whole context would end the service: refused, the context runs on
            ObjectName camelContext = new ObjectName("org.apache.camel:context=" + context + ",type=context,name=\""
                    + context + "\"");
            for (String operation : new String[] {"stop()", "suspend()", "stop"}) {
                assertThatThrownBy(() -> client.execute(new JolokiaExecRequest(camelContext, operation)))
                        .as(operation).isInstanceOfSatisfying(JolokiaRemoteException.class,
                                refused -> assertThat(refused.getStatus()).isEqualTo(403));
            }
            assertThat(service.context().getStatus().isStarted()).isTrue();

            // the JVM's diagnostic commands run code: refused
            assertThatThrownBy(() -> client.execute(new JolokiaExecRequest(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmSystemProperties")))
                    .isInstanceOfSatisfying(JolokiaRemoteException.class,
                            refused -> assertThat(refused.getStatus()).isEqualTo(403));
            assertThatThrownBy(() -> new JolokiaClientBuilder().url(service.managementUrl("/observe/jolokia")
                    .toString()).user(USER).password("wrong-password-123").build()
                    .execute(new JolokiaReadRequest(route, "State"))).isNotNull();

            assertThat(logs.text()).doesNotContain("No access restrictor found");
            // and the credentials still work: Vert.x read them when the management server started
            assertThat(credentialFiles()).as("no password left on disk once the service runs")
                    .isSubsetOf(credentialFilesBefore);
            assertThat(client.<JolokiaReadResponse, JolokiaReadRequest>execute(new JolokiaReadRequest(route, "State"))
                    .<String>getValue()).isEqualTo("Started");
        }
    }

    @Test
    void aClientThatWaitsFor100ContinueAndRetriesWithCredentialsIsAnswered() throws Exception {
        {
            java.net.URI url = service.managementUrl("/observe/jolokia");
            String body = "{\"type\":\"version\"}";
            String credentials = java.util.Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes());
            java.net.Socket socket = new java.net.Socket(url.getHost(), url.getPort());
            socket.setSoTimeout(20_000);
            try {
                // as Apache HttpClient does without pre-emptive auth: headers, Expect: 100-continue, no credentials
                write(socket, "POST /observe/jolokia HTTP/1.1\r\nHost: " + url.getHost() + "\r\nContent-Type:"
                        + " application/json\r\nContent-Length: " + body.length() + "\r\nExpect: 100-continue"
                        + "\r\n\r\n");
                String first = readResponse(socket);
                assertThat(first).startsWith("HTTP/1.1 401");
                boolean closed = first.toLowerCase(java.util.Locale.ROOT).contains("connection: close");
                if (closed) {
                    socket.close();
                    socket = new java.net.Socket(url.getHost(), url.getPort());
                    socket.setSoTimeout(20_000);
                }
                // then the same request with the credentials, on the same connection unless told to close it
                write(socket, "POST /observe/jolokia HTTP/1.1\r\nHost: " + url.getHost() + "\r\nContent-Type:"
                        + " application/json\r\nAuthorization: Basic " + credentials + "\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body);
                String second = readResponse(socket);
                assertThat(second).startsWith("HTTP/1.1 200").contains("\"agent\"");
            } finally {
                socket.close();
            }
        }
    }

    private static void write(java.net.Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** One response: its head, and its body when it has a Content-Length. */
    private static String readResponse(java.net.Socket socket) throws IOException {
        java.io.InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                return head.toString();
            }
            head.append((char) c);
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length:\\s*(\\d+)")
                .matcher(head);
        if (length.find()) {
            head.append(new String(in.readNBytes(Integer.parseInt(length.group(1))),
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        return head.toString();
    }

    private static HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(service.managementUrl(path)).timeout(Duration.ofSeconds(10))
                .GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes());
    }

    private static Stream<Path> credentialFilesIn(Path folder) throws IOException {
        return Files.list(folder).filter(file -> file.getFileName().toString().startsWith("qr-refresher-jolokia-"));
    }

    private static List<Path> credentialFiles() throws IOException {
        try (Stream<Path> files = credentialFilesIn(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.toList();
        }
    }
}
