package io.userv2.stack.dhcp;

import static io.userv2.stack.dhcp.DhcpHarness.GW_IP;
import static io.userv2.stack.dhcp.DhcpHarness.GW_MAC;
import static io.userv2.stack.dhcp.DhcpHarness.SUBNET;
import static io.userv2.stack.dhcp.DhcpHarness.VM1;
import static io.userv2.stack.dhcp.DhcpHarness.VM2;
import static io.userv2.stack.dhcp.DhcpHarness.VM3;
import static io.userv2.stack.dhcp.DhcpHarness.WALL0;
import static io.userv2.stack.dhcp.DhcpHarness.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.dhcp.DhcpHarness.Reply;
import io.userv2.stack.wire.DhcpMessageType;
import io.userv2.stack.wire.DhcpRepr;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Scripted DHCP exchanges through the gateway, one nested class per part of RFC 2131 section 4.3. */
class DhcpServerTest {
    final DhcpHarness h = new DhcpHarness();

    /**
     * A real busybox 1.35.0 udhcpc DHCPDISCOVER (the UDP payload; the capture is described in the wire package's
     * DhcpPacketTest): xid a329f13e, flags 0, chaddr 52:55:55:12:34:56, options 53 DISCOVER, 57 576, 55 [1 3 6 12 15
     * 28 42], 12 "lima-test", 60 "udhcp 1.35.0", 61 01:52:55:55:12:34:56, padded to 300 bytes.
     */
    static byte[] udhcpcDiscover() {
        String zeros = "00 ".repeat(10 + 64 + 128);
        return HexLiteral.bytes("""
                01 01 06 00  a3 29 f1 3e  00 00 00 00
                00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
                52 55 55 12 34 56
                """ + zeros + """

                63 82 53 63
                35 01 01
                39 02 02 40
                37 07 01 03 06 0c 0f 1c 2a
                0c 09 6c 69 6d 61 2d 74 65 73 74
                3c 0c 75 64 68 63 70 20 31 2e 33 35 2e 30
                3d 07 01 52 55 55 12 34 56
                ff
                00 00 00 00 00 00 00 00 00
                """);
    }

    @AfterEach
    void nothingLeftUnread() {
        h.assertSilent();
    }

    @Nested
    class Handshake {
        @Test
        void realUdhcpcDiscoverGetsAnOfferWithEveryOption() {
            byte[] discover = udhcpcDiscover();
            assertEquals(300, discover.length);
            h.send(VM1, MacAddress.BROADCAST, Ipv4Address.ANY, Ipv4Address.BROADCAST, discover);
            Reply offer = h.take();
            // Broadcast bit clear, ciaddr 0: "unicasts ... to the client's hardware address and 'yiaddr' address".
            assertEquals(VM1, offer.ethDst());
            assertEquals(ip("192.168.104.3"), offer.ipDst());
            assertEquals(GW_IP, offer.ipSrc());
            assertEquals(67, offer.srcPort());
            assertEquals(68, offer.dstPort());
            DhcpRepr o = offer.dhcp();
            assertEquals(DhcpRepr.Op.BOOTREPLY, o.op());
            assertEquals(DhcpMessageType.OFFER, o.messageType());
            assertEquals(0xa329f13e, o.xid());
            assertEquals(VM1, o.chaddr());
            assertEquals(ip("192.168.104.3"), o.yiaddr(), "first host address after the gateway");
            assertEquals(Ipv4Address.ANY, o.ciaddr());
            assertEquals(GW_IP, o.serverIdentifier());
            assertEquals(3600L, o.leaseTime());
            assertEquals(1800L, o.renewalTime());
            assertEquals(3150L, o.rebindingTime());
            assertEquals(ip("255.255.255.0"), o.subnetMask());
            assertEquals(List.of(GW_IP), o.routers());
            assertEquals(List.of(GW_IP), o.dnsServers());
            assertEquals(1500, o.interfaceMtu());
            assertEquals(ip("192.168.104.255"), o.broadcastAddress());
            assertEquals(List.of("lima.test", "corp.test"), o.domainSearch());
            assertEquals("lima.test", o.domainName());
            assertEquals("01:52:55:55:12:34:56", String.valueOf(o.clientId()),
                    "RFC 6842 (updating Table 3's MUST NOT): returned unaltered");
            assertNull(o.requestedIp());
            assertEquals(1, h.server.counters().offers());
            assertTrue(h.events.log.isEmpty(), "an offer is not a lease");
            assertNull(h.server.lease(VM1));
        }

