package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * The parsed form of an Ethernet/IPv4 ARP packet (RFC 826). Immutable. The hardware and protocol types and lengths are
 * implied (1, 0x0800, 6, 4) and always emitted as such.
 */
public record ArpRepr(ArpOperation operation, MacAddress senderHardwareAddress, Ipv4Address senderProtocolAddress,
                      MacAddress targetHardwareAddress, Ipv4Address targetProtocolAddress) {
    /** Requires every field. */
    public ArpRepr {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(senderHardwareAddress, "senderHardwareAddress");
        Objects.requireNonNull(senderProtocolAddress, "senderProtocolAddress");
        Objects.requireNonNull(targetHardwareAddress, "targetHardwareAddress");
        Objects.requireNonNull(targetProtocolAddress, "targetProtocolAddress");
    }

    /** A request "who has {@code target}? tell {@code senderIp}"; the target hardware address is zero (RFC 826). */
    public static ArpRepr request(MacAddress senderMac, Ipv4Address senderIp, Ipv4Address target) {
        return new ArpRepr(ArpOperation.REQUEST, senderMac, senderIp, MacAddress.ZERO, target);
    }

    /**
     * The reply to {@code request} from the owner of the requested address: "swap hardware and protocol fields,
     * putting the local hardware and protocol addresses in the sender fields" and "set the ar$op field to ares_op$REPLY"
     * (RFC 826, packet reception).
     */
    public static ArpRepr replyTo(ArpRepr request, MacAddress ownMac) {
        return new ArpRepr(ArpOperation.REPLY, ownMac, request.targetProtocolAddress(),
                request.senderHardwareAddress(), request.senderProtocolAddress());
    }

    /** Reads a checked packet (cannot fail: the view validated everything this record holds). */
    public static ArpRepr parse(ArpPacket packet) {
        return new ArpRepr(packet.operation(), MacAddress.of(packet.senderHardwareAddress()),
                new Ipv4Address(packet.senderProtocolAddress()), MacAddress.of(packet.targetHardwareAddress()),
                new Ipv4Address(packet.targetProtocolAddress()));
    }

    /** Always {@link ArpPacket#LENGTH} (28). */
    public int bufferLength() {
        return ArpPacket.LENGTH;
    }

    /**
     * Writes the 28-byte packet at absolute index {@code offset} of {@code buf} (which must have the capacity); does not
     * move indices. The caller keeps ownership of {@code buf}.
     *
     * @return the number of bytes written (28)
     */
    public int emit(ByteBuf buf, int offset) {
        buf.setShort(offset + ArpPacket.HARDWARE_TYPE, ArpPacket.HARDWARE_TYPE_ETHERNET);
        buf.setShort(offset + ArpPacket.PROTOCOL_TYPE, EtherType.IPV4_VALUE);
        buf.setByte(offset + ArpPacket.HARDWARE_LENGTH, 6);
        buf.setByte(offset + ArpPacket.PROTOCOL_LENGTH, 4);
        buf.setShort(offset + ArpPacket.OPERATION, operation.code());
        MacAddress.write(buf, offset + ArpPacket.SENDER_HARDWARE_ADDRESS, senderHardwareAddress.bits());
        buf.setInt(offset + ArpPacket.SENDER_PROTOCOL_ADDRESS, senderProtocolAddress.bits());
        MacAddress.write(buf, offset + ArpPacket.TARGET_HARDWARE_ADDRESS, targetHardwareAddress.bits());
        buf.setInt(offset + ArpPacket.TARGET_PROTOCOL_ADDRESS, targetProtocolAddress.bits());
        return ArpPacket.LENGTH;
    }

    /**
     * tcpdump style: {@code ARP, Request who-has 192.168.104.2 tell 192.168.104.3},
     * {@code ARP, Reply 192.168.104.2 is-at 5a:94:ef:e4:0c:dd}.
     */
    @Override
    public String toString() {
        if (operation.equals(ArpOperation.REQUEST)) {
            return "ARP, Request who-has " + targetProtocolAddress + " tell " + senderProtocolAddress
                    + " (" + senderHardwareAddress + ")";
        }
        if (operation.equals(ArpOperation.REPLY)) {
            return "ARP, Reply " + senderProtocolAddress + " is-at " + senderHardwareAddress
                    + " (to " + targetProtocolAddress + " " + targetHardwareAddress + ")";
        }
        return "ARP, " + operation + " sender " + senderProtocolAddress + " " + senderHardwareAddress
                + " target " + targetProtocolAddress + " " + targetHardwareAddress;
    }
}
