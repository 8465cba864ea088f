package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.Ipv6Frames.GW_LL;
import static io.userv2.stack.gateway.Ipv6Frames.GW_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.GW_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.PREFIX;
import static io.userv2.stack.gateway.Ipv6Frames.REMOTE;
import static io.userv2.stack.gateway.Ipv6Frames.VM2_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.VM_LL;
import static io.userv2.stack.gateway.Ipv6Frames.VM_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.VM_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.icmp;
import static io.userv2.stack.gateway.Ipv6Frames.ipv6;
import static io.userv2.stack.gateway.Ipv6Frames.tcp;
import static io.userv2.stack.gateway.Ipv6Frames.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.Ipv6Frames.Sent;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.NdpOptions;
import io.userv2.stack.wire.ParseResult;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpPacket;
import io.userv2.stack.wire.TcpRepr;
import io.userv2.stack.wire.UdpPacket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV6Packet;

/** ICMPv6 echo, UDP services, TCP, errors and the forwarder hook at the gateway over IPv6, on a virtual clock. */
class GatewayIpv6TrafficTest extends Ipv6GatewayFixture {
    static final byte[] DATA = "ping data 0123456789".getBytes(StandardCharsets.US_ASCII);

    @Nested
    class Echo {
        @Test
        void echoToEitherAddressIsAnsweredFromIt() {
            for (Ipv6Address[] pair : new Ipv6Address[][] {{VM_LL, GW_LL}, {VM_ULA, GW_ULA}}) {
                receive(icmp(VM_MAC, pair[0], pair[1], 64, new Icmpv6Repr.EchoRequest(0x1234, 7,
                        Unpooled.wrappedBuffer(DATA))));
                Sent s = take();
                assertEquals(VM_MAC.bits(), s.dstMac());
                assertEquals(pair[1], s.src());
                assertEquals(pair[0], s.dst());
                Icmpv6Repr.EchoReply reply = s.icmp(Icmpv6Repr.EchoReply.class);
                assertEquals(0x1234, reply.identifier());
                assertEquals(7, reply.sequence());
                assertArrayEquals(DATA, ByteBufUtil.getBytes(reply.data()));
            }
            assertEquals(2, counters.echo6RepliesSent());
        }

        @Test
        void echoToAllNodesIsAnsweredFromTheAddressOfTheAskersScope() {
            receive(icmp(VM_MAC, VM_LL, Ipv6Address.ALL_NODES, 64, new Icmpv6Repr.EchoRequest(1, 1,
                    Unpooled.EMPTY_BUFFER)));
            assertEquals(GW_LL, take().src());
            receive(icmp(VM_MAC, VM_ULA, Ipv6Address.ALL_NODES, 64, new Icmpv6Repr.EchoRequest(1, 2,
                    Unpooled.EMPTY_BUFFER)));
            Sent s = take();
            assertEquals(GW_ULA, s.src());
            assertEquals(VM_MAC.bits(), s.dstMac(), "answered to the asker, not to the group");
        }

        @Test
        void echoToAGroupNotJoinedIsNotAnswered() {
            receive(icmp(VM_MAC, VM_LL, Ipv6Address.parse("ff02::fb"), 64, new Icmpv6Repr.EchoRequest(1, 1,
                    Unpooled.EMPTY_BUFFER)));
            assertEquals(1, counters.dropped(DropReason.IPV6_MULTICAST_NOT_JOINED));
        }
    }

    @Nested
    class Udp {
        final List<Udp6Datagram> got = new ArrayList<>();
        final List<byte[]> payloads = new ArrayList<>();

        void bind(int port) {
            v6.bindUdp(port, (d, nowNanos) -> {
                got.add(d);
                payloads.add(ByteBufUtil.getBytes(d.payload()));
            });
        }

