package io.userv2.switchd.transport;

import io.userv2.switchd.port.Link;
import io.userv2.switchd.port.LinkPort;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A {@link Link} to one peer of a socket that several peers share ({@link UnixgramTransport}): frames go to the
 * peer's address with sendto; nothing is read here, since the transport receives for every peer and hands each its
 * frames ({@link LinkPort#offer}).
 *
 * <p>When the kernel refuses a sendto for lack of buffer space (EAGAIN), poll(2) cannot say when an unconnected
 * socket may send to this one peer again: the port hears {@link LinkPort#writable()} after a timer instead,
 * {@link UnixgramTransport#RETRY_NANOS} at first, doubling to {@link UnixgramTransport#MAX_RETRY_NANOS} while sends
 * stay refused. Closing it closes nothing (the socket is the transport's).
 */
final class SendToLink implements Link {
    private final AFUNIXDatagramChannel channel;
    private final AFUNIXSocketAddress address;
    private final AfPoller poller;
    private final Runnable retry = this::retry;
    private final WritableByteChannel sink = new WritableByteChannel() {
        @Override
        public int write(ByteBuffer frame) throws IOException {
            return channel.send(frame, address);
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() {
            // the socket is shared by every peer
        }
    };
    private LinkPort port;
    private boolean retryScheduled;
    private long retryDelay = UnixgramTransport.RETRY_NANOS;

    SendToLink(AFUNIXDatagramChannel channel, AFUNIXSocketAddress address, AfPoller poller) {
        this.channel = channel;
        this.address = address;
        this.poller = poller;
    }

    /** The peer's address. */
    AFUNIXSocketAddress address() {
        return address;
    }

    @Override
    public ReadableByteChannel source() {
        return null;
    }

    @Override
    public WritableByteChannel sink() {
        return sink;
    }

    @Override
    public void watch(LinkPort port) {
        this.port = port;
    }

    @Override
    public void want(boolean read, boolean write) {
        if (!write) {
            retryDelay = UnixgramTransport.RETRY_NANOS;
        } else if (!retryScheduled) {
            retryScheduled = true;
            poller.later(retry, retryDelay);
            retryDelay = Math.min(2 * retryDelay, UnixgramTransport.MAX_RETRY_NANOS);
        }
    }

    private void retry() {
        retryScheduled = false;
        if (!port.isClosed()) {
            port.writable();
        }
    }

    @Override
    public void close() {
        // the socket is shared by every peer
    }
}
