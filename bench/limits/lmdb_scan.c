/* bench/limits/lmdb_scan.c — the ceiling for a log scan: an LMDB cursor walking every
 * record of the "log" database that lmdb_append wrote, touching each value's bytes.
 * The file is in the page cache (just written); the best of three passes is reported,
 * in wall time (rate) and in CPU time (cpu_rate: what a core does when the machine is
 * shared, to set beside a scan's own CPU time).
 *
 * usage: lmdb_scan DIR  -> records= seconds= rate= (records/s) cpu_seconds= cpu_rate=
 */
#define _DEFAULT_SOURCE
#include "limits.h"

#include <lmdb.h>
#include <stdint.h>

static void check(int rc, const char *what)
{
    if (rc)
        die(what, mdb_strerror(rc));
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage", "lmdb_scan DIR");
    MDB_env *env;
    check(mdb_env_create(&env), "mdb_env_create");
    check(mdb_env_set_maxdbs(env, 4), "maxdbs");
    check(mdb_env_open(env, argv[1], MDB_RDONLY, 0644), "mdb_env_open");
    double best = 1e30, best_cpu = 1e30;
    uint64_t n = 0, sum = 0;
    for (int pass = 0; pass < 3; pass++) {
        MDB_txn *txn;
        MDB_dbi dbi;
        MDB_cursor *cur;
        check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin");
        check(mdb_dbi_open(txn, "log", 0, &dbi), "mdb_dbi_open");
        check(mdb_cursor_open(txn, dbi, &cur), "mdb_cursor_open");
        MDB_val k, v;
        double t0 = now_s(), c0 = cpu_s();
        n = 0;
        for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            const unsigned char *p = v.mv_data;
            sum += p[0] + p[v.mv_size - 1];   /* touch the record, as a decoder would */
            n++;
        }
        double secs = now_s() - t0, cpu = cpu_s() - c0;
        if (secs < best)
            best = secs;
        if (cpu < best_cpu)
            best_cpu = cpu;
        mdb_cursor_close(cur);
        mdb_txn_abort(txn);
    }
    mdb_env_close(env);
    printf("records=%llu seconds=%.4f rate=%.0f cpu_seconds=%.4f cpu_rate=%.0f check=%llu\n", (unsigned long long)n,
           best, (double)n / best, best_cpu, (double)n / best_cpu, (unsigned long long)(sum & 0xff));
    return 0;
}