        @Test
        void datagramsToBoundPortsAreDeliveredAndAnswered() throws Exception {
            bind(53);
            receive(udp(VM_MAC, VM_ULA, 41000, GW_ULA, 53, DATA));
            assertEquals(1, got.size());
            Udp6Datagram d = got.get(0);
            assertEquals(VM_MAC, d.srcMac());
            assertEquals(VM_ULA, d.src());
            assertEquals(41000, d.srcPort());
            assertEquals(GW_ULA, d.dst());
            assertEquals(53, d.dstPort());
            assertFalse(d.multicast());
            assertEquals(PORT, d.ingress());
            assertArrayEquals(DATA, payloads.get(0));

            v6.sendUdp(d.srcMac(), d.dst(), 53, d.src(), d.srcPort(), Unpooled.wrappedBuffer(DATA));
            Sent s = take();
            assertEquals(GW_ULA, s.src());
            assertEquals(VM_ULA, s.dst());
            assertEquals(IpProtocol.UDP_NUMBER, s.protocol());
            UdpPacket udp = UdpPacket.checked(Unpooled.wrappedBuffer(s.payload())).orNull();
            assertTrue(udp.verifyChecksumIpv6(GW_ULA.high(), GW_ULA.low(), VM_ULA.high(), VM_ULA.low()));
            assertEquals(53, udp.srcPort());
            assertEquals(41000, udp.dstPort());
            // And pcap4j agrees.
            IpV6Packet ip = EthernetPacket.newPacket(s.bytes(), 0, s.bytes().length).get(IpV6Packet.class);
            assertTrue(ip.get(org.pcap4j.packet.UdpPacket.class).hasValidChecksum(GW_ULA.toInetAddress(),
                    VM_ULA.toInetAddress(), false));
        }

        @Test
        void dhcpv6GroupDeliversWithTheMulticastFlag() {
            bind(547);
            receive(udp(VM_MAC, VM_LL, 546, GatewayIpv6.ALL_DHCP_AGENTS, 547, DATA));
            assertEquals(1, got.size());
            assertTrue(got.get(0).multicast());
            assertEquals(GatewayIpv6.ALL_DHCP_AGENTS, got.get(0).dst());
        }

        @Test
        void unboundPortIsUnreachableButNotForMulticast() {
            byte[] frame = udp(VM_MAC, VM_ULA, 41000, GW_ULA, 9999, DATA);
            receive(frame);
            Sent s = take();
            assertEquals(GW_ULA, s.src());
            assertEquals(VM_ULA, s.dst());
            Icmpv6Repr.DestinationUnreachable u = s.icmp(Icmpv6Repr.DestinationUnreachable.class);
            assertEquals(Icmpv6Packet.CODE_PORT_UNREACHABLE, u.code());
            assertArrayEquals(Arrays.copyOfRange(frame, 14, frame.length), ByteBufUtil.getBytes(u.original()),
                    "the whole offending packet is quoted");
            assertEquals(1, counters.icmpv6ErrorsSent());
            receive(udp(VM_MAC, VM_LL, 41000, Ipv6Address.ALL_NODES, 9999, DATA));
            assertEquals(1, counters.dropped(DropReason.UDP_MULTICAST_UNBOUND));
        }

        @Test
        void zeroOrWrongChecksumIsDropped() {
            bind(53);
            byte[] frame = udp(VM_MAC, VM_ULA, 41000, GW_ULA, 53, DATA);
            frame[14 + 40 + 6] = 0;
            frame[14 + 40 + 7] = 0;
            receive(frame);
            frame = udp(VM_MAC, VM_ULA, 41000, GW_ULA, 53, DATA);
            frame[frame.length - 1] ^= 1;
            receive(frame);
            assertEquals(2, counters.dropped(DropReason.UDP_BAD_CHECKSUM), "RFC 8200 8.1: zero is no checksum");
            assertTrue(got.isEmpty());
        }

        @Test
        void errorsAreRateLimited() {
            for (int i = 0; i < 60; i++) {
                receive(udp(VM_MAC, VM_ULA, 41000, GW_ULA, 9999, DATA));
            }
            for (int i = 0; i < IcmpRateLimiter.DEFAULT_BURST; i++) {
                take().icmp(Icmpv6Repr.DestinationUnreachable.class);
            }
            assertEquals(60 - IcmpRateLimiter.DEFAULT_BURST, counters.icmpErrorsRateLimited());
        }

