package io.userv2.switchd.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.dhcp.StaticLease;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.capture.FrameCapture;
import io.userv2.switchd.config.PortSecuritySettings;
import io.userv2.switchd.e2e.Frames;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortDropReason;
import io.userv2.switchd.port.VirtualPort;
import io.userv2.switchd.security.DhcpBindings;
import io.userv2.switchd.security.IngressFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The switch's port-security rules, one nested class per rule, on a switch with a gateway port and two VM ports. */
class LearningSwitchSecurityTest {
    static final String GW_MAC = "5a:94:ef:e4:0c:dd";
    static final String GW_IP = "192.168.104.2";
    static final String DNS_IP = "192.168.104.3"; // a second address the gateway owns
    static final String A_MAC = "52:55:55:00:00:0a";
    static final String B_MAC = "52:55:55:00:00:0b";
    static final String A_IP = "192.168.104.10";
    static final String B_IP = "192.168.104.11";
    static final String BCAST = "ff:ff:ff:ff:ff:ff";
    static final IntPredicate GATEWAY_OWNS = ip -> ip == Ipv4Address.parse(GW_IP).bits()
            || ip == Ipv4Address.parse(DNS_IP).bits();

    LearningSwitch sw;
    VirtualPort gw;
    final List<byte[]> atGateway = new ArrayList<>();
    RecordingPort a;
    RecordingPort b;
    long now = 1_000;

    void build(PortSecuritySettings settings, DhcpBindings bindings) {
        sw = new LearningSwitch(FrameCapture.NONE, settings);
        gw = new VirtualPort("gateway", MacAddress.parse(GW_MAC), (buf, index, length, ingress, t) -> {
            byte[] copy = new byte[length];
            buf.getBytes(index, copy);
            atGateway.add(copy);
        }, () -> 0L);
        sw.attachGateway(gw);
        a = new RecordingPort("a");
        b = new RecordingPort("b");
        sw.attach(a);
        sw.attach(b);
        sw.setIngressFilter(new IngressFilter(GATEWAY_OWNS, bindings));
    }

    boolean send(Port from, byte[] frame) {
        ByteBuf buf = Unpooled.wrappedBuffer(frame);
        return sw.forward(buf, 0, frame.length, from, now);
    }

    static byte[] ping(String srcMac, String dstMac, String srcIp, String dstIp) {
        return Frames.icmpEcho(srcMac, dstMac, srcIp, dstIp, 1, 1, new byte[8]);
    }

    static long mac(String s) {
        return MacAddress.parse(s).bits();
    }

    @Nested
    class GatewayMacIsStatic {
        @BeforeEach
        void setUp() {
            build(PortSecuritySettings.DEFAULT, null);
        }

        @Test
        void aFrameFromAVmWithTheGatewaysMacIsDroppedAndTheEntryStays() {
            assertTrue(send(a, ping(GW_MAC, BCAST, A_IP, B_IP)));
            assertEquals(1, a.counters().drops(PortDropReason.GATEWAY_MAC_SPOOFED));
            assertEquals(0, b.frames.size(), "not switched");
            assertSame(gw, sw.portOf(mac(GW_MAC)));
            send(b, ping(B_MAC, GW_MAC, B_IP, GW_IP));
            assertEquals(1, atGateway.size(), "b's frame for the gateway still reaches it");
            assertEquals(0, a.frames.size());
        }

        @Test
        void theGatewaysEntryNeitherAgesNorMoves() {
            sw.expire(now + 10 * LearningSwitch.AGING_NANOS);
            assertSame(gw, sw.portOf(mac(GW_MAC)));
            assertEquals(0, a.macEntries());
        }
    }

    @Nested
    class GatewayAddressesAreNotClaimed {
        @BeforeEach
        void setUp() {
            build(PortSecuritySettings.DEFAULT, null);
        }

