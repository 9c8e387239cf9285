/* check.c — proves that the log, the id index and the dictionary agree.
 *
 * Reads one snapshot and recomputes every derived fact from the log: each record's
 * key must map back to its own sequence in the id index (so keys are unique and the
 * index has no entry for a missing record once the counts match), every id a record
 * uses must resolve, and both directions of the dictionary must mirror each other.
 * Then every view is rebuilt from the same snapshot into scratch memory and compared
 * with its stored (incremental) state (view.c).
 */
#include "shoal_int.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static void problem(shoal_check_report *rep, const char *fmt, ...)
{
    if (rep->n_problems++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rep->first_problem, sizeof rep->first_problem, fmt, ap);
        va_end(ap);
    }
}

static int check_log(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    shoal_logcur *c;
    int rc = shoal_logcur_open(r, 1, &c, err);
    if (rc) return rc;
    shoal_arena *a = shoal_arena_new();
    if (!a) {
        shoal_logcur_close(c);
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    }
    uint64_t want = 1;
    shoal_rec rec;
    for (;;) {
        shoal_err e;
        shoal_err_clear(&e);
        rc = shoal_logcur_next(c, &rec, &e);
        if (rc == 0) break;
        if (rc < 0) {
            if (rc != SHOAL_ECORRUPT) {
                shoal_err_set(err, e.code, -1, -1, "%s", e.msg);
                break;
            }
            problem(rep, "%s", e.msg);
            rc = 0;
            break;
        }
        rc = 0;
        rep->n_records++;
        if (rec.seq != want) {
            problem(rep, "log sequence jumps from %llu to %llu", (unsigned long long)(want - 1),
                    (unsigned long long)rec.seq);
            want = rec.seq;
        }
        want++;
        shoal_event ev;
        shoal_err_clear(&e);
        if ((rc = shoal_rec_event(r, &rec, a, &ev, &e))) {
            if (rc != SHOAL_ECORRUPT) {
                shoal_err_set(err, e.code, -1, -1, "%s", e.msg);
                break;
            }
            problem(rep, "%s", e.msg);
            rc = 0;
            continue;
        }
        unsigned char key[SHOAL_MAX_KEY];
        size_t klen = shoal_event_key(&ev, key);
        uint64_t seq;
        rc = shoal_ids_get(r, key, klen, &seq, NULL);
        if (rc == SHOAL_ENOTFOUND) {
            problem(rep, "log record %llu has no entry in the id index", (unsigned long long)rec.seq);
        } else if (rc) {
            shoal_err_set(err, rc, -1, -1, "cannot read the id index");
            break;
        } else if (seq != rec.seq) {
            problem(rep, "log record %llu's key maps to record %llu", (unsigned long long)rec.seq,
                    (unsigned long long)seq);
        }
        rc = 0;
        if (shoal_arena_used(a) > ((size_t)1 << 20)) shoal_arena_reset(a);
    }
    shoal_arena_free(a);
    shoal_logcur_close(c);
    if (!rc && r->last_seq != rep->n_records && rep->n_problems == 0)
        problem(rep, "the log holds %llu records but ends at sequence %llu", (unsigned long long)rep->n_records,
                (unsigned long long)r->last_seq);
    return rc;
}

static int check_ids(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    MDB_stat st;
    int rc = mdb_stat(r->txn, r->db->dbi_ids, &st);
    if (rc) return shoal_store_err(err, rc, "cannot read the id index");
    rep->n_ids = st.ms_entries;
    if (rep->n_ids != rep->n_records)
        problem(rep, "the id index has %llu entries for %llu log records", (unsigned long long)rep->n_ids,
                (unsigned long long)rep->n_records);
    return SHOAL_OK;
}

