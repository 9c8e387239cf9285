/* exec_spill.c — a statement's memory budget (SET MEMORY_LIMIT, x->mem_limit): the groups
 * of a grouped scan over events, and the rows ORDER BY keeps, stay within it.
 *
 * Groups: a pass over the log that finds its groups past the budget stops and is done
 * again in hash partitions of the groups' keys, each partition a pass of its own whose
 * groups go out (HAVING, emit) before the next pass; a partition still too big is split
 * again. The log is the spill: it is on disk already, in order, and a pass re-reads it
 * rather than writing and reading back the groups' states (which hold DISTINCT sets,
 * medians' values, strings). The answers are the same groups with the same values; only
 * their order without ORDER BY is partition by partition.
 *
 * Sort: the kept rows past the budget are sorted and written as a run to a temporary
 * file (in $TMPDIR, else /tmp, unlinked at once, so nothing is left behind), and at the
 * end the runs and the rows still in memory are merged (a heap of their heads) with the
 * same comparison, production order breaking ties, so the output is the in-memory
 * sort's, row for row.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_int.h"
#include "rowsrc.h"

/* ------------------------------------------------------------ temporary files */

#define SORT_FILE "the sort's"
#define GROUPS_FILE "the groups'"

static int tmp_error(exec *x, const char *dir, const char *what, const char *whose)
{
    int e = errno;
    return shoal_err_set(x->err, SHOAL_EIO, -1, -1, "cannot %s %s temporary file in %s: %s%s", what, whose, dir,
                         strerror(e), e == ENOSPC ? " (free some space, or point TMPDIR elsewhere)" : "");
}

static const char *tmp_dir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

/* A new temporary file in $TMPDIR (else /tmp), unlinked at once: gone with the process,
 * whatever happens. 0 or the error naming the directory. */
static int tmp_open(exec *x, const char *whose, FILE **out)
{
    const char *dir = tmp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/shoal-spill-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) return tmp_error(x, dir, "create", whose);
    unlink(path);
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        close(fd);
        return tmp_error(x, dir, "open", whose);
    }
    *out = f;
    return 0;
}

/* ------------------------------------------------------------ the log's pages */

/* The log's pages read so far leave the process's resident set (MADV_DONTNEED on the
 * pages of the environment's read-only map from the lowest to the highest record read
 * since the last time, both pages included: they stay in the page cache, and a later
 * read faults them back in, the current record's page and a page of another tree among
 * them), so that a scan under a memory budget does not hold the whole log mapped on top
 * of it. The log's pages need not lie in the order of its records (an ingest reuses
 * freed pages): stopping at the current record's page, as this did, kept 151 MB of a
 * 10M log's 470 resident. The map cannot move while the reader's transaction is open. */
static void release_map(uintptr_t lo, uintptr_t hi)
{
#ifdef MADV_DONTNEED
    const uintptr_t pg = 4096;
    lo &= ~(pg - 1);
    hi = (hi + pg) & ~(pg - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);   /* (advice: its failure changes nothing) */
#else
    (void)lo, (void)hi;
#endif
}

/* The mapping that holds p when it is a shared read-only map of a file (LMDB's, without
 * MDB_WRITEMAP), from /proc/self/maps: 1 with [*lo, *hi), else 0 (a record in memory of
 * any other kind, whose pages must not be let go). */
static int file_map_of(const void *p, uintptr_t *lo, uintptr_t *hi)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return 0;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long a, b;
        char perms[8];
        int at = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &a, &b, perms, &at) < 3 || !at) continue;
        if ((uintptr_t)p < a || (uintptr_t)p >= b) continue;
        found = !strcmp(perms, "r--s") && line[at] == '/';
        *lo = a, *hi = b;
        break;
    }
    fclose(f);
    return found;
}

/* every budget/32 of the log's bytes (some 64 a record), shared among the parts (every
 * budget/8, the 256MB question's peak RSS was 245-262 MB on two threads, then 225-229:
 * fault-around maps pages beside those read); no budget, nothing let go.
 * Nothing is let go either until a part has read budget/8 of the log's bytes: a scan
 * whose log is a small share of the budget (a 10M log's 600 MB under the default half
 * of 24 GiB) keeps its pages, which the next statement would otherwise fault back in
 * (the full scan at 10M: 1.34 -> 1.70-1.76 s of CPU for 6 runs when it let them go, and
 * 3% of its time noting each record's address). The first time it lets go it lets go
 * the whole map (the records read so far were not noted), then what it read since. */
