package io.userv2.stack.wire;

import static io.userv2.stack.wire.TcpUdpTestFrames.buf;
import static io.userv2.stack.wire.TcpUdpTestFrames.hex;
import static io.userv2.stack.wire.TcpUdpTestFrames.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VxlanHeaderTest {
    /**
     * The start of a VXLAN UDP payload as a Linux {@code vxlan} device with {@code id 4242} lays it out (the same
     * bytes VxlanIT's kernel endpoint exchanges with the switch): the header, then the inner Ethernet frame (here cut
     * after its MAC addresses and EtherType).
     */
    static final String KERNEL_VNI_4242 = """
            08 00 00 00                # flags: I; reserved
            00 10 92 00                # VNI 0x001092 = 4242; reserved
            ff ff ff ff ff ff          # inner destination: broadcast
            52 55 55 12 34 56          # inner source
            08 06                      # ARP
            """;

    @Test
    void parsesKernelHeader() {
        ByteBuf b = buf(hex(KERNEL_VNI_4242));
        VxlanHeader h = ok(VxlanHeader.checked(b));
        assertEquals(4242, h.vni());
        assertEquals(VxlanHeader.FLAG_I, h.flags());
        assertEquals(8, h.innerOffset());
        assertEquals(new VxlanRepr(4242), VxlanRepr.parse(h));
        assertTrue(VxlanHeader.isValid(b, 0, b.readableBytes()));
        assertEquals(4242, VxlanHeader.vniAt(b, 0));
        assertEquals("VXLAN, flags [I], vni 4242", h.toString());
        assertEquals("VXLAN, flags [I] (0x08), vni 4242", VxlanRepr.parse(h).toString());
    }

    @Test
    void emitWritesIFlagVniAndZeroReservedFields() {
        ByteBuf out = Unpooled.buffer(8).writerIndex(8);
        out.setLong(0, -1L); // garbage the emitter must overwrite: reserved fields "MUST be set to zero on transmission"
        new VxlanRepr(0xABCDEF).emit(out, 0);
        assertArrayEquals(hex("08 000000 abcdef 00"), TcpUdpTestFrames.bytes(out));
        assertEquals(new VxlanRepr(0xABCDEF), VxlanRepr.parse(ok(VxlanHeader.checked(out))));
    }

    @Test
    void roundTripsAtAnOffsetAndTheEdgesOfTheVniRange() {
        for (int vni : new int[] {0, 1, 4789, VxlanHeader.MAX_VNI}) {
            ByteBuf out = Unpooled.buffer(20).writerIndex(20);
            new VxlanRepr(vni).emit(out, 5);
            VxlanHeader h = ok(VxlanHeader.checked(out, 5, 15));
            assertEquals(vni, h.vni());
            assertEquals(13, h.innerOffset());
        }
    }

    @Test
    void reservedBitsAreIgnoredOnReceipt() {
        // RFC 7348 section 5: the R bits "MUST be set to zero on transmission and ignored on receipt".
        ByteBuf b = buf(hex("ff ffffff 000007 ff"));
        VxlanHeader h = ok(VxlanHeader.checked(b));
        assertEquals(7, h.vni());
        assertEquals(0xff, h.flags());
        assertEquals("VXLAN, flags [0xff], vni 7", h.toString());
    }

    @Test
    void clearIFlagIsMalformed() {
        ByteBuf b = buf(hex("f7 000000 000007 00"));
        assertEquals(ParseError.MALFORMED, VxlanHeader.checked(b).error());
        assertFalse(VxlanHeader.isValid(b, 0, 8));
    }

    @Test
    void shortInputIsTruncated() {
        for (int n = 0; n < 8; n++) {
            ByteBuf b = Unpooled.wrappedBuffer(new byte[n]);
            if (n > 0) {
                b.setByte(0, VxlanHeader.FLAG_I);
            }
            assertEquals(ParseError.TRUNCATED, VxlanHeader.checked(b).error(), "length " + n);
            assertFalse(VxlanHeader.isValid(b, 0, n));
        }
        ByteBuf b = buf(hex("08 000000 000001 00"));
        assertEquals(ParseError.TRUNCATED, VxlanHeader.checked(b, 1, 8).error(), "past the writer index");
        assertEquals(ParseError.TRUNCATED, VxlanHeader.checked(b, -1, 8).error());
    }

    @Test
    void headerAloneIsAValidHeaderWithAnEmptyInnerFrame() {
        assertEquals(3, ok(VxlanHeader.checked(buf(hex("08 000000 000003 00")))).vni());
    }

    @Test
    void reprRejectsVniWiderThan24Bits() {
        assertThrows(IllegalArgumentException.class, () -> new VxlanRepr(1 << 24));
        assertThrows(IllegalArgumentException.class, () -> new VxlanRepr(-1));
    }

    @Test
    void randomBytesNeverThrow() {
        Random random = new Random(7348);
        for (int i = 0; i < 10_000; i++) {
            byte[] bytes = new byte[random.nextInt(24)];
            random.nextBytes(bytes);
            ByteBuf b = Unpooled.wrappedBuffer(bytes);
            ParseResult<VxlanHeader> r = VxlanHeader.checked(b);
            assertEquals(r.isOk(), VxlanHeader.isValid(b, 0, bytes.length));
            if (r.isOk()) {
                assertEquals(bytes.length >= 8 && (bytes[0] & 0x08) != 0, true);
                r.orNull().toString();
            }
        }
    }
}
