package io.userv2.stack.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** RFC 6052 addressing and the NAT64 translation decisions. */
class Nat64PrefixTest {
    /**
     * An IPv4 address in none of RFC 6890's special-purpose blocks, as the "global" case of the policy needs. These
     * tests only parse and compare addresses: no socket exists here and nothing is ever sent to it.
     */
    private static final String GLOBAL = "192.0.1.1";

    private static final Ipv4Address V4 = Ipv4Address.parse("192.0.2.33");
    private static final Ipv4Subnet LAN = Ipv4Subnet.parse("192.168.104.0/24");
    private static final Ipv4Address GATEWAY = Ipv4Address.parse("192.168.104.2");
    private static final Ipv4Address DOC = Ipv4Address.parse("203.0.113.5");
    private static final Ipv4Address LOOPBACK = Ipv4Address.parse("127.0.0.1");

    /** RFC 6052 section 2.4, "Table 2: Text Representation of IPv4-Embedded IPv6 Address", every row. */
    @Test
    void theRfcsExamplesEmbedAndExtract() {
        Map<String, String> table = Map.of(
                "2001:db8::/32", "2001:db8:c000:221::",
                "2001:db8:100::/40", "2001:db8:1c0:2:21::",
                "2001:db8:122::/48", "2001:db8:122:c000:2:2100::",
                "2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::",
                "2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0",
                "2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33",
                "64:ff9b::/96", "64:ff9b::192.0.2.33");
        table.forEach((prefix, expected) -> {
            Nat64Prefix p = Nat64Prefix.parse(prefix);
            Ipv6Address embedded = p.embed(V4);
            assertEquals(Ipv6Address.parse(expected), embedded, prefix);
            assertEquals(V4, p.extract(embedded), prefix);
            assertTrue(p.contains(embedded), prefix);
        });
    }

    @Test
    void theBriefsExampleIsTheLastThirtyTwoBitsOfTheWellKnownPrefix() {
        assertEquals(Ipv6Address.parse("64:ff9b::cb00:7105"), Nat64Prefix.WELL_KNOWN.embed(DOC));
        assertEquals(DOC, Nat64Prefix.WELL_KNOWN.extract(Ipv6Address.parse("64:ff9b::203.0.113.5")));
        assertTrue(Nat64Prefix.WELL_KNOWN.isWellKnown());
        assertFalse(Nat64Prefix.parse("2001:db8:64::/96").isWellKnown());
    }

    @Test
    void addressesOutsideThePrefixOrWithTheReservedOctetSetAreNotTaken() {
        Nat64Prefix p = Nat64Prefix.parse("2001:db8::/32");
        assertNull(p.extract(Ipv6Address.parse("2001:db9:c000:221::")), "another prefix");
        // bits 64 to 71 ("u") must be zero (RFC 6052 2.2)
        assertNull(p.extract(Ipv6Address.parse("2001:db8:c000:221:100::")));
        assertNull(Nat64Prefix.WELL_KNOWN.extract(Ipv6Address.parse("64:ff9b:1::c000:221")));
        assertEquals(V4, p.extract(Ipv6Address.parse("2001:db8:c000:221:0:1::")), "the suffix is ignored");
    }

    @Test
    void onlyTheRfcsLengthsAndCleanPrefixesParse() {
        for (String bad : new String[] {"64:ff9b::/80", "64:ff9b::/128", "64:ff9b::1/96", "2001:db8:0:0:100::/64",
                "fe80::/64", "ff0e::/96", "::/96", "::ffff:0:0/96", "64:ff9b::", "nonsense/96"}) {
            assertThrows(IllegalArgumentException.class, () -> Nat64Prefix.parse(bad), bad);
        }
        assertEquals("64:ff9b::/96", Nat64Prefix.parse(" 64:FF9B::/96 ").toString());
    }

    @Test
    void globalMeansNoneOfTheSpecialPurposeBlocks() {
        for (String g : new String[] {GLOBAL, "172.32.0.1", "100.128.0.1"}) {
            assertTrue(Nat64Prefix.isGlobal(Ipv4Address.parse(g)), g);
        }
        for (String n : new String[] {"10.1.2.3", "127.0.0.1", "169.254.169.254", "172.16.0.1", "192.168.1.1",
                "100.64.0.1", "192.0.2.1", "198.51.100.1", "203.0.113.5", "198.18.0.1", "224.0.0.251",
                "255.255.255.255", "0.0.0.0", "192.0.0.8"}) {
            assertFalse(Nat64Prefix.isGlobal(Ipv4Address.parse(n)), n);
        }
    }

