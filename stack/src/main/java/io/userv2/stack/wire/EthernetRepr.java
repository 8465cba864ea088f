package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * The parsed form of an Ethernet II header: addresses, an optional 802.1Q tag ({@code null} when untagged) and the
 * EtherType of the payload (the inner type when tagged). Immutable.
 */
public record EthernetRepr(MacAddress destination, MacAddress source, VlanTag vlan, EtherType etherType) {
    /** Requires addresses and type; {@code vlan} may be null. */
    public EthernetRepr {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(etherType, "etherType");
    }

    /** An untagged header. */
    public EthernetRepr(MacAddress destination, MacAddress source, EtherType etherType) {
        this(destination, source, null, etherType);
    }

    /** Reads the header of a checked frame (cannot fail: the view validated its length). */
    public static EthernetRepr parse(EthernetFrame frame) {
        return new EthernetRepr(MacAddress.of(frame.destination()), MacAddress.of(frame.source()), frame.vlanTag(),
                frame.payloadEtherType());
    }

    /** The header length this record emits: 14, or 18 with a VLAN tag. */
    public int headerLength() {
        return vlan == null ? EthernetFrame.HEADER_LENGTH : EthernetFrame.TAGGED_HEADER_LENGTH;
    }

    /**
     * Writes the header at absolute index {@code offset} of {@code buf}, which must have capacity for
     * {@link #headerLength()} bytes there; does not move indices. The caller keeps ownership of {@code buf}.
     *
     * @return the header length written
     */
    public int emit(ByteBuf buf, int offset) {
        MacAddress.write(buf, offset + EthernetFrame.DESTINATION, destination.bits());
        MacAddress.write(buf, offset + EthernetFrame.SOURCE, source.bits());
        if (vlan == null) {
            buf.setShort(offset + EthernetFrame.ETHER_TYPE, etherType.value());
        } else {
            buf.setShort(offset + EthernetFrame.ETHER_TYPE, EtherType.VLAN_VALUE);
            buf.setShort(offset + EthernetFrame.VLAN_TCI, vlan.tci());
            buf.setShort(offset + EthernetFrame.VLAN_ETHER_TYPE, etherType.value());
        }
        return headerLength();
    }

    /** tcpdump {@code -e} style: {@code 52:55:55:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806)}. */
    @Override
    public String toString() {
        return source + " > " + destination + ", " + (vlan == null ? "" : "ethertype 802.1Q (0x8100), " + vlan + ", ")
                + "ethertype " + etherType + String.format(" (0x%04x)", etherType.value());
    }
}
