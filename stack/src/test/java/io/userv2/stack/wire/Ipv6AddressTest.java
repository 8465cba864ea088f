package io.userv2.stack.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Ipv6AddressTest {
    private final Random random = new Random(5952);

    @Test
    void rfc5952CanonicalText() {
        String[][] cases = {
            // input, canonical text (RFC 5952 section 4 and its examples)
            {"2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"}, // 4.1 leading zeros, 4.2.1 "::"
            {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},
            {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},           // 4.2.2 never "::" for one field
            {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},                   // 4.2.3 the longest run
            {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},             // 4.2.3 the first of equal runs
            {"2001:DB8::AbCd", "2001:db8::abcd"},                      // 4.3 lower case
            {"0:0:0:0:0:0:0:0", "::"},
            {"0:0:0:0:0:0:0:1", "::1"},
            {"1:0:0:0:0:0:0:0", "1::"},
            {"0:0:0:0:0:0:0:1:", null},
            {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},                     // "::" for one field, written out
            {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
            {"fe80:0:0:0:5054:ff:fe12:3456", "fe80::5054:ff:fe12:3456"},
            {"ff02:0:0:0:0:1:ff0e:8c6c", "ff02::1:ff0e:8c6c"},
            {"0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1"},           // section 5, mixed notation
            {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
            {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},               // only mapped addresses use dots
            {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
            {"  2001:db8::1 ", "2001:db8::1"},
        };
        for (String[] c : cases) {
            Ipv6Address a = Ipv6Address.parseOrNull(c[0]);
            if (c[1] == null) {
                assertNull(a, c[0]);
            } else {
                assertEquals(c[1], a.toString(), c[0]);
                assertEquals(a, Ipv6Address.parse(c[1]), "canonical text parses back: " + c[1]);
            }
        }
    }

    @Test
    void rejectsWhatIsNotAnAddress() {
        String[] bad = {"", ":", ":::", "1", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::",
            "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:", ":1", "1:2:3:4:5:6:7:8:", "::ffff:1.2.3",
            "::ffff:1.2.3.256", "::ffff:1.2.3.4.5", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5", "fe80::1%eth0", "[::1]",
            "::-1", "+1::", "1 ::2", "\uff11::", "::\u0661.2.3.4", "::1.2.3.4 5", "0x1::"};
        for (String s : bad) {
            assertNull(Ipv6Address.parseOrNull(s), s);
            assertThrows(IllegalArgumentException.class, () -> Ipv6Address.parse(s), s);
        }
        assertNull(Ipv6Address.parseOrNull(null));
    }

    @Test
    void formatAndParseAgreeWithTheJdkOnRandomAddresses() throws Exception {
        for (int i = 0; i < 5_000; i++) {
            // Random fields, many of them zero, so that runs of every length and position appear.
            long high = 0;
            long low = 0;
            for (int f = 0; f < 4; f++) {
                high = (high << 16) | (random.nextInt(3) == 0 ? random.nextInt(0x10000) : 0);
                low = (low << 16) | (random.nextInt(3) == 0 ? random.nextInt(0x10000) : 0);
            }
            Ipv6Address a = new Ipv6Address(high, low);
            String text = a.toString();
            // The JDK parses literals without any lookup; it is an independent parser of our output.
            InetAddress jdk = InetAddress.getByName(text);
            byte[] expected = a.toBytes();
            if (a.isIpv4Mapped()) {
                assertArrayEquals(new byte[] {expected[12], expected[13], expected[14], expected[15]},
                        jdk.getAddress(), text);
            } else {
                assertArrayEquals(expected, jdk.getAddress(), text);
                // The JDK's own (uncompressed) text parses to the same address with ours.
                assertEquals(a, Ipv6Address.parse(jdk.getHostAddress()), jdk.getHostAddress());
            }
            assertEquals(a, Ipv6Address.parse(text));
            assertFalse(text.contains(":::"), text);
            assertEquals(text.toLowerCase(), text);
            assertTrue(text.indexOf("::") == text.lastIndexOf("::"), text);
        }
    }

    @Test
    void bytesBuffersAndJdk() {
        Ipv6Address a = Ipv6Address.parse("2001:db8:1:2:3:4:5:6");
        assertEquals(0x2001_0db8_0001_0002L, a.high());
        assertEquals(0x0003_0004_0005_0006L, a.low());
        byte[] b = a.toBytes();
        assertEquals(0x20, b[0]);
        assertEquals(0x06, b[15]);
        assertEquals(a, Ipv6Address.of(b));
        ByteBuf buf = Unpooled.buffer(20).writeZero(20);
        a.write(buf, 2);
        assertEquals(0, buf.readerIndex());
        assertEquals((byte) 0xb8, buf.getByte(5));
        assertEquals(a, Ipv6Address.read(buf, 2));
        Inet6Address jdk = a.toInetAddress();
        assertArrayEquals(b, jdk.getAddress());
        assertEquals(a, Ipv6Address.of(jdk));
        assertTrue(Ipv6Address.parse("::ffff:10.0.0.1").toInetAddress() instanceof Inet6Address);
        assertThrows(IllegalArgumentException.class, () -> Ipv6Address.of(new byte[4]));
        assertTrue(Ipv6Address.parse("2001:db8::1").compareTo(Ipv6Address.parse("fe80::1")) < 0,
                "unsigned order");
        assertTrue(Ipv6Address.parse("2001:db8::ffff:0:0:1").compareTo(Ipv6Address.parse("2001:db8::1")) > 0);
    }

    @Test
    void kinds() {
        assertTrue(Ipv6Address.UNSPECIFIED.isUnspecified());
        assertTrue(Ipv6Address.LOOPBACK.isLoopback());
        assertFalse(Ipv6Address.LOOPBACK.isUnspecified());
        assertEquals("ff02::1", Ipv6Address.ALL_NODES.toString());
        assertEquals("ff02::2", Ipv6Address.ALL_ROUTERS.toString());
        assertTrue(Ipv6Address.ALL_NODES.isMulticast());
        assertEquals(2, Ipv6Address.ALL_NODES.multicastScope());
        assertEquals(5, Ipv6Address.parse("ff05::1:3").multicastScope());
        assertEquals(-1, Ipv6Address.LOOPBACK.multicastScope());
        assertTrue(Ipv6Address.parse("fe80::1").isLinkLocal());
        assertTrue(Ipv6Address.parse("febf:ffff::1").isLinkLocal());
        assertFalse(Ipv6Address.parse("fec0::1").isLinkLocal());
        assertFalse(Ipv6Address.parse("fe80::1").isMulticast());
        assertTrue(Ipv6Address.parse("fc00::1").isUniqueLocal());
        assertTrue(Ipv6Address.parse("fdff:1234::1").isUniqueLocal());
        assertFalse(Ipv6Address.parse("fe00::1").isUniqueLocal());
        assertFalse(Ipv6Address.parse("fbff::1").isUniqueLocal());
        assertTrue(Ipv6Address.parse("::ffff:1.2.3.4").isIpv4Mapped());
        assertFalse(Ipv6Address.parse("::1.2.3.4").isIpv4Mapped());
        assertTrue(Ipv6Address.parse("ff02::1:ff00:1").isSolicitedNodeMulticast());
        assertFalse(Ipv6Address.parse("ff02::1:fe00:1").isSolicitedNodeMulticast());
        assertFalse(Ipv6Address.parse("ff05::1:ff00:1").isSolicitedNodeMulticast());
    }

    @Test
    void derivedAddressesFollowTheRfcExamples() {
        // RFC 4291 2.7.1: "the Solicited-Node multicast address corresponding to the IPv6 address
        // 4037::01:800:200E:8C6C is FF02::1:FF0E:8C6C".
        Ipv6Address solicited = Ipv6Address.parse("4037::01:800:200E:8C6C").solicitedNodeMulticast();
        assertEquals("ff02::1:ff0e:8c6c", solicited.toString());
        assertTrue(solicited.isSolicitedNodeMulticast());
        // RFC 2464 7: 33-33 followed by the last four octets of the multicast address.
        assertEquals("33:33:ff:0e:8c:6c", MacAddress.format(solicited.multicastMac()));
        assertEquals("33:33:00:00:00:01", MacAddress.format(Ipv6Address.ALL_NODES.multicastMac()));
        // RFC 2464 4: "34-56-78-9A-BC-DE would have the Interface Identifier 36-56-78-FF-FE-9A-BC-DE".
        assertEquals(0x3656_78FF_FE9A_BCDEL, Ipv6Address.interfaceIdFromMac(MacAddress.parse("34:56:78:9a:bc:de")
                .bits()));
        // A locally administered MAC (QEMU's 52:54:00:...) gets the U/L bit cleared.
        assertEquals("fe80::5054:ff:fe12:3456",
                Ipv6Address.linkLocalFromMac(MacAddress.parse("52:54:00:12:34:56").bits()).toString());
        assertEquals(0x5054_00FF_FE12_3456L, Ipv6Address.parse("fe80::5054:ff:fe12:3456").interfaceId());
        assertEquals("fe80::1", Ipv6Address.linkLocal(1).toString());
    }

    @Test
    void prefixes() {
        Ipv6Prefix p = Ipv6Prefix.parse("fd00:1234:5678:9abc:1:2:3:4/64");
        assertEquals("fd00:1234:5678:9abc::/64", p.toString(), "host bits cleared");
        assertTrue(p.contains(Ipv6Address.parse("fd00:1234:5678:9abc::1")));
        assertFalse(p.contains(Ipv6Address.parse("fd00:1234:5678:9abd::1")));
        assertEquals("fd00:1234:5678:9abc:5054:ff:fe12:3456", p.host(0x5054_00FF_FE12_3456L).toString());
        assertEquals(p, new Ipv6Prefix(Ipv6Address.parse("fd00:1234:5678:9abc::"), 64));

        Ipv6Prefix p65 = Ipv6Prefix.parse("2001:db8::ffff:ffff:ffff:ffff/65");
        assertEquals("2001:db8:0:0:8000::/65", p65.toString(), "the longer zero run is the one shortened");
        assertTrue(p65.contains(Ipv6Address.parse("2001:db8::8000:0:0:1")));
        assertFalse(p65.contains(Ipv6Address.parse("2001:db8::7fff:0:0:1")));
        assertEquals("2001:db8::8000:0:0:1", p65.host(-1L ^ 0x7FFF_FFFF_FFFF_FFFEL).toString());

        Ipv6Prefix p32 = Ipv6Prefix.parse("2001:db8:ffff::/32");
        assertEquals("2001:db8::/32", p32.toString());
        assertTrue(p32.contains(Ipv6Address.parse("2001:db8:ffff::1")));
        assertEquals("2001:db8::1", p32.host(1).toString());

        Ipv6Prefix all = Ipv6Prefix.parse("::/0");
        assertTrue(all.contains(Ipv6Address.parse("ffff::1")));
        Ipv6Prefix one = Ipv6Prefix.parse("2001:db8::1/128");
        assertTrue(one.contains(Ipv6Address.parse("2001:db8::1")));
        assertFalse(one.contains(Ipv6Address.parse("2001:db8::2")));
        assertEquals(Ipv6Address.parse("2001:db8::1"), one.host(7));
        assertTrue(Ipv6Prefix.LINK_LOCAL.contains(Ipv6Address.parse("fe80::1")));

        for (String bad : new String[] {"2001:db8::", "2001:db8::/129", "2001:db8::/-1", "2001:db8::/", "x/64",
            "2001:db8::/6 4"}) {
            assertThrows(IllegalArgumentException.class, () -> Ipv6Prefix.parse(bad), bad);
        }
    }
}
