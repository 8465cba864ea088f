package io.userv2.stack.nat;

import static io.userv2.stack.nat.NatSim.MS;
import static io.userv2.stack.nat.NatSim.REMOTE;
import static io.userv2.stack.nat.NatSim.S;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.tcp.TcpCloseCause;
import io.userv2.stack.tcp.TcpConfig;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpState;
import io.userv2.stack.tcp.TcpStats;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The NAT engine on a virtual clock against a scripted host: every way a host connection can go (refused, never
 * answered, reset mid-transfer, slow), every way a guest can go (closes half, disappears, reboots, freezes), the
 * caps, and faults that must stay in one flow. Each scenario also checks that every buffer was released.
 */
class NatEngineTest {
    static final long SEED = 20261204L;

    static NatSim sim() {
        return new NatSim(NatSim.config(), SEED);
    }

    /** A guest with the engine's default keep-alive in the gateway and none of its own. */
    static SimGuest guest(NatSim sim) {
        return sim.guest(7, "52:55:55:00:00:07", "192.168.104.7");
    }

    static TcpConnection established(NatSim sim, SimGuest g, int port) {
        TcpConnection c = g.connect(REMOTE, port);
        sim.runUntil(() -> c.state() == TcpState.ESTABLISHED, 5 * S, "handshake");
        return c;
    }

    /** {@code c}'s SYN is answered with RST after the host refused the dial, and nothing is left behind. */
    static void assertRefusedWithRst(NatSim sim, TcpConnection c) {
        sim.runUntil(() -> c.state() == TcpState.CLOSED, 2 * S, "RST for a refused port");
        assertEquals(TcpCloseCause.RESET_BY_PEER, c.closeCause());
        sim.runFor(10 * MS);
        assertEquals(0, sim.engine.tcp().connections());
        assertEquals(1, sim.engine.tcp().dialFailures());
        sim.assertNoLeaks();
    }

    /**
     * Connections from {@code g} (made by {@code connect} to a port) to a host that is unreachable (port 83) and a
     * network that is (port 84) get the two errors {@code expected}, each quoting the guest's SYN.
     */
    static void assertUnreachableReported(NatSim sim, SimGuest g, java.util.function.IntFunction<TcpConnection> connect,
            java.util.List<String> expected) {
        sim.host.dialByPort.put(83, FakeHost.Dial.HOST_UNREACHABLE);
        sim.host.dialByPort.put(84, FakeHost.Dial.NET_UNREACHABLE);
        TcpConnection first = connect.apply(83);
        TcpConnection second = connect.apply(84);
        sim.runUntil(() -> g.icmpReceived.size() == 2, 2 * S, "two ICMP errors");
        assertEquals(expected, g.icmpReceived);
        assertEquals(java.util.List.of(first.iss().value() & 0xFFFF_FFFFL, second.iss().value() & 0xFFFF_FFFFL),
                g.icmpQuotedSecondWord, "the quote carries each SYN's sequence number, as Linux checks");
        assertEquals(0, sim.engine.tcp().connections());
        assertEquals(2, sim.engine.icmpErrorsSent());
        sim.assertNoLeaks();
    }

    /**
     * Runs {@code sim} with the guest sending {@code data} on {@code c}, from byte {@code from} on, as fast as its
     * window lets it, until {@code done} (within {@code limitNanos}); returns how many bytes of {@code data} it sent.
     */
    static int sendUntil(NatSim sim, SimGuest g, TcpConnection c, byte[] data, int from,
            java.util.function.BooleanSupplier done, long limitNanos, String what) {
        int[] sent = {from};
        sim.runUntil(() -> {
            sent[0] += g.send(c, data, sent[0]);
            return done.getAsBoolean();
        }, limitNanos, what);
        return sent[0];
    }

    /** 3 MiB each way over {@code c} (established to the host's last socket) arrive intact, whatever the sim's loss. */
    static void assertTransferIntact(NatSim sim, SimGuest g, TcpConnection c) {
        FakeHost.Tcp host = sim.host.lastTcp();
        Random r = new Random(SEED);
        byte[] up = NatSim.randomBytes(r, 3 << 20);
        byte[] down = NatSim.randomBytes(r, 3 << 20);
        host.send(down);
        sendUntil(sim, g, c, up, 0, () -> host.fromGuest.size() == up.length && g.receivedOn(c).length == down.length,
                120 * S, "3 MiB each way");
        assertArrayEquals(up, host.fromGuest.toByteArray());
        assertArrayEquals(down, g.receivedOn(c));
        sim.assertNoLeaks();
    }

