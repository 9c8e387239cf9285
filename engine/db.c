/* db.c — the database: one LMDB environment in one directory.
 *
 * Opens the environment and its named databases (log, ids, dict, meta), checks the
 * format version, keeps settings in meta, and grows the map. The map is only an
 * address-space reservation: without MDB_WRITEMAP the file grows with the data, so
 * doubling it costs nothing on disk. Every write path retries its whole transaction
 * after a grow (see log.c), which is why MDB_MAP_FULL never loses a batch.
 *
 * Opening is careful about what is not ours (docs/ARCHITECTURE.md, "Opening"): a
 * database is created only in a new or empty directory; an environment whose meta has
 * no valid shoal format is refused, not written to; and data.mdb is checked against
 * its meta page before LMDB maps it, since LMDB reads a truncated file or a damaged
 * meta page through the map and dies of SIGBUS. Reader slots left by killed processes
 * are reclaimed at open and before each write transaction.
 */
#include "shoal_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- the meta pages */

/* LMDB's meta page (data format 1 of LMDB 0.9, 64-bit): a 16-byte page header (flags
 * u16 at 10, P_META = 0x08), then magic u32, version u32, address, map size, two
 * MDB_db of 48 bytes (the free pages', then the main table's: pad u32 — the page size,
 * in the free pages' one — flags u16, depth u16, branch, leaf and overflow pages,
 * entries, root page), the last page number and the transaction id. LMDB reads both
 * meta pages with pread and takes the one with the greater transaction id; everything
 * else it reads through the map, where a page past the end of the file is SIGBUS. */
enum {
    LM_FLAGS = 10, LM_MAGIC = 16, LM_VERSION = 20, LM_FREE = 40, LM_MAIN = 88, LM_LAST = 136, LM_TXNID = 144,
    LM_SIZE = 152, LM_DB_FLAGS = 4, LM_DB_ROOT = 40
};
#define LM_P_META 0x08
#define LM_MAGIC_VALUE 0xBEEFC0DEu
#define LM_NO_PAGE UINT64_MAX

typedef struct lmeta {
    uint64_t psize, last, txnid, free_root, main_root;
    unsigned free_flags, main_flags;
} lmeta;

static uint64_t u64_at(const unsigned char *b, size_t off)
{
    uint64_t v;
    memcpy(&v, b + off, 8);
    return v;
}

static unsigned u32_at(const unsigned char *b, size_t off)
{
    uint32_t v;
    memcpy(&v, b + off, 4);
    return v;
}

static unsigned u16_at(const unsigned char *b, size_t off)
{
    uint16_t v;
    memcpy(&v, b + off, 2);
    return v;
}

/* 1 when the page at off is a meta page of LMDB's format 1, 0 when not, -1 when the
 * file ends before it. */
static int meta_read(int fd, uint64_t off, lmeta *m, unsigned char *b)
{
    if (pread(fd, b, LM_SIZE, (off_t)off) != LM_SIZE) return -1;
    if (!(u16_at(b, LM_FLAGS) & LM_P_META) || u32_at(b, LM_MAGIC) != LM_MAGIC_VALUE || u32_at(b, LM_VERSION) != 1)
        return 0;
    m->psize = u32_at(b, LM_FREE);
    m->free_flags = u16_at(b, LM_FREE + LM_DB_FLAGS);
    m->main_flags = u16_at(b, LM_MAIN + LM_DB_FLAGS);
    m->free_root = u64_at(b, LM_FREE + LM_DB_ROOT);
    m->main_root = u64_at(b, LM_MAIN + LM_DB_ROOT);
    m->last = u64_at(b, LM_LAST);
    m->txnid = u64_at(b, LM_TXNID);
    return 1;
}

/* The most pages a file may end short of the meta's last page (loose pages: below) */
#define LOOSE_MAX 65536

static int psize_ok(uint64_t p) { return p >= 512 && p <= 65536 && (p & (p - 1)) == 0; }

/* Checks file (data.mdb) against the meta page LMDB will use: SHOAL_OK, SHOAL_ENOTFOUND
 * for an empty file (LMDB would make it a new environment), SHOAL_ECORRUPT with a
 * message naming the file. */