void shoal_maprel_init(shoal_maprel *m, uint64_t budget, int n_parts)
{
    uint64_t parts = (uint64_t)(n_parts > 0 ? n_parts : 1);
    uint64_t every = budget / 32 / 64 / parts, start = budget / 8 / 64 / parts;
    m->every = budget ? (every > 32768 ? every : 32768) : UINT64_MAX;
    m->next = budget ? (start > 32768 ? start : 32768) : UINT64_MAX;
    m->lo = UINTPTR_MAX, m->hi = 0, m->map_lo = 0, m->map_hi = 0;
    m->mapped = -1;   /* the records are in a read-only file map: not yet known */
    m->track = 0;
}

void shoal_maprel_slow(shoal_maprel *m, const void *p, uint64_t n)
{
    uintptr_t a = (uintptr_t)p;
    if (m->mapped < 0) m->mapped = file_map_of(p, &m->map_lo, &m->map_hi);
    if (!m->mapped || a < m->map_lo || a >= m->map_hi) {
        m->every = UINT64_MAX;   /* (not that map: nothing is let go, from here on) */
        return;
    }
    if (!m->track) {
        /* the first time: the records read so far were not noted, so the whole map goes
         * (another part's current pages among them, faulted back in as it reads on) */
        release_map(m->map_lo, m->map_hi - 1);
        m->track = 1;
        m->next = n + m->every;
    } else if (n >= m->next) {
        release_map(m->lo, m->hi);
        m->next = n + m->every;
        m->lo = UINTPTR_MAX, m->hi = 0;
    }
    if (a < m->lo) m->lo = a;
    if (a > m->hi) m->hi = a;
}

void shoal_maprel_end(shoal_maprel *m)
{
    if (m->every != UINT64_MAX && m->track && m->hi) release_map(m->lo, m->hi);
    m->every = UINT64_MAX;
}

/* ------------------------------------------------------------ groups */

size_t shoal_exec_group_bytes(const run *g)
{
    size_t b = shoal_arena_used(g->x->a) + g->cap * sizeof *g->table + g->cap_list * sizeof *g->list;
    for (int k = 0; g->dsets && k < g->p->n_raggs; k++)
        b += shoal_exec_dset_bytes(&g->dsets[k]);
    return b;
}

int shoal_exec_emit_groups(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    if (g->dn) return shoal_exec_dense_emit(g);   /* the groups in dense cells (exec_dense.c) */
    if (shoal_exec_dset_drain(g)) return nomem(x);
    qval *aggs = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(p->n_raggs + 1));
    if (!aggs) return nomem(x);
    for (size_t i = 0; i < g->n_list && !g->stop; i++) {
        if ((i & (CANCEL_EVERY - 1)) == CANCEL_EVERY - 1 && x->cancel && *x->cancel) break;
        group *q = g->list[i];
        for (int k = 0; k < p->n_raggs; k++) shoal_exec_acc_val(x, &p->raggs[k], &q->accs[k], &aggs[k]);
        rowctx row = {0};
        row.keys = q->keys;
        row.aggs = aggs;
        x->row = &row;
        if (p->having && !truthy(x, p->having)) continue;
        int rc = shoal_exec_emit(g, &row);
        if (rc) return rc;
    }
    return 0;
}

/* forget the groups of a pass (their memory is the pass's arena) */
static void groups_reset(run *g)
{
    /* the table and the list as well: grown by the pass that went over, they would
     * take the budget of every later one */
    shoal_free(g->table);
    shoal_free(g->list);
    g->table = NULL;
    g->list = NULL;
    g->cap = g->cap_list = 0;
    g->n_groups = 0;
    g->n_list = 0;
    g->last = NULL;
    for (int k = 0; k < g->p->n_raggs; k++) {
        shoal_exec_dset_free(&g->dsets[k]);
    }
    if (g->by_id) memset(g->by_id, 0, sizeof(group *) * g->n_by_id);
    shoal_exec_gkey_free(g);
    g->gk_state = 0;
    g->km_state = 0;
    g->over = 0;
    g->n_checked = 0;
}

static void mem_text(uint64_t b, char *buf, size_t n)
{
    if (b < 1024) snprintf(buf, n, "%" PRIu64 " bytes", b);   /* (not "0KB") */
    else if (b < (1u << 20)) snprintf(buf, n, "%.0fKB", (double)b / 1024.0);
    else if (b % (1u << 20) == 0) snprintf(buf, n, "%" PRIu64 "MB", b >> 20);
    else snprintf(buf, n, "%.1fMB", (double)b / 1048576.0);
}

/* ------------------------------------------------------------ what else a statement holds */

