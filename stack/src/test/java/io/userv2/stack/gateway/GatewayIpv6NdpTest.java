package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.Ipv6Frames.GW_LL;
import static io.userv2.stack.gateway.Ipv6Frames.GW_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.GW_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.PREFIX;
import static io.userv2.stack.gateway.Ipv6Frames.VM2_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.VM2_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.VM_LL;
import static io.userv2.stack.gateway.Ipv6Frames.VM_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.VM_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.icmp;
import static io.userv2.stack.gateway.Ipv6Frames.neighborSolicitation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.Ipv6Frames.Sent;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.NdpDnssl;
import io.userv2.stack.wire.NdpOptions;
import io.userv2.stack.wire.NdpPrefixInformation;
import io.userv2.stack.wire.NdpRdnss;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;

/** Neighbor Discovery and Router Advertisements at the gateway (RFC 4861, RFC 8106), on a virtual clock. */
class GatewayIpv6NdpTest extends Ipv6GatewayFixture {

    @Test
    void addressesFollowFromMacAndConfig() {
        assertEquals(GW_LL, v6.linkLocal(), "modified EUI-64 of 5a:94:ef:e4:0c:dd");
        assertEquals(Ipv6Address.parse("fe80::5894:efff:fee4:cdd"), v6.linkLocal());
        assertEquals(GW_ULA, v6.address());
        assertTrue(v6.owns(GW_LL) && v6.owns(GW_ULA) && !v6.owns(VM_ULA));
        assertEquals(GW_LL, v6.sourceFor(VM_LL));
        assertEquals(GW_LL, v6.sourceFor(Ipv6Address.ALL_NODES));
        assertEquals(GW_ULA, v6.sourceFor(VM_ULA));
        assertThrows(IllegalStateException.class, () -> gateway.enableIpv6(config(), new Random(), NOW));
    }

    @Nested
    class RouterAdvertisements {
        @Test
        void theAdvertisementCarriesPrefixMtuRdnssAndDnssl() throws Exception {
            at(60 * SECOND); // the second periodic one is due within 16 s
            Sent s = take();
            takeAdvertisements();
            assertEquals(Ipv6Address.ALL_NODES.multicastMac(), s.dstMac());
            assertEquals(GW_MAC.bits(), s.srcMac());
            assertEquals(GW_LL, s.src(), "RFC 4861 4.2: from the link-local address");
            assertEquals(Ipv6Address.ALL_NODES, s.dst());
            assertEquals(255, s.hopLimit());
            Icmpv6Repr.RouterAdvertisement ra = s.icmp(Icmpv6Repr.RouterAdvertisement.class);
            assertEquals(64, ra.currentHopLimit());
            assertFalse(ra.managed() || ra.other(), "no DHCPv6 configured");
            assertEquals(1800, ra.routerLifetime());
            assertEquals(0, ra.reachableTime());
            assertEquals(0, ra.retransTimer());
            NdpOptions o = ra.options();
            assertEquals(GW_MAC, o.sourceLinkLayerAddress());
            assertEquals(1500, o.mtu());
            assertEquals(List.of(NdpPrefixInformation.slaac(PREFIX, 86400, 14400)), o.prefixes());
            assertEquals(List.of(new NdpRdnss(600, List.of(GW_ULA))), o.rdnss(), "RFC 8106: 3 * MaxRtrAdvInterval");
            assertEquals(List.of(new NdpDnssl(600, List.of("corp.test", "lab.test"))), o.dnssl());
            // An independent decoder agrees on the checksum.
            EthernetPacket eth = EthernetPacket.newPacket(s.bytes(), 0, s.bytes().length);
            assertTrue(eth.get(IcmpV6CommonPacket.class).hasValidChecksum(GW_LL.toInetAddress(),
                    Ipv6Address.ALL_NODES.toInetAddress(), false));
        }

        @Test
        void periodicScheduleHasThreeFastOnesThenMinToMaxInterval() {
            List<Long> times = new java.util.ArrayList<>();
            times.add(NOW);
            for (long t = 0; t <= 3000 * SECOND; t += SECOND / 10) {
                at(t);
                while (!sink.frames.isEmpty()) {
                    take().icmp(Icmpv6Repr.RouterAdvertisement.class);
                    times.add(now);
                }
            }
            assertTrue(times.size() > 10, "advertisements: " + times.size());
            for (int i = 1; i < times.size(); i++) {
                double gap = (times.get(i) - times.get(i - 1)) / 1e9;
                if (i <= 3) {
                    assertTrue(gap <= 16.1, "RFC 4861 6.2.4: initial ones at most 16 s apart, got " + gap);
                } else {
                    assertTrue(gap >= 65.9 && gap <= 200.1, "between Min (66 s) and Max (200 s): " + gap);
                }
            }
            assertEquals(times.size(), v6.periodicAdvertisementsSent(), "the first one, at NOW, included");
        }

