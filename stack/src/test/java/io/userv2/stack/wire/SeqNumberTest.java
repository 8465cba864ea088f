package io.userv2.stack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SeqNumberTest {
    private static final SeqNumber MAX = SeqNumber.ofUnsigned(0xFFFF_FFFFL);

    @Test
    void ordersAcrossTheWrap() {
        SeqNumber zero = SeqNumber.of(0);
        assertTrue(MAX.lt(zero), "0xffffffff comes before 0 after wrapping");
        assertTrue(zero.gt(MAX));
        assertTrue(MAX.le(zero));
        assertTrue(zero.ge(MAX));
        assertFalse(zero.lt(MAX));
        assertEquals(zero, MAX.plus(1));
        assertEquals(1, zero.minus(MAX));
        assertEquals(-1, MAX.minus(zero));
    }

    @Test
    void ordersAcrossTheSignBoundary() {
        SeqNumber a = SeqNumber.of(Integer.MAX_VALUE);
        SeqNumber b = a.plus(1); // Integer.MIN_VALUE as raw bits: a raw int comparison would get this wrong
        assertTrue(a.lt(b));
        assertTrue(b.gt(a));
        assertEquals(1, b.minus(a));
    }

    @Test
    void equalNumbersAreNeitherLessNorGreater() {
        SeqNumber a = SeqNumber.ofUnsigned(3_000_000_000L);
        assertTrue(a.le(a));
        assertTrue(a.ge(a));
        assertFalse(a.lt(a));
        assertFalse(a.gt(a));
    }

    @Test
    void plusAndMinusAreInverse() {
        Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            SeqNumber a = SeqNumber.of(random.nextInt());
            int n = random.nextInt(Integer.MAX_VALUE);
            SeqNumber b = a.plus(n);
            assertEquals(n, b.minus(a));
            assertEquals(n == 0, a.equals(b));
            assertEquals(n > 0, a.lt(b), () -> a + " < " + b);
            assertEquals(a, b.plus(-n));
        }
    }

    @Test
    void rangeAndWindowWrap() {
        SeqNumber first = SeqNumber.ofUnsigned(0xFFFF_FFF0L);
        SeqNumber end = first.plus(0x20); // 0x10 after the wrap
        assertTrue(first.inRange(first, end));
        assertTrue(SeqNumber.of(0).inRange(first, end));
        assertTrue(SeqNumber.of(0x0F).inRange(first, end));
        assertFalse(end.inRange(first, end), "end is exclusive");
        assertFalse(first.plus(-1).inRange(first, end));
        assertTrue(SeqNumber.of(5).inWindow(first, 0x20));
        assertFalse(SeqNumber.of(0x10).inWindow(first, 0x20));
        assertFalse(first.inWindow(first, 0), "an empty window holds nothing");
        assertTrue(first.plus(Integer.MAX_VALUE - 1).inWindow(first, Integer.MAX_VALUE));
    }

    @Test
    void maxMinAndText() {
        SeqNumber a = MAX;
        SeqNumber b = SeqNumber.of(1);
        assertEquals(b, SeqNumber.max(a, b));
        assertEquals(a, SeqNumber.min(a, b));
        assertEquals("4294967295", MAX.toString());
        assertEquals(0xFFFF_FFFFL, MAX.unsigned());
    }

    @Test
    void rawArithmeticAgreesWithTheRecord() {
        Random random = new Random(11);
        for (int i = 0; i < 100_000; i++) {
            // Near the sign boundary and the wrap as often as anywhere else.
            int x = i % 3 == 0 ? random.nextInt() : (i % 3 == 1 ? Integer.MAX_VALUE : -1) + random.nextInt(64) - 32;
            int y = x + random.nextInt(1 << 20) - (1 << 19);
            int n = random.nextInt(1 << 20);
            SeqNumber a = SeqNumber.of(x);
            SeqNumber b = SeqNumber.of(y);
            assertEquals(a.lt(b), SeqNumber.lt(x, y));
            assertEquals(a.le(b), SeqNumber.le(x, y));
            assertEquals(a.gt(b), SeqNumber.gt(x, y));
            assertEquals(a.ge(b), SeqNumber.ge(x, y));
            assertEquals(a.minus(b), SeqNumber.diff(x, y));
            assertEquals(a.plus(n).value(), SeqNumber.add(x, n));
            assertEquals(SeqNumber.max(a, b).value(), SeqNumber.max(x, y));
            assertEquals(SeqNumber.min(a, b).value(), SeqNumber.min(x, y));
            assertEquals(a.inRange(b, b.plus(n)), SeqNumber.inRange(x, y, SeqNumber.add(y, n)));
            assertEquals(a.inWindow(b, n), SeqNumber.inWindow(x, y, n));
        }
    }
}
