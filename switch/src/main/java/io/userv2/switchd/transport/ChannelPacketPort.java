package io.userv2.switchd.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.switchd.EventLoop;
import io.userv2.switchd.LearningSwitch;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * A VM on a connected packet socket of its own: an accepted SOCK_SEQPACKET connection (bess) or a SOCK_DGRAM socket
 * handed over by fd passing (Lima under vz). Reads and writes happen on the loop thread; the {@link AfPoller} only
 * says when.
 *
 * <p>The peer going away shows as a hang-up (SOCK_SEQPACKET: junixsocket's selector then closes the channel) or, for a
 * SOCK_DGRAM socketpair, which reports nothing when its other end closes, as "connection refused" on the next send.
 * A zero-length packet reads like "nothing there" and is ignored.
 */
final class ChannelPacketPort extends PacketPort implements AfPoller.Handler {
    private static final System.Logger LOG = System.getLogger(ChannelPacketPort.class.getName());
    /** Packets read per readiness before the other ports get their turn. */
    private static final int READ_BUDGET = 64;
    /** Socket buffers asked for (the kernel caps them at net.core.[rw]mem_max). */
    static final int SOCKET_BUFFER = 4 * 1024 * 1024;

    private final AFUNIXDatagramChannel channel;
    /** The descriptor to close after the channel, for a channel made from a passed descriptor; else null. */
    private final FileDescriptor ownedDescriptor;
    private final AfPoller poller;
    private final ByteBufAllocator alloc;
    private final Runnable readMore = this::readSome;
    private AfPoller.Registration registration;
    private ByteBuf ingress;
    private boolean readDeferred;
    private boolean writeBlocked;
    /** Length of a packet in {@link #ingress} that the budget refused and that goes first next time; 0 if none. */
    private int held;

    /**
     * A port on {@code channel}. {@code ownedDescriptor} is for a channel junixsocket made from a descriptor
     * ({@code FileDescriptorCast}): closing such a channel leaves its descriptor open, so the port closes it.
     */
    ChannelPacketPort(String name, AFUNIXDatagramChannel channel, FileDescriptor ownedDescriptor, AfPoller poller,
            EventLoop loop, LearningSwitch sw, ByteBufAllocator alloc, int maxFrame, int egressLimit,
            Runnable onClosed) {
        super(name, loop, sw, alloc, maxFrame, egressLimit, onClosed);
        this.channel = channel;
        this.ownedDescriptor = ownedDescriptor;
        this.poller = poller;
        this.alloc = alloc;
    }

    /** Makes the channel non-blocking, attaches to the switch and starts reading; loop thread (or before it runs). */
    void start() throws IOException {
        channel.configureBlocking(false);
        try {
            channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.DEBUG, name() + ": socket buffer sizes left as they are: " + e);
        }
        attach();
        registration = poller.register(channel, SelectionKey.OP_READ, this);
    }

    @Override
    public void ready(int readyOps) {
        if (isClosed()) {
            return;
        }
        if ((readyOps & AfPoller.HANGUP) != 0 || !channel.isOpen()) {
            if (channel.isOpen()) {
                readSome(); // what the peer sent before it went (one budget's worth)
            }
            close();
            return;
        }
        if ((readyOps & SelectionKey.OP_WRITE) != 0 && writeBlocked) {
            writeBlocked = false;
            resume();
        }
        if ((readyOps & SelectionKey.OP_READ) != 0 && !readDeferred) {
            readSome();
        } else {
            rearm();
        }
    }

    private void readSome() {
        readDeferred = false;
        if (isClosed()) {
            return;
        }
        int capacity = maxFrame() + 1;
        ByteBuf in = ingress;
        if (in == null) {
            in = ingress = alloc.directBuffer(capacity, capacity);
        }
        if (held > 0) {
            if (!ingress(in, 0, held, System.nanoTime())) {
                deferRead();
                return;
            }
            held = 0;
            if (isClosed()) {
                return;
            }
        }
        for (int i = 0; i < READ_BUDGET; i++) {
            if (budgetSpent()) {
                deferRead();
                return;
            }
            ByteBuffer nio = in.internalNioBuffer(0, capacity);
            int n;
            try {
                n = channel.read(nio);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.INFO, name() + ": read failed (" + e.getMessage() + ")");
                close();
                return;
            }
            if (n < 0) {
                close();
                return;
            }
            if (n == 0) {
                rearm(); // drained (or an empty packet: ignored)
                return;
            }
            if (!ingress(in, 0, n, System.nanoTime())) {
                held = n; // left unread in effect: switched first in a later iteration
                counters().countBudgetPause();
                deferRead();
                return;
            }
            if (isClosed()) {
                return;
            }
        }
        deferRead();
    }

    /** Goes on reading in the next loop iteration rather than when the poller next sees the socket readable. */
    private void deferRead() {
        readDeferred = true;
        poller.soon(readMore);
        rearm();
    }

    private void rearm() {
        int ops = (readDeferred ? 0 : SelectionKey.OP_READ) | (writeBlocked ? SelectionKey.OP_WRITE : 0);
        if (ops != 0) {
            registration.arm(ops);
        }
    }

    /** Closes a descriptor nobody else owns (FileInputStream.close closes the one it wraps). */
    static void closeDescriptor(FileDescriptor fd) {
        if (fd.valid()) {
            try {
                new FileInputStream(fd).close();
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }

    @Override
    protected int send(ByteBuffer frame) throws IOException {
        return channel.write(frame);
    }

    @Override
    protected void sendBlocked() {
        if (!writeBlocked) {
            writeBlocked = true;
            rearm();
        }
    }

    @Override
    protected void closeSocket() {
        Runnable release = ownedDescriptor == null ? null : () -> closeDescriptor(ownedDescriptor);
        if (registration != null) {
            registration.close(release);
        } else {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            if (release != null) {
                release.run();
            }
        }
        if (ingress != null) {
            ingress.release();
            ingress = null;
        }
    }
}
