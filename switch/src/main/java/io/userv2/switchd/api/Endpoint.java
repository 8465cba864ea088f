package io.userv2.switchd.api;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** One API call's implementation: from the decoded request to its reply. */
@FunctionalInterface
interface Endpoint {
    /**
     * A request that reached an endpoint, the transport already stripped away.
     *
     * @param query the query parameters (first value of each)
     * @param body the request body, empty for GET
     * @param peer the caller's IP address when it came over IP (a guest calling the gateway's port 80), null on the
     *     unix socket
     */
    record Call(Map<String, String> query, byte[] body, String peer) {
        /** A call from the unix socket (no peer address). */
        Call(Map<String, String> query, byte[] body) {
            this(query, body, null);
        }
    }

    /**
     * Answers {@code call}; the future may complete later (wait_port) and on any thread.
     *
     * @throws ApiException for a request answered with an error status
     */
    CompletableFuture<Reply> call(Call call) throws ApiException;
}
