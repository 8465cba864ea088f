package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.Ipv6Frames.GW_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.PREFIX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.userv2.stack.gateway.Ipv6Frames.Sent;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A gateway with IPv6 on (prefix {@link Ipv6Frames#PREFIX}, its address ::2), a recording sink, a leak-checking
 * allocator, a virtual clock ({@link #now}) and a neighbour listener recording {@code +addr mac owner} and
 * {@code -addr mac owner}. The first periodic Router Advertisement (due at once) is taken in {@link #enable()}.
 */
abstract class Ipv6GatewayFixture {
    static final long NOW = GatewayTest.NOW;
    static final long SECOND = 1_000_000_000L;
    static final int PORT = 7;

    final GatewayTest.RecordingSink sink = new GatewayTest.RecordingSink();
    final GatewayTest.RecordingAllocator alloc = new GatewayTest.RecordingAllocator();
    final Gateway gateway = new Gateway(GatewayTest.GW_MAC, GatewayTest.GW_IP, GatewayTest.SUBNET, sink, alloc,
            new GatewayCounters(), new ArpCache());
    final GatewayCounters counters = gateway.counters();
    final List<String> neighborEvents = new ArrayList<>();
    GatewayIpv6 v6;
    long now = NOW;

    /** The configuration the fixture enables (override for other bounds). */
    Ipv6Config config() {
        return Ipv6Config.of(PREFIX, GW_ULA, List.of("corp.test", "lab.test"));
    }

    /** The neighbour cache the fixture enables (override for other bounds). */
    NeighborCache neighborCache() {
        return new NeighborCache(counters);
    }

    @BeforeEach
    void enable() {
        v6 = gateway.enableIpv6(config(), neighborCache(), new Random(7), NOW);
        v6.neighbors().setListener(new NeighborListener() {
            @Override
            public void learned(Ipv6Address address, MacAddress mac, int owner) {
                neighborEvents.add("+" + address + " " + mac + " " + owner);
            }

            @Override
            public void forgotten(Ipv6Address address, MacAddress mac, int owner) {
                neighborEvents.add("-" + address + " " + mac + " " + owner);
            }
        });
        assertEquals(NOW, gateway.pollAt(), "the first advertisement is due at once");
        gateway.poll(NOW);
        take().icmp(Icmpv6Repr.RouterAdvertisement.class);
    }

    @AfterEach
    void everyFrameTakenAndNothingLeaks() {
        assertTrue(sink.frames.isEmpty(), "unexpected output: " + sink.frames.size() + " frames, first "
                + (sink.frames.isEmpty() ? "" : Sent.parse(sink.take())));
        gateway.close();
        for (ByteBuf buf : alloc.allocated) {
            assertEquals(0, buf.refCnt(), "allocated buffer not released");
        }
        assertEquals(counters.framesSent(), sink.all.size());
    }

    /** Feeds {@code frame} from port {@link #PORT} at {@link #now}; the caller's buffer must stay untouched. */
    void receive(byte[] frame) {
        receive(frame, PORT);
    }

    void receive(byte[] frame, int ingress) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(frame.length + 3);
        buf.writeZero(3).writeBytes(frame).readerIndex(3);
        try {
            gateway.receive(buf, 3, frame.length, ingress, now);
            assertEquals(1, buf.refCnt(), "gateway must not release or retain the caller's frame");
            assertEquals(3, buf.readerIndex());
        } finally {
            buf.release();
        }
    }

    /** Moves the clock to {@code nanos} after {@link #NOW} and runs the gateway's timers if due. */
    void at(long nanos) {
        now = NOW + nanos;
        if (now - gateway.pollAt() >= 0) {
            gateway.poll(now);
        }
    }

    /** The next frame sent, parsed. */
    Sent take() {
        assertTrue(!sink.frames.isEmpty(), "nothing was sent");
        return Sent.parse(sink.take());
    }

    /** Drops every frame sent so far (after checking they are periodic Router Advertisements). */
    void takeAdvertisements() {
        while (!sink.frames.isEmpty()) {
            Sent s = take();
            s.icmp(Icmpv6Repr.RouterAdvertisement.class);
            assertEquals(Ipv6Address.ALL_NODES, s.dst());
        }
    }
}
