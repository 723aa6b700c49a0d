package io.qrrefresher.refresh;

/** The line a run reports for one instance (the {@code results} array of the manual trigger's answer). */
public record InstanceResult(String instanceName, boolean success, boolean qrUpdated, String outcome, String error,
                             String cause) {

    static InstanceResult of(RefreshDecisions.InstanceRefresh refresh) {
        Outcome outcome = refresh.getOutcome() == null ? Outcome.FAILED : refresh.getOutcome();
        return new InstanceResult(refresh.getInstanceName(), outcome != Outcome.FAILED, refresh.isQrUpdated(),
                outcome.label(), refresh.getError(), refresh.getOutcome() == null ? null : refresh.getCause());
    }
}