static int meta_check_once(const char *file, unsigned char raw[2][LM_SIZE], volatile int *cancel, shoal_err *err)
{
    if (sizeof(size_t) != 8) return SHOAL_OK;   /* the layout above is the 64-bit one */
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return SHOAL_OK;   /* LMDB's open says why */
    struct stat st;
    lmeta m[2];
    int rc = SHOAL_OK, k0, k1 = 1;
    uint64_t size = 0, need = 0;
    if (fstat(fd, &st) != 0) goto done;
    size = (uint64_t)st.st_size;
    if (size == 0) {
        rc = SHOAL_ENOTFOUND;
        goto done;
    }
    k0 = meta_read(fd, 0, &m[0], raw[0]);
    if (k0 == 1 && !psize_ok(m[0].psize)) k0 = 0;
    if (k0 == 1) k1 = meta_read(fd, m[0].psize, &m[1], raw[1]);
    if (k0 < 0 || k1 < 0) {
        need = 2 * (k0 == 1 ? m[0].psize : 4096);
        goto truncated;
    }
    if (k0 == 0 || k1 == 0) {
        rc = shoal_err_set(err, SHOAL_ECORRUPT, -1, -1,
                           "\"%s\" is not an LMDB file, or its %s meta page is damaged", file,
                           k0 == 0 ? "first" : "second");
        goto done;
    }
    const lmeta *c = &m[m[1].txnid > m[0].txnid];
    const char *which = c == &m[0] ? "first" : "second";
    if (c->psize != m[0].psize || c->free_flags != MDB_INTEGERKEY || c->main_flags != 0 ||
        c->last < 1 || c->last >= UINT64_MAX / c->psize ||
        (c->free_root != LM_NO_PAGE && (c->free_root < 2 || c->free_root > c->last)) ||
        (c->main_root != LM_NO_PAGE && (c->main_root < 2 || c->main_root > c->last))) {
        rc = shoal_err_set(err, SHOAL_ECORRUPT, -1, -1,
                           "the current (%s) meta page of \"%s\" is damaged, or it is not a shoal database", which,
                           file);
        goto done;
    }
    need = (c->last + 1) * c->psize;
    /* LMDB does not write a page its transaction took and freed again (a loose page),
     * though the meta's last page counts it: a file may end before the last page with
     * nothing of it in use. A short file is refused only when a page some table
     * reaches lies past its end (it would be read through the map, SIGBUS) or when it
     * is short by more than any transaction's loose pages could make it (a damaged
     * meta page). */
    if (size < need) {
        if (need - size > (uint64_t)LOOSE_MAX * c->psize) goto truncated;
        int in = shoal_pages_inside(fd, c->psize, size / c->psize, c->free_root, c->main_root, cancel);
        if (in == SHOAL_ECANCEL) rc = shoal_err_set(err, SHOAL_ECANCEL, -1, -1, "cancelled");
        else if (in < 0) rc = shoal_err_set(err, in, -1, -1, "out of memory");
        else if (!in) goto truncated;
    }
    goto done;
truncated:
    rc = shoal_err_set(err, SHOAL_ECORRUPT, -1, -1,
                       "\"%s\" is truncated: %llu bytes, the database needs at least %llu (or its meta page is damaged)",
                       file, (unsigned long long)size, (unsigned long long)need);
done:
    close(fd);
    return rc;
}

int shoal_db_meta(shoal_db *db, uint64_t txnid, shoal_lmdb_meta *out)
{
    char file[4096];
    snprintf(file, sizeof file, "%s/data.mdb", db->path);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    unsigned char raw[LM_SIZE];
    lmeta m[2];
    int found = -1;
    if (sizeof(size_t) == 8 && meta_read(fd, 0, &m[0], raw) == 1 && psize_ok(m[0].psize) &&
        meta_read(fd, m[0].psize, &m[1], raw) == 1)
        for (int i = 0; i < 2; i++)
            if (m[i].txnid == txnid && m[i].psize == m[0].psize) {
                *out = (shoal_lmdb_meta){m[i].psize, m[i].last, m[i].txnid, m[i].free_root, m[i].main_root};
                found = 0;
            }
    close(fd);
    return found;
}

/* A writer may be writing a meta page while it is read: a torn read fails, and the
 * next one differs. Damage reads the same twice. */
