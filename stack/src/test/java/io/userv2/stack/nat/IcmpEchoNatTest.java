package io.userv2.stack.nat;

import static io.userv2.stack.nat.NatSim.GATEWAY;
import static io.userv2.stack.nat.NatSim.REMOTE;
import static io.userv2.stack.nat.NatSim.S;
import static io.userv2.stack.nat.NatSim.SUBNET;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Icmpv4Packet;
import io.userv2.stack.wire.Ipv4Address;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * ICMP echo through the NAT on a virtual clock, against ping sockets that behave as Linux's (the kernel puts in an
 * identifier of its own and the checksum): the guest's identifier and sequence come back, from the address it pinged,
 * with correct checksums; blocked destinations, malformed messages and a host without ping sockets are dropped and
 * counted; caps, idle expiry and port close hold. Each scenario also checks that every buffer was released.
 */
class IcmpEchoNatTest {
    static final long SEED = 20261205L;
    static final Ipv4Address LOOPBACK = Ipv4Address.parse("127.0.0.1");
    static final byte[] DATA = "abcdefghijklmnopqrstuvwabcdefghi".getBytes();

    static NatSim sim() {
        return new NatSim(NatSim.config(), SEED);
    }

    static SimGuest guest(NatSim sim) {
        return sim.guest(7, "52:55:55:00:00:07", "192.168.104.7");
    }

    static int id(byte[] message) {
        return ((message[4] & 0xFF) << 8) | (message[5] & 0xFF);
    }

    static int seq(byte[] message) {
        return ((message[6] & 0xFF) << 8) | (message[7] & 0xFF);
    }

    @Nested
    class Echo {
        @Test
        void aNatTargetAnswersAsItselfWithTheGuestsIdentifierAndSequence() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            for (int seq = 1; seq <= 3; seq++) {
                g.ping(REMOTE, 0x1234, seq, DATA);
            }
            sim.runUntil(() -> g.echoReplies.size() == 3, S, "three replies");

            assertEquals(1, sim.host.ping.size(), "one ping socket for the flow");
            FakeHost.Ping socket = sim.host.ping.get(0);
            assertEquals(LOOPBACK, socket.address, "--nat 203.0.113.10=127.0.0.1 pings the host's loopback");
            for (int i = 0; i < 3; i++) {
                byte[] sent = socket.sent.get(i);
                assertEquals(socket.identifier, id(sent), "the kernel's identifier on the host side");
                assertEquals(i + 1, seq(sent), "sequence as the guest sent it");
                assertArrayEquals(DATA, java.util.Arrays.copyOfRange(sent, 8, sent.length), "data as sent");

                SimGuest.EchoReply r = g.echoReplies.get(i);
                assertEquals(REMOTE, r.from(), "the reply comes from the address the guest pinged");
                assertEquals(g.ip, r.to());
                assertEquals(0, r.code());
                assertEquals(0x1234, r.identifier(), "the guest's identifier, not the socket's");
                assertEquals(i + 1, r.sequence());
                assertArrayEquals(DATA, r.data());
                assertTrue(r.icmpChecksumOk(), "ICMP checksum of the reply");
                assertTrue(r.ipChecksumOk(), "IPv4 header checksum of the reply");
            }
            IcmpEchoNat.Counters c = sim.engine.icmp().counters();
            assertEquals(1, c.flowsOpened());
            assertEquals(3, c.requestsToHost());
            assertEquals(3, c.repliesToGuest());
            assertEquals(0, c.drops());
            sim.assertNoLeaks();
        }

        @Test
        void theHostAliasPingsTheHostsLoopbackWhenTheGatewayDoesNotOwnIt() {
            Ipv4Address alias = Ipv4Address.parse("192.168.104.254");
            NatSim sim = new NatSim(NatSim.config(), SEED, new NatPolicy(SUBNET, alias, Map.of(), false));
            SimGuest g = guest(sim);
            g.ping(alias, 7, 1, DATA);
            g.ping(GATEWAY, 7, 1, DATA);
            sim.runUntil(() -> g.echoReplies.size() == 2, S, "two replies");
            assertEquals(1, sim.host.ping.size(), "the gateway answers its own address itself");
            assertEquals(LOOPBACK, sim.host.ping.get(0).address);
            assertTrue(g.echoReplies.stream().anyMatch(r -> r.from().equals(alias) && r.identifier() == 7));
            assertTrue(g.echoReplies.stream().anyMatch(r -> r.from().equals(GATEWAY) && r.identifier() == 7));
            sim.assertNoLeaks();
        }

