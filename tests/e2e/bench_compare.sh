#!/usr/bin/env bash
# tests/e2e/bench_compare.sh — bench/compare.c, which decides whether shoal's answer to
# a bench question equals DuckDB's: rows as multisets (any order), numbers within the
# tolerance, booleans against 0/1, NULL against empty, quoted CSV cells; different
# answers named; and an answer larger than one sort buffer compared on disk.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")/../.." && pwd)
if ! cc -std=c11 -O2 -Wall -Wextra -Werror -o "$T/compare" "$here/bench/compare.c" -lm 2> "$T/cc.err"; then
    fail bench-compare-builds "$(cat "$T/cc.err")"
    exit 0
fi
C=$T/compare
w() { printf "$2" > "$T/$1.csv"; }

w want 'member,n,x,ok,note\nm1,3,1.5,true,\nm2,1,-0.25,false,"a, ""b"""\nm3,2,0,t,NULL\n'
w same 'Member,n,x,ok,note\nm3,2,-0,1,\nm1,3.0,1.5000000001,1,null\nm2,1,-0.25,0,"a, ""b"""\n'
check_status "bench-compare: same rows in another order and spelling" 0 "$C" "$T/same.csv" "$T/want.csv"
w near 'member,n,x,ok,note\nm1,3,1.5000001,true,\nm2,1,-0.25,false,"a, ""b"""\nm3,2,0,t,\n'
check_status "bench-compare: a number off by 7e-8 relative is equal" 0 "$C" "$T/near.csv" "$T/want.csv"
w far 'member,n,x,ok,note\nm1,3,1.5001,true,\nm2,1,-0.25,false,"a, ""b"""\nm3,2,0,t,\n'
out=$("$C" "$T/far.csv" "$T/want.csv"); rc=$?
check_eq "bench-compare: a number off by 7e-5 relative differs" "$rc $out" "1 compare: sorted row 1: got m1,3,1.5001,true,, want m1,3,1.5,true,"
w str 'member,n,x,ok,note\nm1,3,1.5,true,\nm2,1,-0.25,false,"a, b"\nm3,2,0,t,\n'
check_status "bench-compare: a quoted cell's text differs" 1 "$C" "$T/str.csv" "$T/want.csv"
w fewer 'member,n,x,ok,note\nm1,3,1.5,true,\nm3,2,0,t,\n'
check_eq "bench-compare: a missing row" "$("$C" "$T/fewer.csv" "$T/want.csv")" "compare: 2 rows, want 3"
w dup 'member,n,x,ok,note\nm1,3,1.5,true,\nm1,3,1.5,true,\nm3,2,0,t,\n'
check_status "bench-compare: a row twice against two rows once" 1 "$C" "$T/dup.csv" "$T/want.csv"
w nl 'member,note\nm1,"two\nlines"\nm2,x\n'
w nl2 'member,note\nm2,x\nm1,"two\nlines"\n'
check_status "bench-compare: a quoted newline is one cell" 0 "$C" "$T/nl.csv" "$T/nl2.csv"
w nl3 'member,note\nm2,x\nm1,"two\nline"\n'
check_status "bench-compare: … whose text is compared" 1 "$C" "$T/nl.csv" "$T/nl3.csv"
: > "$T/empty.csv"
check_status "bench-compare: an empty file is an error" 2 "$C" "$T/empty.csv" "$T/want.csv"
check_status "bench-compare: a missing file is an error" 2 "$C" "$T/none.csv" "$T/want.csv"

# 1M rows, sorted on disk: in reverse order against in order; then one cell changed
awk 'BEGIN { print "member,n,x"; for (i = 0; i < 1000000; i++) printf "m%07d,%d,%.9f\n", i, i % 97, i / 7 }' > "$T/big1.csv"
{ echo "member,n,x"; tail -n +2 "$T/big1.csv" | tac; } > "$T/big2.csv"
check_status "bench-compare: 1M rows in reverse order" 0 "$C" "$T/big1.csv" "$T/big2.csv"
sed 's/^m0999999,\(.*\),.*$/m0999999,\1,1/' "$T/big2.csv" > "$T/big3.csv"
out=$("$C" "$T/big1.csv" "$T/big3.csv"); rc=$?
check_eq "bench-compare: … one cell of 3M changed" "$rc $out" "1 compare: sorted row 1000000: got m0999999,$((999999 % 97)),142857.000000000, want m0999999,$((999999 % 97)),1"
check_eq "bench-compare: no scratch left beside the answer" "$(ls -A "$T" | grep -c compare\\.)" "0"
