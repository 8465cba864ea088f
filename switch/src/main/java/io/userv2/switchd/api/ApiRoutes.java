package io.userv2.switchd.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The API's calls: which path answers to which method, and what each does with the {@link ControlPlane}.
 * Transport-free: bodies come in as bytes, answers go out as {@link Reply}.
 */
final class ApiRoutes {
    /**
     * A path's method and implementation.
     *
     * @param method GET or POST
     * @param longPoll true when the answer may take long (the connection's idle timeout must not cut it)
     * @param endpoint the implementation
     */
    record Route(String method, boolean longPoll, Endpoint endpoint) {
    }

    /**
     * The JSON mapping: field names as the records declare them but matched case-insensitively (as Go's
     * encoding/json does), unknown fields ignored (gvproxy's records carry more), trailing garbage refused.
     */
    static ObjectMapper json() {
        return Json.MAPPER;
    }

    /** Made at the first JSON request: Jackson's databind is about 340 classes and 6 MB of metaspace. */
    private static final class Json {
        static final ObjectMapper MAPPER = JsonMapper.builder()
                .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    private ApiRoutes() {
    }

    /**
     * The routes by exact path.
     *
     * @param activeWaits counts the wait_port calls in progress
     */
    static Map<String, Route> create(ControlPlane plane, Scheduler scheduler, Executor executor,
            AtomicInteger activeWaits) {
        Map<String, Route> routes = new LinkedHashMap<>();
        routes.put("/services/dhcp/leases", get(call -> json(plane.leases())));
        // gvproxy serves these two at the top level as well: the same leases, and its switch's MAC table.
        routes.put("/leases", get(call -> json(plane.leases())));
        routes.put("/services/dhcp/leases6", get(call -> json(plane.leases6())));
        routes.put("/cam", get(call -> json(plane.cam())));
        routes.putAll(forwarder(plane));
        routes.put("/services/dns/add", post(call -> {
            requireGateway(plane, "DNS zones are served by the gateway's DNS");
            plane.addDnsZone(ApiInput.zone(read(call, DnsZoneSpec.class)));
            return done(Reply.ok());
        }));
        routes.put("/services/dns/all", get(call -> json(asGvproxyLists(plane.dnsZones()))));
        routes.put("/stats", get(call -> json(plane.stats())));
        routes.put("/metrics", get(call -> done(Reply.ok(Reply.PROMETHEUS,
                String.valueOf(plane.metrics()).getBytes(StandardCharsets.UTF_8)))));
        routes.put("/extension/wait_port", new Route("GET", true,
                call -> WaitPort.start(plane, scheduler, executor, activeWaits, call.query())));
        return Map.copyOf(routes);
    }

    /**
     * The three calls gvproxy serves to guests at the gateway's port 80 as well: list, expose, unexpose. A guest's
     * expose may leave the remote host out ({@code "remote": ":8080"}): it means the caller, as in gvproxy.
     */
    static Map<String, Route> forwarder(ControlPlane plane) {
        Map<String, Route> routes = new LinkedHashMap<>();
        routes.put("/services/forwarder/expose", post(call -> {
            requireGateway(plane, "forwards go through the gateway");
            plane.expose(ApiInput.expose(callerAsRemote(read(call, Forward.class), call.peer())));
            return done(Reply.ok());
        }));
        routes.put("/services/forwarder/unexpose", post(call -> {
            requireGateway(plane, "forwards go through the gateway");
            Forward forward = ApiInput.unexpose(read(call, Forward.class));
            plane.unexpose(forward.local(), forward.protocol());
            return done(Reply.ok());
        }));
        // Sorted by local address, then protocol (byte order), as gvproxy lists them.
        routes.put("/services/forwarder/all", get(call -> json(plane.forwards().stream()
                .sorted(Comparator.comparing(Forward::local).thenComparing(Forward::protocol)).toList())));
        return routes;
    }

    /**
     * Refuses a call that needs the LAN's gateway on a switch that has none ({@code --no-gateway}): 409 Conflict (the
     * request is fine, the switch's mode is not), saying why and where to go instead.
     *
     * @param why what the call needs the gateway for
     */
    static void requireGateway(ControlPlane plane, String why) throws ApiException {
        if (!plane.hasGateway()) {
            throw new ApiException(409, "this switch has no gateway (--no-gateway): " + why + "; call the API of the"
                    + " host that runs the LAN's gateway");
        }
    }

    /**
     * The zones as gvproxy lists them: each record with {@code "Regexp": null} (gvproxy's records may match by regular
     * expression; ours never do) and {@code "DefaultIP": ""} when there is none (Go's encoding of an empty net.IP).
     */
    private static List<Map<String, Object>> asGvproxyLists(List<DnsZoneSpec> zones) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (DnsZoneSpec z : zones) {
            List<Map<String, Object>> records = new ArrayList<>();
            for (DnsRecordSpec r : z.records() == null ? List.<DnsRecordSpec>of() : z.records()) {
                Map<String, Object> record = new LinkedHashMap<>();
                record.put("Name", r.name());
                record.put("IP", r.ip());
                record.put("Regexp", null);
                records.add(record);
            }
            Map<String, Object> zone = new LinkedHashMap<>();
            zone.put("Name", z.name());
            zone.put("Records", records);
            zone.put("DefaultIP", z.defaultIp() == null ? "" : z.defaultIp());
            out.add(zone);
        }
        return out;
    }

    /** {@code ":8080"} as the remote of a tcp or udp forward means the caller's own address, when it has one. */
    private static Forward callerAsRemote(Forward f, String peer) {
        if (f == null || peer == null || f.remote() == null || !f.remote().startsWith(":")
                || "unix".equalsIgnoreCase(f.protocol())) {
            return f;
        }
        // an IPv6 caller in brackets, as Go's net.JoinHostPort writes it
        return new Forward(f.local(), (peer.indexOf(':') >= 0 ? "[" + peer + "]" : peer) + f.remote(), f.protocol());
    }

    private static Route get(Endpoint endpoint) {
        return new Route("GET", false, endpoint);
    }

    private static Route post(Endpoint endpoint) {
        return new Route("POST", false, endpoint);
    }

    private static CompletableFuture<Reply> done(Reply reply) {
        return CompletableFuture.completedFuture(reply);
    }

    /** {@code value} as a JSON answer (plus a newline, as Go's json.Encoder writes). */
    static CompletableFuture<Reply> json(Object value) throws ApiException {
        try {
            byte[] bytes = json().writeValueAsBytes(value);
            byte[] withNewline = Arrays.copyOf(bytes, bytes.length + 1);
            withNewline[bytes.length] = '\n';
            return done(Reply.ok(Reply.JSON, withNewline));
        } catch (JsonProcessingException e) {
            throw new ApiException(500, "cannot encode the answer as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The body decoded as {@code type}; a 400 "bad JSON: ..." when it is not. */
    static <T> T read(Endpoint.Call call, Class<T> type) throws ApiException {
        if (call.body().length == 0) {
            throw ApiException.badRequest("bad JSON: empty body");
        }
        try {
            return json().readValue(call.body(), type);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new ApiException(400, "bad JSON: " + e.getOriginalMessage() + where, e);
        } catch (java.io.IOException e) {
            throw new ApiException(400, "bad JSON: " + e.getMessage(), e);
        }
    }
}
