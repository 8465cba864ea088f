package io.userv2.stack.dhcp6;

import static io.userv2.stack.dhcp6.Dhcp6Harness.DNS;
import static io.userv2.stack.dhcp6.Dhcp6Harness.DUID1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.DUID2;
import static io.userv2.stack.dhcp6.Dhcp6Harness.GW_MAC;
import static io.userv2.stack.dhcp6.Dhcp6Harness.LL1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.LL2;
import static io.userv2.stack.dhcp6.Dhcp6Harness.PORT1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.PORT2;
import static io.userv2.stack.dhcp6.Dhcp6Harness.SERVER_DUID;
import static io.userv2.stack.dhcp6.Dhcp6Harness.VM1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.VM2;
import static io.userv2.stack.dhcp6.Dhcp6Harness.WALL0;
import static io.userv2.stack.dhcp6.Dhcp6Harness.ia;
import static io.userv2.stack.dhcp6.Dhcp6Harness.ip;
import static io.userv2.stack.dhcp6.Dhcp6Harness.statefulConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.dhcp6.Dhcp6Harness.Sent;
import io.userv2.stack.wire.HexLiteral;
import java.net.Inet6Address;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Scripted DHCPv6 exchanges on a virtual clock, one nested class per part of RFC 8415 section 18.3. */
class Dhcp6ServerTest {
    static Dhcp6Config stateless() {
        return Dhcp6Config.builder(GW_MAC).dnsServers(List.of(DNS)).searchDomains(List.of("lima.test", "corp.test"))
                .informationRefreshSeconds(3600).build();
    }

    static boolean inPool(Inet6Address a) {
        long iid = Ipv6Bits.lo(a);
        return Ipv6Bits.hi(a) == Ipv6Bits.hi(Dhcp6Harness.PREFIX) && iid >= 0x1000 && iid <= 0xffff;
    }

    @Nested
    class Stateless {
        final Dhcp6Harness h = new Dhcp6Harness(stateless());

        @Test
        void realDhcpcdInformationRequestGetsDnsAndSearchList() {
            h.deliver(VM1, LL1, true, Dhcp6Captures.dhcpcdInformationRequest(), PORT1);
            Sent s = h.take();
            assertEquals(VM1, s.mac());
            assertEquals(LL1, s.to());
            assertEquals(546, s.port());
            Dhcp6Repr m = s.m();
            assertEquals(Dhcp6MessageType.REPLY, m.msgType());
            assertEquals(0x164007, m.transactionId());
            assertEquals(Duid.parse("00:01:00:01:32:a5:f5:c8:52:55:55:12:34:56"), m.clientId(), "copied");
            assertEquals(Duid.parse("00:03:00:01:5a:94:ef:e4:0c:dd"), m.serverId(), "DUID-LL of the gateway MAC");
            assertEquals(List.of(DNS), m.dnsServers());
            assertEquals(List.of("lima.test", "corp.test"), m.domainList());
            assertEquals(3600L, m.informationRefreshTime());
            assertTrue(m.iaNas().isEmpty());
            assertNull(m.status());
            assertEquals(1, h.server.counters().informationReplies());
            assertEquals(1, h.server.counters().replies());
        }

        @Test
        void informationRequestWithoutClientIdOrNamingUsIsAnswered() {
            h.multicast(Dhcp6Repr.builder().msgType(Dhcp6MessageType.INFORMATION_REQUEST).transactionId(7).build());
            assertNull(h.take().m().clientId());
            h.multicast(h.message(Dhcp6MessageType.INFORMATION_REQUEST, DUID1).serverId(SERVER_DUID).build());
            assertEquals(List.of(DNS), h.take().m().dnsServers());
        }

        @Test
        void informationRequestsTheRfcSaysToDiscard() {
            h.multicast(h.message(Dhcp6MessageType.INFORMATION_REQUEST, DUID1).serverId(DUID2).build());
            h.multicast(h.message(Dhcp6MessageType.INFORMATION_REQUEST, DUID1).addIaNa(ia(1)).build());
            h.deliver(VM1, LL1, false, Dhcp6Captures.dhcpcdInformationRequest(), PORT1);
            h.assertSilent();
            assertEquals(1, h.server.counters().dropped(Dhcp6DropReason.NOT_FOR_US));
            assertEquals(1, h.server.counters().dropped(Dhcp6DropReason.IA_IN_INFORMATION_REQUEST));
            assertEquals(1, h.server.counters().dropped(Dhcp6DropReason.UNICAST));
        }

