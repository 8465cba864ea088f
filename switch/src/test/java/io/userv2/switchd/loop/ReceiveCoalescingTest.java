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

    /** The frame in {@link #FULL_FRAME}, without its prefix. */
    private static final int FRAME = FULL_FRAME - 4;

    /** A full-size TCP segment at MTU 65520: its frame, and the bytes a receive of it brings with the prefix. */
    private static final int JUMBO = 65_534;

    @Test
    void fullReceivesCloserThanTheStreamGapAreAStreamAndHoldTheNextPollForOneWindow() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        long t = 1_000_000_000L;
        long gap = ReceiveCoalescing.MIN_STREAM_GAP_NANOS; // longer than two windows of 50 us
        assertTrue(c.streaming(t, t + 2 * WINDOW, FULL_FRAME), "two windows apart, less than the gap: a stream");
        assertTrue(c.streaming(t, t + gap - 1, FULL_FRAME));
        assertTrue(c.streaming(t, t + 1, ReceiveCoalescing.STREAM_MIN_BYTES));
        assertFalse(c.streaming(t, t + gap, FULL_FRAME), "the gap apart: not a stream");
        c.received(t, false, t + 30_000, FULL_FRAME, FRAME, 1, false, true);
        assertEquals(t + 30_000 + WINDOW, c.takeHold());
        assertEquals(Long.MIN_VALUE, c.takeHold(), "a hold is taken once");
    }

    @Test
    void aWindowLongerThanHalfTheGapMakesTheGapTwoWindows() {
        long window = ReceiveCoalescing.MIN_STREAM_GAP_NANOS; // --coalesce 1000, the most it takes
        ReceiveCoalescing c = new ReceiveCoalescing(window);
        assertTrue(c.streaming(0, 2 * window - 1, FULL_FRAME));
        assertFalse(c.streaming(0, 2 * window, FULL_FRAME));
    }

    @Test
    void sparseReceivesNeverHold() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        c.received(0, false, ReceiveCoalescing.MIN_STREAM_GAP_NANOS, FULL_FRAME, FRAME, 1, false, true); // the gap apart
        assertEquals(Long.MIN_VALUE, c.takeHold());
        c.received(Long.MIN_VALUE / 2, false, 5, FULL_FRAME, FRAME, 1, false, true); // the port's first receive
        assertEquals(Long.MIN_VALUE, c.takeHold());
    }

    @Test
    void smallReceivesCloseTogetherAreRequestResponseAndNeverHold() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        // 1-byte requests through the NAT come about 90 us apart on this machine: within two windows, but small
        c.received(0, false, 90_000, 4 + 67, 67, 1, false, true);
        assertFalse(c.streaming(0, 90_000, ReceiveCoalescing.STREAM_MIN_BYTES - 1));
        assertEquals(Long.MIN_VALUE, c.takeHold());
    }

    @Test
    void theLastStreamingReceiveOfARoundSetsTheHold() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        c.received(0, false, 10_000, FULL_FRAME, FRAME, 1, false, true);
        c.received(5_000, false, 12_000, FULL_FRAME, FRAME, 1, false, true);
        c.received(0, false, 5_000_000, FULL_FRAME, FRAME, 1, false, true); // not streaming: leaves the hold as it was
        assertEquals(12_000 + WINDOW, c.takeHold());
    }

    @Test
    void whileTheLanStreamsSmallReceivesHoldTooUntilTheStreamGapAfterTheLastStreamingOne() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        long t = 1_000_000_000L;
        long gap = ReceiveCoalescing.MIN_STREAM_GAP_NANOS;
        c.received(t, false, t + 30_000, FULL_FRAME, FRAME, 1, false, true); // port A streams
        c.takeHold();
        int acks = 4 + 66; // port B: an acknowledgement, no PSH
        c.received(Long.MIN_VALUE / 2, false, t + 40_000, acks, 66, 1, false, true);
        assertEquals(t + 40_000 + WINDOW, c.takeHold(), "an acknowledgement of the stream holds");
        c.received(t + 40_000, false, t + 50_000, acks, 66, 1, true, true);
        assertEquals(Long.MIN_VALUE, c.takeHold(), "a receive that ends a write (a request) never holds");
        c.received(t + 50_000, true, t + 60_000, acks, 66, 1, false, true);
        assertEquals(Long.MIN_VALUE, c.takeHold(), "nor one right after such a receive");
        c.received(t + 60_000, false, t + 30_000 + gap, acks, 66, 1, false, true);
        assertEquals(Long.MIN_VALUE, c.takeHold(), "the stream gap after the last streaming receive: no stream now");
    }

    @Test
    void aJumboFrameStopsThePollForAWhileAndDoesNotHold() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        long t = 1_000_000_000L;
        assertFalse(c.batchAt(t), "nothing received yet");
        c.received(t, false, t + 60_000, JUMBO + 4, JUMBO, 1, false, true);
        assertEquals(Long.MIN_VALUE, c.takeHold(), "a jumbo frame is a batch by itself");
        assertTrue(c.batchAt(t + 60_000));
        assertTrue(c.batchAt(t + 60_000 + ReceiveCoalescing.QUIET_NANOS - 1));
        assertFalse(c.batchAt(t + 60_000 + ReceiveCoalescing.QUIET_NANOS), "quiet long enough: polls again");
    }

    @Test
    void twoFramesOrMoreInOneReceiveStopThePollForAWhileAndStillHold() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        // 40 full frames at MTU 1500 in one receive: held like any stream (a large round: the window grows by half),
        // and no polling for a while
        c.received(0, false, 30_000, 40 * FULL_FRAME, FRAME, 40, false, true);
        assertEquals(30_000 + WINDOW * 3 / 2, c.takeHold());
        assertTrue(c.batchAt(30_000));
        assertTrue(c.batchAt(30_000 + ReceiveCoalescing.QUIET_NANOS - 1));
        assertFalse(c.batchAt(30_000 + ReceiveCoalescing.QUIET_NANOS));
        // two small frames a round trip after the previous receive: a batch, but no stream to hold
        c.received(0, false, 2_000_000, 2 * (4 + 67), 67, ReceiveCoalescing.BATCH_FRAMES, false, true);
        assertTrue(c.batchAt(2_000_000));
        assertEquals(Long.MIN_VALUE, c.takeHold());
    }

    @Test
    void oneFramePerReceiveKeepsThePollUpToJustUnderTheJumboSize() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        // answers of request/response traffic: one frame each, at MTU 65520 up to (just under) a jumbo frame
        int justUnder = ReceiveCoalescing.JUMBO_FRAME_BYTES - 1;
        c.received(0, false, 150_000, justUnder + 4, justUnder, 1, false, true);
        assertFalse(c.batchAt(150_000), "just under the jumbo size");
        c.received(150_000, false, 300_000, 4 + 67, 67, 1, false, true);
        assertFalse(c.batchAt(300_000));
    }

    @Test
    void offNeverHoldsNorStopsThePoll() {
        ReceiveCoalescing c = new ReceiveCoalescing(0);
        assertFalse(c.streaming(0, 1, FULL_FRAME));
        c.received(0, false, 1, FULL_FRAME, FRAME, 1, false, true);
        assertEquals(Long.MIN_VALUE, c.takeHold());
        c.received(1, false, 2, JUMBO + 4, JUMBO, 1, false, true);
        c.received(2, false, 3, 40 * FULL_FRAME, FRAME, 40, false, true);
        assertFalse(c.batchAt(2));
    }

    @Test
    void aReceiveThatEndsASendersWriteDoesNotHold() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        // a 4 KiB answer: three full frames, the last with PSH, a stream's size and pace, but its sender now waits
        c.received(0, false, 30_000, 3 * FULL_FRAME, FRAME, 3, true, true);
        assertEquals(Long.MIN_VALUE, c.takeHold());
        assertTrue(c.batchAt(30_000), "still a batch: no busy-poll");
        c.received(30_000, false, 60_000, 3 * FULL_FRAME, FRAME, 3, false, true);
        assertEquals(60_000 + WINDOW, c.takeHold(), "the same receive mid-write holds");
    }

    @Test
    void aReceiveRightAfterOneThatEndedAWriteDoesNotHold() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        // the first part of the next answer (two full frames, no PSH yet), 20 us after the previous answer ended
        c.received(100_000, true, 120_000, 2 * FULL_FRAME, FRAME, 2, false, true);
        assertEquals(Long.MIN_VALUE, c.takeHold(), "the previous receive ended a write: no stream");
        // the same receive after one that was mid-write: a stream
        c.received(100_000, false, 120_000, 2 * FULL_FRAME, FRAME, 2, false, true);
        assertEquals(120_000 + WINDOW, c.takeHold());
    }

    /** One round of a stream of {@code frames} full frames at {@code now}, the previous {@code gap} before; its hold. */
    private static long round(ReceiveCoalescing c, long now, long gap, int frames, boolean endsWrite) {
        c.received(now - gap, false, now, frames * FULL_FRAME, FRAME, frames, endsWrite, true);
        long until = c.takeHold();
        return until == Long.MIN_VALUE ? 0 : until - now;
    }

    @Test
    void largeStreamRoundsLengthenTheWindowByHalfABaseWindowUpToThree() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        long t = 1_000_000_000L;
        assertEquals(WINDOW, round(c, t, 100_000, ReceiveCoalescing.GROW_FRAMES - 1, false), "a small round: base");
        long[] expected = {WINDOW * 3 / 2, 2 * WINDOW, WINDOW * 5 / 2, 3 * WINDOW, 3 * WINDOW};
        for (int i = 0; i < expected.length; i++) {
            t += 100_000;
            assertEquals(expected[i], round(c, t, 100_000, ReceiveCoalescing.GROW_FRAMES, false), "round " + i);
        }
        assertEquals(3 * WINDOW, c.windowNanos());
        t += 100_000;
        assertEquals(0, round(c, t, 100_000, 40, true), "a large round that ends a write: no hold...");
        assertEquals(3 * WINDOW, c.windowNanos(), "...and the window stays");
        int ack = 4 + 66;
        c.received(Long.MIN_VALUE / 2, false, t + 10_000, ack, 66, 1, false, true);
        assertEquals(t + 10_000 + 3 * WINDOW, c.takeHold(), "the stream's acknowledgements hold for as long");
    }

    @Test
    void roundsThatBringEnoughBytesDoNotGrowTheWindowAndTooManyBringTheBaseBack() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        long t = 1_000_000_000L;
        int enough = ReceiveCoalescing.ROUND_BYTES_ENOUGH / FULL_FRAME + 1; // frames in a round of 64 KiB or more
        assertEquals(WINDOW, round(c, t += 100_000, 100_000, enough, false), "a fast stream: batch enough already");
        assertEquals(WINDOW * 3 / 2, round(c, t += 100_000, 100_000, enough - 2, false), "under 64 KiB: grows");
        assertEquals(WINDOW * 3 / 2, round(c, t += 100_000, 100_000, enough, false), "64 KiB or more: stays");
        int tooMany = ReceiveCoalescing.ROUND_BYTES_TOO_MANY / FULL_FRAME + 1;
        assertEquals(WINDOW, round(c, t += 100_000, 100_000, tooMany, false),
                "128 KiB or more: the sender outgrew the window, the base again");
    }

    @Test
    void roundsOfAcknowledgementsHoldButNeverGrowTheWindow() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        long t = 1_000_000_000L;
        int ack = 4 + 66;
        for (int i = 0; i < 4; i++) {
            t += 100_000;
            // twenty acknowledgements in one receive: a stream's size, but no data (at MTU 65520 the data comes in
            // jumbo frames, which never hold, and these would hold the acknowledgements ever longer)
            c.received(t - 100_000, false, t, 20 * ack, 66, 20, false, true);
            assertEquals(t + WINDOW, c.takeHold(), "round " + i);
        }
        assertEquals(WINDOW, c.windowNanos());
    }

    @Test
    void roundsWithFramesToTheGatewayHoldButNeverGrowTheWindow() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        long t = 1_000_000_000L;
        for (int i = 0; i < 4; i++) {
            t += 100_000;
            c.received(t - 100_000, false, t, 40 * FULL_FRAME, FRAME, 40, false, false);
            assertEquals(t + WINDOW, c.takeHold(), "a guest streaming through the NAT: the base window, round " + i);
        }
        assertEquals(WINDOW, c.windowNanos());
    }

    /** Four large stream rounds 100 µs apart, which take the window to three base windows; the last one's time. */
    private static long grownToTheMost(ReceiveCoalescing c) {
        long t = 1_000_000_000L;
        for (int i = 0; i < 4; i++) {
            t += 100_000;
            round(c, t, 100_000, 40, false);
        }
        assertEquals(3 * WINDOW, c.windowNanos());
        return t;
    }

    @Test
    void aShortReceiveThatEndsAWriteBringsTheBaseWindowBack() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        long t = grownToTheMost(c);
        // another VM's request (one small frame, PSH) while the stream goes on
        c.received(Long.MIN_VALUE / 2, false, t + 10_000, 4 + 67, 67, 1, true, true);
        assertEquals(Long.MIN_VALUE, c.takeHold());
        assertEquals(WINDOW, c.windowNanos());
        assertEquals(WINDOW * 3 / 2, round(c, t + 100_000, 100_000, 40, false), "and it grows again from there");
    }

    @Test
    void theWindowFallsBackToTheBaseOnceTheStreamStops() {
        ReceiveCoalescing c = new ReceiveCoalescing(WINDOW);
        long t = grownToTheMost(c);
        long later = t + ReceiveCoalescing.MIN_STREAM_GAP_NANOS; // longer than two windows of 150 us
        assertEquals(0, round(c, later, ReceiveCoalescing.MIN_STREAM_GAP_NANOS, 40, false), "no stream: no hold");
        assertEquals(WINDOW, c.windowNanos());
    }

    @Test
    void aNegativeWindowIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ReceiveCoalescing(-1));
    }
}
