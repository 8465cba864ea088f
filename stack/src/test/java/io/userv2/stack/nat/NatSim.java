package io.userv2.stack.nat;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.ArpCache;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayCounters;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Ipv6Config;
import io.userv2.stack.tcp.TcpConfig;
import io.userv2.stack.tcp.TrackingAllocator;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.MacAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * A whole NAT on a virtual clock: the real {@link Gateway} and {@link NatEngine}, scripted guests ({@link SimGuest},
 * each with the gateway's own TCP endpoint as its kernel) on numbered switch ports, and a {@link FakeHost}. Each
 * {@link #step} is one loop iteration as the daemon runs it; {@link #runUntil} steps and moves the clock to the next
 * deadline whenever nothing is left to do at the current time. A seeded random may drop guest-to-gateway frames.
 */
final class NatSim {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    static final MacAddress GATEWAY_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    static final Ipv4Address GATEWAY = Ipv4Address.parse("192.168.104.2");
    static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("192.168.104.0/24");
    /** A documentation address the policy maps to the host's loopback, as {@code --nat} does. */
    static final Ipv4Address REMOTE = Ipv4Address.parse("203.0.113.10");

    /** The LAN's IPv6 prefix once {@link #enableIpv6} ran, and the gateway's address in it. */
    static final Ipv6Prefix PREFIX = Ipv6Prefix.parse("fd6e:3b1c:2a00:1::/64");
    static final Ipv6Address GATEWAY6 = PREFIX.host(2);
    /** A documentation address the NAT66 policy maps to the host's {@code ::1}, as {@code --nat} does. */
    static final Ipv6Address REMOTE6 = Ipv6Address.parse("2001:db8::10");

    final TrackingAllocator alloc = new TrackingAllocator();
    final FakeHost host = new FakeHost();
    final Gateway gateway;
    final NatEngine engine;
    final NatConfig config;
    final NatPolicy policy;
    final List<SimGuest> guests = new ArrayList<>();
    final ArrayDeque<ByteBuf> toGuests = new ArrayDeque<>();
    final List<String> faults = new ArrayList<>();
    final List<String> portsAtCap = new ArrayList<>();
    final Random random;
    /** Share of guest-to-gateway frames lost on the wire. */
    double loss;
    /** Whether every IPv4 TCP segment from a guest reaches the gateway with its checksum field spoiled. */
    boolean spoilTcpChecksums;
    long now = 1_000 * S;
    int egressQueued;

    NatSim(NatConfig config, long seed) {
        this(config, seed, new NatPolicy(SUBNET, GATEWAY, Map.of(REMOTE, Ipv4Address.parse("127.0.0.1")), false));
    }

    /** A sim whose NAT goes where {@code policy} says. */
    NatSim(NatConfig config, long seed, NatPolicy policy) {
        this.config = config;
        this.policy = policy;
        this.random = new Random(seed);
        gateway = new Gateway(GATEWAY_MAC, GATEWAY, SUBNET, toGuests::add, alloc, new GatewayCounters(),
                new ArpCache());
        NatObserver observer = new NatObserver() {
            @Override
            public void flowFailed(String flow, Throwable failure) {
                faults.add(flow + ": " + failure);
            }

            @Override
            public void portAtCap(int owner, OwnerQuotas.Kind kind, int cap, long refused) {
                portsAtCap.add(owner + " " + kind + " " + cap + " " + refused);
            }
        };
        engine = new NatEngine(gateway, policy, config, alloc, host, mac -> egressQueued, observer, new byte[16]);
        gateway.setIpv4Forwarder(engine);
        host.engine = engine;
    }

    /**
     * Turns IPv6 on (NAT66): the gateway at {@link #GATEWAY6} on {@link #PREFIX}, whose addresses reach the host's
     * {@code ::1}, {@link #REMOTE6} mapped to {@code ::1}, and nothing else outside.
     */
    NatSim enableIpv6() {
        return enableIpv6(null);
    }

    /** As {@link #enableIpv6()}, with NAT64 for {@code nat64} (null: off) through the sim's IPv4 policy. */
    NatSim enableIpv6(Nat64Prefix nat64) {
        GatewayIpv6 v6 = gateway.enableIpv6(Ipv6Config.of(PREFIX, GATEWAY6, List.of()), new Random(7), now);
        Nat66Policy p = new Nat66Policy(PREFIX, Set.of(v6.address(), v6.linkLocal()),
                Map.of(REMOTE6, Ipv6Address.LOOPBACK), false);
        engine.enableIpv6(v6, nat64 == null ? p : p.withNat64(new Nat64Policy(nat64, policy)));
        return this;
    }

    /** A dual-stack guest: its IPv6 address is the SLAAC one of its MAC on {@link #PREFIX}. */
    SimGuest guest6(int port, String mac, String ip) {
        MacAddress m = MacAddress.parse(mac);
        SimGuest g = new SimGuest(this, port, m, Ipv4Address.parse(ip),
                PREFIX.host(Ipv6Address.interfaceIdFromMac(m.bits())), TcpConfig.defaults().withoutKeepAlive());
        guests.add(g);
        return g;
    }

    /** Engine defaults with short timers where tests wait for them, and a guest-friendly TCP. */
    static NatConfig config() {
        return NatConfig.defaults();
    }

    /** A guest on switch port {@code port}. */
    SimGuest guest(int port, String mac, String ip, TcpConfig tcp) {
        SimGuest g = new SimGuest(this, port, MacAddress.parse(mac), Ipv4Address.parse(ip), tcp);
        guests.add(g);
        return g;
    }

    /** A guest with default TCP settings. */
    SimGuest guest(int port, String mac, String ip) {
        return guest(port, mac, ip, TcpConfig.defaults().withoutKeepAlive());
    }

    /** A frame from a guest onto the wire towards the gateway (maybe lost); the sim keeps ownership. */
    void fromGuest(SimGuest g, ByteBuf frame) {
        try {
            if (loss > 0 && random.nextDouble() < loss) {
                return;
            }
            if (spoilTcpChecksums) {
                spoilTcpChecksum(frame);
            }
            gateway.receive(frame, frame.readerIndex(), frame.readableBytes(), g.port, now);
        } finally {
            frame.release();
        }
    }

    /** Flips the TCP checksum of an IPv4 TCP segment in {@code frame} (no VLAN tag); leaves other frames alone. */
    private static void spoilTcpChecksum(ByteBuf frame) {
        int eth = frame.readerIndex();
        if (frame.getUnsignedShort(eth + 12) != 0x0800 || frame.getUnsignedByte(eth + 14 + 9) != 6) {
            return;
        }
        int checksum = eth + 14 + (frame.getUnsignedByte(eth + 14) & 0x0F) * 4 + 16;
        frame.setShort(checksum, ~frame.getUnsignedShort(checksum));
    }

    /** One loop iteration at the current time; true when something happened. */
    boolean step() {
        boolean any = host.hasEvents() || !toGuests.isEmpty() || engine.hasWork();
        host.deliver(now);
        if (engine.pollAt() - now <= 0) {
            engine.poll(now);
            any = true;
        }
        engine.flush(now);
        engine.resumeHeldBack();
        engine.flush(now);
        ByteBuf frame;
        while ((frame = toGuests.poll()) != null) {
            try {
                long dst = MacAddress.read(frame, frame.readerIndex());
                for (SimGuest g : guests) {
                    if (g.mac.bits() == dst || MacAddress.isGroup(dst)) {
                        g.receive(frame);
                    }
                }
            } finally {
                frame.release();
            }
        }
        for (SimGuest g : List.copyOf(guests)) {
            any |= g.run(now);
        }
        return any;
    }

    /** The next time anything is due: the engine's timers or a guest's. */
    long nextDeadline() {
        long next = engine.pollAt();
        for (SimGuest g : guests) {
            long d = g.pollAt();
            if (d - next < 0) {
                next = d;
            }
        }
        return next;
    }

    /**
     * Steps until {@code done}, moving the clock to the next deadline whenever nothing happens at the current time;
     * fails when {@code done} is not true within {@code limitNanos} of virtual time.
     */
    void runUntil(BooleanSupplier done, long limitNanos, String what) {
        long until = now + limitNanos;
        int idleSteps = 0;
        for (int i = 0; i < 10_000_000; i++) {
            if (done.getAsBoolean()) {
                return;
            }
            boolean any = step();
            if (any && idleSteps++ < 200) {
                continue; // more may happen at the same instant
            }
            idleSteps = 0;
            long next = nextDeadline();
            long advance = next == Long.MAX_VALUE ? 10 * MS : Math.max(next - now, 100_000L);
            now += Math.min(advance, 100 * MS);
            if (now - until > 0) {
                break;
            }
        }
        if (!done.getAsBoolean()) {
            fail(what + " not reached within " + limitNanos / MS + " ms of virtual time");
        }
    }

    /** Steps the clock forward by {@code nanos}, running everything due on the way. */
    void runFor(long nanos) {
        long until = now + nanos;
        runUntil(() -> now - until >= 0, nanos + S, "time");
    }

    /** Closes everything and fails unless every buffer the NAT allocated was released. */
    void assertNoLeaks() {
        engine.closeAll();
        for (SimGuest g : guests) {
            g.releaseAll();
        }
        ByteBuf b;
        while ((b = toGuests.poll()) != null) {
            b.release();
        }
        for (FakeHost.Tcp t : host.tcp) {
            t.close(false);
        }
        alloc.assertAllReleased();
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static ByteBuf wrap(byte[] b) {
        return Unpooled.wrappedBuffer(b);
    }
}