static int meta_check(const char *file, volatile int *cancel, shoal_err *err)
{
    unsigned char raw[2][2][LM_SIZE];
    memset(raw, 0, sizeof raw);
    int rc = SHOAL_OK;
    for (int i = 0; i < 20; i++) {
        shoal_err e;
        shoal_err_clear(&e);
        if ((rc = meta_check_once(file, raw[i & 1], cancel, &e)) != SHOAL_ECORRUPT)
            return rc == SHOAL_ECANCEL || rc == SHOAL_ENOMEM ? shoal_err_set(err, rc, -1, -1, "%s", e.msg) : rc;
        if (i == 19 || (i && !memcmp(raw[0], raw[1], sizeof raw[0]))) return shoal_err_set(err, rc, -1, -1, "%s", e.msg);
        memset(raw[!(i & 1)], 0, sizeof raw[0]);
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return rc;
}

/* True when dir holds nothing but perhaps an LMDB lock file. */
static bool dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return false;
    bool empty = true;
    struct dirent *e;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "lock.mdb")) empty = false;
    closedir(d);
    return empty;
}

/* ---------------------------------------------------------------- tables and format */

/* Parses the meta "format" value strictly: decimal digits, no sign, no leading zero,
 * at most 9 digits. Returns the version, or -1. */
static int format_parse(const MDB_val *v)
{
    const char *s = v->mv_data;
    if (v->mv_size == 0 || v->mv_size > 9 || s[0] == '0') return -1;
    int n = 0;
    for (size_t i = 0; i < v->mv_size; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        n = n * 10 + (s[i] - '0');
    }
    return n;
}

/* What the environment holds, seen from one read transaction before anything is
 * written to it: nothing (a new database), a shoal database, or something else. */
/* Something else is refused as damaged (SHOAL_ECORRUPT): a damaged main table looks
 * the same, and `shoal check` reports either as a problem found. */
enum { ENV_EMPTY, ENV_SHOAL };

static void first_problem(void *ctx, const char *msg)
{
    char *buf = ctx;
    if (!buf[0]) snprintf(buf, 200, "%s", msg);
}

static int env_probe(shoal_db *db, int *what, shoal_err *err)
{
    MDB_txn *txn;
    int rc = shoal_db_txn_begin(db, MDB_RDONLY, &txn, err);
    if (rc) return rc;
    /* Everything an open reads through LMDB (the main table, meta) is walked first:
     * a damaged page there would crash every command. */
    static const char *const meta_only[] = {"meta", NULL};
    char msg[200] = "";
    int bad;
    if ((rc = shoal_pages_walk(db, txn, meta_only, first_problem, msg, &bad, err)) || bad) {
        mdb_txn_abort(txn);
        if (rc) return rc;
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "\"%s\" is damaged: %s", db->path, msg);
    }
    MDB_dbi main_dbi, meta;
    MDB_stat ms;
    MDB_val v;
    if ((rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) || (rc = mdb_stat(txn, main_dbi, &ms))) {
        mdb_txn_abort(txn);
        return shoal_store_err(err, rc, "cannot read the environment");
    }
    if (ms.ms_entries == 0) {
        mdb_txn_abort(txn);
        *what = ENV_EMPTY;
        return SHOAL_OK;
    }
    rc = mdb_dbi_open(txn, "meta", 0, &meta);
    if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) {
        mdb_txn_abort(txn);
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1,
                             "\"%s\" holds an LMDB environment that is not a shoal database (it has no \"meta\" table)",
                             db->path);
    }
    if (!rc) rc = mdb_get(txn, meta, &(MDB_val){6, "format"}, &v);
    if (rc == MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1,
                             "\"%s\" holds an LMDB environment that is not a shoal database (its meta has no format)",
                             db->path);
    }
    if (rc) {
        mdb_txn_abort(txn);
        return shoal_store_err(err, rc, "cannot read the format version");
    }
    int version = format_parse(&v);
    char q[200];
    shoal_err_quote(q, sizeof q, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    if (version < 0)
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1,
                             "\"%s\" has a damaged format version \"%s\" in its meta (this shoal reads 1 to %d)",
                             db->path, q, SHOAL_FORMAT_VERSION);
    if (version > SHOAL_FORMAT_VERSION)
        return shoal_err_set(err, SHOAL_EVERSION, -1, -1,
                             "\"%s\" has format version %d, newer than this shoal (%s) reads (%d): upgrade shoal",
                             db->path, version, SHOAL_VERSION, SHOAL_FORMAT_VERSION);
    *what = ENV_SHOAL;
    return SHOAL_OK;
}

