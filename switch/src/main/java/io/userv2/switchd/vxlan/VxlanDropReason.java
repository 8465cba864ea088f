package io.userv2.switchd.vxlan;

/**
 * Why the VXLAN uplink dropped a datagram or a frame, for {@link VxlanCounters}, {@code /stats} and the
 * {@code reason} label of {@code userv2_vxlan_drops_total}. Drops by the switch's own port security (MAC limits,
 * storm control, ...) are counted on the remote's port as for a VM, not here.
 */
public enum VxlanDropReason {
    /** A datagram shorter than the VXLAN header, or with the I flag clear (RFC 7348 section 5). */
    MALFORMED("malformed"),
    /** A datagram carrying another VNI than ours. */
    OTHER_VNI("other_vni"),
    /** A datagram from an endpoint that is not a configured remote (and learning new remotes is off or full). */
    UNKNOWN_REMOTE("unknown_remote"),
    /** An inner frame longer than the LAN's largest frame. */
    OVERSIZE("oversize"),
    /**
     * A frame for a remote that would not fit the underlay MTU once encapsulated: dropped, never fragmented (RFC 7348
     * section 4.3: "VTEPs MUST NOT fragment VXLAN packets").
     */
    TOO_BIG("too_big"),
    /** The kernel refused to send a datagram (no route, say); the frame is lost as on a wire. */
    SEND_FAILED("send_failed"),
    /** A frame from a remote with our gateway's MAC as its source: a second gateway on this VNI. */
    SECOND_GATEWAY("second_gateway"),
    /** The remote's work budget for one loop iteration was spent (the socket is shared by every remote). */
    OVER_BUDGET("over_budget");

    private static final VxlanDropReason[] ALL = values();

    private final String label;

    VxlanDropReason(String label) {
        this.label = label;
    }

    /** The name used in {@code /stats} and {@code /metrics}. */
    public String label() {
        return label;
    }

    static VxlanDropReason[] all() {
        return ALL;
    }
}