static int check_dict(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_dict, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the dictionary");
    uint32_t fwd[SHOAL_NS_COUNT] = {0}, rev[SHOAL_NS_COUNT] = {0};
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        int ns = k.mv_size ? kp[0] & ~SHOAL_DICT_REV : 0;
        if (ns <= 0 || ns >= SHOAL_NS_COUNT) {
            problem(rep, "dictionary key with unknown namespace %d", ns);
            continue;
        }
        if (kp[0] & SHOAL_DICT_REV) {
            rev[ns]++;
            if (k.mv_size != 5) {
                problem(rep, "reverse dictionary key has a bad size");
                continue;
            }
            uint32_t id = (uint32_t)kp[1] << 24 | (uint32_t)kp[2] << 16 | (uint32_t)kp[3] << 8 | kp[4];
            if (id == 0 || id > r->counts[ns]) problem(rep, "dictionary id %u in namespace %d is out of range", id, ns);
            uint32_t back;
            int lrc = shoal_dict_lookup_id(r->db, r->txn, ns, v.mv_data, v.mv_size, &back, NULL);
            if (lrc || back != id)
                problem(rep, "dictionary string %u in namespace %d does not map back to its id", id, ns);
        } else {
            fwd[ns]++;
            if (v.mv_size != 4) {
                problem(rep, "dictionary value has a bad size");
                continue;
            }
            const unsigned char *vp = v.mv_data;
            uint32_t id = (uint32_t)vp[0] << 24 | (uint32_t)vp[1] << 16 | (uint32_t)vp[2] << 8 | vp[3];
            shoal_str s;
            int lrc = shoal_dict_lookup_str(r->db, r->txn, ns, id, &s, NULL);
            if (lrc || s.len != k.mv_size - 1 || memcmp(s.ptr, kp + 1, s.len) != 0)
                problem(rep, "dictionary id %u in namespace %d does not map back to its string", id, ns);
        }
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the dictionary");
    for (int ns = 1; ns < SHOAL_NS_COUNT; ns++) {
        rep->n_strings[ns] = r->counts[ns];
        if (fwd[ns] != r->counts[ns] || rev[ns] != r->counts[ns])
            problem(rep, "namespace %d has %u strings, %u ids and a count of %u", ns, fwd[ns], rev[ns],
                    r->counts[ns]);
    }
    return SHOAL_OK;
}

static void view_problem(void *ctx, const char *msg) { problem(ctx, "%s", msg); }

/* The zone map must be what the log gives, block for block: a block whose stored span
 * is too narrow, or whose bitmap misses an occupied slot, would make a time-restricted
 * scan skip events. A 16-byte entry (written before the bitmap) has only its span to
 * compare. */
static int check_zones(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    if (!r->db->has_zones) return SHOAL_OK;
    uint64_t n;
    shoal_zone *zs;
    int rc = shoal_zone_compute(r->db, r->txn, &n, &zs, err);
    if (rc) return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, r->db->dbi_zones, &cur))) {
        shoal_free(zs);
        return shoal_store_err(err, rc, "cannot read the zone map");
    }
    uint64_t n_stored = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        n_stored++;
        uint64_t b = k.mv_size == 8 ? shoal_be64_get(k.mv_data) : UINT64_MAX;
        shoal_zone z;
        if (b >= n) {
            problem(rep, "zone map entry for block %llu has no block in the log", (unsigned long long)b);
            continue;
        }
        if (shoal_zone_decode(&v, &z)) {
            problem(rep, "zone map entry for block %llu is %zu bytes (expected 16 or 25)", (unsigned long long)b,
                    v.mv_size);
            continue;
        }
        const shoal_zone *want = &zs[b];
        if (z.min != want->min || z.max != want->max)
            problem(rep, "zone map block %llu spans %lld..%lld but its records span %lld..%lld", (unsigned long long)b,
                    (long long)z.min, (long long)z.max, (long long)want->min, (long long)want->max);
        else if (z.exact && (z.bits != want->bits || z.k != want->k))
            problem(rep, "zone map block %llu marks slots %016llx of 2^%u ms but its records occupy %016llx of 2^%u ms",
                    (unsigned long long)b, (unsigned long long)z.bits, z.k, (unsigned long long)want->bits, want->k);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) rc = SHOAL_OK;
    else rc = shoal_store_err(err, rc, "cannot read the zone map");
    if (!rc && n_stored != n)
        problem(rep, "the zone map has %llu blocks for a log of %llu", (unsigned long long)n_stored, (unsigned long long)n);
    shoal_free(zs);
    return rc;
}

