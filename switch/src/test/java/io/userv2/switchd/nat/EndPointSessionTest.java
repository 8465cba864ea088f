package io.userv2.switchd.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.userv2.stack.nat.LocalTcpService;
import io.userv2.stack.tcp.TcpConfig;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpConnectionKey;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.SeqNumber;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.junit.jupiter.api.Test;

/** The guest API's sessions are capped per VM and in all, so one VM cannot hold them all. */
class EndPointSessionTest {
    private int opened;
    private final LocalTcpService service = EndPointSession.service((guest, local) -> {
        opened++;
        return new ByteArrayEndPoint();
    }, null);

    private LocalTcpService.LocalTcpSession open(int owner, int guestPort) {
        TcpConnectionKey key = new TcpConnectionKey(Ipv4Address.parse("192.168.104.3"), guestPort,
                Ipv4Address.parse("192.168.104.2"), 80);
        TcpConnection conn = TcpConnection.connect(key, TcpConfig.defaults(), UnpooledByteBufAllocator.DEFAULT, null,
                SeqNumber.of(1), 0);
        return service.open(conn, owner, () -> { });
    }

    @Test
    void oneVmGetsAtMostItsShareAndItsClosedSessionsGiveItBack() {
        List<LocalTcpService.LocalTcpSession> first = new ArrayList<>();
        for (int i = 0; i < EndPointSession.MAX_SESSIONS_PER_PORT + 3; i++) {
            first.add(open(1, 40_000 + i));
        }
        assertEquals(EndPointSession.MAX_SESSIONS_PER_PORT, opened, "port 1 holds its cap, the rest are refused");
        open(2, 40_000);
        assertEquals(EndPointSession.MAX_SESSIONS_PER_PORT + 1, opened, "another VM still gets a session");
        first.get(0).close();
        first.get(0).close(); // twice: released once
        open(1, 50_000);
        open(1, 50_001);
        assertEquals(EndPointSession.MAX_SESSIONS_PER_PORT + 2, opened, "one place came back to port 1, no more");
    }

    @Test
    void theTotalCapHoldsAcrossVms() {
        for (int port = 1; opened < EndPointSession.MAX_SESSIONS; port++) {
            for (int i = 0; i < EndPointSession.MAX_SESSIONS_PER_PORT; i++) {
                open(port, 40_000 + i);
            }
        }
        open(1_000, 40_000);
        assertEquals(EndPointSession.MAX_SESSIONS, opened);
    }
}
