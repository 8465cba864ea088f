package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.userv2.switchd.api.ApiException;
import io.userv2.switchd.api.ControlPlane;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** API calls made while the network is being built wait for it, or fail with 503 when it cannot start. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PendingControlPlaneTest {
    /** A control plane whose leases are {@code leases}; no other call is made here. */
    private static ControlPlane withLeases(Map<String, String> leases) {
        return (ControlPlane) Proxy.newProxyInstance(ControlPlane.class.getClassLoader(),
                new Class<?>[] {ControlPlane.class}, (proxy, method, args) -> {
                    if (method.getName().equals("leases")) {
                        return leases;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void aCallMadeBeforeTheNetworkIsUpIsAnsweredOnceItIs() throws Exception {
        PendingControlPlane pending = new PendingControlPlane();
        CompletableFuture<Map<String, String>> early = CompletableFuture.supplyAsync(() -> {
            try {
                return pending.leases();
            } catch (ApiException e) {
                throw new IllegalStateException(e);
            }
        });
        pending.ready(withLeases(Map.of("192.168.104.2", "5a:94:ef:e4:0c:dd")));
        assertEquals(Map.of("192.168.104.2", "5a:94:ef:e4:0c:dd"), early.get(10, TimeUnit.SECONDS));
    }

    @Test
    void callsFailWith503WhenTheNetworkCannotStart() {
        PendingControlPlane pending = new PendingControlPlane();
        pending.failed(new IOException("address in use"));
        ApiException e = assertThrows(ApiException.class, pending::leases);
        assertEquals(503, e.status());
    }
}