/* Bytes a statement holds besides its groups and ORDER BY's rows: the per-member
 * arrays its aggregates over members fill (from views or the log: shoal_exec_marray,
 * exec.c's alloc_maggs), and a join's kept rows and hash tables (join.c's keep_row and
 * hash_side). They cannot spill (a member's cell is written at random, a join's rows
 * are probed at random): past the budget the statement is refused, with the setting
 * named. What they hold is taken from the budget the groups and rows get
 * (shoal_exec_budget); each gives it back when it frees them. */
int shoal_exec_hold(exec *x, uint64_t bytes, const char *what, int where, int len)
{
    if (x->mem_limit && x->mem_held + bytes > x->mem_limit) {
        char lim[32], more[32], held[32];
        mem_text(x->mem_limit, lim, sizeof lim);
        mem_text(bytes, more, sizeof more);
        mem_text(x->mem_held, held, sizeof held);
        if (!x->mem_held)   /* (nothing held: "0KB held already" said nothing) */
            return shoal_err_set(x->err, SHOAL_ERANGE, where, len,
                                 "%s do not fit in the memory limit (%s): they take %s; raise it with SET MEMORY_LIMIT",
                                 what, lim, more);
        return shoal_err_set(x->err, SHOAL_ERANGE, where, len,
                             "%s do not fit in the memory limit (%s): %s more, %s held already; raise it with SET MEMORY_LIMIT",
                             what, lim, more, held);
    }
    x->mem_held += bytes;
    return 0;
}

void *shoal_exec_marray(exec *x, size_t bytes, int zero)
{
    if (shoal_exec_hold(x, bytes, "the per-member aggregates' arrays", -1, -1)) return NULL;
    return zero ? shoal_bigcache_zalloc(x->cache, bytes) : shoal_bigcache_alloc(x->cache, bytes);
}

int shoal_exec_hold_src(exec *x, const plan *p, uint64_t bytes)
{
    char what[160];
    if (x->src && p->rs_len > 0 && p->rs_len < 100)
        snprintf(what, sizeof what, "the arrays of FROM %.*s", p->rs_len, x->src + p->rs_off);
    else
        snprintf(what, sizeof what, "the arrays of FROM %s(…)", p->rsrc ? p->rsrc->name : "the source");
    return shoal_exec_hold(x, bytes, what, p->rs_off, p->rs_len) ? x->err->code : 0;
}

uint64_t shoal_exec_budget(const exec *x)
{
    if (!x->mem_limit) return 0;
    return x->mem_limit > x->mem_held ? x->mem_limit - x->mem_held : 1;
}

/* ------------------------------------------------------------ partition files */

/* A pass past the budget splits its rows into 2^more partitions by the bits
 * [bits, bits + more) of their keys' hash (the high 16 bits of the table's, as
 * part_bits/part_val), each row written once, in the order it came, to its partition's
 * temporary file: its weight, its keys and each aggregate's value (its argument, NULL
 * where its FILTER fails, a boolean for count(*) with a FILTER; nothing for count(*)
 * without one), which is what accumulate takes from g->vargs. A partition's pass then
 * reads its file, not the log. A value is its type, its namespace and its payload: a
 * string's length and bytes, 4 bytes for an integer (an id, a count, a time in ms past
 * 1970 is not one) that fits in 32 bits, else 8. */
typedef struct pwriter {
    int bits, more;
    FILE **f;                /* 2^more */
    unsigned char *buf;      /* a row being written */
    size_t cap;
    struct pwriter *next;    /* a split pass's parts' own, in part order (shoal_exec_pw_fork) */
} pwriter;

/* the most files a pass writes at once (a file a partition, a set of them a part of a
 * split pass): past it, the pass stays on one thread */
#define PW_FILES 512
#define PW_SETS 17   /* the pass's own set and one a part (exec_scanpar.c's 16 at most) */

#define COMPACT 0x80   /* a value's type byte: its integer in 4 bytes */

static int buf_room(exec *x, pwriter *w, size_t at, size_t more)
{
    if (at + more <= w->cap) return 0;
    size_t nc = w->cap ? w->cap : 256;
    while (nc < at + more) nc *= 2;
    unsigned char *b = shoal_realloc(w->buf, nc);
    if (!b) return nomem(x);
    w->buf = b;
    w->cap = nc;
    return 0;
}

