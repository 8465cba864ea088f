package io.userv2.stack.dhcp6;

import io.netty.buffer.ByteBuf;
import io.netty.util.NetUtil;
import io.userv2.stack.wire.ParseResult;
import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * A DHCPv6 client/server message (RFC 8415 section 8) as values: the header and the options this server reads or
 * writes. {@link #parse} reads a {@link Dhcp6Packet}; {@link #emit} writes one. Options not listed here (Vendor Class,
 * Client FQDN, IA_TA, Authentication, ...) are skipped when parsing and never written. When a single-valued option
 * appears twice, the first one counts.
 *
 * <p>Parsing is strict about the options it knows (RFC 8415 section 16: "Clients and servers SHOULD discard any
 * messages that contain options that are not allowed ..."): a known option whose length is wrong for it, an IA whose
 * nested options do not tile it, a DUID outside 3..130 octets, a compressed or cut domain name all make the whole
 * message {@link io.userv2.stack.wire.ParseError#MALFORMED}. Unknown options are skipped whatever they hold.
 *
 * @param msgType                msg-type
 * @param transactionId          transaction-id, 24 bits
 * @param clientId               Client Identifier (1), or null
 * @param serverId               Server Identifier (2), or null
 * @param iaNas                  IA_NA options (3), in order
 * @param iaPds                  IA_PD options (25), in order
 * @param optionRequest          Option Request (6) codes, or null when absent
 * @param preference             Preference (7), 0..255, or null
 * @param elapsedTime            Elapsed Time (8) in hundredths of a second, or null
 * @param status                 the message's own Status Code (13), or null
 * @param rapidCommit            Rapid Commit (14) present
 * @param dnsServers             DNS Recursive Name Servers (23, RFC 3646), or null
 * @param domainList             Domain Search List (24, RFC 3646), names without trailing dot, or null
 * @param informationRefreshTime Information Refresh Time (32) in seconds, or null
 * @param solMaxRt               SOL_MAX_RT (82) in seconds, or null
 */
public record Dhcp6Repr(
        Dhcp6MessageType msgType, int transactionId, Duid clientId, Duid serverId, List<IaNa> iaNas, List<IaPd> iaPds,
        List<Integer> optionRequest, Integer preference, Integer elapsedTime, Dhcp6Status status, boolean rapidCommit,
        List<Inet6Address> dnsServers, List<String> domainList, Long informationRefreshTime, Long solMaxRt) {
    /** The lifetime (and T1/T2) value meaning infinity (RFC 8415 section 7.7). */
    public static final long INFINITY = 0xFFFF_FFFFL;

    /** Validates every field so that {@link #emit} cannot fail, and copies the lists. */
    public Dhcp6Repr {
        Objects.requireNonNull(msgType, "msgType");
        if ((transactionId & ~0xFF_FFFF) != 0) {
            throw new IllegalArgumentException("transaction-id is 24 bits: " + transactionId);
        }
        iaNas = List.copyOf(iaNas == null ? List.of() : iaNas);
        iaPds = List.copyOf(iaPds == null ? List.of() : iaPds);
        optionRequest = optionRequest == null ? null : List.copyOf(optionRequest);
        dnsServers = dnsServers == null ? null : List.copyOf(dnsServers);
        domainList = domainList == null ? null : List.copyOf(domainList);
        if (optionRequest != null) {
            for (int code : optionRequest) {
                require((code & ~0xFFFF) == 0, "option code " + code);
            }
        }
        require(preference == null || (preference & ~0xFF) == 0, "preference");
        require(elapsedTime == null || (elapsedTime & ~0xFFFF) == 0, "elapsed time");
        if (informationRefreshTime != null) {
            requireU32(informationRefreshTime, "information refresh time");
        }
        if (solMaxRt != null) {
            requireU32(solMaxRt, "SOL_MAX_RT");
        }
        if (domainList != null) {
            for (String name : domainList) {
                require(DomainNames.encode(name) != null, "domain name " + name);
            }
        }
        // every option must fit its 16-bit length
        for (IaNa ia : iaNas) {
            require(ia.encodedLength() <= 0xFFFF, "IA_NA too long");
        }
        require(optionRequest == null || optionRequest.size() * 2 <= 0xFFFF, "ORO too long");
        require(dnsServers == null || dnsServers.size() * 16 <= 0xFFFF, "too many DNS servers");
        require(domainList == null || domainListLength(domainList) <= 0xFFFF, "domain list too long");
    }

    /** A builder with nothing set (msg-type SOLICIT, transaction-id 0). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this message's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** True when the Option Request option asks for {@code code}. */
    public boolean requests(int code) {
        return optionRequest != null && optionRequest.contains(code);
    }

    /**
     * Reads the options of {@code packet} (see the class comment for what fails). Nothing is retained: DUIDs and
     * strings are copied out of the buffer.
     */
    public static ParseResult<Dhcp6Repr> parse(Dhcp6Packet packet) {
        ByteBuf buf = packet.buffer();
        Builder b = new Builder().msgType(packet.msgType()).transactionId(packet.transactionId());
        int i = packet.optionsOffset();
        int end = i + packet.optionsLength();
        boolean seenOro = false;
        boolean seenDns = false;
        boolean seenDomains = false;
        while (i < end) { // the packet view checked that the options tile the message
            int code = buf.getUnsignedShort(i);
            int len = buf.getUnsignedShort(i + 2);
            int v = i + Dhcp6Packet.OPTION_HEADER;
            i = v + len;
            switch (code) {
                case Dhcp6Option.CLIENTID, Dhcp6Option.SERVERID -> {
                    Duid duid = Duid.read(buf, v, len);
                    if (duid == null) {
                        return ParseResult.malformed("DHCPv6 DUID not 3..130 octets");
                    }
                    if (code == Dhcp6Option.CLIENTID && b.clientId == null) {
                        b.clientId = duid;
                    } else if (code == Dhcp6Option.SERVERID && b.serverId == null) {
                        b.serverId = duid;
                    }
                }
                case Dhcp6Option.IA_NA -> {
                    IaNa ia = readIaNa(buf, v, len);
                    if (ia == null) {
                        return ParseResult.malformed("DHCPv6 IA_NA malformed");
                    }
                    b.iaNas.add(ia);
                }
                case Dhcp6Option.IA_PD -> {
                    IaPd pd = readIaPd(buf, v, len);
                    if (pd == null) {
                        return ParseResult.malformed("DHCPv6 IA_PD malformed");
                    }
                    b.iaPds.add(pd);
                }
                case Dhcp6Option.ORO -> {
                    if (len % 2 != 0) {
                        return ParseResult.malformed("DHCPv6 ORO length odd");
                    }
                    if (!seenOro) {
                        seenOro = true;
                        List<Integer> codes = new ArrayList<>(len / 2);
                        for (int k = 0; k < len; k += 2) {
                            codes.add(buf.getUnsignedShort(v + k));
                        }
                        b.optionRequest = codes;
                    }
                }
                case Dhcp6Option.PREFERENCE -> {
                    if (len != 1) {
                        return ParseResult.malformed("DHCPv6 preference length not 1");
                    }
                    if (b.preference == null) {
                        b.preference = (int) buf.getUnsignedByte(v);
                    }
                }
                case Dhcp6Option.ELAPSED_TIME -> {
                    if (len != 2) {
                        return ParseResult.malformed("DHCPv6 elapsed time length not 2");
                    }
                    if (b.elapsedTime == null) {
                        b.elapsedTime = buf.getUnsignedShort(v);
                    }
                }
                case Dhcp6Option.STATUS_CODE -> {
                    Dhcp6Status s = readStatus(buf, v, len);
                    if (s == null) {
                        return ParseResult.malformed("DHCPv6 status code too short or not UTF-8");
                    }
                    if (b.status == null) {
                        b.status = s;
                    }
                }
                case Dhcp6Option.RAPID_COMMIT -> {
                    if (len != 0) {
                        return ParseResult.malformed("DHCPv6 rapid commit not empty");
                    }
                    b.rapidCommit = true;
                }
                case Dhcp6Option.DNS_SERVERS -> {
                    if (len % 16 != 0) {
                        return ParseResult.malformed("DHCPv6 DNS servers length not a multiple of 16");
                    }
                    if (!seenDns) {
                        seenDns = true;
                        List<Inet6Address> list = new ArrayList<>(len / 16);
                        for (int k = 0; k < len; k += 16) {
                            list.add(readAddress(buf, v + k));
                        }
                        b.dnsServers = list;
                    }
                }
                case Dhcp6Option.DOMAIN_LIST -> {
                    List<String> names = DomainNames.decodeList(buf, v, len);
                    if (names == null) {
                        return ParseResult.malformed("DHCPv6 domain list not uncompressed RFC 1035 names");
                    }
                    if (!seenDomains) {
                        seenDomains = true;
                        b.domainList = names;
                    }
                }
                case Dhcp6Option.INFORMATION_REFRESH_TIME, Dhcp6Option.SOL_MAX_RT -> {
                    if (len != 4) {
                        return ParseResult.malformed("DHCPv6 " + Dhcp6Option.name(code) + " length not 4");
                    }
                    long value = buf.getUnsignedInt(v);
                    if (code == Dhcp6Option.INFORMATION_REFRESH_TIME && b.informationRefreshTime == null) {
                        b.informationRefreshTime = value;
                    } else if (code == Dhcp6Option.SOL_MAX_RT && b.solMaxRt == null) {
                        b.solMaxRt = value;
                    }
                }
                default -> {
                    // RFC 8415 section 16 lets a recipient ignore what it does not know
                }
            }
        }
        return ParseResult.ok(b.build());
    }

    private static IaNa readIaNa(ByteBuf buf, int v, int len) {
        if (len < IaNa.FIXED_LENGTH || !Dhcp6Packet.tiles(buf, v + IaNa.FIXED_LENGTH, len - IaNa.FIXED_LENGTH)) {
            return null;
        }
        List<IaAddress> addresses = new ArrayList<>();
        Dhcp6Status status = null;
        int i = v + IaNa.FIXED_LENGTH;
        int end = v + len;
        while (i < end) {
            int code = buf.getUnsignedShort(i);
            int olen = buf.getUnsignedShort(i + 2);
            int ov = i + Dhcp6Packet.OPTION_HEADER;
            i = ov + olen;
            if (code == Dhcp6Option.IAADDR) {
                IaAddress a = readIaAddress(buf, ov, olen);
                if (a == null) {
                    return null;
                }
                addresses.add(a);
            } else if (code == Dhcp6Option.STATUS_CODE) {
                Dhcp6Status s = readStatus(buf, ov, olen);
                if (s == null) {
                    return null;
                }
                status = status == null ? s : status;
            }
        }
        return new IaNa(buf.getInt(v), buf.getUnsignedInt(v + 4), buf.getUnsignedInt(v + 8), addresses, status);
    }

    private static IaAddress readIaAddress(ByteBuf buf, int v, int len) {
        if (len < IaAddress.FIXED_LENGTH
                || !Dhcp6Packet.tiles(buf, v + IaAddress.FIXED_LENGTH, len - IaAddress.FIXED_LENGTH)) {
            return null;
        }
        Dhcp6Status status = readNestedStatus(buf, v + IaAddress.FIXED_LENGTH, v + len);
        if (status == BAD_STATUS) {
            return null;
        }
        return new IaAddress(readAddress(buf, v), buf.getUnsignedInt(v + 16), buf.getUnsignedInt(v + 20), status);
    }

    private static IaPd readIaPd(ByteBuf buf, int v, int len) {
        if (len < IaPd.FIXED_LENGTH || !Dhcp6Packet.tiles(buf, v + IaPd.FIXED_LENGTH, len - IaPd.FIXED_LENGTH)) {
            return null;
        }
        Dhcp6Status status = readNestedStatus(buf, v + IaPd.FIXED_LENGTH, v + len);
        if (status == BAD_STATUS) {
            return null;
        }
        return new IaPd(buf.getInt(v), buf.getUnsignedInt(v + 4), buf.getUnsignedInt(v + 8), status);
    }

    /** Marks a nested Status Code that is too short. */
    private static final Dhcp6Status BAD_STATUS = new Dhcp6Status(0, "bad");

    /** The first Status Code among the (tiling) options in {@code [i, end)}, null if none, {@link #BAD_STATUS}. */
    private static Dhcp6Status readNestedStatus(ByteBuf buf, int i, int end) {
        Dhcp6Status status = null;
        while (i < end) {
            int code = buf.getUnsignedShort(i);
            int len = buf.getUnsignedShort(i + 2);
            if (code == Dhcp6Option.STATUS_CODE) {
                Dhcp6Status s = readStatus(buf, i + Dhcp6Packet.OPTION_HEADER, len);
                if (s == null) {
                    return BAD_STATUS;
                }
                status = status == null ? s : status;
            }
            i += Dhcp6Packet.OPTION_HEADER + len;
        }
        return status;
    }

    /** A Status Code, or null when it is shorter than 2 octets or its message is not UTF-8 (21.13 says it is). */
    private static Dhcp6Status readStatus(ByteBuf buf, int v, int len) {
        if (len < 2) {
            return null;
        }
        try {
            String message = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(buf.nioBuffer(v + 2, len - 2)).toString();
            return new Dhcp6Status(buf.getUnsignedShort(v), message);
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static Inet6Address readAddress(ByteBuf buf, int index) {
        byte[] a = new byte[16];
        buf.getBytes(index, a);
        return address(a);
    }

    /** The {@link Inet6Address} of 16 octets (never an IPv4 address, even for ::ffff:a.b.c.d), without scope. */
    static Inet6Address address(byte[] octets) {
        try {
            return Inet6Address.getByAddress(null, octets, -1);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("IPv6 address needs 16 octets", e);
        }
    }

    /** RFC 5952 text of {@code a}, e.g. {@code fd00::1234}. */
    static String format(Inet6Address a) {
        return NetUtil.toAddressString(a);
    }

    /** The message's length on the wire. */
    public int encodedLength() {
        int n = Dhcp6Packet.OPTIONS;
        n += clientId == null ? 0 : 4 + clientId.length();
        n += serverId == null ? 0 : 4 + serverId.length();
        for (IaNa ia : iaNas) {
            n += 4 + ia.encodedLength();
        }
        for (IaPd pd : iaPds) {
            n += 4 + pd.encodedLength();
        }
        n += status == null ? 0 : 4 + status.encodedLength();
        n += preference == null ? 0 : 5;
        n += rapidCommit ? 4 : 0;
        n += elapsedTime == null ? 0 : 6;
        n += optionRequest == null ? 0 : 4 + 2 * optionRequest.size();
        n += dnsServers == null ? 0 : 4 + 16 * dnsServers.size();
        n += domainList == null ? 0 : 4 + domainListLength(domainList);
        n += informationRefreshTime == null ? 0 : 8;
        n += solMaxRt == null ? 0 : 8;
        return n;
    }

    /**
     * Writes the message at absolute {@code offset} of {@code buf}, which must have {@link #encodedLength()} bytes of
     * capacity there; the buffer's indices are not moved. Returns the number of bytes written.
     */
    public int emit(ByteBuf buf, int offset) {
        buf.setByte(offset, msgType.value());
        buf.setMedium(offset + 1, transactionId);
        int i = offset + Dhcp6Packet.OPTIONS;
        if (clientId != null) {
            i = header(buf, i, Dhcp6Option.CLIENTID, clientId.length());
            clientId.write(buf, i);
            i += clientId.length();
        }
        if (serverId != null) {
            i = header(buf, i, Dhcp6Option.SERVERID, serverId.length());
            serverId.write(buf, i);
            i += serverId.length();
        }
        for (IaNa ia : iaNas) {
            i = header(buf, i, Dhcp6Option.IA_NA, ia.encodedLength());
            i = ia3(buf, i, ia.iaid(), ia.t1(), ia.t2());
            for (IaAddress a : ia.addresses()) {
                i = header(buf, i, Dhcp6Option.IAADDR, a.encodedLength());
                buf.setBytes(i, a.address().getAddress());
                buf.setInt(i + 16, (int) a.preferred());
                buf.setInt(i + 20, (int) a.valid());
                i = writeStatus(buf, i + IaAddress.FIXED_LENGTH, a.status());
            }
            i = writeStatus(buf, i, ia.status());
        }
        for (IaPd pd : iaPds) {
            i = header(buf, i, Dhcp6Option.IA_PD, pd.encodedLength());
            i = ia3(buf, i, pd.iaid(), pd.t1(), pd.t2());
            i = writeStatus(buf, i, pd.status());
        }
        i = writeStatus(buf, i, status);
        if (preference != null) {
            i = header(buf, i, Dhcp6Option.PREFERENCE, 1);
            buf.setByte(i++, preference);
        }
        if (rapidCommit) {
            i = header(buf, i, Dhcp6Option.RAPID_COMMIT, 0);
        }
        if (elapsedTime != null) {
            i = header(buf, i, Dhcp6Option.ELAPSED_TIME, 2);
            buf.setShort(i, elapsedTime);
            i += 2;
        }
        if (optionRequest != null) {
            i = header(buf, i, Dhcp6Option.ORO, 2 * optionRequest.size());
            for (int code : optionRequest) {
                buf.setShort(i, code);
                i += 2;
            }
        }
        if (dnsServers != null) {
            i = header(buf, i, Dhcp6Option.DNS_SERVERS, 16 * dnsServers.size());
            for (Inet6Address a : dnsServers) {
                buf.setBytes(i, a.getAddress());
                i += 16;
            }
        }
        if (domainList != null) {
            i = header(buf, i, Dhcp6Option.DOMAIN_LIST, domainListLength(domainList));
            for (String name : domainList) {
                byte[] wire = DomainNames.encode(name);
                buf.setBytes(i, wire);
                i += wire.length;
            }
        }
        if (informationRefreshTime != null) {
            i = header(buf, i, Dhcp6Option.INFORMATION_REFRESH_TIME, 4);
            buf.setInt(i, (int) (long) informationRefreshTime);
            i += 4;
        }
        if (solMaxRt != null) {
            i = header(buf, i, Dhcp6Option.SOL_MAX_RT, 4);
            buf.setInt(i, (int) (long) solMaxRt);
            i += 4;
        }
        return i - offset;
    }

    private static int header(ByteBuf buf, int i, int code, int length) {
        buf.setShort(i, code);
        buf.setShort(i + 2, length);
        return i + Dhcp6Packet.OPTION_HEADER;
    }

    private static int ia3(ByteBuf buf, int i, int iaid, long t1, long t2) {
        buf.setInt(i, iaid);
        buf.setInt(i + 4, (int) t1);
        buf.setInt(i + 8, (int) t2);
        return i + 12;
    }

    private static int writeStatus(ByteBuf buf, int i, Dhcp6Status s) {
        if (s == null) {
            return i;
        }
        i = header(buf, i, Dhcp6Option.STATUS_CODE, s.encodedLength());
        buf.setShort(i, s.code());
        byte[] text = s.message().getBytes(StandardCharsets.UTF_8);
        buf.setBytes(i + 2, text);
        return i + 2 + text.length;
    }

    private static int domainListLength(List<String> names) {
        int n = 0;
        for (String name : names) {
            byte[] wire = DomainNames.encode(name);
            n += wire == null ? 0 : wire.length;
        }
        return n;
    }

    static void requireU32(long v, String what) {
        if ((v & ~INFINITY) != 0) {
            throw new IllegalArgumentException(what + " out of range: " + v);
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("invalid DHCPv6 " + what);
        }
    }

    /**
     * tcpdump style, e.g. {@code dhcp6 solicit (xid=40b2b7 (client-ID 00:01:...) (IA_NA IAID:1 T1:0 T2:0)
     * (option-request DNS_SERVERS DOMAIN_LIST) (rapid-commit))}.
     */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(" ");
        add(j, "client-ID", clientId);
        add(j, "server-ID", serverId);
        iaNas.forEach(ia -> j.add("(" + ia + ")"));
        iaPds.forEach(pd -> j.add("(" + pd + ")"));
        add(j, "status", status);
        add(j, "preference", preference);
        if (rapidCommit) {
            j.add("(rapid-commit)");
        }
        add(j, "elapsed-time", elapsedTime);
        if (optionRequest != null) {
            StringJoiner codes = new StringJoiner(" ");
            optionRequest.forEach(c -> codes.add(Dhcp6Option.name(c)));
            j.add("(option-request " + codes + ")");
        }
        if (dnsServers != null) {
            StringJoiner a = new StringJoiner(" ");
            dnsServers.forEach(s -> a.add(format(s)));
            j.add("(DNS-server " + a + ")");
        }
        if (domainList != null) {
            j.add("(domain-search " + String.join(" ", domainList) + ")");
        }
        add(j, "info-refresh-time", informationRefreshTime);
        add(j, "SOL_MAX_RT", solMaxRt);
        String head = "dhcp6 " + msgType + " (xid=" + Integer.toHexString(transactionId);
        return j.length() == 0 ? head + ")" : head + " " + j + ")";
    }

    private static void add(StringJoiner j, String label, Object value) {
        if (value != null) {
            j.add("(" + label + " " + value + ")");
        }
    }

    /** Mutable builder for {@link Dhcp6Repr}; every setter returns the builder. */
    public static final class Builder {
        private Dhcp6MessageType msgType = Dhcp6MessageType.SOLICIT;
        private int transactionId;
        private Duid clientId;
        private Duid serverId;
        private final List<IaNa> iaNas = new ArrayList<>();
        private final List<IaPd> iaPds = new ArrayList<>();
        private List<Integer> optionRequest;
        private Integer preference;
        private Integer elapsedTime;
        private Dhcp6Status status;
        private boolean rapidCommit;
        private List<Inet6Address> dnsServers;
        private List<String> domainList;
        private Long informationRefreshTime;
        private Long solMaxRt;

        private Builder() {
        }

        private Builder(Dhcp6Repr r) {
            msgType = r.msgType;
            transactionId = r.transactionId;
            clientId = r.clientId;
            serverId = r.serverId;
            iaNas.addAll(r.iaNas);
            iaPds.addAll(r.iaPds);
            optionRequest = r.optionRequest;
            preference = r.preference;
            elapsedTime = r.elapsedTime;
            status = r.status;
            rapidCommit = r.rapidCommit;
            dnsServers = r.dnsServers;
            domainList = r.domainList;
            informationRefreshTime = r.informationRefreshTime;
            solMaxRt = r.solMaxRt;
        }

        /** Sets msg-type. */
        public Builder msgType(Dhcp6MessageType v) {
            msgType = v;
            return this;
        }

        /** Sets transaction-id (24 bits). */
        public Builder transactionId(int v) {
            transactionId = v;
            return this;
        }

        /** Sets the Client Identifier (null: none). */
        public Builder clientId(Duid v) {
            clientId = v;
            return this;
        }

        /** Sets the Server Identifier (null: none). */
        public Builder serverId(Duid v) {
            serverId = v;
            return this;
        }

        /** Adds an IA_NA. */
        public Builder addIaNa(IaNa v) {
            iaNas.add(Objects.requireNonNull(v, "iaNa"));
            return this;
        }

        /** Replaces the IA_NAs. */
        public Builder iaNas(List<IaNa> v) {
            iaNas.clear();
            iaNas.addAll(v);
            return this;
        }

        /** Adds an IA_PD. */
        public Builder addIaPd(IaPd v) {
            iaPds.add(Objects.requireNonNull(v, "iaPd"));
            return this;
        }

        /** Sets the Option Request codes (null: no option). */
        public Builder optionRequest(List<Integer> v) {
            optionRequest = v;
            return this;
        }

        /** Sets the Preference (null: none). */
        public Builder preference(Integer v) {
            preference = v;
            return this;
        }

        /** Sets the Elapsed Time in hundredths of a second (null: none). */
        public Builder elapsedTime(Integer v) {
            elapsedTime = v;
            return this;
        }

        /** Sets the message's Status Code (null: none). */
        public Builder status(Dhcp6Status v) {
            status = v;
            return this;
        }

        /** Sets or clears Rapid Commit. */
        public Builder rapidCommit(boolean v) {
            rapidCommit = v;
            return this;
        }

        /** Sets the DNS servers (null: no option). */
        public Builder dnsServers(List<Inet6Address> v) {
            dnsServers = v;
            return this;
        }

        /** Sets the domain search list (null: no option). */
        public Builder domainList(List<String> v) {
            domainList = v;
            return this;
        }

        /** Sets the Information Refresh Time in seconds (null: none). */
        public Builder informationRefreshTime(Long v) {
            informationRefreshTime = v;
            return this;
        }

        /** Sets SOL_MAX_RT in seconds (null: none). */
        public Builder solMaxRt(Long v) {
            solMaxRt = v;
            return this;
        }

        /** The message; throws {@link IllegalArgumentException} for values that cannot be encoded. */
        public Dhcp6Repr build() {
            return new Dhcp6Repr(msgType, transactionId, clientId, serverId, iaNas, iaPds, optionRequest, preference,
                    elapsedTime, status, rapidCommit, dnsServers, domainList, informationRefreshTime, solMaxRt);
        }
    }
}
