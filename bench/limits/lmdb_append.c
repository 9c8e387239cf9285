/* bench/limits/lmdb_append.c — the ceiling for shoal's log append: LMDB alone writing
 * packed records of about the size of shoal's (60 bytes) under 8-byte big-endian
 * sequence keys with MDB_APPEND, committed in batches like shoal ingest (16384 per
 * transaction) and without fsync (like `ingest --nosync`).
 *
 * usage: lmdb_append DIR N [BATCH]  -> records= seconds= rate= (records/s) bytes= (file)
 */
#define _DEFAULT_SOURCE
#include "limits.h"

#include <lmdb.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#define REC_SIZE 60

static void check(int rc, const char *what)
{
    if (rc)
        die(what, mdb_strerror(rc));
}

int main(int argc, char **argv)
{
    if (argc < 3)
        die("usage", "lmdb_append DIR N [BATCH]");
    const char *dir = argv[1];
    uint64_t n = strtoull(argv[2], NULL, 10);
    uint64_t batch = argc > 3 ? strtoull(argv[3], NULL, 10) : 16384;
    mkdir(dir, 0755);

    MDB_env *env;
    check(mdb_env_create(&env), "mdb_env_create");
    /* Room for the records, their page headers and branch pages, with slack. */
    check(mdb_env_set_mapsize(env, (size_t)(n * 2 * (REC_SIZE + 16) + (64u << 20))), "mapsize");
    check(mdb_env_set_maxdbs(env, 4), "maxdbs");
    check(mdb_env_open(env, dir, MDB_NOSYNC, 0644), "mdb_env_open");

    unsigned char rec[REC_SIZE];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < REC_SIZE; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        rec[i] = (unsigned char)x;
    }
    double t0 = now_s();
    MDB_dbi dbi = 0;
    for (uint64_t seq = 1; seq <= n;) {
        MDB_txn *txn;
        check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
        if (seq == 1)
            check(mdb_dbi_open(txn, "log", MDB_CREATE, &dbi), "mdb_dbi_open");
        for (uint64_t k = 0; k < batch && seq <= n; k++, seq++) {
            unsigned char key[8];
            for (int b = 0; b < 8; b++)
                key[b] = (unsigned char)(seq >> (56 - 8 * b));
            memcpy(rec, &seq, sizeof seq);   /* records differ, as events do */
            MDB_val kv = {8, key}, dv = {REC_SIZE, rec};
            check(mdb_put(txn, dbi, &kv, &dv, MDB_APPEND), "mdb_put");
        }
        check(mdb_txn_commit(txn), "mdb_txn_commit");
    }
    double secs = now_s() - t0;
    mdb_env_close(env);

    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    long long bytes = stat(path, &st) == 0 ? (long long)st.st_blocks * 512 : -1;
    printf("records=%llu seconds=%.4f rate=%.0f bytes=%lld\n", (unsigned long long)n, secs,
           (double)n / secs, bytes);
    return 0;
}