/* ---------------------------------------------------------------- LMDB's pages
 *
 * LMDB trusts its pages: a damaged offset inside one makes it read anywhere, and the
 * process dies of SIGSEGV, so check walks the B-trees itself first, with pread into a
 * buffer (never through the map), from the meta page of its own snapshot, and lets
 * LMDB read nothing when the structure is damaged. The layout is LMDB 0.9's (64-bit):
 * a page starts with its own number (u64), a pad, its flags (u16) and, for branch and
 * leaf pages, the lower and upper bounds of its free space (u16 each), then an array
 * of node offsets; an overflow page has its page count (u32) at the bounds' place. A
 * node is data size low, high (u16 each; a branch's child page number, with the flags
 * as its top bits), flags, key size (u16 each), the key, then the data: the page
 * number of its overflow pages (F_BIGDATA) or a table's record (F_SUBDATA, 48 bytes,
 * its root at 40) or the value. */
enum { P_BRANCH = 0x01, P_LEAF = 0x02, P_OVERFLOW = 0x04, F_BIGDATA = 0x01, F_SUBDATA = 0x02, F_DUPDATA = 0x04 };
#define NO_PAGE UINT64_MAX

typedef struct walk {
    int fd;
    uint64_t psize, last;
    unsigned char *seen;   /* a bit per page: met in a table */
    unsigned char *buf[64];   /* a page per level of recursion, tables within tables included */
    shoal_check_report *rep;
    int bad;
} walk;

static uint16_t g16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t g32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t g64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void wbad(walk *w, const char *table, uint64_t pg, const char *what)
{
    w->bad = 1;
    problem(w->rep, "page %llu of table \"%s\" is damaged: %s", (unsigned long long)pg, table, what);
}

/* Marks pages [pg, pg + n) as met; 0 when one is past the last page or met before. */
static int mark(walk *w, uint64_t pg, uint64_t n)
{
    if (pg < 2 || pg > w->last || n > w->last - pg + 1) return 0;
    for (uint64_t i = pg; i < pg + n; i++) {
        if (w->seen[i >> 3] & (1u << (i & 7))) return 0;
        w->seen[i >> 3] |= (unsigned char)(1u << (i & 7));
    }
    return 1;
}

static void walk_tree(walk *w, const char *table, uint64_t pg, int level);

