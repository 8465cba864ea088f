package io.userv2.switchd.api;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A deadline for each request head: a connection that has not sent a complete request head within the timeout,
 * counted from its connect or from the end of its previous answer, is closed (no answer; the client sees EOF).
 *
 * <p>Unlike an idle timeout, the deadline is not pushed back by each byte that trickles in, so a client sending one
 * byte a second cannot hold its connection for long. Once the head is complete ({@link #wrap wrapped} handler
 * reached), the deadline is lifted for the whole call: a long poll such as wait_port answers when it is ready, and
 * a body still arriving is watched by the connection's idle timeout.
 *
 * <p>Add it to the connector as a {@link Connection.Listener} (arms at open, disarms at close) and put
 * {@link #wrap} outermost in the handler chain (disarms at the head, re-arms once the answer is written).
 */
final class RequestDeadline implements Connection.Listener {
    private static final System.Logger LOG = System.getLogger(RequestDeadline.class.getName());

    private final Scheduler scheduler;
    private final long timeoutMillis;
    private final Map<Connection, Deadline> armed = new ConcurrentHashMap<>();
    private final AtomicLong expired = new AtomicLong();

    RequestDeadline(Scheduler scheduler, long timeoutMillis) {
        this.scheduler = scheduler;
        this.timeoutMillis = timeoutMillis;
    }

    /** The connections closed so far because their request head did not come in time. */
    long expired() {
        return expired.get();
    }

    @Override
    public void onOpened(Connection connection) {
        arm(connection);
    }

    @Override
    public void onClosed(Connection connection) {
        disarm(connection);
    }

    /** {@code handler}, lifting the deadline while it answers and setting a fresh one when the answer is written. */
    Handler wrap(Handler handler) {
        return new Handler.Wrapper(handler) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                Connection connection = request.getConnectionMetaData().getConnection();
                disarm(connection);
                return super.handle(request, response, new Callback.Nested(callback) {
                    @Override
                    public void succeeded() {
                        // Before the connection goes on to parse the next request on it.
                        arm(connection);
                        super.succeeded();
                    }

                    @Override
                    public void failed(Throwable failure) {
                        // Jetty answers the failure itself and may keep the connection: it gets a deadline too.
                        arm(connection);
                        super.failed(failure);
                    }
                });
            }
        };
    }

    private void arm(Connection connection) {
        if (!connection.getEndPoint().isOpen()) {
            return;
        }
        Deadline deadline = new Deadline(connection);
        Deadline old = armed.put(connection, deadline);
        if (old != null) {
            old.cancel();
        }
        deadline.task = scheduler.schedule(deadline, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void disarm(Connection connection) {
        Deadline deadline = armed.remove(connection);
        if (deadline != null) {
            deadline.cancel();
        }
    }

    /** One armed deadline; it acts only while it is still the one armed for its connection. */
    private final class Deadline implements Runnable {
        private final Connection connection;
        private volatile Scheduler.Task task;

        Deadline(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void run() {
            if (armed.remove(connection, this)) {
                expired.incrementAndGet();
                LOG.log(System.Logger.Level.DEBUG, () -> "API connection sent no complete request head within "
                        + timeoutMillis + " ms; closing it");
                connection.getEndPoint().close();
            }
        }

        void cancel() {
            Scheduler.Task scheduled = task;
            if (scheduled != null) {
                scheduled.cancel();
            }
        }
    }
}
