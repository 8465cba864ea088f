package io.userv2.switchd.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReceiveCoalescingTest {
    private static final long WINDOW = 50_000;

    /** A full-size frame at MTU 1500 with its length prefix. */
    private static final int FULL_FRAME = 1518;

    @Test
    void fullReceivesCloserThanTwoWindowsAreAStreamAndHoldTheNextPollForOneWindow() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        long t = 1_000_000_000L;
        assertTrue(c.streaming(t, t + 2 * WINDOW - 1, FULL_FRAME));
        assertTrue(c.streaming(t, t + 1, ReceiveCoalescing.STREAM_MIN_BYTES));
        assertFalse(c.streaming(t, t + 2 * WINDOW, FULL_FRAME), "two windows apart: not a stream");
        c.received(t, t + 30_000, FULL_FRAME);
        assertEquals(t + 30_000 + WINDOW, c.takeHold());
        assertEquals(Long.MIN_VALUE, c.takeHold(), "a hold is taken once");
    }

    @Test
    void sparseReceivesNeverHold() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        c.received(0, 130_000, FULL_FRAME); // a round trip apart
        assertEquals(Long.MIN_VALUE, c.takeHold());
        c.received(Long.MIN_VALUE / 2, 5, FULL_FRAME); // the port's first receive
        assertEquals(Long.MIN_VALUE, c.takeHold());
    }

    @Test
    void smallReceivesCloseTogetherAreRequestResponseAndNeverHold() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        // 1-byte requests through the NAT come about 90 us apart on this machine: within two windows, but small
        c.received(0, 90_000, 4 + 67);
        assertFalse(c.streaming(0, 90_000, ReceiveCoalescing.STREAM_MIN_BYTES - 1));
        assertEquals(Long.MIN_VALUE, c.takeHold());
    }

    @Test
    void theLastStreamingReceiveOfARoundSetsTheHold() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        c.received(0, 10_000, FULL_FRAME);
        c.received(5_000, 12_000, FULL_FRAME);
        c.received(0, 500_000, FULL_FRAME); // not streaming: leaves the hold as it was
        assertEquals(12_000 + WINDOW, c.takeHold());
    }

    @Test
    void offNeverHolds() {
        ReceiveCoalescing c = new ReceiveCoalescing(0);
        assertFalse(c.streaming(0, 1, FULL_FRAME));
        c.received(0, 1, FULL_FRAME);
        assertEquals(Long.MIN_VALUE, c.takeHold());
    }

    @Test
    void aNegativeWindowIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ReceiveCoalescing(-1));
    }
}
