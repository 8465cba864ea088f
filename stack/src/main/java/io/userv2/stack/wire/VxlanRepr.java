package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * The parsed form of a VXLAN header (RFC 7348 section 5): its VXLAN Network Identifier, the only field with a
 * meaning (the flags are the I bit, always set on a valid header, and reserved bits). Holds no buffer.
 *
 * @param vni the 24-bit VNI, 0..16777215
 */
public record VxlanRepr(int vni) {

    /** Rejects a VNI wider than 24 bits. */
    public VxlanRepr {
        if ((vni & ~VxlanHeader.MAX_VNI) != 0) {
            throw new IllegalArgumentException("VNI out of range (24 bits): " + vni);
        }
    }

    /** Parses a checked header; never fails, since {@link VxlanHeader#checked} did the checking. */
    public static VxlanRepr parse(VxlanHeader header) {
        return new VxlanRepr(header.vni());
    }

    /** The size of the header, 8. */
    public int headerLength() {
        return VxlanHeader.HEADER_LENGTH;
    }

    /**
     * Writes the header at absolute {@code offset} of {@code buf}: flags with only the I bit set, the VNI, and
     * every reserved field zero ("MUST be set to zero on transmission"). The buffer needs 8 bytes of capacity from
     * {@code offset}; its indices are not moved and the caller keeps ownership.
     */
    public void emit(ByteBuf buf, int offset) {
        VxlanHeader.write(buf, offset, vni);
    }

    /** tcpdump style: {@code VXLAN, flags [I] (0x08), vni 42}. */
    @Override
    public String toString() {
        return "VXLAN, flags [I] (0x08), vni " + vni;
    }
}