static int buf_val(exec *x, pwriter *w, size_t *at, const qval *v)
{
    if (buf_room(x, w, *at, 16 + (v->t == V_STR ? v->n : 0))) return x->err->code;
    unsigned char *b = w->buf + *at;
    if (v->t == V_NULL) {
        b[0] = V_NULL;
        *at += 1;
        return 0;
    }
    b[1] = v->ns;
    if (v->t == V_STR) {
        b[0] = V_STR;
        memcpy(b + 2, &v->n, 4);
        if (v->n) memcpy(b + 6, v->u.s, v->n);
        *at += 6 + v->n;
    } else if (v->t != V_NUM && v->u.i >= INT32_MIN && v->u.i <= INT32_MAX) {
        int32_t i = (int32_t)v->u.i;
        b[0] = v->t | COMPACT;
        memcpy(b + 2, &i, 4);
        *at += 6;
    } else {
        b[0] = v->t;
        memcpy(b + 2, &v->u.i, 8);
        *at += 10;
    }
    return 0;
}

/* the next value at b (within end): past it, or NULL when the file is cut short */
static const unsigned char *get_pval(const unsigned char *b, const unsigned char *end, qval *v)
{
    if (b >= end) return NULL;
    v->t = b[0] & ~COMPACT;
    v->ns = 0;
    v->n = 0;
    v->u.i = 0;
    if (v->t == V_NULL) return b + 1;
    if (end - b < 6) return NULL;
    v->ns = b[1];
    if (v->t == V_STR) {
        memcpy(&v->n, b + 2, 4);
        if ((size_t)(end - b - 6) < v->n) return NULL;
        v->u.s = v->n ? (const char *)b + 6 : "";
        return b + 6 + v->n;
    }
    if (b[0] & COMPACT) {
        int32_t i;
        memcpy(&i, b + 2, 4);
        v->u.i = i;
        return b + 6;
    }
    if (end - b < 10) return NULL;
    memcpy(&v->u.i, b + 2, 8);
    return b + 10;
}

int shoal_exec_part_put(run *g, const qval *keys, int64_t wt)
{
    exec *x = g->x;
    plan *p = g->p;
    pwriter *w = g->pw;
    uint32_t h = (uint32_t)(shoal_exec_keys_hash(keys, p->n_keys) >> 48);
    FILE *f = w->f[(h >> w->bits) & ((1u << w->more) - 1)];
    size_t at = 0;
    if (buf_room(x, w, 0, 10)) return x->err->code;
    for (uint64_t u = (uint64_t)wt; ; u >>= 7) {   /* the weight, 7 bits a byte */
        w->buf[at++] = (unsigned char)(u & 127) | (u >= 128 ? 128 : 0);
        if (u < 128) break;
    }
    for (int k = 0; k < p->n_keys; k++)
        if (buf_val(x, w, &at, &keys[k])) return x->err->code;
    for (int k = 0; k < p->n_raggs; k++) {
        const ragg *ra = &p->raggs[k];
        if (ra->star && !ra->filter) continue;
        qval v;
        if (g->vargs) v = g->vargs[k];   /* a partition's file split again */
        else if (ra->filter && !truthy(x, ra->filter)) {
            if (ra->star) set_bool(&v, 0);
            else v.t = V_NULL;
        } else if (ra->star) {
            set_bool(&v, 1);
        } else {
            shoal_exec_eval(x, ra->arg, &v);
        }
        if (x->err->code) return x->err->code;
        if (buf_val(x, w, &at, &v)) return x->err->code;
    }
    if (fwrite_unlocked(w->buf, 1, at, f) != at) return tmp_error(x, tmp_dir(), "write", GROUPS_FILE);
    return 0;
}

static void pw_free(pwriter *w)
{
    while (w) {
        pwriter *next = w->next;
        for (int j = 0; w->f && j < (1 << w->more); j++)
            if (w->f[j]) fclose(w->f[j]);
        shoal_free(w->f);
        shoal_free(w->buf);
        shoal_free(w);
        w = next;
    }
}

static pwriter *pw_new(exec *x, int bits, int more)
{
    pwriter *w = shoal_malloc(sizeof *w);
    if (!w) {
        nomem(x);
        return NULL;
    }
    memset(w, 0, sizeof *w);
    w->bits = bits;
    w->more = more;
    if (!(w->f = shoal_malloc(sizeof *w->f << more))) {
        nomem(x);
        pw_free(w);
        return NULL;
    }
    memset(w->f, 0, sizeof *w->f << more);
    for (int j = 0; j < (1 << more); j++)
        if (tmp_open(x, GROUPS_FILE, &w->f[j])) {
            pw_free(w);
            return NULL;
        }
    return w;
}

