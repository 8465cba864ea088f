package io.userv2.stack.dhcp6;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.NetUtil;
import io.userv2.stack.dhcp.SaveCompletion;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.MacAddress;
import java.net.Inet6Address;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A DHCPv6 server with a virtual clock, a recording sender, an in-memory store (or a deferred one) and helpers to
 * play clients. Every reply is taken as bytes and parsed back with the codec, so the tests see what a client sees.
 */
final class Dhcp6Harness {
    static final MacAddress GW_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    static final Duid SERVER_DUID = Duid.linkLayer(GW_MAC);
    static final Inet6Address PREFIX = ip("fd00:1234:5678:9abc::");
    static final Inet6Address DNS = ip("fd00:1234:5678:9abc::2");
    static final MacAddress VM1 = MacAddress.parse("52:55:55:12:34:56");
    static final MacAddress VM2 = MacAddress.parse("52:55:55:00:00:02");
    static final Inet6Address LL1 = ip("fe80::5055:55ff:fe12:3456");
    static final Inet6Address LL2 = ip("fe80::5055:55ff:fe00:2");
    static final Duid DUID1 = Duid.parse("00:01:00:01:32:a5:f5:ab:52:55:55:12:34:56"); // dhcpcd's in the capture
    static final Duid DUID2 = Duid.parse("00:03:00:01:52:55:55:00:00:02");
    static final int PORT1 = 1;
    static final int PORT2 = 2;
    static final long T0 = 5_000_000_000L;
    static final long WALL0 = 1_767_225_600_000L;
    static final long SECOND = 1_000_000_000L;

    static Inet6Address ip(String text) {
        byte[] b = NetUtil.createByteArrayFromIpAddressString(text);
        if (b == null || b.length != 16) {
            throw new IllegalArgumentException(text);
        }
        return Dhcp6Repr.address(b);
    }

    /** A reply as the client sees it. */
    record Sent(MacAddress mac, Inet6Address to, int port, Dhcp6Repr m) {
        Dhcp6MessageType type() {
            return m.msgType();
        }

        IaNa ia() {
            assertEquals(1, m.iaNas().size(), () -> "one IA_NA in " + m);
            return m.iaNas().get(0);
        }

        /** The one address with non-zero lifetimes of the one IA_NA. */
        Inet6Address address() {
            List<IaAddress> live = ia().addresses().stream().filter(a -> a.valid() > 0).toList();
            assertEquals(1, live.size(), () -> "one live address in " + m);
            return live.get(0).address();
        }
    }

    /** Records listener calls as short strings. */
    static final class Events implements Dhcp6LeaseListener, Dhcp6EventListener {
        final List<String> log = new ArrayList<>();

        @Override
        public void onLease(Dhcp6Lease l) {
            log.add("lease " + Dhcp6Repr.format(l.address()));
        }

        @Override
        public void onRelease(Dhcp6Lease l) {
            log.add("release " + Dhcp6Repr.format(l.address()));
        }

        @Override
        public void onExpire(Dhcp6Lease l) {
            log.add("expire " + Dhcp6Repr.format(l.address()));
        }

        @Override
        public void poolExhausted(Duid client) {
            log.add("exhausted");
        }

        @Override
        public void portCapReached(int port, Duid client) {
            log.add("cap " + port);
        }

        @Override
        public void declined(Duid client, Inet6Address address) {
            log.add("declined " + Dhcp6Repr.format(address));
        }

        @Override
        public void leaseDiscarded(Dhcp6Lease lease, String reason) {
            log.add("discarded " + Dhcp6Repr.format(lease.address()) + ": " + reason);
        }

        @Override
        public void storeFailed(RuntimeException error) {
            log.add("store failed: " + error.getMessage());
        }
    }

    /** A store that writes only when the test says so (the daemon's writer thread on a slow disk). */
    static final class DeferredStore implements Dhcp6LeaseStore {
        final InMemoryDhcp6LeaseStore disk;
        List<Dhcp6Lease> pending;
        long generation;
        SaveCompletion completion;

        DeferredStore(InMemoryDhcp6LeaseStore disk) {
            this.disk = disk;
        }

        @Override
        public List<Dhcp6Lease> load() {
            return disk.load();
        }

        @Override
        public void save(long generation, List<Dhcp6Lease> leases, SaveCompletion completion) {
            this.pending = leases;
            this.generation = generation;
            this.completion = completion;
        }

        void complete() {
            disk.replace(pending);
            pending = null;
            completion.stored(generation);
        }

        void fail(RuntimeException e) {
            pending = null;
            completion.failed(generation, e);
        }
    }