    /** Guest TCP checksums: verified by default; trusted when the config says the link cannot corrupt frames. */
    @Nested
    class Checksums {
        @Test
        void aSegmentWithABadChecksumIsDroppedAndCountedByDefault() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            sim.spoilTcpChecksums = true;
            TcpConnection c = g.connect(REMOTE, 80);
            sim.runFor(2 * S);
            assertEquals(TcpState.SYN_SENT, c.state(), "no answer to a SYN whose checksum fails");
            assertTrue(sim.host.tcp.isEmpty(), "nothing dialled for it");
            assertTrue(sim.engine.tcp().dropsBadSegment() >= 1, "the SYN (and its retransmissions) counted");
            sim.assertNoLeaks();
        }

        @Test
        void trustedChecksumsAreNotVerifiedAndBytesStillArriveIntact() {
            NatSim sim = new NatSim(NatSim.config().withTcpChecksumVerification(false), SEED);
            SimGuest g = guest(sim);
            sim.spoilTcpChecksums = true;
            TcpConnection c = established(sim, g, 80);
            assertTransferIntact(sim, g, c);
            assertEquals(0, sim.engine.tcp().dropsBadSegment());
        }
    }

    @Nested
    class DialThenAccept {
        @Test
        void theGuestsSynIsAnsweredOnlyOnceTheHostConnected() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            sim.host.dialByPort.put(80, FakeHost.Dial.BLACKHOLE);
            TcpConnection c = g.connect(REMOTE, 80);
            sim.runFor(500 * MS);
            assertEquals(TcpState.SYN_SENT, c.state(), "no SYN-ACK while the host dial is pending");
            FakeHost.Tcp host = sim.host.lastTcp();
            assertEquals("127.0.0.1", host.address.toString(), "the --nat rule's real address is dialled");
            host.outcome = FakeHost.Dial.ACCEPT;
            sim.runUntil(() -> c.state() == TcpState.ESTABLISHED, 5 * S, "handshake after the dial");
            sim.assertNoLeaks();
        }

        @Test
        void theGatewayDeclinesTimestampsAndOffersTheFullMss() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            assertTrue(g.tcp.timestamps(), "the guest offers timestamps, as Linux does");
            TcpConnection c = established(sim, g, 80);
            // NatConfig.defaults(): no RFC 7323 timestamps towards guests, so no option takes 12 bytes of each segment
            assertFalse(c.timestampsEnabled());
            assertEquals(1460, c.sendMss());
            assertTransferIntact(sim, g, c);
        }

        @Test
        void aGuestThatGivesUpWhileTheDialIsPendingLeavesNothingBehind() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            sim.host.dialByPort.put(80, FakeHost.Dial.BLACKHOLE);
            TcpConnection c = g.connect(REMOTE, 80);
            sim.runFor(100 * MS);
            g.sendReset(c); // the guest's RST arrives in the same loop iteration as the host's answer
            sim.host.lastTcp().outcome = FakeHost.Dial.ACCEPT;
            sim.step();
            sim.runUntil(() -> sim.engine.tcp().connections() == 0, S, "flow gone");
            assertEquals(0, sim.engine.tcp().faults(), "not a fault: a race every NAT sees");
            assertTrue(sim.host.lastTcp().closed);
            sim.assertNoLeaks();
        }

        @Test
        void aRefusedDialIsAnsweredWithRst() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            sim.host.dialByPort.put(81, FakeHost.Dial.REFUSE);
            assertRefusedWithRst(sim, g.connect(REMOTE, 81));
        }

        @Test
        void aBlackholedDialIsDroppedSilentlyAfterTheDialTimeout() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            sim.host.dialByPort.put(82, FakeHost.Dial.BLACKHOLE);
            TcpConnection c = g.connect(REMOTE, 82);
            sim.runUntil(() -> sim.engine.tcp().connections() == 1, S, "the dial started");
            long start = sim.now;
            sim.runUntil(() -> sim.engine.tcp().connections() == 0, 11 * S, "dial timeout");
            assertTrue(sim.now - start >= sim.config.dialTimeoutNanos() - 10 * MS, "not before the dial timeout");
            assertTrue(sim.host.lastTcp().closed, "the host connect is abandoned");
            assertEquals(1, sim.engine.tcp().dialTimeouts());
            assertTrue(c.state() == TcpState.SYN_SENT || c.closeCause() == TcpCloseCause.TIMED_OUT,
                    "the guest heard nothing: its own connect times out");
            sim.assertNoLeaks();
        }

        @Test
        void anUnreachableHostIsReportedWithIcmpQuotingTheGuestsSyn() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            assertUnreachableReported(sim, g, port -> g.connect(REMOTE, port),
                    java.util.List.of("type 3 code 1 from " + NatSim.GATEWAY, "type 3 code 0 from " + NatSim.GATEWAY));
        }

        @Test
        void aDestinationThePolicyRefusesIsAnsweredWithRstWithoutADial() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection c = g.connect(io.userv2.stack.wire.Ipv4Address.parse("198.51.100.1"), 80);
            sim.runUntil(() -> c.state() == TcpState.CLOSED, 2 * S, "RST");
            assertTrue(sim.host.tcp.isEmpty(), "nothing dialled with --no-outside");
            assertEquals(1, sim.engine.tcp().dropsPolicy());
            sim.assertNoLeaks();
        }
    }

    @Nested
    class Transfer {
        @Test
        void anIdleConnectionGivesBackTheReceiveChunkItKeptForReuse() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection c = established(sim, g, 80);
            FakeHost.Tcp host = sim.host.lastTcp();
            byte[] up = NatSim.randomBytes(new Random(SEED), 1 << 20);
            sendUntil(sim, g, c, up, 0, () -> host.fromGuest.size() == up.length, 60 * S, "1 MiB to the host");
            long live = sim.alloc.live();
            assertTrue(sim.engine.releaseIdleBuffers() > 0, "the relay's drained chunk was kept");
            assertTrue(sim.alloc.live() < live, "and is given back");
            assertEquals(0, sim.engine.releaseIdleBuffers(), "once");
            assertEquals(1, sim.engine.tcp().connections(), "the connection stays open");
            sim.assertNoLeaks();
        }

        /** The engine and a guest at MTU 65520: segments of up to 65 480 bytes. */
        NatSim jumboSim() {
            return new NatSim(NatSim.config().withTcp(NatSim.config().tcp().withMtu(65520)), SEED);
        }

        SimGuest jumboGuest(NatSim sim) {
            return sim.guest(7, "52:55:55:00:00:07", "192.168.104.7",
                    TcpConfig.defaults().withMtu(65520).withoutKeepAlive());
        }

        /** At MTU 65520 the guest's segments go to the host socket as they come (no copy into the receive buffer). */
        @Test
        void largeSegmentsGoStraightToTheHostSocketAndASlowReaderStillGetsEveryByteInOrder() {
            NatSim sim = jumboSim();
            SimGuest g = jumboGuest(sim);
            TcpConnection c = established(sim, g, 80);
            FakeHost.Tcp host = sim.host.lastTcp();
            host.readPerIteration = 100_000; // takes part of some segments: the rest waits in the receive buffer
            byte[] up = NatSim.randomBytes(new Random(SEED), 8 << 20);
            sendUntil(sim, g, c, up, 0, () -> host.fromGuest.size() == up.length, 120 * S, "8 MiB to the host");
            assertArrayEquals(up, host.fromGuest.toByteArray(), "every byte once, in order");
            TcpStats stats = sim.engine.tcp().stats();
            assertTrue(stats.bytesInDirect() > 0, "some went straight to the socket: " + stats);
            assertTrue(stats.bytesInDirect() < up.length, "some went through the receive buffer: " + stats);
            sim.assertNoLeaks();
        }

        @Test
        void aHostSocketFailingAStraightWriteResetsTheGuest() {
            NatSim sim = jumboSim();
            SimGuest g = jumboGuest(sim);
            TcpConnection c = established(sim, g, 80);
            sim.host.lastTcp().broken = true;
            byte[] up = new byte[40_000];
            sendUntil(sim, g, c, up, 0, () -> c.state() == TcpState.CLOSED, 5 * S, "RST to the guest");
            assertEquals(TcpCloseCause.RESET_BY_PEER, c.closeCause());
            assertEquals(0, sim.engine.tcp().connections());
            assertTrue(sim.host.lastTcp().closed, "the host socket closed");
            sim.assertNoLeaks();
        }

        @Test
        void bytesArriveIntactBothWaysOverALossyLink() {
            NatSim sim = sim();
            sim.loss = 0.02;
            SimGuest g = guest(sim);
            assertTransferIntact(sim, g, established(sim, g, 80));
        }

        @Test
        void aSlowHostReaderClosesTheGuestsWindowAndNothingPilesUp() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection c = established(sim, g, 80);
            FakeHost.Tcp host = sim.host.lastTcp();
            host.readPerIteration = 0; // the host application stops reading
            byte[] up = NatSim.randomBytes(new Random(SEED), 16 << 20);
            int sent = sendUntil(sim, g, c, up, 0, () -> c.peerWindow() == 0, 60 * S,
                    "the guest's peer window closes");
            int recvBuffer = sim.config.tcp().recvBufferSize();
            // The guest's send buffer, the gateway's receive buffer, and the one chunk the relay took out of it
            // before the host stopped reading: nothing else is held anywhere.
            assertTrue(sent <= recvBuffer + c.config().sendBufferSize() + (64 << 10),
                    "the guest could queue no more than both buffers: " + sent);
            host.readPerIteration = Integer.MAX_VALUE; // reading again: the window opens, everything arrives
            sendUntil(sim, g, c, up, sent, () -> host.fromGuest.size() == up.length, 120 * S,
                    "all 16 MiB after the reader resumed");
            assertArrayEquals(up, host.fromGuest.toByteArray());
            sim.assertNoLeaks();
        }

        @Test
        void aGuestThatStopsReadingStopsTheHostReads() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection c = established(sim, g, 80);
            FakeHost.Tcp host = sim.host.lastTcp();
            g.appsPaused = true;
            host.send(new byte[32 << 20]);
            sim.runFor(5 * S);
            int takenFromHost = (32 << 20) - host.toGuest.readableBytes();
            int bound = c.config().recvBufferSize() + sim.config.tcp().sendBufferSize() + (1 << 20);
            assertTrue(takenFromHost <= bound, "read " + takenFromHost + " from the host, bound " + bound);
            g.appsPaused = false;
            sim.runUntil(() -> g.receivedOn(c).length == 32 << 20, 120 * S, "everything once the guest reads");
            sim.assertNoLeaks();
        }

        @Test
        void theHostResettingMidTransferResetsTheGuest() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection c = established(sim, g, 80);
            FakeHost.Tcp host = sim.host.lastTcp();
            host.send(new byte[100_000]);
            sim.runUntil(() -> g.receivedOn(c).length > 0, 5 * S, "some data");
            host.broken = true;
            host.send(new byte[10]);
            sim.runUntil(() -> c.state() == TcpState.CLOSED, 5 * S, "RST to the guest");
            assertEquals(TcpCloseCause.RESET_BY_PEER, c.closeCause());
            assertEquals(0, sim.engine.tcp().connections());
            sim.assertNoLeaks();
        }
    }

    @Nested
    class HalfClose {
        @Test
        void theGuestClosesFirstAndStillReceives() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection c = established(sim, g, 80);
            FakeHost.Tcp host = sim.host.lastTcp();
            g.send(c, "request".getBytes(), 0);
            c.shutdownSend();
            sim.runUntil(() -> host.guestFin, 5 * S, "the guest's FIN reaches the host as EOF");
            assertEquals("request", host.fromGuest.toString());
            byte[] answer = NatSim.randomBytes(new Random(1), 1 << 20);
            host.send(answer);
            host.hostFin = true;
            sim.runUntil(() -> (c.state() == TcpState.TIME_WAIT || c.state() == TcpState.CLOSED)
                    && g.receivedOn(c).length == answer.length, 30 * S, "the answer and the host's FIN reach the guest");
            assertArrayEquals(answer, g.receivedOn(c));
            sim.runUntil(() -> sim.engine.tcp().connections() == 0, 10 * S, "flow retired");
            assertTrue(host.closed && !host.closedWithReset, "an orderly close on the host side");
            sim.assertNoLeaks();
        }

        @Test
        void theHostClosesFirstAndStillReceives() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection c = established(sim, g, 80);
            FakeHost.Tcp host = sim.host.lastTcp();
            host.send("banner".getBytes());
            host.hostFin = true;
            sim.runUntil(() -> c.state() == TcpState.CLOSE_WAIT, 5 * S, "the host's FIN reaches the guest");
            byte[] upload = NatSim.randomBytes(new Random(2), 1 << 20);
            sendUntil(sim, g, c, upload, 0, () -> host.fromGuest.size() == upload.length, 30 * S,
                    "the guest's upload after the host closed");
            c.shutdownSend();
            sim.runUntil(() -> sim.engine.tcp().connections() == 0, 10 * S, "flow retired");
            assertArrayEquals(upload, host.fromGuest.toByteArray());
            assertTrue(host.guestFin);
            sim.assertNoLeaks();
        }
    }

    @Nested
    class FlowsEndWithTheirGuest {
        @Test
        void aClosedPortAbortsEveryFlowItOwnedAndNoOther() {
            NatSim sim = sim();
            SimGuest gone = guest(sim);
            SimGuest stays = sim.guest(8, "52:55:55:00:00:08", "192.168.104.8");
            for (int i = 0; i < 100; i++) {
                gone.connect(REMOTE, 80);
            }
            TcpConnection other = stays.connect(REMOTE, 80);
            sim.runUntil(() -> sim.engine.tcp().connections() == 101
                    && gone.conns.values().stream().allMatch(TcpConnection::isEstablished)
                    && other.isEstablished(), 10 * S, "101 connections");
            gone.sendUdp(5000, REMOTE, 53, new byte[] {1});
            sim.step();
            assertEquals(1, sim.engine.quotas().usage(7).udp());

            assertEquals(101, sim.engine.portClosed(7, sim.now));
            assertEquals(1, sim.engine.tcp().connections());
            assertEquals(0, sim.engine.udp().size());
            long resetHosts = sim.host.tcp.stream().filter(t -> t.closed && t.closedWithReset).count();
            assertEquals(100, resetHosts, "every host peer of the gone guest sees RST at once");
            assertTrue(sim.host.udp.get(0).closed);
            assertEquals(100, sim.engine.tcp().abortedWithPort());

            byte[] still = "still here".getBytes();
            stays.send(other, still, 0);
            FakeHost.Tcp otherHost = sim.host.tcp.get(100);
            sim.runUntil(() -> otherHost.fromGuest.size() == still.length, 5 * S, "the other guest carries on");
            sim.assertNoLeaks();
        }

        @Test
        void aRebootedGuestAnswersTheKeepAliveWithRstAndItsFlowsAreReaped() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            established(sim, g, 80);
            established(sim, g, 80);
            g.forgetConnections();
            long start = sim.now;
            TcpConfig t = sim.config.tcp();
            sim.runUntil(() -> sim.engine.tcp().connections() == 0, t.keepAliveIdleNanos() + 2 * S,
                    "reaped by the first keep-alive probe");
            assertTrue(sim.now - start >= t.keepAliveIdleNanos(), "not before the idle time");
            assertEquals(2, g.resetsReceivedForUnknown, "the guest's kernel answered each probe with RST");
            assertTrue(sim.host.tcp.stream().allMatch(h -> h.closed && h.closedWithReset));
            sim.assertNoLeaks();
        }

        @Test
        void aFrozenGuestsFlowsAreReapedAfterTheUnansweredProbes() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            established(sim, g, 80);
            g.frozen = true;
            long start = sim.now;
            TcpConfig t = sim.config.tcp();
            long reapedBy = t.keepAliveIdleNanos() + t.keepAliveProbes() * t.keepAliveIntervalNanos();
            sim.runUntil(() -> sim.engine.tcp().connections() == 0, reapedBy + 2 * S, "reaped");
            assertTrue(sim.now - start >= reapedBy, "only after every probe went unanswered");
            assertTrue(sim.host.lastTcp().closedWithReset);
            sim.assertNoLeaks();
        }

        @Test
        void anIdleButLiveGuestKeepsItsFlows() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection c = established(sim, g, 80);
            sim.runFor(10 * 60 * S);
            assertEquals(1, sim.engine.tcp().connections());
            assertTrue(c.isEstablished());
            assertTrue(sim.engine.tcp().stats().keepAliveProbes() > 0, "probed, and answered");
            sim.assertNoLeaks();
        }
    }

    @Nested
    class Admission {
        @Test
        void aSynOverTheCapIsResetAndAClosedConnectionFreesItsSlot() {
            NatSim sim = new NatSim(NatSim.config().withConnectionLimits(100, 2, 2), SEED);
            SimGuest g = guest(sim);
            TcpConnection a = established(sim, g, 80);
            established(sim, g, 80);
            TcpConnection third = g.connect(REMOTE, 80);
            sim.runUntil(() -> third.state() == TcpState.CLOSED, 2 * S, "RST over the cap");
            assertEquals(1, sim.engine.quotas().usage(7).refused());
            a.abort();
            sim.runUntil(() -> sim.engine.tcp().connections() == 1, 2 * S, "the aborted one retired");
            established(sim, g, 80);
            sim.assertNoLeaks();
        }

        @Test
        void aSynOverTheTotalCapIsResetCountedAndAClosedConnectionFreesItsSlot() {
            NatSim sim = new NatSim(NatSim.config().withConnectionLimits(2, 10, 10), SEED);
            SimGuest g = guest(sim);
            SimGuest other = sim.guest(8, "52:55:55:00:00:08", "192.168.104.8");
            TcpConnection a = established(sim, g, 80);
            established(sim, other, 80);
            TcpConnection third = other.connect(REMOTE, 80);
            sim.runUntil(() -> third.state() == TcpState.CLOSED, 2 * S, "RST over the total cap");
            assertEquals(1, sim.engine.tcp().refusedByLimit());
            assertEquals(2, sim.engine.tcp().connections());
            a.abort();
            sim.runUntil(() -> sim.engine.tcp().connections() == 1, 2 * S, "the aborted one retired");
            established(sim, other, 80);
            assertEquals(1, sim.engine.tcp().refusedByLimit());
            sim.assertNoLeaks();
        }

        @Test
        void aSynFloodFromMadeUpAddressesSpendsOnlyItsOwnPortsShare() {
            NatSim sim = new NatSim(NatSim.config().withConnectionLimits(64, 32, 8), SEED);
            sim.host.dialByPort.put(9, FakeHost.Dial.BLACKHOLE);
            SimGuest honest = sim.guest(8, "52:55:55:00:00:08", "192.168.104.8");
            Random r = new Random(SEED);
            // The flooder writes 2000 SYNs from 2000 made-up addresses, all on switch port 7.
            for (int i = 0; i < 2000; i++) {
                SimGuest liar = sim.guest(7, "52:55:55:00:00:07", "192.168.104." + (10 + r.nextInt(200)));
                liar.connect(REMOTE, 9, 1024 + i);
                liar.run(sim.now);
                sim.guests.remove(liar);
                liar.releaseAll();
            }
            sim.step();
            OwnerQuotas.Usage flooder = sim.engine.quotas().usage(7);
            assertEquals(8, flooder.pendingDials(), "the flooder holds no more than its pending-dial cap");
            assertEquals(1992, flooder.refused());
            assertEquals(1, sim.portsAtCap.size(), "reported once, naming the port: " + sim.portsAtCap);
            assertTrue(sim.portsAtCap.get(0).startsWith("7 PENDING_DIAL"), sim.portsAtCap.get(0));
            for (int i = 0; i < 30; i++) {
                established(sim, honest, 80);
            }
            assertEquals(30, sim.engine.quotas().usage(8).tcp(), "every one of the other guest's connections works");
            assertEquals(0, sim.engine.quotas().usage(8).refused());
            sim.engine.portClosed(7, sim.now);
            assertEquals(null, sim.engine.quotas().usage(7), "the port's account goes with it");
            sim.assertNoLeaks();
        }

        @Test
        void aPortAtItsUdpCapLeavesOtherPortsAlone() {
            NatSim sim = new NatSim(NatSim.config().withUdp(60 * S, 100, 3), SEED);
            SimGuest greedy = guest(sim);
            SimGuest other = sim.guest(8, "52:55:55:00:00:08", "192.168.104.8");
            for (int i = 0; i < 10; i++) {
                greedy.sendUdp(7000 + i, REMOTE, 9, new byte[] {1});
            }
            other.sendUdp(7000, REMOTE, 9, new byte[] {2});
            sim.step();
            assertEquals(3, sim.engine.quotas().usage(7).udp());
            assertEquals(1, sim.engine.quotas().usage(8).udp());
            assertEquals(7, sim.engine.quotas().usage(7).refused());
            sim.assertNoLeaks();
        }

        @Test
        void aSynForAFourTupleInTimeWaitStartsANewConnection() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection c = g.connect(REMOTE, 80, 45_000);
            sim.runUntil(() -> c.state() == TcpState.ESTABLISHED, 5 * S, "first handshake");
            FakeHost.Tcp first = sim.host.lastTcp();
            first.hostFin = true; // the gateway closes first, so its end goes to TIME-WAIT
            sim.runUntil(() -> c.state() == TcpState.CLOSE_WAIT, 5 * S, "FIN from the gateway");
            c.shutdownSend();
            sim.runUntil(() -> c.state() == TcpState.CLOSED, 5 * S, "guest closed");
            assertEquals(1, sim.engine.tcp().connections(), "the gateway's end waits in TIME-WAIT");
            sim.runFor(10 * MS);
            TcpConnection again = g.connect(REMOTE, 80, 45_000);
            sim.runUntil(() -> again.state() == TcpState.ESTABLISHED, 5 * S, "the same four-tuple again");
            assertEquals(2, sim.host.tcp.size(), "a fresh host connection");
            sim.assertNoLeaks();
        }

        @Test
        void aSegmentForNoConnectionIsAnsweredWithRst() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection c = established(sim, g, 80);
            sim.engine.portClosed(7, sim.now); // the gateway forgets it, the guest does not
            g.send(c, new byte[] {1, 2, 3}, 0);
            sim.runUntil(() -> c.state() == TcpState.CLOSED, 5 * S, "RST");
            assertTrue(sim.engine.tcp().resetsSent() >= 1);
            sim.assertNoLeaks();
        }
    }

    @Nested
    class Faults {
        @Test
        void anExceptionInOneFlowAbortsThatFlowOnly() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            TcpConnection broken = established(sim, g, 80);
            FakeHost.Tcp brokenHost = sim.host.lastTcp();
            TcpConnection healthy = established(sim, g, 80);
            FakeHost.Tcp healthyHost = sim.host.lastTcp();

            brokenHost.failOnRead = new IllegalStateException("injected bug");
            brokenHost.send(new byte[] {1});
            healthyHost.send(new byte[] {2});
            sim.runUntil(() -> broken.state() == TcpState.CLOSED, 5 * S, "the broken flow is reset");
            assertEquals(TcpCloseCause.RESET_BY_PEER, broken.closeCause(), "the guest heard RST");
            assertTrue(brokenHost.closedWithReset, "the host heard RST");
            assertEquals(1, sim.engine.tcp().faults());
            assertEquals(1, sim.faults.size());
            assertTrue(sim.faults.get(0).contains("injected bug"), sim.faults.get(0));

            byte[] data = NatSim.randomBytes(new Random(3), 1 << 20);
            healthyHost.send(data);
            sim.runUntil(() -> g.receivedOn(healthy).length == 1 + data.length, 30 * S, "the other flow goes on");
            assertTrue(healthy.isEstablished());
            sim.assertNoLeaks();
        }
    }

    @Nested
    class LocalServices {
        /** An echo service on port 7 of the gateway: echoes every byte, pending nothing. */
        static LocalTcpService echo() {
            return (conn, owner, wake) -> new LocalTcpService.LocalTcpSession() {
                @Override
                public boolean pump(TcpConnection c, long now) {
                    int n = Math.min(c.readableBytes(), c.sendCapacity());
                    if (n > 0) {
                        io.netty.buffer.ByteBuf in = c.recv(n);
                        c.send(in);
                        in.release();
                    }
                    if (c.isRecvFinished() && c.canSend()) {
                        c.shutdownSend();
                    }
                    return false;
                }

                @Override
                public void close() {
                }
            };
        }

        @Test
        void aSilentConnectionIsClosedAfterTheIdleTimeoutThenResetIfHeld() {
            NatSim sim = sim();
            sim.engine.serveLocally(7, echo());
            SimGuest g = guest(sim);
            TcpConnection silent = g.connect(NatSim.GATEWAY, 7);
            TcpConnection busy = g.connect(NatSim.GATEWAY, 7);
            sim.runUntil(() -> silent.isEstablished() && busy.isEstablished(), 5 * S, "both accepted at once");
            assertTrue(sim.host.tcp.isEmpty(), "served inside, no host socket");
            long idle = sim.config.localIdleTimeoutNanos();
            long start = sim.now;
            sim.runUntil(() -> silent.state() == TcpState.CLOSE_WAIT, idle + S, "FIN to the silent one");
            assertTrue(sim.now - start >= idle - 10 * MS, "not before the idle timeout");
            sim.runUntil(() -> silent.state() == TcpState.CLOSED, idle + S, "RST when the guest holds it");
            assertEquals(TcpCloseCause.RESET_BY_PEER, silent.closeCause());
            sim.assertNoLeaks();
        }

        @Test
        void anActiveConnectionIsNotClosed() {
            NatSim sim = sim();
            sim.engine.serveLocally(7, echo());
            SimGuest g = guest(sim);
            TcpConnection c = g.connect(NatSim.GATEWAY, 7);
            sim.runUntil(c::isEstablished, 5 * S, "accepted");
            long idle = sim.config.localIdleTimeoutNanos();
            for (int i = 0; i < 5; i++) {
                g.send(c, new byte[] {(byte) i}, 0);
                sim.runFor(idle / 2);
            }
            assertTrue(c.state() == TcpState.ESTABLISHED, "queries every half timeout keep it open");
            assertArrayEquals(new byte[] {0, 1, 2, 3, 4}, g.receivedOn(c));
            sim.assertNoLeaks();
        }
    }

    @Nested
    class Udp {
        @Test
        void datagramsGoBothWaysAndIdleFlowsClose() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            g.sendUdp(5353, REMOTE, 9, "ping".getBytes());
            sim.step();
            FakeHost.Udp host = sim.host.udp.get(0);
            assertEquals("127.0.0.1", host.address.toString());
            assertEquals("ping", new String(host.fromGuest.get(0)));
            sim.step();
            assertEquals(1, g.udpReceived.size());
            assertEquals("ping", new String(g.udpReceived.get(0)));
            sim.runUntil(() -> sim.engine.udp().size() == 0, sim.config.udpIdleTimeoutNanos() + 2 * S,
                    "idle flow closed");
            assertTrue(host.closed);
            sim.assertNoLeaks();
        }

        @Test
        void a60KiBDatagramEchoesBothWaysAtMtu1500() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            byte[] big = NatSim.randomBytes(new Random(SEED), 60 << 10);
            g.sendUdp(5353, REMOTE, 9, big);
            sim.runUntil(() -> g.udpReceived.size() == 1, S, "the echo");
            assertArrayEquals(big, sim.host.udp.get(0).fromGuest.get(0), "reassembled towards the host");
            assertArrayEquals(big, g.udpReceived.get(0), "fragmented towards the guest");
            assertTrue(sim.gateway.counters().fragmentsSent() >= 42);
            sim.assertNoLeaks();
        }

        @Test
        void aClosedHostPortIsAnsweredWithIcmpPortUnreachableFromTheDestination() {
            NatSim sim = sim();
            sim.host.udpClosedPorts.put(9, true);
            SimGuest g = guest(sim);
            g.sendUdp(5353, REMOTE, 9, "anyone?".getBytes());
            sim.runUntil(() -> !g.icmpReceived.isEmpty(), S, "ICMP");
            assertEquals("type 3 code 3 from " + REMOTE, g.icmpReceived.get(0));
            assertEquals(1, sim.engine.udp().counters().portUnreachable());
            assertEquals(1, sim.engine.icmpErrorsSent());
            sim.assertNoLeaks();
        }

        @Test
        void aPolicyRefusedDestinationIsDroppedAndCounted() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            g.sendUdp(5353, io.userv2.stack.wire.Ipv4Address.parse("198.51.100.1"), 9, new byte[] {1});
            sim.step();
            assertTrue(sim.host.udp.isEmpty());
            assertEquals(1, sim.engine.udp().counters().drops());
            sim.assertNoLeaks();
        }

        @Test
        void theFlowCapHolds() {
            NatSim sim = new NatSim(NatSim.config().withUdp(60 * S, 3, 3), SEED);
            SimGuest g = guest(sim);
            for (int i = 0; i < 5; i++) {
                g.sendUdp(6000 + i, REMOTE, 9, new byte[] {1});
            }
            sim.step();
            assertEquals(3, sim.engine.udp().size());
            assertNotNull(sim.host.udp.get(2));
            assertEquals(2, sim.engine.udp().counters().drops());
            assertFalse(sim.host.udp.stream().anyMatch(u -> u.closed));
            sim.assertNoLeaks();
        }
    }

    @Test
    void aPortForwardReachesOnlyIpv4GuestsOfTheSubnet() {
        NatSim sim = sim();
        for (String notOnLan : java.util.List.of("10.9.9.9", "192.168.105.7", "192.168.104.2", "192.168.104.0",
                "192.168.104.255")) {
            io.userv2.stack.wire.Ipv4Address a = io.userv2.stack.wire.Ipv4Address.parse(notOnLan);
            org.junit.jupiter.api.Assertions.assertNull(
                    sim.engine.openToGuest(a, 80, sim.host.accepted(), sim.now), notOnLan);
            assertEquals(Boolean.FALSE, sim.engine.tcp().probe(a, 80, S, sim.now).getNow(null), notOnLan);
        }
        assertEquals(0, sim.engine.tcp().connections());
        assertNotNull(sim.engine.openToGuest(io.userv2.stack.wire.Ipv4Address.parse("192.168.104.7"), 80,
                sim.host.accepted(), sim.now), "a host of the subnet");
        sim.engine.closeAll();
        sim.runFor(100 * MS);
        sim.assertNoLeaks();
    }
}
