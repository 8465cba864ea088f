package io.userv2.stack.tcp;

import io.userv2.stack.wire.SackBlock;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.TcpOptions;
import io.userv2.stack.wire.TcpRepr;
import io.userv2.stack.wire.TcpTimestamps;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A segment in a scripted exchange: header plus data bytes. Built from a template with fluent withers
 * ({@code TcpConnectionTest.SEND_TEMPLATE.seq(REMOTE_SEQ.plus(1)).ack(LOCAL_SEQ.plus(1)).data("abc")}) or captured
 * from the connection's output; tcpdump-style {@link #toString()} for failure messages.
 */
record Seg(int srcPort, int dstPort, TcpControl control, SeqNumber seq, SeqNumber ack, int window, TcpOptions options,
           byte[] data) {

    static Seg of(TcpRepr r, byte[] data) {
        return new Seg(r.srcPort(), r.dstPort(), r.control(), r.seqNumber(), r.ackNumber(), r.window(), r.options(),
                data);
    }

    /** A captured segment: {@code h} is read now (it is the emitting connection's reused header). */
    static Seg of(TcpHeader h, byte[] data) {
        return of(h.toRepr(), data);
    }

    TcpRepr repr() {
        return new TcpRepr(srcPort, dstPort, control, seq, ack, window, options, data.length);
    }

    /** The header as the engine takes it. */
    TcpHeader header() {
        return TcpHeader.of(repr());
    }

    Seg srcPort(int port) {
        return new Seg(port, dstPort, control, seq, ack, window, options, data);
    }

    Seg control(TcpControl c) {
        return new Seg(srcPort, dstPort, c, seq, ack, window, options, data);
    }

    Seg seq(SeqNumber s) {
        return new Seg(srcPort, dstPort, control, s, ack, window, options, data);
    }

    Seg ack(SeqNumber a) {
        return new Seg(srcPort, dstPort, control, seq, a, window, options, data);
    }

    Seg window(int w) {
        return new Seg(srcPort, dstPort, control, seq, ack, w, options, data);
    }

    Seg options(TcpOptions o) {
        return new Seg(srcPort, dstPort, control, seq, ack, window, o, data);
    }

    Seg mss(int mss) {
        return options(new TcpOptions(mss, options.windowScale(), options.sackPermitted(), options.sackBlocks(),
                options.timestamps()));
    }

    Seg wscale(int shift) {
        return options(new TcpOptions(options.maxSegmentSize(), shift, options.sackPermitted(), options.sackBlocks(),
                options.timestamps()));
    }

    Seg sackPermitted() {
        return options(new TcpOptions(options.maxSegmentSize(), options.windowScale(), true, options.sackBlocks(),
                options.timestamps()));
    }

    Seg sack(SackBlock... blocks) {
        return options(options.withSackBlocks(List.of(blocks)));
    }

    Seg ts(int val, int ecr) {
        return options(options.withTimestamps(new TcpTimestamps(val, ecr)));
    }

    Seg data(byte[] d) {
        return new Seg(srcPort, dstPort, control, seq, ack, window, options, d);
    }

    Seg data(String s) {
        return data(s.getBytes(StandardCharsets.US_ASCII));
    }

    String text() {
        return new String(data, StandardCharsets.US_ASCII);
    }

    int len() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Seg s && srcPort == s.srcPort && dstPort == s.dstPort && control == s.control
                && seq.equals(s.seq) && java.util.Objects.equals(ack, s.ack) && window == s.window
                && options.equals(s.options) && Arrays.equals(data, s.data);
    }

    @Override
    public int hashCode() {
        return seq.hashCode();
    }

    @Override
    public String toString() {
        return repr().toString();
    }
}