    final Deque<Sent> sent = new ArrayDeque<>();
    final InMemoryDhcp6LeaseStore store;
    final Dhcp6LeaseStore saveTo;
    final Events events = new Events();
    Dhcp6Config config;
    Dhcp6Server server;
    long now = T0;
    int xid = 0x100;

    /** A stateful server on {@link #PREFIX} with the default pool, DNS {@link #DNS} and two search domains. */
    static Dhcp6Config.Builder statefulConfig() {
        return Dhcp6Config.builder(GW_MAC).dnsServers(List.of(DNS)).searchDomains(List.of("lima.test", "corp.test"))
                .addressPool(PREFIX);
    }

    Dhcp6Harness(Dhcp6Config config) {
        this(config, new InMemoryDhcp6LeaseStore());
    }

    Dhcp6Harness(Dhcp6Config config, InMemoryDhcp6LeaseStore store) {
        this(config, store, store);
    }

    Dhcp6Harness(Dhcp6Config config, InMemoryDhcp6LeaseStore store, Dhcp6LeaseStore saveTo) {
        this.config = config;
        this.store = store;
        this.saveTo = saveTo;
        start();
    }

    /** (Re)creates the server on the same store, as a daemon restart does; wall time follows now. */
    void start() {
        server = new Dhcp6Server(config, (mac, to, port, payload) -> {
            byte[] bytes = HexLiteral.toArray(payload);
            Dhcp6Packet p = Dhcp6Packet.checked(Unpooled.wrappedBuffer(bytes)).orNull();
            Dhcp6Repr m = Dhcp6Repr.parse(p).orNull();
            assertEquals(bytes.length, m.encodedLength(), "what was sent parses back whole");
            sent.add(new Sent(mac, to, port, m));
        }, saveTo, now, WALL0 + (now - T0) / 1_000_000L);
        server.setEventListener(events);
        server.setLeaseListener(events, now);
    }

    void advanceSeconds(long s) {
        now += s * SECOND;
    }

    /** A client message with a fresh transaction-id. */
    Dhcp6Repr.Builder message(Dhcp6MessageType type, Duid client) {
        return Dhcp6Repr.builder().msgType(type).transactionId(++xid).clientId(client).elapsedTime(0);
    }

    /** An IA_NA for IAID {@code iaid} holding {@code addresses} (lifetimes 0, as clients send them). */
    static IaNa ia(int iaid, Inet6Address... addresses) {
        List<IaAddress> list = new ArrayList<>();
        for (Inet6Address a : addresses) {
            list.add(IaAddress.of(a, 0, 0));
        }
        return IaNa.of(iaid, 0, 0, list);
    }

    /** Multicasts {@code m} to ff02::1:2 from VM1 on port 1. */
    void multicast(Dhcp6Repr m) {
        deliver(VM1, LL1, true, encode(m), PORT1);
    }

    /** Delivers {@code payload} as the gateway would. */
    void deliver(MacAddress mac, Inet6Address src, boolean multicast, byte[] payload, int port) {
        ByteBuf b = Unpooled.wrappedBuffer(payload);
        try {
            server.datagram(new Dhcp6Datagram(mac, src, Dhcp6Server.CLIENT_PORT, multicast, b, port), now);
            assertEquals(0, b.readerIndex(), "the payload's indices are not moved");
        } finally {
            b.release();
        }
    }

    static byte[] encode(Dhcp6Repr m) {
        ByteBuf b = Unpooled.buffer(m.encodedLength());
        b.writerIndex(m.emit(b, 0));
        return HexLiteral.toArray(b);
    }

    Sent take() {
        assertFalse(sent.isEmpty(), "a reply was expected");
        return sent.remove();
    }

    void assertSilent() {
        assertTrue(sent.isEmpty(), () -> "unexpected reply " + sent.peek());
    }

    /** Solicit then Request from {@code mac}/{@code src} on {@code port}; returns the Reply. */
    Sent lease(Duid client, int iaid, MacAddress mac, Inet6Address src, int port) {
        deliver(mac, src, true, encode(message(Dhcp6MessageType.SOLICIT, client).addIaNa(ia(iaid)).build()), port);
        Sent adv = take();
        assertEquals(Dhcp6MessageType.ADVERTISE, adv.type(), () -> "" + adv.m());
        deliver(mac, src, true, encode(message(Dhcp6MessageType.REQUEST, client).serverId(SERVER_DUID)
                .addIaNa(ia(iaid, adv.address())).build()), port);
        Sent reply = take();
        assertEquals(Dhcp6MessageType.REPLY, reply.type());
        assertEquals(adv.address(), reply.address());
        return reply;
    }

    Sent lease(Duid client) {
        return lease(client, 1, VM1, LL1, PORT1);
    }
}
