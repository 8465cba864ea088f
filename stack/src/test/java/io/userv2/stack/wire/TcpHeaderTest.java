package io.userv2.stack.wire;

import static io.userv2.stack.wire.TcpUdpTestFrames.buf;
import static io.userv2.stack.wire.TcpUdpTestFrames.hex;
import static io.userv2.stack.wire.TcpUdpTestFrames.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link TcpHeader}, the reused mutable header: it must read and write exactly what the records do, and nothing of
 * one segment may stay behind in it when the next is parsed or built into it. The records ({@link TcpRepr}, checked
 * against real Linux captures in {@link TcpPacketTest}) are the oracle.
 */
class TcpHeaderTest {
    private static final int CLIENT = Ipv4Address.parse("10.99.0.2").bits();
    private static final int SERVER = Ipv4Address.parse("10.99.0.1").bits();

    /** The segment of a captured frame (Ethernet + IPv4 without options). */
    private static TcpPacket segmentOfFrame(byte[] frame) {
        ByteBuf b = buf(frame);
        return ok(TcpPacket.checked(b, 34, b.getUnsignedShort(16) - 20));
    }

    @Test
    void aReusedHeaderKeepsNothingOfTheSegmentBefore() {
        TcpHeader h = new TcpHeader();
        // A SYN with every option, then a SACK ACK, then the SYN again: each parse equals the record's.
        TcpPacket syn = segmentOfFrame(hex(TcpPacketTest.LINUX_SYN));
        TcpPacket sackAck = ok(TcpPacket.checked(buf(hex(TcpPacketTest.SACK_ACK))));
        assertNull(h.parse(syn, CLIENT, SERVER, false));
        assertEquals(ok(TcpRepr.parse(syn, CLIENT, SERVER, false)), h.toRepr());
        assertNull(h.parse(sackAck, SERVER, CLIENT, true));
        assertEquals(ok(TcpRepr.parse(sackAck, SERVER, CLIENT, true)), h.toRepr());
        assertEquals(TcpHeader.ABSENT, h.maxSegmentSize(), "the SYN's MSS is gone");
        assertNull(h.parse(syn, CLIENT, SERVER, false));
        assertEquals(0, h.sackBlockCount(), "the ACK's SACK block is gone");
        assertEquals(ok(TcpRepr.parse(syn, CLIENT, SERVER, false)), h.toRepr());
        // Building into it clears what parsing left.
        h.start(80, 50024, TcpControl.NONE, 7);
        assertEquals(new TcpRepr(80, 50024, TcpControl.NONE, SeqNumber.of(7), null, 0, TcpOptions.NONE, 0),
                h.toRepr());
    }

    @Test
    void failuresSayWhyAsTheRecordsDo() {
        TcpPacket syn = segmentOfFrame(hex(TcpPacketTest.LINUX_SYN));
        TcpHeader h = new TcpHeader();
        assertEquals(ParseError.BAD_CHECKSUM, h.parse(syn, CLIENT, SERVER, true), "the capture's checksum is partial");
        assertEquals("TCP checksum", h.failure());
        ByteBuf badOption = Unpooled.wrappedBuffer(new byte[] {2, 3, 5, (byte) 0xb4});
        assertEquals(ParseError.MALFORMED, h.parseOptions(badOption, 0, 4));
        assertEquals("TCP MSS option length not 4", h.failure());
    }

