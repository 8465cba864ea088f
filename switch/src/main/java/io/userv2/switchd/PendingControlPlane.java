package io.userv2.switchd;

import io.userv2.switchd.api.ApiException;
import io.userv2.switchd.api.ControlPlane;
import io.userv2.switchd.api.DnsZoneSpec;
import io.userv2.switchd.api.Forward;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.EndPoint;

/**
 * The API's view of a network still being built, so that the API socket can be bound before the VM sockets. Lima
 * expects that of {@code usernet}: its start returns as soon as the VM (fd) socket exists and the host agent calls the
 * API right after. Each call waits (at most {@value #WAIT_SECONDS} s) for the network and then goes to it; when the
 * network could not start, calls fail with 503.
 */
final class PendingControlPlane implements ControlPlane {
    static final int WAIT_SECONDS = 30;

    private final CompletableFuture<ControlPlane> plane = new CompletableFuture<>();

    /** The network is up: calls go to {@code ready} from now on. */
    void ready(ControlPlane ready) {
        plane.complete(ready);
    }

    /** The network will not come up: calls fail with 503. */
    void failed(Throwable why) {
        plane.completeExceptionally(why);
    }

    private ControlPlane plane() throws ApiException {
        try {
            return plane.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "the switch is starting; try again", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new ApiException(503, "the switch's network is not up", e);
        }
    }

    @Override
    public boolean hasGateway() throws ApiException {
        return plane().hasGateway();
    }

    @Override
    public Map<String, String> leases() throws ApiException {
        return plane().leases();
    }

    @Override
    public Map<String, String> leases6() throws ApiException {
        return plane().leases6();
    }

    @Override
    public Map<String, Integer> cam() throws ApiException {
        return plane().cam();
    }

    @Override
    public void expose(Forward forward) throws ApiException {
        plane().expose(forward);
    }

    @Override
    public void unexpose(String local, String protocol) throws ApiException {
        plane().unexpose(local, protocol);
    }

    @Override
    public List<Forward> forwards() throws ApiException {
        return plane().forwards();
    }

    @Override
    public void addDnsZone(DnsZoneSpec zone) throws ApiException {
        plane().addDnsZone(zone);
    }

    @Override
    public List<DnsZoneSpec> dnsZones() throws ApiException {
        return plane().dnsZones();
    }

    @Override
    public Map<String, Object> stats() throws ApiException {
        return plane().stats();
    }

    @Override
    public String metrics() throws ApiException {
        return plane().metrics();
    }

    @Override
    public void tunnel(String ip, int port, EndPoint client, ByteBuffer prefix) throws ApiException {
        ControlPlane ready;
        try {
            ready = plane();
        } catch (ApiException e) {
            client.close();
            throw e;
        }
        ready.tunnel(ip, port, client, prefix);
    }

    @Override
    public CompletableFuture<Boolean> probeTcp(String ip, int port) {
        return plane.thenCompose(p -> p.probeTcp(ip, port));
    }
}
