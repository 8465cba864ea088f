package io.userv2.switchd.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.FutureCallback;

/** An in-memory {@link ControlPlane}: what the API tests drive instead of a running switch. */
final class FakeControlPlane implements ControlPlane {
    final Map<String, String> leases = new LinkedHashMap<>(Map.of("192.168.104.3", "52:55:55:12:34:56"));
    final List<Forward> forwards = new ArrayList<>();
    final List<DnsZoneSpec> zones = new ArrayList<>();
    /** What probeTcp answers. */
    final AtomicBoolean portOpen = new AtomicBoolean();
    final AtomicInteger probes = new AtomicInteger();
    volatile RuntimeException statsFailure;
    /** What hasGateway answers (false: a --no-gateway switch). */
    volatile boolean gateway = true;

    @Override
    public boolean hasGateway() {
        return gateway;
    }

    @Override
    public synchronized Map<String, String> leases() {
        return Map.copyOf(leases);
    }

    @Override
    public synchronized Map<String, Integer> cam() {
        return Map.of("52:55:55:12:34:56", 3);
    }

    @Override
    public synchronized void expose(Forward forward) throws ApiException {
        if (forward.local().endsWith(":1")) {
            throw new ApiException(500, "cannot bind " + forward.local() + ": Permission denied");
        }
        for (Forward f : forwards) {
            if (f.local().equals(forward.local()) && f.protocol().equals(forward.protocol())) {
                throw new ApiException(500, "proxy already running for " + forward.protocol() + " on " + forward.local());
            }
        }
        forwards.add(forward);
    }

    @Override
    public synchronized void unexpose(String local, String protocol) throws ApiException {
        if (!forwards.removeIf(f -> f.local().equals(local) && f.protocol().equals(protocol))) {
            throw new ApiException(500, "proxy not found");
        }
    }

    @Override
    public synchronized List<Forward> forwards() {
        return List.copyOf(forwards);
    }

    @Override
    public synchronized void addDnsZone(DnsZoneSpec zone) {
        zones.removeIf(z -> z.name().equals(zone.name()));
        zones.add(zone);
    }

    @Override
    public synchronized List<DnsZoneSpec> dnsZones() {
        return List.copyOf(zones);
    }

    @Override
    public Map<String, Object> stats() {
        if (statsFailure != null) {
            throw statsFailure;
        }
        return Map.of("ports", List.of(Map.of("name", "vm0", "framesIn", 10, "framesOut", 12, "bytesIn", 1000,
                "bytesOut", 1200)));
    }

    @Override
    public String metrics() {
        return "# HELP userv2_frames_total Frames switched.\n# TYPE userv2_frames_total counter\n"
                + "userv2_frames_total{port=\"vm0\",direction=\"in\"} 10\n";
    }

    /** The tunnels asked for, as "IP:PORT". */
    final List<String> tunnels = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * A tunnel to a fake guest service: it says "hello IP:PORT\n", then echoes every byte the client sends (the
     * bytes that came behind the request first) until the client shuts its side, and closes.
     */
    @Override
    public void tunnel(String ip, int port, EndPoint client, ByteBuffer prefix) {
        tunnels.add(ip + ":" + port);
        Thread t = new Thread(() -> {
            try {
                write(client, ByteBuffer.wrap(("hello " + ip + ":" + port + "\n").getBytes(StandardCharsets.UTF_8)));
                if (prefix.hasRemaining()) {
                    write(client, prefix.duplicate());
                }
                ByteBuffer buffer = BufferUtil.allocate(4096);
                while (true) {
                    BufferUtil.clear(buffer);
                    int n = client.fill(buffer);
                    if (n < 0) {
                        break;
                    }
                    if (n == 0) {
                        FutureCallback readable = new FutureCallback();
                        client.fillInterested(readable);
                        readable.get(10, TimeUnit.SECONDS);
                        continue;
                    }
                    write(client, buffer);
                }
            } catch (Exception e) {
                // the client went
            } finally {
                client.close();
            }
        }, "fake-tunnel");
        t.setDaemon(true);
        t.start();
    }

    private static void write(EndPoint client, ByteBuffer data) throws Exception {
        FutureCallback done = new FutureCallback();
        client.write(done, data);
        done.get(10, TimeUnit.SECONDS);
    }

    @Override
    public CompletableFuture<Boolean> probeTcp(String ip, int port) {
        probes.incrementAndGet();
        if (ip.equals("10.9.9.9")) {
            throw new IllegalArgumentException("10.9.9.9 is not on the virtual network");
        }
        // Complete on another thread, as the switch's event loop would.
        return CompletableFuture.supplyAsync(portOpen::get);
    }
}