        @Test
        void ipv4FromAGatewayAddressIsDropped() {
            send(a, ping(A_MAC, B_MAC, GW_IP, B_IP));
            send(a, ping(A_MAC, B_MAC, DNS_IP, B_IP));
            assertEquals(2, a.counters().drops(PortDropReason.GATEWAY_IP_SPOOFED));
            assertEquals(0, b.frames.size());
            send(a, ping(A_MAC, B_MAC, A_IP, B_IP));
            assertEquals(1, b.frames.size(), "its own address passes");
        }

        @Test
        void arpClaimingAGatewayAddressIsDroppedEvenBehindAVlanTag() {
            send(a, Frames.arpReply(A_MAC, GW_IP, B_MAC, B_IP));
            send(a, vlanTagged(Frames.arpRequest(A_MAC, DNS_IP, B_IP)));
            assertEquals(2, a.counters().drops(PortDropReason.GATEWAY_ARP_SPOOFED));
            assertEquals(0, b.frames.size());
            assertEquals(0, atGateway.size());
        }
    }

    @Nested
    class GatewayFramesAreNeverFlooded {
        final List<Long> probed = new ArrayList<>();

        @BeforeEach
        void setUp() {
            build(PortSecuritySettings.DEFAULT, null);
            sw.onGatewayUnknownUnicast((buf, index, length, t) -> probed.add(MacAddress.read(buf, index)));
        }

        @Test
        void unicastToAnUnknownMacIsDroppedAndCounted() {
            send(gw, ping(GW_MAC, A_MAC, GW_IP, A_IP));
            assertEquals(0, a.frames.size());
            assertEquals(0, b.frames.size());
            assertEquals(1, gw.counters().drops(PortDropReason.UNKNOWN_UNICAST));
            assertEquals(List.of(mac(A_MAC)), probed);
        }

        @Test
        void unicastToALearnedMacAndBroadcastsGetThrough() {
            send(a, ping(A_MAC, BCAST, A_IP, "192.168.104.255"));
            send(gw, ping(GW_MAC, A_MAC, GW_IP, A_IP));
            send(gw, Frames.arpRequest(GW_MAC, GW_IP, B_IP));
            assertEquals(2, a.frames.size(), "the unicast and the ARP request");
            assertEquals(2, b.frames.size(), "a's broadcast and the ARP request");
            assertEquals(0, gw.counters().drops(PortDropReason.UNKNOWN_UNICAST));
        }
    }

    @Nested
    class MacCaps {
        @BeforeEach
        void setUp() {
            build(new PortSecuritySettings(4, 6, false, 1 << 20, 1 << 20), null);
        }

        @Test
        void aPortBeyondItsCapDropsNewSourcesAndEvictsNobody() {
            send(b, ping(B_MAC, BCAST, B_IP, "192.168.104.255"));
            for (int i = 0; i < 100; i++) {
                now += 2_000_000_000L; // past the relearn shortcut
                send(a, ping(String.format("52:55:55:aa:00:%02x", i), BCAST, A_IP, "192.168.104.255"));
            }
            assertEquals(4, a.macEntries());
            assertEquals(96, a.counters().drops(PortDropReason.MAC_LIMIT));
            assertSame(b, sw.portOf(mac(B_MAC)), "b's entry is still there");
            send(gw, ping(GW_MAC, B_MAC, GW_IP, B_IP));
            assertEquals(1, b.frames.stream().filter(f -> f[0] == 0x52).count(), "and b is still reachable");
        }

        @Test
        void aFullTableRefusesNewAddressesButKeepsEveryPortsEntries() {
            for (int i = 0; i < 4; i++) {
                send(a, ping(String.format("52:55:55:aa:00:%02x", i), BCAST, A_IP, "192.168.104.255"));
            }
            send(b, ping(B_MAC, BCAST, B_IP, "192.168.104.255")); // table: gateway + 4 + 1 = 6, full
            send(b, ping("52:55:55:bb:00:01", BCAST, B_IP, "192.168.104.255"));
            assertEquals(1, b.counters().drops(PortDropReason.MAC_TABLE_FULL));
            assertSame(b, sw.portOf(mac(B_MAC)));
            assertSame(a, sw.portOf(mac("52:55:55:aa:00:00")));
            assertEquals(6, sw.learnedAddresses());
        }