        @Test
        void solicitationFromAnAddressIsAnsweredByUnicastAtOnceAndTeachesTheCache() {
            receive(icmp(VM_MAC, VM_LL, Ipv6Address.ALL_ROUTERS, 255,
                    new Icmpv6Repr.RouterSolicitation(NdpOptions.sourceLinkLayer(VM_MAC))));
            Sent s = take();
            assertEquals(VM_MAC.bits(), s.dstMac());
            assertEquals(VM_LL, s.dst());
            assertEquals(GW_LL, s.src());
            assertEquals(255, s.hopLimit());
            assertEquals(v6.routerAdvertisement(), s.icmp(Icmpv6Repr.RouterAdvertisement.class));
            assertEquals(VM_MAC, v6.neighbors().lookup(VM_LL));
            assertEquals(List.of("+" + VM_LL + " " + VM_MAC + " " + PORT), neighborEvents);
        }

        @Test
        void unicastAnswersAreRateLimited() {
            for (int i = 0; i < 25; i++) {
                receive(icmp(VM_MAC, VM_LL, Ipv6Address.ALL_ROUTERS, 255,
                        new Icmpv6Repr.RouterSolicitation(NdpOptions.NONE)));
            }
            for (int i = 0; i < RouterAdvertiser.UNICAST_BURST; i++) {
                assertEquals(VM_LL, take().dst());
            }
            assertEquals(25 - RouterAdvertiser.UNICAST_BURST, counters.dropped(DropReason.NDP_SOLICITATION_RATE_LIMITED));
            now += SECOND;
            receive(icmp(VM_MAC, VM_LL, Ipv6Address.ALL_ROUTERS, 255, new Icmpv6Repr.RouterSolicitation(NdpOptions.NONE)));
            assertEquals(VM_MAC.bits(), take().dstMac(), "tokens come back with time");
        }

        @Test
        void solicitationFromUnspecifiedBringsTheMulticastOneForwardButNotWithin3s() {
            now = NOW + SECOND; // the last multicast one went at NOW
            receive(icmp(VM_MAC, Ipv6Address.UNSPECIFIED, Ipv6Address.ALL_ROUTERS, 255,
                    new Icmpv6Repr.RouterSolicitation(NdpOptions.NONE)));
            assertTrue(sink.frames.isEmpty(), "never answered at once");
            long due = gateway.pollAt();
            assertEquals(NOW + RouterAdvertiser.MIN_DELAY_BETWEEN_RAS_NANOS, due,
                    "MIN_DELAY_BETWEEN_RAS after the last multicast one");
            at(due - NOW);
            assertEquals(Ipv6Address.ALL_NODES, take().dst());
            // Later, with the periodic ones past their fast start: within MAX_RA_DELAY_TIME of the solicitation.
            for (long t = 3 * SECOND + SECOND / 2; t <= 100 * SECOND; t += SECOND / 2) {
                at(t);
                takeAdvertisements();
            }
            long before = gateway.pollAt();
            receive(icmp(VM_MAC, Ipv6Address.UNSPECIFIED, Ipv6Address.ALL_ROUTERS, 255,
                    new Icmpv6Repr.RouterSolicitation(NdpOptions.NONE)));
            long after = gateway.pollAt();
            assertTrue(after - now >= 0 && after - now <= RouterAdvertiser.MAX_RA_DELAY_TIME_NANOS && after < before,
                    "due " + (after - now) + " ns after the solicitation");
            at(after - NOW);
            assertEquals(Ipv6Address.ALL_NODES, take().dst());
        }

