/**
 * TCP endpoints for the virtual gateway (RFC 9293), sans-IO: {@link io.userv2.stack.tcp.TcpConnection} is one endpoint
 * as a state machine that takes parsed segments and the current time ({@code process}), emits the segments that are
 * due through a {@link io.userv2.stack.tcp.SegmentEmitter} ({@code dispatch}), and says when it next needs to run
 * ({@code pollAt}). No threads, sockets or clocks. The owner (the NAT layer) keeps the table of connections by
 * four-tuple and their admission caps; {@link io.userv2.stack.tcp.IsnGenerator} makes RFC 6528 initial sequence
 * numbers from an injected clock.
 *
 * <p>No object is made per segment in steady state: segments come in and go out as a reused
 * {@link io.userv2.stack.wire.TcpHeader} (read during the call only), and sequence numbers are raw {@code int}s
 * compared and advanced through {@link io.userv2.stack.wire.SeqNumber}'s static wrap-around arithmetic.
 *
 * <p>The pieces, one concept per file: {@link io.userv2.stack.tcp.TcpConfig} (limits and timers),
 * {@code SendBuffer} (unacknowledged and unsent bytes, handed out as retained slices), {@code ReceiveBuffer}
 * (in-order bytes for the application), {@code ReassemblyQueue} (out-of-order bytes, source of SACK blocks),
 * {@code SackScoreboard} (what the peer said it holds), {@code RttEstimator} (RFC 6298) and
 * {@code CongestionControl} (RFC 5681 / RFC 6582 NewReno).
 *
 * <p>Everything in this package is single-threaded: one event loop owns a connection and all its buffers.
 */
package io.userv2.stack.tcp;
