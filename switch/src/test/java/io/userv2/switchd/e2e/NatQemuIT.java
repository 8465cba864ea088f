package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NAT with a real VM (QEMU, virtio-net over {@code -netdev stream}, busybox userland): a download through the host
 * alias arrives intact, a closed host port is refused at once, and in Lima's host mode ({@code --no-outside}) a
 * {@code --nat} rule reaches the host while an address without a rule is refused. Servers listen on 127.0.0.1
 * only; the guest addresses only the gateway and the documentation addresses 203.0.113.10/11.
 */
class NatQemuIT {
    private static final Pattern REAL = Pattern.compile("real\\s+(\\d+)m\\s*([\\d.]+)s");

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void vmDownloadsRefusalsAndNatRules() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path www = Files.createDirectories(E2e.workdir().resolve("nat-qemu-www-" + E2e.randomHex(3)));
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            c.add(() -> E2e.deleteTree(www));
            NatHostServices host = c.add(new NatHostServices());
            String blobSha = NatIT.writeRandomBlob(www.resolve("blob"), 8, 3);
            Files.writeString(www.resolve("hello"), "hello from the host\n");
            NatHostServices.Http http = host.http(www);
            NatHostServices.TcpEcho echo = host.tcpEcho();

            SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(dir.resolve("net.sock"),
                    List.of("--no-outside", "--nat", "203.0.113.10=127.0.0.1")));
            c.add(sw::stop);
            QemuGuest vm = c.add(QemuGuest.boot(QemuGuest.Options.of("unix:" + dir.resolve("net.sock"), "192.168.104.20/24")
                    .bootScript("ip route add default via " + GATEWAY_IP)));

            // 8 MiB through the host alias (TCG guest: a few seconds), intact.
            Exec.Result get = vm.sh("wget -q -O - http://" + GATEWAY_IP + ":" + http.port + "/blob | sha256sum", Duration.ofSeconds(120));
            assertTrue(get.output().contains(blobSha), "download SHA-256: host " + blobSha + ", VM:\n" + get);

            // A closed host port: refused, at once (the switch would wait 10 s for a dial that hangs).
            int closed = SwitchProcess.freeTcpPort();
            Exec.Result nc = vm.sh("time nc " + GATEWAY_IP + " " + closed + " </dev/null; echo nc-exit=$?", Duration.ofSeconds(40));
            assertTrue(nc.output().contains("Connection refused"), "nc to a closed host port: " + nc);
            assertTrue(seconds(nc) < 2.0, "refusal took " + seconds(nc) + " s: " + nc);

            // --nat 203.0.113.10=127.0.0.1 reaches the host; the host alias still works in --no-outside mode.
            Exec.Result viaRule = vm.sh("wget -q -O - http://203.0.113.10:" + http.port + "/hello", Duration.ofSeconds(40));
            assertTrue(viaRule.output().contains("hello from the host"), "via the --nat rule: " + viaRule);
            Exec.Result viaAlias = vm.sh("wget -q -O - http://" + GATEWAY_IP + ":" + http.port + "/hello", Duration.ofSeconds(40));
            assertTrue(viaAlias.output().contains("hello from the host"), "via the host alias: " + viaAlias);

            // 203.0.113.11 has no rule: refused at once, and nothing reaches the host.
            int before = echo.accepted.get();
            Exec.Result outside = vm.sh("time nc 203.0.113.11 " + echo.port + " </dev/null; echo nc-exit=$?", Duration.ofSeconds(40));
            assertTrue(outside.output().contains("Connection refused") || outside.output().contains("unreachable"),
                    "nc to 203.0.113.11 with --no-outside: " + outside);
            assertTrue(seconds(outside) < 2.0, "refusal of 203.0.113.11 took " + seconds(outside) + " s: " + outside);
            assertEquals(before, echo.accepted.get(), "a connection to 203.0.113.11 reached the host");
            System.out.println("NatQemuIT: closed port refused in " + seconds(nc) + " s, 203.0.113.11 in " + seconds(outside) + " s");
        }
    }

    private static double seconds(Exec.Result r) {
        Matcher m = REAL.matcher(r.output());
        if (!m.find()) {
            throw new AssertionError("no `time` output: " + r);
        }
        return Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2));
    }
}