        @Test
        void flagsFollowTheDhcpv6ConfigurationAndDomainsDnsslCannotCarryAreLeftOut() {
            Ipv6Config c = Ipv6Config.of(PREFIX, GW_ULA, List.of("ok.test", "bad domain", "x..y", "")).withDhcpv6(
                    true, true);
            assertEquals(List.of("ok.test"), c.searchDomains());
            Gateway g = new Gateway(GW_MAC, GatewayTest.GW_IP, GatewayTest.SUBNET, frame -> frame.release(), alloc,
                    new GatewayCounters(), new ArpCache());
            Icmpv6Repr.RouterAdvertisement ra = g.enableIpv6(c, new Random(1), NOW).routerAdvertisement();
            assertTrue(ra.managed() && ra.other());
            assertEquals(List.of(new NdpDnssl(600, List.of("ok.test"))), ra.options().dnssl());
        }

        @Test
        void advertisementsAndRedirectsFromGuestsAreIgnored() {
            receive(icmp(VM_MAC, VM_LL, Ipv6Address.ALL_NODES, 255, new Icmpv6Repr.RouterAdvertisement(64, 0, 1800,
                    0, 0, NdpOptions.sourceLinkLayer(VM_MAC))));
            assertEquals(1, counters.dropped(DropReason.NDP_ROUTER_ADVERTISEMENT_IGNORED));
            receive(icmp(VM_MAC, VM_LL, GW_LL, 255, new Icmpv6Repr.Redirect(VM_LL, Ipv6Frames.REMOTE,
                    NdpOptions.NONE)));
            assertEquals(1, counters.dropped(DropReason.NDP_REDIRECT_IGNORED));
        }
    }

    @Nested
    class NeighborSolicitations {
        @Test
        void solicitationForTheLinkLocalAddressByItsSolicitedNodeGroup() {
            receive(neighborSolicitation(VM_LL, GW_LL.solicitedNodeMulticast(), GW_LL));
            Sent s = take();
            assertEquals(VM_MAC.bits(), s.dstMac());
            assertEquals(GW_LL, s.src(), "from the target");
            assertEquals(VM_LL, s.dst());
            assertEquals(255, s.hopLimit());
            Icmpv6Repr.NeighborAdvertisement na = s.icmp(Icmpv6Repr.NeighborAdvertisement.class);
            assertTrue(na.router() && na.solicited() && na.override());
            assertEquals(GW_LL, na.target());
            assertEquals(GW_MAC, na.options().targetLinkLayerAddress());
            assertEquals(1, counters.neighborAdvertisementsSent());
            assertEquals(VM_MAC, v6.neighbors().lookup(VM_LL), "RFC 4861 7.2.3: learned from the solicitation");
        }

        @Test
        void unicastSolicitationForTheUlaAddressWithoutLinkLayerOption() {
            // Linux's reachability probes: unicast, no source link-layer address option.
            receive(icmp(VM_MAC, VM_ULA, GW_ULA, 255, new Icmpv6Repr.NeighborSolicitation(GW_ULA, NdpOptions.NONE)));
            Sent s = take();
            assertEquals(VM_MAC.bits(), s.dstMac(), "answered to the frame's source");
            assertEquals(GW_ULA, s.src());
            assertEquals(VM_ULA, s.dst());
            assertEquals(GW_ULA, s.icmp(Icmpv6Repr.NeighborAdvertisement.class).target());
        }

        @Test
        void duplicateAddressDetectionOfAGatewayAddressIsDefendedToAllNodes() {
            receive(neighborSolicitation(Ipv6Address.UNSPECIFIED, GW_ULA.solicitedNodeMulticast(), GW_ULA));
            Sent s = take();
            assertEquals(Ipv6Address.ALL_NODES.multicastMac(), s.dstMac());
            assertEquals(Ipv6Address.ALL_NODES, s.dst());
            Icmpv6Repr.NeighborAdvertisement na = s.icmp(Icmpv6Repr.NeighborAdvertisement.class);
            assertFalse(na.solicited(), "RFC 4861 7.2.4: Solicited clear to all-nodes");
            assertTrue(na.override());
            assertEquals(1, counters.dadDefended());
            assertEquals(0, v6.neighbors().size(), "nothing learned from ::");
        }

        @Test
        void aGuestClaimingAGatewayAddressIsAConflict() {
            receive(icmp(VM_MAC, VM_ULA, Ipv6Address.ALL_NODES, 255, new Icmpv6Repr.NeighborAdvertisement(false,
                    false, true, GW_ULA, NdpOptions.targetLinkLayer(VM_MAC))));
            assertEquals(1, counters.dropped(DropReason.NDP_ADDRESS_CONFLICT));
        }