    @Test
    void emitsWhatTheRecordEmits() {
        List<TcpRepr> reprs = List.of(
                new TcpRepr(50024, 5001, TcpControl.SYN, SeqNumber.ofUnsigned(0xFFFF_FFF0L), null, 64240,
                        new TcpOptions(1460, 7, true, List.of(), new TcpTimestamps(1, 0)), 0),
                new TcpRepr(5001, 50024, TcpControl.PSH, SeqNumber.of(1), SeqNumber.of(2), 501,
                        TcpOptions.NONE.withTimestamps(new TcpTimestamps(-1, 3))
                                .withSackBlocks(List.of(new SackBlock(SeqNumber.of(10), SeqNumber.of(20)),
                                        new SackBlock(SeqNumber.of(30), SeqNumber.of(40)),
                                        new SackBlock(SeqNumber.of(50), SeqNumber.of(60)))), 5),
                // Too many options for the aligned layout: the compact one.
                new TcpRepr(1, 2, TcpControl.NONE, SeqNumber.of(3), SeqNumber.of(4), 5,
                        new TcpOptions(null, 7, true, List.of(new SackBlock(SeqNumber.of(1), SeqNumber.of(2)),
                                new SackBlock(SeqNumber.of(3), SeqNumber.of(4)),
                                new SackBlock(SeqNumber.of(5), SeqNumber.of(6)),
                                new SackBlock(SeqNumber.of(7), SeqNumber.of(8))), null), 0));
        TcpHeader h = new TcpHeader();
        for (TcpRepr r : reprs) {
            byte[] byRecord = new byte[r.totalLength()];
            byte[] byHeader = new byte[r.totalLength()];
            r.emit(Unpooled.wrappedBuffer(byRecord), 0, CLIENT, SERVER);
            h.set(r).emit(Unpooled.wrappedBuffer(byHeader), 0, CLIENT, SERVER);
            assertEquals(r.totalLength(), h.totalLength());
            assertArrayEquals(byRecord, byHeader, r::toString);
            assertEquals(r, ok(TcpRepr.parse(ok(TcpPacket.checked(Unpooled.wrappedBuffer(byHeader))), CLIENT,
                    SERVER, true)));
        }
    }

    @Test
    void theChecksumFromTheDataSumIsTheWholeSegmentsOverIpv4AndIpv6() {
        java.util.Random random = new java.util.Random(5);
        TcpHeader h = new TcpHeader();
        for (int length : new int[] {0, 1, 7, 1460, 65_000}) {
            TcpRepr r = new TcpRepr(5001, 50024, TcpControl.PSH, SeqNumber.of(1), SeqNumber.of(2), 501,
                    TcpOptions.NONE.withTimestamps(new TcpTimestamps(9, 3)), length);
            byte[] data = new byte[length];
            random.nextBytes(data);
            int dataAt = r.totalLength() - length;
            ByteBuf whole = Unpooled.buffer(r.totalLength()).writeZero(r.totalLength());
            ByteBuf split = Unpooled.buffer(r.totalLength()).writeZero(r.totalLength());
            whole.setBytes(dataAt, data);
            h.set(r).emit(whole, 0, CLIENT, SERVER);
            int dataSum = Checksum.copyAndPartial(Unpooled.wrappedBuffer(data), 0, split, dataAt, length, 0);
            h.emitWithDataSum(split, 0, CLIENT, SERVER, dataSum);
            assertArrayEquals(ByteBufUtil.getBytes(whole), ByteBufUtil.getBytes(split), "IPv4, " + length);
            h.emitIpv6(whole, 0, 1L, 2L, 3L, 4L);
            h.emitIpv6WithDataSum(split, 0, 1L, 2L, 3L, 4L, dataSum);
            assertArrayEquals(ByteBufUtil.getBytes(whole), ByteBufUtil.getBytes(split), "IPv6, " + length);
        }
    }

    @Test
    void viewsRepointedAtAnotherFrameReadThatFrame() {
        byte[] syn = hex(TcpPacketTest.LINUX_SYN);
        byte[] synAck = hex(TcpPacketTest.LINUX_SYN_ACK);
        EthernetFrame eth = EthernetFrame.reusable();
        Ipv4Packet ip = Ipv4Packet.reusable();
        TcpPacket tcp = TcpPacket.reusable();
        for (byte[] frame : List.of(syn, synAck, syn)) {
            ByteBuf b = buf(frame);
            assertNull(eth.wrap(b, 0, frame.length));
            assertNull(ip.wrap(eth));
            assertNull(tcp.wrap(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
            assertEquals(MacAddress.read(b, 6), eth.source());
            assertEquals(b.getInt(26), ip.source());
            assertEquals(b.getUnsignedShort(34), tcp.srcPort());
        }
        assertEquals(ParseError.TRUNCATED, eth.wrap(buf(syn), 0, 13));
        assertEquals(ParseError.MALFORMED, ip.wrap(buf(syn), 14 + 1, 40), "not version 4");
        assertEquals(ParseError.TRUNCATED, tcp.wrap(buf(syn), 34, 19));
    }
}