        @Test
        void largeDatagramsGoOutAsFragmentsWithOneChecksum() {
            byte[] big = new byte[3000];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) i;
            }
            v6.sendUdp(VM_MAC, GW_ULA, 53, VM_ULA, 41000, Unpooled.wrappedBuffer(big));
            ByteBuf whole = Unpooled.buffer();
            int expectedOffset = 0;
            int id = 0;
            for (int i = 0; i < 3; i++) {
                byte[] f = sink.take();
                assertTrue(f.length - 14 <= 1500, "fragment within the MTU: " + (f.length - 14));
                Ipv6Packet p = Ipv6Packet.checked(Unpooled.wrappedBuffer(f), 14, f.length - 14).orNull();
                assertTrue(p.isFragment());
                assertEquals(expectedOffset, p.fragmentOffsetBytes());
                assertEquals(i < 2, p.moreFragments());
                if (i == 0) {
                    id = p.fragmentIdentification();
                }
                assertEquals(id, p.fragmentIdentification());
                whole.writeBytes(f, p.payloadOffset(), p.payloadLength());
                expectedOffset += p.payloadLength();
            }
            UdpPacket udp = UdpPacket.checked(whole).orNull();
            assertEquals(3008, udp.length());
            assertTrue(udp.verifyChecksumIpv6(GW_ULA.high(), GW_ULA.low(), VM_ULA.high(), VM_ULA.low()));
            assertArrayEquals(big, ByteBufUtil.getBytes(udp.payload()));
            assertEquals(1, counters.ipv6Fragmented(), "counted as one fragmented datagram");
        }
    }

    @Nested
    class BeyondTheLan {
        @Test
        void aSynWithoutForwarderIsResetFromTheDestination() {
            receive(tcp(VM_ULA, REMOTE, 443, TcpControl.SYN, 1000, null));
            Sent s = take();
            assertEquals(VM_MAC.bits(), s.dstMac());
            assertEquals(REMOTE, s.src(), "a closed port's reset comes from the address it was sent to");
            assertEquals(VM_ULA, s.dst());
            TcpRepr rst = tcpOf(s, REMOTE, VM_ULA);
            assertEquals(TcpControl.RST, rst.control());
            assertEquals(443, rst.srcPort());
            assertEquals(40000, rst.dstPort());
            assertEquals(SeqNumber.of(0), rst.seqNumber());
            assertEquals(SeqNumber.of(1001), rst.ackNumber(), "SEG.SEQ + SEG.LEN (the SYN counts one)");
            assertEquals(1, counters.dropped(DropReason.IPV6_NO_ROUTE));
            assertEquals(1, counters.tcpResetsSent());
        }

        @Test
        void aSegmentWithAckIsResetWithItsAckAsSequenceAndResetsAreNotAnswered() {
            receive(tcp(VM_ULA, REMOTE, 443, TcpControl.PSH, 1000, 555));
            TcpRepr rst = tcpOf(take(), REMOTE, VM_ULA);
            assertEquals(SeqNumber.of(555), rst.seqNumber());
            assertNull(rst.ackNumber());
            receive(tcp(VM_ULA, REMOTE, 443, TcpControl.RST, 1000, null));
            assertEquals(2, counters.dropped(DropReason.IPV6_NO_ROUTE));
        }

        @Test
        void tcpToTheGatewayWithoutForwarderIsReset() {
            receive(tcp(VM_ULA, GW_ULA, 53, TcpControl.SYN, 7, null));
            TcpRepr rst = tcpOf(take(), GW_ULA, VM_ULA);
            assertEquals(TcpControl.RST, rst.control());
            assertEquals(1, counters.dropped(DropReason.TCP_UNHANDLED));
        }

        @Test
        void udpAndEchoWithoutForwarderAreUnreachableNoRoute() {
            byte[] frame = udp(VM_MAC, VM_ULA, 41000, REMOTE, 53, DATA);
            receive(frame);
            Sent s = take();
            assertEquals(GW_ULA, s.src(), "RFC 4443 2.2: a unicast address of the gateway");
            assertEquals(Icmpv6Packet.CODE_NO_ROUTE, s.icmp(Icmpv6Repr.DestinationUnreachable.class).code());
            receive(icmp(VM_MAC, VM_LL, REMOTE, 64, new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER)));
            s = take();
            assertEquals(GW_LL, s.src(), "to a link-local asker from the link-local address");
            assertEquals(Icmpv6Packet.CODE_NO_ROUTE, s.icmp(Icmpv6Repr.DestinationUnreachable.class).code());
            // Never an error about an error.
            receive(icmp(VM_MAC, VM_ULA, REMOTE, 64, new Icmpv6Repr.DestinationUnreachable(4,
                    Unpooled.wrappedBuffer(Arrays.copyOfRange(frame, 14, frame.length)))));
            assertEquals(3, counters.dropped(DropReason.IPV6_NO_ROUTE));
            assertEquals(2, counters.icmpv6ErrorsSent());
        }

        @Test
        void theForwarderIsOfferedWhatTheGatewayDoesNotServe() {
            List<String> offered = new ArrayList<>();
            v6.setForwarder((frame, packet, ingress, nowNanos) -> {
                offered.add(packet.destination() + " " + packet.protocolNumber() + " " + ingress + " "
                        + MacAddress.of(frame.source()));
                return true;
            });
            receive(tcp(VM_ULA, REMOTE, 443, TcpControl.SYN, 1, null));
            receive(udp(VM_MAC, VM_ULA, 41000, REMOTE, 53, DATA));
            receive(tcp(VM_ULA, GW_ULA, 53, TcpControl.SYN, 1, null));
            receive(udp(VM_MAC, VM_ULA, 41000, GW_ULA, 8080, DATA));
            receive(udp(VM_MAC, VM_ULA, 41000, VM2_ULA, 53, DATA)); // on the LAN: not the forwarder's
            assertEquals(List.of(REMOTE + " 6 " + PORT + " " + VM_MAC, REMOTE + " 17 " + PORT + " " + VM_MAC,
                    GW_ULA + " 6 " + PORT + " " + VM_MAC, GW_ULA + " 17 " + PORT + " " + VM_MAC), offered);
            assertEquals(4, counters.ipv6Forwarded());
            assertEquals(1, counters.dropped(DropReason.IPV6_NOT_FOR_GATEWAY));
        }

        @Test
        void aForwarderThatDeclinesLeavesTheDefaultAnswer() {
            v6.setForwarder((frame, packet, ingress, nowNanos) -> false);
            receive(tcp(VM_ULA, REMOTE, 443, TcpControl.SYN, 1, null));
            assertEquals(TcpControl.RST, tcpOf(take(), REMOTE, VM_ULA).control());
        }

        private TcpRepr tcpOf(Sent s, Ipv6Address src, Ipv6Address dst) {
            assertEquals(IpProtocol.TCP_NUMBER, s.protocol());
            TcpPacket p = TcpPacket.checked(Unpooled.wrappedBuffer(s.payload())).orNull();
            ParseResult<TcpRepr> r = TcpRepr.parse(p, src, dst, true);
            return Ipv6Frames.ok(r, "the reset");
        }
    }

    @Nested
    class Validity {
        @Test
        void unknownNextHeaderToTheGatewayIsAParameterProblemCode1() {
            byte[] frame = ipv6(GW_MAC.bits(), VM_MAC, VM_ULA, GW_ULA, 253, 64, DATA);
            receive(frame);
            Icmpv6Repr.ParameterProblem p = take().icmp(Icmpv6Repr.ParameterProblem.class);
            assertEquals(Ipv6Packet.PROBLEM_UNRECOGNIZED_NEXT_HEADER, p.code());
            assertEquals(Ipv6Packet.NEXT_HEADER, p.pointer());
            assertEquals(1, counters.dropped(DropReason.IP_PROTOCOL_UNHANDLED));
            receive(ipv6(GW_MAC.bits(), VM_MAC, VM_ULA, GW_ULA, 59, 64, new byte[0]));
            assertEquals(1, counters.dropped(DropReason.IPV6_NO_NEXT_HEADER));
        }

        @Test
        void anUnrecognizedOptionOfType10IsAnsweredEvenToAllNodes() {
            // Destination Options: next UDP, length 0 (8 bytes), option type 0x80 (high bits 10), length 4.
            byte[] options = HexLiteral.bytes("11 00 80 04 00 00 00 00");
            byte[] frame = ipv6(Ipv6Address.ALL_NODES.multicastMac(), VM_MAC, VM_LL, Ipv6Address.ALL_NODES,
                    IpProtocol.IPV6_OPTS_NUMBER, 64, concat(options, new byte[8]));
            receive(frame);
            Icmpv6Repr.ParameterProblem p = take().icmp(Icmpv6Repr.ParameterProblem.class);
            assertEquals(Ipv6Packet.PROBLEM_UNRECOGNIZED_OPTION, p.code());
            assertEquals(42, p.pointer(), "pointing at the option type");
            assertEquals(1, counters.dropped(DropReason.IPV6_UNSUPPORTED));
            // Type 11 (answer unless multicast) to all-nodes: dropped silently.
            options[2] = (byte) 0xC0;
            receive(ipv6(Ipv6Address.ALL_NODES.multicastMac(), VM_MAC, VM_LL, Ipv6Address.ALL_NODES,
                    IpProtocol.IPV6_OPTS_NUMBER, 64, concat(options, new byte[8])));
            assertEquals(2, counters.dropped(DropReason.IPV6_UNSUPPORTED));
        }

        @Test
        void aRoutingHeaderWithSegmentsLeftIsAParameterProblemCode0() {
            // Routing header: next UDP, length 2 (24 bytes), type 0, segments left 1, one address.
            byte[] routing = new byte[24];
            routing[0] = 17;
            routing[1] = 2;
            routing[3] = 1;
            receive(ipv6(GW_MAC.bits(), VM_MAC, VM_ULA, GW_ULA, IpProtocol.IPV6_ROUTE_NUMBER, 64,
                    concat(routing, new byte[8])));
            Icmpv6Repr.ParameterProblem p = take().icmp(Icmpv6Repr.ParameterProblem.class);
            assertEquals(Ipv6Packet.PROBLEM_ERRONEOUS_FIELD, p.code());
            assertEquals(42, p.pointer(), "pointing at the routing type");
        }

        @Test
        void badChainsTruncationFragmentsAndBadAddressesAreDroppedAndCounted() {
            // Payload Length beyond the frame.
            byte[] truncated = ipv6(GW_MAC.bits(), VM_MAC, VM_ULA, GW_ULA, 17, 64, DATA);
            receive(Arrays.copyOf(truncated, truncated.length - 4));
            assertEquals(1, counters.dropped(DropReason.IPV6_TRUNCATED));
            // Hop-by-hop not first.
            byte[] dest = HexLiteral.bytes("00 00 01 04 00 00 00 00");
            byte[] hbh = HexLiteral.bytes("11 00 01 04 00 00 00 00");
            receive(ipv6(GW_MAC.bits(), VM_MAC, VM_ULA, GW_ULA, IpProtocol.IPV6_OPTS_NUMBER, 64,
                    concat(dest, hbh, new byte[8])));
            assertEquals(Ipv6Packet.PROBLEM_UNRECOGNIZED_NEXT_HEADER, take().icmp(Icmpv6Repr.ParameterProblem.class)
                    .code());
            // Nine extension headers.
            byte[] chain = new byte[0];
            for (int i = 0; i < 9; i++) {
                chain = concat(chain, HexLiteral.bytes((i < 8 ? "3c" : "11") + " 00 01 04 00 00 00 00"));
            }
            receive(ipv6(GW_MAC.bits(), VM_MAC, VM_ULA, GW_ULA, IpProtocol.IPV6_OPTS_NUMBER, 64, chain));
            assertEquals(2, counters.dropped(DropReason.IPV6_MALFORMED));
            // A fragment to a multicast group (only fragments to the gateway's unicast addresses and beyond are
            // reassembled).
            byte[] fragment = HexLiteral.bytes("11 00 00 01 12 34 56 78");
            receive(ipv6(Ipv6Address.ALL_NODES.multicastMac(), VM_MAC, VM_ULA, Ipv6Address.ALL_NODES,
                    IpProtocol.IPV6_FRAG_NUMBER, 64, concat(fragment, new byte[16])));
            assertEquals(1, counters.dropped(DropReason.IPV6_FRAGMENT));
            // Sources that are not one host.
            receive(ipv6(GW_MAC.bits(), VM_MAC, Ipv6Address.ALL_NODES, GW_ULA, 59, 64, new byte[0]));
            receive(ipv6(GW_MAC.bits(), VM_MAC, Ipv6Address.LOOPBACK, GW_ULA, 59, 64, new byte[0]));
            receive(ipv6(GW_MAC.bits(), VM_MAC, GW_ULA, GW_LL, 59, 64, new byte[0]));
            assertEquals(3, counters.dropped(DropReason.IPV6_BAD_SOURCE));
            // Destinations that are not one.
            receive(ipv6(GW_MAC.bits(), VM_MAC, VM_ULA, Ipv6Address.LOOPBACK, 59, 64, new byte[0]));
            receive(ipv6(Ipv6Address.ALL_NODES.multicastMac(), VM_MAC, VM_ULA, GW_ULA, 59, 64, new byte[0]));
            assertEquals(2, counters.dropped(DropReason.IPV6_BAD_DESTINATION));
            assertEquals(0, counters.tcpResetsSent() + counters.echo6RepliesSent());
        }

        @Test
        void ipv6IsTakenOnlyFromTheGatewayMacBroadcastAndIpv6MulticastMacs() {
            // An IPv4 frame to an IPv6 multicast MAC is still not for the gateway.
            byte[] v4 = GatewayTest.echoRequestFrame(GatewayTest.GW_IP, 1, 1, new byte[4]);
            System.arraycopy(new byte[] {0x33, 0x33, 0, 0, 0, 1}, 0, v4, 0, 6);
            receive(v4);
            // IPv6 to another host's MAC.
            receive(ipv6(VM_MAC.bits(), MacAddress.parse("52:55:55:00:00:01"), VM2_ULA, VM_ULA, 59, 64, new byte[0]));
            assertEquals(2, counters.dropped(DropReason.NOT_FOR_GATEWAY_MAC));
        }
    }

    @Nested
    class Resolution {
        /** A frame to {@code dst} with an unset destination MAC. */
        ByteBuf frameTo(Ipv6Address dst, int seq) {
            Icmpv6Repr echo = new Icmpv6Repr.EchoRequest(9, seq, Unpooled.EMPTY_BUFFER);
            Ipv6Repr ip = new Ipv6Repr(GW_ULA, dst, IpProtocol.ICMPV6, echo.bufferLength(), 64);
            ByteBuf out = alloc.buffer(14 + ip.totalLength());
            int offset = new EthernetRepr(MacAddress.ZERO, GW_MAC, EtherType.IPV6).emit(out, 0);
            offset += ip.emit(out, offset);
            echo.emit(out, offset, GW_ULA, dst);
            out.writerIndex(14 + ip.totalLength());
            return out;
        }

        @Test
        void framesWaitForResolutionAndGoWhenTheAnswerComes() {
            for (int i = 1; i <= 4; i++) {
                v6.sendToNeighbor(frameTo(VM_ULA, i), VM_ULA, PORT, now);
            }
            Sent ns = take();
            assertEquals(VM_ULA.solicitedNodeMulticast(), ns.dst());
            assertEquals(VM_ULA.solicitedNodeMulticast().multicastMac(), ns.dstMac());
            assertEquals(GW_ULA, ns.src());
            assertEquals(GW_MAC, ns.icmp(Icmpv6Repr.NeighborSolicitation.class).options().sourceLinkLayerAddress(),
                    "RFC 4861 7.2.2: a multicast solicitation carries the source link-layer address");
            assertTrue(sink.frames.isEmpty(), "nothing goes before the answer");
            assertEquals(1, counters.dropped(DropReason.NEIGHBOR_QUEUE_FULL), "4th frame: the oldest made room");
            receive(icmp(VM_MAC, VM_ULA, GW_ULA, 255, new Icmpv6Repr.NeighborAdvertisement(false, true, true, VM_ULA,
                    NdpOptions.targetLinkLayer(VM_MAC))));
            for (int seq = 2; seq <= 4; seq++) {
                Sent s = take();
                assertEquals(VM_MAC.bits(), s.dstMac());
                assertEquals(seq, s.icmp(Icmpv6Repr.EchoRequest.class).sequence());
            }
            // Known now: straight out.
            v6.sendToNeighbor(frameTo(VM_ULA, 5), VM_ULA, PORT, now);
            assertEquals(5, take().icmp(Icmpv6Repr.EchoRequest.class).sequence());
        }

        @Test
        void unansweredResolutionDropsTheFramesAfterThreeSolicitations() {
            v6.sendToNeighbor(frameTo(VM2_ULA, 1), VM2_ULA, PORT, now);
            int solicitations = 0;
            for (long t = 0; t <= 5 * SECOND; t += SECOND / 10) {
                at(t);
                while (!sink.frames.isEmpty()) {
                    Sent s = take();
                    if (s.icmp() instanceof Icmpv6Repr.NeighborSolicitation) {
                        solicitations++;
                    }
                }
            }
            assertEquals(NeighborCache.MAX_MULTICAST_SOLICIT, solicitations);
            assertEquals(1, counters.dropped(DropReason.NEIGHBOR_UNRESOLVED));
            assertNull(v6.neighbors().state(VM2_ULA));
        }

        @Test
        void multicastNeedsNoResolution() {
            v6.sendToNeighbor(frameTo(Ipv6Address.ALL_NODES, 1), Ipv6Address.ALL_NODES, PORT, now);
            assertEquals(Ipv6Address.ALL_NODES.multicastMac(), take().dstMac());
        }
    }

    @Test
    void sendDestinationUnreachableForTheNatFollowsRfc4443() {
        byte[] frame = udp(VM_MAC, VM_ULA, 41000, REMOTE, 53, DATA);
        ByteBuf quoted = Unpooled.wrappedBuffer(frame, 14, frame.length - 14);
        int readerIndex = quoted.readerIndex();
        assertTrue(v6.sendDestinationUnreachable(VM_MAC, REMOTE, Icmpv6Packet.CODE_PORT_UNREACHABLE, quoted, now));
        Sent s = take();
        assertEquals(REMOTE, s.src());
        assertEquals(VM_ULA, s.dst());
        assertEquals(readerIndex, quoted.readerIndex(), "the caller's indices stay");
        // Not about a packet to a group, nor to a group MAC.
        byte[] toGroup = udp(VM_MAC, VM_ULA, 41000, Ipv6Address.ALL_NODES, 53, DATA);
        assertFalse(v6.sendDestinationUnreachable(VM_MAC, REMOTE, 4, Unpooled.wrappedBuffer(toGroup, 14,
                toGroup.length - 14), now));
        assertFalse(v6.sendDestinationUnreachable(MacAddress.BROADCAST, REMOTE, 4, quoted, now));
    }

    @Test
    void prefixConfigurationIsChecked() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Ipv6Config.of(
                io.userv2.stack.wire.Ipv6Prefix.parse("fd00::/48"), Ipv6Address.parse("fd00::2"), List.of()));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Ipv6Config.of(PREFIX,
                Ipv6Address.parse("fd00:1::2"), List.of()));
        Gateway small = new Gateway(GW_MAC, GatewayTest.GW_IP, GatewayTest.SUBNET, f -> f.release(), 1000);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> small.enableIpv6(
                config(), new java.util.Random(), NOW), "IPv6 needs MTU 1280");
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