        @Test
        void aMoveCountsAgainstTheNewPortAndLetsTheOldOneTakeItBack() {
            send(a, ping(A_MAC, BCAST, A_IP, "192.168.104.255"));
            send(b, ping(A_MAC, BCAST, A_IP, "192.168.104.255"));
            assertSame(b, sw.portOf(mac(A_MAC)));
            assertEquals(0, a.macEntries());
            assertEquals(1, b.macEntries());
            send(a, ping(A_MAC, BCAST, A_IP, "192.168.104.255")); // within the relearn interval of a
            assertSame(a, sw.portOf(mac(A_MAC)), "a's relearn shortcut was reset by the move");
        }
    }

    @Nested
    class IpSourceGuard {
        DhcpBindings bindings;

        @BeforeEach
        void setUp() {
            LearningSwitch[] holder = new LearningSwitch[1];
            bindings = new DhcpBindings(List.of(new StaticLease(Ipv4Address.parse(B_IP), MacAddress.parse(B_MAC))),
                    m -> holder[0].portOf(m));
            build(PortSecuritySettings.DEFAULT.withIpSourceGuard(true), bindings);
            holder[0] = sw;
            bindings.onLease(new Lease(MacAddress.parse(A_MAC), Ipv4Address.parse(A_IP), null, 1, false));
        }

        @Test
        void theLeasedAddressPassesOnItsPortAndOthersAreDropped() {
            assertTrue(send(a, ping(A_MAC, GW_MAC, A_IP, GW_IP)));
            assertEquals(1, atGateway.size());
            send(a, ping(A_MAC, GW_MAC, "192.168.104.99", GW_IP));
            send(a, ping(A_MAC, GW_MAC, B_IP, GW_IP)); // b's static lease, but B_MAC is not on a
            assertEquals(2, a.counters().drops(PortDropReason.IP_SOURCE_GUARD));
            assertEquals(1, atGateway.size());
        }

        @Test
        void aStaticLeasePassesFromTheFirstFrame() {
            send(b, ping(B_MAC, GW_MAC, B_IP, GW_IP));
            assertEquals(1, atGateway.size());
            assertEquals(0, b.counters().drops(PortDropReason.IP_SOURCE_GUARD));
        }

        @Test
        void anotherPortUsingTheAddressWithItsOwnMacIsDropped() {
            send(a, ping(A_MAC, GW_MAC, A_IP, GW_IP)); // A_MAC learned on a
            send(b, ping(B_MAC, GW_MAC, A_IP, GW_IP));
            assertEquals(1, b.counters().drops(PortDropReason.IP_SOURCE_GUARD));
        }

        @Test
        void unspecifiedSourceAndDhcpToTheServerPass() {
            send(a, Frames.udp("52:55:55:00:00:0c", BCAST, "0.0.0.0", "255.255.255.255", 68, 67, new byte[240]));
            send(a, Frames.udp(A_MAC, GW_MAC, "192.168.104.77", GW_IP, 68, 67, new byte[240])); // renewing
            send(a, Frames.udp(A_MAC, GW_MAC, "192.168.104.77", GW_IP, 68, 53, new byte[20]));
            assertEquals(2, atGateway.size());
            assertEquals(1, a.counters().drops(PortDropReason.IP_SOURCE_GUARD));
        }

        @Test
        void arpSenderAddressesAreBoundToo() {
            send(a, Frames.arpRequest(A_MAC, A_IP, GW_IP));
            send(a, Frames.arpRequest(A_MAC, "0.0.0.0", "192.168.104.50")); // RFC 5227 probe
            send(a, Frames.arpReply(A_MAC, "192.168.104.50", B_MAC, B_IP));
            assertEquals(2, atGateway.size());
            assertEquals(1, a.counters().drops(PortDropReason.IP_SOURCE_GUARD));
        }

