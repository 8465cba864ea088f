package io.userv2.stack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import java.util.Objects;

/**
 * One TCP endpoint (RFC 9293) as a sans-IO state machine, shaped after smoltcp's {@code socket/tcp.rs}: segments come
 * in through {@link #process}, whatever is due goes out through {@link #dispatch}, and {@link #pollAt()} says when
 * {@code dispatch} must run next. No threads, sockets or clocks: every method that needs the time takes {@code now}
 * (nanoseconds of any monotonic clock).
 *
 * <h2>Life cycle (dial-then-accept)</h2>
 * The gateway terminates guest connections: {@link #acceptSyn} makes an endpoint from the guest's SYN in
 * {@link TcpState#SYN_PENDING} without answering; when the host connection succeeds the owner calls {@link #accept},
 * when it fails {@link #refuse} (RST), or simply {@link #release()}s it (the guest's SYN times out).
 * {@link #connect} starts an active open (for port forwards into a guest, and for tests).
 *
 * <h2>Driving it</h2>
 * After any call ({@code process}, {@code send}, {@code recv}, {@code shutdownSend}, {@code accept}, ...), the owner
 * consults {@link #pollAt()} and calls {@link #dispatch} when that time has come; {@code pollAt()} returns the time of
 * the last call when output is due at once. When {@link #state()} is {@link TcpState#CLOSED} and
 * {@link #pollAt()} is {@link Long#MAX_VALUE}, the owner reads what is left ({@link #readableBytes()}) if it cares, and
 * calls {@link #release()}.
 *
 * <h2>Buffers</h2>
 * {@code process} never keeps the caller's payload buffer: it copies what it accepts. Emitted payloads are retained
 * slices of the send buffer owned by the {@link SegmentEmitter}. {@link #recv(int)} returns a retained buffer owned by
 * the caller. {@link #release()} frees everything the connection holds and must be called exactly when the owner
 * forgets the connection (it is idempotent); buffers are also freed as soon as they are no longer needed (on reset,
 * on reaching TIME-WAIT, ...).
 *
 * <h2>State transitions (RFC 9293 section 3.10.7, "SEGMENT ARRIVES", and 3.10.4, CLOSE)</h2>
 * <pre>
 * SYN_PENDING  --accept()-->                 SYN_RECEIVED (SYN-ACK due)
 * SYN_PENDING  --refuse()/abort()-->         CLOSED (RST,ACK to the SYN)
 * SYN_PENDING  --RST-->                      CLOSED
 * SYN_SENT     --SYN,ACK of our SYN-->       ESTABLISHED (ACK due)
 * SYN_SENT     --SYN without ACK-->          SYN_RECEIVED (simultaneous open)
 * SYN_SENT     --RST acking our SYN-->       CLOSED
 * SYN_RECEIVED --ACK of our SYN-->           ESTABLISHED (FIN_WAIT_1 if shutdownSend() came first)
 * ESTABLISHED  --shutdownSend()-->           FIN_WAIT_1      CLOSE_WAIT --shutdownSend()--> LAST_ACK
 * ESTABLISHED  --FIN-->                      CLOSE_WAIT
 * FIN_WAIT_1   --ACK of our FIN-->           FIN_WAIT_2      FIN_WAIT_1 --FIN--> CLOSING
 * FIN_WAIT_2   --FIN-->                      TIME_WAIT       CLOSING    --ACK of our FIN--> TIME_WAIT
 * LAST_ACK     --ACK of our FIN-->           CLOSED          TIME_WAIT  --2*MSL--> CLOSED
 * any synchronized --RST with SEQ = RCV.NXT-->   CLOSED (RFC 5961 section 3.2)
 * any          --abort() / too many timeouts-->  CLOSED (RST)
 * ESTABLISHED, CLOSE_WAIT, FIN_WAIT_2 --keep-alive probes unanswered-->   CLOSED (RST, TIMED_OUT)
 * any synchronized --zero-window probes unanswered-->                      CLOSED (RST, TIMED_OUT)
 * FIN_WAIT_2   --silent for finWait2TimeoutNanos-->                        CLOSED (RST, TIMED_OUT)
 * </pre>
 * The arms live in {@link #process} (segment-driven, each commented with its RFC rule), {@link #shutdownSend},
 * {@link #abort} and the timer handling in {@link #dispatch}.
 *
 * <h2>What it implements</h2>
 * MSS (ours is MTU - 40; the peer's, or 536 when absent), window scaling and timestamps (RFC 7323, used only when both
 * SYNs carried them), SACK-permitted and SACK blocks for held out-of-order data (RFC 2018), SACK-guided hole
 * retransmission in recovery, RFC 6298 retransmission timer with backoff, RFC 5681 congestion control with
 * NewReno fast recovery (RFC 6582), initial window 10 (RFC 6928), zero-window probing (RFC 9293 3.8.6.1) with
 * backoff, delayed ACKs (every second full segment at once, out-of-order at once), receiver and sender silly window
 * syndrome avoidance, RFC 5961 blind RST / SYN / data injection defences with challenge ACK rate limiting, keep-alive
 * (RFC 9293 3.8.4, RFC 1122 4.2.3.6). No PAWS (RFC 7323 section 5), no urgent data, no ECN, no TCP Fast Open (data in
 * a SYN is not taken).
 *
 * <h2>Dead peers</h2>
 * The gateway must not hold a guest's connections forever after the guest crashed, rebooted or froze. With the
 * default {@link TcpConfig}, every state but SYN_PENDING (the owner's decision) is bounded in time when the peer goes
 * silent; "silent" means no segment passing the sequence, RST, SYN and ACK checks of RFC 9293 3.10.7.4 arrived (blind
 * or stale segments do not count).
 * <ul>
 *   <li>Data or a FIN outstanding (SYN_SENT, SYN_RECEIVED, FIN_WAIT_1, CLOSING, LAST_ACK, or any state with data in
 *       flight): the retransmission timer, {@link TcpConfig#maxRetransmissions()} (or {@link TcpConfig#synRetries()}).
 *   <li>Data queued behind a zero window: zero-window probes. A peer answering them is kept however long its window
 *       stays shut (RFC 9293 3.8.6.1); after {@link TcpConfig#maxRetransmissions()} probes in a row without any
 *       answer, the connection is aborted (as Linux's {@code tcp_probe_timer}; counted in
 *       {@link TcpStats#persistGiveUps()}).
 *   <li>Idle in ESTABLISHED, CLOSE_WAIT or FIN_WAIT_2: keep-alive probes {@code <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>}
 *       after {@link TcpConfig#keepAliveIdleNanos()} of silence, {@link TcpConfig#keepAliveIntervalNanos()} apart; a
 *       live peer answers with an ACK, a rebooted one with a RST at RCV.NXT (which closes, RESET_BY_PEER); after
 *       {@link TcpConfig#keepAliveProbes()} unanswered probes, abort ({@link TcpStats#keepAliveTimeouts()}).
 *   <li>FIN_WAIT_2: closed after {@link TcpConfig#finWait2TimeoutNanos()} of silence (Linux's {@code tcp_fin_timeout};
 *       {@link TcpStats#finWait2Timeouts()}); a guest still sending (half-close) keeps it open. While that bound is
 *       on, it replaces keep-alive in FIN_WAIT_2.
 *   <li>TIME_WAIT: 2 * MSL.
 * </ul>
 * Every give-up closes with {@link TcpCloseCause#TIMED_OUT}, the cause the owner already treats as "the peer is gone"
 * (the counters above say which timer it was), and sends {@code <SEQ=SND.NXT><CTL=RST>} once synchronized (RFC 9293
 * 3.10.5 ABORT), so that a peer that was merely unreachable does not keep a half-open connection. Each timer is one deadline
 * in {@link #pollAt()}: an idle connection wakes its owner once per probe, never more.
 *
 * <p>Deliberate choices, each commented where it lives: zero-window probes are Linux-style (SEQ = SND.UNA - 1, no
 * data); pure ACKs carry SND.MAX as sequence number (SND.NXT may be rewound by a timeout); a segment straddling the
 * whole receive window is accepted (superset of the RFC 9293 table, as Linux); RSTs are ignored in TIME-WAIT
 * (RFC 1337); segments without timestamps are accepted after timestamps were negotiated (as Linux); a timestamp echo
 * older than our latest retransmission gives no RTT sample; the minimum RTO is 200 ms and TIME-WAIT lasts
 * 2 * {@link TcpConfig#mslNanos()} (2 s by default), see {@link TcpConfig}; keep-alive is on by default, after 60 s
 * of silence, where RFC 1122 4.2.3.6 / RFC 9293 3.8.4 say keep-alives "MUST default to off" and the idle interval
 * "MUST default to no less than two hours" (the owner is a gateway on a one-hop virtual link, not an application on the
 * Internet: see {@link TcpConfig#keepAliveIdleNanos()}; {@link TcpConfig#withoutKeepAlive()} turns it off); FIN-WAIT-2
 * is bounded (RFC 9293 sets no limit; Linux does for orphaned sockets).
 *
 * <p>Not thread-safe: one event loop owns a connection.
 */
public final class TcpConnection {
    /** RFC 9293 section 3.7.1: "the default MSS ... is 536" (RFC 6691 for IPv4) when the SYN carries no MSS option. */
    static final int DEFAULT_MSS = 536;
    /** RFC 9293 3.7.1 and RFC 8200 5: over IPv6 the default is 1220 (1280 - 40 - 20). */
    static final int DEFAULT_MSS6 = 1220;
    /** Smallest MSS we believe from a peer (Linux's tcp_min_snd_mss is 48): guards against tiny-segment floods. */
    static final int MIN_PEER_MSS = 64;
    /** Bytes the Timestamps option takes in every segment once negotiated (10, padded to 12). */
    private static final int TS_OPTION_LENGTH = 12;
    private static final long NEVER = Long.MAX_VALUE;
    /** What {@link #nextSackHole()} answers when there is no hole to fill. */
    private static final long NO_HOLE = -1L;
    private static final long MS = 1_000_000L;
    /**
     * Smallest segment handed to a {@link DirectReceiver}: below it, one copy into the receive buffer and one write
     * of many segments costs less than a write per segment.
     */
    static final int DIRECT_MIN = 16 * 1024;

