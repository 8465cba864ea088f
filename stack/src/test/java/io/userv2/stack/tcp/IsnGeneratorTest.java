package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.SeqNumber;
import org.junit.jupiter.api.Test;

/** RFC 6528 initial sequence numbers: a keyed hash of the four-tuple plus a clock of 4 µs ticks. */
class IsnGeneratorTest {
    static final byte[] SECRET = "0123456789abcdef".getBytes();
    static final Ipv4Address VM1 = Ipv4Address.parse("192.168.104.3");
    static final Ipv4Address VM2 = Ipv4Address.parse("192.168.104.4");
    static final Ipv4Address DST = Ipv4Address.parse("10.0.0.1");

    final IsnGenerator isn = new IsnGenerator(SECRET);

    static TcpConnectionKey key(Ipv4Address vm, int port) {
        return new TcpConnectionKey(vm, port, DST, 80);
    }

    @Test
    void rfc6528GrowsWithTheFourMicrosecondClock() {
        SeqNumber a = isn.next(key(VM1, 1), 0);
        SeqNumber b = isn.next(key(VM1, 1), 4_000_000); // 4 ms later: 1000 ticks
        assertEquals(1000, b.minus(a));
    }

    @Test
    void differsPerFourTupleAndSecret() {
        SeqNumber a = isn.next(key(VM1, 1), 0);
        assertNotEquals(a, isn.next(key(VM1, 2), 0));
        assertNotEquals(a, isn.next(key(VM2, 1), 0));
        assertNotEquals(a, new IsnGenerator("fedcba9876543210".getBytes()).next(key(VM1, 1), 0));
        assertEquals(a, new IsnGenerator(SECRET).next(key(VM1, 1), 0), "deterministic for a given secret");
    }

    @Test
    void secretMustBeLongEnough() {
        assertThrows(IllegalArgumentException.class, () -> new IsnGenerator(new byte[8]));
    }
}
