package io.userv2.stack.dhcp;

import static io.userv2.stack.dhcp.DhcpHarness.GW_IP;
import static io.userv2.stack.dhcp.DhcpHarness.SUBNET;
import static io.userv2.stack.dhcp.DhcpHarness.VM1;
import static io.userv2.stack.dhcp.DhcpHarness.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.userv2.stack.wire.Ipv4Subnet;
import java.util.List;
import org.junit.jupiter.api.Test;

class DhcpConfigTest {
    @Test
    void defaultsFollowTheReference() {
        DhcpConfig c = DhcpConfig.builder(SUBNET, GW_IP).build();
        assertEquals(ip("192.168.104.3"), c.poolStart());
        assertEquals(ip("192.168.104.254"), c.poolEnd());
        assertEquals(GW_IP, c.router());
        assertEquals(List.of(GW_IP), c.dnsServers());
        assertEquals(3600, c.leaseSeconds());
        assertEquals(1800, c.renewalSeconds());
        assertEquals(3150, c.rebindingSeconds());
        assertEquals(1500, c.mtu());
        assertNull(c.domainName());
        assertEquals(List.of(), c.searchDomains());
    }

    @Test
    void domainNameDefaultsToTheFirstSearchDomainUnlessSet() {
        assertEquals("a.example", DhcpConfig.builder(SUBNET, GW_IP).searchDomains(List.of("a.example.", "b"))
                .build().domainName());
        assertNull(DhcpConfig.builder(SUBNET, GW_IP).searchDomains(List.of("a.example")).domainName(null).build()
                .domainName());
    }

    @Test
    void poolStartsAtTheFirstHostWhenTheGatewayIsTheLastOne() {
        DhcpConfig c = DhcpConfig.builder(SUBNET, ip("192.168.104.254")).build();
        assertEquals(ip("192.168.104.1"), c.poolStart());
        assertEquals(ip("192.168.104.254"), c.poolEnd(), "the gateway is in the range but excluded");
    }

    @Test
    void inconsistentConfigurationsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(SUBNET, ip("10.0.0.1")).build());
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(SUBNET, GW_IP)
                .poolEnd(ip("192.168.104.255")).build());
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(SUBNET, GW_IP)
                .poolStart(ip("192.168.104.100")).poolEnd(ip("192.168.104.50")).build());
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(SUBNET, GW_IP)
                .staticLeases(List.of(new StaticLease(GW_IP, VM1))).build());
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(SUBNET, GW_IP)
                .staticLeases(StaticLease.parseList("192.168.104.9=52:55:55:00:00:01,192.168.104.9=52:55:55:00:00:02"))
                .build());
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(SUBNET, GW_IP)
                .staticLeases(StaticLease.parseList("192.168.104.8=52:55:55:00:00:01,192.168.104.9=52:55:55:00:00:01"))
                .build());
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(SUBNET, GW_IP)
                .searchDomains(List.of("bad..name")).build());
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(SUBNET, GW_IP).mtu(67).build());
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(SUBNET, GW_IP).leaseSeconds(0).build());
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(Ipv4Subnet.parse("10.0.0.0/30"),
                ip("10.0.0.2")).reserve(ip("10.0.0.1")).staticLeases(
                        List.of(new StaticLease(ip("10.0.0.1"), VM1))).build());
    }

    @Test
    void staticLeasesParse() {
        assertEquals(List.of(new StaticLease(ip("192.168.104.10"), VM1)),
                StaticLease.parseList(" 192.168.104.10 = 52:55:55:12:34:56 ,"));
        assertEquals(List.of(), StaticLease.parseList(""));
        assertEquals("192.168.104.10=52:55:55:12:34:56", StaticLease.parse("192.168.104.10=52:55:55:12:34:56")
                .toString());
        assertThrows(IllegalArgumentException.class, () -> StaticLease.parse("192.168.104.10"));
        assertThrows(IllegalArgumentException.class, () -> StaticLease.parse("192.168.104.10=ff:ff:ff:ff:ff:ff"));
    }

    @Test
    void timeBaseMapsBothWaysAndSaturates() {
        TimeBase t = TimeBase.of(-5_000_000_000L, 1_000_000L);
        assertEquals(1_000_000L + 7_000, t.wallMillis(2_000_000_000L));
        assertEquals(2_000_000_000L, t.nanos(1_007_000L));
        assertEquals(t.nanos(Long.MAX_VALUE), t.nanos(Long.MAX_VALUE - 1), "saturated, no overflow");
        assertEquals(t.nanos(Long.MIN_VALUE), t.nanos(Long.MIN_VALUE + 1));
    }
}
