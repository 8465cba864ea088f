package io.userv2.switchd;

import io.userv2.dns.DnsZone;
import io.userv2.dns.DnsZoneRecord;
import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.dhcp6.Dhcp6Lease;
import io.userv2.stack.dhcp6.Dhcp6Server;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.switchd.api.ApiException;
import io.userv2.switchd.api.ControlPlane;
import io.userv2.switchd.api.DnsRecordSpec;
import io.userv2.switchd.api.DnsZoneSpec;
import io.userv2.switchd.api.Forward;
import io.userv2.switchd.forward.ForwardSpec;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortCounters;
import io.userv2.switchd.port.PortDropReason;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.EndPoint;

/**
 * The HTTP API's view of a running {@link VirtualNetwork}. API threads call it; whatever touches the switch, the
 * gateway or the forwards runs on the event loop (handed over and waited for), the DNS zone is thread-safe itself.
 */
public final class NetworkControlPlane implements ControlPlane {
    private static final long LOOP_TIMEOUT_SECONDS = 5;
    private static final long PROBE_TIMEOUT_NANOS = 2_000_000_000L;

    private final VirtualNetwork net;

    /** The control plane of {@code net}. */
    public NetworkControlPlane(VirtualNetwork net) {
        this.net = net;
    }

    /** A task run on the event loop, allowed to throw an API error. */
    private interface LoopTask<T> {
        T run() throws ApiException;
    }

