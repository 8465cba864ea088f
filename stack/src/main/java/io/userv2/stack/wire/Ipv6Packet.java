package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A read-only view of an IPv6 packet (RFC 8200) and its extension-header chain. Construct it with {@link #checked},
 * which validates the fixed header, the Payload Length and every extension header once, so no accessor can fail
 * afterwards. On the per-frame path one view is re-pointed at packet after packet ({@link #reusable()},
 * {@link #wrap}), so that no object is made per packet; whoever owns such a view must not hand it to code that keeps
 * it.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                         Source Address (128 bits)             +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                      Destination Address (128 bits)           +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers (RFC 8200 section 4), each naming the next; Hop-by-Hop (0), Routing (43), Destination Options (60):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Hdr Ext Len  |  (8 * (Hdr Ext Len + 1) bytes in all: options or routing data)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Fragment (44), always 8 bytes:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Identification                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Lengths: "Payload Length: ... the rest of the packet following this IPv6 header, in octets. (Note that any
 * extension headers present are considered part of the payload, i.e., included in the length count.)" Bytes after it
 * (Ethernet padding) are not part of the packet: {@link #length()} is 40 + Payload Length. Jumbograms (RFC 2675, a
 * Payload Length of 0 with a Hop-by-Hop header) cannot cross an Ethernet link and are refused.
 *
 * <p>The walk. {@link #wrap} follows Next Header through the extension headers this stack knows
 * ({@link IpProtocol#isIpv6ExtensionHeader}) and stops at the first other value: {@link #protocolNumber()}, at
 * {@link #payloadOffset()}, is the upper-layer protocol (TCP, UDP, ICMPv6, 59 "No Next Header", or anything else,
 * which the caller answers with a Parameter Problem code 1 pointing at {@link #protocolPointer()} if it does not handle
 * it: RFC 8200 section 4, "it should discard the packet and send an ICMP Parameter Problem message ... with an ICMP
 * Code value of 1 ... and the ICMP Pointer field containing the offset of the unrecognized value"). It also stops at a
 * Fragment header: then {@link #isFragment()} is true, the fragment fields are readable and the payload is the
 * fragment's data, whose type (the Fragment header's Next Header) is {@link #protocolNumber()}; the headers after it
 * are read once the packet is reassembled. The walk processes every header as the packet's destination would (section
 * 4: "extension headers are not processed, inserted, or deleted by any node along a packet's delivery path, until the
 * packet reaches the node ... identified in the Destination Address field"), since the gateway terminates every flow
 * it carries (NAT, never routing). Order rules are as strict as Linux's: "The Hop-by-Hop Options header, when
 * present, must immediately follow the IPv6 header" (section 4.1, a Hop-by-Hop header elsewhere is an unrecognized
 * Next Header, code 1), the others in any order and number. Limits, as stacks keep them: at most
 * {@value #MAX_EXTENSION_HEADERS} extension headers, all within the first {@value #MAX_CHAIN_LENGTH} bytes (the
 * minimum MTU; RFC 8200 section 4.5 and RFC 7112 want the whole chain in the first fragment); in each options header
 * at most {@value #MAX_OPTIONS} options other than padding, no run of padding over 7 bytes and PadN all zeros
 * (Linux's {@code ip6_parse_tlv}, after RFC 4942 section 2.1.9.5).
 *
 * <p>Errors. Every length is bounded against the buffer and against Payload Length; malformed input comes back as a
 * {@link ParseError} from {@link #wrap} (with a constant detail, {@link #failure()}), never as an exception. Some of
 * those failures are ones RFC 8200 wants answered with an ICMPv6 Parameter Problem: then
 * {@link #parameterProblemCode()} is 0, 1 or 2 and {@link #parameterProblemPointer()} the offset of the offending byte
 * from the start of the packet, {@link #answerParameterProblem()} says whether an answer is allowed, and the fixed
 * header accessors ({@link #buffer()}, {@link #offset()}, {@link #length()}, addresses, ...) stay readable so that the
 * error can quote the packet. They are:
 * <ul>
 *   <li>an unrecognized option whose type's two high bits ask for it (section 4.2: {@code 10} "send an ICMP
 *       Parameter Problem, Code 2, message to the packet's Source Address, pointing to the unrecognized Option Type"
 *       even to multicast, {@code 11} the same "only if the packet's Destination Address was not a multicast
 *       address"; {@code 01} discards silently, {@code 00} skips the option): {@link ParseError#UNSUPPORTED};</li>
 *   <li>a Routing header with Segments Left not zero (section 4.4: this stack recognizes no routing type, "the node
 *       must discard the packet and send an ICMP Parameter Problem, Code 0, message ... pointing to the unrecognized
 *       Routing Type"; with Segments Left zero it is ignored): {@link ParseError#UNSUPPORTED};</li>
 *   <li>a fragment that is not the last and whose data is not a multiple of 8 bytes (code 0, pointing to Payload
 *       Length) or that would end past 65535 bytes (code 0, pointing to Fragment Offset), section 4.5:
 *       {@link ParseError#MALFORMED};</li>
 *   <li>a Jumbo Payload option in a packet whose Payload Length is not 0 (RFC 2675 section 3, code 0 pointing to the
 *       option): {@link ParseError#MALFORMED};</li>
 *   <li>a Hop-by-Hop header that is not first (code 1, pointing to the Next Header that names it):
 *       {@link ParseError#MALFORMED}.</li>
 * </ul>
 * {@link #answerParameterProblem()} applies RFC 4443 section 2.4 (e) as far as the packet shows it: no answer to a
 * multicast destination (except code 2 for an option of type {@code 10}) and none to an unspecified or multicast
 * source; the caller still applies the rate limit and the link-layer broadcast rule (e.4).
 *
 * <p>Ownership: the view never retains or releases its buffer; it reads absolute indices without moving indices.
 */
public final class Ipv6Packet {
    /** Offset of version (4 bits), traffic class (8 bits) and flow label (20 bits). */
    public static final int VERSION_CLASS_FLOW = 0;
    /** Offset of Payload Length. */
    public static final int PAYLOAD_LENGTH = 4;
    /** Offset of Next Header. */
    public static final int NEXT_HEADER = 6;
    /** Offset of Hop Limit. */
    public static final int HOP_LIMIT = 7;
    /** Offset of Source Address. */
    public static final int SOURCE = 8;
    /** Offset of Destination Address. */
    public static final int DESTINATION = 24;
    /** Length of the fixed header. */
    public static final int HEADER_LENGTH = 40;
    /** Length of a Fragment header. */
    public static final int FRAGMENT_HEADER_LENGTH = 8;
    /** The most extension headers {@link #wrap} walks before refusing the packet. */
    public static final int MAX_EXTENSION_HEADERS = 8;
    /** The extension-header chain must end within this many bytes of the packet's start (the minimum MTU). */
    public static final int MAX_CHAIN_LENGTH = 1280;
    /** The most options other than padding in one Hop-by-Hop or Destination Options header (Linux's default). */
    public static final int MAX_OPTIONS = 8;
    /** Mask of the fragment offset (in 8-octet units, shifted left by 3) in the fragment header's third word. */
    public static final int FRAGMENT_OFFSET_MASK = 0xFFF8;
    /** The M flag ("more fragments") in the fragment header's third word. */
    public static final int FRAGMENT_FLAG_M = 0x0001;

    /** Option type Pad1 (RFC 8200 section 4.2): one byte of padding, no length. */
    public static final int OPTION_PAD1 = 0;
    /** Option type PadN (RFC 8200 section 4.2). */
    public static final int OPTION_PADN = 1;
    /** Option type Router Alert (RFC 2711), Hop-by-Hop only. */
    public static final int OPTION_ROUTER_ALERT = 5;
    /** Option type Jumbo Payload (RFC 2675), Hop-by-Hop only. */
    public static final int OPTION_JUMBO = 0xC2;

    /** Parameter Problem code 0: "erroneous header field encountered" (RFC 4443 section 3.4). */
    public static final int PROBLEM_ERRONEOUS_FIELD = 0;
    /** Parameter Problem code 1: "unrecognized Next Header type encountered". */
    public static final int PROBLEM_UNRECOGNIZED_NEXT_HEADER = 1;
    /** Parameter Problem code 2: "unrecognized IPv6 option encountered". */
    public static final int PROBLEM_UNRECOGNIZED_OPTION = 2;

    private ByteBuf buf;
    private int offset;
    private int totalLength;
    /** Absolute index of the first byte after the walked chain. */
    private int payloadStart;
    private int protocol;
    /** Offset from the packet start of the Next Header field holding {@link #protocol}. */
    private int protocolPointer;
    private int extensionCount;
    /** Absolute index of the Fragment header, or -1. */
    private int fragmentHeader;
    /** Offset from the packet start of the Next Header field that names the Fragment header. */
    private int fragmentPointer;
    private int problemCode;
    private int problemPointer;
    private boolean problemAnswer;
    /** The detail of the last failed {@link #wrap}, a constant string. */
    private String failure;

    private Ipv6Packet() {
    }

    /** A view pointing nowhere, to be {@link #wrap wrapped} around packet after packet by its one owner. */
    public static Ipv6Packet reusable() {
        return new Ipv6Packet();
    }

    /**
     * Checks {@code length} bytes of {@code buf} from absolute index {@code offset} as an IPv6 packet and walks its
     * extension headers (see the class comment). {@link ParseError#TRUNCATED} when shorter than 40 bytes or than
     * 40 + Payload Length, or when an extension header reaches past Payload Length; {@link ParseError#MALFORMED} when
     * the version is not 6 or the chain breaks a rule; {@link ParseError#UNSUPPORTED} for a jumbogram, an
     * unrecognized option that asks for discarding and a Routing header that would route. Bytes beyond Payload Length
     * are ignored (Ethernet padding). The failure's Parameter Problem fields are lost here: use {@link #wrap} on a
     * view to answer one. The caller keeps ownership of {@code buf}; the view does not retain it.
     */
    public static ParseResult<Ipv6Packet> checked(ByteBuf buf, int offset, int length) {
        Ipv6Packet packet = new Ipv6Packet();
        ParseError error = packet.wrap(buf, offset, length);
        return error == null ? ParseResult.ok(packet) : new ParseResult.Failed<>(error, packet.failure);
    }

    /** Checks the payload of an Ethernet frame as IPv6; see {@link #checked(ByteBuf, int, int)}. */
    public static ParseResult<Ipv6Packet> checked(EthernetFrame frame) {
        return checked(frame.buffer(), frame.payloadOffset(), frame.payloadLength());
    }

    /** Points this view at the payload of {@code frame}; see {@link #wrap(ByteBuf, int, int)}. */
    public ParseError wrap(EthernetFrame frame) {
        return wrap(frame.buffer(), frame.payloadOffset(), frame.payloadLength());
    }

    /**
     * Points this view at {@code length} bytes of {@code buf} from absolute index {@code offset}, with the checks of
     * {@link #checked(ByteBuf, int, int)}: returns null when they pass, else the kind of failure; then only
     * {@link #failure()} and the Parameter Problem accessors may be read, and, when {@link #parameterProblemCode()}
     * is not -1, the fixed header's. Allocates nothing. The caller keeps ownership of {@code buf}; the view does not
     * retain it.
     */
    public ParseError wrap(ByteBuf buf, int offset, int length) {
        problemCode = -1;
        problemPointer = 0;
        problemAnswer = false;
        fragmentHeader = -1;
        extensionCount = 0;
        if (length < HEADER_LENGTH || offset < 0 || (long) offset + length > buf.capacity()) {
            return fail(ParseError.TRUNCATED, "ipv6 header");
        }
        if ((buf.getUnsignedByte(offset) >>> 4) != 6) {
            return fail(ParseError.MALFORMED, "ipv6 version not 6");
        }
        int payloadLength = buf.getUnsignedShort(offset + PAYLOAD_LENGTH);
        int nextHeader = buf.getUnsignedByte(offset + NEXT_HEADER);
        if (payloadLength == 0 && nextHeader == IpProtocol.HOPOPT_NUMBER) {
            // RFC 2675 section 3: a zero Payload Length with a Hop-by-Hop header is a jumbogram (or an error).
            return fail(ParseError.UNSUPPORTED, "ipv6 jumbogram (payload length 0 with hop-by-hop options)");
        }
        if (HEADER_LENGTH + payloadLength > length) {
            return fail(ParseError.TRUNCATED, "ipv6 payload shorter than payload length");
        }
        this.buf = buf;
        this.offset = offset;
        this.totalLength = HEADER_LENGTH + payloadLength;
        return walk(nextHeader);
    }

    /** Follows the chain from the fixed header's Next Header; sets the upper-layer fields or fails. */
    private ParseError walk(int first) {
        int end = offset + totalLength;
        int at = offset + HEADER_LENGTH;
        int next = first;
        int pointer = NEXT_HEADER;
        while (IpProtocol.isIpv6ExtensionHeader(next)) {
            if (next == IpProtocol.HOPOPT_NUMBER && at != offset + HEADER_LENGTH) {
                // RFC 8200 4.1 (Linux: no protocol handler for 0 after the first header): unrecognized Next Header.
                return problem(ParseError.MALFORMED, "ipv6 hop-by-hop header not first",
                        PROBLEM_UNRECOGNIZED_NEXT_HEADER, pointer, false);
            }
            if (++extensionCount > MAX_EXTENSION_HEADERS) {
                return fail(ParseError.MALFORMED, "ipv6 more than 8 extension headers");
            }
            if (end - at < 8) {
                return fail(ParseError.TRUNCATED, "ipv6 extension header past payload length");
            }
            int headerLength = next == IpProtocol.IPV6_FRAG_NUMBER
                    ? FRAGMENT_HEADER_LENGTH : (buf.getUnsignedByte(at + 1) + 1) * 8;
            if (headerLength > end - at) {
                return fail(ParseError.TRUNCATED, "ipv6 extension header past payload length");
            }
            if (at + headerLength - offset > MAX_CHAIN_LENGTH) {
                return fail(ParseError.MALFORMED, "ipv6 extension headers beyond the first 1280 bytes");
            }
            ParseError error = switch (next) {
                case IpProtocol.HOPOPT_NUMBER, IpProtocol.IPV6_OPTS_NUMBER -> options(at, headerLength,
                        next == IpProtocol.HOPOPT_NUMBER);
                case IpProtocol.IPV6_ROUTE_NUMBER -> routing(at);
                default -> fragment(at, end);
            };
            if (error != null) {
                return error;
            }
            if (fragmentHeader >= 0) {
                fragmentPointer = pointer;
            }
            pointer = at - offset;
            next = buf.getUnsignedByte(at);
            at += headerLength;
            if (fragmentHeader >= 0) {
                break; // the rest of the chain is read after reassembly
            }
        }
        this.payloadStart = at;
        this.protocol = next;
        this.protocolPointer = pointer;
        return null;
    }

    /**
     * Walks the type-length-value options of a Hop-by-Hop ({@code hopByHop}) or Destination Options header of
     * {@code length} bytes at {@code at} (RFC 8200 section 4.2), as Linux's {@code ip6_parse_tlv} does.
     */
    private ParseError options(int at, int length, boolean hopByHop) {
        int i = at + 2;
        int end = at + length;
        int padding = 0;
        int count = 0;
        while (i < end) {
            int type = buf.getUnsignedByte(i);
            if (type == OPTION_PAD1) {
                if (++padding > 7) {
                    return fail(ParseError.MALFORMED, "ipv6 option padding longer than 7 bytes");
                }
                i++;
                continue;
            }
            if (end - i < 2) {
                return fail(ParseError.MALFORMED, "ipv6 option length octet missing");
            }
            int optionLength = buf.getUnsignedByte(i + 1) + 2;
            if (optionLength > end - i) {
                return fail(ParseError.MALFORMED, "ipv6 option past end of header");
            }
            if (type == OPTION_PADN) {
                // RFC 4942 2.1.9.5: padding only aligns to 8 bytes, and its content should be zeros.
                padding += optionLength;
                if (padding > 7) {
                    return fail(ParseError.MALFORMED, "ipv6 option padding longer than 7 bytes");
                }
                for (int p = i + 2; p < i + optionLength; p++) {
                    if (buf.getByte(p) != 0) {
                        return fail(ParseError.MALFORMED, "ipv6 PadN option not zero");
                    }
                }
            } else {
                padding = 0;
                if (++count > MAX_OPTIONS) {
                    return fail(ParseError.MALFORMED, "ipv6 more than 8 options in a header");
                }
                ParseError error = option(type, i, optionLength, hopByHop);
                if (error != null) {
                    return error;
                }
            }
            i += optionLength;
        }
        return null;
    }

    /** One option other than padding at {@code i}: the known ones, else the action of its type's high two bits. */
    private ParseError option(int type, int i, int optionLength, boolean hopByHop) {
        if (hopByHop && type == OPTION_ROUTER_ALERT) {
            // RFC 2711: "Length: 2"; Linux drops any other.
            return optionLength == 4 ? null : fail(ParseError.MALFORMED, "ipv6 router alert option length not 2");
        }
        if (hopByHop && type == OPTION_JUMBO) {
            // RFC 2675 section 3: "IPv6 Payload Length != 0 and Jumbo Payload option present" is answered with code 0
            // pointing to the option type (a Payload Length of 0 never gets here).
            return problem(ParseError.MALFORMED, "ipv6 jumbo payload option with a payload length",
                    PROBLEM_ERRONEOUS_FIELD, i - offset, false);
        }
        return switch (type >>> 6) {
            case 0 -> null; // "skip over this option and continue processing the header"
            case 1 -> fail(ParseError.UNSUPPORTED, "ipv6 unrecognized option (discard)");
            case 2 -> problem(ParseError.UNSUPPORTED, "ipv6 unrecognized option (discard, answer)",
                    PROBLEM_UNRECOGNIZED_OPTION, i - offset, true);
            default -> problem(ParseError.UNSUPPORTED, "ipv6 unrecognized option (discard, answer unicast)",
                    PROBLEM_UNRECOGNIZED_OPTION, i - offset, false);
        };
    }

    /** A Routing header at {@code at} (RFC 8200 section 4.4): ignored when Segments Left is 0, refused otherwise. */
    private ParseError routing(int at) {
        if (buf.getUnsignedByte(at + 3) == 0) {
            return null; // "the node must ignore the Routing header and proceed to process the next header"
        }
        return problem(ParseError.UNSUPPORTED, "ipv6 routing header with segments left",
                PROBLEM_ERRONEOUS_FIELD, at + 2 - offset, false);
    }

    /** A Fragment header at {@code at}, the packet ending at {@code end} (RFC 8200 section 4.5 receiver checks). */
    private ParseError fragment(int at, int end) {
        int word = buf.getUnsignedShort(at + 2);
        int dataLength = end - at - FRAGMENT_HEADER_LENGTH;
        if ((word & FRAGMENT_FLAG_M) != 0 && (dataLength & 7) != 0) {
            // "not a multiple of 8 octets and the M flag of that fragment is 1 ... pointing to the Payload Length"
            return problem(ParseError.MALFORMED, "ipv6 fragment not a multiple of 8 bytes",
                    PROBLEM_ERRONEOUS_FIELD, PAYLOAD_LENGTH, false);
        }
        if ((word & FRAGMENT_OFFSET_MASK) + dataLength > 0xFFFF) {
            // "would exceed 65,535 octets ... pointing to the Fragment Offset field"
            return problem(ParseError.MALFORMED, "ipv6 fragment ends past 65535 bytes",
                    PROBLEM_ERRONEOUS_FIELD, at + 2 - offset, false);
        }
        fragmentHeader = at;
        return null;
    }

    private ParseError fail(ParseError error, String detail) {
        failure = detail;
        return error;
    }

    /**
     * Fails with a Parameter Problem to report; {@code evenToMulticast} for the one case RFC 4443 2.4 (e.3) allows an
     * answer to a multicast destination.
     */
    private ParseError problem(ParseError error, String detail, int code, int pointer, boolean evenToMulticast) {
        problemCode = code;
        problemPointer = pointer;
        long srcHigh = sourceHigh();
        boolean sourceUnique = !Ipv6Address.isMulticast(srcHigh) && (srcHigh != 0 || sourceLow() != 0);
        problemAnswer = sourceUnique && (evenToMulticast || !Ipv6Address.isMulticast(destinationHigh()));
        return fail(error, detail);
    }

    /** The detail of the last failed {@link #wrap}, a constant string (for logs and counters). */
    public String failure() {
        return failure;
    }

    /** The Parameter Problem code (0, 1 or 2) the last failed {@link #wrap} calls for, or -1 for none. */
    public int parameterProblemCode() {
        return problemCode;
    }

    /** The Parameter Problem's Pointer: the offset of the offending byte from the start of the packet. */
    public int parameterProblemPointer() {
        return problemPointer;
    }

    /**
     * True when the Parameter Problem may be sent: RFC 4443 2.4 (e) as far as the packet shows it (see the class
     * comment); the caller still rate-limits and skips link-layer multicast.
     */
    public boolean answerParameterProblem() {
        return problemCode >= 0 && problemAnswer;
    }

    /** The underlying buffer (not retained by the view). */
    public ByteBuf buffer() {
        return buf;
    }

    /** Absolute index of the first header byte. */
    public int offset() {
        return offset;
    }

    /** 40 + Payload Length: the packet without link-layer padding. */
    public int length() {
        return totalLength;
    }

    /** The version field (always 6 for a checked packet). */
    public int version() {
        return buf.getUnsignedByte(offset) >>> 4;
    }

    /** Traffic Class (DSCP in the high six bits, ECN in the low two; RFC 8200 section 7). */
    public int trafficClass() {
        return (buf.getInt(offset + VERSION_CLASS_FLOW) >>> 20) & 0xFF;
    }

    /** The DSCP (RFC 2474). */
    public int dscp() {
        return trafficClass() >>> 2;
    }

    /** The ECN field (RFC 3168). */
    public int ecn() {
        return trafficClass() & 0x3;
    }

    /** Flow Label, 20 bits (RFC 6437). */
    public int flowLabel() {
        return buf.getInt(offset + VERSION_CLASS_FLOW) & 0xF_FFFF;
    }

    /** The Payload Length field: everything after the fixed header, extension headers included. */
    public int payloadLengthField() {
        return totalLength - HEADER_LENGTH;
    }

    /** The fixed header's Next Header field: the first extension header or the upper-layer protocol. */
    public int nextHeader() {
        return buf.getUnsignedByte(offset + NEXT_HEADER);
    }

    /** Hop Limit. */
    public int hopLimit() {
        return buf.getUnsignedByte(offset + HOP_LIMIT);
    }

    /** The first 64 bits of Source Address. */
    public long sourceHigh() {
        return buf.getLong(offset + SOURCE);
    }

    /** The last 64 bits of Source Address. */
    public long sourceLow() {
        return buf.getLong(offset + SOURCE + 8);
    }

    /** The first 64 bits of Destination Address. */
    public long destinationHigh() {
        return buf.getLong(offset + DESTINATION);
    }

    /** The last 64 bits of Destination Address. */
    public long destinationLow() {
        return buf.getLong(offset + DESTINATION + 8);
    }

    /** Source Address (allocates; hot paths use {@link #sourceHigh()} and {@link #sourceLow()}). */
    public Ipv6Address source() {
        return new Ipv6Address(sourceHigh(), sourceLow());
    }

    /** Destination Address (allocates; hot paths use {@link #destinationHigh()} and {@link #destinationLow()}). */
    public Ipv6Address destination() {
        return new Ipv6Address(destinationHigh(), destinationLow());
    }

    /** The number of extension headers walked (the Fragment header included, those after it not). */
    public int extensionHeaderCount() {
        return extensionCount;
    }

    /** The fixed header plus the extension headers walked: the offset of the payload from {@link #offset()}. */
    public int headerLength() {
        return payloadStart - offset;
    }

    /** The upper-layer protocol at {@link #payloadOffset()} (for a fragment: the type of the fragmentable part). */
    public int protocolNumber() {
        return protocol;
    }

    /** {@link #protocolNumber()} as an open type. */
    public IpProtocol protocol() {
        return IpProtocol.of(protocol);
    }

    /**
     * The offset from the packet's start of the Next Header field that holds {@link #protocolNumber()}: the Pointer
     * of a Parameter Problem code 1 when the caller does not handle that protocol.
     */
    public int protocolPointer() {
        return protocolPointer;
    }

    /** Absolute index of the upper-layer header (or of a fragment's data). */
    public int payloadOffset() {
        return payloadStart;
    }

    /** Length of the upper-layer packet (or of a fragment's data): what the pseudo header's length counts. */
    public int payloadLength() {
        return offset + totalLength - payloadStart;
    }

    /** A slice of the payload sharing the buffer's memory; not retained (the caller's buffer must outlive it). */
    public ByteBuf payload() {
        return buf.slice(payloadOffset(), payloadLength());
    }

    /**
     * The partial sum of the pseudo header (RFC 8200 section 8.1) for the upper-layer packet of this one: addresses,
     * {@link #payloadLength()} and {@link #protocolNumber()}. Pass it as the seed of {@link Checksum#partial}. (With a
     * Routing header the final destination would be the last address in it; this stack never routes, so it is
     * Destination Address.)
     */
    public int pseudoHeaderSum() {
        return Checksum.pseudoHeaderIpv6(sourceHigh(), sourceLow(), destinationHigh(), destinationLow(), protocol,
                payloadLength());
    }

    /** True when a Fragment header was found: the payload is a fragment's data (possibly an atomic fragment). */
    public boolean isFragment() {
        return fragmentHeader >= 0;
    }

    /** Absolute index of the Fragment header, or -1 when there is none. */
    public int fragmentHeaderOffset() {
        return fragmentHeader;
    }

    /**
     * Offset from the packet's start of the Next Header field that names the Fragment header (6, the fixed header's,
     * or the first byte of the extension header before it): reassembly writes the fragmentable part's type there
     * (RFC 8200 4.5, "the Next Header field of the last header of the Per-Fragment headers is obtained from the Next
     * Header field of the first fragment's Fragment header"). Meaningless when there is no Fragment header.
     */
    public int fragmentNextHeaderPointer() {
        return fragmentPointer;
    }

    /** Fragment Offset in units of 8 octets, 0 when there is no Fragment header. */
    public int fragmentOffset() {
        return fragmentHeader < 0 ? 0 : buf.getUnsignedShort(fragmentHeader + 2) >>> 3;
    }

    /** Fragment Offset in bytes. */
    public int fragmentOffsetBytes() {
        return fragmentOffset() * 8;
    }

    /** The M flag: more fragments follow (false when there is no Fragment header). */
    public boolean moreFragments() {
        return fragmentHeader >= 0 && (buf.getUnsignedShort(fragmentHeader + 2) & FRAGMENT_FLAG_M) != 0;
    }

    /** The Fragment header's 32-bit Identification, 0 when there is none. */
    public int fragmentIdentification() {
        return fragmentHeader < 0 ? 0 : buf.getInt(fragmentHeader + 4);
    }

    /**
     * tcpdump {@code -v} style: {@code IP6 (flowlabel 0x12345, hlim 64, next-header ICMPv6 (58) payload length: 64)
     * 2001:db8::1 > 2001:db8::2}; class and flow label only when not zero.
     */
    @Override
    public String toString() {
        return Ipv6Repr.format(trafficClass(), flowLabel(), hopLimit(), nextHeader(), payloadLengthField(),
                sourceHigh(), sourceLow(), destinationHigh(), destinationLow())
                + (isFragment() ? ", frag (" + Integer.toUnsignedString(fragmentIdentification()) + ":"
                + fragmentOffsetBytes() + "|" + payloadLength() + (moreFragments() ? "+" : "") + ")" : "");
    }
}
