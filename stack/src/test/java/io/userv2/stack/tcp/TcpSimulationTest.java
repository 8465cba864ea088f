package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PoolArenaMetric;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.ParseResult;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpPacket;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.TcpRepr;
import java.io.ByteArrayOutputStream;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Deterministic network simulation (smoltcp's {@code tests/netsim.rs} and {@code FaultInjector}): a guest endpoint
 * (active open) and the gateway's endpoint (dial-then-accept) talk over a link that loses, duplicates, delays,
 * reorders and corrupts packets, driven by a seeded {@link Random} and a virtual clock. Packets really go through the
 * wire codec with checksums, so corruption is caught by {@link TcpRepr#parse} as on a real gateway. Both directions
 * move megabytes at once; the bytes must arrive intact and both sides must close. Loops are bounded; nothing sleeps.
 *
 * <p>Invariants checked on every packet: data never goes beyond the right window edge the receiver advertised, and no
 * segment carries more data than the receiver's MSS.
 */
class TcpSimulationTest {
    static final Ipv4Address GUEST = Ipv4Address.parse("192.168.104.3");
    static final Ipv4Address HOST = Ipv4Address.parse("10.0.0.1");
    static final long MS = 1_000_000L;

    /** Link faults; probabilities per packet. */
    record Faults(double loss, double duplicate, double corrupt, double reorder, long latency, long jitter,
                  int queueLimit) {
        static final Faults CLEAN = new Faults(0, 0, 0, 0, 100_000, 0, 100_000);
        static final Faults LOSSY = new Faults(0.02, 0.01, 0.01, 0.05, 200_000, 300_000, 400);
        static final Faults HOSTILE = new Faults(0.08, 0.04, 0.04, 0.15, 500_000, 2 * MS, 150);
    }

    /** One packet on the wire. */
    record Packet(long at, long order, boolean toServer, byte[] bytes) { }

    /** One simulated run: two endpoints, a link, two applications. */
    static final class Sim {
        final Random rnd;
        final Faults faults;
        final ByteBufAllocator alloc;
        final TcpStats serverStats = new TcpStats();
        final TcpStats clientStats = new TcpStats();
        final TcpConfig serverConfig;
        final TcpConfig clientConfig;
        final PriorityQueue<Packet> wire = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
                : Long.compare(a.order, b.order));
        final TcpConnectionKey clientKey = new TcpConnectionKey(HOST, 80, GUEST, 40000);
        final TcpConnectionKey serverKey = new TcpConnectionKey(GUEST, 40000, HOST, 80);
        final byte[] up;   // guest -> host
        final byte[] down; // host -> guest
        final ByteArrayOutputStream gotUp = new ByteArrayOutputStream();
        final ByteArrayOutputStream gotDown = new ByteArrayOutputStream();
        /** Bytes per ms each application reads (0 = unlimited): slow readers close windows. */
        int serverReadRate;
        int clientReadRate;
        long dialDelay = 3 * MS;
        long now = 1_000_000 * MS;
        long order;
        int inFlightToServer;
        int inFlightToClient;
        TcpConnection client;
        TcpConnection server;
        long acceptAt = Long.MAX_VALUE;
        /** When the last byte of both streams had been read. */
        long dataDoneAt = -1;
        int upSent;
        int downSent;
        long corruptedDropped;
        long lost;
        long tailDropped;
        // window-edge invariant: highest right edge each receiver advertised (null before its first ACK)
        SeqNumber serverRightEdge;
        SeqNumber clientRightEdge;

        Sim(long seed, Faults faults, TcpConfig server, TcpConfig client, int upBytes, int downBytes) {
            this(seed, faults, server, client, upBytes, downBytes, new TrackingAllocator());
        }

        Sim(long seed, Faults faults, TcpConfig server, TcpConfig client, int upBytes, int downBytes,
            ByteBufAllocator alloc) {
            this.alloc = alloc;
            this.rnd = new Random(seed);
            this.faults = faults;
            this.serverConfig = server;
            this.clientConfig = client;
            this.up = new byte[upBytes];
            this.down = new byte[downBytes];
            rnd.nextBytes(up);
            rnd.nextBytes(down);
        }

        void transmit(boolean toServer, TcpConnectionKey key, TcpHeader header, ByteBuf payload) {
            TcpRepr repr = header.toRepr();
            // The emitter: write header + payload with a real checksum, then let the link do its worst.
            byte[] bytes = new byte[repr.totalLength()];
            ByteBuf b = Unpooled.wrappedBuffer(bytes);
            payload.getBytes(payload.readerIndex(), bytes, repr.headerLength(), repr.payloadLength());
            payload.release();
            repr.emit(b, 0, key.localAddress().bits(), key.remoteAddress().bits());
            checkInvariants(toServer, repr);
            int copies = rnd.nextDouble() < faults.duplicate ? 2 : 1;
            for (int i = 0; i < copies; i++) {
                if (rnd.nextDouble() < faults.loss) {
                    lost++;
                    continue;
                }
                int inFlight = toServer ? inFlightToServer : inFlightToClient;
                if (inFlight >= faults.queueLimit) {
                    tailDropped++; // a full receive queue in the VM: tail drop
                    continue;
                }
                // Each copy is damaged independently of the pristine bytes: one flipped bit, which the Internet
                // checksum always detects. (Two flips can cancel in a one's-complement sum; TCP would accept such a
                // packet, as a real one would.)
                byte[] copy = bytes.clone();
                if (rnd.nextDouble() < faults.corrupt) {
                    int bit = rnd.nextInt(copy.length * 8);
                    copy[bit / 8] ^= (byte) (1 << (bit % 8));
                }
                long delay = faults.latency + (faults.jitter > 0 ? (long) (rnd.nextDouble() * faults.jitter) : 0);
                if (rnd.nextDouble() < faults.reorder) {
                    delay += (long) (rnd.nextDouble() * 5 * MS);
                }
                wire.add(new Packet(now + delay, order++, toServer, copy));
                if (toServer) {
                    inFlightToServer++;
                } else {
                    inFlightToClient++;
                }
            }
        }

        void checkInvariants(boolean toServer, TcpRepr repr) {
            TcpConnection sender = toServer ? client : server;
            TcpConnection receiver = toServer ? server : client;
            if (repr.control() == TcpControl.SYN || repr.control() == TcpControl.RST || !repr.hasAck()) {
                return;
            }
            // The right edge this sender advertises to the other side.
            SeqNumber edge = repr.ackNumber().plus(repr.window() << sender.receiveWindowShift());
            if (toServer) {
                clientRightEdge = clientRightEdge == null ? edge : SeqNumber.max(clientRightEdge, edge);
            } else {
                serverRightEdge = serverRightEdge == null ? edge : SeqNumber.max(serverRightEdge, edge);
            }
            SeqNumber peerEdge = toServer ? serverRightEdge : clientRightEdge;
            if (repr.payloadLength() > 0 && peerEdge != null) {
                SeqNumber end = repr.seqNumber().plus(repr.payloadLength());
                if (end.gt(peerEdge)) {
                    fail("data beyond the advertised window: " + repr + " edge " + peerEdge);
                }
            }
            if (receiver != null && repr.payloadLength() > receiver.config().mss()) {
                fail("segment above the receiver's MSS: " + repr);
            }
        }

        void deliver(Packet p) {
            if (p.toServer) {
                inFlightToServer--;
            } else {
                inFlightToClient--;
            }
            ByteBuf b = Unpooled.wrappedBuffer(p.bytes);
            Ipv4Address src = p.toServer ? GUEST : HOST;
            Ipv4Address dst = p.toServer ? HOST : GUEST;
            ParseResult<TcpPacket> pr = TcpPacket.checked(b);
            TcpPacket packet = pr.orNull();
            TcpHeader repr = new TcpHeader();
            if (packet == null || repr.parse(packet, src.bits(), dst.bits(), true) != null) {
                corruptedDropped++;
                return;
            }
            ByteBuf payload = packet.payload();
            if (p.toServer) {
                if (server == null) {
                    if (repr.control() == TcpControl.SYN && !repr.hasAck()) {
                        server = TcpConnection.acceptSyn(serverKey, repr, serverConfig, alloc, serverStats,
                                SeqNumber.of(rnd.nextInt()), now);
                        acceptAt = now + dialDelay; // dial the host, accept when it answers
                    }
                    return;
                }
                server.process(repr, payload, now);
            } else {
                client.process(repr, payload, now);
            }
            assertEquals(1, b.refCnt());
        }

        /** Application work on both sides: write what fits, read what the rate allows, close when done. */
        long nextSlowRead;

        void applications() {
            boolean slowTick = now >= nextSlowRead;
            if (slowTick) {
                nextSlowRead = now + MS;
            }
            if (server != null && server.state() == TcpState.SYN_PENDING && now >= acceptAt) {
                server.accept(now);
            }
            upSent += write(client, up, upSent);
            if (server != null) {
                downSent += write(server, down, downSent);
                read(server, gotUp, serverReadRate, slowTick);
            }
            read(client, gotDown, clientReadRate, slowTick);
            if (upSent == up.length && client.canSend()) {
                client.shutdownSend();
            }
            if (server != null && downSent == down.length && server.canSend()
                    && server.state() != TcpState.SYN_PENDING) {
                server.shutdownSend();
            }
        }

        int write(TcpConnection c, byte[] data, int from) {
            if (!c.canSend() || from == data.length) {
                return 0;
            }
            int n = Math.min(c.sendCapacity(), Math.min(data.length - from, 256 * 1024));
            if (n == 0) {
                return 0;
            }
            ByteBuf src = Unpooled.wrappedBuffer(data, from, n);
            int took = c.send(src);
            src.release();
            return took;
        }

        void read(TcpConnection c, ByteArrayOutputStream into, int ratePerMs, boolean slowTick) {
            if (ratePerMs > 0 && !slowTick) {
                return;
            }
            long budget = ratePerMs == 0 ? Long.MAX_VALUE : ratePerMs;
            while (c.isReadable() && budget > 0) {
                ByteBuf b = c.recv((int) Math.min(budget, 1 << 20));
                budget -= b.readableBytes();
                byte[] d = new byte[b.readableBytes()];
                b.readBytes(d);
                b.release();
                into.write(d, 0, d.length);
            }
        }

        boolean finished() {
            return server != null && client.state() == TcpState.CLOSED && server.state() == TcpState.CLOSED
                    && client.isTerminated() && server.isTerminated() && !client.isReadable() && !server.isReadable();
        }

        /** Runs to completion; returns the virtual time taken. */
        long run(int maxSteps) {
            long start = now;
            client = TcpConnection.connect(clientKey, clientConfig, alloc, clientStats, SeqNumber.of(rnd.nextInt()),
                    now);
            for (int step = 0; step < maxSteps; step++) {
                while (!wire.isEmpty() && wire.peek().at <= now) {
                    deliver(wire.poll());
                }
                applications();
                if (client.pollAt() <= now) {
                    client.dispatch(now, (k, r, p) -> transmit(true, k, r, p));
                }
                if (server != null && server.pollAt() <= now) {
                    server.dispatch(now, (k, r, p) -> transmit(false, k, r, p));
                }
                if (dataDoneAt < 0 && gotUp.size() == up.length && gotDown.size() == down.length) {
                    dataDoneAt = now - start;
                }
                if (finished()) {
                    return now - start;
                }
                long next = Math.min(client.pollAt(), server != null ? server.pollAt() : Long.MAX_VALUE);
                if (!wire.isEmpty()) {
                    next = Math.min(next, wire.peek().at);
                }
                if (server != null && server.state() == TcpState.SYN_PENDING) {
                    next = Math.min(next, acceptAt);
                }
                boolean readersBlocked = (serverReadRate > 0 && server != null && server.isReadable())
                        || (clientReadRate > 0 && client.isReadable());
                if (readersBlocked) {
                    next = Math.min(next, nextSlowRead); // slow applications read once per millisecond
                }
                if (next == Long.MAX_VALUE) {
                    fail("deadlock: nothing scheduled; client " + client + " server " + server);
                }
                now = Math.max(now, next);
            }
            fail("not finished after " + maxSteps + " steps: client " + client + " server " + server
                    + " up " + gotUp.size() + "/" + up.length + " down " + gotDown.size() + "/" + down.length);
            return -1;
        }

        /**
         * NORMAL, or RESET_BY_PEER for a side that had the peer's FIN already: the other side's TIME-WAIT ended before
         * a (backed-off) retransmission of our FIN or data arrived, and its RST answered it. Data integrity is
         * checked separately.
         */
        static void assertClosedWell(TcpConnection c, TcpStats stats) {
            if (c.closeCause() == TcpCloseCause.RESET_BY_PEER && c.isRecvShutdown()) {
                return;
            }
            assertEquals(TcpCloseCause.NORMAL, c.closeCause(), () -> c + " " + stats);
        }

        void verify() {
            assertArrayEquals(up, gotUp.toByteArray(), "guest -> host bytes");
            assertArrayEquals(down, gotDown.toByteArray(), "host -> guest bytes");
            assertClosedWell(client, clientStats);
            assertClosedWell(server, serverStats);
            // The dead-peer timers are on (defaults) but nobody here is silent for long: a keep-alive probe would mean
            // a stall that only keep-alive broke, which the old "nothing scheduled" deadlock check would have caught.
            for (TcpStats s : new TcpStats[] {clientStats, serverStats}) {
                assertEquals(0, s.keepAliveProbes() + s.persistGiveUps() + s.finWait2Timeouts(), s::toString);
            }
            client.release();
            server.release();
            if (alloc instanceof TrackingAllocator t) {
                t.assertAllReleased();
            }
        }
    }

    static TcpConfig base() {
        return TcpConfig.defaults();
    }

    /** The guest: a Linux-like TIME-WAIT of 60 s (MSL 30 s). */
    static TcpConfig guest() {
        return TcpConfig.defaults().withMsl(30_000 * MS);
    }

    @Test
    void cleanLinkMovesFourMegabytesEachWay() {
        Sim sim = new Sim(1, Faults.CLEAN, base(), guest(), 4 << 20, 4 << 20);
        sim.run(200_000);
        sim.verify();
        assertEquals(0, sim.serverStats.retransmittedSegments(), "no loss, no retransmission");
        assertEquals(0, sim.clientStats.retransmittedSegments());
        assertTrue(sim.dataDoneAt < 100 * MS, "virtual time " + sim.dataDoneAt / MS + " ms");
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void lossyReorderingDuplicatingCorruptingLink(long seed) {
        Sim sim = new Sim(seed, Faults.LOSSY, base(), guest(), 3 << 20, 3 << 20);
        sim.run(2_000_000);
        sim.verify();
        assertTrue(sim.lost > 0 && sim.corruptedDropped > 0, "the link did misbehave");
        assertTrue(sim.serverStats.retransmittedSegments() > 0);
    }

    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void hostileLink(long seed) {
        Sim sim = new Sim(seed, Faults.HOSTILE, base(), guest(), 1 << 20, 1 << 20);
        sim.run(3_000_000);
        sim.verify();
    }

    @ParameterizedTest
    @ValueSource(longs = {21, 22})
    void peerWithoutOptions(long seed) {
        // A minimal guest: no window scaling, timestamps or SACK; our side must fall back to plain RFC 9293.
        TcpConfig plain = guest().withOptions(false, false, false);
        Sim sim = new Sim(seed, Faults.LOSSY, base(), plain, 1 << 20, 1 << 20);
        sim.run(2_000_000);
        sim.verify();
        assertEquals(0, sim.server.receiveWindowShift());
        assertTrue(!sim.server.timestampsEnabled() && !sim.server.sackEnabled());
    }

    @ParameterizedTest
    @ValueSource(longs = {31, 32})
    void slowReadersCloseTheWindows(long seed) {
        // Small receive buffers and applications reading 200 KB/s: zero windows, probes, window updates.
        TcpConfig small = base().withBuffers(64 * 1024, 16 * 1024);
        Sim sim = new Sim(seed, Faults.LOSSY, small, small, 512 * 1024, 512 * 1024);
        sim.serverReadRate = 200;
        sim.clientReadRate = 200;
        sim.run(3_000_000);
        sim.verify();
    }

    @Test
    void jumboMtu() {
        TcpConfig jumbo = base().withMtu(65520);
        Sim sim = new Sim(41, Faults.LOSSY, jumbo, jumbo, 8 << 20, 8 << 20);
        sim.run(1_000_000);
        sim.verify();
        assertEquals(65480 - 12, sim.server.sendMss());
    }

    @Test
    void pooledAllocatorGetsEveryBufferBack() {
        // The production allocator, without thread caches so that its active-allocation count is exact.
        PooledByteBufAllocator pooled = new PooledByteBufAllocator(false, 1, 0, 8192, 9, 0, 0, false);
        Sim sim = new Sim(77, Faults.LOSSY, base(), guest(), 2 << 20, 2 << 20, pooled);
        sim.run(2_000_000);
        sim.verify();
        long active = 0;
        for (PoolArenaMetric m : pooled.metric().heapArenas()) {
            active += m.numActiveAllocations();
        }
        assertEquals(0, active, "pooled buffers still allocated");
    }

    @Test
    void refusedDialAnswersTheGuestWithReset() {
        Sim sim = new Sim(51, Faults.CLEAN, base(), base(), 0, 0);
        sim.client = TcpConnection.connect(sim.clientKey, base(), sim.alloc, sim.clientStats, SeqNumber.of(7), sim.now);
        sim.client.dispatch(sim.now, (k, r, p) -> sim.transmit(true, k, r, p));
        sim.now += MS;
        sim.deliver(sim.wire.poll());
        sim.server.refuse(sim.now);
        sim.server.dispatch(sim.now, (k, r, p) -> sim.transmit(false, k, r, p));
        sim.now += MS;
        sim.deliver(sim.wire.poll());
        assertEquals(TcpState.CLOSED, sim.client.state());
        assertEquals(TcpCloseCause.RESET_BY_PEER, sim.client.closeCause());
        sim.client.release();
        sim.server.release();
        ((TrackingAllocator) sim.alloc).assertAllReleased();
    }
}