    private final TcpConnectionKey key;
    private final TcpConfig config;
    private final TcpStats stats;
    private final ByteBufAllocator alloc;
    // The parts below are null until first used (sendBuf() and the others make them): a connection that ends before
    // it carries data (a refused or abandoned SYN) allocates none of them, and reads none when it closes. With 10 000
    // flows, each object a closing flow touches is likely a cache miss.
    private SendBuffer sendBuf;
    private ReceiveBuffer recvBuf;
    /** Where large in-order data goes before the receive buffer, or null ({@link #receiveDirectlyTo}). */
    private DirectReceiver direct;
    private ReassemblyQueue reassembly;
    private SackScoreboard scoreboard;
    private RttEstimator rtt;
    /**
     * The header of the segment being emitted, filled again for each one (the emitter reads it during the call), when
     * the emitter lends none ({@link SegmentEmitter#header()}); made on first use.
     */
    private TcpHeader ownHeader;
    private CongestionControl cc;

    private TcpState state;
    private TcpCloseCause closeCause = TcpCloseCause.NONE;
    private boolean released;

    // Sequence numbers are raw 32-bit values (no object per segment), ordered and advanced only through SeqNumber's
    // static methods (modulo 2^32).
    // Send sequence space (RFC 9293 section 3.3.1). sndMax is the highest sequence number ever sent: sndNxt goes back
    // to sndUna after a timeout (go-back-N), sndMax does not, and ACK checks use it as "SND.NXT".
    private final int iss;
    private int sndUna;
    private int sndNxt;
    private int sndMax;
    private int sndWnd;
    private int sndMaxWnd;
    private int sndWl1;
    private int sndWl2;
    private int sndWscale;
    private int sndMss;
    /** Sequence number of send buffer byte 0 (ISS + 1 until data is acknowledged). */
    private int bufSeq;
    private boolean finQueued;

    // Receive sequence space.
    private int irs;
    private int rcvNxt;
    /** The right edge of the window we advertised last: RCV.NXT + RCV.WND as the peer sees it. */
    private int rcvAdvRight;
    private int rcvWscale;
    private boolean wscaleOk;
    /** The (unscaled) window our last SYN or SYN-ACK offered. */
    private int synWindow;
    private int synPayloadLength;
    /** Sequence number of the peer's FIN once seen (possibly out of order): valid when {@link #remoteFinSeen}. */
    private int remoteFinSeq;
    private boolean remoteFinSeen;
    private boolean remoteFinReceived;

    // Options.
    private boolean tsEnabled;
    private boolean sackEnabled;
    private int tsRecent;
    private final int tsOffset;
    /** RFC 7323's Last.ACK.sent: the ACK field of our latest segment, valid once {@link #ackSent}. */
    private int lastAckSent;
    private boolean ackSent;

    // Output that is due.
    private boolean synDue;
    private boolean ackNow;
    private long ackDeadline = NEVER;
    private int bytesSinceAck;
    /** A RST is due at the next dispatch: {@code <SEQ=rstSeq><CTL=RST>}, with {@code <ACK=rstAck>} if rstHasAck. */
    private boolean rstDue;
    private int rstSeq;
    private boolean rstHasAck;
    private int rstAck;
    private boolean fastRetransmitDue;
    private boolean probeDue;
    /** RFC 6675's HighRxt: the end of our latest hole retransmission, valid when {@link #highRxtValid}. */
    private int highRxt;
    private boolean highRxtValid;

    // Timers.
    private long rtxDeadline = NEVER;
    private int retries;
    private long persistDeadline = NEVER;
    private int persistBackoff;
    private long timeWaitDeadline = NEVER;
    /** TSval of our latest retransmission and the SND.MAX at that time, for {@link #ackAdvances}. */
    private int rtxTsVal;
    private int rtxHigh;
    private boolean rtxTsValid;
    private boolean rttTiming;
    private int rttSeq;
    private long rttStart;
    // Liveness: keep-alive (RFC 9293 3.8.4), zero-window probes that go unanswered, the FIN-WAIT-2 bound.
    /** When the last segment passing the checks up to the ACK acceptability test arrived (or the connection began). */
    private long lastHeard;
    /** Keep-alive probes sent since {@link #lastHeard}, and when the latest went out. */
    private int keepAliveProbesOut;
    private long keepAliveProbeAt;
    /** Zero-window probes sent since {@link #lastHeard}. */
    private int persistProbesOut;
    private long challengeWindowStart;
    private int challengeCount;
    private long lastNow;
    /** Data bytes the current {@link #dispatch} may still send. */
    private int dataBudget = Integer.MAX_VALUE;