int shoal_exec_pw_fork(run *g, run *part, int n_parts)
{
    int sets = 1;
    pwriter *last = g->pw;
    for (; last->next; last = last->next) sets++;
    if (sets + n_parts > PW_SETS || (sets + n_parts) << last->more > PW_FILES) return 1;
    if (!(last->next = pw_new(g->x, g->pw->bits, g->pw->more))) return g->x->err->code ? g->x->err->code : nomem(g->x);
    part->pw = last->next;
    return 0;
}

/* A partition's rows, read back from its file f, into g's groups (or, with g->pw, to
 * the files of its own partitions): 0, SHOAL_EXEC_OVER, or the error. */
static int part_read(run *g, FILE *f)
{
    exec *x = g->x;
    plan *p = g->p;
    struct stat st;
    if (fflush(f) || fstat(fileno(f), &st)) return tmp_error(x, tmp_dir(), "read", GROUPS_FILE);
    if (st.st_size == 0) return 0;
    const unsigned char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
    if (m == MAP_FAILED) return tmp_error(x, tmp_dir(), "read", GROUPS_FILE);
    madvise((void *)m, (size_t)st.st_size, MADV_SEQUENTIAL);
    const unsigned char *b = m, *end = m + st.st_size;
    qval *keys = shoal_arena_alloc(x->a, sizeof *keys * (size_t)(p->n_keys + 1));
    qval *args = shoal_arena_alloc(x->a, sizeof *args * (size_t)(p->n_raggs + 1));
    qval yes;
    set_bool(&yes, 1);
    rowctx row = {0};
    int rc = keys && args ? 0 : nomem(x);
    for (uint64_t n = 0; !rc && b < end && !g->stop; n++) {
        if ((n & (CANCEL_EVERY - 1)) == CANCEL_EVERY - 1 && x->cancel && *x->cancel) {
            rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            break;
        }
        uint64_t wt = 0;
        for (int sh = 0; b < end; sh += 7) {
            wt |= (uint64_t)(*b & 127) << sh;
            if (!(*b++ & 128)) break;
        }
        for (int k = 0; k < p->n_keys && b; k++) b = get_pval(b, end, &keys[k]);
        for (int k = 0; k < p->n_raggs && b; k++) {
            if (p->raggs[k].star && !p->raggs[k].filter) set_bool(&args[k], 1);
            else b = get_pval(b, end, &args[k]);
        }
        if (!b) {
            errno = EIO;
            rc = tmp_error(x, tmp_dir(), "read", GROUPS_FILE);
            break;
        }
        g->vargs = args;
        rc = shoal_exec_process_row(g, &row, &yes, keys, (int64_t)wt);
    }
    g->vargs = NULL;
    x->row = NULL;
    munmap((void *)m, (size_t)st.st_size);
    return rc;
}

/* … a partition's files, one after the other (the parts of the pass that wrote them, in
 * order: the rows in the order of the log) */
static int parts_read(run *g, FILE **f, int n_f)
{
    int rc = 0;
    for (int i = 0; i < n_f && !rc && !g->stop; i++) rc = part_read(g, f[i]);
    return rc;
}

/* A grouped scan over events within the budget. The first pass takes every group from
 * the log; one that stops past the budget at a fraction f of its rows had groups for
 * some used / f bytes in all, so the log is read once more and its rows written to the
 * least power of two of partition files that puts 2/3 of the budget in each (at most
 * 2^8); each partition is then a pass over its file. A partition that still does not
 * fit is written again in 16. The partitions of a split are taken in order of their
 * hash bits, each pass's groups in the order of their first rows. */
