package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Neighbor Discovery options of one NDP message (RFC 4861 section 4.6) that this stack reads and writes: source
 * and target link-layer address (Ethernet, RFC 2464 section 8), Prefix Information, MTU, and RFC 8106's RDNSS and
 * DNSSL. Immutable.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |    Length     |              ...              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Link-layer address (types 1, 2), Length 1: the 6-byte MAC follows Length.
 * MTU (type 5), Length 1: 2 reserved bytes, then the 32-bit MTU.
 * </pre>
 *
 * <p>Parsing ({@link #parse}): "Length: The length of the option (including the type and length fields) in units of
 * 8 octets. The value 0 is invalid. Nodes MUST silently discard an ND packet that contains an option with length
 * zero." An option reaching past the message, or one of the known types with a length it cannot have, also makes the
 * message {@link ParseError#MALFORMED}. "Receivers MUST silently ignore any options they do not recognize and continue
 * processing the message" (so the Nonce of enhanced DAD, Route Information, ...). Of a link-layer address or MTU option
 * that appears twice the first counts (as in Linux's {@code ndisc_parse_options}); Prefix Information, RDNSS and
 * DNSSL may repeat. Emission ({@link #emit}) writes, in this order: source link-layer address, target link-layer
 * address, MTU, prefixes, RDNSS, DNSSL.
 *
 * @param sourceLinkLayerAddress the source link-layer address option, or null
 * @param targetLinkLayerAddress the target link-layer address option, or null
 * @param mtu                    the MTU option's value (32 bits unsigned), or {@link #ABSENT}
 * @param prefixes               Prefix Information options, in order
 * @param rdnss                  RDNSS options, in order
 * @param dnssl                  DNSSL options, in order
 */
public record NdpOptions(MacAddress sourceLinkLayerAddress, MacAddress targetLinkLayerAddress, long mtu,
                         List<NdpPrefixInformation> prefixes, List<NdpRdnss> rdnss, List<NdpDnssl> dnssl) {
    /** Option type 1, Source Link-Layer Address. */
    public static final int TYPE_SOURCE_LINK_LAYER_ADDRESS = 1;
    /** Option type 2, Target Link-Layer Address. */
    public static final int TYPE_TARGET_LINK_LAYER_ADDRESS = 2;
    /** Option type 3, Prefix Information. */
    public static final int TYPE_PREFIX_INFORMATION = NdpPrefixInformation.TYPE;
    /** Option type 4, Redirected Header (read past, not kept). */
    public static final int TYPE_REDIRECTED_HEADER = 4;
    /** Option type 5, MTU. */
    public static final int TYPE_MTU = 5;
    /** Option type 25, Recursive DNS Server (RFC 8106). */
    public static final int TYPE_RDNSS = NdpRdnss.TYPE;
    /** Option type 31, DNS Search List (RFC 8106). */
    public static final int TYPE_DNSSL = NdpDnssl.TYPE;
    /** The value of {@link #mtu()} when there is no MTU option. */
    public static final long ABSENT = -1;
    /** No options. */
    public static final NdpOptions NONE = new NdpOptions(null, null, ABSENT, List.of(), List.of(), List.of());

    /** Validates the MTU and copies the lists. */
    public NdpOptions {
        if (mtu != ABSENT && (mtu & ~0xFFFF_FFFFL) != 0) {
            throw new IllegalArgumentException("MTU out of range: " + mtu);
        }
        prefixes = List.copyOf(Objects.requireNonNull(prefixes, "prefixes"));
        rdnss = List.copyOf(Objects.requireNonNull(rdnss, "rdnss"));
        dnssl = List.copyOf(Objects.requireNonNull(dnssl, "dnssl"));
    }

    /** Only a source link-layer address option (what RS, NS and RA carry from an Ethernet sender). */
    public static NdpOptions sourceLinkLayer(MacAddress mac) {
        return new NdpOptions(Objects.requireNonNull(mac, "mac"), null, ABSENT, List.of(), List.of(), List.of());
    }

    /** Only a target link-layer address option (what an NA carries). */
    public static NdpOptions targetLinkLayer(MacAddress mac) {
        return new NdpOptions(null, Objects.requireNonNull(mac, "mac"), ABSENT, List.of(), List.of(), List.of());
    }

    /** True when there is no option. */
    public boolean isEmpty() {
        return sourceLinkLayerAddress == null && targetLinkLayerAddress == null && mtu == ABSENT
                && prefixes.isEmpty() && rdnss.isEmpty() && dnssl.isEmpty();
    }

    /**
     * Parses the options in {@code [index, index + length)} of {@code buf} (the rest of an NDP message after its fixed
     * part) with the rules of the class comment; {@link ParseError#MALFORMED} with a constant detail otherwise. The
     * caller keeps ownership of {@code buf}; indices are not moved. Allocates the lists and records.
     */
    public static ParseResult<NdpOptions> parse(ByteBuf buf, int index, int length) {
        MacAddress source = null;
        MacAddress target = null;
        long mtu = ABSENT;
        List<NdpPrefixInformation> prefixes = new ArrayList<>(0);
        List<NdpRdnss> rdnss = new ArrayList<>(0);
        List<NdpDnssl> dnssl = new ArrayList<>(0);
        int i = index;
        int end = index + length;
        while (i < end) {
            if (end - i < 2) {
                return ParseResult.malformed("ndp option past end of message");
            }
            int type = buf.getUnsignedByte(i);
            int units = buf.getUnsignedByte(i + 1);
            if (units == 0) {
                return ParseResult.malformed("ndp option length 0");
            }
            int optionLength = units * 8;
            if (optionLength > end - i) {
                return ParseResult.malformed("ndp option past end of message");
            }
            switch (type) {
                case TYPE_SOURCE_LINK_LAYER_ADDRESS, TYPE_TARGET_LINK_LAYER_ADDRESS -> {
                    if (units != 1) {
                        return ParseResult.malformed("ndp link-layer address option length not 1");
                    }
                    MacAddress mac = MacAddress.of(MacAddress.read(buf, i + 2));
                    if (type == TYPE_SOURCE_LINK_LAYER_ADDRESS && source == null) {
                        source = mac;
                    } else if (type == TYPE_TARGET_LINK_LAYER_ADDRESS && target == null) {
                        target = mac;
                    }
                }
                case TYPE_PREFIX_INFORMATION -> {
                    NdpPrefixInformation p = units == 4 ? NdpPrefixInformation.read(buf, i) : null;
                    if (p == null) {
                        return ParseResult.malformed("ndp prefix information option length not 4 or prefix > 128");
                    }
                    prefixes.add(p);
                }
                case TYPE_MTU -> {
                    if (units != 1) {
                        return ParseResult.malformed("ndp mtu option length not 1");
                    }
                    if (mtu == ABSENT) {
                        mtu = buf.getUnsignedInt(i + 4);
                    }
                }
                case TYPE_RDNSS -> {
                    NdpRdnss r = NdpRdnss.read(buf, i, units);
                    if (r == null) {
                        return ParseResult.malformed("ndp rdnss option length not 3, 5, 7, ...");
                    }
                    rdnss.add(r);
                }
                case TYPE_DNSSL -> {
                    NdpDnssl d = NdpDnssl.read(buf, i, optionLength);
                    if (d == null) {
                        return ParseResult.malformed("ndp dnssl option not a list of domain names");
                    }
                    dnssl.add(d);
                }
                default -> {
                    // RFC 4861 4.6: unknown options (and the Redirected Header, not needed here) are skipped.
                }
            }
            i += optionLength;
        }
        if (source == null && target == null && mtu == ABSENT && prefixes.isEmpty() && rdnss.isEmpty()
                && dnssl.isEmpty()) {
            return ParseResult.ok(NONE);
        }
        return ParseResult.ok(new NdpOptions(source, target, mtu, prefixes, rdnss, dnssl));
    }

    /** The bytes {@link #emit} writes. */
    public int encodedLength() {
        int length = (sourceLinkLayerAddress != null ? 8 : 0) + (targetLinkLayerAddress != null ? 8 : 0)
                + (mtu != ABSENT ? 8 : 0) + prefixes.size() * NdpPrefixInformation.LENGTH;
        for (NdpRdnss r : rdnss) {
            length += r.encodedLength();
        }
        for (NdpDnssl d : dnssl) {
            length += d.encodedLength();
        }
        return length;
    }

    /**
     * Writes the options at absolute {@code index} of {@code buf} (which must have room for {@link #encodedLength()}
     * bytes) in the order of the class comment; returns the bytes written. Indices are not moved; the caller keeps
     * ownership of {@code buf}.
     */
    public int emit(ByteBuf buf, int index) {
        int i = index;
        if (sourceLinkLayerAddress != null) {
            i += emitLinkLayer(buf, i, TYPE_SOURCE_LINK_LAYER_ADDRESS, sourceLinkLayerAddress);
        }
        if (targetLinkLayerAddress != null) {
            i += emitLinkLayer(buf, i, TYPE_TARGET_LINK_LAYER_ADDRESS, targetLinkLayerAddress);
        }
        if (mtu != ABSENT) {
            buf.setByte(i, TYPE_MTU);
            buf.setByte(i + 1, 1);
            buf.setShort(i + 2, 0);
            buf.setInt(i + 4, (int) mtu);
            i += 8;
        }
        for (NdpPrefixInformation p : prefixes) {
            i += p.emit(buf, i);
        }
        for (NdpRdnss r : rdnss) {
            i += r.emit(buf, i);
        }
        for (NdpDnssl d : dnssl) {
            i += d.emit(buf, i);
        }
        return i - index;
    }

    private static int emitLinkLayer(ByteBuf buf, int i, int type, MacAddress mac) {
        buf.setByte(i, type);
        buf.setByte(i + 1, 1);
        MacAddress.write(buf, i + 2, mac.bits());
        return 8;
    }

    /** tcpdump style, the options comma-separated: {@code source link-address 52:55:55:12:34:56, mtu 1500}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        if (sourceLinkLayerAddress != null) {
            parts.add("source link-address " + sourceLinkLayerAddress);
        }
        if (targetLinkLayerAddress != null) {
            parts.add("destination link-address " + targetLinkLayerAddress);
        }
        if (mtu != ABSENT) {
            parts.add("mtu " + mtu);
        }
        prefixes.forEach(p -> parts.add(p.toString()));
        rdnss.forEach(r -> parts.add(r.toString()));
        dnssl.forEach(d -> parts.add(d.toString()));
        return String.join(", ", parts);
    }
}