static void walk_page(walk *w, const char *table, uint64_t pg, int depth, int level)
{
    if (depth >= 32 || level >= 64) return wbad(w, table, pg, "the tree is deeper than LMDB's cursors go");
    if (!mark(w, pg, 1)) return wbad(w, table, pg, "the page is past the end or in use twice");
    if (!w->buf[level] && !(w->buf[level] = shoal_malloc(w->psize))) return wbad(w, table, pg, "out of memory");
    unsigned char *p = w->buf[level];
    if (pread(w->fd, p, w->psize, (off_t)(pg * w->psize)) != (ssize_t)w->psize)
        return wbad(w, table, pg, "it cannot be read");
    unsigned flags = g16(p + 10), lower = g16(p + 12), upper = g16(p + 14);
    if (g64(p) != pg) return wbad(w, table, pg, "it does not hold its own page number");
    if ((flags & (P_BRANCH | P_LEAF | P_OVERFLOW)) != P_BRANCH && (flags & (P_BRANCH | P_LEAF | P_OVERFLOW)) != P_LEAF)
        return wbad(w, table, pg, "it is neither a branch nor a leaf page");
    if (lower < 16 || lower > upper || upper > w->psize || (lower & 1))
        return wbad(w, table, pg, "its free space bounds are out of the page");
    unsigned n = (lower - 16) / 2;
    if (flags & P_BRANCH && n == 0) return wbad(w, table, pg, "a branch page without children");
    for (unsigned i = 0; i < n && !w->bad; i++) {
        unsigned off = g16(p + 16 + 2 * i);
        if (off < upper || off + 8 > w->psize) return wbad(w, table, pg, "a node lies outside the page");
        const unsigned char *nd = p + off;
        uint64_t lo = g16(nd), hi = g16(nd + 2), nflags = g16(nd + 4), ksize = g16(nd + 6);
        if (off + 8 + ksize > w->psize) return wbad(w, table, pg, "a key runs past the end of the page");
        if (flags & P_BRANCH) {
            walk_page(w, table, lo | hi << 16 | nflags << 32, depth + 1, level + 1);
            continue;
        }
        uint64_t dsize = lo | hi << 16, doff = off + 8 + ksize;
        if (nflags & ~(unsigned)(F_BIGDATA | F_SUBDATA | F_DUPDATA) || nflags & F_DUPDATA)
            return wbad(w, table, pg, "a node has flags shoal never writes");
        if (nflags & F_BIGDATA) {
            if (doff + 8 > w->psize) return wbad(w, table, pg, "a node runs past the end of the page");
            uint64_t ov = g64(nd + 8 + ksize);
            unsigned char h[16];
            if (ov < 2 || ov > w->last || pread(w->fd, h, 16, (off_t)(ov * w->psize)) != 16 || g64(h) != ov ||
                !(g16(h + 10) & P_OVERFLOW))
                return wbad(w, table, pg, "a value's overflow page is not one");
            uint64_t np = g32(h + 12);
            if (np == 0 || (dsize + 16 + w->psize - 1) / w->psize > np || !mark(w, ov, np))
                return wbad(w, table, pg, "a value's overflow pages are past the end, too few or in use twice");
            continue;
        }
        if (doff + dsize > w->psize) return wbad(w, table, pg, "a value runs past the end of the page");
        if (nflags & F_SUBDATA) {
            if (dsize != 48) return wbad(w, table, pg, "a table's record has the wrong size");
            if (g16(nd + 8 + ksize + 4)) return wbad(w, table, pg, "a table's record has flags shoal never sets");
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)ksize, (const char *)nd + 8);
            walk_tree(w, name, g64(nd + 8 + ksize + 40), level + 1);
        }
    }
}

static void walk_tree(walk *w, const char *table, uint64_t root, int level)
{
    if (root != NO_PAGE && !w->bad) walk_page(w, table, root, 0, level);
}

/* SHOAL_OK, with problems reported and *bad set when the structure is damaged. */
static int check_structure(shoal_reader *r, shoal_check_report *rep, int *bad, shoal_err *err)
{
    *bad = 0;
    shoal_lmdb_meta m;
    if (shoal_db_meta(r->db, mdb_txn_id(r->txn), &m)) return SHOAL_OK;   /* a write committed since: skip */
    char file[4096];
    snprintf(file, sizeof file, "%s/data.mdb", shoal_db_path(r->db));
    walk w = {.fd = open(file, O_RDONLY | O_CLOEXEC), .psize = m.psize, .last = m.last, .rep = rep};
    if (w.fd < 0) return SHOAL_OK;
    int rc = SHOAL_OK;
    if (!(w.seen = shoal_malloc(m.last / 8 + 1))) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    } else {
        memset(w.seen, 0, m.last / 8 + 1);
        walk_tree(&w, "(free pages)", m.free_root, 0);
        walk_tree(&w, "(tables)", m.main_root, 0);
    }
    for (int i = 0; i < 64; i++) shoal_free(w.buf[i]);
    shoal_free(w.seen);
    close(w.fd);
    *bad = w.bad;
    return rc;
}

/* LMDB's own accounting, as its debug audit does it: every page up to the last one is
 * a meta page, a page of some table (the free pages' own, the main table's, each named
 * table's) or a free page. A damaged page count, free list or table record breaks the
 * sum; a damaged page LMDB meets on the way is MDB_CORRUPTED. */
