package io.userv2.switchd.api;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

/**
 * The Jetty side of the API: finds the route (404 unknown path; a wrong method is 400 "post only" on a POST call,
 * as gvproxy answers, and 405 on a GET call; {@value #TUNNEL} takes the connection over), reads a POST body without
 * blocking (at most {@code maxBody} bytes; a larger body is a 413), calls the endpoint and writes its {@link Reply}.
 * Nothing thrown below escapes as a stack trace: {@link ApiException}s become their status, anything else a one-line
 * 500.
 */
final class ApiHandler extends Handler.Abstract {
    private static final System.Logger LOG = System.getLogger(ApiHandler.class.getName());

    /** gvproxy's tunnel endpoint; any method, the connection is taken over ({@link TunnelCall}). */
    static final String TUNNEL = "/tunnel";

    private final Map<String, ApiRoutes.Route> routes;
    private final int maxBody;
    private final ControlPlane tunnels;
    private final Executor executor;

    /** Serves {@code routes} only. */
    ApiHandler(Map<String, ApiRoutes.Route> routes, int maxBody) {
        this(routes, maxBody, null, null);
    }

    /**
     * Serves {@code routes}, and {@value #TUNNEL} through {@code tunnels} when it is not null.
     *
     * @param executor runs a taken-over connection's callbacks
     */
    ApiHandler(Map<String, ApiRoutes.Route> routes, int maxBody, ControlPlane tunnels, Executor executor) {
        this.routes = routes;
        this.maxBody = maxBody;
        this.tunnels = tunnels;
        this.executor = executor;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        try {
            String path = Request.getPathInContext(request);
            if (tunnels != null && path.equals(TUNNEL)) {
                TunnelCall.start(tunnels, query(request), request, executor);
                return true; // no answer: the connection is the tunnel's now
            }
            ApiRoutes.Route route = routes.get(path);
            if (route == null) {
                return send(response, callback, Reply.error(404, "no such API path: " + ApiInput.echo(path)));
            }
            String method = request.getMethod();
            if (!route.method().equals(method)) {
                response.getHeaders().put(HttpHeader.ALLOW, route.method());
                // gvproxy answers another method on its POST calls with 400 "post only"; its clients see that.
                int status = route.method().equals("POST") ? 400 : 405;
                return send(response, callback, Reply.error(status, (status == 400 ? "post only: " : "") + "method "
                        + ApiInput.echo(method) + " not allowed on " + path + "; use " + route.method()));
            }
            Map<String, String> query = query(request);
            String peer = peer(request);
            if (request.getLength() > maxBody) {
                return send(response, callback, tooLarge());
            }
            if (route.method().equals("POST")) {
                // BLOCKING: the continuation calls the control plane, so Jetty runs it on a pool thread.
                Content.Source.asByteArrayAsync(request, maxBody, Promise.Invocable.from(InvocationType.BLOCKING,
                        (byte[] body, Throwable failure) -> {
                            if (failure != null) {
                                send(response, callback, readFailure(failure));
                            } else {
                                dispatch(route, new Endpoint.Call(query, body, peer), request, response, callback);
                            }
                        }));
            } else {
                dispatch(route, new Endpoint.Call(query, new byte[0], peer), request, response, callback);
            }
            return true;
        } catch (ApiException e) {
            return send(response, callback, Reply.of(e));
        } catch (RuntimeException e) {
            return send(response, callback, internal(e));
        }
    }

    private static void dispatch(ApiRoutes.Route route, Endpoint.Call call, Request request, Response response,
            Callback callback) {
        CompletableFuture<Reply> answer;
        try {
            answer = route.endpoint().call(call);
        } catch (ApiException e) {
            answer = CompletableFuture.completedFuture(Reply.of(e));
        } catch (RuntimeException e) {
            answer = CompletableFuture.completedFuture(internal(e));
        }
        if (answer == null) {
            answer = CompletableFuture.completedFuture(internal(new IllegalStateException("no answer")));
        }
        Throwable[] gone = new Throwable[1];
        if (!answer.isDone()) {
            CompletableFuture<Reply> pending = answer;
            if (route.longPoll()) {
                // Waiting is the point of this call: the connection's idle timeout must not fail it.
                request.addIdleTimeoutListener(timeout -> false);
            }
            // The connection went (the client left, or the server is stopping): stop the work, and fail the
            // exchange with the connection's own failure, which Jetty takes quietly (a CancellationException of
            // ours made it try to write a 500 and log it with a stack trace).
            request.addFailureListener(failure -> {
                gone[0] = failure;
                pending.cancel(false);
            });
        }
        answer.whenComplete((reply, failure) -> {
            if (failure instanceof CancellationException) {
                callback.failed(gone[0] != null ? gone[0] : failure);
            } else {
                send(response, callback, reply != null ? reply : internal(failure));
            }
        });
    }

    /** The caller's IP address when it came over IP (the guest API), else null (the unix socket). */
    private static String peer(Request request) {
        return request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress inet
                && inet.getAddress() != null ? inet.getAddress().getHostAddress() : null;
    }

    /** The first value of each query parameter; a 400 when the query does not decode. */
    private static Map<String, String> query(Request request) throws ApiException {
        if (request.getHttpURI().getQuery() == null) {
            return Map.of();
        }
        Fields fields;
        try {
            fields = Request.extractQueryParameters(request);
        } catch (RuntimeException e) {
            throw ApiException.badRequest("bad query string: " + e.getMessage());
        }
        Map<String, String> query = new HashMap<>();
        for (Fields.Field field : fields) {
            query.put(field.getName(), field.getValue());
        }
        return query;
    }

    private Reply tooLarge() {
        return Reply.error(413, "request body is too large: more than " + maxBody + " bytes");
    }

    private Reply readFailure(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof HttpException http) {
            if (http.getCode() == 413) {
                return tooLarge();
            }
            return Reply.error(http.getCode(), "cannot read the request body: " + cause.getMessage());
        }
        return Reply.error(400, "cannot read the request body: " + cause);
    }

    private static Reply internal(Throwable failure) {
        LOG.log(System.Logger.Level.WARNING, "API call failed", failure);
        return Reply.error(500, "internal error: " + failure);
    }

    /** Writes {@code reply}; completes {@code callback} when written (or failed). */
    private static boolean send(Response response, Callback callback, Reply reply) {
        try {
            response.setStatus(reply.status());
            if (reply.contentType() != null) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
            }
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
            response.write(true, ByteBuffer.wrap(reply.body()), callback);
        } catch (RuntimeException e) {
            callback.failed(e);
        }
        return true;
    }
}