int shoal_exec_group_spill(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    shoal_arena *stmt_a = x->a;
    typedef struct { uint8_t bits; uint32_t val; int n_f; FILE *f[PW_SETS]; } part;   /* no f: the log */
    size_t cap_todo = 64;
    part *todo = shoal_malloc(sizeof *todo * cap_todo);
    if (!todo) return nomem(x);
    int n_todo = 0, rc = 0, passes = 0;
    todo[n_todo].bits = 0, todo[n_todo].n_f = 0, todo[n_todo++].val = 0;
    g->budget = p->n_order ? shoal_exec_budget(x) / 2 : shoal_exec_budget(x);
    g->seq_lo = 1;
    g->seq_hi = shoal_reader_last_seq(x->r) + 1;
    while (n_todo && !rc) {
        n_todo--;
        int bits = todo[n_todo].bits;
        uint32_t val = todo[n_todo].val;
        int n_f = todo[n_todo].n_f;
        FILE *f[PW_SETS];   /* (copied: its slot is the next push's) */
        memcpy(f, todo[n_todo].f, sizeof *f * (size_t)n_f);
        shoal_arena *pa = shoal_arena_new();
        if (!pa) {
            n_todo++;   /* (its files closed below) */
            rc = nomem(x);
            break;
        }
        x->a = pa;
        if (passes++) groups_reset(g);
        /* (a file holds its partition's rows only: no row to leave out) */
        g->part_bits = n_f ? 0 : bits;
        g->part_val = val;
        rc = n_f ? parts_read(g, f, n_f) : shoal_exec_scan_log(g, 0);
        if (rc == SHOAL_EXEC_OVER) {
            rc = 0;
            int more = 4;
            if (!p->n_keys || g->over_groups <= 1) {   /* one group: partitions cannot help */
                char buf[32];
                mem_text(x->mem_limit, buf, sizeof buf);
                rc = shoal_err_set(x->err, SHOAL_ERANGE, -1, -1,
                                   "the aggregates' values (a median's, a DISTINCT's) do not fit in the memory limit "
                                   "(%s)%s; raise it with SET MEMORY_LIMIT", buf, p->n_keys ? " in one group" : "");
            }
            if (!rc && !bits) {
                double total = (double)g->over_bytes / (g->over_at > 0.001 ? g->over_at : 0.001);
                for (more = 1; more < 8 && total / (double)(1u << more) > (double)g->budget * 2 / 3; more++) continue;
            }
            if (!rc && bits + more > 16) {
                char buf[32];
                mem_text(x->mem_limit, buf, sizeof buf);
                rc = shoal_err_set(x->err, SHOAL_ERANGE, -1, -1,
                                   "the groups do not fit in the memory limit (%s) even in %u partitions; raise it "
                                   "with SET MEMORY_LIMIT", buf, 1u << bits);
            }
            if (!rc && (size_t)n_todo + (1u << more) > cap_todo) {
                part *t = shoal_realloc(todo, sizeof *todo * (cap_todo = (size_t)n_todo + (1u << more) + 64));
                if (!t) rc = nomem(x);
                else todo = t;
            }
            /* the rows written once to the partitions' files (a pass of the source
             * that makes no group), then each partition a pass of its own */
            pwriter *w = NULL;
            if (!rc) {
                groups_reset(g);
                shoal_arena_reset(pa);
                if (!(w = pw_new(x, bits, more))) rc = x->err->code ? x->err->code : nomem(x);
            }
            if (!rc) {
                g->pw = w;
                rc = n_f ? parts_read(g, f, n_f) : shoal_exec_scan_log(g, 0);
                g->pw = NULL;
            }
            /* pushed last to first, taken in order: partition j's rows are in file j of
             * each set, the sets in the order of the log's parts */
            for (int j = (1 << more) - 1; j >= 0 && !rc; j--) {
                part *t = &todo[n_todo++];
                t->bits = (uint8_t)(bits + more);
                t->val = val | ((uint32_t)j << bits);
                t->n_f = 0;
                for (pwriter *s = w; s; s = s->next) {
                    t->f[t->n_f++] = s->f[j];
                    s->f[j] = NULL;
                }
            }
            pw_free(w);
            x->a = stmt_a;
            for (int i = 0; i < n_f; i++) fclose(f[i]);
            shoal_arena_free(pa);
            continue;
        }
        x->a = stmt_a;
        for (int i = 0; i < n_f; i++) fclose(f[i]);
        if (rc) {
            shoal_arena_free(pa);
            break;
        }
        /* Without GROUP BY an aggregate query has exactly one group, even over nothing. */
        if (p->n_keys == 0 && g->n_list == 0 && !shoal_exec_find_group(g, g->keybuf)) rc = nomem(x);
        if (!rc) rc = shoal_exec_emit_groups(g);
        g->n_list = 0;
        shoal_arena_free(pa);
        if (g->stop) break;
    }
    while (n_todo--)
        for (int i = 0; i < todo[n_todo].n_f; i++) fclose(todo[n_todo].f[i]);
    shoal_free(todo);
    g->groups_out = 1;
    g->budget = 0;
    g->part_bits = 0;
    return rc;
}

/* ------------------------------------------------------------ sorted runs */

typedef struct srun {
    FILE *f;
    orow head;        /* its next row, read */
    char *str;        /* the head's strings */
    size_t cap_str;
    int done;
} srun;

typedef struct spill {
    srun *runs;
    int n_runs, cap_runs;
    uint64_t n_written;
} spill;

