package io.qrrefresher.support;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.qrrefresher.demo.EvolutionSimulator;
import io.qrrefresher.evolution.EvolutionCall;

/**
 * The contract-following simulator, plus scripted faults per instance and call: a fixed reply (any status, content
 * type and body), a delay before answering, or an action to run while a call is in flight.
 */
public final class ScriptedEvolutionApi extends EvolutionSimulator {

    public static final String GLOBAL_KEY = "global-evolution-key";

    private final Map<String, Supplier<Reply>> faults = new ConcurrentHashMap<>();
    private final Map<String, Duration> delays = new ConcurrentHashMap<>();
    /** Counted down on close: a reply held for its delay is released at once, no handler thread outlives the server. */
    private final java.util.concurrent.CountDownLatch closing = new java.util.concurrent.CountDownLatch(1);
    private final Map<String, Runnable> duringCall = new ConcurrentHashMap<>();
    private final Map<String, Runnable> whileConnectWaits = new ConcurrentHashMap<>();
    private volatile Supplier<Reply> everyCall;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();

    private ScriptedEvolutionApi(Builder builder) throws IOException {
        super(builder);
    }

    public static ScriptedEvolutionApi start() throws IOException {
        return new ScriptedEvolutionApi(EvolutionSimulator.builder().globalApiKey(GLOBAL_KEY));
    }

    /** One whose global key (AUTHENTICATION_API_KEY) is {@code globalKey}: a server of a fleet with a key of its own. */
    public static ScriptedEvolutionApi startWithKey(String globalKey) throws IOException {
        return new ScriptedEvolutionApi(EvolutionSimulator.builder().globalApiKey(globalKey));
    }

    /** The same, built from {@code builder} (rotation, webhooks...) with {@link #GLOBAL_KEY} as its global key. */
    public static ScriptedEvolutionApi start(Builder builder) throws IOException {
        return new ScriptedEvolutionApi(builder.globalApiKey(GLOBAL_KEY));
    }

    /** Answers {@code reply} to every {@code call} for {@code name}. */
    public void fault(String name, EvolutionCall call, Reply reply) {
        faults.put(call.pathSegment() + "/" + name, () -> reply);
    }

    /** Answers {@code reply} to every call for every instance (Evolution down); null restores normal answers. */
    public void failEveryCall(Reply reply) {
        everyCall = reply == null ? null : () -> reply;
    }

    public void delay(String name, Duration delay) {
        delays.put(name, delay);
    }

    /** Runs {@code action} while a call for {@code name} is in flight, before it is answered. */
    public void duringCall(String name, EvolutionCall call, Runnable action) {
        duringCall.put(call.pathSegment() + "/" + name, action);
    }

    /**
     * Runs {@code action} while connect on the closed instance waits before answering, as Evolution's 2 s: e.g.
     * {@code rotate(name)}, the new socket's first QR arriving in time for the reply.
     */
    public void whileConnectWaits(String name, Runnable action) {
        whileConnectWaits.put(name, action);
    }

    @Override
    protected void whileConnectWaits(String name) {
        Runnable action = whileConnectWaits.get(name);
        if (action != null) {
            action.run();
        }
    }

    public void clearFaults() {
        faults.clear();
        whileConnectWaits.clear();
        delays.clear();
        duringCall.clear();
        everyCall = null;
        maxInFlight.set(0);
    }

    /** The most calls that were in flight at once since the last {@link #clearFaults()}. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    @Override
    protected Reply answer(EvolutionCall call, String name, String apiKey, String number) {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try {
            return scriptedAnswer(call, name, apiKey, number);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private Reply scriptedAnswer(EvolutionCall call, String name, String apiKey, String number) {
        Duration delay = delays.get(name);
        if (delay != null) {
            // a slow server: the reply is held for the delay, or until the server closes
            try {
                closing.await(delay.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Runnable action = duringCall.get(call.pathSegment() + "/" + name);
        if (action != null) {
            action.run();
        }
        Supplier<Reply> all = everyCall;
        if (all != null) {
            return all.get();
        }
        Supplier<Reply> fault = faults.get(call.pathSegment() + "/" + name);
        return fault != null ? fault.get() : super.answer(call, name, apiKey, number);
    }

    @Override
    public void close() {
        closing.countDown();
        super.close();
    }
}