        @Test
        void malformedNeighborDiscoveryIsDroppedAndCounted() {
            // Hop limit 254: could have been forwarded (RFC 4861 7.1.1).
            receive(icmp(VM_MAC, VM_LL, GW_LL.solicitedNodeMulticast(), 254,
                    new Icmpv6Repr.NeighborSolicitation(GW_LL, NdpOptions.sourceLinkLayer(VM_MAC))));
            // An option of length zero ("Nodes MUST silently discard an ND packet that contains an option with
            // length zero").
            byte[] zero = neighborSolicitation(VM_LL, GW_LL.solicitedNodeMulticast(), GW_LL);
            zero[14 + 40 + 24 + 1] = 0;
            fixIcmpChecksum(zero, VM_LL, GW_LL.solicitedNodeMulticast());
            receive(zero);
            // From :: with a source link-layer address option.
            receive(icmp(VM_MAC, Ipv6Address.UNSPECIFIED, GW_LL.solicitedNodeMulticast(), 255,
                    new Icmpv6Repr.NeighborSolicitation(GW_LL, NdpOptions.sourceLinkLayer(VM_MAC))));
            // Target multicast.
            receive(icmp(VM_MAC, VM_LL, GW_LL, 255, new Icmpv6Repr.NeighborSolicitation(Ipv6Address.ALL_NODES,
                    NdpOptions.NONE)));
            assertEquals(4, counters.dropped(DropReason.NDP_INVALID));
            // A bad checksum.
            byte[] bad = neighborSolicitation(VM_LL, GW_LL.solicitedNodeMulticast(), GW_LL);
            bad[14 + 40 + 2] ^= 1;
            receive(bad);
            assertEquals(1, counters.dropped(DropReason.ICMPV6_BAD_CHECKSUM));
            assertEquals(0, counters.neighborAdvertisementsSent());
        }

        @Test
        void solicitationForSomeoneElseSharingTheGroupIsNotAnswered() {
            Ipv6Address other = PREFIX.host(0x1234_5678_9000_0002L); // low 24 bits as ::2
            receive(neighborSolicitation(VM_ULA, GW_ULA.solicitedNodeMulticast(), other));
            assertEquals(1, counters.dropped(DropReason.NDP_TARGET_NOT_OURS));
        }
    }

    /** Writes a correct ICMPv6 checksum into {@code frame} (Ethernet + 40-byte IPv6 header + ICMPv6). */
    static void fixIcmpChecksum(byte[] frame, Ipv6Address src, Ipv6Address dst) {
        var buf = Unpooled.wrappedBuffer(frame);
        int at = 14 + 40;
        int length = frame.length - at;
        buf.setShort(at + 2, 0);
        int seed = io.userv2.stack.wire.Checksum.pseudoHeaderIpv6(src.high(), src.low(), dst.high(), dst.low(),
                IpProtocol.ICMPV6_NUMBER, length);
        buf.setShort(at + 2, io.userv2.stack.wire.Checksum.finish(io.userv2.stack.wire.Checksum.partial(buf, at,
                length, seed)));
    }

    @Nested
    class Neighbors {
        @Test
        void trafficTeachesTheCacheAndTheListener() {
            receive(icmp(VM_MAC, VM_ULA, GW_ULA, 64, new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER)));
            take();
            assertEquals(VM_MAC, v6.neighbors().lookup(VM_ULA));
            assertEquals(NeighborCache.State.VALID, v6.neighbors().state(VM_ULA));
            assertEquals(List.of("+" + VM_ULA + " " + VM_MAC + " " + PORT), neighborEvents);
            receive(icmp(VM_MAC, VM_ULA, GW_ULA, 64, new Icmpv6Repr.EchoRequest(1, 2, Unpooled.EMPTY_BUFFER)));
            take();
            assertEquals(1, neighborEvents.size(), "a refresh is no news");
            assertEquals(1, counters.neighborsLearned());
        }

