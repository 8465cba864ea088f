package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * The parsed form of a DHCP message (RFC 2131) on Ethernet, with the options of RFC 2132 / RFC 3397 that a DHCP
 * server for a virtual LAN needs. Build one with {@link #builder()}.
 *
 * <p>Absent options are absent: every option component is {@code null} when the option is not in the message; lists
 * are never empty (an empty list given to the constructor becomes {@code null}) and are immutable. The fixed BOOTP
 * fields are always present (an all-zero address is {@link Ipv4Address#ANY}).
 *
 * <p>Parsing follows RFC 3396: several instances of one option are concatenated in order, and when Option Overload
 * (52) says so the file and then the sname fields are read as more options ("the 'options' field MUST be
 * interpreted first, ... followed by 'file' ... and then 'sname'"). Options not listed here are skipped.
 * Emitting never overloads; an option longer than 255 octets is split into several instances.
 *
 * @param op                   BOOTREQUEST or BOOTREPLY
 * @param hops                 relay hop count, 0..255
 * @param xid                  transaction ID
 * @param secs                 seconds since the client began, 0..65535
 * @param broadcast            the BROADCAST flag
 * @param ciaddr               client IP address (when BOUND/RENEWING/REBINDING)
 * @param yiaddr               "your" IP address, the one the server assigns
 * @param siaddr               next server IP address
 * @param giaddr               relay agent IP address
 * @param chaddr               client hardware address (htype 1, hlen 6)
 * @param sname                server host name, at most 64 octets ("" when empty)
 * @param file                 boot file name, at most 128 octets ("" when empty)
 * @param messageType          option 53, or null for plain BOOTP
 * @param subnetMask           option 1
 * @param routers              option 3
 * @param dnsServers           option 6
 * @param hostname             option 12
 * @param domainName           option 15
 * @param interfaceMtu         option 26, 68..65535
 * @param broadcastAddress     option 28
 * @param requestedIp          option 50
 * @param leaseTime            option 51, seconds, 0..0xffffffff (0xffffffff = infinite)
 * @param serverIdentifier     option 54
 * @param parameterRequestList option 55, option codes 0..255
 * @param message              option 56
 * @param maxMessageSize       option 57, 576..65535
 * @param renewalTime          option 58 (T1), seconds
 * @param rebindingTime        option 59 (T2), seconds
 * @param clientId             option 61
 * @param domainSearch         option 119, domain names without trailing dot
 */
public record DhcpRepr(
        Op op, int hops, int xid, int secs, boolean broadcast,
        Ipv4Address ciaddr, Ipv4Address yiaddr, Ipv4Address siaddr, Ipv4Address giaddr, MacAddress chaddr,
        String sname, String file,
        DhcpMessageType messageType, Ipv4Address subnetMask, List<Ipv4Address> routers, List<Ipv4Address> dnsServers,
        String hostname, String domainName, Integer interfaceMtu, Ipv4Address broadcastAddress,
        Ipv4Address requestedIp, Long leaseTime, Ipv4Address serverIdentifier, List<Integer> parameterRequestList,
        String message, Integer maxMessageSize, Long renewalTime, Long rebindingTime, DhcpClientId clientId,
        List<String> domainSearch) {

    /** The BOOTP op field. */
    public enum Op {
        /** 1: client to server. */
        BOOTREQUEST,
        /** 2: server to client. */
        BOOTREPLY;

        /** The wire value, 1 or 2. */
        public int value() {
            return ordinal() + 1;
        }
    }

    /** The BOOTP minimum message size (RFC 951 fixed fields plus 64 octets of vendor area) that servers pad to. */
    public static final int BOOTP_MIN_LENGTH = 300;
    /** Lease time meaning "infinite" (RFC 2132 section 9.2). */
    public static final long INFINITE_LEASE = 0xFFFF_FFFFL;

    /** Validates ranges and normalises empty lists to absent. */
    public DhcpRepr {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(ciaddr, "ciaddr");
        Objects.requireNonNull(yiaddr, "yiaddr");
        Objects.requireNonNull(siaddr, "siaddr");
        Objects.requireNonNull(giaddr, "giaddr");
        Objects.requireNonNull(chaddr, "chaddr");
        sname = sname == null ? "" : sname;
        file = file == null ? "" : file;
        require((hops & ~0xFF) == 0, "hops");
        require((secs & ~0xFFFF) == 0, "secs");
        require(latin1(sname) && sname.length() <= DhcpPacket.SNAME_LENGTH, "sname");
        require(latin1(file) && file.length() <= DhcpPacket.FILE_LENGTH, "file");
        routers = listOrNull(routers);
        dnsServers = listOrNull(dnsServers);
        parameterRequestList = listOrNull(parameterRequestList);
        domainSearch = listOrNull(domainSearch);
        require(hostname == null || (!hostname.isEmpty() && latin1(hostname)), "hostname");
        require(domainName == null || (!domainName.isEmpty() && latin1(domainName)), "domainName");
        require(message == null || (!message.isEmpty() && latin1(message)), "message");
        require(interfaceMtu == null || (interfaceMtu >= 68 && interfaceMtu <= 0xFFFF), "interfaceMtu");
        require(maxMessageSize == null || (maxMessageSize >= 576 && maxMessageSize <= 0xFFFF), "maxMessageSize");
        require(u32(leaseTime) && u32(renewalTime) && u32(rebindingTime), "lease times");
        if (parameterRequestList != null) {
            for (int code : parameterRequestList) {
                require((code & ~0xFF) == 0, "parameterRequestList");
            }
        }
        if (domainSearch != null) {
            for (String name : domainSearch) {
                require(encodeName(name) != null, "domainSearch name " + name);
            }
        }
    }

    /** A builder with every field absent or zero and op BOOTREQUEST. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this record's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Parses a checked message. Fails {@link ParseError#UNSUPPORTED} when the hardware is not Ethernet (htype 1,
     * hlen 6), and {@link ParseError#MALFORMED} when op is neither 1 nor 2, an option runs past the end of its field,
     * a known option has a length or value RFC 2132 forbids (e.g. a subnet mask that is not 4 octets, an MTU below
     * 68), the overload value is not 1..3, or the domain search list is not valid RFC 1035 encoding (bad label type,
     * a compression pointer that does not point backwards, a name over 255 octets). A missing End option is
     * tolerated. Does not retain the packet's buffer.
     */
    public static ParseResult<DhcpRepr> parse(DhcpPacket packet) {
        int opValue = packet.op();
        if (opValue != DhcpPacket.BOOTREQUEST && opValue != DhcpPacket.BOOTREPLY) {
            return ParseResult.malformed("DHCP op not 1 or 2");
        }
        if (packet.htype() != DhcpPacket.HTYPE_ETHERNET || packet.hlen() != 6) {
            return ParseResult.unsupported("DHCP hardware not Ethernet");
        }
        Map<Integer, ByteArrayOutputStream> raw = new HashMap<>();
        ByteBuf buf = packet.buffer();
        if (!scanOptions(buf, packet.optionsOffset(), packet.optionsLength(), raw)) {
            return ParseResult.malformed("DHCP option runs past end");
        }
        byte[] overload = bytes(raw, DhcpOption.OVERLOAD);
        boolean fileHoldsOptions = false;
        boolean snameHoldsOptions = false;
        if (overload != null) {
            if (overload.length != 1 || overload[0] < 1 || overload[0] > 3) {
                return ParseResult.malformed("DHCP overload option not 1..3");
            }
            fileHoldsOptions = (overload[0] & 1) != 0;
            snameHoldsOptions = (overload[0] & 2) != 0;
            if (fileHoldsOptions
                    && !scanOptions(buf, packet.fileOffset(), DhcpPacket.FILE_LENGTH, raw)) {
                return ParseResult.malformed("DHCP option runs past end of file field");
            }
            if (snameHoldsOptions
                    && !scanOptions(buf, packet.snameOffset(), DhcpPacket.SNAME_LENGTH, raw)) {
                return ParseResult.malformed("DHCP option runs past end of sname field");
            }
        }

        Builder b = new Builder()
                .op(opValue == DhcpPacket.BOOTREQUEST ? Op.BOOTREQUEST : Op.BOOTREPLY)
                .hops(packet.hops()).xid(packet.xid()).secs(packet.secs()).broadcast(packet.broadcast())
                .ciaddr(new Ipv4Address(packet.ciaddr())).yiaddr(new Ipv4Address(packet.yiaddr()))
                .siaddr(new Ipv4Address(packet.siaddr())).giaddr(new Ipv4Address(packet.giaddr()))
                .chaddr(MacAddress.of(packet.chaddrMac()))
                .sname(snameHoldsOptions ? "" : packet.sname())
                .file(fileHoldsOptions ? "" : packet.file());

        byte[] v;
        if ((v = bytes(raw, DhcpOption.MESSAGE_TYPE)) != null) {
            if (v.length != 1) {
                return ParseResult.malformed("DHCP message type length not 1");
            }
            b.messageType(DhcpMessageType.of(v[0] & 0xFF));
        }
        if ((v = bytes(raw, DhcpOption.SUBNET_MASK)) != null) {
            if (v.length != 4) {
                return ParseResult.malformed("DHCP subnet mask length not 4");
            }
            b.subnetMask(address(v, 0));
        }
        if ((v = bytes(raw, DhcpOption.ROUTER)) != null) {
            if ((b.routers = addresses(v)) == null) {
                return ParseResult.malformed("DHCP router option length not 4n");
            }
        }
        if ((v = bytes(raw, DhcpOption.DNS_SERVERS)) != null) {
            if ((b.dnsServers = addresses(v)) == null) {
                return ParseResult.malformed("DHCP DNS option length not 4n");
            }
        }
        if ((v = bytes(raw, DhcpOption.HOSTNAME)) != null) {
            if ((b.hostname = text(v)) == null) {
                return ParseResult.malformed("DHCP hostname empty");
            }
        }
        if ((v = bytes(raw, DhcpOption.DOMAIN_NAME)) != null) {
            if ((b.domainName = text(v)) == null) {
                return ParseResult.malformed("DHCP domain name empty");
            }
        }
        if ((v = bytes(raw, DhcpOption.INTERFACE_MTU)) != null) {
            // RFC 2132 section 5.1: "The minimum legal value for the MTU is 68."
            if (v.length != 2 || u16(v, 0) < 68) {
                return ParseResult.malformed("DHCP MTU option not 2 octets >= 68");
            }
            b.interfaceMtu(u16(v, 0));
        }
        if ((v = bytes(raw, DhcpOption.BROADCAST_ADDRESS)) != null) {
            if (v.length != 4) {
                return ParseResult.malformed("DHCP broadcast address length not 4");
            }
            b.broadcastAddress(address(v, 0));
        }
        if ((v = bytes(raw, DhcpOption.REQUESTED_IP)) != null) {
            if (v.length != 4) {
                return ParseResult.malformed("DHCP requested IP length not 4");
            }
            b.requestedIp(address(v, 0));
        }
        if ((v = bytes(raw, DhcpOption.LEASE_TIME)) != null) {
            if (v.length != 4) {
                return ParseResult.malformed("DHCP lease time length not 4");
            }
            b.leaseTime(u32(v));
        }
        if ((v = bytes(raw, DhcpOption.SERVER_IDENTIFIER)) != null) {
            if (v.length != 4) {
                return ParseResult.malformed("DHCP server identifier length not 4");
            }
            b.serverIdentifier(address(v, 0));
        }
        if ((v = bytes(raw, DhcpOption.PARAMETER_REQUEST_LIST)) != null) {
            if (v.length == 0) {
                return ParseResult.malformed("DHCP parameter request list empty");
            }
            List<Integer> codes = new ArrayList<>(v.length);
            for (byte c : v) {
                codes.add(c & 0xFF);
            }
            b.parameterRequestList(codes);
        }
        if ((v = bytes(raw, DhcpOption.MESSAGE)) != null) {
            if ((b.message = text(v)) == null) {
                return ParseResult.malformed("DHCP message option empty");
            }
        }
        if ((v = bytes(raw, DhcpOption.MAX_MESSAGE_SIZE)) != null) {
            // RFC 2132 section 9.10: "The minimum legal value is 576 octets."
            if (v.length != 2 || u16(v, 0) < 576) {
                return ParseResult.malformed("DHCP max message size not 2 octets >= 576");
            }
            b.maxMessageSize(u16(v, 0));
        }
        if ((v = bytes(raw, DhcpOption.RENEWAL_TIME)) != null) {
            if (v.length != 4) {
                return ParseResult.malformed("DHCP T1 length not 4");
            }
            b.renewalTime(u32(v));
        }
        if ((v = bytes(raw, DhcpOption.REBINDING_TIME)) != null) {
            if (v.length != 4) {
                return ParseResult.malformed("DHCP T2 length not 4");
            }
            b.rebindingTime(u32(v));
        }
        if ((v = bytes(raw, DhcpOption.CLIENT_IDENTIFIER)) != null) {
            // RFC 2132 section 9.14: "The minimum length for this option is 2."
            if (v.length < 2) {
                return ParseResult.malformed("DHCP client identifier shorter than 2");
            }
            b.clientId(DhcpClientId.of(v));
        }
        if ((v = bytes(raw, DhcpOption.DOMAIN_SEARCH)) != null) {
            List<String> names = decodeSearchList(v);
            if (names == null) {
                return ParseResult.malformed("DHCP domain search list not RFC 1035 encoded");
            }
            b.domainSearch(names);
        }
        return ParseResult.ok(b.build());
    }

    /**
     * The number of bytes {@link #emit} writes: the 240 fixed bytes and cookie, the options and End, padded to at
     * least {@link #BOOTP_MIN_LENGTH}.
     */
    public int encodedLength() {
        return Math.max(BOOTP_MIN_LENGTH, DhcpPacket.OPTIONS + encodeOptions().length);
    }

    /**
     * Writes the message at absolute {@code offset} of {@code buf} and returns the number of bytes written
     * ({@link #encodedLength()}); unused fields and the padding are zero. The buffer needs that much capacity from
     * {@code offset}; its indices are not moved and the caller keeps ownership. Options are written in the order
     * 53, 54, 51, 58, 59, 1, 3, 6, 12, 15, 26, 28, 50, 55, 56, 57, 61, 119, then End.
     */
    public int emit(ByteBuf buf, int offset) {
        byte[] options = encodeOptions();
        int length = Math.max(BOOTP_MIN_LENGTH, DhcpPacket.OPTIONS + options.length);
        buf.setZero(offset, length);
        buf.setByte(offset + DhcpPacket.OP, op.value());
        buf.setByte(offset + DhcpPacket.HTYPE, DhcpPacket.HTYPE_ETHERNET);
        buf.setByte(offset + DhcpPacket.HLEN, 6);
        buf.setByte(offset + DhcpPacket.HOPS, hops);
        buf.setInt(offset + DhcpPacket.XID, xid);
        buf.setShort(offset + DhcpPacket.SECS, secs);
        buf.setShort(offset + DhcpPacket.FLAGS, broadcast ? DhcpPacket.FLAG_BROADCAST : 0);
        buf.setInt(offset + DhcpPacket.CIADDR, ciaddr.bits());
        buf.setInt(offset + DhcpPacket.YIADDR, yiaddr.bits());
        buf.setInt(offset + DhcpPacket.SIADDR, siaddr.bits());
        buf.setInt(offset + DhcpPacket.GIADDR, giaddr.bits());
        MacAddress.write(buf, offset + DhcpPacket.CHADDR, chaddr.bits());
        buf.setBytes(offset + DhcpPacket.SNAME, sname.getBytes(StandardCharsets.ISO_8859_1));
        buf.setBytes(offset + DhcpPacket.FILE, file.getBytes(StandardCharsets.ISO_8859_1));
        buf.setInt(offset + DhcpPacket.MAGIC_COOKIE, DhcpPacket.MAGIC);
        buf.setBytes(offset + DhcpPacket.OPTIONS, options);
        return length;
    }

    private byte[] encodeOptions() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        if (messageType != null) {
            writeOption(out, DhcpOption.MESSAGE_TYPE, new byte[] {(byte) messageType.value()});
        }
        writeAddress(out, DhcpOption.SERVER_IDENTIFIER, serverIdentifier);
        writeU32(out, DhcpOption.LEASE_TIME, leaseTime);
        writeU32(out, DhcpOption.RENEWAL_TIME, renewalTime);
        writeU32(out, DhcpOption.REBINDING_TIME, rebindingTime);
        writeAddress(out, DhcpOption.SUBNET_MASK, subnetMask);
        writeAddresses(out, DhcpOption.ROUTER, routers);
        writeAddresses(out, DhcpOption.DNS_SERVERS, dnsServers);
        writeText(out, DhcpOption.HOSTNAME, hostname);
        writeText(out, DhcpOption.DOMAIN_NAME, domainName);
        writeU16(out, DhcpOption.INTERFACE_MTU, interfaceMtu);
        writeAddress(out, DhcpOption.BROADCAST_ADDRESS, broadcastAddress);
        writeAddress(out, DhcpOption.REQUESTED_IP, requestedIp);
        if (parameterRequestList != null) {
            byte[] codes = new byte[parameterRequestList.size()];
            for (int i = 0; i < codes.length; i++) {
                codes[i] = (byte) (int) parameterRequestList.get(i);
            }
            writeOption(out, DhcpOption.PARAMETER_REQUEST_LIST, codes);
        }
        writeText(out, DhcpOption.MESSAGE, message);
        writeU16(out, DhcpOption.MAX_MESSAGE_SIZE, maxMessageSize);
        if (clientId != null) {
            writeOption(out, DhcpOption.CLIENT_IDENTIFIER, clientId.toBytes());
        }
        if (domainSearch != null) {
            ByteArrayOutputStream names = new ByteArrayOutputStream();
            for (String name : domainSearch) {
                names.writeBytes(encodeName(name));
            }
            writeOption(out, DhcpOption.DOMAIN_SEARCH, names.toByteArray());
        }
        out.write(DhcpOption.END);
        return out.toByteArray();
    }

    /** Writes {@code value} as one or more instances of {@code code} of at most 255 octets each (RFC 3396). */
    private static void writeOption(ByteArrayOutputStream out, int code, byte[] value) {
        int i = 0;
        do {
            int n = Math.min(255, value.length - i);
            out.write(code);
            out.write(n);
            out.write(value, i, n);
            i += n;
        } while (i < value.length);
    }

    private static void writeAddress(ByteArrayOutputStream out, int code, Ipv4Address a) {
        if (a != null) {
            writeOption(out, code, a.toBytes());
        }
    }

    private static void writeAddresses(ByteArrayOutputStream out, int code, List<Ipv4Address> list) {
        if (list != null) {
            ByteArrayOutputStream v = new ByteArrayOutputStream(list.size() * 4);
            list.forEach(a -> v.writeBytes(a.toBytes()));
            writeOption(out, code, v.toByteArray());
        }
    }

    private static void writeU32(ByteArrayOutputStream out, int code, Long value) {
        if (value != null) {
            long x = value;
            writeOption(out, code, new byte[] {(byte) (x >>> 24), (byte) (x >>> 16), (byte) (x >>> 8), (byte) x});
        }
    }

    private static void writeU16(ByteArrayOutputStream out, int code, Integer value) {
        if (value != null) {
            int x = value;
            writeOption(out, code, new byte[] {(byte) (x >>> 8), (byte) x});
        }
    }

    private static void writeText(ByteArrayOutputStream out, int code, String text) {
        if (text != null) {
            writeOption(out, code, text.getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    /**
     * Reads the options in {@code [index, index + length)} into {@code raw}, appending the data of repeated codes
     * (RFC 3396 section 7: "the values of all options with the same code are concatenated"). Stops at End.
     * Returns false when an option's length octet or data runs past the field.
     */
    private static boolean scanOptions(ByteBuf buf, int index, int length, Map<Integer, ByteArrayOutputStream> raw) {
        int i = index;
        int end = index + length;
        while (i < end) {
            int code = buf.getUnsignedByte(i);
            if (code == DhcpOption.END) {
                return true;
            }
            if (code == DhcpOption.PAD) {
                i++;
                continue;
            }
            if (i + 2 > end) {
                return false;
            }
            int len = buf.getUnsignedByte(i + 1);
            if (len > end - i - 2) {
                return false;
            }
            ByteArrayOutputStream value = raw.computeIfAbsent(code, k -> new ByteArrayOutputStream(len));
            byte[] data = new byte[len];
            buf.getBytes(i + 2, data);
            value.writeBytes(data);
            i += 2 + len;
        }
        return true; // no End: tolerated (RFC 1122 section 1.2.2 robustness)
    }

    private static byte[] bytes(Map<Integer, ByteArrayOutputStream> raw, int code) {
        ByteArrayOutputStream v = raw.get(code);
        return v == null ? null : v.toByteArray();
    }

    private static Ipv4Address address(byte[] v, int i) {
        return new Ipv4Address(((v[i] & 0xFF) << 24) | ((v[i + 1] & 0xFF) << 16) | ((v[i + 2] & 0xFF) << 8)
                | (v[i + 3] & 0xFF));
    }

    private static List<Ipv4Address> addresses(byte[] v) {
        if (v.length == 0 || v.length % 4 != 0) {
            return null;
        }
        List<Ipv4Address> list = new ArrayList<>(v.length / 4);
        for (int i = 0; i < v.length; i += 4) {
            list.add(address(v, i));
        }
        return List.copyOf(list);
    }

    private static int u16(byte[] v, int i) {
        return ((v[i] & 0xFF) << 8) | (v[i + 1] & 0xFF);
    }

    private static long u32(byte[] v) {
        return ((long) u16(v, 0) << 16) | u16(v, 2);
    }

    /** ISO-8859-1 text with trailing NULs removed (some clients NUL-terminate, RFC 2132 says not to); null if empty. */
    private static String text(byte[] v) {
        int n = v.length;
        while (n > 0 && v[n - 1] == 0) {
            n--;
        }
        return n == 0 ? null : new String(v, 0, n, StandardCharsets.ISO_8859_1);
    }

    /**
     * Decodes an RFC 3397 search list: a sequence of RFC 1035 section 3.1 names, where RFC 1035 section 4.1.4
     * compression pointers are offsets into the concatenated option data. Returns null when the encoding is invalid.
     * Termination: a pointer must point before itself, at most 64 pointers are followed per name, and a name may not
     * exceed 255 octets.
     */
    private static List<String> decodeSearchList(byte[] v) {
        if (v.length == 0) {
            return null;
        }
        List<String> names = new ArrayList<>();
        int i = 0;
        while (i < v.length) {
            StringBuilder name = new StringBuilder();
            int pos = i;
            int next = -1; // where the next name starts, fixed at the first pointer or the terminating zero
            int wireLength = 1;
            int jumps = 0;
            while (true) {
                if (pos >= v.length) {
                    return null;
                }
                int len = v[pos] & 0xFF;
                if (len == 0) {
                    if (next < 0) {
                        next = pos + 1;
                    }
                    break;
                }
                int type = len & 0xC0;
                if (type == 0xC0) {
                    if (pos + 1 >= v.length || ++jumps > 64) {
                        return null;
                    }
                    int pointer = ((len & 0x3F) << 8) | (v[pos + 1] & 0xFF);
                    if (pointer >= pos) {
                        return null;
                    }
                    if (next < 0) {
                        next = pos + 2;
                    }
                    pos = pointer;
                    continue;
                }
                if (type != 0) {
                    return null; // 0x40 and 0x80 label types are reserved / obsolete
                }
                if (pos + 1 + len > v.length) {
                    return null;
                }
                wireLength += len + 1;
                if (wireLength > 255) {
                    return null;
                }
                String label = new String(v, pos + 1, len, StandardCharsets.ISO_8859_1);
                if (label.indexOf('.') >= 0) {
                    return null; // would not survive re-encoding as text
                }
                if (name.length() > 0) {
                    name.append('.');
                }
                name.append(label);
                pos += 1 + len;
            }
            names.add(name.toString());
            i = next;
        }
        return List.copyOf(names);
    }

    /** RFC 1035 uncompressed encoding of {@code name} (a trailing dot is allowed), or null if it cannot be encoded. */
    private static byte[] encodeName(String name) {
        if (name == null || !latin1(name)) {
            return null;
        }
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        ByteArrayOutputStream out = new ByteArrayOutputStream(n.length() + 2);
        if (!n.isEmpty()) {
            for (String label : n.split("\\.", -1)) {
                if (label.isEmpty() || label.length() > 63) {
                    return null;
                }
                out.write(label.length());
                out.writeBytes(label.getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        out.write(0);
        return out.size() > 255 ? null : out.toByteArray();
    }

    private static boolean latin1(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0xFF) {
                return false;
            }
        }
        return true;
    }

    private static boolean u32(Long v) {
        return v == null || (v >= 0 && v <= 0xFFFF_FFFFL);
    }

    private static <T> List<T> listOrNull(List<T> list) {
        return list == null || list.isEmpty() ? null : List.copyOf(list);
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("DHCP field out of range: " + what);
        }
    }

    /**
     * tcpdump style on one line, e.g.
     * {@code BOOTP/DHCP, Request from 52:55:55:12:34:56, xid 0xa329f13e, Flags [none], DHCP-Message Discover,
     * MSZ 576, Parameter-Request [Subnet-Mask,Default-Gateway], Hostname "lima-test", Client-ID 01:52:55:55:12:34:56}.
     */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ");
        j.add("BOOTP/DHCP");
        j.add((op == Op.BOOTREQUEST ? "Request" : "Reply") + " from " + chaddr);
        j.add("xid 0x" + Integer.toHexString(xid));
        if (secs != 0) {
            j.add("secs " + secs);
        }
        if (hops != 0) {
            j.add("hops " + hops);
        }
        j.add(broadcast ? "Flags [Broadcast]" : "Flags [none]");
        addIfSet(j, "Client-IP", ciaddr);
        addIfSet(j, "Your-IP", yiaddr);
        addIfSet(j, "Server-IP", siaddr);
        addIfSet(j, "Gateway-IP", giaddr);
        if (!sname.isEmpty()) {
            j.add("sname \"" + sname + "\"");
        }
        if (!file.isEmpty()) {
            j.add("file \"" + file + "\"");
        }
        add(j, "DHCP-Message", messageType);
        add(j, "Server-ID", serverIdentifier);
        add(j, "Lease-Time", leaseTime);
        add(j, "RN", renewalTime);
        add(j, "RB", rebindingTime);
        add(j, "Subnet-Mask", subnetMask);
        add(j, "Default-Gateway", routers);
        add(j, "Domain-Name-Server", dnsServers);
        add(j, "Hostname", hostname == null ? null : "\"" + hostname + "\"");
        add(j, "Domain-Name", domainName == null ? null : "\"" + domainName + "\"");
        add(j, "MTU", interfaceMtu);
        add(j, "BR", broadcastAddress);
        add(j, "Requested-IP", requestedIp);
        if (parameterRequestList != null) {
            StringJoiner codes = new StringJoiner(",", "[", "]");
            parameterRequestList.forEach(c -> codes.add(DhcpOption.name(c)));
            j.add("Parameter-Request " + codes);
        }
        add(j, "DHCP-Message-Text", message == null ? null : "\"" + message + "\"");
        add(j, "MSZ", maxMessageSize);
        add(j, "Client-ID", clientId);
        add(j, "Domain-Search", domainSearch);
        return j.toString();
    }

    private static void addIfSet(StringJoiner j, String label, Ipv4Address a) {
        if (a.bits() != 0) {
            j.add(label + " " + a);
        }
    }

    private static void add(StringJoiner j, String label, Object value) {
        if (value != null) {
            j.add(label + " " + value);
        }
    }

    /** Mutable builder for {@link DhcpRepr}; every setter returns the builder. */
    public static final class Builder {
        private Op op = Op.BOOTREQUEST;
        private int hops;
        private int xid;
        private int secs;
        private boolean broadcast;
        private Ipv4Address ciaddr = Ipv4Address.ANY;
        private Ipv4Address yiaddr = Ipv4Address.ANY;
        private Ipv4Address siaddr = Ipv4Address.ANY;
        private Ipv4Address giaddr = Ipv4Address.ANY;
        private MacAddress chaddr = MacAddress.ZERO;
        private String sname = "";
        private String file = "";
        private DhcpMessageType messageType;
        private Ipv4Address subnetMask;
        private List<Ipv4Address> routers;
        private List<Ipv4Address> dnsServers;
        private String hostname;
        private String domainName;
        private Integer interfaceMtu;
        private Ipv4Address broadcastAddress;
        private Ipv4Address requestedIp;
        private Long leaseTime;
        private Ipv4Address serverIdentifier;
        private List<Integer> parameterRequestList;
        private String message;
        private Integer maxMessageSize;
        private Long renewalTime;
        private Long rebindingTime;
        private DhcpClientId clientId;
        private List<String> domainSearch;

        private Builder() {
        }

        private Builder(DhcpRepr r) {
            op = r.op;
            hops = r.hops;
            xid = r.xid;
            secs = r.secs;
            broadcast = r.broadcast;
            ciaddr = r.ciaddr;
            yiaddr = r.yiaddr;
            siaddr = r.siaddr;
            giaddr = r.giaddr;
            chaddr = r.chaddr;
            sname = r.sname;
            file = r.file;
            messageType = r.messageType;
            subnetMask = r.subnetMask;
            routers = r.routers;
            dnsServers = r.dnsServers;
            hostname = r.hostname;
            domainName = r.domainName;
            interfaceMtu = r.interfaceMtu;
            broadcastAddress = r.broadcastAddress;
            requestedIp = r.requestedIp;
            leaseTime = r.leaseTime;
            serverIdentifier = r.serverIdentifier;
            parameterRequestList = r.parameterRequestList;
            message = r.message;
            maxMessageSize = r.maxMessageSize;
            renewalTime = r.renewalTime;
            rebindingTime = r.rebindingTime;
            clientId = r.clientId;
            domainSearch = r.domainSearch;
        }

        /** Sets op. */
        public Builder op(Op v) {
            op = v;
            return this;
        }

        /** Sets hops. */
        public Builder hops(int v) {
            hops = v;
            return this;
        }

        /** Sets xid. */
        public Builder xid(int v) {
            xid = v;
            return this;
        }

        /** Sets secs. */
        public Builder secs(int v) {
            secs = v;
            return this;
        }

        /** Sets the BROADCAST flag. */
        public Builder broadcast(boolean v) {
            broadcast = v;
            return this;
        }

        /** Sets ciaddr. */
        public Builder ciaddr(Ipv4Address v) {
            ciaddr = v;
            return this;
        }

        /** Sets yiaddr. */
        public Builder yiaddr(Ipv4Address v) {
            yiaddr = v;
            return this;
        }

        /** Sets siaddr. */
        public Builder siaddr(Ipv4Address v) {
            siaddr = v;
            return this;
        }

        /** Sets giaddr. */
        public Builder giaddr(Ipv4Address v) {
            giaddr = v;
            return this;
        }

        /** Sets chaddr. */
        public Builder chaddr(MacAddress v) {
            chaddr = v;
            return this;
        }

        /** Sets sname. */
        public Builder sname(String v) {
            sname = v;
            return this;
        }

        /** Sets file. */
        public Builder file(String v) {
            file = v;
            return this;
        }

        /** Sets option 53. */
        public Builder messageType(DhcpMessageType v) {
            messageType = v;
            return this;
        }

        /** Sets option 1. */
        public Builder subnetMask(Ipv4Address v) {
            subnetMask = v;
            return this;
        }

        /** Sets option 3. */
        public Builder routers(List<Ipv4Address> v) {
            routers = v;
            return this;
        }

        /** Sets option 6. */
        public Builder dnsServers(List<Ipv4Address> v) {
            dnsServers = v;
            return this;
        }

        /** Sets option 12. */
        public Builder hostname(String v) {
            hostname = v;
            return this;
        }

        /** Sets option 15. */
        public Builder domainName(String v) {
            domainName = v;
            return this;
        }

        /** Sets option 26. */
        public Builder interfaceMtu(Integer v) {
            interfaceMtu = v;
            return this;
        }

        /** Sets option 28. */
        public Builder broadcastAddress(Ipv4Address v) {
            broadcastAddress = v;
            return this;
        }

        /** Sets option 50. */
        public Builder requestedIp(Ipv4Address v) {
            requestedIp = v;
            return this;
        }

        /** Sets option 51 (seconds). */
        public Builder leaseTime(Long v) {
            leaseTime = v;
            return this;
        }

        /** Sets option 54. */
        public Builder serverIdentifier(Ipv4Address v) {
            serverIdentifier = v;
            return this;
        }

        /** Sets option 55. */
        public Builder parameterRequestList(List<Integer> v) {
            parameterRequestList = v;
            return this;
        }

        /** Sets option 56. */
        public Builder message(String v) {
            message = v;
            return this;
        }

        /** Sets option 57. */
        public Builder maxMessageSize(Integer v) {
            maxMessageSize = v;
            return this;
        }

        /** Sets option 58 (seconds). */
        public Builder renewalTime(Long v) {
            renewalTime = v;
            return this;
        }

        /** Sets option 59 (seconds). */
        public Builder rebindingTime(Long v) {
            rebindingTime = v;
            return this;
        }

        /** Sets option 61. */
        public Builder clientId(DhcpClientId v) {
            clientId = v;
            return this;
        }

        /** Sets option 119. */
        public Builder domainSearch(List<String> v) {
            domainSearch = v;
            return this;
        }

        /** The record; throws {@link IllegalArgumentException} for values that cannot be encoded. */
        public DhcpRepr build() {
            return new DhcpRepr(op, hops, xid, secs, broadcast, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file,
                    messageType, subnetMask, routers, dnsServers, hostname, domainName, interfaceMtu,
                    broadcastAddress, requestedIp, leaseTime, serverIdentifier, parameterRequestList, message,
                    maxMessageSize, renewalTime, rebindingTime, clientId, domainSearch);
        }
    }
}