        @Test
        void eachIdentifierDestinationAndGuestIsAFlowOfItsOwn() {
            Ipv4Address other = Ipv4Address.parse("203.0.113.20");
            NatSim sim = new NatSim(NatSim.config(), SEED, new NatPolicy(SUBNET, GATEWAY,
                    Map.of(REMOTE, LOOPBACK, other, Ipv4Address.parse("127.0.0.2")), false));
            SimGuest a = guest(sim);
            SimGuest b = sim.guest(8, "52:55:55:00:00:08", "192.168.104.8");
            a.ping(REMOTE, 100, 1, DATA);
            a.ping(REMOTE, 101, 1, DATA);
            a.ping(other, 100, 1, DATA);
            b.ping(REMOTE, 100, 1, DATA); // the same identifier from another guest
            a.ping(REMOTE, 100, 2, DATA); // the first flow again
            sim.runUntil(() -> a.echoReplies.size() == 4 && b.echoReplies.size() == 1, S, "five replies");
            assertEquals(4, sim.engine.icmp().size());
            assertEquals(4, sim.host.ping.size());
            assertEquals(2, sim.host.ping.get(0).sent.size());
            assertEquals(Ipv4Address.parse("127.0.0.2"), sim.host.ping.get(2).address);
            assertEquals(2, a.echoReplies.stream().filter(r -> r.identifier() == 100 && r.from().equals(REMOTE))
                    .count());
            assertEquals(1, a.echoReplies.stream().filter(r -> r.identifier() == 101 && r.from().equals(REMOTE))
                    .count());
            assertEquals(1, a.echoReplies.stream().filter(r -> r.identifier() == 100 && r.from().equals(other))
                    .count());
            assertEquals(100, b.echoReplies.get(0).identifier());
            assertEquals(b.ip, b.echoReplies.get(0).to());
            sim.assertNoLeaks();
        }