int shoal_db_format_raise(shoal_db *db, MDB_txn *txn, int version, shoal_err *err)
{
    MDB_val v;
    int rc = shoal_meta_get(db, txn, "format", &v);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read meta");
    if (!rc && format_parse(&v) >= version) return SHOAL_OK;
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d", version);
    return shoal_meta_put(db, txn, "format", buf, (size_t)n, err);
}

/* Opens the tables; create (a writable open) creates the zone map when missing, and
 * fresh (a new database) every table and the format. The tables are opened in a read
 * transaction when nothing is to be written (every open of a sound database of this
 * format, `shoal query` without --readonly included): a write transaction takes the
 * environment's writer lock, so a query would wait for an ingest's batch to commit (and
 * hold off the next) just to open. Only when the read finds something to make (a new
 * database, a zone map or its fine entries missing, a map of the 16-byte kind) is it
 * done again in a write transaction; *wrote tells (for the tests). */
static int open_dbis_in(shoal_db *db, bool write, bool create, bool fresh, bool *need_write, shoal_err *err)
{
    MDB_txn *txn;
    *need_write = false;
    int rc = shoal_db_txn_begin(db, write ? 0 : MDB_RDONLY, &txn, err);
    if (rc) return rc;
    unsigned dflags = write && create ? MDB_CREATE : 0;
    unsigned core_flags = write && fresh ? MDB_CREATE : 0;
    struct {
        const char *name;
        MDB_dbi *dbi;
    } dbs[] = {{"log", &db->dbi_log}, {"ids", &db->dbi_ids}, {"dict", &db->dbi_dict}, {"meta", &db->dbi_meta}};
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        rc = mdb_dbi_open(txn, dbs[i].name, core_flags, dbs[i].dbi);
        if (rc == MDB_NOTFOUND) {
            mdb_txn_abort(txn);
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "\"%s\" is damaged: its \"%s\" table is missing",
                                 db->path, dbs[i].name);
        }
        if (rc) {
            mdb_txn_abort(txn);
            return shoal_store_err(err, rc, "cannot open the database's tables");
        }
    }
    /* The zone map came after the first databases: a read-only open does without it,
     * a writable one creates it and fills it from the log once; likewise a map from
     * before the blocks' bitmaps (its entries of 16 bytes still hold, but skip less). */
    rc = mdb_dbi_open(txn, "zones", dflags, &db->dbi_zones);
    if (rc == 0) {
        db->has_zones = true;
        /* The fine lists (format 4) likewise: a writable open of an older database
         * creates the table and builds them, with the map, from the log. */
        int frc = mdb_dbi_open(txn, "zfine", dflags, &db->dbi_zfine);
        if (frc && frc != MDB_NOTFOUND) {
            mdb_txn_abort(txn);
            return shoal_store_err(err, frc, "cannot open the zone map");
        }
        db->has_zfine = frc == 0;
        MDB_stat zs, fs;
        uint64_t last = 0;
        if (create && !write && !db->has_zfine) {
            *need_write = true;
            mdb_txn_abort(txn);
            return SHOAL_OK;
        }
        if (create && mdb_stat(txn, db->dbi_zones, &zs) == 0 && mdb_stat(txn, db->dbi_zfine, &fs) == 0 &&
            (zs.ms_entries == 0 || fs.ms_entries == 0 || shoal_zone_legacy(db, txn)) &&
            shoal_log_last_seq(db, txn, &last, NULL) == 0 && last > 0) {
            if (!write) {
                *need_write = true;
                mdb_txn_abort(txn);
                return SHOAL_OK;
            }
            if ((rc = shoal_zone_rebuild(db, txn, err)) || (rc = shoal_db_format_raise(db, txn, SHOAL_FORMAT_ZFINE, err))) {
                mdb_txn_abort(txn);
                return rc;
            }
        }
    } else if (rc == MDB_NOTFOUND && create && !write) {
        *need_write = true;
        mdb_txn_abort(txn);
        return SHOAL_OK;
    } else if (rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return shoal_store_err(err, rc, "cannot open the zone map");
    }
    /* The names table (format 7) likewise: a writable open of an older database makes
     * it from the dictionary, once; a read-only one reads names from the dictionary. */
    rc = mdb_dbi_open(txn, "names", dflags, &db->dbi_names);
    if (rc == MDB_NOTFOUND && create && !write) {
        *need_write = true;
        mdb_txn_abort(txn);
        return SHOAL_OK;
    }
    if (rc && rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return shoal_store_err(err, rc, "cannot open the names table");
    }
    db->has_names = rc == 0;
    if (db->has_names && write && !fresh) {
        MDB_stat ns;
        MDB_val fv;
        int have = shoal_meta_get(db, txn, "format", &fv) == 0 ? format_parse(&fv) : 0;
        if ((rc = mdb_stat(txn, db->dbi_names, &ns))) {
            mdb_txn_abort(txn);
            return shoal_store_err(err, rc, "cannot open the names table");
        }
        /* made here now, or left half made by nothing (the build and the format are one
         * transaction): an empty table in a database below format 7 */
        if (have < SHOAL_FORMAT_NAMES && ns.ms_entries == 0 &&
            ((rc = shoal_names_build(db, txn, err)) || (rc = shoal_db_format_raise(db, txn, SHOAL_FORMAT_NAMES, err)))) {
            mdb_txn_abort(txn);
            return rc;
        }
    }
    if (fresh) {
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%d", SHOAL_FORMAT_NEW);
        if ((rc = shoal_meta_put(db, txn, "format", buf, (size_t)n, err)) ||
            (rc = shoal_meta_put(db, txn, "idkeys", "2", 1, err))) {
            mdb_txn_abort(txn);
            return rc;
        }
    }
    /* The id index's keys (format 5): "2", or absent for those of formats 1 to 4. */
    MDB_val ik;
    rc = shoal_meta_get(db, txn, "idkeys", &ik);
    if (rc == 0 && !(ik.mv_size == 1 && *(const char *)ik.mv_data == '2')) {
        mdb_txn_abort(txn);
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "\"%s\" is damaged: its meta's \"idkeys\" is not 2", db->path);
    }
    if (rc && rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return shoal_store_err(err, rc, "cannot read meta");
    }
    db->idkeys2 = rc == 0;
    /* Commit even a read-only transaction: LMDB closes the handles opened in one that
     * is aborted. */
    rc = mdb_txn_commit(txn);
    if (rc) return shoal_store_err(err, rc, "cannot commit the database's tables");
    db->open_wrote = write;
    return SHOAL_OK;
}