        @Test
        void aReleasedLeaseNoLongerPasses() {
            bindings.onRelease(new Lease(MacAddress.parse(A_MAC), Ipv4Address.parse(A_IP), null, 1, false));
            send(a, ping(A_MAC, GW_MAC, A_IP, GW_IP));
            assertEquals(1, a.counters().drops(PortDropReason.IP_SOURCE_GUARD));
            bindings.onRelease(new Lease(MacAddress.parse(B_MAC), Ipv4Address.parse(B_IP), null, 1, true));
            send(b, ping(B_MAC, GW_MAC, B_IP, GW_IP));
            assertEquals(0, b.counters().drops(PortDropReason.IP_SOURCE_GUARD), "a static lease stays bound");
        }
    }

    @Nested
    class Budgets {
        @BeforeEach
        void setUp() {
            build(new PortSecuritySettings(256, 16_384, false, 10, 3), null);
        }

        @Test
        void framesForTheGatewayBeyondTheBudgetAreRefusedUntilTheNextIteration() {
            a.budget().begin(1);
            for (int i = 0; i < 3; i++) {
                assertTrue(send(a, ping(A_MAC, GW_MAC, A_IP, GW_IP)));
            }
            assertFalse(send(a, ping(A_MAC, GW_MAC, A_IP, GW_IP)), "the 4th for the gateway");
            assertFalse(send(a, ping(A_MAC, BCAST, A_IP, "192.168.104.255")), "a broadcast reaches the gateway too");
            assertTrue(a.budget().paused());
            assertTrue(send(b, ping(B_MAC, GW_MAC, B_IP, GW_IP)), "b has its own budget");
            assertEquals(4, atGateway.size());
            assertEquals(3, a.counters().framesIn(), "a refused frame is not counted in");
            a.budget().begin(2);
            assertTrue(send(a, ping(A_MAC, GW_MAC, A_IP, GW_IP)));
        }

        @Test
        void allFramesAreBoundedToo() {
            a.budget().begin(1);
            send(b, ping(B_MAC, BCAST, B_IP, "192.168.104.255"));
            int taken = 0;
            while (taken < 100 && send(a, ping(A_MAC, B_MAC, A_IP, B_IP))) {
                taken++;
            }
            assertEquals(10, taken);
        }

        @Test
        void theGatewaysOwnFramesHaveNoBudget() {
            send(a, ping(A_MAC, BCAST, A_IP, "192.168.104.255"));
            for (int i = 0; i < 50; i++) {
                assertTrue(send(gw, ping(GW_MAC, A_MAC, GW_IP, A_IP)));
            }
            assertEquals(50, a.frames.size());
        }
    }

    @Nested
    class StormControl {
        @BeforeEach
        void setUp() {
            build(PortSecuritySettings.DEFAULT.withFloodsPerSecond(10), null);
        }

        @Test
        void floodsBeyondTheRateAreDroppedAndTheBucketRefills() {
            for (int i = 0; i < 25; i++) {
                send(a, ping(A_MAC, BCAST, A_IP, "192.168.104.255"));
            }
            assertEquals(10, b.frames.size(), "a burst of 10");
            assertEquals(15, a.counters().drops(PortDropReason.STORM_CONTROL));
            send(b, ping(B_MAC, BCAST, B_IP, "192.168.104.255"));
            assertEquals(1, a.frames.size(), "b has its own bucket");
            now += 500_000_000L; // half a second: 5 more
            for (int i = 0; i < 10; i++) {
                send(a, ping(A_MAC, BCAST, A_IP, "192.168.104.255"));
            }
            assertEquals(15, b.frames.size());
            send(a, ping(A_MAC, B_MAC, A_IP, B_IP));
            assertEquals(16, b.frames.size(), "unicast to a learned port is not limited");
        }
    }

    /** {@code frame} with an 802.1Q tag (VLAN 5) after the source address. */
    static byte[] vlanTagged(byte[] frame) {
        byte[] out = new byte[frame.length + 4];
        System.arraycopy(frame, 0, out, 0, 12);
        out[12] = (byte) 0x81;
        out[13] = 0x00;
        out[14] = 0x00;
        out[15] = 0x05;
        System.arraycopy(frame, 12, out, 16, frame.length - 12);
        return out;
    }
}
