package io.userv2.stack.nat;

import static io.userv2.stack.nat.NatSim.GATEWAY6;
import static io.userv2.stack.nat.NatSim.MS;
import static io.userv2.stack.nat.NatSim.REMOTE;
import static io.userv2.stack.nat.NatSim.REMOTE6;
import static io.userv2.stack.nat.NatSim.S;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.tcp.TcpCloseCause;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpState;
import io.userv2.stack.wire.Ipv6Address;
import java.util.List;
import io.userv2.stack.tcp.TcpConfig;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import org.junit.jupiter.api.Test;

/**
 * TCP NAT66 on the virtual clock of {@link NatSim}: a dual-stack guest's connections over IPv6 get the same endpoint,
 * dial-then-accept, caps and lifecycle as over IPv4, to the host's {@code ::1} through the gateway's IPv6 address or a
 * {@code --nat} rule, with the MSS of the IPv6 header and ICMPv6 errors. Each scenario checks that every buffer was
 * released.
 */
class Tcp6NatTest {
    private static final long SEED = 20261205L;

    private static NatSim sim() {
        return new NatSim(NatSim.config(), SEED).enableIpv6();
    }

    private static SimGuest guest(NatSim sim) {
        return sim.guest6(7, "52:55:55:00:00:07", "192.168.104.7");
    }

    private static TcpConnection established(NatSim sim, SimGuest g, Ipv6Address to, int port) {
        TcpConnection c = g.connect(to, port);
        sim.runUntil(() -> c.state() == TcpState.ESTABLISHED, 5 * S, "handshake");
        return c;
    }

    @Test
    void theGatewaysAddressReachesTheHostsIpv6LoopbackOnlyOnceTheDialCompleted() {
        NatSim sim = sim();
        SimGuest g = guest(sim);
        sim.host.dialByPort.put(80, FakeHost.Dial.BLACKHOLE);
        TcpConnection c = g.connect(GATEWAY6, 80);
        sim.runFor(500 * MS);
        assertEquals(TcpState.SYN_SENT, c.state(), "no SYN-ACK while the host dial is pending");
        FakeHost.Tcp host = sim.host.lastTcp();
        assertEquals(Ipv6Address.LOOPBACK, host.address, "the IPv6 host alias is ::1");
        assertEquals(80, host.port);
        host.outcome = FakeHost.Dial.ACCEPT;
        sim.runUntil(() -> c.state() == TcpState.ESTABLISHED, 5 * S, "handshake after the dial");
        // The gateway's SYN-ACK offers 1500 - 40 (IPv6) - 20 (TCP), and no timestamps (NatConfig.defaults()).
        assertEquals(1440, c.sendMss(), "MSS from the IPv6 MTU");
        assertEquals(1, sim.engine.tcp().connections6Opened());
        sim.assertNoLeaks();
    }

    @Test
    void aNatRuleMapsADocumentationAddressToLoopbackAndNothingElseIsDialled() {
        NatSim sim = sim();
        SimGuest g = guest(sim);
        established(sim, g, REMOTE6, 8080);
        assertEquals(Ipv6Address.LOOPBACK, sim.host.lastTcp().address, "--nat 2001:db8::10=::1");
        TcpConnection refused = g.connect(Ipv6Address.parse("2001:db8::99"), 80);
        sim.runUntil(() -> refused.state() == TcpState.CLOSED, 2 * S, "RST: not outside");
        assertEquals(TcpCloseCause.RESET_BY_PEER, refused.closeCause());
        assertEquals(1, sim.host.tcp.size(), "nothing dialled for the refused destination");
        assertEquals(1, sim.engine.tcp().dropsPolicy());
        sim.assertNoLeaks();
    }

    @Test
    void aRefusedDialIsAnsweredWithRst() {
        NatSim sim = sim();
        SimGuest g = guest(sim);
        sim.host.dialByPort.put(81, FakeHost.Dial.REFUSE);
        NatEngineTest.assertRefusedWithRst(sim, g.connect(GATEWAY6, 81));
    }

    @Test
    void anUnreachableHostIsReportedWithIcmpv6QuotingTheGuestsSyn() {
        NatSim sim = sim();
        SimGuest g = guest(sim);
        // RFC 4443 3.1: type 1, code 3 (address unreachable) and code 0 (no route), from the gateway as a router.
        NatEngineTest.assertUnreachableReported(sim, g, port -> g.connect(REMOTE6, port),
                List.of("type 1 code 3 from " + GATEWAY6, "type 1 code 0 from " + GATEWAY6));
    }

    @Test
    void bytesArriveIntactBothWaysOverALossyLink() {
        NatSim sim = sim();
        sim.loss = 0.02;
        SimGuest g = guest(sim);
        NatEngineTest.assertTransferIntact(sim, g, established(sim, g, GATEWAY6, 80));
    }