static int check_pages(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    MDB_txn *txn = r->txn;
    MDB_envinfo info;
    mdb_env_info(r->db->env, &info);
    MDB_stat st, top[2];
    uint64_t used = 0, free_pages = 0, n[2] = {0, 0};
    int rc;
    for (MDB_dbi d = 0; d < 2; d++) {
        if ((rc = mdb_stat(txn, d, &top[d]))) return shoal_store_err(err, rc, "cannot read the environment");
        used += top[d].ms_branch_pages + top[d].ms_leaf_pages + top[d].ms_overflow_pages;
    }
    MDB_cursor *cur;
    MDB_val k, v;
    if ((rc = mdb_cursor_open(txn, 0, &cur))) return shoal_store_err(err, rc, "cannot read the free pages");
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
        n[0]++;
        if (v.mv_size >= sizeof(size_t)) free_pages += *(const size_t *)v.mv_data;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the free pages");
    if ((rc = mdb_cursor_open(txn, 1, &cur))) return shoal_store_err(err, rc, "cannot read the environment");
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
        n[1]++;
        char name[256];
        if (k.mv_size >= sizeof name) {
            problem(rep, "the environment holds a table with a name of %zu bytes", k.mv_size);
            continue;
        }
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = 0;
        MDB_dbi d;
        if ((rc = mdb_dbi_open(txn, name, 0, &d)) || (rc = mdb_stat(txn, d, &st))) break;
        used += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the environment's tables");
    for (int d = 0; d < 2; d++)
        if (n[d] != top[d].ms_entries)
            problem(rep, "the environment's %s has %llu entries but its meta page says %llu (damaged meta page)",
                    d ? "table of tables" : "free list", (unsigned long long)n[d], (unsigned long long)top[d].ms_entries);
    /* The last page is the newest meta's: only comparable when no write committed
     * since this snapshot. */
    if (mdb_txn_id(txn) == info.me_last_txnid && used + free_pages + 2 != (uint64_t)info.me_last_pgno + 1)
        problem(rep, "the environment's pages do not add up: %llu in tables, %llu free and 2 meta pages, but the last "
                "page is %llu (damaged page counts or free list)", (unsigned long long)used,
                (unsigned long long)free_pages, (unsigned long long)info.me_last_pgno);
    return SHOAL_OK;
}

/* Layers and tiers keep only their statement text (view.c), which the query layer
 * parses; a value without it is damaged (listed by SHOW VIEWS as broken). */
static int check_defs(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    shoal_arena *a = shoal_arena_new();
    if (!a) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    shoal_namedef *d;
    int n, rc = shoal_view_defs(r, a, &d, &n, err);
    for (int i = 0; !rc && i < n; i++)
        if (d[i].kind.len == 6 && !memcmp(d[i].kind.ptr, "broken", 6))
            problem(rep, "the definition of \"%.*s\" does not decode (damaged); DROP VIEW %.*s removes it",
                    (int)d[i].name.len, d[i].name.ptr, (int)d[i].name.len, d[i].name.ptr);
    shoal_arena_free(a);
    return rc;
}

int shoal_db_check(shoal_db *db, shoal_check_report *rep, shoal_err *err)
{
    memset(rep, 0, sizeof *rep);
    shoal_reader *r;
    int rc = shoal_reader_open(db, &r, err);
    if (rc) return rc;
    /* Lookups below must come from this snapshot, not from a cache that could mask
     * a missing entry. */
    shoal_dict_cache_clear(db->dict);
    /* LMDB reads nothing of a database whose pages are damaged: it would crash. */
    int bad;
    if ((rc = check_structure(r, rep, &bad, err)) || bad) {
        rep->pages_damaged = bad;
        shoal_reader_close(r);
        return rc;
    }
    if (!(rc = check_pages(r, rep, err)) && !(rc = check_dict(r, rep, err)) && !(rc = check_log(r, rep, err)) && !(rc = check_ids(r, rep, err)) &&
        !(rc = check_zones(r, rep, err)))
        rc = shoal_view_check(r, view_problem, rep, &rep->n_views, err);
    if (!rc) rc = check_defs(r, rep, err);
    shoal_reader_close(r);
    return rc;
}
