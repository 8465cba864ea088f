package io.userv2.stack.wire;

/**
 * The Tag Control Information of an IEEE 802.1Q VLAN tag: priority code point (3 bits), drop eligible indicator
 * (1 bit) and VLAN identifier (12 bits).
 */
public record VlanTag(int priority, boolean dropEligible, int vlanId) {
    /** Validates the field widths. */
    public VlanTag {
        if ((priority & ~0x7) != 0) {
            throw new IllegalArgumentException("PCP out of range: " + priority);
        }
        if ((vlanId & ~0xFFF) != 0) {
            throw new IllegalArgumentException("VLAN id out of range: " + vlanId);
        }
    }

    /** Decodes the 16-bit TCI. */
    public static VlanTag ofTci(int tci) {
        return new VlanTag((tci >>> 13) & 0x7, (tci & 0x1000) != 0, tci & 0xFFF);
    }

    /** The 16-bit TCI as on the wire. */
    public int tci() {
        return (priority << 13) | (dropEligible ? 0x1000 : 0) | vlanId;
    }

    /** tcpdump style: {@code vlan 5, p 0} (with {@code , DEI} when set). */
    @Override
    public String toString() {
        return "vlan " + vlanId + ", p " + priority + (dropEligible ? ", DEI" : "");
    }
}