        @Test
        void resolvingWithoutAFrameSolicitsOnceAndLearnsTheAnswer() {
            // A port forward's connection into a guest the gateway has not heard yet: its SYN waits in the connection.
            assertEquals(NeighborCache.NONE, v6.neighbors().resolve(VM_ULA, PORT, 0));
            Sent ns = take();
            assertEquals(VM_ULA.solicitedNodeMulticast(), ns.dst(), "multicast to the target's solicited-node group");
            assertEquals(VM_ULA, ns.icmp(Icmpv6Repr.NeighborSolicitation.class).target());
            assertEquals(NeighborCache.NONE, v6.neighbors().resolve(VM_ULA, PORT, 1));
            assertTrue(sink.frames.isEmpty(), "being resolved: no second solicitation before the retransmit timer");
            receive(icmp(VM_MAC, VM_ULA, GW_ULA, 255, new Icmpv6Repr.NeighborAdvertisement(false, true, true, VM_ULA,
                    NdpOptions.targetLinkLayer(VM_MAC))));
            assertEquals(VM_MAC.bits(), v6.neighbors().resolve(VM_ULA, PORT, 2));
            assertTrue(sink.frames.isEmpty(), "known: nothing sent");
        }

        @Test
        void snoopedDuplicateAddressDetectionIsConfirmedByAProbe() {
            // The guest's DAD for its SLAAC address goes to its own solicited-node group; the switch floods it.
            receive(neighborSolicitation(Ipv6Address.UNSPECIFIED, VM_ULA.solicitedNodeMulticast(), VM_ULA));
            assertTrue(sink.frames.isEmpty());
            assertEquals(NeighborCache.State.TENTATIVE, v6.neighbors().state(VM_ULA));
            assertNull(v6.neighbors().lookup(VM_ULA), "tentative addresses are not used");
            assertEquals(1, counters.ndpSnooped());
            at(NeighborCache.DAD_WAIT_MILLIS * 1_000_000L);
            Sent probe = take();
            assertEquals(VM_MAC.bits(), probe.dstMac(), "unicast to the MAC that did DAD");
            assertEquals(VM_ULA, probe.dst());
            assertEquals(GW_ULA, probe.src(), "from the gateway address of the target's scope");
            Icmpv6Repr.NeighborSolicitation ns = probe.icmp(Icmpv6Repr.NeighborSolicitation.class);
            assertEquals(VM_ULA, ns.target());
            assertEquals(GW_MAC, ns.options().sourceLinkLayerAddress());
            // Linux answers a unicast solicitation without the target link-layer option and without Override.
            receive(icmp(VM_MAC, VM_ULA, GW_ULA, 255, new Icmpv6Repr.NeighborAdvertisement(false, true, false, VM_ULA,
                    NdpOptions.NONE)));
            assertEquals(NeighborCache.State.VALID, v6.neighbors().state(VM_ULA));
            assertEquals(List.of("+" + VM_ULA + " " + VM_MAC + " " + PORT), neighborEvents);
        }

        @Test
        void aTentativeAddressNobodyTookGoesUnannounced() {
            receive(neighborSolicitation(Ipv6Address.UNSPECIFIED, VM_ULA.solicitedNodeMulticast(), VM_ULA));
            int probes = 0;
            for (long t = 0; t <= 10 * SECOND; t += SECOND / 10) {
                at(t);
                while (!sink.frames.isEmpty()) {
                    Sent s = take();
                    if (s.icmp() instanceof Icmpv6Repr.NeighborSolicitation ns) {
                        assertEquals(VM_ULA, ns.target());
                        probes++;
                    } else {
                        s.icmp(Icmpv6Repr.RouterAdvertisement.class);
                    }
                }
            }
            assertEquals(NeighborCache.MAX_UNICAST_SOLICIT, probes);
            assertNull(v6.neighbors().state(VM_ULA));
            assertTrue(neighborEvents.isEmpty());
        }

        @Test
        void silentNeighborsAreProbedAndForgotten() {
            receive(icmp(VM_MAC, VM_ULA, Ipv6Address.ALL_NODES, 255, new Icmpv6Repr.NeighborAdvertisement(false,
                    false, true, VM_ULA, NdpOptions.targetLinkLayer(VM_MAC))));
            assertEquals(VM_MAC, v6.neighbors().lookup(VM_ULA), "RFC 9131: a router may learn from unsolicited NA");
            long stale = v6.neighbors().staleAfterNanos();
            for (long t = 0; t <= stale + 5 * SECOND; t += SECOND / 2) {
                at(t);
                while (!sink.frames.isEmpty()) {
                    Sent s = take();
                    if (s.icmp() instanceof Icmpv6Repr.NeighborSolicitation ns) {
                        assertEquals(VM_ULA, ns.target());
                        assertEquals(VM_MAC.bits(), s.dstMac(), "probes are unicast");
                        assertTrue(now - NOW >= stale, "probed only after " + stale + " ns without news");
                    }
                }
            }
            assertEquals(NeighborCache.MAX_UNICAST_SOLICIT, counters.neighborSolicitationsSent());
            assertNull(v6.neighbors().state(VM_ULA));
            assertEquals(List.of("+" + VM_ULA + " " + VM_MAC + " " + PORT, "-" + VM_ULA + " " + VM_MAC + " " + PORT),
                    neighborEvents);
        }

