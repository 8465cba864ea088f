package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.Ipv6Frames.GW_LL;
import static io.userv2.stack.gateway.Ipv6Frames.VM_LL;
import static io.userv2.stack.gateway.Ipv6Frames.VM_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.NdpOptions;
import org.junit.jupiter.api.Test;

/** With IPv6 off (the default), the gateway treats IPv6 exactly as before IPv6 existed: dropped, counted, silent. */
class GatewayIpv6OffTest {
    final GatewayTest.RecordingSink sink = new GatewayTest.RecordingSink();
    final Gateway gateway = new Gateway(GatewayTest.GW_MAC, GatewayTest.GW_IP, GatewayTest.SUBNET, sink);

    @Test
    void ipv6IsAnUnsupportedEtherTypeAndItsMulticastNotForTheGateway() {
        assertNull(gateway.ipv6());
        assertEquals(Long.MAX_VALUE, gateway.pollAt(), "no advertisement timer");
        gateway.receive(Unpooled.wrappedBuffer(Ipv6Frames.icmp(VM_MAC, VM_LL, GW_LL, 255,
                new Icmpv6Repr.NeighborSolicitation(GW_LL, NdpOptions.sourceLinkLayer(VM_MAC)))), GatewayTest.NOW);
        gateway.receive(Unpooled.wrappedBuffer(Ipv6Frames.icmp(VM_MAC, VM_LL, Ipv6Address.ALL_ROUTERS, 255,
                new Icmpv6Repr.RouterSolicitation(NdpOptions.NONE))), GatewayTest.NOW);
        assertEquals(1, gateway.counters().dropped(DropReason.UNSUPPORTED_ETHERTYPE));
        assertEquals(1, gateway.counters().dropped(DropReason.NOT_FOR_GATEWAY_MAC));
        assertTrue(sink.frames.isEmpty());
        gateway.poll(GatewayTest.NOW + 3600_000_000_000L);
        assertTrue(sink.frames.isEmpty());
    }
}
