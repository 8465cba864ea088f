package io.userv2.stack.wire;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random and mutated input through every view and parser: results, never exceptions. */
class WireFuzzTest {
    private final Random random = new Random(791);

    @Test
    void mutatedFramesNeverThrow() {
        byte[][] seeds = {
            HexLiteral.bytes(ArpPacketTest.PADDED_REQUEST),
            HexLiteral.bytes(Ipv4PacketTest.ECHO_WITH_OPTIONS_FRAME),
            HexLiteral.bytes(EthernetFrameTest.TAGGED),
        };
        for (int i = 0; i < 20_000; i++) {
            byte[] seed = seeds[i % seeds.length];
            byte[] frame = java.util.Arrays.copyOf(seed, random.nextInt(seed.length + 8));
            for (int m = random.nextInt(4); m >= 0; m--) {
                if (frame.length > 0) {
                    frame[random.nextInt(frame.length)] = (byte) random.nextInt(256);
                }
            }
            parseEverything(Unpooled.wrappedBuffer(frame));
        }
    }

    @Test
    void randomBytesNeverThrow() {
        for (int i = 0; i < 5_000; i++) {
            byte[] frame = new byte[random.nextInt(100)];
            random.nextBytes(frame);
            if (frame.length > 14) {
                frame[12] = (byte) (random.nextBoolean() ? 0x08 : 0x81);
                frame[13] = (byte) (random.nextBoolean() ? 0x00 : 0x06);
                frame[14] = (byte) (0x40 | random.nextInt(16));
            }
            parseEverything(Unpooled.wrappedBuffer(frame));
        }
    }

    private static void parseEverything(ByteBuf buf) {
        ParseResult<EthernetFrame> eth = EthernetFrame.checked(buf);
        assertNotNull(eth);
        EthernetFrame frame = eth.orNull();
        if (frame == null) {
            return;
        }
        assertNotNull(frame.toString());
        ArpPacket arp = ArpPacket.checked(frame).orNull();
        if (arp != null) {
            assertNotNull(ArpRepr.parse(arp).toString());
        }
        Ipv4Packet ip = Ipv4Packet.checked(frame).orNull();
        if (ip != null) {
            assertNotNull(ip.toString());
            assertNotNull(Ipv4Repr.parse(ip));
            Icmpv4Packet icmp = Icmpv4Packet.checked(ip).orNull();
            if (icmp != null) {
                assertNotNull(Icmpv4Repr.parse(icmp));
                assertNotNull(icmp.toString());
            }
        }
    }
}