        @Test
        void realDhcpcdSolicitIsToldNoAddrsAvailButGetsConfiguration() {
            h.deliver(VM1, LL1, true, Dhcp6Captures.dhcpcdSolicit(), PORT1);
            Sent s = h.take();
            Dhcp6Repr m = s.m();
            assertEquals(Dhcp6MessageType.ADVERTISE, m.msgType(), "no Rapid Commit without stateful DHCPv6");
            assertFalse(m.rapidCommit());
            assertEquals(0x40b2b7, m.transactionId());
            assertEquals(Dhcp6Status.NO_ADDRS_AVAIL, s.ia().status().code());
            assertTrue(s.ia().addresses().isEmpty());
            assertEquals(Dhcp6Status.NO_ADDRS_AVAIL, m.status().code(), "and the message, for RFC 3315 clients");
            assertEquals(List.of(DNS), m.dnsServers());
            assertNull(m.preference(), "preference 0 by default (18.3.9) is left out");
            assertEquals(1, h.server.counters().advertises());
        }

        @Test
        void requestRenewReleaseConfirmWithoutStatefulDhcp() {
            h.multicast(h.message(Dhcp6MessageType.REQUEST, DUID1).serverId(SERVER_DUID).addIaNa(ia(1)).build());
            assertEquals(Dhcp6Status.NO_ADDRS_AVAIL, h.take().ia().status().code());
            h.multicast(h.message(Dhcp6MessageType.RENEW, DUID1).serverId(SERVER_DUID)
                    .addIaNa(ia(1, ip("fd00::5"))).build());
            assertEquals(Dhcp6Status.NO_BINDING, h.take().ia().status().code());
            h.multicast(h.message(Dhcp6MessageType.RELEASE, DUID1).serverId(SERVER_DUID)
                    .addIaNa(ia(1, ip("fd00::5"))).build());
            Sent release = h.take();
            assertEquals(Dhcp6Status.SUCCESS, release.m().status().code());
            assertEquals(Dhcp6Status.NO_BINDING, release.ia().status().code());
            h.multicast(h.message(Dhcp6MessageType.CONFIRM, DUID1).addIaNa(ia(1, ip("fd00::5"))).build());
            h.assertSilent();
            assertEquals(1, h.server.counters().dropped(Dhcp6DropReason.CONFIRM_UNDECIDABLE));
            assertTrue(h.server.leases().isEmpty());
            assertEquals(0, h.store.saves());
        }
    }

    @Nested
    class Assignment {
        final Dhcp6Harness h = new Dhcp6Harness(statefulConfig().build());

        @Test
        void realDhcpcdSolicitWithRapidCommitIsBoundAtOnce() {
            h.deliver(VM1, LL1, true, Dhcp6Captures.dhcpcdSolicit(), PORT1);
            Sent s = h.take();
            Dhcp6Repr m = s.m();
            assertEquals(Dhcp6MessageType.REPLY, m.msgType());
            assertTrue(m.rapidCommit(), "18.3.1: the Reply carries Rapid Commit");
            IaNa ia = s.ia();
            assertEquals(1, ia.iaid());
            assertEquals(1800, ia.t1());
            assertEquals(2880, ia.t2());
            IaAddress a = ia.addresses().get(0);
            assertEquals(3600, a.preferred());
            assertEquals(3600, a.valid());
            assertTrue(inPool(a.address()), () -> "" + a);
            assertEquals(List.of(DNS), m.dnsServers());
            assertEquals(List.of("lima.test", "corp.test"), m.domainList());
            Dhcp6Lease lease = h.server.lease(DUID1, 1);
            assertEquals(new Dhcp6Lease(DUID1, 1, a.address(), VM1, WALL0 + 3_600_000), lease);
            assertEquals(List.of(lease), h.store.load());
            assertEquals(List.of("lease " + Dhcp6Repr.format(a.address())), h.events.log);
            assertEquals(1, h.server.ownedBy(PORT1));
        }

