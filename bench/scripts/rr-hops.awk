# Reads `perf script -F pid,tid,cpu,time,event,trace` of raw_syscalls (rr-hops.sh) and prints one line per hop and
# measure: "DIRECTION ORDER MEASURE MICROSECONDS", DIRECTION "A->B" (requests) or "B->A" (answers), ORDER only there
# to sort the measures as listed. A and B are the two tapbridges' pids, M the middle process's (0: none, the wire).
# A tapbridge's writev is a frame it sends; it has received a frame when its socket thread's read returns: the
# thread that polls (poll, NR 7) before it reads, or, with --blocking-read, a read that returns the 4-byte length
# prefix (the tap-reading thread never polls, and reads whole frames). The middle's first read that returns bytes
# after that writev took the frame in, its next write (write or writev) sent it on.
function finish() {
    if (t0 == "") return
    print dir, 1, "hop", t4 - t0
    if (M != 0 && t3 != "") {
        print dir, 2, "detect", t1 - t0
        print dir, 3, "switch", t2 - t1
        print dir, 4, "write", t3 - t2
        print dir, 5, "wake", t4 - t3
        print dir, 6, "on-cpu", (cpuM == cpu4) ? 100 : 0
    }
}
{
    split($1, ids, "/"); pid = ids[1]
    cpu = $2; gsub(/[^0-9]/, "", cpu)
    t = $3; sub(/:$/, "", t); t = t * 1000000
    enter = ($4 ~ /sys_enter/)
    nr = $6
    ret = enter ? "" : $8
}
enter && nr == 20 && (pid == A || pid == B) {
    dir = (pid == A) ? "A->B" : "B->A"; dst = (pid == A) ? B : A
    t0 = t; t1 = t2 = t3 = t4 = ""; next
}
enter && nr == 7 && (pid == A || pid == B) { polls[ids[2]] = 1; next }
t0 == "" { next }
pid == M && M != 0 {
    if (!enter && nr == 0 && ret > 0 && t1 == "") t1 = t
    else if (enter && (nr == 1 || nr == 20) && t1 != "" && t2 == "") { t2 = t; cpuM = cpu }
    else if (!enter && (nr == 1 || nr == 20) && t2 != "" && t3 == "") t3 = t
    next
}
pid == dst && !enter && nr == 0 && (ret == 4 || (ret > 4 && polls[ids[2]])) { t4 = t; cpu4 = cpu; finish(); t0 = "" }
