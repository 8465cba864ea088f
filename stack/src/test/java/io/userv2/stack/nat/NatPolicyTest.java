package io.userv2.stack.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NatPolicyTest {
    static final Ipv4Subnet LAN = Ipv4Subnet.parse("192.168.104.0/24");
    static final Ipv4Address GATEWAY = Ipv4Address.parse("192.168.104.2");
    static final Ipv4Address DOC = Ipv4Address.parse("203.0.113.7");
    static final Ipv4Address LOOPBACK = Ipv4Address.parse("127.0.0.1");

    static Ipv4Address ip(String s) {
        return Ipv4Address.parse(s);
    }

    @Test
    void hostAliasIsTheHostLoopback() {
        NatPolicy p = new NatPolicy(LAN, GATEWAY, Map.of(), true);
        assertEquals(LOOPBACK, p.translate(GATEWAY));
    }

    @Test
    void rulesMapVirtualToReal() {
        NatPolicy p = new NatPolicy(LAN, GATEWAY, Map.of(DOC, LOOPBACK), false);
        assertEquals(LOOPBACK, p.translate(DOC));
    }

    @Test
    void outsideDestinationsAreDialledAsThemselvesOnlyWhenAllowed() {
        assertEquals(ip("198.51.100.1"), new NatPolicy(LAN, GATEWAY, Map.of(), true).translate(ip("198.51.100.1")));
        assertNull(new NatPolicy(LAN, GATEWAY, Map.of(), false).translate(ip("198.51.100.1")));
        assertEquals(LOOPBACK, new NatPolicy(LAN, GATEWAY, Map.of(), false).translate(GATEWAY),
                "host mode still reaches the host alias");
    }

    @Test
    void linkLocalIsDialledOnlyWhenThePolicyAllowsIt() {
        // gvproxy's -ec2-metadata-access: the guest reaches the cloud's metadata (and time) service as itself
        NatPolicy allowed = new NatPolicy(LAN, GATEWAY, Map.of(), true, true);
        assertEquals(ip("169.254.169.254"), allowed.translate(ip("169.254.169.254")));
        assertNull(new NatPolicy(LAN, GATEWAY, Map.of(), true, false).translate(ip("169.254.169.254")));
        assertNull(allowed.translate(ip("224.0.0.251")), "multicast stays out whatever the link-local switch says");
    }

    @Test
    void linkLocalIsNeverDialledEvenThroughARule() {
        NatPolicy p = new NatPolicy(LAN, GATEWAY, Map.of(DOC, ip("169.254.169.254")), true);
        assertNull(p.translate(ip("169.254.169.254")));
        assertNull(p.translate(DOC));
    }

    @Test
    void lanLoopbackMulticastAndReservedAreRefused() {
        NatPolicy p = new NatPolicy(LAN, GATEWAY, Map.of(), true);
        assertNull(p.translate(ip("192.168.104.7")));
        assertNull(p.translate(ip("127.0.0.1")));
        assertNull(p.translate(ip("224.0.0.251")));
        assertNull(p.translate(ip("255.255.255.255")));
        assertNull(p.translate(ip("0.1.2.3")));
    }
}