    private <T> T onLoop(LoopTask<T> task) throws ApiException {
        CompletableFuture<T> f = new CompletableFuture<>();
        net.loop().execute(() -> {
            try {
                f.complete(task.run());
            } catch (ApiException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        try {
            return f.get(LOOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiException api) {
                throw api;
            }
            throw new ApiException(500, "internal error: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new ApiException(503, "the switch did not answer within " + LOOP_TIMEOUT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted");
        }
    }

    private <T> T onLoopUnchecked(LoopTask<T> task) {
        try {
            return onLoop(task);
        } catch (ApiException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public boolean hasGateway() {
        return !net.config().vxlan().noGateway();
    }

    @Override
    public Map<String, String> leases() {
        return onLoopUnchecked(() -> {
            long nowMillis = System.currentTimeMillis();
            Map<String, String> out = new LinkedHashMap<>();
            // The gateway's own address first, as gvproxy's and Lima's lease lists have it (their clients and
            // end-to-end checks look for it).
            out.put(net.config().gatewayIp().toString(), net.config().gatewayMac().toString());
            for (Lease l : listedLeases(net, nowMillis)) {
                out.put(l.ip().toString(), l.mac().toString());
            }
            return out;
        });
    }

    /**
     * The leases the lease list shows (besides the gateway's own entry) and {@code /stats} and {@code /metrics}
     * count: those in force at {@code nowMillis} and every static lease (its address is its MAC's whether bound or
     * not). Released and expired dynamic leases are left out, although the server keeps their associations (the MAC
     * gets the same address back). Call on the loop.
     */
    static List<Lease> listedLeases(VirtualNetwork net, long nowMillis) {
        List<Lease> out = new ArrayList<>();
        for (Lease l : net.services().dhcp().leases()) {
            if (l.isActiveAt(nowMillis) || l.staticLease()) {
                out.add(l);
            }
        }
        return out;
    }

    @Override
    public Map<String, Integer> cam() {
        return onLoopUnchecked(() -> net.learningSwitch().cam());
    }

    @Override
    public void expose(Forward forward) throws ApiException {
        ForwardSpec spec;
        try {
            spec = ForwardSpec.of(forward.protocol(), forward.local(), forward.remote());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        onLoop(() -> {
            try {
                net.forwards().expose(spec);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(e.getMessage()); // an IPv6 guest while IPv6 is off
            } catch (IllegalStateException e) {
                // gvproxy's answer, word for word: its clients (and its end-to-end tests) look for the phrase.
                throw new ApiException(500, "proxy already running for " + spec.protocol() + " on " + spec.localText());
            } catch (IOException e) {
                throw new ApiException(500, "cannot listen on " + spec.localText() + ": " + e.getMessage(), e);
            }
            return null;
        });
    }

    @Override
    public void unexpose(String local, String protocol) throws ApiException {
        onLoop(() -> {
            if (!net.forwards().unexpose(protocol, local)) {
                throw new ApiException(500, "proxy not found"); // gvproxy's status and words
            }
            return null;
        });
    }

    @Override
    public List<Forward> forwards() {
        return onLoopUnchecked(() -> net.forwards().list().stream()
                .map(f -> new Forward(f.localText(), f.remoteText(), f.protocol())).toList());
    }

    @Override
    public void addDnsZone(DnsZoneSpec zone) throws ApiException {
        try {
            List<DnsZoneRecord> records = new ArrayList<>();
            if (zone.records() != null) {
                for (DnsRecordSpec r : zone.records()) {
                    records.add(new DnsZoneRecord(r.name(), ip(r.ip())));
                }
            }
            InetAddress defaultIp = zone.defaultIp() == null || zone.defaultIp().isEmpty() ? null : ip(zone.defaultIp());
            net.services().dns().zone().addZone(new DnsZone(zone.name(), records, defaultIp));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw ApiException.badRequest("bad zone: " + e.getMessage());
        }
    }

    private static InetAddress ip(String text) {
        return Ipv4Address.parse(text).toInetAddress();
    }

    @Override
    public List<DnsZoneSpec> dnsZones() {
        List<DnsZoneSpec> out = new ArrayList<>();
        for (DnsZone z : net.services().dns().zone().zones()) {
            List<DnsRecordSpec> records = z.records().stream()
                    .map(r -> new DnsRecordSpec(r.name(), r.ip().getHostAddress())).toList();
            out.add(new DnsZoneSpec(z.name(), records, z.defaultIp() == null ? null : z.defaultIp().getHostAddress()));
        }
        return out;
    }

    @Override
    public Map<String, Object> stats() {
        return onLoopUnchecked(() -> NetworkStats.collect(net));
    }

    @Override
    public String metrics() {
        return onLoopUnchecked(() -> NetworkStats.prometheus(net));
    }

    @Override
    public CompletableFuture<Boolean> probeTcp(String ip, int port) {
        IpAddress guest = guestAddress(ip);
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        net.loop().execute(() -> net.nat().probe(guest, port, PROBE_TIMEOUT_NANOS)
                .whenComplete((open, error) -> result.complete(error == null && open)));
        return result;
    }

    @Override
    public void tunnel(String ip, int port, EndPoint client, ByteBuffer prefix) {
        IpAddress guest = guestAddress(ip);
        net.loop().execute(() -> {
            if (!net.nat().openToGuest(guest, port, client, prefix)) {
                System.getLogger(NetworkControlPlane.class.getName()).log(System.Logger.Level.WARNING,
                        "tunnel to " + ip + ":" + port + ": connection limit reached; closed the client");
            }
        });
    }

    /** An IPv4 or IPv6 literal (checked by the API already) as the address of a guest. */
    private static IpAddress guestAddress(String ip) {
        return ip.indexOf(':') >= 0 ? Ipv6Address.parse(ip) : Ipv4Address.parse(ip);
    }

    @Override
    public Map<String, String> leases6() {
        return onLoopUnchecked(() -> {
            Map<String, String> out = new LinkedHashMap<>();
            GatewayIpv6 v6 = net.gateway().ipv6();
            if (v6 == null) {
                return out;
            }
            out.put(v6.address().toString(), net.config().gatewayMac().toString());
            Ipv6Prefix prefix = v6.config().prefix();
            // the DHCPv6 leases first, then every address in the prefix the gateway heard a guest use (SLAAC,
            // privacy addresses)
            Dhcp6Server dhcp6 = net.services().dhcp6();
            if (dhcp6 != null) {
                long nowMillis = System.currentTimeMillis();
                for (Dhcp6Lease l : dhcp6.leases()) {
                    if (l.isActiveAt(nowMillis)) {
                        out.putIfAbsent(Ipv6Address.of(l.address()).toString(), l.mac().toString());
                    }
                }
            }
            new TreeMap<>(v6.neighbors().snapshot()).forEach((a, mac) -> {
                if (prefix.contains(a)) {
                    out.putIfAbsent(a.toString(), mac.toString());
                }
            });
            return out;
        });
    }

    /** Counters of one port as a JSON object. */
    static Map<String, Object> portStats(Port p) {
        PortCounters c = p.counters();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("framesIn", c.framesIn());
        m.put("bytesIn", c.bytesIn());
        m.put("framesOut", c.framesOut());
        m.put("bytesOut", c.bytesOut());
        m.put("dropsQueueFull", c.dropsQueueFull());
        m.put("dropsRunt", c.dropsRunt());
        m.put("framingErrors", c.framingErrors());
        Map<String, Object> drops = new LinkedHashMap<>();
        for (PortDropReason r : PortDropReason.values()) {
            drops.put(r.label(), c.drops(r));
        }
        m.put("drops", drops);
        m.put("budgetPauses", c.budgetPauses());
        m.put("macEntries", p.macEntries());
        return m;
    }
}
