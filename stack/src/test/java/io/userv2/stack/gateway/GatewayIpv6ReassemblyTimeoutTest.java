package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.Ipv6Frames.GW_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.VM_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.VM_ULA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.userv2.stack.gateway.Ipv6Frames.Sent;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.HexLiteral;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 8200 4.5: a packet to the gateway whose reassembly times out after its first fragment came is answered with
 * ICMPv6 Time Exceeded code 1 quoting that fragment; one whose first fragment never came gets nothing; the errors are
 * rate limited with the gateway's others.
 */
class GatewayIpv6ReassemblyTimeoutTest extends Ipv6GatewayFixture {
    private static final long TIMEOUT = 60 * SECOND;

    /** Every frame sent, Router Advertisements (the timers run meanwhile) left out. */
    private List<Sent> sentButAdvertisements() {
        List<Sent> out = new ArrayList<>();
        while (!sink.frames.isEmpty()) {
            Sent s = Sent.parse(sink.take());
            if (!(s.icmp() instanceof Icmpv6Repr.RouterAdvertisement)) {
                out.add(s);
            }
        }
        return out;
    }

    @Test
    void aTimedOutPacketWhoseFirstFragmentCameGetsTimeExceededQuotingIt() {
        byte[] part = Ipv6ReassemblerTest.data(2400, 1);
        byte[] first = Ipv6ReassemblerTest.fragment(61, part, 0, 1200, true);
        receive(first);
        receive(Ipv6ReassemblerTest.fragment(62, part, 1200, 1200, true)); // another packet, its first never comes
        at(TIMEOUT - 1);
        assertEquals(List.of(), sentButAdvertisements(), "nothing before the deadline");
        at(TIMEOUT);
        List<Sent> sent = sentButAdvertisements();
        assertEquals(1, sent.size(), sent.toString());
        Sent s = sent.get(0);
        assertEquals(VM_MAC.bits(), s.dstMac());
        assertEquals(GW_ULA, s.src(), "from the address the packet was sent to");
        assertEquals(VM_ULA, s.dst());
        Icmpv6Repr.TimeExceeded te = s.icmp(Icmpv6Repr.TimeExceeded.class);
        assertEquals(Icmpv6Packet.CODE_REASSEMBLY_TIME_EXCEEDED, te.code());
        assertArrayEquals(Arrays.copyOfRange(first, 14, 14 + Icmpv6Repr.MAX_QUOTE), HexLiteral.toArray(te.original()),
                "the first fragment as received, Fragment header included, cut to fit 1280 bytes");
        assertEquals(1, counters.icmpv6ErrorsSent());
        assertEquals(2, counters.dropped(DropReason.FRAGMENT_TIMEOUT));
    }

    @Test
    void timeExceededIsRateLimitedWithTheOtherErrors() {
        byte[] part = Ipv6ReassemblerTest.data(1600, 2);
        for (int i = 0; i <= IcmpRateLimiter.DEFAULT_BURST; i++) {
            receive(Ipv6ReassemblerTest.fragment(100 + i, part, 0, 800, true), PORT + i / 10); // below a port's cap
        }
        at(TIMEOUT);
        assertEquals(IcmpRateLimiter.DEFAULT_BURST, sentButAdvertisements().size());
        assertEquals(1, counters.icmpErrorsRateLimited());
    }
}
