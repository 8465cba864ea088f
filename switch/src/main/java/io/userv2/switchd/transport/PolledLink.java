package io.userv2.switchd.transport;

import io.userv2.switchd.port.Link;
import io.userv2.switchd.port.LinkPort;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.WritableByteChannel;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * A {@link Link} over a connected junixsocket packet socket of one peer: an accepted or connected SOCK_SEQPACKET
 * connection (bess) or a SOCK_DGRAM socket handed over by fd passing (Lima under vz). The {@link AfPoller} says when
 * it is ready; reads and writes happen on the loop thread, in the port.
 *
 * <p>The poller's readiness is one-shot (it clears the channel's interest each time), so {@link #want} re-arms it.
 * The peer going away shows as a hang-up (SOCK_SEQPACKET: junixsocket's selector then closes the channel) or, for a
 * SOCK_DGRAM socketpair, which reports nothing when its other end closes, as "connection refused" on the next send.
 */
final class PolledLink implements Link {
    private static final System.Logger LOG = System.getLogger(PolledLink.class.getName());
    /** Socket buffers asked for (the kernel caps them at net.core.[rw]mem_max). */
    static final int SOCKET_BUFFER = 4 * 1024 * 1024;

    private final AFUNIXDatagramChannel channel;
    /** The descriptor to close after the channel, for a channel made from a passed descriptor; else null. */
    private final FileDescriptor ownedDescriptor;
    private final AfPoller poller;
    private AfPoller.Registration registration;

    /**
     * A link on {@code channel}. {@code ownedDescriptor} is for a channel junixsocket made from a descriptor
     * ({@code FileDescriptorCast}): closing such a channel leaves its descriptor open, so the link closes it.
     */
    PolledLink(AFUNIXDatagramChannel channel, FileDescriptor ownedDescriptor, AfPoller poller) {
        this.channel = channel;
        this.ownedDescriptor = ownedDescriptor;
        this.poller = poller;
    }

    @Override
    public ReadableByteChannel source() {
        return channel;
    }

    @Override
    public WritableByteChannel sink() {
        return channel;
    }

    @Override
    public void watch(LinkPort port) throws IOException {
        channel.configureBlocking(false);
        setBuffers(channel);
        registration = poller.register(channel, SelectionKey.OP_READ, readyOps -> {
            if ((readyOps & AfPoller.HANGUP) != 0 || !channel.isOpen()) {
                port.hungUp();
                return;
            }
            if ((readyOps & SelectionKey.OP_WRITE) != 0) {
                port.writable();
            }
            if ((readyOps & SelectionKey.OP_READ) != 0) {
                port.readable();
            }
        });
    }

    /** Asks for large socket buffers; keeps the kernel's sizes where it refuses. */
    static void setBuffers(AFUNIXDatagramChannel ch) {
        try {
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.DEBUG, "socket buffer sizes left as they are: " + e);
        }
    }

    @Override
    public void want(boolean read, boolean write) {
        int ops = (read ? SelectionKey.OP_READ : 0) | (write ? SelectionKey.OP_WRITE : 0);
        if (ops != 0 && registration != null) {
            registration.arm(ops);
        }
    }

    @Override
    public void close() {
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
}
