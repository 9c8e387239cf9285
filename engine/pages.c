/* pages.c — walks LMDB's B-trees with pread, before LMDB reads them through its map.
 *
 * LMDB trusts its pages: a damaged offset inside one makes it read anywhere, and the
 * process dies of SIGSEGV or SIGBUS. So `shoal check` walks every table first, and
 * every open walks the main table and meta (a few pages), with pread into a buffer
 * (never through the map), from the meta page of the caller's own snapshot; a caller
 * lets LMDB read nothing of what is found damaged. The layout is LMDB 0.9's (64-bit):
 * a page starts with its own number (u64), a pad, its flags (u16) and, for branch and
 * leaf pages, the lower and upper bounds of its free space (u16 each), then an array
 * of node offsets; an overflow page has its page count (u32) at the bounds' place. A
 * node is data size low, high (u16 each; a branch's child page number, with the flags
 * as its top bits), flags, key size (u16 each), the key, then the data: the page
 * number of its overflow pages (F_BIGDATA) or a table's record (F_SUBDATA, 48 bytes,
 * its root at 40) or the value. */
#include "shoal_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

enum { P_BRANCH = 0x01, P_LEAF = 0x02, P_OVERFLOW = 0x04, F_BIGDATA = 0x01, F_SUBDATA = 0x02, F_DUPDATA = 0x04 };
#define NO_PAGE UINT64_MAX

typedef struct walk {
    int fd;
    uint64_t psize, last;
    unsigned char *seen;   /* a bit per page: met in a table */
    unsigned char *buf[64];   /* a page per level of recursion, tables within tables included */
    const char *const *only;   /* the named tables to walk (NULL: all) */
    void (*problem)(void *ctx, const char *msg);
    void *ctx;
    int bad;
    volatile int *cancel;   /* looked at every page read: non-zero stops the walk (may be NULL) */
    int cancelled;
} walk;

static uint16_t g16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t g32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t g64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void wbad(walk *w, const char *table, uint64_t pg, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, "page %llu of table \"%s\" is damaged: %s", (unsigned long long)pg, table, what);
    w->bad = 1;
    w->problem(w->ctx, msg);
}

static int wanted(const walk *w, const char *name)
{
    if (!w->only) return 1;
    for (const char *const *o = w->only; *o; o++)
        if (!strcmp(*o, name)) return 1;
    return 0;
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
    /* a walk reads every page of the file: seconds on a large one */
    if (w->cancel && *w->cancel) {
        w->cancelled = w->bad = 1;
        return;
    }
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
    /* LMDB asserts (and aborts) on a branch page of one child in any table but the free
     * pages' (mdb_page_search_root) */
    if (flags & P_BRANCH && n == 1 && strcmp(table, "(free pages)"))
        return wbad(w, table, pg, "a branch page with one child");
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
            if (wanted(w, name)) walk_tree(w, name, g64(nd + 8 + ksize + 40), level + 1);
        }
    }
}

static void walk_tree(walk *w, const char *table, uint64_t root, int level)
{
    if (root != NO_PAGE && !w->bad) walk_page(w, table, root, 0, level);
}

int shoal_pages_walk(shoal_db *db, MDB_txn *txn, const char *const *only, void (*problem)(void *ctx, const char *msg),
                     void *ctx, int *bad, shoal_err *err)
{
    *bad = 0;
    shoal_lmdb_meta m;
    if (shoal_db_meta(db, mdb_txn_id(txn), &m)) return SHOAL_OK;   /* a write committed since: skip */
    char file[4096];
    snprintf(file, sizeof file, "%s/data.mdb", shoal_db_path(db));
    walk w = {.fd = open(file, O_RDONLY | O_CLOEXEC), .psize = m.psize, .last = m.last, .only = only,
              .problem = problem, .ctx = ctx, .cancel = db->cancel};
    if (w.fd < 0) return SHOAL_OK;
    int rc = SHOAL_OK;
    if (!(w.seen = shoal_malloc(m.last / 8 + 1))) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    } else {
        memset(w.seen, 0, m.last / 8 + 1);
        if (!only) walk_tree(&w, "(free pages)", m.free_root, 0);
        walk_tree(&w, "(tables)", m.main_root, 0);
    }
    for (int i = 0; i < 64; i++) shoal_free(w.buf[i]);
    shoal_free(w.seen);
    close(w.fd);
    if (!rc && w.cancelled) return shoal_err_set(err, SHOAL_ECANCEL, -1, -1, "cancelled");
    *bad = w.bad;
    return rc;
}

static void no_problem(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

int shoal_pages_inside(int fd, uint64_t psize, uint64_t n_pages, uint64_t free_root, uint64_t main_root,
                       volatile int *cancel)
{
    if (n_pages < 3) return 0;
    walk w = {.fd = fd, .psize = psize, .last = n_pages - 1, .problem = no_problem, .cancel = cancel};
    if (!(w.seen = shoal_malloc(w.last / 8 + 1))) return SHOAL_ENOMEM;
    memset(w.seen, 0, w.last / 8 + 1);
    walk_tree(&w, "(free pages)", free_root, 0);
    walk_tree(&w, "(tables)", main_root, 0);
    for (int i = 0; i < 64; i++) shoal_free(w.buf[i]);
    shoal_free(w.seen);
    return w.cancelled ? SHOAL_ECANCEL : !w.bad;
}
