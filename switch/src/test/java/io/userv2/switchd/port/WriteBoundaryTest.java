package io.userv2.switchd.port;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class WriteBoundaryTest {
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;
    private static final int FIN = 0x01;

    @Test
    void anIpv4SegmentWithPshOrFinEndsAWriteAndOneWithoutDoesNot() {
        assertTrue(endsWrite(ipv4(6, 5, 0, ACK | PSH, 100)));
        assertTrue(endsWrite(ipv4(6, 5, 0, ACK | FIN, 0)));
        assertFalse(endsWrite(ipv4(6, 5, 0, ACK, 1448)), "a segment in the middle of a write");
    }

    @Test
    void ipv4OptionsMoveTheTcpHeader() {
        assertTrue(endsWrite(ipv4(6, 6, 0, ACK | PSH, 10)));
        assertFalse(endsWrite(ipv4(6, 6, 0, ACK, 10)));
    }

    @Test
    void otherProtocolsAndLaterFragmentsAreNotBoundaries() {
        assertFalse(endsWrite(ipv4(17, 5, 0, PSH, 10)), "UDP, whatever sits where TCP's flags would be");
        assertFalse(endsWrite(ipv4(6, 5, 185, PSH, 10)), "a later fragment holds no TCP header");
        ByteBuf arp = Unpooled.buffer(60).writeZero(60);
        arp.setShort(12, 0x0806);
        assertFalse(endsWrite(arp));
    }

    @Test
    void anIpv6SegmentWithPshEndsAWrite() {
        assertTrue(endsWrite(ipv6(6, ACK | PSH)));
        assertFalse(endsWrite(ipv6(6, ACK)));
        assertFalse(endsWrite(ipv6(0, ACK | PSH)), "a hop-by-hop header first: not looked into");
    }

    @Test
    void aFrameTooShortForTheFlagsIsNotABoundary() {
        ByteBuf whole = ipv4(6, 5, 0, ACK | PSH, 0);
        assertFalse(WriteBoundary.endsWrite(whole, 0, 14 + 20 + 13), "cut just before the flags");
        assertTrue(WriteBoundary.endsWrite(whole, 0, 14 + 20 + 14));
        assertFalse(WriteBoundary.endsWrite(whole, 0, 20));
    }

    @Test
    void aFrameIsReadWhereItLiesInTheBuffer() {
        ByteBuf frame = ipv4(6, 5, 0, ACK | PSH, 4);
        ByteBuf buf = Unpooled.buffer().writeZero(7).writeBytes(frame, 0, frame.writerIndex()).writeZero(9);
        assertTrue(WriteBoundary.endsWrite(buf, 7, frame.writerIndex()));
        assertFalse(WriteBoundary.endsWrite(buf, 0, frame.writerIndex()), "not at the frame's start");
    }

    private static boolean endsWrite(ByteBuf frame) {
        return WriteBoundary.endsWrite(frame, 0, frame.writerIndex());
    }

    /** An Ethernet frame with an IPv4 header of {@code ihl} words and a 20-byte TCP header, then payload bytes. */
    private static ByteBuf ipv4(int protocol, int ihl, int fragmentOffset, int tcpFlags, int payload) {
        int ip = 14;
        int tcp = ip + ihl * 4;
        ByteBuf b = Unpooled.buffer().writeZero(tcp + 20 + payload);
        b.setShort(12, 0x0800);
        b.setByte(ip, 0x40 | ihl);
        b.setShort(ip + 6, fragmentOffset);
        b.setByte(ip + 9, protocol);
        b.setByte(tcp + 12, 5 << 4);
        b.setByte(tcp + 13, tcpFlags);
        return b;
    }

    /** An Ethernet frame with an IPv6 header whose next header is {@code nextHeader}, then a 20-byte TCP header. */
    private static ByteBuf ipv6(int nextHeader, int tcpFlags) {
        int ip = 14;
        int tcp = ip + 40;
        ByteBuf b = Unpooled.buffer().writeZero(tcp + 20);
        b.setShort(12, 0x86dd);
        b.setByte(ip, 0x60);
        b.setByte(ip + 6, nextHeader);
        b.setByte(tcp + 12, 5 << 4);
        b.setByte(tcp + 13, tcpFlags);
        return b;
    }
}