static int open_dbis(shoal_db *db, bool create, bool fresh, shoal_err *err)
{
    bool need_write = fresh;
    int rc;
    if (!fresh && (rc = open_dbis_in(db, false, create, false, &need_write, err))) return rc;
    if (!need_write) return SHOAL_OK;
    return open_dbis_in(db, true, create, fresh, &need_write, err);
}

static int io_err(shoal_err *err, int e, const char *fmt, const char *path)
{
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, fmt, path);
    shoal_err_set(err, SHOAL_EIO, -1, -1, "%s: %s", msg, strerror(e));
    if (err) err->sys = e;
    return SHOAL_EIO;
}

/* mdb_env_open, and for a read-only open with SHOAL_OPEN_NOLOCK whose lock file cannot
 * be written, again without locking. */
static int env_open(shoal_db *db, unsigned eflags, shoal_err *err)
{
    int rc = mdb_env_create(&db->env);
    if (rc) return shoal_store_err(err, rc, "cannot create the environment");
    /* Room for the core tables and SHOAL_MAX_VIEWS views (a read transaction costs
     * about 50 bytes per slot, 12 KiB in all). */
    mdb_env_set_maxdbs(db->env, SHOAL_MAXDBS);
    mdb_env_set_mapsize(db->env, db->map_size);
    rc = mdb_env_open(db->env, db->path, eflags, 0664);
    if ((rc == EACCES || rc == EROFS || rc == EPERM) && (db->flags & SHOAL_OPEN_RDONLY) &&
        (db->flags & SHOAL_OPEN_NOLOCK) && !(eflags & MDB_NOLOCK)) {
        mdb_env_close(db->env);
        db->env = NULL;
        db->nolock = true;
        return env_open(db, eflags | MDB_NOLOCK, err);
    }
    if (rc == EACCES || rc == ENOENT || rc == EROFS || rc == EPERM) {
        bool ro = (db->flags & SHOAL_OPEN_RDONLY) && (db->flags & SHOAL_OPEN_NOLOCK);
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "cannot open \"%s\": %s%s", db->path, strerror(rc),
                 rc == ENOENT || ro ? "" : " (to read a database you cannot write, pass --readonly)");
        shoal_err_set(err, SHOAL_EIO, -1, -1, "%s", msg);
        if (err) err->sys = rc;
        return SHOAL_EIO;
    }
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "\"%s/data.mdb\" is not an LMDB file or is damaged (%s)",
                             db->path, mdb_strerror(rc));
    if (rc) return shoal_store_err(err, rc, "cannot open the environment");
    return SHOAL_OK;
}

