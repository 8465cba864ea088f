package io.userv2.stack.nat;

import io.userv2.stack.wire.MacAddress;

/**
 * Tells how many bytes already wait in the switch's queue towards a guest's MAC, so that the engine sends less while
 * the queue is long (backpressure from the LAN, as Linux's TCP small queues) instead of overflowing it.
 */
@FunctionalInterface
public interface EgressGauge {
    /** A gauge that always says the queue is empty. */
    EgressGauge NONE = mac -> 0;

    /** Bytes queued towards {@code mac} (a MAC's 48 bits, as {@link MacAddress#bits()}) and not yet written. */
    int queuedToward(long mac);
}