        @Test
        void requestAfterTheOfferIsAcknowledgedAndRemembered() {
            h.send(VM1, MacAddress.BROADCAST, Ipv4Address.ANY, Ipv4Address.BROADCAST, udhcpcDiscover());
            Reply offer = h.take();
            h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).serverIdentifier(GW_IP)
                    .requestedIp(offer.dhcp().yiaddr()).hostname("lima-test").build());
            Reply ack = h.take();
            assertEquals(DhcpMessageType.ACK, ack.type());
            assertEquals(ip("192.168.104.3"), ack.dhcp().yiaddr());
            assertEquals(ip("192.168.104.3"), ack.ipDst());
            assertEquals(VM1, ack.ethDst());
            assertEquals(3600L, ack.dhcp().leaseTime());
            assertEquals(List.of(GW_IP), ack.dhcp().routers());
            Lease lease = h.server.lease(VM1);
            assertEquals(new Lease(VM1, ip("192.168.104.3"), "lima-test", WALL0 + 3_600_000, false), lease);
            assertEquals(List.of("lease 192.168.104.3 lima-test"), h.events.log);
            assertEquals(List.of(lease), h.store.load());
            assertEquals(1, h.server.counters().acks());
        }

        @Test
        void broadcastBitGetsBroadcastReplies() {
            h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).broadcast(true).build());
            Reply offer = h.take();
            assertEquals(MacAddress.BROADCAST, offer.ethDst());
            assertEquals(Ipv4Address.BROADCAST, offer.ipDst());
            assertTrue(offer.dhcp().broadcast(), "flags copied from the request");
            h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).broadcast(true).serverIdentifier(GW_IP)
                    .requestedIp(offer.dhcp().yiaddr()).build());
            Reply ack = h.take();
            assertEquals(MacAddress.BROADCAST, ack.ethDst());
            assertEquals(Ipv4Address.BROADCAST, ack.ipDst());
        }

        @Test
        void choosingAnotherServerWithdrawsTheOffer() {
            h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.3"), h.take().dhcp().yiaddr());
            h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).serverIdentifier(ip("192.168.104.99"))
                    .requestedIp(ip("192.168.104.50")).build());
            h.assertSilent();
            assertEquals(1, h.server.counters().dropped(DhcpDropReason.OTHER_SERVER));
            h.broadcast(h.message(VM2, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.3"), h.take().dhcp().yiaddr(), "the withdrawn address is free again");
        }

        @Test
        void anOfferHoldsItsAddressForTheOfferTime() {
            h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.3"), h.take().dhcp().yiaddr());
            h.broadcast(h.message(VM2, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.4"), h.take().dhcp().yiaddr());
            h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.3"), h.take().dhcp().yiaddr(), "a repeated DISCOVER gets the same offer");
        }

        @Test
        void selectingRequestWithoutRequestedIpIsDropped() {
            h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).serverIdentifier(GW_IP).build());
            h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).build());
            assertEquals(2, h.server.counters().dropped(DhcpDropReason.BAD_REQUEST));
        }
    }

    @Nested
    class Renewal {
        @Test
        void renewingIsUnicastToCiaddrAndSavedButNotReported() {
            h.lease(VM1, "vm1");
            int saves = h.store.saves();
            h.advanceSeconds(1800);
            h.unicast(h.message(VM1, DhcpMessageType.REQUEST).ciaddr(ip("192.168.104.3")).hostname("vm1").build(),
                    ip("192.168.104.3"));
            Reply ack = h.take();
            assertEquals(DhcpMessageType.ACK, ack.type());
            assertEquals(ip("192.168.104.3"), ack.ipDst(), "'ciaddr' nonzero: unicast to ciaddr");
            assertEquals(VM1, ack.ethDst());
            assertEquals(ip("192.168.104.3"), ack.dhcp().ciaddr());
            assertEquals(ip("192.168.104.3"), ack.dhcp().yiaddr());
            assertEquals(List.of("lease 192.168.104.3 vm1"), h.events.log, "nothing but the expiry changed");
            assertEquals(saves + 1, h.store.saves());
            assertEquals(WALL0 + (1800 + 3600) * 1000L, h.server.lease(VM1).expiresEpochMillis());
        }

        @Test
        void rebindingBroadcastIsStillAnsweredAtCiaddr() {
            h.lease(VM1, null);
            h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).ciaddr(ip("192.168.104.3")).build());
            Reply ack = h.take();
            assertEquals(DhcpMessageType.ACK, ack.type());
            assertEquals(ip("192.168.104.3"), ack.ipDst());
        }

        @Test
        void renewingSomeoneElsesAddressIsRefused() {
            h.lease(VM1, null);
            h.unicast(h.message(VM2, DhcpMessageType.REQUEST).ciaddr(ip("192.168.104.3")).build(),
                    ip("192.168.104.3"));
            Reply nak = h.take();
            assertEquals(DhcpMessageType.NAK, nak.type());
            assertEquals(MacAddress.BROADCAST, nak.ethDst(), "NAKs are always broadcast");
            assertEquals(Ipv4Address.BROADCAST, nak.ipDst());
            assertEquals(Ipv4Address.ANY, nak.dhcp().yiaddr());
            assertEquals(Ipv4Address.ANY, nak.dhcp().ciaddr());
            assertNull(nak.dhcp().leaseTime(), "Table 3: lease time MUST NOT in a NAK");
            assertEquals(GW_IP, nak.dhcp().serverIdentifier());
            assertEquals("address belongs to another client", nak.dhcp().message());
        }

        @Test
        void hostnameChangeIsReportedAndAMissingHostnameKeepsTheOldOne() {
            h.lease(VM1, "old-name");
            h.unicast(h.message(VM1, DhcpMessageType.REQUEST).ciaddr(ip("192.168.104.3")).hostname("new-name")
                    .build(), ip("192.168.104.3"));
            h.take();
            h.unicast(h.message(VM1, DhcpMessageType.REQUEST).ciaddr(ip("192.168.104.3")).build(),
                    ip("192.168.104.3"));
            h.take();
            assertEquals(List.of("lease 192.168.104.3 old-name", "lease 192.168.104.3 new-name"), h.events.log);
            assertEquals("new-name", h.server.lease(VM1).hostname());
            assertEquals("new-name", h.store.load().get(0).hostname());
        }

        @Test
        void hostnameWithTrailingNulIsCleaned() {
            h.lease(VM1, "vm1\0");
            assertEquals("vm1", h.server.lease(VM1).hostname());
        }
    }

    @Nested
    class InitReboot {
        @Test
        void aFreeAddressIsGrantedToAClientWeDoNotKnow() {
            h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).requestedIp(ip("192.168.104.77")).build());
            Reply ack = h.take();
            assertEquals(DhcpMessageType.ACK, ack.type());
            assertEquals(ip("192.168.104.77"), ack.dhcp().yiaddr());
        }

        @Test
        void wrongNetworkOthersAddressAndOwnOtherAddressAreRefused() {
            h.lease(VM1, null);
            h.broadcast(h.message(VM2, DhcpMessageType.REQUEST).requestedIp(ip("10.0.0.5")).build());
            assertEquals("address not on this network", h.take().dhcp().message());
            h.broadcast(h.message(VM2, DhcpMessageType.REQUEST).requestedIp(ip("192.168.104.3")).build());
            assertEquals("address belongs to another client", h.take().dhcp().message());
            h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).requestedIp(ip("192.168.104.9")).build());
            assertEquals("client's address is 192.168.104.3", h.take().dhcp().message());
            h.broadcast(h.message(VM2, DhcpMessageType.REQUEST).requestedIp(GW_IP).build());
            assertEquals("address not available", h.take().dhcp().message(), "the gateway is never handed out");
            assertEquals(4, h.server.counters().naks());
            assertEquals("nak 10.0.0.5: address not on this network", h.events.log.get(1));
        }

        @Test
        void selectingARequestForAnAddressNotOfferedIsRefused() {
            h.lease(VM1, null);
            h.broadcast(h.message(VM2, DhcpMessageType.REQUEST).serverIdentifier(GW_IP)
                    .requestedIp(ip("192.168.104.3")).build());
            assertEquals(DhcpMessageType.NAK, h.take().type());
        }
    }

    @Nested
    class Allocation {
        @Test
        void addressesAreHandedOutInOrderAndTheDiscoverRequestedAddressIsHonoured() {
            assertEquals(ip("192.168.104.3"), h.lease(VM1, null).dhcp().yiaddr());
            h.broadcast(h.message(VM2, DhcpMessageType.DISCOVER).requestedIp(ip("192.168.104.3")).build());
            assertEquals(ip("192.168.104.4"), h.take().dhcp().yiaddr(), "a taken address is not offered again");
            h.broadcast(h.message(VM3, DhcpMessageType.DISCOVER).requestedIp(ip("192.168.104.200")).build());
            assertEquals(ip("192.168.104.200"), h.take().dhcp().yiaddr(), "RFC 2131 4.3.1: the requested address");
        }

        @Test
        void theGatewayIsSkippedWhenThePoolStartsBelowIt() {
            DhcpHarness low = new DhcpHarness(DhcpConfig.builder(SUBNET, GW_IP).poolStart(ip("192.168.104.1"))
                    .build(), new InMemoryLeaseStore());
            assertEquals(ip("192.168.104.1"), low.lease(VM1, null).dhcp().yiaddr());
            assertEquals(ip("192.168.104.3"), low.lease(VM2, null).dhcp().yiaddr());
            low.assertSilent();
        }

        @Test
        void sameMacGetsTheSameAddressAfterARestart() {
            h.lease(VM1, "one");
            assertEquals(ip("192.168.104.4"), h.lease(VM2, "two").dhcp().yiaddr());
            h.advanceSeconds(10);
            h.events.log.clear();
            h.start(); // a new server on the same store
            assertEquals(List.of("lease 192.168.104.3 one", "lease 192.168.104.4 two"), h.events.log,
                    "restored leases are replayed to the listener");
            h.broadcast(h.message(VM2, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.4"), h.take().dhcp().yiaddr());
            assertEquals("two", h.server.lease(VM2).hostname());
        }

        @Test
        void anExpiredLeaseStillComesBackToItsMacAfterARestart() {
            h.lease(VM1, null);
            h.advanceSeconds(2 * 3600);
            h.start();
            assertEquals(List.of("lease 192.168.104.3 null"), h.events.log, "an expired lease is not replayed");
            h.broadcast(h.message(VM2, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.4"), h.take().dhcp().yiaddr(), "never-used addresses first");
            h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.3"), h.take().dhcp().yiaddr());
        }

        @Test
        void releaseThenDiscoverGivesTheSameAddressBack() {
            h.lease(VM1, "vm1");
            h.unicast(h.message(VM1, DhcpMessageType.RELEASE).ciaddr(ip("192.168.104.3")).serverIdentifier(GW_IP)
                    .build(), ip("192.168.104.3"));
            h.assertSilent();
            assertEquals(List.of("lease 192.168.104.3 vm1", "release 192.168.104.3"), h.events.log);
            Lease released = h.store.load().get(0);
            assertFalse(released.isActiveAt(WALL0), "persisted with the release time as expiry");
            assertEquals(1, h.server.counters().releases());
            h.broadcast(h.message(VM2, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.4"), h.take().dhcp().yiaddr(), "the released address stays VM1's");
            assertEquals(ip("192.168.104.3"), h.lease(VM1, "vm1").dhcp().yiaddr());
            h.unicast(h.message(VM2, DhcpMessageType.RELEASE).ciaddr(ip("192.168.104.3")).build(),
                    ip("192.168.104.3"));
            assertEquals(1, h.server.counters().dropped(DhcpDropReason.RELEASE_NOT_BOUND), "not VM2's to release");
        }

        @Test
        void leasesExpireOnVirtualTime() {
            h.lease(VM1, "vm1");
            h.advanceSeconds(3599);
            h.server.expire(h.now);
            assertEquals(1, h.events.log.size());
            h.advanceSeconds(1);
            h.server.expire(h.now);
            assertEquals(List.of("lease 192.168.104.3 vm1", "expire 192.168.104.3"), h.events.log);
            h.server.expire(h.now + 10 * DhcpHarness.SECOND);
            assertEquals(2, h.events.log.size(), "reported once");
            h.lease(VM1, "vm1");
            assertEquals("lease 192.168.104.3 vm1", h.events.log.get(2), "a renewed expired lease is new again");
        }
    }

    @Nested
    class StaticLeases {
        final DhcpHarness s = new DhcpHarness(DhcpConfig.builder(SUBNET, GW_IP)
                .staticLeases(StaticLease.parseList("192.168.104.50=52:55:55:12:34:56, 192.168.104.3=52:55:55:00:00:09"))
                .build(), new InMemoryLeaseStore());

        @AfterEach
        void silent() {
            s.assertSilent();
        }

        @Test
        void theStaticAddressWinsForItsMac() {
            assertEquals(ip("192.168.104.50"), s.lease(VM1, "vm1").dhcp().yiaddr());
            assertTrue(s.server.lease(VM1).staticLease());
        }

        @Test
        void aDeclinedStaticAddressRestsAndItsClientGetsAPoolAddressMeanwhile() {
            // RFC 2131 4.3.3: the server MUST mark a declined address as not available. A static lease's client was
            // offered its declined address again and again before, and never got one.
            assertEquals(ip("192.168.104.50"), s.lease(VM1, "vm1").dhcp().yiaddr());
            s.broadcast(s.message(VM1, DhcpMessageType.DECLINE).serverIdentifier(GW_IP)
                    .requestedIp(ip("192.168.104.50")).build());
            s.broadcast(s.message(VM1, DhcpMessageType.REQUEST).requestedIp(ip("192.168.104.50")).build());
            assertEquals(DhcpMessageType.NAK, s.take().type(), "the declined static address is not ACKed");
            assertEquals(ip("192.168.104.4"), s.lease(VM1, "vm1").dhcp().yiaddr(), "a pool address (.3 is static)");
            assertEquals(ip("192.168.104.4"), s.server.lease(VM1).ip());
            assertEquals(ip("192.168.104.4"), s.lease(VM1, "vm1").dhcp().yiaddr(), "and it keeps it meanwhile");
            s.broadcast(s.message(VM2, DhcpMessageType.DISCOVER).requestedIp(ip("192.168.104.50")).build());
            assertEquals(ip("192.168.104.5"), s.take().dhcp().yiaddr(), "the static address stays reserved");
            s.advanceSeconds(601);
            s.server.expire(s.now);
            assertEquals(ip("192.168.104.50"), s.lease(VM1, "vm1").dhcp().yiaddr(), "its own address after the rest");
            s.broadcast(s.message(VM3, DhcpMessageType.DISCOVER).requestedIp(ip("192.168.104.4")).build());
            assertEquals(ip("192.168.104.4"), s.take().dhcp().yiaddr(), "the stand-in address is free again");
        }

        @Test
        void aStaticAddressIsNeverGivenToAnother() {
            assertEquals(ip("192.168.104.4"), s.lease(VM2, null).dhcp().yiaddr(), ".3 is VM 09's");
            s.broadcast(s.message(VM3, DhcpMessageType.DISCOVER).requestedIp(ip("192.168.104.50")).build());
            assertEquals(ip("192.168.104.5"), s.take().dhcp().yiaddr());
            s.broadcast(s.message(VM3, DhcpMessageType.REQUEST).requestedIp(ip("192.168.104.50")).build());
            assertEquals(DhcpMessageType.NAK, s.take().type());
            s.broadcast(s.message(VM1, DhcpMessageType.REQUEST).requestedIp(ip("192.168.104.4")).build());
            assertEquals("client has the static address 192.168.104.50", s.take().dhcp().message());
        }

        @Test
        void staticLeasesAreListedBeforeUse() {
            assertEquals(2, s.server.leases().size());
            assertEquals(0, s.server.leases().get(0).expiresEpochMillis());
            assertTrue(s.store.load().isEmpty(), "unbound static leases are not persisted");
        }
    }

    @Nested
    class Exhaustion {
        /** 10.0.0.0/29: hosts .1-.6, gateway .2, pool .3-.6. */
        final DhcpHarness small = new DhcpHarness(DhcpConfig.builder(
                io.userv2.stack.wire.Ipv4Subnet.parse("10.0.0.0/29"), ip("10.0.0.2")).build(),
                new InMemoryLeaseStore());

        MacAddress vm(int n) {
            return MacAddress.parse("52:55:55:00:01:0" + n);
        }

        @AfterEach
        void silent() {
            small.assertSilent();
        }

        @Test
        void aFullPoolOffersNothingAndRefusesRequests() {
            for (int n = 1; n <= 4; n++) {
                assertEquals(ip("10.0.0." + (n + 2)), small.lease(vm(n), null).dhcp().yiaddr());
            }
            small.broadcast(small.message(vm(5), DhcpMessageType.DISCOVER).build());
            small.assertSilent();
            assertEquals(1, small.server.counters().dropped(DhcpDropReason.POOL_EXHAUSTED));
            assertTrue(small.events.log.contains("exhausted " + vm(5)));
            small.broadcast(small.message(vm(5), DhcpMessageType.REQUEST).requestedIp(ip("10.0.0.3")).build());
            assertEquals(DhcpMessageType.NAK, small.take().type());
            small.broadcast(small.message(vm(5), DhcpMessageType.REQUEST).requestedIp(ip("10.0.0.7")).build());
            assertEquals("address not available", small.take().dhcp().message(), "the broadcast address");
        }

        @Test
        void whenNothingIsLeftTheLongestExpiredAddressIsReused() {
            for (int n = 1; n <= 4; n++) {
                small.lease(vm(n), null);
                small.advanceSeconds(60);
            }
            small.advanceSeconds(3600);
            small.server.expire(small.now);
            small.broadcast(small.message(vm(5), DhcpMessageType.DISCOVER).build());
            assertEquals(ip("10.0.0.3"), small.take().dhcp().yiaddr(), "vm1's lease ended first");
            small.broadcast(small.message(vm(2), DhcpMessageType.DISCOVER).build());
            assertEquals(ip("10.0.0.4"), small.take().dhcp().yiaddr(), "the others keep theirs");
        }
    }

    @Nested
    class DeclineAndInform {
        @Test
        void aDeclinedAddressRestsAndTheClientGetsAnother() {
            h.lease(VM1, null);
            h.broadcast(h.message(VM1, DhcpMessageType.DECLINE).serverIdentifier(GW_IP)
                    .requestedIp(ip("192.168.104.3")).build());
            h.assertSilent();
            assertEquals(List.of("lease 192.168.104.3 null", "release 192.168.104.3", "declined 192.168.104.3"),
                    h.events.log);
            assertEquals(1, h.server.counters().declines());
            h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.4"), h.take().dhcp().yiaddr());
            h.broadcast(h.message(VM2, DhcpMessageType.DISCOVER).requestedIp(ip("192.168.104.3")).build());
            assertEquals(ip("192.168.104.5"), h.take().dhcp().yiaddr());
            h.advanceSeconds(601);
            h.server.expire(h.now);
            h.broadcast(h.message(VM3, DhcpMessageType.DISCOVER).build());
            assertEquals(ip("192.168.104.3"), h.take().dhcp().yiaddr(), "free again after the hold");
        }

        @Test
        void aDeclineForSomeoneElsesAddressIsIgnored() {
            h.lease(VM1, null);
            h.broadcast(h.message(VM2, DhcpMessageType.DECLINE).requestedIp(ip("192.168.104.3")).build());
            h.broadcast(h.message(VM1, DhcpMessageType.DECLINE).build());
            assertEquals(2, h.server.counters().dropped(DhcpDropReason.DECLINE_INVALID));
            assertEquals(ip("192.168.104.3"), h.server.lease(VM1).ip());
        }

        @Test
        void informGetsConfigurationWithoutALease() {
            h.unicast(h.message(VM3, DhcpMessageType.INFORM).ciaddr(ip("192.168.104.200")).build(),
                    ip("192.168.104.200"));
            Reply ack = h.take();
            assertEquals(DhcpMessageType.ACK, ack.type());
            assertEquals(ip("192.168.104.200"), ack.ipDst());
            assertEquals(VM3, ack.ethDst());
            assertEquals(Ipv4Address.ANY, ack.dhcp().yiaddr(), "SHOULD NOT fill in 'yiaddr'");
            assertNull(ack.dhcp().leaseTime(), "MUST NOT send a lease expiration time");
            assertNull(ack.dhcp().renewalTime());
            assertEquals(List.of(GW_IP), ack.dhcp().dnsServers());
            assertEquals(List.of("lima.test", "corp.test"), ack.dhcp().domainSearch());
            assertNull(h.server.lease(VM3));
            assertEquals(1, h.server.counters().informs());
            h.broadcast(h.message(VM3, DhcpMessageType.INFORM).build());
            assertEquals(1, h.server.counters().dropped(DhcpDropReason.INFORM_NO_ADDRESS));
        }
    }

    @Nested
    class Garbage {
        void sendRaw(byte[] payload) {
            h.send(VM1, MacAddress.BROADCAST, Ipv4Address.ANY, Ipv4Address.BROADCAST, payload);
        }

        @Test
        void garbageAndTruncatedOptionsAreDroppedAndCounted() {
            sendRaw(new byte[] {1, 2, 3});
            sendRaw(new byte[300]); // no magic cookie
            byte[] cut = java.util.Arrays.copyOf(udhcpcDiscover(), 240 + 3 + 4 + 5); // inside option 55
            sendRaw(cut);
            byte[] wrongHardware = udhcpcDiscover();
            wrongHardware[1] = 6;
            sendRaw(wrongHardware);
            sendRaw(new byte[0]);
            assertEquals(5, h.server.counters().dropped(DhcpDropReason.MALFORMED));
            assertEquals(5, h.server.counters().received());
        }

        @Test
        void repliesBootpRelayedAndServerTypesAreIgnored() {
            h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).op(DhcpRepr.Op.BOOTREPLY).build());
            h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).messageType(null).build());
            h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).giaddr(ip("10.1.1.1")).build());
            h.broadcast(h.message(VM1, DhcpMessageType.OFFER).build());
            h.broadcast(h.message(VM1, DhcpMessageType.of(200)).build());
            h.send(VM1, MacAddress.BROADCAST, Ipv4Address.ANY, Ipv4Address.BROADCAST, // chaddr is a group address
                    DhcpHarness.encode(h.message(MacAddress.BROADCAST, DhcpMessageType.DISCOVER).build()));
            DhcpCounters c = h.server.counters();
            assertEquals(1, c.dropped(DhcpDropReason.NOT_A_REQUEST));
            assertEquals(1, c.dropped(DhcpDropReason.BOOTP));
            assertEquals(1, c.dropped(DhcpDropReason.RELAYED));
            assertEquals(2, c.dropped(DhcpDropReason.UNEXPECTED_TYPE));
            assertEquals(1, c.dropped(DhcpDropReason.MALFORMED));
        }

        @Test
        void randomMutationsOfARealDiscoverNeverThrow() {
            java.util.Random random = new java.util.Random(2131);
            byte[] valid = udhcpcDiscover();
            for (int i = 0; i < 3000; i++) {
                byte[] b = random.nextInt(4) == 0 ? java.util.Arrays.copyOf(valid, random.nextInt(valid.length))
                        : valid.clone();
                for (int k = random.nextInt(8); k >= 0 && b.length > 0; k--) {
                    int at = random.nextInt(4) == 0 ? random.nextInt(b.length)
                            : 236 + random.nextInt(Math.max(1, b.length - 236));
                    b[Math.min(at, b.length - 1)] = (byte) random.nextInt(256);
                }
                sendRaw(b);
                while (!h.sent.isEmpty()) {
                    h.take(); // whatever was answered must be valid on the wire
                }
            }
            assertEquals(3000, h.server.counters().received());
        }
    }

    /** An ACK leaves only once the store has reported the snapshot with its lease (see DhcpServer's class comment). */
    @Nested
    class Durability {
        final DeferredLeaseStore deferred = new DeferredLeaseStore(new InMemoryLeaseStore());
        final DhcpHarness d = new DhcpHarness(h.config, deferred.disk, deferred);

        @AfterEach
        void nothingLeftUnread() {
            d.assertSilent();
        }

        List<String> storeFailures() {
            return d.events.log.stream().filter(e -> e.startsWith("store failed")).toList();
        }

        /** DISCOVER, OFFER, REQUEST: the ACK is not sent (the snapshot is pending). */
        void requestWhileTheStoreWrites(MacAddress mac) {
            d.broadcast(d.message(mac, DhcpMessageType.DISCOVER).build());
            Reply offer = d.take();
            assertEquals(DhcpMessageType.OFFER, offer.type(), "an OFFER binds nothing and is never held");
            d.broadcast(d.message(mac, DhcpMessageType.REQUEST).serverIdentifier(GW_IP)
                    .requestedIp(offer.dhcp().yiaddr()).build());
        }

        @Test
        void theAckWaitsUntilTheStoreReportsTheSnapshotStored() {
            requestWhileTheStoreWrites(VM1);
            d.assertSilent();
            assertEquals(1, d.server.heldAcks());
            assertEquals(0, d.server.counters().acks(), "counted when it leaves");
            assertTrue(deferred.disk.load().isEmpty(), "not on disk yet");
            assertEquals(ip("192.168.104.3"), d.server.lease(VM1).ip(), "bound in memory meanwhile");

            deferred.complete();
            Reply ack = d.take();
            assertEquals(DhcpMessageType.ACK, ack.type());
            assertEquals(ip("192.168.104.3"), ack.dhcp().yiaddr());
            assertEquals(List.of(d.server.lease(VM1)), deferred.disk.load(), "the lease was durable first");
            assertEquals(0, d.server.heldAcks());
            assertEquals(1, d.server.counters().acks());
        }

        @Test
        void aRenewalWaitsToo() {
            requestWhileTheStoreWrites(VM1);
            deferred.complete();
            d.take();
            d.advanceSeconds(1800);
            d.unicast(d.message(VM1, DhcpMessageType.REQUEST).ciaddr(ip("192.168.104.3")).build(),
                    ip("192.168.104.3"));
            d.assertSilent();
            deferred.complete();
            assertEquals(DhcpMessageType.ACK, d.take().type());
            assertEquals(WALL0 + (1800 + 3600) * 1000L, deferred.disk.load().get(0).expiresEpochMillis(),
                    "the renewed expiry was durable before the ACK left");
        }

        @Test
        void oneLaterSnapshotReleasesEveryEarlierAckInOrderAndNaksAreNotHeld() {
            requestWhileTheStoreWrites(VM1);
            requestWhileTheStoreWrites(VM2);
            d.unicast(d.message(VM3, DhcpMessageType.REQUEST).ciaddr(ip("192.168.104.3")).build(),
                    ip("192.168.104.3"));
            assertEquals(DhcpMessageType.NAK, d.take().type(), "a NAK binds nothing and leaves at once");
            assertEquals(2, d.server.heldAcks());
            assertEquals(2, deferred.saves(), "two snapshots handed over; only the second is pending");

            deferred.complete();
            assertEquals(VM1, d.take().dhcp().chaddr());
            assertEquals(VM2, d.take().dhcp().chaddr());
            assertEquals(2, deferred.disk.load().size(), "the second snapshot holds both leases");
        }

        @Test
        void aFailedWriteReleasesTheAcksAnywayAndIsReportedOncePerRunOfFailures() {
            requestWhileTheStoreWrites(VM1);
            deferred.fail(new IllegalStateException("disk full"));
            assertEquals(DhcpMessageType.ACK, d.take().type(), "the lease is valid in memory: the ACK leaves");
            requestWhileTheStoreWrites(VM2);
            deferred.fail(new IllegalStateException("still full"));
            assertEquals(DhcpMessageType.ACK, d.take().type());
            assertEquals(2, d.server.counters().storeFailures());
            assertEquals(List.of("store failed: disk full"), storeFailures(), "reported once for the run of failures");

            requestWhileTheStoreWrites(VM3);
            deferred.complete();
            d.take();
            d.unicast(d.message(VM3, DhcpMessageType.REQUEST).ciaddr(ip("192.168.104.5")).build(),
                    ip("192.168.104.5"));
            deferred.fail(new IllegalStateException("full again"));
            d.take();
            assertEquals(List.of("store failed: disk full", "store failed: full again"), storeFailures(),
                    "a new run of failures after a success is reported again");
            assertEquals(4, d.server.counters().acks(), "every ACK left");
            assertEquals(3, d.server.counters().storeFailures());
        }

        @Test
        void atMostMaxHeldAcksWaitAndOneMoreIsDroppedAndCounted() {
            requestWhileTheStoreWrites(VM1);
            deferred.complete();
            d.take();
            for (int i = 0; i < DhcpServer.MAX_HELD_ACKS + 1; i++) {
                d.unicast(d.message(VM1, DhcpMessageType.REQUEST).ciaddr(ip("192.168.104.3")).build(),
                        ip("192.168.104.3"));
            }
            d.assertSilent();
            assertEquals(DhcpServer.MAX_HELD_ACKS, d.server.heldAcks());
            assertEquals(1, d.server.counters().dropped(DhcpDropReason.ACK_BACKLOG));

            deferred.complete();
            for (int i = 0; i < DhcpServer.MAX_HELD_ACKS; i++) {
                assertEquals(DhcpMessageType.ACK, d.take().type());
            }
            assertEquals(0, d.server.heldAcks());
            assertEquals(DhcpServer.MAX_HELD_ACKS + 1, d.server.counters().acks());
        }

        @Test
        void aSynchronousStoreSendsTheAckAtOnce() {
            int saves = h.store.saves();
            h.lease(VM1, null); // take() inside asserts the ACK is there right after the REQUEST
            assertEquals(saves + 1, h.store.saves());
            assertEquals(0, h.server.heldAcks());
        }
    }
}
