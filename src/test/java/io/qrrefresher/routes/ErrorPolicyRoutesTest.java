package io.qrrefresher.routes;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import io.qrrefresher.ServiceLifecycle;
import io.qrrefresher.support.LogCapture;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.test.main.junit5.AdviceRouteMapping;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.apache.camel.test.main.junit5.Configure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Route test of routes/error-policy.yaml, on the service's own routes: a route started by a schedule or a queue that
 * fails is logged once (one WARN line a minute, no stack trace) and the next trigger runs normally; a sub-route's
 * failure goes back to its caller, which handles it once.
 */
@CamelMainTest(
        propertyPlaceholderLocations = {"file:target/route-tests/error-policy.properties", "file:application.properties"},
        // the failure check runs on a Quartz schedule; here the test triggers it
        replaceRouteFromWith = "check-qr-failures=direct:check-qr-failures",
        advices = @AdviceRouteMapping(route = "check-qr-failures", advice = ErrorPolicyRoutesTest.BreakRecording.class))
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ResourceLock("second-service") // reads the JVM's log: no other service may run meanwhile
@Order(Integer.MAX_VALUE) // last in order: by then no other service runs
class ErrorPolicyRoutesTest {

    static final ServiceLifecycle LIFECYCLE = new ServiceLifecycle();

    static {
        Properties properties = new Properties();
        // no refresh runs in this test: Evolution API is never called
        properties.setProperty("evolution.api.base-url", "http://127.0.0.1:9");
        RouteTestSupport.writeProperties("error-policy", properties);
    }

    @BeanInject
    CamelContext context;

    /** Every check fails where it records its alert, as if the database went away between the two statements. */
    public static final class BreakRecording extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            weaveByToUri("direct:record-alert").replace()
                    .throwException(new IllegalStateException("the database went away"));
        }
    }

    @Configure
    protected void configure(MainConfigurationProperties configuration) {
        RouteTestSupport.configure(configuration, LIFECYCLE);
    }

    @AfterAll
    void stop() {
        LIFECYCLE.close();
    }

    @Test
    void aFailingScheduledRouteLogsOneLineAndItsNextTriggerRuns() {
        ProducerTemplate template = context.createProducerTemplate();
        try (LogCapture log = LogCapture.open()) {
            Exchange first = template.send("direct:check-qr-failures", exchange -> { });
            Exchange second = template.send("direct:check-qr-failures", exchange -> { });

            // handled by the policy: the trigger (Quartz in production) sees no failure and fires again
            assertThat(first.getException()).isNull();
            assertThat(second.getException()).isNull();
            List<String> warnings = log.lines().stream()
                    .filter(line -> line.startsWith("WARN") && line.contains("check-qr-failures")).toList();
            assertThat(warnings).singleElement().asString()
                    .contains("failed, its next trigger retries: ")
                    .contains("the database went away")
                    .doesNotContain(" | ");
        }
    }

    @Test
    void aSubRouteFailureGoesBackToTheQueueRouteThatCalledIt() {
        // record-alert (errors-to-caller) cannot read a body that is no alert; alert-signals (retry-on-next-trigger)
        // handles it once, and the next message in the queue is processed
        NotifyBuilder twoDone = new NotifyBuilder(context).fromRoute("alert-signals").whenDone(2).create();
        try (LogCapture log = LogCapture.open()) {
            context.createProducerTemplate().sendBody("seda:alert-signals", "not an alert");
            context.createProducerTemplate().sendBody("seda:alert-signals", "not an alert either");

            assertThat(twoDone.matches(30, TimeUnit.SECONDS)).isTrue();
            assertThat(log.lines()).filteredOn(line -> line.startsWith("WARN") && line.contains("alert-signals"))
                    .singleElement().asString().contains("failed, its next trigger retries: ");
            assertThat(log.lines()).noneMatch(line -> line.startsWith("ERROR"));
        }
    }
}