    @Test
    void theWellKnownPrefixTranslatesGlobalAddressesAndNatRuleAddressesOnly() {
        NatPolicy v4 = new NatPolicy(LAN, GATEWAY, Map.of(DOC, LOOPBACK), true);
        Nat64Policy p = new Nat64Policy(Nat64Prefix.WELL_KNOWN, v4);
        assertEquals(LOOPBACK, p.translate(Ipv6Address.parse("64:ff9b::203.0.113.5")), "--nat 203.0.113.5=127.0.0.1");
        assertEquals(Ipv4Address.parse(GLOBAL), p.translate(Ipv6Address.parse("64:ff9b::" + GLOBAL)));
        // RFC 6052 3.1: non-global addresses are dropped with the Well-Known Prefix, the host alias included
        for (String refused : new String[] {"64:ff9b::192.168.104.2", "64:ff9b::127.0.0.1", "64:ff9b::10.0.0.1",
                "64:ff9b::203.0.113.6", "64:ff9b::192.168.104.7", "64:ff9b::169.254.169.254"}) {
            assertNull(p.translate(Ipv6Address.parse(refused)), refused);
        }
        assertNull(p.translate(Ipv6Address.parse("2001:db8::" + GLOBAL)), "not in the prefix");
        assertEquals(Ipv6Address.parse("64:ff9b::cb00:7105"), p.synthesize(DOC));
        assertNull(p.synthesize(Ipv4Address.parse("10.0.0.1")), "DNS64 synthesizes only what is translated");

        Nat64Policy local = new Nat64Policy(Nat64Prefix.WELL_KNOWN, new NatPolicy(LAN, GATEWAY, Map.of(DOC, LOOPBACK),
                false));
        assertNull(local.translate(Ipv6Address.parse("64:ff9b::" + GLOBAL)), "--no-outside");
        assertNull(local.synthesize(Ipv4Address.parse(GLOBAL)));
        assertEquals(LOOPBACK, local.translate(Ipv6Address.parse("64:ff9b::203.0.113.5")), "rules still apply");
    }

    @Test
    void aNetworkSpecificPrefixTranslatesWhatTheIpv4PolicyAllows() {
        Nat64Policy p = new Nat64Policy(Nat64Prefix.parse("2001:db8:64::/96"),
                new NatPolicy(LAN, GATEWAY, Map.of(DOC, LOOPBACK), true));
        assertEquals(LOOPBACK, p.translate(Ipv6Address.parse("2001:db8:64::192.168.104.2")), "the host alias");
        assertEquals(Ipv4Address.parse("10.0.0.1"), p.translate(Ipv6Address.parse("2001:db8:64::10.0.0.1")));
        assertNull(p.translate(Ipv6Address.parse("2001:db8:64::192.168.104.7")), "a LAN peer is never dialled");
        assertNull(p.translate(Ipv6Address.parse("2001:db8:64::127.0.0.1")), "nor the host's loopback as itself");
        assertNull(p.translate(Ipv6Address.parse("2001:db8:64::224.0.0.251")));
    }

    @Test
    void nat66PolicyRoutesThePrefixToIpv4AndLetsExplicitRulesWin() {
        Ipv6Address gw6 = Ipv6Address.parse("fd00::2");
        Ipv6Address ruled = Ipv6Address.parse("64:ff9b::8.8.4.4");
        Nat66Policy off = new Nat66Policy(io.userv2.stack.wire.Ipv6Prefix.parse("fd00::/64"), Set.of(gw6),
                Map.of(ruled, Ipv6Address.LOOPBACK), true);
        Ipv6Address v4only = Ipv6Address.parse("64:ff9b::" + GLOBAL);
        assertEquals(v4only, off.route(v4only), "NAT64 off: the prefix is an IPv6 destination like any other");
        Nat66Policy on = off.withNat64(new Nat64Policy(Nat64Prefix.WELL_KNOWN,
                new NatPolicy(LAN, GATEWAY, Map.of(), true)));
        assertEquals(Ipv4Address.parse(GLOBAL), on.route(v4only));
        assertTrue(on.isNat64(v4only));
        assertEquals(Ipv6Address.LOOPBACK, on.route(ruled), "an IPv6 --nat rule wins");
        assertEquals(Ipv6Address.LOOPBACK, on.route(gw6));
        assertNull(on.route(Ipv6Address.parse("64:ff9b::127.0.0.1")));
        assertEquals(Ipv6Address.parse("2001:db8::1"), on.route(Ipv6Address.parse("2001:db8::1")), "NAT66 stays");
    }
}