        @Test
        void anAnsweredProbeKeepsTheEntry() {
            receive(icmp(VM_MAC, VM_ULA, GW_ULA, 64, new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER)));
            take();
            long stale = v6.neighbors().staleAfterNanos();
            at(stale);
            takeUntilSolicitation();
            assertEquals(NeighborCache.State.PROBE, v6.neighbors().state(VM_ULA));
            assertEquals(VM_MAC, v6.neighbors().lookup(VM_ULA), "still usable while probed");
            receive(icmp(VM_MAC, VM_ULA, GW_ULA, 255, new Icmpv6Repr.NeighborAdvertisement(false, true, false, VM_ULA,
                    NdpOptions.NONE)));
            assertEquals(NeighborCache.State.VALID, v6.neighbors().state(VM_ULA));
            assertEquals(1, neighborEvents.size(), "no forget, no second learn");
        }

        private void takeUntilSolicitation() {
            while (true) {
                Sent s = take();
                if (s.icmp() instanceof Icmpv6Repr.NeighborSolicitation) {
                    return;
                }
            }
        }

        @Test
        void advertisementWithoutOverrideDoesNotMoveAnEntry() {
            receive(icmp(VM_MAC, VM_ULA, GW_ULA, 64, new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER)));
            take();
            receive(icmp(VM2_MAC, VM2_ULA, Ipv6Address.ALL_NODES, 255, new Icmpv6Repr.NeighborAdvertisement(false,
                    false, false, VM_ULA, NdpOptions.targetLinkLayer(VM2_MAC))), PORT + 1);
            assertEquals(VM_MAC, v6.neighbors().lookup(VM_ULA), "RFC 4861 7.2.5");
            receive(icmp(VM2_MAC, VM2_ULA, Ipv6Address.ALL_NODES, 255, new Icmpv6Repr.NeighborAdvertisement(false,
                    false, true, VM_ULA, NdpOptions.targetLinkLayer(VM2_MAC))), PORT + 1);
            assertEquals(VM2_MAC, v6.neighbors().lookup(VM_ULA), "with Override it moves");
            assertTrue(neighborEvents.contains("-" + VM_ULA + " " + VM_MAC + " " + PORT), neighborEvents.toString());
            assertTrue(neighborEvents.contains("+" + VM_ULA + " " + VM2_MAC + " " + (PORT + 1)),
                    neighborEvents.toString());
        }

        @Test
        void aClosedPortTakesItsEntriesAlong() {
            receive(icmp(VM_MAC, VM_ULA, GW_ULA, 64, new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER)));
            take();
            receive(icmp(VM2_MAC, VM2_ULA, GW_ULA, 64, new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER)),
                    PORT + 1);
            take();
            gateway.releaseOwner(PORT);
            assertNull(v6.neighbors().lookup(VM_ULA));
            assertEquals(VM2_MAC, v6.neighbors().lookup(VM2_ULA));
            assertEquals("-" + VM_ULA + " " + VM_MAC + " " + PORT, neighborEvents.get(neighborEvents.size() - 1));
        }

        @Test
        void addressesOffTheLanAreNotLearned() {
            receive(icmp(VM_MAC, Ipv6Frames.REMOTE, GW_ULA, 64, new Icmpv6Repr.EchoRequest(1, 1,
                    Unpooled.EMPTY_BUFFER)));
            take();
            assertEquals(0, v6.neighbors().size());
            receive(icmp(VM_MAC, VM_ULA, Ipv6Address.ALL_NODES, 255, new Icmpv6Repr.NeighborAdvertisement(false,
                    false, true, Ipv6Frames.REMOTE, NdpOptions.targetLinkLayer(VM_MAC))));
            assertEquals(1, counters.dropped(DropReason.NDP_TARGET_NOT_OURS));
            assertNull(v6.neighbors().lookup(Ipv6Frames.REMOTE));
        }
    }

}