int shoal_db_open(const char *path, unsigned flags, size_t map_size, shoal_db **out, shoal_err *err)
{
    return shoal_db_open_cancel(path, flags, map_size, NULL, out, err);
}

int shoal_db_open_cancel(const char *path, unsigned flags, size_t map_size, volatile int *cancel, shoal_db **out,
                         shoal_err *err)
{
    *out = NULL;
    struct stat st;
    char file[4096];
    if (snprintf(file, sizeof file, "%s/data.mdb", path) >= (int)sizeof file)
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "database path is too long");
    bool create = (flags & SHOAL_OPEN_CREATE) && !(flags & SHOAL_OPEN_RDONLY);
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "\"%s\" is not a directory (--db names a database directory)",
                             path);
    bool exists = stat(file, &st) == 0;
    if (exists && !S_ISREG(st.st_mode))
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "\"%s\" is not a regular file", file);
    if (!exists) {
        if (!create) return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "no database at \"%s\"", path);
        if (mkdir(path, 0775) != 0 && errno != EEXIST) return io_err(err, errno, "cannot create \"%s\"", path);
        /* A database is made only where nothing else is: a directory that already holds
         * files is someone else's. */
        if (!dir_empty(path))
            return shoal_err_set(err, SHOAL_EINVAL, -1, -1,
                                 "\"%s\" is not empty and holds no shoal database: choose a new or empty directory",
                                 path);
    } else {
        int rc = meta_check(file, cancel, err);
        if (rc == SHOAL_ENOTFOUND && !create)
            return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "no database at \"%s\" (its data.mdb is empty)", path);
        if (rc && rc != SHOAL_ENOTFOUND) return rc;
    }
    shoal_db *db = shoal_malloc(sizeof *db);
    if (!db) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    memset(db, 0, sizeof *db);
    db->flags = flags;
    db->cancel = cancel;
    int rc;
    size_t n = strlen(path);
    if (!(db->path = shoal_malloc(n + 1)) || shoal_dict_new(&db->dict)) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    memcpy(db->path, path, n + 1);
    db->map_size = map_size ? map_size : SHOAL_DEFAULT_MAP_SIZE;
    unsigned eflags = MDB_NOTLS;
    if (flags & SHOAL_OPEN_RDONLY) eflags |= MDB_RDONLY;
    if (flags & SHOAL_OPEN_NOSYNC) eflags |= MDB_NOSYNC;
    if ((rc = env_open(db, eflags, err))) goto fail;
    /* The file may already be larger than asked for: adopt its size. */
    MDB_envinfo info;
    mdb_env_info(db->env, &info);
    db->map_size = info.me_mapsize;
    /* Slots of readers that were killed inside a transaction would pin old pages
     * (the file grows) and, at 126, refuse every reader. */
    int dead = 0;
    if (!db->nolock && mdb_reader_check(db->env, &dead) == 0) db->reclaimed = (unsigned)dead;
    int what = ENV_EMPTY;
    if ((rc = env_probe(db, &what, err))) goto fail;
    if (what == ENV_EMPTY && !create) {
        rc = shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "no database at \"%s\" (its environment is empty)", path);
        goto fail;
    }
    if ((rc = open_dbis(db, !(flags & SHOAL_OPEN_RDONLY), what == ENV_EMPTY, err))) goto fail;
    *out = db;
    return SHOAL_OK;
