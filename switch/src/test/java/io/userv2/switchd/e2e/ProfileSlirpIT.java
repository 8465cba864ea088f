package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --profile slirp}, Lima's default network layout: an unconfigured guest gets 192.168.5.15, router .2 (the
 * host alias) and DNS .3, and the gateway answers DNS at .3 over UDP and TCP.
 */
class ProfileSlirpIT {
    private static final Duration T = Duration.ofSeconds(15);

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void guestGetsLimasDefaultLayout() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            Path sock = dir.resolve("net.sock");
            c.add(SwitchProcess.start("--listen", sock.toString(), "--profile", "slirp", "--host-resolver", "hosts",
                    "--dns-upstream", "127.0.0.1:" + SwitchProcess.freeTcpPort()));
            NamespaceGuest guest = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured("unix:" + sock)));
            DhcpLease lease = guest.dhcp("lima-default");
            assertEquals("192.168.5.15", lease.ip(), lease.toString());
            assertEquals("192.168.5.2", lease.router(), lease.toString());
            assertEquals(java.util.List.of("192.168.5.3"), lease.dns(), lease.toString());
            Exec.Result udp = guest.exec(T, "dig", "+short", "+time=3", "@192.168.5.3", "host.lima.internal");
            assertEquals("192.168.5.2", udp.output().strip(), udp.toString());
            Exec.Result tcp = guest.exec(T, "dig", "+short", "+tcp", "+time=3", "@192.168.5.3", "lima-default.internal");
            assertEquals("192.168.5.15", tcp.output().strip(), tcp.toString());
        }
    }
}