static int put_val(FILE *f, const qval *v)
{
    unsigned char h[14];
    h[0] = v->t;
    h[1] = v->ns;
    memcpy(h + 2, &v->n, 4);
    memcpy(h + 6, &v->u.i, 8);
    if (fwrite_unlocked(h, 1, sizeof h, f) != sizeof h) return -1;
    if (v->t == V_STR && v->n && fwrite_unlocked(v->u.s, 1, v->n, f) != v->n) return -1;
    return 0;
}

/* a kept value's string: in cols or keys, whose strings are copied to the row's buffer */
static int get_val(srun *r, qval *v, size_t *used)
{
    unsigned char h[14];
    if (fread_unlocked(h, 1, sizeof h, r->f) != sizeof h) return -1;
    v->t = h[0];
    v->ns = h[1];
    memcpy(&v->n, h + 2, 4);
    memcpy(&v->u.i, h + 6, 8);
    if (v->t != V_STR) return 0;
    if (!v->n) {
        v->u.s = "";
        return 0;
    }
    /* the offset now; made a pointer once the row is read (the buffer may move) */
    if (*used + v->n > r->cap_str) {
        size_t nc = r->cap_str ? r->cap_str : 256;
        while (nc < *used + v->n) nc *= 2;
        char *s = shoal_realloc(r->str, nc);
        if (!s) return -2;
        r->str = s;
        r->cap_str = nc;
    }
    if (fread_unlocked(r->str + *used, 1, v->n, r->f) != v->n) return -1;
    v->u.i = (int64_t)*used;
    *used += v->n;
    return 0;
}

static void fix_strs(srun *r, qval *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i].t == V_STR && v[i].n) v[i].u.s = r->str + v[i].u.i;
}

/* the next row of run r into r->head (r->done at its end): 0, or the error */
static int run_next(run *g, srun *r)
{
    exec *x = g->x;
    plan *p = g->p;
    uint64_t n;
    if (fread_unlocked(&n, 1, 8, r->f) != 8) {
        if (ferror(r->f)) return tmp_error(x, tmp_dir(), "read", SORT_FILE);
        r->done = 1;
        return 0;
    }
    r->head.n = n;
    size_t used = 0;
    for (int i = 0; i < p->n_cols; i++) {
        int e = get_val(r, &r->head.cols[i], &used);
        if (e == -2) return nomem(x);
        if (e) return tmp_error(x, tmp_dir(), "read", SORT_FILE);
    }
    for (int i = 0; i < p->n_order; i++) {
        if (p->order[i]->op == X_COL) continue;
        int e = get_val(r, &r->head.keys[i], &used);
        if (e == -2) return nomem(x);
        if (e) return tmp_error(x, tmp_dir(), "read", SORT_FILE);
    }
    fix_strs(r, r->head.cols, p->n_cols);
    fix_strs(r, r->head.keys, p->n_order);
    for (int i = 0; i < p->n_order; i++)
        if (p->order[i]->op == X_COL) r->head.keys[i] = r->head.cols[p->order[i]->slot];
    return 0;
}

/* The kept rows, sorted, as a run in a new temporary file; then they are forgotten. */
int shoal_exec_sort_spill(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    if (!g->sp) {
        if (!(g->sp = shoal_malloc(sizeof *g->sp))) return nomem(x);
        memset(g->sp, 0, sizeof *g->sp);
    }
    spill *sp = g->sp;
    if (sp->n_runs == sp->cap_runs) {
        int nc = sp->cap_runs ? sp->cap_runs * 2 : 8;
        srun *rs = shoal_realloc(sp->runs, sizeof *rs * (size_t)nc);
        if (!rs) return nomem(x);
        sp->runs = rs;
        sp->cap_runs = nc;
    }
    shoal_exec_sort_rows(g);
    if (x->cancel && *x->cancel) return shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    const char *dir = tmp_dir();
    FILE *f;
    int rc = tmp_open(x, SORT_FILE, &f);
    if (rc) return rc;
    srun *r = &sp->runs[sp->n_runs];
    memset(r, 0, sizeof *r);
    r->f = f;
    sp->n_runs++;
    for (size_t i = 0; i < g->n_rows; i++) {
        if ((i & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel)
            return shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
        const orow *o = &g->rows[i];
        if (fwrite_unlocked(&o->n, 1, 8, f) != 8) return tmp_error(x, dir, "write", SORT_FILE);
        for (int c = 0; c < p->n_cols; c++)
            if (put_val(f, &o->cols[c])) return tmp_error(x, dir, "write", SORT_FILE);
        for (int k = 0; k < p->n_order; k++)
            if (p->order[k]->op != X_COL && put_val(f, &o->keys[k])) return tmp_error(x, dir, "write", SORT_FILE);
    }
    if (fflush(f) || fseek(f, 0, SEEK_SET)) return tmp_error(x, dir, "write", SORT_FILE);
    sp->n_written += g->n_rows;
    g->n_rows = 0;
    shoal_arena_reset(g->rows_a);
    return 0;
}

/* the heap of sources (the runs, then the rows in memory as source n_runs), by their heads */
typedef struct merge {
    run *g;
    int *h, n;
    size_t mem_i;      /* the next row in memory */
} merge;

static const orow *head_of(merge *m, int s)
{
    spill *sp = m->g->sp;
    return s < sp->n_runs ? &sp->runs[s].head : &m->g->rows[m->mem_i];
}

static int less(merge *m, int a, int b) { return shoal_exec_row_cmp(head_of(m, a), head_of(m, b), m->g) < 0; }

static void sift_down(merge *m, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, s = i;
        if (l < m->n && less(m, m->h[l], m->h[s])) s = l;
        if (r < m->n && less(m, m->h[r], m->h[s])) s = r;
        if (s == i) return;
        int t = m->h[i];
        m->h[i] = m->h[s];
        m->h[s] = t;
        i = s;
    }
}