fail:
    shoal_db_close(db);
    return rc;
}

void shoal_db_close(shoal_db *db)
{
    if (!db) return;
    shoal_view_registry_free(db);
    shoal_zone_zpm_free(db);
    if (db->env) mdb_env_close(db->env);
    shoal_dict_free(db->dict);
    shoal_free(db->scratch);
    shoal_free(db->path);
    shoal_free(db);
}

const char *shoal_db_path(const shoal_db *db) { return db->path; }

void shoal_db_set_progress(shoal_db *db, shoal_progress_fn fn, void *ctx)
{
    db->progress = fn;
    db->progress_ctx = ctx;
}

size_t shoal_db_map_size(const shoal_db *db) { return db->map_size; }

int shoal_db_disk_size(const shoal_db *db, uint64_t *out, shoal_err *err)
{
    static const char *const files[] = {"data.mdb", "lock.mdb"};
    *out = 0;
    for (size_t i = 0; i < 2; i++) {
        char file[4096];
        snprintf(file, sizeof file, "%s/%s", db->path, files[i]);
        struct stat st;
        if (stat(file, &st) != 0) {
            int e = errno;
            shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot stat \"%s\": %s", file, strerror(e));
            return SHOAL_EIO;
        }
        *out += (uint64_t)st.st_blocks * 512;
    }
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- readers */

static int reader_line(const char *msg, void *ctx)
{
    shoal_readers *out = ctx;
    long pid;
    unsigned long long tid, txnid;
    /* "%10d %zx %-zu": pid, thread, txnid ("-" for a slot between transactions) */
    if (sscanf(msg, "%ld %llx %llu", &pid, &tid, &txnid) != 3) return 0;
    if (pid == (long)getpid() || out->n >= SHOAL_MAX_READER_SLOTS) return 0;
    out->slot[out->n++] = (shoal_reader_slot){.pid = pid, .txnid = txnid};
    return 0;
}

int shoal_db_readers(shoal_db *db, shoal_readers *out, shoal_err *err)
{
    memset(out, 0, sizeof *out);
    out->reclaimed = db->reclaimed;
    out->nolock = db->nolock;
    if (db->nolock) return SHOAL_OK;
    int dead;
    mdb_reader_check(db->env, &dead);
    out->reclaimed += (unsigned)dead;
    MDB_txn *txn;
    int rc = shoal_db_txn_begin(db, MDB_RDONLY, &txn, err);
    if (rc) return rc;
    MDB_envinfo info;
    mdb_env_info(db->env, &info);
    out->last_txnid = info.me_last_txnid;
    mdb_reader_list(db->env, reader_line, out);
    MDB_stat st;
    mdb_env_stat(db->env, &st);
    /* The free pages (table 0) are keyed by the transaction that freed them. The next
     * write reuses those freed before the oldest snapshot in use, and never those of
     * the last transaction: a reader of snapshot R keeps those of R up to the last. */
    MDB_cursor *cur;
    if (out->n && !(rc = mdb_cursor_open(txn, 0, &cur))) {
        MDB_val k, v;
        while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
            uint64_t t = 0, n = 0;
            if (k.mv_size == sizeof(size_t)) t = *(const size_t *)k.mv_data;
            if (v.mv_size >= sizeof(size_t)) n = *(const size_t *)v.mv_data;
            for (int i = 0; i < out->n; i++)
                if (t >= out->slot[i].txnid && t < out->last_txnid) out->slot[i].pinned_bytes += n * st.ms_psize;
        }
        mdb_cursor_close(cur);
        rc = rc == MDB_NOTFOUND ? 0 : rc;
    }
    for (int i = 0; i < out->n; i++)
        out->slot[i].behind = out->last_txnid > out->slot[i].txnid ? out->last_txnid - out->slot[i].txnid : 0;
    mdb_txn_abort(txn);
    if (rc) return shoal_store_err(err, rc, "cannot read the free pages");
    return SHOAL_OK;
}

