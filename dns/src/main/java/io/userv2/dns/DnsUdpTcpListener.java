package io.userv2.dns;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A tiny standalone front end for a {@link DnsServer}: one UDP socket and one TCP listening socket on the same address
 * and port, with plain blocking I/O and a few daemon threads (one for UDP, one accepting, one per TCP connection, at
 * most {@value #MAX_TCP_CONNECTIONS} connections, each closed after {@value #TCP_IDLE_MILLIS} ms idle). Meant for
 * manual testing with {@code dig @127.0.0.1 -p PORT} and for tests; the switch drives {@link DnsServer} from its own
 * event loop instead.
 *
 * <p>Thread-safe; {@link #close()} closes every socket and waits briefly for the threads. It does not close the
 * {@link DnsServer}, which the caller owns.
 */
public final class DnsUdpTcpListener implements AutoCloseable {

    /** The most TCP connections served at once; further ones are closed at accept. */
    public static final int MAX_TCP_CONNECTIONS = 64;
    /** A TCP connection with nothing to read for this long is closed (RFC 7766 recommends seconds). */
    public static final int TCP_IDLE_MILLIS = 10_000;
    /** The largest UDP payload sent back (65535 - 8 - 20). */
    static final int MAX_UDP_PAYLOAD = 65507;

    private final DnsServer server;
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    private DnsUdpTcpListener(DnsServer server, DatagramSocket udp, ServerSocket tcp) {
        this.server = server;
        this.udp = udp;
        this.tcp = tcp;
    }

    /**
     * Binds UDP and TCP on {@code bind} (port 0 picks one free for both) and starts serving.
     *
     * @throws IOException when the sockets cannot be bound
     */
    public static DnsUdpTcpListener start(DnsServer server, InetSocketAddress bind) throws IOException {
        IOException last = null;
        // Bounded: with port 0, a port free for UDP may be taken for TCP; try a few.
        for (int attempt = 0; attempt < 20; attempt++) {
            DatagramSocket udp = new DatagramSocket(bind);
            ServerSocket tcp = new ServerSocket();
            try {
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress(bind.getAddress(), udp.getLocalPort()), 64);
                DnsUdpTcpListener l = new DnsUdpTcpListener(server, udp, tcp);
                l.startThreads();
                return l;
            } catch (IOException e) {
                last = e;
                udp.close();
                tcp.close();
                if (bind.getPort() != 0) {
                    break;
                }
            }
        }
        throw last;
    }

    /** The bound address; UDP and TCP share its port. */
    public InetSocketAddress localAddress() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    private void startThreads() {
        threads.add(daemon("userv2-dns-udp-" + udp.getLocalPort(), this::serveUdp));
        threads.add(daemon("userv2-dns-tcp-" + udp.getLocalPort(), this::acceptTcp));
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void serveUdp() {
        byte[] buf = new byte[DnsTransport.MAX_MESSAGE];
        DnsTransport transport = DnsTransport.udp(MAX_UDP_PAYLOAD);
        while (!closed) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(p);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue; // e.g. ICMP errors surfacing on the socket: keep serving
            }
            InetAddress from = p.getAddress();
            int port = p.getPort();
            server.answer(buf, 0, p.getLength(), transport).thenAccept(answer -> {
                if (answer.length > 0 && !closed) {
                    try {
                        udp.send(new DatagramPacket(answer, answer.length, from, port));
                    } catch (IOException ignored) {
                        // the client is gone; UDP has no one to tell
                    }
                }
            });
        }
    }

    private void acceptTcp() {
        while (!closed) {
            Socket s;
            try {
                s = tcp.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            if (connections.size() >= MAX_TCP_CONNECTIONS) {
                closeQuietly(s);
                continue;
            }
            connections.add(s);
            daemon("userv2-dns-tcp-conn", () -> serveConnection(s));
        }
    }

    private void serveConnection(Socket s) {
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        try {
            s.setSoTimeout(TCP_IDLE_MILLIS);
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            DnsTcpFramer framer = new DnsTcpFramer();
            byte[] buf = new byte[16384];
            while (!closed) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                framer.feed(buf, 0, n, query -> {
                    pending.removeIf(CompletableFuture::isDone);
                    pending.add(server.answer(query, 0, query.length, DnsTransport.tcp())
                            .thenAccept(answer -> write(out, answer)));
                });
            }
            // The client may half-close after its last query: let the answers still in flight go out.
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // idle timeout, reset, or shutdown: just close
        } finally {
            connections.remove(s);
            closeQuietly(s);
        }
    }

    private static void write(OutputStream out, byte[] answer) {
        if (answer.length == 0) {
            return;
        }
        synchronized (out) {
            try {
                out.write(DnsTcpFramer.frame(answer));
                out.flush();
            } catch (IOException ignored) {
                // connection gone
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing to do
        }
    }

    /** Closes the sockets and waits up to a second for the serving threads. Idempotent. */
    @Override
    public void close() {
        closed = true;
        udp.close();
        closeQuietly(tcp);
        connections.forEach(DnsUdpTcpListener::closeQuietly);
        for (Thread t : threads) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Serves DNS with the host's real configuration, for manual testing:
     * {@code java -cp ... io.userv2.dns.DnsUdpTcpListener [ADDRESS [PORT]]} (default 127.0.0.1 5353), then
     * {@code dig @127.0.0.1 -p 5353 host.lima.internal}. Stops on Ctrl-C.
     */
    public static void main(String[] args) throws Exception {
        InetAddress addr = IpLiterals.parse(args.length > 0 ? args[0] : "127.0.0.1");
        if (addr == null) {
            throw new IllegalArgumentException("not an IP address: " + args[0]);
        }
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 5353;
        DnsServer server = DnsServer.create(DnsConfig.builder().build());
        DnsUdpTcpListener l = start(server, new InetSocketAddress(addr, port));
        System.out.println("serving DNS on " + l.localAddress() + " (udp+tcp); upstreams " + server.upstreams());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            l.close();
            server.close();
        }));
        Thread.currentThread().join();
    }

    @Override
    public String toString() {
        return "DnsUdpTcpListener[" + localAddress() + (closed ? ", closed" : "") + "]";
    }
}
