/* dbpoke — reads and writes an LMDB environment behind shoal's back, for the end-to-end
 * tests that damage a database on purpose or make one that shoal did not write.
 *
 *   dbpoke DIR TABLE KEY OP [ARG...]
 *
 * TABLE is a named table, or "-" for the environment's main table. KEY and VALUE are
 * text in which \xHH stands for one byte, or "0x" followed by hex digits. OP is one of
 *   get             print the value as hex
 *   text            print the value as it is
 *   put VALUE       store VALUE (the table is made if it does not exist)
 *   del             delete the key
 *   drop            empty the table and delete it (KEY is ignored; pass "-")
 *   xor OFF BYTE    flip bits of the byte at OFF (a negative OFF counts from the end)
 *   set OFF BYTES   overwrite from OFF with BYTES (text or 0x hex, as VALUE)
 *   add64 OFF DELTA add DELTA to the little-endian int64 at OFF
 *   mulf64 OFF F    multiply the double at OFF by F
 * It exits 0 when it did what was asked, 1 when LMDB or the value refused, 2 on usage. */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The buffers made, reachable to the end (the process is short; a leak check at exit
 * under the sanitizers finds nothing to report). */
static unsigned char *made[4];
static size_t n_made;

static unsigned char *keep(size_t n)
{
    unsigned char *b = n_made < sizeof made / sizeof *made ? malloc(n ? n : 1) : NULL;
    if (b) made[n_made++] = b;
    return b;
}

/* Decodes S into a new buffer; *n receives its length. NULL on a malformed hex. */
static unsigned char *bytes_of(const char *s, size_t *n)
{
    size_t len = strlen(s);
    unsigned char *b = keep(len + 1);
    if (!b) return NULL;
    *n = 0;
    if (s[0] == '0' && s[1] == 'x') {
        if ((len - 2) % 2) goto bad;
        for (size_t i = 2; i < len; i += 2) {
            int h = hexval(s[i]), l = hexval(s[i + 1]);
            if (h < 0 || l < 0) goto bad;
            b[(*n)++] = (unsigned char)(h << 4 | l);
        }
        return b;
    }
    while (*s) {
        if (s[0] == '\\' && s[1] == 'x' && hexval(s[2]) >= 0 && hexval(s[3]) >= 0) {
            b[(*n)++] = (unsigned char)(hexval(s[2]) << 4 | hexval(s[3]));
            s += 4;
        } else {
            b[(*n)++] = (unsigned char)*s++;
        }
    }
    return b;
bad:
    return NULL;
}

static int usage(void)
{
    fputs("usage: dbpoke DIR TABLE KEY get|text|put VALUE|del|drop|xor OFF BYTE|set OFF BYTES|"
          "add64 OFF DELTA|mulf64 OFF F\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 5) return usage();
    const char *dir = argv[1], *table = argv[2], *op = argv[4];
    static const char *const ops[] = {"get", "text", "put", "del", "drop", "xor", "set", "add64", "mulf64"};
    static const int n_args[] = {0, 0, 1, 0, 0, 2, 2, 2, 2};
    size_t o = 0;
    while (o < sizeof ops / sizeof *ops && strcmp(op, ops[o])) o++;
    if (o == sizeof ops / sizeof *ops || argc != 5 + n_args[o]) return usage();
    size_t kn, vn = 0;
    unsigned char *kb = bytes_of(argv[3], &kn), *vb = NULL;
    if (!kb) return usage();
    if (!strcmp(op, "put") || !strcmp(op, "set")) {
        vb = bytes_of(argv[o == 2 ? 5 : 6], &vn);
        if (!vb) return usage();
    }
    int writes = o >= 2;
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {kn, kb}, v;
    const char *what = "open";
    int rc = mdb_env_create(&env);
    if (!rc) rc = mdb_env_set_maxdbs(env, 256);
    if (!rc) rc = mdb_env_open(env, dir, writes ? 0 : MDB_RDONLY, 0664);
    if (!rc) rc = mdb_txn_begin(env, NULL, writes ? 0 : MDB_RDONLY, &txn);
    if (!rc) rc = mdb_dbi_open(txn, strcmp(table, "-") ? table : NULL, o == 2 ? MDB_CREATE : 0, &dbi);
    if (rc) goto out;
    what = op;
    if (o == 4) {
        rc = mdb_drop(txn, dbi, 1);
    } else if (o == 3) {
        rc = mdb_del(txn, dbi, &k, NULL);
    } else if (o == 2) {
        v.mv_size = vn;
        v.mv_data = vb;
        rc = mdb_put(txn, dbi, &k, &v, 0);
    } else if (!(rc = mdb_get(txn, dbi, &k, &v))) {
        if (o == 1) {
            fwrite(v.mv_data, 1, v.mv_size, stdout);
            putchar('\n');
            goto out;
        }
        if (o == 0) {
            for (size_t i = 0; i < v.mv_size; i++) printf("%02x", ((unsigned char *)v.mv_data)[i]);
            putchar('\n');
            goto out;
        }
        long long off = strtoll(argv[5], NULL, 10);
        if (off < 0) off += (long long)v.mv_size;
        size_t width = o == 5 ? 1 : o == 6 ? vn : 8;
        unsigned char *b = keep(v.mv_size);
        if (off < 0 || (size_t)off + width > v.mv_size || !b) {
            fprintf(stderr, "dbpoke: %s at %s: the value is %zu bytes\n", op, argv[5], v.mv_size);
            mdb_txn_abort(txn);
            mdb_env_close(env);
            return 1;
        }
        memcpy(b, v.mv_data, v.mv_size);
        if (o == 5) {
            b[off] ^= (unsigned char)strtoul(argv[6], NULL, 0);
        } else if (o == 6) {
            memcpy(b + off, vb, vn);
        } else if (o == 7) {
            int64_t x;
            memcpy(&x, b + off, 8);
            x = (int64_t)((uint64_t)x + (uint64_t)strtoll(argv[6], NULL, 10));
            memcpy(b + off, &x, 8);
        } else {
            double x;
            memcpy(&x, b + off, 8);
            x *= strtod(argv[6], NULL);
            memcpy(b + off, &x, 8);
        }
        v.mv_data = b;
        rc = mdb_put(txn, dbi, &k, &v, 0);
    }
    if (!rc && writes) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
out:
    if (rc) fprintf(stderr, "dbpoke: %s: %s table %s: %s\n", what, dir, table, mdb_strerror(rc));
    if (txn) mdb_txn_abort(txn);
    if (env) mdb_env_close(env);
    return rc ? 1 : 0;
}