/* The runs and the rows in memory, merged: OFFSET, LIMIT and WITH TIES as exec.c cuts
 * the sorted rows. */
int shoal_exec_sort_merge(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    spill *sp = g->sp;
    int rc = 0;
    shoal_exec_sort_rows(g);
    merge m = {g, NULL, 0, 0};
    if (!(m.h = shoal_malloc(sizeof *m.h * (size_t)(sp->n_runs + 1)))) return nomem(x);
    for (int s = 0; s < sp->n_runs && !rc; s++) {
        srun *r = &sp->runs[s];
        r->head.cols = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(p->n_cols + 1));
        r->head.keys = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(p->n_order + 1));
        if (!r->head.cols || !r->head.keys) rc = nomem(x);
        else if (!(rc = run_next(g, r)) && !r->done) m.h[m.n++] = s;
    }
    if (g->n_rows) m.h[m.n++] = sp->n_runs;
    for (int i = m.n / 2 - 1; i >= 0; i--) sift_down(&m, i);
    uint64_t skipped = 0, out = 0;
    qval *last = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(p->n_order + 1));
    char *last_str = NULL;
    if (!last) rc = nomem(x);
    uint64_t k = 0;
    while (!rc && m.n) {
        if ((++k & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel) break;
        int s = m.h[0];
        const orow *o = head_of(&m, s);
        if (skipped < (uint64_t)(p->offset > 0 ? p->offset : 0)) {
            skipped++;
        } else {
            int more = p->limit < 0 || out < (uint64_t)p->limit;
            if (!more && p->ties && out && !shoal_exec_keys_cmp(p, x, last, o->keys)) more = 1;
            if (!more) break;
            if ((rc = shoal_exec_write_row(g, o->cols))) break;
            g->n_emitted++;
            out++;
            if (p->ties) {
                /* the last row's keys, its strings copied (its source moves on) */
                size_t need = 0;
                for (int i = 0; i < p->n_order; i++) need += o->keys[i].t == V_STR ? o->keys[i].n : 0;
                shoal_free(last_str);
                if (!(last_str = shoal_malloc(need + 1))) {
                    rc = nomem(x);
                    break;
                }
                size_t at = 0;
                for (int i = 0; i < p->n_order; i++) {
                    last[i] = o->keys[i];
                    if (last[i].t == V_STR && last[i].n) {
                        memcpy(last_str + at, last[i].u.s, last[i].n);
                        last[i].u.s = last_str + at;
                        at += last[i].n;
                    }
                }
            }
            if (g->stop) break;
        }
        if (s < sp->n_runs) {
            if ((rc = run_next(g, &sp->runs[s]))) break;
            if (sp->runs[s].done) m.h[0] = m.h[--m.n];
        } else if (++m.mem_i >= g->n_rows) {
            m.h[0] = m.h[--m.n];
        }
        if (m.n) sift_down(&m, 0);
    }
    shoal_free(last_str);
    shoal_free(m.h);
    return rc;
}

void shoal_exec_spill_free(run *g)
{
    spill *sp = g->sp;
    if (!sp) return;
    for (int s = 0; s < sp->n_runs; s++) {
        if (sp->runs[s].f) fclose(sp->runs[s].f);
        shoal_free(sp->runs[s].str);
    }
    shoal_free(sp->runs);
    shoal_free(sp);
    g->sp = NULL;
}
