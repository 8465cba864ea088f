package io.userv2.switchd.api;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * {@code GET /extension/wait_port?ip=IP&port=PORT&timeout=SECONDS} (Lima's own call): probes {@code ip:port} through
 * the virtual network once a second until it opens (200) or {@code timeout} seconds pass (408).
 *
 * <p>No thread waits: each attempt is a {@link ControlPlane#probeTcp} future, the pause between attempts and the
 * deadline are scheduler tasks, and the answer completes a future. Completing that future from outside (a failure of
 * the request) stops the polling. Jetty does not read from a connection while its request is being answered, so a
 * client that simply disconnects is noticed only when the answer is written: its wait goes on until the port opens
 * or the deadline passes (bounded by {@value #MAX_TIMEOUT_SECONDS} s; it costs one probe a second and no thread).
 */
final class WaitPort {
    /** Seconds waited when the client names no timeout, or an empty one (as Lima's usernet does). */
    static final int DEFAULT_TIMEOUT_SECONDS = 10;
    /** The largest timeout taken: Lima parses it as a 16-bit unsigned number and answers 400 beyond. */
    static final int MAX_TIMEOUT_SECONDS = 65_535;
    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final System.Logger LOG = System.getLogger(WaitPort.class.getName());

    private final ControlPlane plane;
    private final Scheduler scheduler;
    private final Executor executor;
    private final String ip;
    private final int port;
    private final CompletableFuture<Reply> result = new CompletableFuture<>();

    private WaitPort(ControlPlane plane, Scheduler scheduler, Executor executor, String ip, int port) {
        this.plane = plane;
        this.scheduler = scheduler;
        this.executor = executor;
        this.ip = ip;
        this.port = port;
    }

    /**
     * Validates the query and starts polling.
     *
     * @param active counts the waits in progress (incremented now, decremented when the answer is decided)
     * @param executor runs the reaction to each probe's result, so it never runs on the thread that completed the
     *     probe (which may be the switch's event loop)
     * @return completes with 200 when the port opened, 408 at the deadline, 400 when the control plane rejects the
     *     address
     * @throws ApiException 400 for a missing or malformed ip, port or timeout; 409 on a switch without a gateway
     */
    static CompletableFuture<Reply> start(ControlPlane plane, Scheduler scheduler, Executor executor,
            AtomicInteger active, Map<String, String> query) throws ApiException {
        String ip = ApiInput.ipLiteral(query.get("ip"), "ip");
        int port = ApiInput.port(query.get("port"), "port");
        int timeout = timeoutSeconds(query.get("timeout"));
        ApiRoutes.requireGateway(plane, "wait_port probes through the gateway's NAT");
        WaitPort wait = new WaitPort(plane, scheduler, executor, ip, port);
        Scheduler.Task deadline = scheduler.schedule(() -> wait.result.complete(
                Reply.error(408, ip + ":" + port + " did not open within " + timeout + " s")), timeout, TimeUnit.SECONDS);
        active.incrementAndGet();
        wait.result.whenComplete((reply, failure) -> {
            deadline.cancel();
            active.decrementAndGet();
        });
        wait.attempt();
        return wait.result;
    }

    /**
     * The timeout parameter as Lima's usernet reads it: absent or empty means {@value #DEFAULT_TIMEOUT_SECONDS}; a
     * decimal number from 0 (gives up at once: 408) to {@value #MAX_TIMEOUT_SECONDS}; anything else is a 400.
     */
    static int timeoutSeconds(String text) throws ApiException {
        if (text == null || text.isEmpty()) {
            return DEFAULT_TIMEOUT_SECONDS;
        }
        if (!text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiException.badRequest("timeout: not a number of seconds: " + ApiInput.echo(text));
        }
        String digits = text.replaceFirst("^0+", "");
        if (digits.length() > 5 || (!digits.isEmpty() && Integer.parseInt(digits) > MAX_TIMEOUT_SECONDS)) {
            throw ApiException.badRequest("timeout: more than " + MAX_TIMEOUT_SECONDS + " s: " + ApiInput.echo(text));
        }
        return digits.isEmpty() ? 0 : Integer.parseInt(digits);
    }

    private void attempt() {
        if (result.isDone()) {
            return;
        }
        long started = System.nanoTime();
        CompletableFuture<Boolean> probe;
        try {
            probe = plane.probeTcp(ip, port);
        } catch (IllegalArgumentException e) {
            result.complete(Reply.error(400, "cannot probe " + ip + ":" + port + ": " + e.getMessage()));
            return;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "wait_port probe of " + ip + ":" + port + " failed", e);
            probe = null;
        }
        if (probe == null) {
            probe = CompletableFuture.completedFuture(false);
        }
        probe.whenCompleteAsync((open, failure) -> {
            if (Boolean.TRUE.equals(open)) {
                result.complete(Reply.ok());
            } else if (!result.isDone()) {
                long pause = INTERVAL_NANOS - (System.nanoTime() - started);
                scheduler.schedule(this::attempt, Math.max(pause, 0), TimeUnit.NANOSECONDS);
            }
        }, executor);
    }
}