        @Test
        void aLargeEchoIsFragmentedBackToTheGuest() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            byte[] big = NatSim.randomBytes(new Random(SEED), 4000);
            g.ping(REMOTE, 9, 1, big);
            sim.runUntil(() -> g.echoReplies.size() == 1, S, "the reply");
            assertArrayEquals(big, g.echoReplies.get(0).data(), "reassembled by the guest");
            assertTrue(g.echoReplies.get(0).icmpChecksumOk());
            assertTrue(sim.gateway.counters().fragmentsSent() >= 3);
            sim.assertNoLeaks();
        }

        @Test
        void aDestinationThatDoesNotAnswerLeavesTheGuestWithoutReply() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            g.ping(REMOTE, 5, 1, DATA);
            sim.step();
            FakeHost.Ping socket = sim.host.ping.get(0);
            socket.answers = false;
            socket.toGuest.clear();
            g.echoReplies.clear();
            g.ping(REMOTE, 5, 2, DATA);
            sim.runFor(2 * S);
            assertEquals(2, socket.sent.size());
            assertTrue(g.echoReplies.isEmpty());
            sim.assertNoLeaks();
        }
    }

    @Nested
    class Dropped {
        @Test
        void blockedDestinationsAreDroppedSilentlyWithoutASocket() {
            NatSim sim = sim(); // --no-outside: only the host alias and 203.0.113.10 are reachable
            SimGuest g = guest(sim);
            g.ping(Ipv4Address.parse("203.0.113.11"), 1, 1, DATA); // no rule
            g.ping(Ipv4Address.parse("169.254.169.254"), 1, 1, DATA); // link-local: never
            g.ping(Ipv4Address.parse("224.0.0.1"), 1, 1, DATA); // multicast: never
            g.ping(Ipv4Address.parse("127.0.0.1"), 1, 1, DATA); // the guest's own loopback never leaves it
            sim.runFor(2 * S);
            assertEquals(0, sim.host.pingOpenAttempts);
            assertTrue(g.echoReplies.isEmpty());
            assertTrue(g.icmpReceived.isEmpty(), "no error either: the ping times out");
            assertEquals(4, sim.engine.icmp().counters().dropsPolicy());
            assertEquals(4, sim.engine.icmpNotForwarded());
            sim.assertNoLeaks();
        }

        @Test
        void theOutsideIsPingedAsItselfWhenAllowed() {
            NatSim sim = new NatSim(NatSim.config(), SEED, new NatPolicy(SUBNET, GATEWAY, Map.of(), true));
            SimGuest g = guest(sim);
            Ipv4Address outside = Ipv4Address.parse("198.51.100.7");
            g.ping(outside, 1, 1, DATA);
            g.ping(Ipv4Address.parse("169.254.169.254"), 1, 1, DATA);
            sim.runUntil(() -> g.echoReplies.size() == 1, S, "the reply");
            assertEquals(1, sim.host.ping.size());
            assertEquals(outside, sim.host.ping.get(0).address);
            assertEquals(outside, g.echoReplies.get(0).from());
            assertEquals(1, sim.engine.icmp().counters().dropsPolicy(), "link-local even with the outside");
            sim.assertNoLeaks();
        }

        @Test
        void malformedAndOtherIcmpIsDroppedAndCounted() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            g.sendIcmp(REMOTE, new byte[] {8, 0, 0, 0}); // truncated: no room for identifier and sequence
            byte[] badSum = echo(8, 0, 1, 1);
            badSum[2] ^= 0x55;
            g.sendIcmp(REMOTE, badSum);
            g.sendIcmp(REMOTE, echo(8, 1, 1, 1)); // echo with code 1
            g.sendIcmp(REMOTE, echo(0, 0, 1, 1)); // an echo reply
            g.sendIcmp(REMOTE, echo(13, 0, 1, 1)); // a timestamp request
            g.sendIcmp(REMOTE, echo(3, 3, 0, 0)); // an error
            sim.runFor(2 * S);
            assertEquals(0, sim.host.pingOpenAttempts);
            assertTrue(g.echoReplies.isEmpty());
            IcmpEchoNat.Counters c = sim.engine.icmp().counters();
            assertEquals(3, c.dropsNotEcho());
            assertEquals(6, c.drops());
            assertEquals(0, c.hostErrors());
            // The engine still works afterwards.
            g.ping(REMOTE, 1, 1, DATA);
            sim.runUntil(() -> g.echoReplies.size() == 1, S, "a good ping after the bad ones");
            sim.assertNoLeaks();
        }

        /** An 8-byte ICMP message of {@code type}/{@code code} with a correct checksum. */
        byte[] echo(int type, int code, int identifier, int sequence) {
            ByteBuf b = Unpooled.buffer(8);
            b.writeByte(type).writeByte(code).writeShort(0).writeShort(identifier).writeShort(sequence);
            b.setShort(Icmpv4Packet.CHECKSUM, io.userv2.stack.wire.Checksum.compute(b, 0, 8));
            byte[] out = new byte[8];
            b.getBytes(0, out);
            return out;
        }

        @Test
        void withoutPingSocketsEchoIsDroppedCountedAndTriedAgainOnlyNowAndThen() {
            NatSim sim = sim();
            sim.host.pingUnavailable = true;
            SimGuest g = guest(sim);
            for (int i = 0; i < 50; i++) {
                g.ping(REMOTE, 1, i, DATA); // a flood within the same second
            }
            sim.step();
            assertEquals(1, sim.host.pingOpenAttempts, "one system call, not one per request");
            assertEquals(50, sim.engine.icmp().counters().dropsUnavailable());
            assertTrue(g.echoReplies.isEmpty());
            assertEquals(0, sim.engine.quotas().usage(g.port).icmpEcho(), "nothing held");

            sim.host.pingUnavailable = false; // the administrator widened net.ipv4.ping_group_range
            sim.runFor(IcmpEchoNat.UNAVAILABLE_RETRY_NANOS);
            g.ping(REMOTE, 1, 99, DATA);
            sim.runUntil(() -> g.echoReplies.size() == 1, S, "the reply once ping sockets work");
            assertEquals(99, g.echoReplies.get(0).sequence());
            assertEquals(2, sim.host.pingOpenAttempts);
            sim.assertNoLeaks();
        }

        @Test
        void aSocketThatFailsToOpenCostsThatRequestOnly() {
            NatSim sim = sim();
            sim.host.pingOpenFails = true;
            SimGuest g = guest(sim);
            g.ping(REMOTE, 1, 1, DATA);
            g.ping(REMOTE, 1, 2, DATA);
            sim.runUntil(() -> g.echoReplies.size() == 1, S, "the second reply");
            assertEquals(2, g.echoReplies.get(0).sequence());
            assertEquals(1, sim.engine.icmp().counters().hostErrors());
            sim.assertNoLeaks();
        }

        @Test
        void hostErrorsAndStrangeRepliesAreCountedAndTheFlowCarriesOn() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            g.ping(REMOTE, 3, 1, DATA);
            sim.runUntil(() -> g.echoReplies.size() == 1, S, "first reply");
            FakeHost.Ping socket = sim.host.ping.get(0);
            socket.error(); // ICMP host unreachable about a request, reported on the socket
            socket.toGuest.add(new byte[] {3, 1, 0, 0}); // too short for an ICMP message
            socket.toGuest.add(new byte[] {3, 1, 0, 0, 0, 0, 0, 0}); // not an echo reply
            sim.runFor(S);
            assertEquals(1, sim.engine.icmp().counters().hostErrors());
            assertEquals(2, sim.engine.icmp().counters().drops());
            socket.full = true;
            g.ping(REMOTE, 3, 2, DATA);
            sim.step();
            socket.full = false;
            g.ping(REMOTE, 3, 3, DATA);
            sim.runUntil(() -> g.echoReplies.size() == 2, S, "a reply after the errors");
            assertEquals(3, g.echoReplies.get(1).sequence());
            assertEquals(3, sim.engine.icmp().counters().drops(), "the request the full socket did not take");
            assertEquals(1, sim.engine.icmp().size());
            sim.assertNoLeaks();
        }

        @Test
        void aFaultInOneFlowClosesThatFlowOnly() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            g.ping(REMOTE, 1, 1, DATA);
            g.ping(REMOTE, 2, 1, DATA);
            sim.runUntil(() -> g.echoReplies.size() == 2, S, "two replies");
            sim.host.ping.get(0).failOnSend = new IllegalStateException("bug");
            g.ping(REMOTE, 1, 2, DATA);
            g.ping(REMOTE, 2, 2, DATA);
            sim.runUntil(() -> g.echoReplies.size() == 3, S, "the other flow's reply");
            assertEquals(2, g.echoReplies.get(2).identifier());
            assertTrue(sim.host.ping.get(0).closed);
            assertEquals(1, sim.faults.size(), sim.faults.toString());
            assertEquals(1, sim.engine.icmp().size());
            sim.assertNoLeaks();
        }
    }

    @Nested
    class Lifetime {
        @Test
        void idleFlowsCloseAndActiveOnesStay() {
            NatSim sim = sim();
            SimGuest g = guest(sim);
            g.ping(REMOTE, 1, 1, DATA);
            g.ping(REMOTE, 2, 1, DATA);
            sim.runUntil(() -> g.echoReplies.size() == 2, S, "two replies");
            long timeout = sim.config.icmpIdleTimeoutNanos();
            long until = sim.now + timeout + 2 * S;
            int seq = 2;
            while (sim.now - until < 0) {
                g.ping(REMOTE, 2, seq++, DATA); // flow 2 pings once a second, flow 1 is idle
                sim.runFor(S);
            }
            assertTrue(sim.host.ping.get(0).closed, "the idle flow's socket is closed");
            assertFalse(sim.host.ping.get(1).closed, "the active flow's socket is open");
            assertEquals(1, sim.engine.icmp().size());
            assertEquals(1, sim.engine.quotas().usage(g.port).icmpEcho());
            g.ping(REMOTE, 1, 9, DATA); // the idle identifier again: a new flow
            sim.runUntil(() -> sim.host.ping.size() == 3, S, "a new socket");
            sim.assertNoLeaks();
        }

        @Test
        void aClosedPortTakesItsFlowsAndNoOther() {
            NatSim sim = sim();
            SimGuest a = guest(sim);
            SimGuest b = sim.guest(8, "52:55:55:00:00:08", "192.168.104.8");
            a.ping(REMOTE, 1, 1, DATA);
            a.ping(REMOTE, 2, 1, DATA);
            b.ping(REMOTE, 1, 1, DATA);
            sim.runUntil(() -> a.echoReplies.size() == 2 && b.echoReplies.size() == 1, S, "replies");
            assertEquals(2, sim.engine.portClosed(a.port, sim.now));
            assertTrue(sim.host.ping.get(0).closed);
            assertTrue(sim.host.ping.get(1).closed);
            assertFalse(sim.host.ping.get(2).closed);
            assertEquals(1, sim.engine.icmp().size());
            assertEquals(null, sim.engine.quotas().usage(a.port));
            b.ping(REMOTE, 1, 2, DATA);
            sim.runUntil(() -> b.echoReplies.size() == 2, S, "the other port's flow still answers");
            sim.assertNoLeaks();
        }

        @Test
        void aPortAtItsCapLeavesOtherPortsAloneAndTheTotalCapHolds() {
            NatSim sim = new NatSim(NatSim.config().withIcmp(30 * S, 3, 2), SEED);
            SimGuest a = guest(sim);
            SimGuest b = sim.guest(8, "52:55:55:00:00:08", "192.168.104.8");
            for (int id = 1; id <= 4; id++) {
                a.ping(REMOTE, id, 1, DATA);
            }
            sim.step();
            assertEquals(2, sim.engine.icmp().size(), "port 7 at its cap of 2");
            assertEquals(List.of("7 ICMP_ECHO 2 1"), sim.portsAtCap, "reported once per 10 s");
            b.ping(REMOTE, 1, 1, DATA);
            b.ping(REMOTE, 2, 1, DATA);
            sim.step();
            assertEquals(3, sim.engine.icmp().size(), "the total cap of 3");
            assertEquals(3, sim.engine.icmp().counters().drops());
            assertEquals(1, sim.engine.quotas().usage(b.port).icmpEcho());
            assertEquals(2, sim.engine.quotas().usage(a.port).refused());
            sim.runUntil(() -> a.echoReplies.size() == 2 && b.echoReplies.size() == 1, S, "replies of the flows");
            sim.assertNoLeaks();
        }
    }
}
