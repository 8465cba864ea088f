package io.userv2.switchd.transport;

import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.port.Framing;
import io.userv2.switchd.port.LinkPort;
import io.userv2.switchd.port.LinkPorts;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.SelectorLink;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;

/**
 * {@code --listen-stdio}: one VM whose frames come on stdin and go out on stdout in the QEMU stream framing (each
 * frame preceded by its 4-byte big-endian length), for tunnelling the switch over ssh.
 *
 * <p>The port is a {@link LinkPort} framed {@link Framing#LENGTH_PREFIXED}, like a stream socket's, with the same
 * batched reads, budget, bounded egress and framing errors. What stdio cannot share is readiness: stdin and stdout
 * cannot be selected on in Java. So two pipes stand in for them, and the port's {@link SelectorLink} reads one and
 * writes the other on the loop thread; two threads of this transport copy bytes between the pipes and the real
 * streams, blocking: {@code userv2-stdin} from stdin into the inbound pipe (when the loop falls behind, the pipe
 * fills, the copy blocks, and so does the sender on the other side), {@code userv2-stdout} from the outbound pipe to
 * stdout. Bytes change thread once each way; frames are cut and switched on the loop as for every other port.
 *
 * <p>End of input closes the inbound pipe: the port switches what came before it, then ends. A bad length prefix
 * (0 or above the maximum frame) is a framing error that ends the port, as on a stream socket; so does a failed
 * write to stdout. {@code onEnd} runs on the loop thread then, so that the caller can stop the daemon (an ssh tunnel
 * that ended has nobody left to serve).
 */
public final class StdioTransport {
    private static final System.Logger LOG = System.getLogger(StdioTransport.class.getName());
    /** Bytes each copying thread moves per call at most. */
    static final int CHUNK = 64 * 1024;

    private final LinkPort port;

    private StdioTransport(LinkPort port) {
        this.port = port;
    }

    /**
     * Serves one VM on the process's stdin and stdout. Also points {@link System#out} at stderr, so that nothing
     * printed by mistake can corrupt the frame stream. Call before the loop runs or on the loop thread; shuts down
     * with the loop.
     *
     * @param onEnd runs on the loop thread once the port has ended (end of input, framing error, write error)
     */
    public static StdioTransport open(LinkPorts maker, Runnable onEnd) throws IOException {
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        return open(new FileInputStream(FileDescriptor.in), stdout, maker, onEnd);
    }

    /** As {@link #open(LinkPorts, Runnable)}, on the given streams. */
    public static StdioTransport open(InputStream in, OutputStream out, LinkPorts maker, Runnable onEnd)
            throws IOException {
        EventLoop loop = maker.loop();
        Pipe inbound = Pipe.open();
        Pipe outbound = Pipe.open();
        inbound.source().configureBlocking(false);
        outbound.sink().configureBlocking(false);
        LinkPort port = maker.make("stdio", SelectorLink.of(loop, inbound.source(), outbound.sink()),
                Framing.LENGTH_PREFIXED, closed -> {
                    closeQuietly(in); // unblocks the copy from stdin where the stream allows it (a pipe does)
                    onEnd.run();
                });
        StdioTransport t = new StdioTransport(port);
        port.start();
        loop.onShutdown(t::shutdown);
        start("userv2-stdin", () -> copyIn(in, inbound.sink()));
        start("userv2-stdout", () -> copyOut(outbound.source(), out, loop, port));
        LOG.log(System.Logger.Level.INFO, "serving one VM on stdin/stdout");
        return t;
    }

    private static void start(String name, Runnable copy) {
        Thread t = new Thread(copy, name);
        t.setDaemon(true);
        t.start();
    }

    /** Copies stdin into the inbound pipe until either ends; closing the pipe tells the port the input ended. */
    private static void copyIn(InputStream in, Pipe.SinkChannel sink) {
        byte[] chunk = new byte[CHUNK];
        ByteBuffer view = ByteBuffer.wrap(chunk);
        String end = "end of input";
        try {
            int n;
            while ((n = in.read(chunk)) >= 0) {
                view.clear().limit(n);
                while (view.hasRemaining()) {
                    sink.write(view);
                }
            }
        } catch (IOException e) {
            end = "input stopped: " + e.getMessage();
        } finally {
            LOG.log(System.Logger.Level.INFO, "stdio: " + end);
            closeQuietly(sink);
        }
    }

    /** Copies the outbound pipe to stdout until the port closes it; a failed write ends the port. */
    private static void copyOut(Pipe.SourceChannel source, OutputStream out, EventLoop loop, LinkPort port) {
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        try {
            while (source.read(chunk.clear()) >= 0) {
                out.write(chunk.array(), 0, chunk.position());
                out.flush();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.INFO, "stdio: write failed: " + e.getMessage());
            loop.execute(port::close);
        } finally {
            closeQuietly(source);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    /** The switch port of the VM on stdio. */
    public Port port() {
        return port;
    }

    /** Writes what is queued (once, without waiting) and closes the port; loop thread (idempotent). */
    public void shutdown() {
        port.shutdown();
    }
}
