package io.userv2.switchd.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code dig} (bind9-dnsutils, the machine's) inside a namespace guest and parses what a user reads off it:
 * status, header flags, the answer and authority sections and the message size. With no {@code @server} argument dig asks the
 * nameserver of the guest's resolver file (see {@link NamespaceGuest#resolvConf()}).
 */
public record Dig(Exec.Result raw, List<Reply> replies) {
    private static final Pattern HEADER = Pattern.compile(";; ->>HEADER<<- opcode: (\\S+), status: (\\S+), id: (\\d+)");
    private static final Pattern FLAGS = Pattern.compile(";; flags:([^;]*); QUERY: (\\d+), ANSWER: (\\d+)");
    private static final Pattern SIZE = Pattern.compile(";; MSG SIZE\\s+rcvd: (\\d+)");
    private static final Pattern SERVER = Pattern.compile(";; SERVER: (\\S+)");

    /** One answer as dig printed it (one per query name: {@code dig a b c} prints three). */
    public record Reply(String status, List<String> flags, int answerCount, List<String> answers, int size, String server,
            List<String> authority) {
        public boolean truncated() {
            return flags.contains("tc");
        }

        /** The RDATA (last field) of every answer record of {@code type}. */
        public List<String> data(String type) {
            List<String> out = new ArrayList<>();
            for (String a : answers) {
                String[] f = a.split("\\s+", 5);
                if (f.length == 5 && f[3].equalsIgnoreCase(type)) {
                    out.add(f[4]);
                }
            }
            return out;
        }

        /** The TTL (second field) of every answer record of {@code type}. */
        public List<Long> ttls(String type) {
            return fields(answers, type).stream().map(f -> Long.parseLong(f[1])).toList();
        }

        /** Every authority record of {@code type}, split into owner, TTL, class, type and RDATA. */
        public List<String[]> authority(String type) {
            return fields(authority, type);
        }

        private static List<String[]> fields(List<String> lines, String type) {
            List<String[]> out = new ArrayList<>();
            for (String a : lines) {
                String[] f = a.split("\\s+", 5);
                if (f.length == 5 && f[3].equalsIgnoreCase(type)) {
                    out.add(f);
                }
            }
            return out;
        }
    }

    /** {@code dig -4 +time=3 +tries=2 ARGS} in {@code guest}; fails if dig itself fails (e.g. no answer at all). */
    public static Dig run(NamespaceGuest guest, String... args) {
        Dig d = tryRun(guest, args);
        if (!d.raw.ok() || d.replies.isEmpty()) {
            throw new AssertionError("dig failed in " + guest + ": " + d.raw);
        }
        return d;
    }

    /** Like {@link #run} but over IPv6 ({@code dig -6}); give the server as {@code @ADDRESS}. */
    public static Dig run6(NamespaceGuest guest, String... args) {
        Dig d = runWith(guest, "-6", args);
        if (!d.raw.ok() || d.replies.isEmpty()) {
            throw new AssertionError("dig -6 failed in " + guest + ": " + d.raw);
        }
        return d;
    }

    /** Like {@link #run} but returns whatever happened (for queries expected to fail). */
    public static Dig tryRun(NamespaceGuest guest, String... args) {
        return runWith(guest, "-4", args);
    }

    private static Dig runWith(NamespaceGuest guest, String family, String[] args) {
        List<String> cmd = new ArrayList<>(List.of("dig", family, "+time=3", "+tries=2"));
        cmd.addAll(List.of(args));
        Exec.Result r = guest.exec(Duration.ofSeconds(40), cmd.toArray(String[]::new));
        return new Dig(r, parse(r.output()));
    }

    static List<Reply> parse(String out) {
        List<Reply> replies = new ArrayList<>();
        String status = null;
        List<String> flags = List.of();
        int count = 0;
        List<String> answers = new ArrayList<>();
        List<String> authority = new ArrayList<>();
        boolean inAnswer = false;
        boolean inAuthority = false;
        String server = "";
        for (String line : out.split("\\R")) {
            Matcher m;
            if ((m = HEADER.matcher(line)).find()) {
                status = m.group(2);
                answers = new ArrayList<>();
                authority = new ArrayList<>();
                inAnswer = false;
                inAuthority = false;
                server = "";
            } else if ((m = FLAGS.matcher(line)).find()) {
                flags = List.of(m.group(1).trim().split("\\s+"));
                count = Integer.parseInt(m.group(3));
            } else if (line.startsWith(";; ANSWER SECTION:")) {
                inAnswer = true;
            } else if (line.startsWith(";; AUTHORITY SECTION:")) {
                inAuthority = true;
            } else if (line.isBlank() || line.startsWith(";")) {
                inAnswer = false;
                inAuthority = false;
                if ((m = SERVER.matcher(line)).find()) {
                    server = m.group(1);
                }
                if ((m = SIZE.matcher(line)).find() && status != null) {
                    replies.add(new Reply(status, flags, count, List.copyOf(answers), Integer.parseInt(m.group(1)), server,
                            List.copyOf(authority)));
                    status = null;
                }
            } else if (inAnswer) {
                answers.add(line.trim());
            } else if (inAuthority) {
                authority.add(line.trim());
            }
        }
        return replies;
    }

    /** The only (or first) reply. */
    public Reply reply() {
        return replies.get(0);
    }

    @Override
    public String toString() {
        return raw.toString();
    }
}
