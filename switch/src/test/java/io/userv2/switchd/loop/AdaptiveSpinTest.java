package io.userv2.switchd.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AdaptiveSpinTest {
    private static final long MAX = 200_000;

    @Test
    void gapsShorterThanTheMaximumWidenTheWindowUpToTheMaximum() {
        AdaptiveSpin spin = new AdaptiveSpin(MAX);
        assertEquals(AdaptiveSpin.GROW_START_NANOS, spin.windowNanos());
        spin.idleEnded(120_000, true); // request/response: the reply came 120 µs later, past the window
        assertEquals(20_000, spin.windowNanos());
        spin.idleEnded(120_000, true);
        spin.idleEnded(120_000, true);
        assertEquals(80_000, spin.windowNanos());
        spin.idleEnded(120_000, true);
        assertEquals(160_000, spin.windowNanos());
        spin.idleEnded(120_000, true); // caught within the window now: it stays
        assertEquals(160_000, spin.windowNanos());
        spin.idleEnded(190_000, true);
        assertEquals(MAX, spin.windowNanos(), "never beyond the maximum");
    }

    @Test
    void gapsLongerThanTheMaximumCloseTheWindowToZero() {
        AdaptiveSpin spin = new AdaptiveSpin(MAX);
        for (int i = 0; i < 5; i++) {
            spin.idleEnded(190_000, true);
        }
        assertEquals(MAX, spin.windowNanos());
        spin.idleEnded(5_000_000, true);
        assertEquals(MAX / 2, spin.windowNanos());
        for (int i = 0; i < 5; i++) {
            spin.idleEnded(1_000_000_000, true);
        }
        assertEquals(0, spin.windowNanos(), "an idle switch does not poll at all");
        spin.idleEnded(30_000, true); // traffic again: polling starts over from the first step
        assertEquals(AdaptiveSpin.GROW_START_NANOS, spin.windowNanos());
    }

    @Test
    void aTimerWithNoEventCountsAsALongGap() {
        AdaptiveSpin spin = new AdaptiveSpin(MAX);
        spin.idleEnded(50_000, true);
        assertEquals(20_000, spin.windowNanos());
        spin.idleEnded(40_000, false);
        assertEquals(10_000, spin.windowNanos());
    }

    @Test
    void zeroMaximumNeverPolls() {
        AdaptiveSpin spin = new AdaptiveSpin(0);
        spin.idleEnded(1_000, true);
        assertEquals(0, spin.windowNanos());
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveSpin(-1));
    }
}
