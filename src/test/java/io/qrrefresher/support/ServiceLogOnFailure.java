package io.qrrefresher.support;

import java.util.function.Supplier;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * A test of a service in a JVM of its own fails with what that service last logged in its message (one line, the
 * lines joined by " | "): its console lives in a temporary folder that is gone after the run, and a CI summary shows
 * only the failure's message.
 */
public final class ServiceLogOnFailure implements TestExecutionExceptionHandler {

    private static final int LINES = 15;
    private final Supplier<ServiceProcess> service;

    public ServiceLogOnFailure(Supplier<ServiceProcess> service) {
        this.service = service;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        ServiceProcess process = service.get();
        if (process == null) {
            throw failure;
        }
        String message = String.valueOf(failure.getMessage()).replace('\n', ' ');
        AssertionError explained = new AssertionError(failure.getClass().getSimpleName() + ": " + message
                + " || service log: " + String.join(" | ", process.recentLog(LINES)), failure);
        explained.setStackTrace(failure.getStackTrace());
        throw explained;
    }
}