    private TcpConnection(TcpConnectionKey key, TcpConfig config, ByteBufAllocator alloc, TcpStats stats,
                          int iss, long now) {
        this.key = Objects.requireNonNull(key, "key");
        this.config = Objects.requireNonNull(config, "config");
        this.stats = stats != null ? stats : new TcpStats();
        this.alloc = Objects.requireNonNull(alloc, "alloc");
        this.iss = iss;
        this.sndUna = iss;
        this.sndNxt = iss;
        this.sndMax = iss;
        this.bufSeq = SeqNumber.add(iss, 1);
        this.tsOffset = Integer.rotateLeft(iss, 13) ^ 0x5bd1e995;
        this.lastNow = now;
        this.lastHeard = now;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Opening

    /**
     * A passive endpoint for the guest's {@code syn} (a SYN without ACK sent to {@code key.localAddress()}), held in
     * {@link TcpState#SYN_PENDING}: nothing is sent until {@link #accept}. {@code iss} is our initial sequence number
     * (from {@link IsnGenerator}). The payload of {@code syn}, if any, is not accepted (no TCP Fast Open).
     *
     * @param stats shared counters, or null for private ones
     * @throws IllegalArgumentException when {@code syn} is not a SYN without ACK
     */
    public static TcpConnection acceptSyn(TcpConnectionKey key, TcpHeader syn, TcpConfig config,
                                          ByteBufAllocator alloc, TcpStats stats, SeqNumber iss, long now) {
        if (syn.control() != TcpControl.SYN || syn.hasAck()) {
            throw new IllegalArgumentException("not a SYN: " + syn);
        }
        TcpConnection c = new TcpConnection(key, config, alloc, stats, iss.value(), now);
        c.state = TcpState.SYN_PENDING;
        c.absorbSyn(syn, true);
        return c;
    }

    /** An active open: our SYN goes out at the next {@link #dispatch}; {@code iss} is our initial sequence number. */
    public static TcpConnection connect(TcpConnectionKey key, TcpConfig config, ByteBufAllocator alloc,
                                        TcpStats stats, SeqNumber iss, long now) {
        TcpConnection c = new TcpConnection(key, config, alloc, stats, iss.value(), now);
        c.state = TcpState.SYN_SENT;
        c.synDue = true;
        c.rcvWscale = config.receiveWindowShift();
        c.tsEnabled = config.timestamps();
        c.sackEnabled = config.sack();
        c.sndMss = Math.min(c.defaultMss(), config.mss());
        c.cc = c.newCongestionControl();
        return c;
    }

    /**
     * The host side is connected: answer the pending SYN with a SYN-ACK (RFC 9293 3.10.7.2, LISTEN: "ISS should be
     * selected and a SYN segment sent of the form {@code <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>}").
     *
     * @throws IllegalStateException unless in {@link TcpState#SYN_PENDING}
     */
    public void accept(long now) {
        requireState(TcpState.SYN_PENDING);
        lastNow = now;
        state = TcpState.SYN_RECEIVED;
        synDue = true;
        cc = newCongestionControl();
    }

    /**
     * The host side refused: answer the pending SYN with a reset (RFC 9293 3.10.7.1 / "reset generation": the SYN
     * has no ACK, so {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>}) and close.
     *
     * @throws IllegalStateException unless in {@link TcpState#SYN_PENDING}
     */
    public void refuse(long now) {
        requireState(TcpState.SYN_PENDING);
        lastNow = now;
        queueResetAck(SeqNumber.add(irs, 1 + synPayloadLength));
        toClosed(TcpCloseCause.REFUSED, true);
    }

    private CongestionControl newCongestionControl() {
        return new CongestionControl(sndMss, config.initialWindowSegments(), iss, 2 * config.sendBufferSize());
    }

    /** The peer's MSS when its SYN says none: by the family of the connection. */
    private int defaultMss() {
        return key.isIpv6() ? DEFAULT_MSS6 : DEFAULT_MSS;
    }

    private void absorbSyn(TcpHeader syn, boolean passive) {
        irs = syn.seq();
        rcvNxt = SeqNumber.add(irs, 1);
        synPayloadLength = syn.payloadLength();
        int peerMss = syn.maxSegmentSize() != TcpHeader.ABSENT ? Math.max(syn.maxSegmentSize(), MIN_PEER_MSS)
                : defaultMss();
        // RFC 7323 2.2: scaling is in effect only when both SYNs carried the option.
        wscaleOk = config.windowScaling() && syn.windowScale() != TcpHeader.ABSENT;
        if (wscaleOk) {
            sndWscale = syn.windowScale();
            rcvWscale = config.receiveWindowShift();
        } else {
            sndWscale = 0;
            rcvWscale = 0;
        }
        tsEnabled = config.timestamps() && syn.hasTimestamps();
        if (tsEnabled) {
            tsRecent = syn.tsVal();
        }
        sackEnabled = config.sack() && syn.sackPermitted();
        // RFC 9293 3.7.1 / RFC 6691: the MSS excludes options, so "the TCP sender MUST reduce the data length by
        // the size of TCP options"; timestamps are in every segment.
        sndMss = Math.min(peerMss, config.mss()) - (tsEnabled ? TS_OPTION_LENGTH : 0);
        // The window of a SYN is never scaled (RFC 7323 2.2).
        sndWnd = syn.window();
        sndMaxWnd = sndWnd;
        sndWl1 = syn.seq();
        sndWl2 = syn.hasAck() ? syn.ack() : iss;
        if (passive) {
            rcvAdvRight = rcvNxt; // and the congestion state comes with accept(): a refused SYN needs none
        } else {
            cc = newCongestionControl();
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Segment arrival

    /**
     * Handles one segment the owner routed to this connection ({@code seg} was sent by the remote side of
     * {@link #key()}). The segment's data is the readable bytes of {@code payload}: the caller keeps ownership, its
     * indices are not moved, and whatever is accepted is copied (or, in order and large, first offered to the
     * {@link DirectReceiver} during the call); {@code seg} is read during the call only. Never throws
     * for bad input: unacceptable segments are dropped and counted in {@link TcpStats}.
     */
    public void process(TcpHeader seg, ByteBuf payload, long now) {
        process(seg, payload, payload.readerIndex(), Math.min(seg.payloadLength(), payload.readableBytes()), now);
    }

    /**
     * As {@link #process(TcpHeader, ByteBuf, long)} for data that is the {@code length} bytes at absolute
     * {@code payloadIndex} of {@code buf} (a frame in a larger buffer: no slice object per segment).
     */
    public void process(TcpHeader seg, ByteBuf buf, int payloadIndex, int length, long now) {
        lastNow = now;
        stats.segmentsIn++;
        switch (state) {
            case CLOSED -> {
                // RFC 9293 3.10.7.1: "An incoming segment not containing a RST causes a RST to be sent in response."
                if (seg.control() != TcpControl.RST) {
                    queueResetFor(seg);
                }
            }
            case SYN_PENDING -> processPending(seg);
            case SYN_SENT -> processSynSent(seg, now);
            default -> processSynchronized(seg, buf, payloadIndex, length, now);
        }
    }

    /** SYN_PENDING: only the guest's SYN retransmissions and RST mean anything; nothing is ever answered. */
    private void processPending(TcpHeader seg) {
        if (seg.control() == TcpControl.RST && seg.seq() == rcvNxt) {
            // The guest gave up (RFC 9293: in SYN-RECEIVED an acceptable RST closes); the owner cancels the dial.
            stats.resetsReceived++;
            toClosed(TcpCloseCause.RESET_BY_PEER, true);
        } else if (seg.control() == TcpControl.SYN && !seg.hasAck() && seg.seq() != irs) {
            // A new attempt from the same port with another ISN (the old one was given up): take the newest SYN.
            absorbSyn(seg, true);
        } else {
            stats.droppedInState++; // retransmitted SYN: keep waiting for the owner's decision
        }
    }

    /** RFC 9293 section 3.10.7.3, SYN-SENT. */
    private void processSynSent(TcpHeader seg, long now) {
        boolean hasAck = seg.hasAck();
        int ack = seg.ack();
        // "first check the ACK bit": "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is
        // set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>".
        if (hasAck && (SeqNumber.le(ack, iss) || SeqNumber.gt(ack, sndMax))) {
            if (seg.control() != TcpControl.RST) {
                queueResetFor(seg);
            }
            stats.droppedBadAck++;
            return;
        }
        if (seg.control() == TcpControl.RST) {
            // "If the ACK was acceptable, then signal to the user "error: connection reset", drop the segment, enter
            // CLOSED state ... Otherwise (no ACK), drop the segment and return." (RFC 5961 3.2 keeps this rule.)
            if (hasAck) {
                stats.resetsReceived++;
                toClosed(TcpCloseCause.RESET_BY_PEER, true);
            } else {
                stats.droppedInState++;
            }
            return;
        }
        if (seg.control() != TcpControl.SYN) {
            stats.droppedInState++; // "If neither of the SYN or RST bits is set, then drop the segment and return."
            return;
        }
        absorbSyn(seg, false);
        if (hasAck) {
            // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to ESTABLISHED, form an ACK
            // segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
            sndWnd = seg.window(); // RFC 7323 2.2: the window of a SYN is never scaled
            sndMaxWnd = sndWnd;
            sndWl1 = seg.seq();
            sndWl2 = ack;
            ackAdvances(ack, seg, now);
            synDue = false;
            state = finQueued ? TcpState.FIN_WAIT_1 : TcpState.ESTABLISHED;
            rcvAdvRight = SeqNumber.add(rcvNxt, synWindow);
            ackNow = true;
            heard(now);
        } else {
            // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment ... and send it." (simultaneous open)
            state = TcpState.SYN_RECEIVED;
            rcvAdvRight = SeqNumber.add(rcvNxt, synWindow);
            synDue = true;
        }
    }

    /** RFC 9293 section 3.10.7.4, "Otherwise" (SYN-RECEIVED and the synchronized states), step by step. */
    private void processSynchronized(TcpHeader seg, ByteBuf buf, int payloadIndex, int length, long now) {
        int seq = seg.seq();
        int segLen = seg.segmentLength();
        int rcvWnd = Math.max(SeqNumber.diff(rcvAdvRight, rcvNxt), 0);

        if (state == TcpState.SYN_RECEIVED && seg.control() == TcpControl.SYN && !seg.hasAck() && seq == irs) {
            // Not in the RFC's words but in every stack: the guest retransmitted its SYN, so our SYN-ACK was lost
            // (or is late); send it again rather than the plain ACK an unacceptable segment gets.
            synDue = true;
            return;
        }

        // First: check the sequence number (the acceptability table).
        boolean edgeOfClosedWindow = false;
        if (!acceptable(seq, segLen, rcvWnd)) {
            if (rcvWnd == 0 && seq == rcvNxt) {
                // "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be made to
                // accept valid ACKs, URGs, and RSTs": a zero-window probe at RCV.NXT still carries a valid ACK (and
                // maybe FIN, which needs no buffer space); its data is not taken.
                edgeOfClosedWindow = true;
            } else {
                stats.droppedUnacceptable++;
                if (seg.control() == TcpControl.RST) {
                    return; // RFC 5961 3.2: "If the RST bit is set and the sequence number is outside the current
                            // receive window, silently drop the segment."
                }
                if (state == TcpState.TIME_WAIT && seg.control() == TcpControl.FIN) {
                    // 3.10.7.4 eighth step, TIME-WAIT: "Acknowledge it, and restart the 2 MSL timeout."
                    timeWaitDeadline = now + 2 * config.mslNanos();
                }
                // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply (unless the RST
                // bit is set ...): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
                ackNow = true;
                return;
            }
        }

        // Second: check the RST bit (RFC 5961 section 3.2 replaces RFC 9293's in-window rule).
        if (seg.control() == TcpControl.RST && state == TcpState.TIME_WAIT) {
            // RFC 1337 ("TIME-WAIT Assassination Hazards"), fix TH1: "Ignore RST segments in TIME-WAIT state." Both
            // directions are complete; a RST here is typically the peer's answer to a duplicate of our last ACK
            // arriving after it closed, and honouring it would end TIME-WAIT's protection early.
            stats.droppedInState++;
            return;
        }
        if (seg.control() == TcpControl.RST) {
            if (seq == rcvNxt) {
                // "If the RST bit is set and the sequence number exactly matches the next expected sequence number
                // (RCV.NXT), then TCP MUST reset the connection."
                stats.resetsReceived++;
                // RFC 9293: in every synchronized state (and SYN-RECEIVED from a passive open) the connection is
                // closed; queued data is flushed unless the peer had already finished sending.
                toClosed(TcpCloseCause.RESET_BY_PEER, !remoteFinReceived);
            } else {
                // "If the RST bit is set and the sequence number does not exactly match the next expected sequence
                // value, yet is within the current receive window, TCP MUST send an acknowledgment (challenge ACK)".
                challengeAck(now);
            }
            return;
        }

        // RFC 7323 4.3: "If SEG.TSval >= TS.Recent and SEG.SEQ =< Last.ACK.sent, then SEG.TSval is copied to
        // TS.Recent". (A segment without TSopt is accepted, as Linux does; RFC 7323 3.2 says SHOULD drop.)
        if (tsEnabled && seg.hasTimestamps() && seg.tsVal() - tsRecent >= 0
                && (!ackSent || SeqNumber.le(seq, lastAckSent))) {
            tsRecent = seg.tsVal();
        }

        // Fourth: check the SYN bit.
        if (seg.control() == TcpControl.SYN) {
            // RFC 5961 4.2 (RFC 9293 3.10.7.4 fourth): "If the SYN bit is set, irrespective of the sequence number,
            // TCP endpoint MUST send a 'challenge ACK' to the remote peer".
            challengeAck(now);
            return;
        }

        // Fifth: check the ACK field. "if the ACK bit is off, drop the segment and return".
        if (!seg.hasAck()) {
            stats.droppedNoAck++;
            return;
        }
        int ack = seg.ack();
        if (state == TcpState.SYN_RECEIVED) {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and continue processing with the
            // variables below set to: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK".
            if (SeqNumber.lt(sndUna, ack) && SeqNumber.le(ack, sndMax)) {
                sndWnd = seg.window() << sndWscale;
                sndMaxWnd = Math.max(sndMaxWnd, sndWnd);
                sndWl1 = seq;
                sndWl2 = ack;
                synDue = false;
                state = finQueued ? TcpState.FIN_WAIT_1 : TcpState.ESTABLISHED;
            } else {
                // "If the segment acknowledgment is not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>".
                stats.droppedBadAck++;
                queueResetFor(seg);
                return;
            }
        }
        // RFC 5961 5.2: "The ACK value is considered acceptable only if it is in the range of ((SND.UNA -
        // MAX.SND.WND) =< SEG.ACK =< SND.NXT). All incoming segments whose ACK value doesn't satisfy the above
        // condition MUST be discarded and an ACK sent back."
        if (SeqNumber.gt(ack, sndMax) || SeqNumber.lt(ack, SeqNumber.add(sndUna, -sndMaxWnd))) {
            stats.droppedBadAck++;
            challengeAck(now);
            return;
        }
        // The peer is alive: the segment passed the sequence, RST, SYN and ACK checks, so neither a blind injection
        // nor a stale duplicate (nor a rebooted peer's new SYN) keeps a dead connection up. Our keep-alive and
        // zero-window probes are answered by exactly such an ACK.
        heard(now);
        processAck(seg, ack, now);
        if (state == TcpState.CLOSED) {
            return;
        }
        boolean finAcked = finQueued && SeqNumber.gt(sndUna, finSeq());
        switch (state) {
            // "FIN-WAIT-1: In addition to the processing for the ESTABLISHED state, if the FIN segment is now
            // acknowledged, then enter FIN-WAIT-2 and continue processing in that state."
            case FIN_WAIT_1 -> {
                if (finAcked) {
                    state = TcpState.FIN_WAIT_2;
                    releaseSendBuf();
                }
            }
            // "CLOSING: ... if the ACK acknowledges our FIN, then enter the TIME-WAIT state; otherwise, ignore".
            case CLOSING -> {
                if (finAcked) {
                    enterTimeWait(now);
                }
            }
            // "LAST-ACK: The only thing that can arrive in this state is an acknowledgment of our FIN. If our FIN is
            // now acknowledged, delete the TCB, enter the CLOSED state, and return."
            case LAST_ACK -> {
                if (finAcked) {
                    toClosed(TcpCloseCause.NORMAL, false);
                    return;
                }
            }
            default -> { }
        }

        // Seventh: process the segment text (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 only: in the other states a FIN
        // has been received, so data is ignored).
        if (seg.payloadLength() > 0 && !edgeOfClosedWindow) {
            switch (state) {
                case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2 -> receiveText(seg.seq(), buf, payloadIndex, length, now);
                default -> stats.droppedInState++;
            }
        } else if (seg.payloadLength() > 0) {
            ackNow = true; // answer the zero-window probe with the (still closed) window
        }

        // Eighth: check the FIN bit. The FIN may arrive before data it follows; remember where it is.
        if (seg.control() == TcpControl.FIN && !remoteFinSeen
                && !(edgeOfClosedWindow && seg.payloadLength() > 0)) {
            int finSeq = SeqNumber.add(seq, seg.payloadLength());
            if (SeqNumber.le(finSeq, rcvAdvRight) && SeqNumber.ge(finSeq, rcvNxt)) {
                remoteFinSeq = finSeq;
                remoteFinSeen = true;
                ackNow = true; // acknowledged at once, in order (below) or as a duplicate ACK if data is missing
            }
        }
        if (seg.control() == TcpControl.FIN && remoteFinReceived && state == TcpState.TIME_WAIT) {
            // "TIME-WAIT: Remain in the TIME-WAIT state. Restart the 2 MSL time-wait timeout."
            timeWaitDeadline = now + 2 * config.mslNanos();
            ackNow = true;
        }
        if (remoteFinSeen && !remoteFinReceived && rcvNxt == remoteFinSeq) {
            receiveFin(now);
        }
    }

    /**
     * RFC 9293 3.10.7.4, the segment acceptability table ("RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND" ...). For a segment
     * with data and an open window the table accepts it when its first or its last octet is in the window; we accept
     * any overlap with the window, as Linux does, so that a segment which starts before RCV.NXT and ends beyond the
     * window (a repacketized retransmission against a small window) still delivers its in-window part instead of
     * being rejected on every retransmission.
     */
    static boolean acceptable(int seq, int segLen, int rcvNxt, int rcvWnd) {
        if (segLen == 0) {
            return rcvWnd == 0 ? seq == rcvNxt : SeqNumber.inWindow(seq, rcvNxt, rcvWnd);
        }
        if (rcvWnd == 0) {
            return false;
        }
        return SeqNumber.inWindow(seq, rcvNxt, rcvWnd)
                || SeqNumber.inWindow(SeqNumber.add(seq, segLen - 1), rcvNxt, rcvWnd)
                || (SeqNumber.lt(seq, rcvNxt)
                        && SeqNumber.gt(SeqNumber.add(seq, segLen), SeqNumber.add(rcvNxt, rcvWnd)));
    }

    private boolean acceptable(int seq, int segLen, int rcvWnd) {
        return acceptable(seq, segLen, rcvNxt, rcvWnd);
    }

    /** Fifth step, ESTABLISHED processing of an acceptable ACK: SND.UNA, window, RTT, congestion control. */
    private void processAck(TcpHeader seg, int ack, long now) {
        int wnd = seg.window() << sndWscale;
        if (sackEnabled && seg.sackBlockCount() > 0) {
            scoreboard().add(seg, sndUna, sndMax);
        }
        if (SeqNumber.gt(ack, sndUna)) {
            ackAdvances(ack, seg, now);
        } else if (ack == sndUna && seg.segmentLength() == 0 && sndUna != sndMax && wnd == sndWnd
                && wnd > 0) {
            // RFC 5681 section 2, DUPLICATE ACKNOWLEDGMENT: outstanding data, no data, no SYN/FIN, ACK = SND.UNA,
            // same window.
            int flight = SeqNumber.diff(sndMax, sndUna);
            if (cc.onDuplicateAck(sndUna, flight, sndMax)) {
                stats.fastRetransmits++;
                fastRetransmitDue = true;
                highRxt = sndUna;
                highRxtValid = true;
                rttTiming = false; // Karn
            } else if (cc.inRecovery() && sackEnabled) {
                fastRetransmitDue = nextSackHole() != NO_HOLE; // RFC 6675 flavour: fill the next hole per dup ACK
            }
        }
        // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If (SND.WL1 < SEG.SEQ or (SND.WL1 =
        // SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
        int seq = seg.seq();
        if (SeqNumber.ge(ack, sndUna)
                && (SeqNumber.lt(sndWl1, seq) || (sndWl1 == seq && SeqNumber.le(sndWl2, ack)))) {
            boolean opened = sndWnd == 0 && wnd > 0;
            sndWnd = wnd;
            sndMaxWnd = Math.max(sndMaxWnd, wnd);
            sndWl1 = seq;
            sndWl2 = ack;
            if (opened) {
                persistDeadline = NEVER;
                persistBackoff = 0;
            }
        }
        updatePersist(now);
    }

    /** SND.UNA < SEG.ACK: free acknowledged bytes, sample the RTT, grow the window, manage the timer. */
    private void ackAdvances(int ack, TcpHeader seg, long now) {
        int acked = SeqNumber.diff(ack, sndUna);
        int dataEnd = SeqNumber.add(bufSeq, queuedBytes());
        int consumedTo = SeqNumber.min(ack, dataEnd);
        int n = SeqNumber.diff(consumedTo, bufSeq);
        if (n > 0) {
            sendBuf().consume(n);
            bufSeq = consumedTo;
        }
        // RTT: RFC 7323 section 4.1 with timestamps, else Karn-filtered timing of one segment (RFC 6298 section 3).
        boolean ts = seg.hasTimestamps();
        // An echo older than our latest retransmission of the data this ACK covers means the ACK of the original
        // was lost and the peer echoed an old TS.Recent (RFC 7323 4.3 keeps it for duplicates): the sample would be
        // inflated by the whole timeout. The timestamp form of Karn's rule drops it.
        boolean staleEcho = rtxTsValid && ts && seg.tsEcr() - rtxTsVal < 0;
        if (tsEnabled && ts && seg.tsEcr() != 0 && !staleEcho) {
            int ms = tsNow(now) - seg.tsEcr();
            if (ms >= 0 && ms < 600_000) {
                rtt().sample(ms * MS);
            }
        } else if (rttTiming && SeqNumber.gt(ack, rttSeq)) {
            rtt().sample(now - rttStart);
        }
        if (rtxTsValid && !SeqNumber.lt(ack, rtxHigh)) {
            rtxTsValid = false; // everything outstanding at the retransmission is acknowledged
        }
        if (rttTiming && SeqNumber.gt(ack, rttSeq)) {
            rttTiming = false;
        }
        sndUna = ack;
        if (SeqNumber.lt(sndNxt, sndUna)) {
            sndNxt = sndUna;
        }
        if (scoreboard != null) {
            scoreboard.ackedTo(sndUna);
        }
        int flight = SeqNumber.diff(sndMax, sndUna);
        if (state != TcpState.SYN_SENT && state != TcpState.SYN_RECEIVED && cc.onNewAck(acked, ack, flight)) {
            // RFC 6582 3.2 step 5: "retransmit the first unacknowledged segment" on a partial ACK.
            stats.fastRetransmits++;
            fastRetransmitDue = true;
            highRxt = SeqNumber.max(highRxtValid ? highRxt : sndUna, sndUna);
            highRxtValid = true;
        }
        retries = 0;
        rtt().clearBackoff();
        // RFC 6298 5.2: "When all outstanding data has been acknowledged, turn off the retransmission timer."
        // 5.3: "When an ACK is received that acknowledges new data, restart the retransmission timer".
        rtxDeadline = sndUna == sndMax ? NEVER : now + rtt().rto();
    }

    /** Seventh step for ESTABLISHED / FIN-WAIT-1 / FIN-WAIT-2: trim to the window, store in order or out of order. */
    private void receiveText(int seq, ByteBuf payload, int index, int len, long now) {
        if (SeqNumber.lt(seq, rcvNxt)) {
            int skip = SeqNumber.diff(rcvNxt, seq);
            if (skip >= len) {
                ackNow = true; // a duplicate: RFC 5681 4.2 wants an immediate ACK for it
                return;
            }
            index += skip;
            len -= skip;
            seq = rcvNxt;
        }
        // "Segments with higher beginning sequence numbers ... the TCP should trim any portion beyond the window".
        int room = SeqNumber.diff(rcvAdvRight, seq);
        if (len > room) {
            len = Math.max(room, 0);
        }
        if (len == 0) {
            ackNow = true;
            return;
        }
        if (seq == rcvNxt) {
            int taken = 0;
            if (direct != null && len >= DIRECT_MIN && bufferedBytes() == 0 && reassemblyEmpty()) {
                taken = Math.max(0, Math.min(len, direct.take(payload, index, len)));
                stats.bytesInDirect += taken;
            }
            if (taken < len) {
                recvBuf().write(payload, index + taken, len - taken);
            }
            rcvNxt = SeqNumber.add(rcvNxt, len);
            stats.bytesIn += len;
            if (!reassemblyEmpty()) {
                int before = rcvNxt;
                rcvNxt = reassembly.drainInto(rcvNxt, recvBuf);
                stats.bytesIn += SeqNumber.diff(rcvNxt, before);
                ackNow = true; // RFC 5681 4.2: "an immediate ACK ... when the segment fills in all or part of a gap"
                return;
            }
            // RFC 9293 3.8.6.3 / RFC 5681 4.2: an ACK "SHOULD be generated for at least every second full-sized
            // segment", and not delayed beyond 0.5 s.
            bytesSinceAck += len;
            if (bytesSinceAck >= 2 * (config.mss() - (tsEnabled ? TS_OPTION_LENGTH : 0))
                    || config.delayedAckNanos() == 0) {
                ackNow = true;
            } else if (ackDeadline == NEVER) {
                ackDeadline = now + config.delayedAckNanos();
            }
        } else {
            // Out of order: hold it and acknowledge at once ("A TCP receiver SHOULD send an immediate duplicate ACK
            // when an out-of-order segment arrives", RFC 5681 4.2); the ACK carries SACK blocks.
            if (reassembly().add(seq, payload, index, len)) {
                stats.outOfOrderSegments++;
            } else {
                stats.outOfOrderDropped++;
            }
            ackNow = true;
        }
    }

    /** Eighth step: the FIN is in order. */
    private void receiveFin(long now) {
        rcvNxt = SeqNumber.add(rcvNxt, 1);
        remoteFinReceived = true;
        ackNow = true; // "send an acknowledgment for the FIN"
        switch (state) {
            // "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the CLOSE-WAIT state."
            case SYN_RECEIVED, ESTABLISHED -> state = TcpState.CLOSE_WAIT;
            // "FIN-WAIT-1 STATE: If our FIN has been ACKed (perhaps in this segment), then enter TIME-WAIT, start the
            // time-wait timer, turn off the other timers; otherwise, enter the CLOSING state."
            case FIN_WAIT_1 -> state = TcpState.CLOSING;
            // "FIN-WAIT-2 STATE: Enter the TIME-WAIT state. Start the time-wait timer, turn off the other timers."
            case FIN_WAIT_2 -> enterTimeWait(now);
            default -> { }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Output

    /**
     * Emits everything that is due at {@code now} through {@code out}: a pending RST, SYN or SYN-ACK, retransmissions
     * after a timeout or duplicate ACKs, new data within the peer's window and the congestion window, FIN after the
     * buffered data, zero-window probes, keep-alive probes, and ACKs (immediately or when the delayed-ACK time has
     * come). Also runs the timers (retransmission, persist, keep-alive, FIN-WAIT-2, TIME-WAIT), which may abort the
     * connection with a RST. See {@link SegmentEmitter} for payload ownership.
     */
    public void dispatch(long now, SegmentEmitter out) {
        dispatch(now, out, Integer.MAX_VALUE);
    }

    /**
     * As {@link #dispatch(long, SegmentEmitter)}, but sends at most about {@code maxDataBytes} of data (the segment
     * that crosses the limit still goes whole); control segments, ACKs, probes and retransmissions after a timeout
     * are not limited. The owner uses it for backpressure from the link, as Linux's TCP small queues do: when the
     * queue towards the peer is long, send less now and call again once it has drained ({@link #pollAt()} keeps
     * saying that output is due while data waits).
     */
    public void dispatch(long now, SegmentEmitter out, int maxDataBytes) {
        dataBudget = maxDataBytes;
        lastNow = now;
        if (rstDue) {
            rstDue = false;
            stats.resetsSent++;
            TcpHeader rst = header(out).start(key.localPort(), key.remotePort(), TcpControl.RST, rstSeq);
            if (rstHasAck) {
                rst.setAck(rstAck);
            }
            send(out, rst, Unpooled.EMPTY_BUFFER);
        }
        switch (state) {
            case CLOSED, SYN_PENDING -> {
                return;
            }
            case TIME_WAIT -> {
                if (now >= timeWaitDeadline) {
                    toClosed(TcpCloseCause.NORMAL, false);
                } else if (ackNow || now >= ackDeadline) {
                    emitAck(out, now);
                }
                return;
            }
            default -> { }
        }
        if (now >= rtxDeadline) {
            onRetransmitTimeout(now);
            if (rstDue) {
                dispatch(now, out);
                return;
            }
            if (state == TcpState.CLOSED) {
                return;
            }
        }
        if (now >= finWait2Deadline()) {
            // Linux's tcp_fin_timeout: our direction is done and the peer has been silent for finWait2TimeoutNanos.
            stats.finWait2Timeouts++;
            giveUp(now, out);
            return;
        }
        if (now >= keepAliveDeadline()) {
            // RFC 1122 4.2.3.6 (RFC 9293 3.8.4): "if a keep-alive mechanism is implemented it MUST NOT interpret
            // failure to respond to any specific probe as a dead connection": only keepAliveProbes unanswered in a row.
            if (keepAliveProbesOut >= config.keepAliveProbes()) {
                stats.keepAliveTimeouts++;
                giveUp(now, out);
                return;
            }
            emitKeepAlive(out, now);
        }
        if (now >= persistDeadline) {
            persistDeadline = NEVER;
            // RFC 9293 3.8.6.1: the connection must not be dropped while the peer answers our probes ("as long as the
            // receiving TCP peer continues to send acknowledgments in response to the probe segments"). A peer that
            // answers nothing at all is another matter: like Linux's tcp_probe_timer, give up after
            // maxRetransmissions probes in a row with no segment from the peer in between.
            if (persistProbesOut >= config.maxRetransmissions()) {
                stats.persistGiveUps++;
                giveUp(now, out);
                return;
            }
            probeDue = true;
        }
        if (synDue) {
            synDue = false;
            emitSyn(out, now);
            if (rtxDeadline == NEVER) {
                rtxDeadline = now + rtt().rto();
            }
            return;
        }
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            if (ackNow) {
                emitAck(out, now);
            }
            return;
        }
        if (fastRetransmitDue) {
            fastRetransmitDue = false;
            retransmitHole(out, now);
        }
        if (probeDue) {
            probeDue = false;
            emitProbe(out, now);
        }
        sendData(out, now);
        if (ackNow || now >= ackDeadline) {
            emitAck(out, now);
        }
        updatePersist(now);
    }

    /**
     * The time {@link #dispatch} must next run: the time of the last call when output is due now, the earliest timer
     * otherwise, {@link Long#MAX_VALUE} when nothing will ever be due (closed, or pending the owner's decision).
     */
    public long pollAt() {
        if (rstDue) {
            return lastNow;
        }
        switch (state) {
            case CLOSED, SYN_PENDING -> {
                return NEVER;
            }
            case TIME_WAIT -> {
                return ackNow ? lastNow : Math.min(timeWaitDeadline, ackDeadline);
            }
            default -> { }
        }
        if (synDue || ackNow || fastRetransmitDue || probeDue) {
            return lastNow;
        }
        if (state.isSynchronized() && nextSegmentLength() >= 0) {
            return lastNow;
        }
        return Math.min(Math.min(Math.min(rtxDeadline, persistDeadline), ackDeadline),
                Math.min(keepAliveDeadline(), finWait2Deadline()));
    }

    /**
     * When the next keep-alive probe (or, after {@link TcpConfig#keepAliveProbes()} unanswered ones, the abort) is due,
     * {@link #NEVER} when keep-alive does not apply. RFC 9293 3.8.4: "Keep-alive packets MUST only be sent when no
     * sent data is outstanding, and no data or acknowledgment packets have been received for the connection within an
     * interval (MUST-26)": so only in ESTABLISHED, CLOSE-WAIT and FIN-WAIT-2 (the other
     * synchronized states have a FIN in flight or are TIME-WAIT, bounded by their own timers), with everything sent
     * acknowledged and nothing queued (queued data behind a closed window is the persist timer's business).
     */
    private long keepAliveDeadline() {
        long idle = config.keepAliveIdleNanos();
        if (idle == 0) {
            return NEVER;
        }
        switch (state) {
            case ESTABLISHED, CLOSE_WAIT -> { }
            case FIN_WAIT_2 -> {
                if (config.finWait2TimeoutNanos() > 0) {
                    return NEVER; // the FIN-WAIT-2 bound takes its place (see TcpConfig)
                }
            }
            default -> {
                return NEVER;
            }
        }
        if (sndUna != sndMax || queuedBytes() > 0) {
            return NEVER;
        }
        return keepAliveProbesOut == 0 ? later(lastHeard, idle) : later(keepAliveProbeAt,
                config.keepAliveIntervalNanos());
    }

    /** When FIN-WAIT-2 has been silent for {@link TcpConfig#finWait2TimeoutNanos()}, else {@link #NEVER}. */
    private long finWait2Deadline() {
        long timeout = config.finWait2TimeoutNanos();
        return state == TcpState.FIN_WAIT_2 && timeout > 0 ? later(lastHeard, timeout) : NEVER;
    }

    /** {@code t + d}, saturating at {@link #NEVER}. */
    private static long later(long t, long d) {
        return d >= NEVER - t ? NEVER : t + d;
    }

    /** A segment from a live peer arrived: the idle clock restarts and no probe is unanswered. */
    private void heard(long now) {
        lastHeard = now;
        keepAliveProbesOut = 0;
        persistProbesOut = 0;
    }

    /** The peer is presumed dead: RST (RFC 9293 3.10.5 ABORT), cause TIMED_OUT, and the RST goes out now. */
    private void giveUp(long now, SegmentEmitter out) {
        abortWith(TcpCloseCause.TIMED_OUT);
        dispatch(now, out);
    }

    /** RFC 6298 5.4-5.7 (or a SYN / SYN-ACK retransmission, or a zero-window probe timeout). */
    private void onRetransmitTimeout(long now) {
        stats.timeouts++;
        rtxDeadline = NEVER;
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            if (++retries > config.synRetries()) {
                toClosed(TcpCloseCause.TIMED_OUT, true);
                return;
            }
            rtt().backoff();
            synDue = true;
            return;
        }
        if (sndUna == sndMax) {
            return; // nothing outstanding (timer should have been off)
        }
        if (SeqNumber.diff(SeqNumber.add(sndWl2, sndWnd), sndUna) <= 0) {
            // The peer closed its window with data of ours outstanding: nothing may be resent into a closed window,
            // so rewind and let the persist timer probe. RFC 9293 3.8.6.1: the connection must not be dropped while
            // the peer keeps answering probes, so this is not counted as a retransmission failure (probes that get
            // no answer at all are counted, see dispatch).
            sndNxt = sndUna;
            rttTiming = false;
            return;
        }
        if (++retries > config.maxRetransmissions()) {
            abortWith(TcpCloseCause.TIMED_OUT);
            return;
        }
        // RFC 6298 5.4: "Retransmit the earliest segment that has not been acknowledged"; we go back N: SND.NXT
        // returns to SND.UNA and the (collapsed) congestion window paces the resend.
        cc.onTimeout(SeqNumber.diff(sndMax, sndUna), sndMax);
        sndNxt = sndUna;
        if (scoreboard != null) {
            scoreboard.clear(); // RFC 2018 section 8
        }
        rttTiming = false; // Karn
        fastRetransmitDue = false;
        // 5.5: "The host MUST set RTO <- RTO * 2"; 5.6: "Start the retransmission timer".
        rtt().backoff();
        rtxDeadline = now + rtt().rto();
    }

    /** Sends new data (and FIN) from SND.NXT while windows allow. */
    private void sendData(SegmentEmitter out, long now) {
        int len;
        while (dataBudget > 0 && (len = nextSegmentLength()) >= 0) {
            int seq = sndNxt;
            int sent = emitAt(out, seq, len, now);
            dataBudget -= sent;
            if (SeqNumber.lt(seq, sndMax)) {
                stats.retransmittedSegments++;
            } else if (!tsEnabled && !rttTiming) {
                rttTiming = true;
                rttSeq = seq;
                rttStart = now;
            }
            sndNxt = SeqNumber.add(seq, sent);
            if (SeqNumber.gt(sndNxt, sndMax)) {
                sndMax = sndNxt;
            }
            if (rtxDeadline == NEVER) {
                rtxDeadline = now + rtt().rto();
            }
        }
    }

    /**
     * Length of the next data segment {@link #sendData} would send from SND.NXT (0 for a bare FIN), or -1 when
     * nothing may be sent now.
     */
    private int nextSegmentLength() {
        switch (state) {
            case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK -> { }
            default -> {
                return -1;
            }
        }
        int dataEnd = SeqNumber.add(bufSeq, queuedBytes());
        int avail = SeqNumber.diff(dataEnd, sndNxt);
        boolean finPending = finQueued && SeqNumber.le(sndNxt, dataEnd);
        if (avail <= 0 && !finPending) {
            return -1;
        }
        int inFlight = SeqNumber.diff(sndNxt, sndUna);
        // The peer's window is relative to the ACK that carried it (SND.WL2), not to SND.UNA: an ACK may advance
        // SND.UNA without passing the window-update test, and SND.UNA + SND.WND would then overshoot the right edge
        // the peer actually offered.
        int usable = Math.min(sendWindowLeft(), cc.cwnd() - inFlight);
        int mss = sndMss - sackOptionLength();
        int len = Math.min(Math.min(avail, mss), Math.max(usable, 0));
        if (avail > 0 && len <= 0) {
            return -1;
        }
        // Sender silly window avoidance (RFC 9293 3.8.6.2.1): send only a full segment, all that is left, or at least
        // half the largest window the peer offered; unless nothing is in flight (no ACK would come to wake us).
        if (len < avail && len < mss && len < sndMaxWnd / 2 && inFlight > 0) {
            return -1;
        }
        return len;
    }

    /** Bytes between SND.NXT and the right edge of the peer's window (SND.WL2 + SND.WND); may be negative. */
    private int sendWindowLeft() {
        return SeqNumber.diff(SeqNumber.add(sndWl2, sndWnd), sndNxt);
    }

    /**
     * Emits a segment at {@code seq} with up to {@code maxLen} data bytes, plus FIN when it ends at the FIN's place.
     * Returns the sequence space it occupies.
     */
    private int emitAt(SegmentEmitter out, int seq, int maxLen, long now) {
        int dataEnd = SeqNumber.add(bufSeq, queuedBytes());
        int offset = SeqNumber.diff(seq, bufSeq);
        int len = Math.max(0, Math.min(maxLen, SeqNumber.diff(dataEnd, seq)));
        boolean fin = finQueued && SeqNumber.add(seq, len) == dataEnd;
        if (SeqNumber.lt(seq, sndMax)) {
            rtxTsVal = tsNow(now);
            rtxHigh = sndMax;
            rtxTsValid = true;
        }
        ByteBuf data = sendBuf().retainedSlice(offset, len);
        TcpControl ctl = fin ? TcpControl.FIN
                : (len > 0 && SeqNumber.add(seq, len) == dataEnd ? TcpControl.PSH : TcpControl.NONE);
        stats.bytesOut += len;
        send(out, segment(out, ctl, seq, now, len), data);
        return len + (fin ? 1 : 0);
    }

    /** Fast retransmit / partial ACK / SACK hole: one segment without moving SND.NXT. */
    private void retransmitHole(SegmentEmitter out, long now) {
        int at = sndUna;
        int max = sndMss - sackOptionLength();
        if (sackEnabled && !scoreboardEmpty()) {
            long hole = nextSackHole();
            if (hole == NO_HOLE) {
                return;
            }
            at = (int) hole;
            max = Math.min(max, SeqNumber.diff(scoreboard().holeEnd(at, SeqNumber.add(at, max)), at));
        }
        if (!SeqNumber.lt(at, sndMax)) {
            return;
        }
        max = Math.min(max, SeqNumber.diff(sndMax, at));
        int sent = emitAt(out, at, max, now);
        stats.retransmittedSegments++;
        highRxt = SeqNumber.add(at, sent);
        highRxtValid = true;
        if (rtxDeadline == NEVER) {
            rtxDeadline = now + rtt().rto();
        }
    }

    /**
     * The next hole at or after max(SND.UNA, HighRxt) below the highest SACKed byte (its sequence number's 32 bits as
     * an unsigned value), or {@link #NO_HOLE}.
     */
    private long nextSackHole() {
        int from = highRxtValid && SeqNumber.gt(highRxt, sndUna) ? highRxt : sndUna;
        if (scoreboardEmpty()) {
            return from == sndUna ? Integer.toUnsignedLong(sndUna) : NO_HOLE;
        }
        int hole = scoreboard().nextHole(from);
        return SeqNumber.lt(hole, scoreboard().highest()) ? Integer.toUnsignedLong(hole) : NO_HOLE;
    }

    /**
     * A zero-window probe (RFC 9293 3.8.6.1: the sender "must regularly retransmit to the receiving TCP peer even when
     * the window is zero, in order to 'probe' the window"). As Linux does, the probe is an ACK with sequence number
     * SND.UNA - 1 and no data: it is unacceptable to the receiver, which must answer with an ACK carrying its current
     * window, and it consumes no sequence space, so nothing needs retransmitting if the window stays shut.
     */
    private void emitProbe(SegmentEmitter out, long now) {
        stats.zeroWindowProbes++;
        persistProbesOut++;
        send(out, segment(out, TcpControl.NONE, SeqNumber.add(sndUna, -1), now, 0), Unpooled.EMPTY_BUFFER);
    }

    /**
     * Arms the persist timer when the peer's window is closed with data waiting and nothing in flight
     * (RFC 9293 3.8.6.1: "The transmitting host SHOULD send the first zero-window probe when a zero window has
     * existed for the retransmission timeout period ... and SHOULD increase exponentially the interval").
     */
    private void updatePersist(long now) {
        boolean waiting = state.isSynchronized() && sendWindowLeft() <= 0 && sndNxt == sndUna
                && SeqNumber.lt(sndNxt, SeqNumber.add(bufSeq, queuedBytes()));
        if (!waiting) {
            persistDeadline = NEVER;
        } else if (persistDeadline == NEVER) {
            long interval = rtt().rto();
            for (int i = 0; i < persistBackoff && interval < config.maxRtoNanos(); i++) {
                interval <<= 1;
            }
            persistDeadline = now + Math.min(interval, config.maxRtoNanos());
            persistBackoff++;
        }
    }

    private void emitSyn(SegmentEmitter out, long now) {
        // RFC 7323 2.2: a SYN-ACK may carry Window Scale "only if it has received it in the initial <SYN>".
        boolean offerScale = state == TcpState.SYN_SENT ? config.windowScaling() : wscaleOk;
        // RFC 7323 2.2: "The window field in a segment where the SYN bit is set ... MUST NOT be scaled."
        int wnd = Math.min(windowSpace(), 0xFFFF);
        synWindow = wnd;
        TcpHeader syn = header(out).start(key.localPort(), key.remotePort(), TcpControl.SYN, iss).setWindow(wnd)
                .setMaxSegmentSize(config.mss()).setSackPermitted(sackEnabled);
        if (offerScale) {
            syn.setWindowScale(rcvWscale);
        }
        if (tsEnabled) {
            syn.setTimestamps(tsNow(now), state == TcpState.SYN_SENT ? 0 : tsRecent);
        }
        if (state != TcpState.SYN_SENT) {
            syn.setAck(rcvNxt);
            rcvAdvRight = SeqNumber.max(rcvAdvRight, SeqNumber.add(rcvNxt, wnd));
            lastAckSent = rcvNxt;
            ackSent = true;
        }
        sndNxt = SeqNumber.add(iss, 1);
        if (SeqNumber.lt(sndMax, sndNxt)) {
            sndMax = sndNxt;
        }
        clearAckState();
        send(out, syn, Unpooled.EMPTY_BUFFER);
    }

    /**
     * A keep-alive probe, RFC 9293 3.8.4: "Such a segment generally contains SEG.SEQ = SND.NXT-1 and may or may not
     * contain one garbage octet of data"; "An implementation SHOULD send a keep-alive segment with no data". So,
     * as Linux: {@code <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>}, unacceptable to a live peer, which must answer with an
     * ACK (RFC 9293 3.10.7.4); a peer that lost the connection answers with {@code <SEQ=RCV.NXT><CTL=RST>}
     * (reset generation from our ACK field), which closes us. Nothing is outstanding, so SND.NXT = SND.MAX.
     */
    private void emitKeepAlive(SegmentEmitter out, long now) {
        keepAliveProbesOut++;
        keepAliveProbeAt = now;
        stats.keepAliveProbes++;
        send(out, segment(out, TcpControl.NONE, SeqNumber.add(sndMax, -1), now, 0), Unpooled.EMPTY_BUFFER);
    }

    private void emitAck(SegmentEmitter out, long now) {
        // SND.MAX rather than a rewound SND.NXT: the receiver may already hold data up to SND.MAX, and a pure ACK
        // below its RCV.NXT would be unacceptable to it (and its news about our receive side lost).
        send(out, segment(out, TcpControl.NONE, sndMax, now, 0), Unpooled.EMPTY_BUFFER);
    }

    /**
     * A non-SYN segment header with ACK, window and options, in the header {@link #header} gives (valid until the
     * next segment is built); updates what the peer knows of our receive side.
     */
    private TcpHeader segment(SegmentEmitter out, TcpControl ctl, int seq, long now, int len) {
        int wnd = advertisedWindow();
        TcpHeader h = header(out).start(key.localPort(), key.remotePort(), ctl, seq).setAck(rcvNxt).setWindow(wnd)
                .setPayloadLength(len);
        if (tsEnabled) {
            h.setTimestamps(tsNow(now), tsRecent);
        }
        if (sackEnabled && !reassemblyEmpty()) {
            reassembly().sackBlocks(tsEnabled ? 3 : 4, h);
        }
        rcvAdvRight = SeqNumber.max(rcvAdvRight, SeqNumber.add(rcvNxt, wnd << rcvWscale));
        lastAckSent = rcvNxt;
        ackSent = true;
        clearAckState();
        return h;
    }

    private void clearAckState() {
        ackNow = false;
        ackDeadline = NEVER;
        bytesSinceAck = 0;
    }

    /** Option bytes SACK blocks will take in the next segment (so data segments shrink to fit the MSS). */
    private int sackOptionLength() {
        if (!sackEnabled || reassemblyEmpty()) {
            return 0;
        }
        int n = Math.min(reassembly().ranges(), tsEnabled ? 3 : 4);
        return 4 + 8 * n;
    }

    /**
     * The Window field for the next segment, scaled. Receiver silly window avoidance (RFC 9293 3.8.6.2.2): the right
     * edge moves forward only by at least min(buffer / 2, MSS); it never moves back ("shrinking the window" is
     * strongly discouraged, 3.8.6.2.2).
     */
    private int advertisedWindow() {
        int current = Math.max(SeqNumber.diff(rcvAdvRight, rcvNxt), 0);
        int space = windowSpace();
        int wnd = space - current >= Math.min(config.recvBufferSize() / 2, config.mss()) ? space : current;
        return Math.min(wnd >>> rcvWscale, 0xFFFF);
    }

    /** Free receive buffer space, capped at what a scaled window can express. */
    private int windowSpace() {
        int free = config.recvBufferSize() - bufferedBytes();
        return Math.max(0, Math.min(free, 0xFFFF << rcvWscale));
    }

    /** Our TSval: milliseconds of the injected clock plus a per-connection offset (RFC 7323 section 5.4). */
    private int tsNow(long now) {
        return (int) (now / MS) + tsOffset;
    }

    private void send(SegmentEmitter out, TcpHeader seg, ByteBuf payload) {
        stats.segmentsOut++;
        out.emit(key, seg, payload);
    }

    private int finSeq() {
        return SeqNumber.add(bufSeq, queuedBytes());
    }

    /** RFC 5961 section 7 ("challenge ACK throttling"): at most {@code challengeAckLimit} per second. */
    private void challengeAck(long now) {
        int limit = config.challengeAckLimit();
        if (limit > 0) {
            if (now - challengeWindowStart >= 1_000_000_000L) {
                challengeWindowStart = now;
                challengeCount = 0;
            }
            if (++challengeCount > limit) {
                stats.challengeAcksSuppressed++;
                return;
            }
        }
        stats.challengeAcks++;
        ackNow = true;
    }

    private void enterTimeWait(long now) {
        state = TcpState.TIME_WAIT;
        timeWaitDeadline = now + 2 * config.mslNanos();
        rtxDeadline = NEVER;
        persistDeadline = NEVER;
        fastRetransmitDue = false;
        probeDue = false;
        releaseSendBuf();
        releaseReassembly();
    }

    private void toClosed(TcpCloseCause cause, boolean flushReceived) {
        state = TcpState.CLOSED;
        if (closeCause == TcpCloseCause.NONE) {
            closeCause = cause;
        }
        rtxDeadline = NEVER;
        persistDeadline = NEVER;
        timeWaitDeadline = NEVER;
        clearAckState();
        synDue = false;
        fastRetransmitDue = false;
        probeDue = false;
        releaseSendBuf();
        releaseReassembly();
        if (flushReceived) {
            releaseRecvBuf();
        }
    }

    private void abortWith(TcpCloseCause cause) {
        switch (state) {
            case SYN_PENDING -> queueResetAck(SeqNumber.add(irs, 1 + synPayloadLength));
            // RFC 9293 3.10.5 ABORT: "send a reset segment: <SEQ=SND.NXT><CTL=RST>" (SYN-SENT sends none).
            case SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK -> {
                queueReset(sndMax, false, 0);
            }
            default -> { }
        }
        toClosed(cause, true);
    }

    private void requireState(TcpState expected) {
        if (state != expected) {
            throw new IllegalStateException("in " + state + ", expected " + expected);
        }
    }

    /**
     * Writes into {@code rst} the reset RFC 9293 ("Reset Generation", 3.5.2) prescribes in answer to {@code seg} when
     * no connection wants it, and returns true; returns false (and leaves {@code rst} alone) when {@code seg} is itself
     * a RST: "If the incoming segment has the ACK bit set, the reset takes its sequence number from the ACK field of
     * the segment; otherwise, the reset has sequence number zero and the ACK field is set to the sum of the sequence
     * number and segment length of the incoming segment."
     */
    public static boolean resetFor(TcpHeader seg, TcpHeader rst) {
        if (seg.control() == TcpControl.RST) {
            return false;
        }
        rst.start(seg.dstPort(), seg.srcPort(), TcpControl.RST, resetSeq(seg));
        if (!seg.hasAck()) {
            rst.setAck(resetAck(seg));
        }
        return true;
    }

    /** The SEQ of the reset answering {@code seg} ({@link #resetFor}): its ACK field if it has one, else zero. */
    private static int resetSeq(TcpHeader seg) {
        return seg.hasAck() ? seg.ack() : 0;
    }

    /** The ACK of the reset answering {@code seg} when it has no ACK field itself: SEG.SEQ + SEG.LEN. */
    private static int resetAck(TcpHeader seg) {
        return SeqNumber.add(seg.seq(), seg.segmentLength());
    }

    /**
     * Makes the reset {@link #resetFor} prescribes for {@code seg} due at the next dispatch, kept as numbers; a RST
     * ({@code seg} itself one) is answered with nothing, and a reset already due is dropped.
     */
    private void queueResetFor(TcpHeader seg) {
        if (seg.control() == TcpControl.RST) {
            rstDue = false;
        } else {
            queueReset(resetSeq(seg), !seg.hasAck(), resetAck(seg));
        }
    }

    /** Makes {@code <SEQ=0><ACK=ack><CTL=RST,ACK>} due at the next dispatch (the answer to a pending SYN). */
    private void queueResetAck(int ack) {
        queueReset(0, true, ack);
    }

    private void queueReset(int seq, boolean hasAck, int ack) {
        rstDue = true;
        rstSeq = seq;
        rstHasAck = hasAck;
        rstAck = ack;
    }

    /** The header to fill for the next segment: the emitter's, if it lends one, or this connection's own. */
    private TcpHeader header(SegmentEmitter out) {
        TcpHeader h = out.header();
        if (h != null) {
            return h;
        }
        if (ownHeader == null) {
            ownHeader = new TcpHeader();
        }
        return ownHeader;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Application side

    /**
     * Queues bytes for the peer (host to guest): copies up to {@link #sendCapacity()} readable bytes of {@code src},
     * advancing its reader index, and returns how many. The caller keeps ownership of {@code src}. Data queued before
     * the handshake completes goes out once it has.
     *
     * @throws IllegalStateException when the send side is closed ({@link #canSend()} is false)
     */
    public int send(ByteBuf src) {
        if (!canSend()) {
            throw new IllegalStateException("cannot send in " + state + (finQueued ? " after shutdownSend" : ""));
        }
        int n = sendBuf().write(src);
        updatePersist(lastNow);
        return n;
    }

    /**
     * Queues bytes for the peer straight from {@code src} (a host socket's read): up to {@code maxBytes} and
     * {@link #sendCapacity()}, read into the send buffer's own chunks with no copy of ours in between. Returns the
     * bytes taken, or -1 when {@code src} was at its end (the caller then calls {@link #shutdownSend()}).
     *
     * @throws IllegalStateException when the send side is closed ({@link #canSend()} is false)
     */
    public <E extends Exception> int sendFrom(ByteSource<E> src, int maxBytes) throws E {
        if (!canSend()) {
            throw new IllegalStateException("cannot send in " + state + (finQueued ? " after shutdownSend" : ""));
        }
        int n = sendBuf().writeFrom(src, maxBytes);
        if (n > 0) {
            updatePersist(lastNow);
        }
        return n;
    }

    /** Bytes {@link #send} would take now: free send buffer space, 0 when the send side is closed. */
    public int sendCapacity() {
        return canSend() ? sendBuf().free() : 0;
    }

    /** Bytes queued for the peer and not yet acknowledged. */
    public int sendQueued() {
        return queuedBytes();
    }

    /** True while {@link #send} accepts data: not closed, no {@link #shutdownSend()} yet. */
    public boolean canSend() {
        return !finQueued && switch (state) {
            case SYN_PENDING, SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT -> true;
            default -> false;
        };
    }

    /**
     * Closes our sending direction (RFC 9293 3.10.4 CLOSE): a FIN follows the buffered data. Receiving goes on
     * (half-close). ESTABLISHED becomes FIN_WAIT_1, CLOSE_WAIT becomes LAST_ACK; before the handshake completes the
     * FIN waits for it. Idempotent; does nothing when already closed.
     */
    public void shutdownSend() {
        if (finQueued) {
            return;
        }
        switch (state) {
            case SYN_PENDING, SYN_SENT, SYN_RECEIVED -> finQueued = true; // sent once ESTABLISHED
            // "ESTABLISHED STATE: Queue this until all preceding SENDs have been segmentized, then form a FIN segment
            // and send it. In any case, enter FIN-WAIT-1 state."
            case ESTABLISHED -> {
                finQueued = true;
                state = TcpState.FIN_WAIT_1;
            }
            // "CLOSE-WAIT STATE: Queue this request until all preceding SENDs have been segmentized; then send a FIN
            // segment, enter LAST-ACK state."
            case CLOSE_WAIT -> {
                finQueued = true;
                state = TcpState.LAST_ACK;
            }
            default -> { }
        }
    }

    /**
     * Resets the connection (RFC 9293 3.10.5 ABORT): queued data is discarded, a RST goes out at the next
     * {@link #dispatch} (as the answer to the SYN when still pending), the state becomes CLOSED.
     */
    public void abort() {
        if (state != TcpState.CLOSED) {
            abortWith(TcpCloseCause.ABORTED);
        }
    }

    /**
     * Copies up to {@code dst.writableBytes()} received bytes (guest to host) into {@code dst}; returns the count.
     * The caller keeps ownership of {@code dst}. May make a window update due (see {@link #pollAt()}).
     */
    public int recv(ByteBuf dst) {
        int n = recvBuf == null ? 0 : recvBuf.read(dst);
        afterRead();
        return n;
    }

    /**
     * Up to {@code maxBytes} received bytes as a buffer the caller owns and must release (a retained slice of the
     * receive buffer, no copy; {@link Unpooled#EMPTY_BUFFER} when nothing is readable). One call returns bytes of one
     * internal chunk at most; call again while {@link #isReadable()}.
     */
    public ByteBuf recv(int maxBytes) {
        ByteBuf b = recvBuf == null ? Unpooled.EMPTY_BUFFER : recvBuf.readRetained(maxBytes);
        afterRead();
        return b;
    }

    /**
     * Hands received bytes (guest to host) to {@code sink} in place, chunk by chunk, until it takes less than it was
     * offered or none are left; returns the count. What it does not take stays here, in order, for the next call. May
     * make a window update due (see {@link #pollAt()}).
     */
    public <E extends Exception> int recvTo(ByteSink<E> sink) throws E {
        int n = recvBuf == null ? 0 : recvBuf.drainTo(sink);
        if (n > 0) {
            afterRead();
        }
        return n;
    }

    /**
     * From now on, hands in-order segments of at least {@link #DIRECT_MIN} bytes to {@code receiver} as they arrive,
     * while nothing received waits in the receive buffer; what it does not take is buffered. Null stops it.
     */
    public void receiveDirectlyTo(DirectReceiver receiver) {
        this.direct = receiver;
    }

    /**
     * Gives back the receive buffer's memory when it holds nothing (its last chunk is kept between reads for reuse);
     * returns the bytes given back. For an idle connection, on the caller's schedule (the daemon does it before each
     * heap compaction).
     */
    public int releaseIdleBuffers() {
        return recvBuf == null ? 0 : recvBuf.releaseIfEmpty();
    }

    private void afterRead() {
        if (!state.isSynchronized() || remoteFinReceived) {
            return;
        }
        // Window update after the application read: when the window we could offer is at least double what the
        // peer sees and grew by at least a segment (Linux's rule; see also RFC 9293 3.8.6.2.2).
        int current = Math.max(SeqNumber.diff(rcvAdvRight, rcvNxt), 0);
        int space = windowSpace();
        if (space >= 2 * current && space - current >= Math.min(config.mss(), config.recvBufferSize() / 2)) {
            ackNow = true;
        }
    }

    /**
     * True when a new SYN from the peer may replace this connection: it is in TIME-WAIT (or closed) and the SYN's
     * sequence number is beyond RCV.NXT, so no old duplicate can be confused with the new incarnation (RFC 9293
     * 3.10.7.4 and RFC 6191 allow reopening from TIME-WAIT on this condition).
     */
    public boolean acceptsNewSyn(TcpHeader syn) {
        if (syn.control() != TcpControl.SYN || syn.hasAck()) {
            return false;
        }
        return state == TcpState.CLOSED
                || (state == TcpState.TIME_WAIT && SeqNumber.gt(syn.seq(), rcvNxt));
    }

    /** Received bytes waiting to be read. */
    public int readableBytes() {
        return bufferedBytes();
    }

    /** True when {@link #readableBytes()} is positive. */
    public boolean isReadable() {
        return bufferedBytes() > 0;
    }

    /** True once the peer's FIN has arrived in order: no more data will come after what is readable. */
    public boolean isRecvShutdown() {
        return remoteFinReceived;
    }

    /** End of stream for the reader: the peer's FIN arrived and everything before it has been read. */
    public boolean isRecvFinished() {
        return remoteFinReceived && bufferedBytes() == 0;
    }

    /** The current state. */
    public TcpState state() {
        return state;
    }

    /** Why the connection closed; {@link TcpCloseCause#NONE} while it is not closed. */
    public TcpCloseCause closeCause() {
        return closeCause;
    }

    /** True once the handshake completed ({@link TcpState#isSynchronized()}), also while closing. */
    public boolean isEstablished() {
        return state.isSynchronized();
    }

    /** True when closed and nothing is left to emit: the owner may {@link #release()} and forget it. */
    public boolean isTerminated() {
        return state == TcpState.CLOSED && !rstDue;
    }

    /** The four-tuple. */
    public TcpConnectionKey key() {
        return key;
    }

    /** The counters this connection writes to. */
    public TcpStats stats() {
        return stats;
    }

    /** The configuration. */
    public TcpConfig config() {
        return config;
    }

    /** Our initial sequence number. */
    public SeqNumber iss() {
        return SeqNumber.of(iss);
    }

    /** The peer's initial sequence number. */
    public SeqNumber irs() {
        return SeqNumber.of(irs);
    }

    /** Current congestion window in bytes (for tests and statistics); 0 before a passive open is accepted. */
    public int congestionWindow() {
        return cc == null ? 0 : cc.cwnd();
    }

    /** The peer's current (scaled) receive window in bytes. */
    public int peerWindow() {
        return sndWnd;
    }

    /** The current retransmission timeout, backoff included, in nanoseconds. */
    public long retransmissionTimeout() {
        return rtt().rto();
    }

    /** Smoothed RTT in nanoseconds, or -1 before the first sample. */
    public long smoothedRtt() {
        return rtt == null ? -1 : rtt.srtt();
    }

    /** The payload size we send per segment (peer MSS minus our fixed options). */
    public int sendMss() {
        return sndMss;
    }

    /** The shift applied to our window field: non-zero only when both SYNs carried Window Scale (RFC 7323). */
    public int receiveWindowShift() {
        return rcvWscale;
    }

    /** The shift applied to the peer's window field. */
    public int sendWindowShift() {
        return sndWscale;
    }

    /** True when both SYNs carried Timestamps. */
    public boolean timestampsEnabled() {
        return tsEnabled;
    }

    /** True when both SYNs carried SACK-permitted. */
    public boolean sackEnabled() {
        return sackEnabled;
    }

    // ------------------------------------------------------------------------------------------------------------
    // The parts made on first use

    private SendBuffer sendBuf() {
        if (sendBuf == null) {
            sendBuf = new SendBuffer(alloc, config.sendBufferSize());
        }
        return sendBuf;
    }

    private ReceiveBuffer recvBuf() {
        if (recvBuf == null) {
            recvBuf = new ReceiveBuffer(alloc);
        }
        return recvBuf;
    }

    private ReassemblyQueue reassembly() {
        if (reassembly == null) {
            reassembly = new ReassemblyQueue(alloc, config.maxReassemblySegments());
        }
        return reassembly;
    }

    private SackScoreboard scoreboard() {
        if (scoreboard == null) {
            scoreboard = new SackScoreboard();
        }
        return scoreboard;
    }

    private RttEstimator rtt() {
        if (rtt == null) {
            rtt = new RttEstimator(config.initialRtoNanos(), config.minRtoNanos(), config.maxRtoNanos());
        }
        return rtt;
    }

    /** Bytes in the send buffer (sent and unacknowledged, or not sent yet). */
    private int queuedBytes() {
        return sendBuf == null ? 0 : sendBuf.length();
    }

    /** In-order received bytes not read yet. */
    private int bufferedBytes() {
        return recvBuf == null ? 0 : recvBuf.readableBytes();
    }

    private boolean reassemblyEmpty() {
        return reassembly == null || reassembly.isEmpty();
    }

    private boolean scoreboardEmpty() {
        return scoreboard == null || scoreboard.isEmpty();
    }

    private void releaseSendBuf() {
        if (sendBuf != null) {
            sendBuf.release();
        }
    }

    private void releaseRecvBuf() {
        if (recvBuf != null) {
            recvBuf.release();
        }
    }

    private void releaseReassembly() {
        if (reassembly != null) {
            reassembly.release();
        }
    }

    /**
     * Frees every buffer the connection holds (send, receive, reassembly). Call exactly when forgetting the
     * connection; idempotent. Does not emit anything; {@link #abort()} first for a RST.
     */
    public void release() {
        if (released) {
            return;
        }
        released = true;
        releaseSendBuf();
        releaseRecvBuf();
        releaseReassembly();
        if (state != TcpState.CLOSED) {
            state = TcpState.CLOSED;
            if (closeCause == TcpCloseCause.NONE) {
                closeCause = TcpCloseCause.ABORTED;
            }
        }
        rstDue = false;
    }

    @Override
    public String toString() {
        return "TcpConnection[" + key + " " + state + " snd.una=" + Integer.toUnsignedString(sndUna) + " snd.nxt="
                + Integer.toUnsignedString(sndNxt) + " snd.wnd=" + sndWnd + " cwnd=" + (cc != null ? cc.cwnd() : 0)
                + " rcv.nxt=" + Integer.toUnsignedString(rcvNxt) + " queued="
                + queuedBytes() + " readable=" + bufferedBytes() + "]";
    }
}