int shoal_db_txn_begin(shoal_db *db, unsigned flags, MDB_txn **out, shoal_err *err)
{
    /* Before a write (an ingest batch, a view's back-fill), free the slots of readers
     * killed since: while a slot lasts, the pages freed after its snapshot cannot be
     * reused and the file grows. One lock and one fcntl per reading process. */
    int dead;
    if (!(flags & MDB_RDONLY) && !db->nolock) mdb_reader_check(db->env, &dead);
    int rc = mdb_txn_begin(db->env, NULL, flags, out);
    if (rc == MDB_READERS_FULL && !db->nolock) {
        mdb_reader_check(db->env, &dead);
        rc = mdb_txn_begin(db->env, NULL, flags, out);
    }
    if (rc == MDB_MAP_RESIZED) {
        /* Another process grew the map: adopt its size and try again. */
        mdb_env_set_mapsize(db->env, 0);
        MDB_envinfo info;
        mdb_env_info(db->env, &info);
        db->map_size = info.me_mapsize;
        rc = mdb_txn_begin(db->env, NULL, flags, out);
    }
    if (rc) return shoal_store_err(err, rc, "cannot begin transaction");
    return SHOAL_OK;
}

int shoal_db_grow(shoal_db *db, shoal_err *err)
{
    size_t want = db->map_size * 2;
    int rc = mdb_env_set_mapsize(db->env, want);
    if (rc) return shoal_store_err(err, rc, "cannot grow the map");
    MDB_envinfo info;
    mdb_env_info(db->env, &info);
    db->map_size = info.me_mapsize;
    return SHOAL_OK;
}

int shoal_meta_get(shoal_db *db, MDB_txn *txn, const char *key, MDB_val *out)
{
    MDB_val k = {strlen(key), (void *)key};
    return mdb_get(txn, db->dbi_meta, &k, out);
}

int shoal_meta_put(shoal_db *db, MDB_txn *txn, const char *key, const void *val, size_t n, shoal_err *err)
{
    MDB_val k = {strlen(key), (void *)key}, v = {n, (void *)val};
    int rc = mdb_put(txn, db->dbi_meta, &k, &v, 0);
    if (rc) return shoal_store_err(err, rc, "cannot write meta");
    return SHOAL_OK;
}

/* Settings live in meta under "set.<key>" so that they never collide with the
 * engine's own entries. */
static int setting_key(const char *key, char *buf, size_t n, shoal_err *err)
{
    if (!*key || snprintf(buf, n, "set.%s", key) >= (int)n)
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "invalid setting name \"%s\"", key);
    return SHOAL_OK;
}

int shoal_db_setting_get(shoal_db *db, const char *key, char *buf, size_t n, shoal_err *err)
{
    char mk[128];
    int rc;
    if ((rc = setting_key(key, mk, sizeof mk, err))) return rc;
    MDB_txn *txn;
    if ((rc = shoal_db_txn_begin(db, MDB_RDONLY, &txn, err))) return rc;
    MDB_val v;
    rc = shoal_meta_get(db, txn, mk, &v);
    if (rc == MDB_NOTFOUND) {
        rc = SHOAL_ENOTFOUND;
    } else if (rc) {
        rc = shoal_store_err(err, rc, "cannot read a setting");
    } else if (v.mv_size >= n) {
        rc = shoal_err_set(err, SHOAL_ERANGE, -1, -1, "setting \"%s\" is too long", key);
    } else {
        memcpy(buf, v.mv_data, v.mv_size);
        buf[v.mv_size] = '\0';
    }
    mdb_txn_abort(txn);
    return rc;
}

int shoal_db_setting_set(shoal_db *db, const char *key, const char *val, shoal_err *err)
{
    char mk[128];
    int rc;
    if (db->flags & SHOAL_OPEN_RDONLY)
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the database is open read-only");
    if ((rc = setting_key(key, mk, sizeof mk, err))) return rc;
    for (;;) {
        MDB_txn *txn;
        if ((rc = shoal_db_txn_begin(db, 0, &txn, err))) return rc;
        MDB_val k = {strlen(mk), mk}, v = {strlen(val), (void *)val};
        rc = mdb_put(txn, db->dbi_meta, &k, &v, 0);
        if (!rc) rc = mdb_txn_commit(txn);
        else mdb_txn_abort(txn);
        if (rc == MDB_MAP_FULL) {
            if ((rc = shoal_db_grow(db, err))) return rc;
            continue;
        }
        if (rc) return shoal_store_err(err, rc, "cannot write a setting");
        return SHOAL_OK;
    }
}
