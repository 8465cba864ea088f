package io.userv2.switchd.sshforward;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client connection of a forward: gets a channel to the guest's socket from the shared session, then copies
 * bytes both ways until both directions have ended, with half-close passed on (the client's EOF becomes the
 * channel's EOF, the channel's EOF a {@code shutdown(SHUT_WR)} of the client socket), as gvproxy does. A client that
 * cannot be served (no session within the budget, channel refused) is closed.
 *
 * <p>Two tasks on the forward's bounded pool: the one that {@link #run}s (opening the channel, then copying client to
 * guest) and the guest-to-client copier it starts. Each owns a 32 KiB array; MINA owns the channel's buffers.
 */
final class SocketRelay {
    private static final System.Logger LOG = System.getLogger(SocketRelay.class.getName());
    private static final int CHUNK = 32 * 1024;

    private final SocketChannel client;
    private final GuestSshSession ssh;
    private final String dest;
    private final Executor pool;
    private final Runnable onEnd;
    private final AtomicInteger directionsLeft = new AtomicInteger(2);
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile DirectStreamLocalChannel channel;

    /**
     * @param onEnd called once when the relay has ended (sockets closed), from whichever thread ended it
     */
    SocketRelay(SocketChannel client, GuestSshSession ssh, String dest, Executor pool, Runnable onEnd) {
        this.client = client;
        this.ssh = ssh;
        this.dest = dest;
        this.pool = pool;
        this.onEnd = onEnd;
    }

    /** Opens the channel (waiting for a session if needed), starts the guest-to-client copy, copies client to guest. */
    void run() {
        DirectStreamLocalChannel ch;
        try {
            ch = ssh.openChannel(dest);
        } catch (IOException e) {
            if (!ended.get()) {
                LOG.log(System.Logger.Level.WARNING, "ssh forward: closing a connection to " + dest + ": "
                        + e.getMessage());
            }
            end(true);
            return;
        }
        channel = ch;
        if (ended.get()) { // closed while we waited for the channel
            ch.close(true);
            return;
        }
        // The guest's side went away altogether (sshd closed the channel, or the session died): nothing more can
        // come from the client's side either, so stop reading it; the other copier still drains what arrived.
        ch.addCloseFutureListener(f -> shutdownInputQuietly());
        try {
            pool.execute(this::guestToClient);
        } catch (RejectedExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "ssh forward: no thread for a connection to " + dest);
            end(true);
            return;
        }
        clientToGuest(ch);
    }

    private void clientToGuest(DirectStreamLocalChannel ch) {
        boolean clean = false;
        try {
            OutputStream toGuest = ch.getInvertedIn();
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            while (true) {
                buf.clear();
                int n = client.read(buf);
                if (n < 0) {
                    break;
                }
                toGuest.write(buf.array(), 0, n);
                toGuest.flush();
            }
            clean = true;
            try {
                toGuest.close(); // SSH_MSG_CHANNEL_EOF
            } catch (IOException e) {
                // The channel closed already (the guest is done): there is nobody to tell, and the other
                // direction may still be handing the client what arrived before.
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "ssh forward: client to " + dest + " ended: " + e);
        } finally {
            directionEnded(clean);
        }
    }

    private void guestToClient() {
        DirectStreamLocalChannel ch = channel;
        boolean clean = false;
        try {
            InputStream fromGuest = ch.getInvertedOut();
            byte[] buf = new byte[CHUNK];
            while (true) {
                int n = fromGuest.read(buf);
                if (n < 0) {
                    break;
                }
                ByteBuffer out = ByteBuffer.wrap(buf, 0, n);
                while (out.hasRemaining()) {
                    client.write(out);
                }
            }
            client.shutdownOutput();
            clean = true;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "ssh forward: " + dest + " to client ended: " + e);
        } finally {
            directionEnded(clean);
        }
    }

    private void directionEnded(boolean clean) {
        if (!clean) {
            end(true); // an error on one side: the other cannot go on meaningfully
        } else if (directionsLeft.decrementAndGet() == 0) {
            end(false);
        }
    }

    private void shutdownInputQuietly() {
        try {
            client.shutdownInput();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /**
     * Ends the relay: closes the client socket and the channel ({@code abort}: at once; otherwise gracefully, both
     * directions being done). Safe to call from any thread, more than once.
     */
    void end(boolean abort) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        try {
            client.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        DirectStreamLocalChannel ch = channel;
        if (ch != null) {
            ch.close(abort);
            try {
                ch.getInvertedOut().close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        onEnd.run();
    }
}