        @Test
        void solicitAdvertiseRequestReply() {
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID1).addIaNa(ia(1)).build());
            Sent adv = h.take();
            assertEquals(Dhcp6MessageType.ADVERTISE, adv.type());
            assertNull(adv.m().status());
            assertNull(h.server.lease(DUID1, 1), "an advertise binds nothing");
            assertEquals(0, h.store.saves());
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID1).addIaNa(ia(1)).build());
            assertEquals(adv.address(), h.take().address(), "a repeated Solicit gets the same address");
            h.multicast(h.message(Dhcp6MessageType.REQUEST, DUID1).serverId(SERVER_DUID)
                    .addIaNa(ia(1, adv.address())).build());
            Sent reply = h.take();
            assertEquals(adv.address(), reply.address());
            assertFalse(reply.m().rapidCommit());
            assertEquals(1, h.store.saves());
            assertTrue(h.server.lease(DUID1, 1).isActiveAt(WALL0));
        }

        @Test
        void theAddressIsTheIasStablePlace() {
            Sent a = h.lease(DUID1);
            long place = new Dhcp6AddressPool(h.config).stablePlace(DUID1, 1);
            assertEquals(place, Ipv6Bits.lo(a.address()));
            Sent b = h.lease(DUID2, 1, VM2, LL2, PORT2);
            assertNotEquals(a.address(), b.address());
            Sent c = h.lease(DUID1, 2, VM1, LL1, PORT1);
            assertNotEquals(a.address(), c.address(), "another IAID of the same client is another IA");
        }

        @Test
        void sameAddressAfterARestartWithoutTheStore() {
            Inet6Address first = h.lease(DUID1).address();
            Dhcp6Harness fresh = new Dhcp6Harness(statefulConfig().build());
            assertEquals(first, fresh.lease(DUID1).address());
        }

        @Test
        void hintsInThePoolAreHonouredOthersIgnored() {
            Inet6Address wanted = ip("fd00:1234:5678:9abc::4242");
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID1).addIaNa(ia(1, wanted)).build());
            assertEquals(wanted, h.take().address());
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID2).addIaNa(ia(1, ip("2001:db8::1"))).build());
            assertTrue(inPool(h.take().address()), "a hint off the link is ignored in a Solicit");
        }

        @Test
        void requestWithAnAddressOffTheLinkIsNotOnLink() {
            h.multicast(h.message(Dhcp6MessageType.REQUEST, DUID1).serverId(SERVER_DUID)
                    .addIaNa(ia(1, ip("2001:db8::1"))).addIaNa(ia(2)).build());
            Dhcp6Repr m = h.take().m();
            assertEquals(Dhcp6Status.NOT_ON_LINK, m.iaNas().get(0).status().code());
            assertTrue(m.iaNas().get(0).addresses().isEmpty());
            assertEquals(1, m.iaNas().get(1).addresses().size(), "the other IA is served");
        }

        @Test
        void requestForAnotherServerWithdrawsTheOffer() {
            Dhcp6Harness tiny = new Dhcp6Harness(statefulConfig().poolRange(0x10, 0x10).build());
            tiny.multicast(tiny.message(Dhcp6MessageType.SOLICIT, DUID1).addIaNa(ia(1)).build());
            Inet6Address only = tiny.take().address();
            tiny.multicast(tiny.message(Dhcp6MessageType.REQUEST, DUID1).serverId(DUID2)
                    .addIaNa(ia(1, only)).build());
            tiny.assertSilent();
            assertEquals(1, tiny.server.counters().dropped(Dhcp6DropReason.NOT_FOR_US));
            tiny.deliver(VM2, LL2, true, Dhcp6Harness.encode(tiny.message(Dhcp6MessageType.SOLICIT, DUID2)
                    .addIaNa(ia(1)).build()), PORT2);
            assertEquals(only, tiny.take().address(), "the withdrawn address is free again");
        }

        @Test
        void iaPdIsAnsweredNoPrefixAvail() {
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID1).addIaNa(ia(1))
                    .addIaPd(new IaPd(9, 0, 0, null)).build());
            Dhcp6Repr m = h.take().m();
            assertEquals(List.of(new IaPd(9, 0, 0, Dhcp6Status.of(Dhcp6Status.NO_PREFIX_AVAIL,
                    "no prefixes delegated here"))), m.iaPds());
            assertNull(m.status(), "the IA_NA got an address, so the message is no failure");
        }

        @Test
        void preferenceAndSolMaxRtWhenConfigured() {
            Dhcp6Harness p = new Dhcp6Harness(statefulConfig().preference(255).solMaxRtSeconds(120)
                    .rapidCommit(false).build());
            p.deliver(VM1, LL1, true, Dhcp6Captures.dhcpcdSolicit(), PORT1);
            Dhcp6Repr m = p.take().m();
            assertEquals(Dhcp6MessageType.ADVERTISE, m.msgType(), "Rapid Commit switched off");
            assertEquals(255, m.preference());
            assertEquals(120L, m.solMaxRt());
        }
    }

    @Nested
    class Renewal {
        final Dhcp6Harness h = new Dhcp6Harness(statefulConfig().build());

        @Test
        void renewExtendsTheLeaseQuietly() {
            Inet6Address a = h.lease(DUID1).address();
            h.advanceSeconds(1800);
            h.deliver(VM1, LL1, false, Dhcp6Harness.encode(h.message(Dhcp6MessageType.RENEW, DUID1)
                    .serverId(SERVER_DUID).addIaNa(ia(1, a)).build()), PORT1);
            Sent s = h.take();
            assertEquals(a, s.address());
            assertEquals(1800, s.ia().t1());
            assertEquals(WALL0 + (1800 + 3600) * 1000L, h.server.lease(DUID1, 1).expiresEpochMillis());
            assertEquals(List.of("lease " + Dhcp6Repr.format(a)), h.events.log, "only the expiry changed");
            assertEquals(2, h.store.saves());
        }

        @Test
        void rebindIsAnsweredLikeRenew() {
            Inet6Address a = h.lease(DUID1).address();
            h.multicast(h.message(Dhcp6MessageType.REBIND, DUID1).addIaNa(ia(1, a)).build());
            assertEquals(a, h.take().address());
        }

        @Test
        void renewAfterARestartWithoutTheStoreKeepsTheClientsAddress() {
            Inet6Address held = ip("fd00:1234:5678:9abc::7777");
            h.multicast(h.message(Dhcp6MessageType.REBIND, DUID1).addIaNa(ia(1, held)).build());
            Sent s = h.take();
            assertEquals(held, s.address());
            assertEquals(held, h.server.lease(DUID1, 1).address());
        }

        @Test
        void renewOfAnotherClientsAddressIsNoBinding() {
            Inet6Address a = h.lease(DUID1).address();
            h.deliver(VM2, LL2, true, Dhcp6Harness.encode(h.message(Dhcp6MessageType.REBIND, DUID2)
                    .addIaNa(ia(1, a)).build()), PORT2);
            Sent s = h.take();
            assertEquals(Dhcp6Status.NO_BINDING, s.ia().status().code());
            assertTrue(s.ia().addresses().isEmpty());
        }

        @Test
        void addressesOffTheLinkComeBackWithLifetimesZero() {
            Inet6Address a = h.lease(DUID1).address();
            Inet6Address stale = ip("2001:db8::99");
            h.multicast(h.message(Dhcp6MessageType.REBIND, DUID1).addIaNa(ia(1, stale, a)).build());
            IaNa ia = h.take().ia();
            assertEquals(List.of(IaAddress.of(a, 3600, 3600), IaAddress.of(stale, 0, 0)), ia.addresses());
            h.multicast(h.message(Dhcp6MessageType.REBIND, DUID2).addIaNa(ia(1, stale)).build());
            assertEquals(List.of(IaAddress.of(stale, 0, 0)), h.take().ia().addresses(), "no binding, off link");
        }

        @Test
        void messagesTheRfcSaysToDiscard() {
            Inet6Address a = h.lease(DUID1).address();
            h.multicast(h.message(Dhcp6MessageType.RENEW, DUID1).addIaNa(ia(1, a)).build()); // no server id
            h.multicast(h.message(Dhcp6MessageType.RENEW, DUID1).serverId(DUID2).addIaNa(ia(1, a)).build());
            h.multicast(h.message(Dhcp6MessageType.REBIND, DUID1).serverId(SERVER_DUID).addIaNa(ia(1, a)).build());
            h.deliver(VM1, LL1, false, Dhcp6Harness.encode(h.message(Dhcp6MessageType.REBIND, DUID1)
                    .addIaNa(ia(1, a)).build()), PORT1);
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID1).serverId(SERVER_DUID).addIaNa(ia(1)).build());
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, null).addIaNa(ia(1)).build());
            h.deliver(VM1, LL1, false, Dhcp6Captures.dhcpcdSolicit(), PORT1);
            h.assertSilent();
            Dhcp6Counters c = h.server.counters();
            assertEquals(2, c.dropped(Dhcp6DropReason.NOT_FOR_US));
            assertEquals(2, c.dropped(Dhcp6DropReason.SERVER_ID_NOT_ALLOWED));
            assertEquals(2, c.dropped(Dhcp6DropReason.UNICAST));
            assertEquals(1, c.dropped(Dhcp6DropReason.NO_CLIENT_ID));
        }

        @Test
        void expiryIsReported() {
            Inet6Address a = h.lease(DUID1).address();
            h.advanceSeconds(3599);
            h.server.expire(h.now);
            assertEquals(1, h.events.log.size());
            h.advanceSeconds(1);
            h.server.expire(h.now);
            assertEquals("expire " + Dhcp6Repr.format(a), h.events.log.get(1));
            assertFalse(h.server.lease(DUID1, 1).isActiveAt(WALL0 + 3_600_000));
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID1).addIaNa(ia(1)).build());
            assertEquals(a, h.take().address(), "the association outlives the lease");
        }
    }

    @Nested
    class Confirm {
        final Dhcp6Harness h = new Dhcp6Harness(statefulConfig().build());

        @Test
        void onLinkAddressesAreConfirmed() {
            h.multicast(h.message(Dhcp6MessageType.CONFIRM, DUID1)
                    .addIaNa(ia(1, ip("fd00:1234:5678:9abc::1:2"))).build());
            Sent s = h.take();
            assertEquals(Dhcp6Status.SUCCESS, s.m().status().code());
            assertTrue(s.m().iaNas().isEmpty());
        }

        @Test
        void anAddressOffTheLinkIsNotOnLink() {
            h.multicast(h.message(Dhcp6MessageType.CONFIRM, DUID1)
                    .addIaNa(ia(1, ip("fd00:1234:5678:9abc::1:2"), ip("fd00:1234:5678:9abd::1"))).build());
            assertEquals(Dhcp6Status.NOT_ON_LINK, h.take().m().status().code());
        }

        @Test
        void noAddressNoReply() {
            h.multicast(h.message(Dhcp6MessageType.CONFIRM, DUID1).addIaNa(ia(1)).build());
            h.assertSilent();
            assertEquals(1, h.server.counters().dropped(Dhcp6DropReason.CONFIRM_UNDECIDABLE));
        }
    }

    @Nested
    class ReleaseAndDecline {
        final Dhcp6Harness h = new Dhcp6Harness(statefulConfig().build());

        @Test
        void releaseEndsTheLeaseAndKeepsTheAddressForTheClient() {
            Inet6Address a = h.lease(DUID1).address();
            h.multicast(h.message(Dhcp6MessageType.RELEASE, DUID1).serverId(SERVER_DUID)
                    .addIaNa(ia(1, a)).addIaNa(ia(5, a)).build());
            Sent s = h.take();
            assertEquals(Dhcp6Status.SUCCESS, s.m().status().code());
            assertEquals(List.of(IaNa.failed(5, Dhcp6Status.of(Dhcp6Status.NO_BINDING, "no binding for this IA"))),
                    s.m().iaNas(), "only the IA without a binding is listed");
            assertEquals("release " + Dhcp6Repr.format(a), h.events.log.get(1));
            assertFalse(h.server.lease(DUID1, 1).isActiveAt(WALL0));
            assertFalse(h.store.load().get(0).isActiveAt(WALL0), "saved");
            assertEquals(1, h.server.counters().releases());
            assertEquals(a, h.lease(DUID1).address());
        }

        @Test
        void aDeclinedAddressRestsAndTheClientGetsAnother() {
            Inet6Address a = h.lease(DUID1).address();
            h.multicast(h.message(Dhcp6MessageType.DECLINE, DUID1).serverId(SERVER_DUID).addIaNa(ia(1, a)).build());
            assertEquals(Dhcp6Status.SUCCESS, h.take().m().status().code());
            assertTrue(h.events.log.contains("declined " + Dhcp6Repr.format(a)));
            assertNull(h.server.lease(DUID1, 1));
            assertTrue(h.store.load().isEmpty());
            Inet6Address b = h.lease(DUID1).address();
            assertNotEquals(a, b);
            h.multicast(h.message(Dhcp6MessageType.REBIND, DUID2).addIaNa(ia(1, a)).build());
            assertEquals(Dhcp6Status.NO_BINDING, h.take().ia().status().code(), "resting, not adopted");
            h.advanceSeconds(600);
            h.server.expire(h.now);
            h.multicast(h.message(Dhcp6MessageType.REBIND, DUID2).addIaNa(ia(1, a)).build());
            assertEquals(a, h.take().address(), "rested");
        }

        @Test
        void releaseOfAnotherClientsAddressChangesNothing() {
            Inet6Address a = h.lease(DUID1).address();
            h.multicast(h.message(Dhcp6MessageType.RELEASE, DUID2).serverId(SERVER_DUID).addIaNa(ia(1, a)).build());
            assertEquals(Dhcp6Status.NO_BINDING, h.take().ia().status().code());
            assertTrue(h.server.lease(DUID1, 1).isActiveAt(WALL0));
        }
    }

    @Nested
    class Caps {
        @Test
        void onePortCannotDrainThePoolWithMadeUpDuids() {
            Dhcp6Harness h = new Dhcp6Harness(statefulConfig().maxLeasesPerPort(3).build());
            for (int i = 0; i < 3; i++) {
                h.multicast(h.message(Dhcp6MessageType.SOLICIT, Duid.parse(String.format("00:04:%02x", i))).addIaNa(ia(1)).build());
                assertTrue(inPool(h.take().address()));
            }
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, Duid.parse("00:04:99")).addIaNa(ia(1)).build());
            Sent refused = h.take();
            assertEquals(Dhcp6Status.NO_ADDRS_AVAIL, refused.ia().status().code());
            assertEquals(1, h.server.counters().capRefusals());
            assertEquals(List.of("cap 1"), h.events.log);
            assertEquals(3, h.server.ownedBy(PORT1));
            h.deliver(VM2, LL2, true, Dhcp6Harness.encode(h.message(Dhcp6MessageType.SOLICIT, DUID2)
                    .addIaNa(ia(1)).build()), PORT2);
            assertTrue(inPool(h.take().address()), "another port is not affected");
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, Duid.parse("00:04:00")).addIaNa(ia(1)).build());
            assertTrue(inPool(h.take().address()), "a known IA is never refused");
            h.advanceSeconds(60);
            h.server.expire(h.now);
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, Duid.parse("00:04:99")).addIaNa(ia(1)).build());
            assertTrue(inPool(h.take().address()), "lapsed offers of the port make room");
            assertEquals(3, h.server.ownedBy(PORT1));
        }

        @Test
        void boundLeasesAreNotTakenOverByTheCap() {
            Dhcp6Harness h = new Dhcp6Harness(statefulConfig().maxLeasesPerPort(1).build());
            h.lease(DUID1);
            h.multicast(h.message(Dhcp6MessageType.REQUEST, DUID2).serverId(SERVER_DUID).addIaNa(ia(1)).build());
            assertEquals(Dhcp6Status.NO_ADDRS_AVAIL, h.take().ia().status().code());
            assertTrue(h.server.lease(DUID1, 1).isActiveAt(WALL0));
        }

        @Test
        void portClosedDropsItsOffersAndFreesItsCount() {
            Dhcp6Harness h = new Dhcp6Harness(statefulConfig().maxLeasesPerPort(2).build());
            h.lease(DUID1);
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID2).addIaNa(ia(1)).build());
            h.take();
            assertEquals(2, h.server.ownedBy(PORT1));
            h.server.portClosed(PORT1);
            assertEquals(0, h.server.ownedBy(PORT1));
            assertTrue(h.server.lease(DUID1, 1).isActiveAt(WALL0), "leases stay");
            assertEquals(1, h.server.leases().size());
        }

        @Test
        void aFullPoolReclaimsTheOldestInactiveThenRefuses() {
            Dhcp6Harness h = new Dhcp6Harness(statefulConfig().poolRange(0x10, 0x11).build());
            Inet6Address a = h.lease(DUID1).address();
            h.lease(DUID2, 1, VM2, LL2, PORT2);
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, Duid.parse("00:04:03")).addIaNa(ia(1)).build());
            assertEquals(Dhcp6Status.NO_ADDRS_AVAIL, h.take().ia().status().code());
            assertEquals(List.of("exhausted"), h.events.log.stream().filter(e -> e.equals("exhausted")).toList());
            h.multicast(h.message(Dhcp6MessageType.RELEASE, DUID1).serverId(SERVER_DUID).addIaNa(ia(1, a)).build());
            h.take();
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, Duid.parse("00:04:03")).addIaNa(ia(1)).build());
            assertEquals(a, h.take().address(), "the released association is taken over");
            assertNull(h.server.lease(DUID1, 1));
        }

        @Test
        void theTableHasATotalCap() {
            Dhcp6Harness h = new Dhcp6Harness(statefulConfig().maxLeases(2).build());
            h.lease(DUID1);
            h.lease(DUID2, 1, VM2, LL2, PORT2);
            h.deliver(VM2, LL2, true, Dhcp6Harness.encode(h.message(Dhcp6MessageType.SOLICIT,
                    Duid.parse("00:04:03")).addIaNa(ia(1)).build()), 3);
            assertEquals(Dhcp6Status.NO_ADDRS_AVAIL, h.take().ia().status().code());
        }
    }

    @Nested
    class Persistence {
        final InMemoryDhcp6LeaseStore disk = new InMemoryDhcp6LeaseStore();

        @Test
        void leasesSurviveARestartExactly() {
            // A pool of two where DUID3's stable place is DUID1's: arriving second, DUID3 was probed on to the other
            // address. Coming back first after a restart, only the store keeps it off DUID1's address.
            Duid duid3 = Duid.parse("00:04:03");
            Dhcp6Harness h = new Dhcp6Harness(statefulConfig().poolRange(0x10, 0x11).build(), disk);
            Inet6Address a1 = h.lease(DUID1).address();
            Inet6Address a3 = h.lease(duid3, 1, VM2, LL2, PORT2).address();
            Dhcp6AddressPool pool = new Dhcp6AddressPool(h.config);
            assertEquals(Ipv6Bits.lo(a1), pool.stablePlace(duid3, 1), "the places collide");
            assertNotEquals(a1, a3);
            h.advanceSeconds(100);
            h.events.log.clear();
            h.start();
            assertEquals(List.of("lease " + Dhcp6Repr.format(a3), "lease " + Dhcp6Repr.format(a1)),
                    h.events.log, "the listener is replayed the restored leases, in address order");
            assertEquals(a3, h.lease(duid3, 1, VM2, LL2, PORT2).address());
            assertEquals(a1, h.lease(DUID1).address());
            assertEquals(WALL0 + (100 + 3600) * 1000L, disk.load().get(1).expiresEpochMillis());

            Dhcp6Harness forgetful = new Dhcp6Harness(statefulConfig().poolRange(0x10, 0x11).build());
            assertEquals(a1, forgetful.lease(duid3, 1, VM2, LL2, PORT2).address(), "without the store: its place");
        }

        @Test
        void badStoredLeasesAreDiscarded() {
            Inet6Address inPool = ip("fd00:1234:5678:9abc::2000");
            disk.replace(List.of(
                    new Dhcp6Lease(DUID1, 1, inPool, VM1, WALL0 + 1000),
                    new Dhcp6Lease(DUID1, 1, ip("fd00:1234:5678:9abc::2001"), VM1, WALL0 + 1000),
                    new Dhcp6Lease(DUID2, 1, inPool, VM2, WALL0 + 1000),
                    new Dhcp6Lease(DUID2, 2, ip("2001:db8::1"), VM2, WALL0 + 1000)));
            Dhcp6Harness h = new Dhcp6Harness(statefulConfig().build(), disk);
            assertEquals(List.of("discarded fd00:1234:5678:9abc::2001: IA listed twice",
                    "discarded fd00:1234:5678:9abc::2000: address already taken by " + DUID1,
                    "discarded 2001:db8::1: address outside the pool",
                    "lease fd00:1234:5678:9abc::2000"), h.events.log);
            assertEquals(1, h.server.leases().size());
        }

        @Test
        void repliesWaitForTheStore() {
            DeferredHarness d = new DeferredHarness();
            Dhcp6Harness h = d.h;
            h.deliver(VM1, LL1, true, Dhcp6Captures.dhcpcdSolicit(), PORT1);
            h.assertSilent();
            assertEquals(1, h.server.heldReplies());
            assertTrue(disk.load().isEmpty());
            d.store.complete();
            assertEquals(Dhcp6MessageType.REPLY, h.take().type());
            assertEquals(1, disk.load().size());
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID2).addIaNa(ia(1)).build());
            assertEquals(Dhcp6MessageType.ADVERTISE, h.take().type(), "a reply that changed nothing is not held");
        }

        @Test
        void aFailedWriteReleasesTheReplyAndIsReportedOnce() {
            DeferredHarness d = new DeferredHarness();
            Dhcp6Harness h = d.h;
            h.deliver(VM1, LL1, true, Dhcp6Captures.dhcpcdSolicit(), PORT1);
            d.store.fail(new IllegalStateException("disk full"));
            assertEquals(Dhcp6MessageType.REPLY, h.take().type(), "the lease is valid in memory");
            assertTrue(h.server.lease(DUID1, 1).isActiveAt(WALL0));
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID2).rapidCommit(true).addIaNa(ia(1)).build());
            h.assertSilent();
            d.store.fail(new IllegalStateException("disk still full"));
            assertEquals(Dhcp6MessageType.REPLY, h.take().type());
            assertEquals(List.of("store failed: disk full"),
                    h.events.log.stream().filter(e -> e.startsWith("store")).toList(), "once per run of failures");
            assertEquals(2, h.server.counters().storeFailures());
            assertTrue(disk.load().isEmpty());
        }

        /** A harness whose store writes when told. */
        final class DeferredHarness {
            final Dhcp6Harness.DeferredStore store = new Dhcp6Harness.DeferredStore(disk);
            final Dhcp6Harness h = new Dhcp6Harness(statefulConfig().build(), disk, store);
        }
    }

    @Nested
    class BadInput {
        final Dhcp6Harness h = new Dhcp6Harness(statefulConfig().build());

        @Test
        void malformedRelayedAndStrayMessagesAreDroppedAndCounted() {
            h.deliver(VM1, LL1, true, HexLiteral.bytes("01 0000"), PORT1);
            h.deliver(VM1, LL1, true, HexLiteral.bytes("01 000001 0001 0010 000401"), PORT1);
            h.deliver(VM1, LL1, true, HexLiteral.bytes("01 000001 0001 0003 000401 0003 0008 00000001 00000000"),
                    PORT1);
            h.deliver(VM1, LL1, true, HexLiteral.bytes("0c 00" + " 00".repeat(32)), PORT1);
            h.deliver(VM1, LL1, true, HexLiteral.bytes("07 000001 0001 0003 000401"), PORT1);
            h.deliver(VM1, LL1, true, HexLiteral.bytes("63 000001"), PORT1);
            h.deliver(VM1, ip("::"), true, Dhcp6Captures.dhcpcdSolicit(), PORT1);
            h.assertSilent();
            Dhcp6Counters c = h.server.counters();
            assertEquals(3, c.dropped(Dhcp6DropReason.MALFORMED));
            assertEquals(1, c.dropped(Dhcp6DropReason.RELAYED));
            assertEquals(2, c.dropped(Dhcp6DropReason.UNEXPECTED_TYPE));
            assertEquals(1, c.dropped(Dhcp6DropReason.BAD_SOURCE));
            assertEquals(7, c.received());
            assertTrue(h.server.leases().isEmpty());
        }

        @Test
        void aMessagePackedWithIasGetsABoundedAnswer() {
            Dhcp6Repr.Builder solicit = h.message(Dhcp6MessageType.SOLICIT, DUID1);
            for (int i = 0; i < 1000; i++) {
                solicit.addIaNa(ia(i));
            }
            h.multicast(solicit.build());
            Sent s = h.take();
            assertEquals(Dhcp6Server.MAX_IAS, s.m().iaNas().size());
            assertEquals(Dhcp6Config.DEFAULT_MAX_LEASES_PER_PORT, s.m().iaNas().stream()
                    .filter(x -> !x.addresses().isEmpty()).count(), "the port cap holds too");
            Inet6Address[] many = new Inet6Address[2000];
            for (int i = 0; i < many.length; i++) {
                many[i] = Ipv6Bits.of(0x2001_0db8_0000_0000L, i + 1);
            }
            h.multicast(h.message(Dhcp6MessageType.REBIND, DUID2).addIaNa(ia(1, many)).build());
            assertEquals(Dhcp6Server.MAX_IAS, h.take().ia().addresses().size());
        }

        @Test
        void mangledRealMessagesNeverThrow() {
            java.util.Random random = new java.util.Random(42);
            byte[][] seeds = {Dhcp6Captures.dhcpcdSolicit(), Dhcp6Captures.dhcpcdRenew(),
                Dhcp6Captures.dhclientRequest(), Dhcp6Captures.dhcpcdConfirm(), Dhcp6Captures.dhclientRelease(),
                Dhcp6Captures.dhcpcdInformationRequest()};
            for (int i = 0; i < 3000; i++) {
                byte[] m = seeds[random.nextInt(seeds.length)].clone();
                int flips = 1 + random.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    m[random.nextInt(m.length)] = (byte) random.nextInt(256);
                }
                if (random.nextInt(4) == 0) {
                    m = java.util.Arrays.copyOf(m, random.nextInt(m.length + 1));
                }
                h.deliver(VM1, LL1, random.nextBoolean(), m, PORT1); // the harness parses every reply back
                h.sent.clear();
                h.advanceSeconds(random.nextInt(120));
                h.server.expire(h.now);
            }
            assertEquals(3000, h.server.counters().received());
            assertTrue(h.server.counters().droppedTotal() > 0);
            assertTrue(h.server.counters().replies() + h.server.counters().advertises() > 0);
        }

        @Test
        void repeatedIaidsAreAnsweredOnce() {
            h.multicast(h.message(Dhcp6MessageType.SOLICIT, DUID1).addIaNa(ia(1)).addIaNa(ia(1)).build());
            assertEquals(1, h.take().m().iaNas().size());
        }
    }
}
