package io.qrrefresher.ops;

import io.qrrefresher.refresh.RefreshControl;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import javax.management.ObjectName;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.support.RestartablePostgres;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.apache.camel.component.quartz.QuartzComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quartz.CronTrigger;
import org.quartz.TriggerKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What operators use: JMX and Jolokia, health, Prometheus metrics, and runtime control. */
class OperationsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dataDir;

    @Test
    void withoutJolokiaEnabledThereIsNoJolokiaCountersStartAtZeroAndTheMonitoringPackFits() throws Exception {
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution).with("evolution.timeout-ms", "8000")
                     .start()) {
            assertThat(get(service.managementUrl("/observe/jolokia/version"), null).statusCode()).isEqualTo(404);

            // known series exist before their first event, so that increase() counts it
            String metrics = metrics(service);
            assertThat(metrics).contains(
                    "qr_refresher_webhooks_total{event=\"qrcode.updated\",result=\"stored\"} 0.0",
                    "qr_refresher_listener_rebuilds_total 0.0",
                    "qr_refresher_runs_total{status=\"failed\",trigger=\"schedule\"} 0.0",
                    "qr_refresher_instances_total{outcome=\"refreshed\"} 0.0",
                    "qr_refresher_refresh_paused 0.0");

            // a few latency buckets, ending at the call timeout
            evolution.addInstance("timed", "token-timed", State.CONNECTING);
            service.db().insertInstance("timed", "token-timed", "connecting");
            service.refresh();
            List<String> buckets = metrics(service).lines()
                    .filter(line -> line.startsWith("qr_refresher_evolution_call_seconds_bucket{")
                            && line.contains("call=\"connectionState\""))
                    .toList();
            assertThat(buckets).hasSizeBetween(8, 10);
            assertThat(buckets).anySatisfy(line -> assertThat(line).contains("le=\"8.0\""));

            // the monitoring pack (monitoring/) against this service: promtool, its metrics, its rules firing
            service.circuitBreaker().transitionToOpenState();
            new MonitoringPack().check(metrics(service));
            service.circuitBreaker().transitionToClosedState();

            // an operator stops a background route (hawtio): the service stays ready, and health names the route
            service.context().getRouteController().stopRoute("deliver-alerts");
            assertThat(get(service.managementUrl("/observe/health/ready"), null).statusCode()).isEqualTo(200);
            JsonNode ready = JSON.readTree(get(service.managementUrl("/observe/health/ready?exposureLevel=full"),
                    null).body());
            assertThat(ready.get("checks")).extracting(check -> check.get("name").asText())
                    .contains("database", "route:manual-refresh", "route:evolution-webhooks")
                    .doesNotContain("route:deliver-alerts", "route:check-qr-failures", "background-routes");
            JsonNode all = JSON.readTree(get(service.managementUrl("/observe/health?exposureLevel=full&data=true"),
                    null).body());
            JsonNode background = check(all, "background-routes");
            assertThat(background.get("status").asText()).isEqualTo("DOWN");
            assertThat(background.get("message").asText()).contains("deliver-alerts (Stopped)");
            // each check says truthfully what it decides
            assertThat(check(all, "database").at("/data/check.kind").asText()).isEqualTo("READINESS");
            assertThat(check(all, "process-responsive").at("/data/check.kind").asText()).isEqualTo("LIVENESS");
            assertThat(check(all, "last-refresh-run").at("/data/check.kind").asText()).startsWith("NONE");
            service.context().getRouteController().startRoute("deliver-alerts");
            assertThat(check(JSON.readTree(get(service.managementUrl("/observe/health?exposureLevel=full"), null)
                    .body()), "background-routes").get("status").asText()).isEqualTo("UP");
        }
    }

    private static JsonNode check(JsonNode health, String name) {
        for (JsonNode check : health.get("checks")) {
            if (check.get("name").asText().equals(name)) {
                return check;
            }
        }
        throw new AssertionError("no check " + name + " in " + health);
    }

    @Test
    void readinessFollowsTheDatabaseAndLivenessStaysUp() throws Exception {
        try (RestartablePostgres database = new RestartablePostgres(dataDir);
             ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution)
                     .with("database.url", database.jdbcUrl())
                     // each API call below waits this long for a connection, then answers 503
                     .with("database.wait-ms", "1500").start()) {
            assertThat(get(service.managementUrl("/observe/health/ready"), null).statusCode()).isEqualTo(200);

            database.stop();
            // readiness answers at once from the database probe, which sees the outage within a few seconds
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    get(service.managementUrl("/observe/health/ready"), null).statusCode() == 503);
            HttpResponse<String> notReady = get(service.managementUrl("/observe/health/ready"), null);
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).contains("database", "DOWN");
            assertThat(get(service.managementUrl("/observe/health/live"), null).statusCode()).isEqualTo(200);
            // metrics come from what was read in the background: a scrape never waits for the database, and the
            // database gauges say they do not know
            assertThat(metrics(service)).contains("qr_refresher_refresh_paused 0.0");
            await().until(() -> metrics(service).contains("qr_refresher_connecting_instances NaN"));
            // what the rule qr_refresher_database_unreachable reads
            assertThat(metrics(service)).contains("qr_refresher_database_up 0.0");
            // the API says why, as JSON: nothing was changed, retry later (the three asked at once: each waits
            // database.wait-ms for a connection)
            List<java.util.concurrent.Callable<HttpResponse<String>>> calls = List.of(
                    () -> control(service, "GET", "/refresh-runs", null),
                    () -> control(service, "PUT", "/refresh-control", "{\"limit\": 5}"),
                    () -> control(service, "GET", "/wall/instances", null));
            java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(3);
            List<java.util.concurrent.Future<HttpResponse<String>>> answers;
            try {
                answers = callers.invokeAll(calls);
            } finally {
                callers.shutdown();
            }
            for (java.util.concurrent.Future<HttpResponse<String>> answer : answers) {
                HttpResponse<String> failed = answer.get();
                assertThat(failed.statusCode()).isEqualTo(503);
                assertThat(failed.headers().firstValue("Retry-After")).hasValue("5");
                assertThat(JSON.readTree(failed.body()).get("error").asText()).isEqualTo("database_unavailable");
            }

            database.start();
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    get(service.managementUrl("/observe/health/ready"), null).statusCode() == 200);
            assertThat(metrics(service)).contains("qr_refresher_database_up 1.0");
        }
    }

    @Test
    void metricsChangeByWhatARunDid() throws Exception {
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution).start()) {
            for (String name : List.of("m1", "m2", "m3")) {
                evolution.addInstance(name, "token-" + name, State.CONNECTING);
                evolution.rotate(name);
                service.db().insertInstance(name, "token-" + name, "connecting");
            }
            service.db().insertInstance("m-gone", "token-gone", "connecting");
            String before = metrics(service);

            service.refresh();

            String after = metrics(service);
            assertThat(value(after, "qr_refresher_instances_total{outcome=\"refreshed\"}")
                    - value(before, "qr_refresher_instances_total{outcome=\"refreshed\"}")).isEqualTo(3);
            assertThat(value(after, "qr_refresher_instance_failures_total{reason=\"not_found\"}")
                    - value(before, "qr_refresher_instance_failures_total{reason=\"not_found\"}")).isEqualTo(1);
            assertThat(value(after, "qr_refresher_runs_total{status=\"partially_failed\",trigger=\"manual\"}")
                    - value(before, "qr_refresher_runs_total{status=\"partially_failed\",trigger=\"manual\"}"))
                    .isEqualTo(1);
            assertThat(value(after, "qr_refresher_evolution_call_seconds_count{call=\"connect\",result=\"200\",server=\"default\"}"))
                    .isEqualTo(3);
            assertThat(after).contains("qr_refresher_evolution_call_seconds_bucket{call=\"connectionState\"",
                    "resilience4j_circuitbreaker_state{name=\"evolution-api\",state=\"closed\"} 1.0",
                    "qr_refresher_oldest_connecting_qr_age_seconds", "jvm_memory_used_bytes", "camel_exchanges_total");
            // the database gauges are read in the background, every 5 s
            await().until(() -> metrics(service).contains("qr_refresher_connecting_instances 4.0"));
        }
    }

    @Test
    void pauseStopsCallsResumeBringsThemBack() throws Exception {
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution)
                     .with("qr.refresh.cron", "* * * * * ?").with("qr.refresh.min-interval", "PT1S").start()) {
            evolution.addInstance("paused", "token-paused", State.CONNECTING);
            service.db().insertInstance("paused", "token-paused", "connecting");
            await().until(() -> evolution.calls(EvolutionCall.CONNECTION_STATE, "paused") >= 1);

            HttpResponse<String> paused = control(service, "POST", "/refresh-control/pause", null);
            assertThat(paused.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(paused.body()).get("active").asBoolean()).isFalse();
            assertThat(JSON.readTree(paused.body()).get("route_status").asText()).isEqualTo("suspended");
            int calls = evolution.calls(EvolutionCall.CONNECTION_STATE, "paused");
            // two ticks of the every-second schedule, which must not fire: no call all along
            await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(30))
                    .until(() -> evolution.calls(EvolutionCall.CONNECTION_STATE, "paused") == calls);
            // a deliberate pause is not a fault: still ready, and it says so
            assertThat(get(service.managementUrl("/observe/health/ready"), null).statusCode()).isEqualTo(200);
            assertThat(get(service.managementUrl("/observe/health?exposureLevel=full"), null).body())
                    .contains("refresh-schedule").contains("paused: the scheduled refresh does not run");
            assertThat(metrics(service)).contains("qr_refresher_refresh_paused 1.0");

            assertThat(control(service, "POST", "/refresh-control/resume", null).statusCode()).isEqualTo(200);
            await().until(() -> evolution.calls(EvolutionCall.CONNECTION_STATE, "paused") > calls);
            assertThat(metrics(service)).contains("qr_refresher_refresh_paused 0.0");
            List<Map<String, Object>> history = service.db().query(
                    "SELECT message FROM qr_refresher.refresh_runs WHERE trigger = 'control' ORDER BY id");
            assertThat(history).extracting(row -> (String) row.get("message"))
                    .containsExactly("refresh paused by alice from 127.0.0.1", "refresh resumed by alice from 127.0.0.1");
        }
    }

    @Test
    void aCronChangeAppliesAtOnceAndOutlivesARestart() throws Exception {
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start()) {
            RunningService first = RunningService.against(evolution).start();
            String database = first.bean(io.qrrefresher.config.Settings.class).database().url().orElseThrow().jdbcUrl();
            HttpResponse<String> changed = control(first, "PUT", "/refresh-control",
                    "{\"cron\": \"0 */5 * * * ?\", \"concurrency\": 3, \"limit\": 100}");
            assertThat(changed.statusCode()).isEqualTo(200);
            assertThat(cron(first)).isEqualTo("0 */5 * * * ?");
            assertThat(control(first, "PUT", "/refresh-control", "{\"cron\": \"*/30 * * * *\"}").body())
                    .contains("not a valid Quartz cron expression");
            assertThat(control(first, "PUT", "/refresh-control", "{\"concurrency\": 0}").statusCode()).isEqualTo(400);
            // refused before anything is saved or applied: a cron that never fires, a boolean that is not one
            HttpResponse<String> never = control(first, "PUT", "/refresh-control", "{\"cron\": \"0 0 0 1 1 ? 2020\"}");
            assertThat(never.statusCode()).isEqualTo(400);
            assertThat(never.body()).contains("never fires");
            HttpResponse<String> notBoolean = control(first, "PUT", "/refresh-control", "{\"active\": \"no\"}");
            assertThat(notBoolean.statusCode()).isEqualTo(400);
            assertThat(notBoolean.body()).contains("active must be true or false");
            assertThat(control(first, "PUT", "/refresh-control", "{\"cron\": 5}").statusCode()).isEqualTo(400);
            assertThat(cron(first)).isEqualTo("0 */5 * * * ?");
            assertThat(first.bean(io.qrrefresher.refresh.RefreshControl.class).isPaused()).isFalse();
            assertThat(first.db().queryOne("SELECT cron, active FROM qr_refresher.refresh_control"))
                    .containsEntry("cron", "0 */5 * * * ?").containsEntry("active", true);
            HttpResponse<String> form = HTTP.send(HttpRequest.newBuilder(first.url("/refresh-control"))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"limit\": 5}"))
                    .header("Authorization", "Bearer " + RunningService.ADMIN_TOKEN)
                    .header("Content-Type", "application/x-www-form-urlencoded").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(form.statusCode()).isEqualTo(400);
            assertThat(form.body()).contains("Content-Type: application/json");
            // more often than QR_REFRESH_MIN_INTERVAL (2 s): refused, naming the setting
            HttpResponse<String> everySecond = control(first, "PUT", "/refresh-control", "{\"cron\": \"* * * * * ?\"}");
            assertThat(everySecond.statusCode()).isEqualTo(400);
            assertThat(everySecond.body()).contains("QR_REFRESH_MIN_INTERVAL");
            assertThat(cron(first)).isEqualTo("0 */5 * * * ?");
            // twenty PUTs at once: each is answered with what it stored, under a version of its own
            java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(20);
            List<java.util.concurrent.Future<HttpResponse<String>>> answers;
            try {
                answers = callers.invokeAll(java.util.stream.IntStream.rangeClosed(1, 20).mapToObj(limit ->
                        (java.util.concurrent.Callable<HttpResponse<String>>) () -> control(first, "PUT",
                                "/refresh-control", "{\"limit\": " + limit + "}")).toList());
            } finally {
                callers.shutdown();
            }
            java.util.Set<Long> versions = new java.util.HashSet<>();
            for (int i = 0; i < answers.size(); i++) {
                HttpResponse<String> answer = answers.get(i).get();
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                JsonNode stored = JSON.readTree(answer.body());
                assertThat(stored.get("limit").asInt()).as(answer.body()).isEqualTo(i + 1);
                versions.add(stored.get("version").asLong());
            }
            assertThat(versions).hasSize(20);
            assertThat(control(first, "PUT", "/refresh-control", "{\"limit\": 100}").statusCode()).isEqualTo(200);
            first.close();

            try (RunningService second = RunningService.against(evolution).with("database.url", database).start()) {
                await().until(() -> "0 */5 * * * ?".equals(cron(second)));
                JsonNode control = JSON.readTree(control(second, "GET", "/refresh-control", null).body());
                assertThat(control.get("source").asText()).isEqualTo("database");
                assertThat(control.get("concurrency").asInt()).isEqualTo(3);
                assertThat(control.get("limit").asInt()).isEqualTo(100);
                assertThat(control.get("changed_by").asText()).startsWith("alice");

                control(second, "DELETE", "/refresh-control", null);
                assertThat(cron(second)).isEqualTo(RunningService.NEVER);
            }
        }
    }

    @Test
    void aChangeOfOneFieldKeepsWhatAnotherReplicaStoredInTheOthersMeanwhile() throws Exception {
        // this replica reads the control once at start: what another replica stores afterwards, it has not seen
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution).with("qr.control.watch-ms", "3600000")
                     .start()) {
            assertThat(control(service, "PUT", "/refresh-control", "{\"concurrency\": 3}").statusCode())
                    .isEqualTo(200);
            // another replica (or operator) changes the cron and the limit, as its own route would store them
            service.db().update("UPDATE qr_refresher.refresh_control SET cron = '0 */7 * * * ?', instance_limit = 70,"
                    + " version = version + 1, changed_by = 'bob', change = 'refresh changed: cron, limit'");

            HttpResponse<String> changed = control(service, "PUT", "/refresh-control", "{\"concurrency\": 5}");
            assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
            JsonNode answered = JSON.readTree(changed.body());
            assertThat(answered.get("concurrency").asInt()).isEqualTo(5);
            assertThat(answered.get("cron").asText()).as("the other change stays").isEqualTo("0 */7 * * * ?");
            assertThat(answered.get("limit").asInt()).isEqualTo(70);
            assertThat(service.db().queryOne("SELECT cron, instance_limit, concurrency FROM qr_refresher.refresh_control"))
                    .containsEntry("cron", "0 */7 * * * ?").containsEntry("instance_limit", 70)
                    .containsEntry("concurrency", 5);
            // and this replica now runs with the row as stored, the other replica's cron included
            assertThat(cron(service)).isEqualTo("0 */7 * * * ?");
            assertThat(service.db().queryOne("SELECT message FROM qr_refresher.refresh_runs WHERE trigger = 'control'"
                    + " ORDER BY id DESC LIMIT 1").get("message")).isEqualTo("refresh changed: concurrency 5 by alice"
                    + " from 127.0.0.1");
        }
    }

    @Test
    void aRouteSuspendedOverJmxIsSavedAsAPause() throws Exception {
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution).with("qr.control.watch-ms", "500").start()) {
            ObjectName route = new ObjectName("org.apache.camel:context=" + service.context().getManagementName()
                    + ",type=routes,name=\"refresh-qr-codes\"");

            ManagementFactory.getPlatformMBeanServer().invoke(route, "suspend", null, null);
            // as hawtio does it: the service stays ready at once, before the pause is even saved
            assertThat(get(service.managementUrl("/observe/health/ready"), null).statusCode()).isEqualTo(200);

            // saved, then applied: both within one read of the control (QR_CONTROL_WATCH_MS)
            await().atMost(Duration.ofSeconds(15)).until(() -> service.bean(io.qrrefresher.refresh.RefreshControl.class).isPaused()
                    && !service.db().query("SELECT 1 FROM qr_refresher.refresh_control WHERE NOT active").isEmpty());
            assertThat(service.db().queryOne("SELECT changed_by FROM qr_refresher.refresh_control").get("changed_by"))
                    .isEqualTo("JMX (route suspended)");
        }
    }

    @Test
    void aJmxResumeThatFollowsTheSavedPauseIsKeptAndSavedInTurn() throws Exception {
        // the watcher reads the control once at start; the test then plays its steps in the order that lost a resume
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution).with("qr.control.watch-ms", "3600000")
                     .start()) {
            io.qrrefresher.refresh.RefreshControl control = service.bean(io.qrrefresher.refresh.RefreshControl.class);
            ObjectName route = new ObjectName("org.apache.camel:context=" + service.context().getManagementName()
                    + ",type=routes,name=\"refresh-qr-codes\"");
            javax.management.MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
            ObjectName watcher = new ObjectName("org.apache.camel:context=" + service.context().getManagementName()
                    + ",type=routes,name=\"watch-refresh-control\"");
            await().atMost(Duration.ofSeconds(15)).until(() -> (Long) jmx.getAttribute(watcher, "ExchangesTotal") >= 1
                    && ((Number) jmx.getAttribute(watcher, "ExchangesInflight")).longValue() == 0);

            jmx.invoke(route, "suspend", null, null);
            io.qrrefresher.refresh.RefreshControl.ControlRequest pause = control.sync(null);
            assertThat(pause.action()).isEqualTo("pause");
            // the operator resumes before the watcher saved the pause it saw
            jmx.invoke(route, "resume", null, null);
            save(service, pause);
            assertThat(jmx.getAttribute(route, "State")).as("the operator's resume stands").isEqualTo("Started");
            assertThat(control.isPaused()).isTrue();

            // the next read sees the route running and saves the resume
            io.qrrefresher.refresh.RefreshControl.ControlRequest resume = control.sync(
                    service.db().queryOne("SELECT * FROM qr_refresher.refresh_control WHERE id = 1"));
            assertThat(resume.action()).isEqualTo("resume");
            save(service, resume);
            assertThat(control.isPaused()).isFalse();
            assertThat(jmx.getAttribute(route, "State")).isEqualTo("Started");
            assertThat(service.db().queryOne("SELECT active, changed_by FROM qr_refresher.refresh_control"))
                    .containsEntry("active", true).containsEntry("changed_by", "JMX (route started)");
        }
    }

    /** What route watch-refresh-control does with a request it returned. */
    private static void save(RunningService service, io.qrrefresher.refresh.RefreshControl.ControlRequest request) {
        service.context().createProducerTemplate().send("direct:change-refresh-control",
                exchange -> exchange.setProperty("controlRequest", request));
    }

    private static String cron(RunningService service) throws Exception {
        CronTrigger trigger = (CronTrigger) service.context().getComponent("quartz", QuartzComponent.class)
                .getScheduler().getTrigger(TriggerKey.triggerKey("refresh-qr-codes", "qr-refresher"));
        return trigger.getCronExpression();
    }

    private static HttpResponse<String> control(RunningService service, String method, String path, String body)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(service.url(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + RunningService.ADMIN_TOKEN)
                .header("X-Changed-By", "alice")
                .header("Content-Type", "application/json").build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String metrics(RunningService service) throws Exception {
        return get(service.managementUrl("/observe/metrics"), null).body();
    }

    private static double value(String metrics, String series) {
        return metrics.lines().filter(line -> line.startsWith(series + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1).trim()))
                .findFirst().orElse(0);
    }

    private static HttpResponse<String> get(URI url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).GET().timeout(Duration.ofSeconds(20));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

}