    @Test
    void bothFamiliesShareTheCapsAndAClosingPortAbortsBoth() {
        NatSim sim = new NatSim(NatSim.config().withConnectionLimits(100, 2, 2), SEED).enableIpv6();
        SimGuest g = guest(sim);
        SimGuest other = sim.guest6(8, "52:55:55:00:00:08", "192.168.104.8");
        TcpConnection v4 = g.connect(REMOTE, 80);
        sim.runUntil(v4::isEstablished, 5 * S, "over IPv4");
        established(sim, g, GATEWAY6, 80);
        TcpConnection third = g.connect(GATEWAY6, 80);
        sim.runUntil(() -> third.state() == TcpState.CLOSED, 2 * S, "RST over the port's cap of 2");
        assertEquals(1, sim.engine.quotas().usage(7).refused());
        TcpConnection stays = established(sim, other, GATEWAY6, 80);

        assertEquals(2, sim.engine.portClosed(7, sim.now), "the IPv4 and the IPv6 connection");
        assertEquals(1, sim.engine.tcp().connections());
        assertEquals(2, sim.host.tcp.stream().filter(t -> t.closed && t.closedWithReset).count(),
                "both host peers see RST");
        byte[] still = "still here".getBytes();
        other.send(stays, still, 0);
        FakeHost.Tcp otherHost = sim.host.lastTcp();
        sim.runUntil(() -> otherHost.fromGuest.size() == still.length, 5 * S, "the other guest carries on");
        sim.assertNoLeaks();
    }

    @Test
    void aPortForwardOpensFromTheGatewaysIpv6AddressToTheGuest() {
        NatSim sim = sim();
        SimGuest g = guest(sim);
        assertNull(sim.engine.openToGuest(Ipv6Address.parse("ff02::1"), 80, sim.host.accepted(), sim.now),
                "no connection to a multicast group");
        assertNull(sim.engine.openToGuest(GATEWAY6, 80, sim.host.accepted(), sim.now), "nor to the gateway itself");
        established(sim, g, GATEWAY6, 80); // the gateway has heard the guest: its MAC is in the neighbour cache
        FakeHost.Tcp client = sim.host.accepted();
        NatTcpFlow flow = sim.engine.openToGuest(g.ip6, 8080, client, sim.now);
        assertNotNull(flow);
        assertEquals(GATEWAY6, flow.conn.key().localIpv6(), "from the gateway's ULA address");
        assertEquals(g.ip6, flow.conn.key().remoteIpv6());
        // Nothing listens on the guest's 8080: its kernel answers the SYN with RST, and the host client is closed.
        sim.runUntil(() -> client.closed, 5 * S, "the guest refused the SYN");
        assertEquals(1, g.resetsReceivedForUnknown, "the SYN reached the guest over IPv6");
        sim.assertNoLeaks();
    }

    @Test
    void theGatewaysLocalServicesAnswerOnItsIpv6AddressToo() {
        NatSim sim = sim();
        sim.engine.serveLocally(7, NatEngineTest.LocalServices.echo());
        SimGuest g = guest(sim);
        TcpConnection c = g.connect(GATEWAY6, 7);
        sim.runUntil(c::isEstablished, 5 * S, "accepted at once");
        g.send(c, "query".getBytes(), 0);
        sim.runUntil(() -> g.receivedOn(c).length == 5, 5 * S, "the echo");
        assertArrayEquals("query".getBytes(), g.receivedOn(c));
        assertTrue(sim.host.tcp.isEmpty(), "served inside, no host socket");
        sim.assertNoLeaks();
    }

    @Test
    void aSegmentForNoConnectionIsAnsweredWithRst() {
        NatSim sim = sim();
        SimGuest g = guest(sim);
        TcpConnection c = established(sim, g, GATEWAY6, 80);
        assertEquals(1, sim.engine.portClosed(7, sim.now)); // the gateway forgets it; the guest does not know
        g.send(c, "late".getBytes(), 0);
        sim.runUntil(() -> c.state() == TcpState.CLOSED, 5 * S, "RST for a segment of no connection");
        assertEquals(TcpCloseCause.RESET_BY_PEER, c.closeCause());
        assertEquals(1, sim.engine.tcp().resetsSent());
        sim.assertNoLeaks();
    }

    @Test
    void synsFromSourcesOffTheLanOpenNoFlow() {
        NatSim sim = sim();
        for (String spoofed : List.of("2001:db8::bad", "fe80:0:0:1::7", GATEWAY6.toString())) {
            SimGuest liar = new SimGuest(sim, 7, MacAddress.parse("52:55:55:00:00:07"),
                    Ipv4Address.parse("192.168.104.7"), Ipv6Address.parse(spoofed),
                    TcpConfig.defaults().withoutKeepAlive());
            sim.guests.add(liar);
            liar.connect(GATEWAY6, 80);
            sim.runFor(500 * MS);
        }
        assertEquals(0, sim.host.tcp.size(), "nothing dialled for a source that is no guest's");
        assertEquals(0, sim.engine.tcp().connections());
        assertEquals(3, sim.engine.tcp().dropsSource6());
        assertEquals(3, sim.engine.sourceRefused6());
        established(sim, guest(sim), GATEWAY6, 80); // an in-prefix guest still gets through
        sim.assertNoLeaks();
    }

    @Test
    void aPortForwardReachesOnlyGuestsOnTheLan() {
        NatSim sim = sim();
        for (String notOnLan : List.of("2001:db8::5", "::ffff:192.168.104.7", "fe80:0:0:1::5", "ff02::1")) {
            assertNull(sim.engine.openToGuest(Ipv6Address.parse(notOnLan), 80, sim.host.accepted(), sim.now),
                    notOnLan);
            assertEquals(Boolean.FALSE, sim.engine.tcp().probe(Ipv6Address.parse(notOnLan), 80, S, sim.now).getNow(null),
                    notOnLan);
        }
        assertNotNull(sim.engine.openToGuest(Ipv6Address.parse("fe80::5"), 80, sim.host.accepted(), sim.now),
                "a link-local guest is on the LAN");
        sim.engine.closeAll();
        sim.runFor(100 * MS);
        sim.assertNoLeaks();
    }
}
