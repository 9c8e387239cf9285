/* exec_members.c — rows over members: WHERE and the keys evaluated a block of members
 * at a time (veval, exec_eval.c), where_bits over words of members, members alike as
 * one weighed row, and classes of members whose comparisons come out the same (read
 * narrow, a byte per member). Each row goes on through process_row (exec_group.c).
 */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <immintrin.h>
#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/platform/x86.h>
#define RANGE_AVX2 1
#endif
#endif

#include "exec_int.h"

/* bits |= (a[m] != 0) for the counts a[0..n), 64 members a word, so that the member
 * loop visits only the members with a value. (Four counts a compare with SSE2: a bit at
 * a time was 1 ms over 300k members, once per period of a PER statement.) */
static void or_nonzero(uint64_t *bits, const uint32_t *a, size_t n)
{
    for (size_t w = 0; w * 64 < n; w++) {
        uint64_t x = 0;
        size_t e = n - w * 64 < 64 ? n - w * 64 : 64, j = 0;
#ifdef __SSE2__
        const __m128i zero = _mm_setzero_si128();
        for (; j + 4 <= e; j += 4) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(a + w * 64 + j));
            int z = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, zero)));
            x |= (uint64_t)(~z & 0xF) << j;
        }
#endif
        for (; j < e; j++) x |= (uint64_t)(a[w * 64 + j] != 0) << j;
        bits[w] |= x;
    }
}

/* The same over bytes (a count read narrow): 16 members at an SSE2 step (a byte at a
 * time, with a branch each, was a third of the tiers at a noon now). */
void shoal_exec_or_nonzero8(uint64_t *bits, const uint8_t *a, size_t n)
{
    for (size_t w = 0; w * 64 < n; w++) {
        uint64_t x = 0;
        size_t e = n - w * 64 < 64 ? n - w * 64 : 64, j = 0;
#ifdef __SSE2__
        const __m128i zero = _mm_setzero_si128();
        for (; j + 16 <= e; j += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(a + w * 64 + j));
            unsigned z = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero));
            x |= (uint64_t)(~z & 0xFFFFu) << j;
        }
#endif
        for (; j < e; j++) x |= (uint64_t)(a[w * 64 + j] != 0) << j;
        bits[w] |= x;
    }
}

/* Over members, WHERE and the GROUP BY keys are usually conditions over per-member
 * aggregates (layers, tiers). They are evaluated a block of members at a time, node by
 * node, so that the interpreter's dispatch is paid once a block instead of once a
 * member: the same values as shoal_exec_eval, from the same helpers. Only nodes
 * without side effects qualify (shoal_exec_vec_ok); the right side of AND and OR is
 * evaluated over the members the left leaves undecided, as a member at a time stops
 * early. */
#define VBLOCK 256

/* A block of members ms[0..n): WHERE, the keys and the row aggregates' arguments (and
 * their FILTERs) evaluated in blocks where they qualify, then each member's row as
 * process() would make it. The keys and the arguments are evaluated over the members
 * WHERE keeps only (and an argument over those its FILTER keeps), as a member at a
 * time would: a function over a member WHERE leaves out may fail. */
/* How member_block has WHERE: per member by shoal_exec_process_row, for the block by shoal_exec_veval, or
 * known to hold (where_bits kept only such members). */
enum { WHERE_EACH = 0, WHERE_BLOCK, WHERE_HOLDS };

/* The row aggregates' values for members ms[0..n), n_raggs a member into out: the
 * argument, NULL where the FILTER does not hold; for count(*), true or false. */
static int block_args(run *g, shoal_arena *a, const uint32_t *ms, int n, qval *out)
{
    exec *x = g->x;
    plan *p = g->p;
    int nr = p->n_raggs, rc;
    qval *col = shoal_arena_alloc(a, sizeof *col * (size_t)n), *f = NULL;
    uint32_t *pick = NULL;
    int *pos = NULL;
    if (!col) return nomem(x);
    for (int k = 0; k < nr; k++) {
        const ragg *ra = &p->raggs[k];
        const uint32_t *sel = ms;
        int ns = n;
        if (ra->filter) {
            if (!f && (!(f = shoal_arena_alloc(a, sizeof *f * (size_t)n)) || !(pick = shoal_arena_alloc(a, sizeof *pick * (size_t)n)) ||
                       !(pos = shoal_arena_alloc(a, sizeof *pos * (size_t)n))))
                return nomem(x);
            if ((rc = shoal_exec_veval(x, a, ra->filter, ms, n, f))) return rc;
            ns = 0;
            for (int i = 0; i < n; i++) {
                int hold = f[i].t != V_NULL && truth(&f[i]);
                if (hold) pick[ns] = ms[i], pos[ns++] = i;
                if (ra->star) set_bool(&out[(size_t)i * (size_t)nr + (size_t)k], hold);
                else out[(size_t)i * (size_t)nr + (size_t)k].t = V_NULL;
            }
            sel = pick;
        }
        if (ra->star) {
            if (!ra->filter)
                for (int i = 0; i < n; i++) set_bool(&out[(size_t)i * (size_t)nr + (size_t)k], 1);
            continue;
        }
        if (ns && (rc = shoal_exec_veval(x, a, ra->arg, sel, ns, col))) return rc;
        for (int i = 0; i < ns; i++) out[(size_t)(ra->filter ? pos[i] : i) * (size_t)nr + (size_t)k] = col[i];
    }
    return 0;
}

/* Grouped rows over members whose WHERE, keys and row aggregates' arguments and
 * FILTERs all type (exec_typed.c): those as typed columns over the block, then each
 * member straight into its group (found again only when its keys differ from the
 * member before's), its aggregates added as accumulate (exec_group.c) adds them. A
 * row a member at a time costs some 60 ns in qvals and process_row; this some 10. */
enum { TKEYS = 8 };

static int typed_ok(const plan *p, int vwhere)
{
    if (!p->grouped || p->n_keys < 1 || p->n_keys > TKEYS) return 0;
    if (p->where && vwhere != WHERE_HOLDS && shoal_exec_ttype(p, p->where) != V_BOOL) return 0;
    for (int j = 0; j < p->n_keys; j++) {
        int t = shoal_exec_ttype(p, p->keys[j]);
        if (t < 0 || t == V_NUM || t == T_MIXED) return 0;   /* (a number's key: -0 and NaN are the general way's) */
    }
    for (int k = 0; k < p->n_raggs; k++) {
        const ragg *ra = &p->raggs[k];
        if (ra->distinct || (ra->filter && shoal_exec_ttype(p, ra->filter) != V_BOOL)) return 0;
        if (!ra->star && shoal_exec_ttype(p, ra->arg) < 0) return 0;
    }
    return 1;
}

static int typed_block(run *g, shoal_arena *a, const uint32_t *ms, int n, int vwhere)
{
    exec *x = g->x;
    plan *p = g->p;
    int rc, nk = p->n_keys, nr = p->n_raggs;
    shoal_arena_reset(a);
    if (p->where && vwhere != WHERE_HOLDS) {
        tval *w = shoal_arena_alloc(a, sizeof *w * (size_t)n);
        uint8_t *o = shoal_arena_alloc(a, (size_t)n);
        uint32_t *kept = shoal_arena_alloc(a, sizeof *kept * (size_t)n);
        if (!w || !o || !kept) return nomem(x);
        if ((rc = shoal_exec_teval(x, a, p->where, ms, n, w, o))) return rc;
        int nkept = 0;
        for (int i = 0; i < n; i++)
            if (o[i] && w[i].i) kept[nkept++] = ms[i];
        ms = kept;
        n = nkept;
    }
    if (!n) return 0;
    tval *kv[TKEYS];
    uint8_t *ko[TKEYS];
    int kt[TKEYS];
    for (int j = 0; j < nk; j++) {
        kt[j] = shoal_exec_ttype(p, p->keys[j]);
        if (!(kv[j] = shoal_arena_alloc(a, sizeof **kv * (size_t)n)) || !(ko[j] = shoal_arena_alloc(a, (size_t)n))) return nomem(x);
        if ((rc = shoal_exec_teval(x, a, p->keys[j], ms, n, kv[j], ko[j]))) return rc;
    }
    tval **av = shoal_arena_alloc(a, sizeof *av * (size_t)(nr + 1));
    uint8_t **ao = shoal_arena_alloc(a, sizeof *ao * (size_t)(nr + 1)), **fo = shoal_arena_alloc(a, sizeof *fo * (size_t)(nr + 1));
    int *at = shoal_arena_alloc(a, sizeof *at * (size_t)(nr + 1));
    if (!av || !ao || !fo || !at) return nomem(x);
    for (int k = 0; k < nr; k++) {
        const ragg *ra = &p->raggs[k];
        av[k] = NULL, ao[k] = fo[k] = NULL;
        if (ra->filter) {
            tval *f = shoal_arena_alloc(a, sizeof *f * (size_t)n);
            if (!f || !(fo[k] = shoal_arena_alloc(a, (size_t)n))) return nomem(x);
            if ((rc = shoal_exec_teval(x, a, ra->filter, ms, n, f, fo[k]))) return rc;
            for (int i = 0; i < n; i++) fo[k][i] = fo[k][i] && f[i].i;
        }
        if (ra->star) continue;
        at[k] = shoal_exec_ttype(p, ra->arg);
        if (!(av[k] = shoal_arena_alloc(a, sizeof **av * (size_t)n)) || !(ao[k] = shoal_arena_alloc(a, (size_t)n))) return nomem(x);
        if ((rc = shoal_exec_teval(x, a, ra->arg, ms, n, av[k], ao[k]))) return rc;
    }
    group *q = NULL;
    qval keys[TKEYS];
    rowctx row = {0};
    for (int i = 0; i < n; i++) {
        int same = q != NULL;
        for (int j = 0; j < nk; j++) {
            qval kq = {.t = ko[j][i] ? (uint8_t)kt[j] : V_NULL};
            kq.u.i = ko[j][i] ? kv[j][i].i : 0;
            same = same && kq.t == keys[j].t && kq.u.i == keys[j].u.i;
            keys[j] = kq;
        }
        if (!same) {
            if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
            row.member = ms[i];
            x->row = &row;
            if (!(q = shoal_exec_find_group(g, keys))) return nomem(x);
        }
        for (int k = 0; k < nr; k++) {
            const ragg *ra = &p->raggs[k];
            acc *ac = &q->accs[k];
            if (fo[k] && !fo[k][i]) continue;
            if (ra->star) {
                ac->n++;
                continue;
            }
            if (!ao[k][i]) continue;
            qval v = {.t = at[k] == T_MIXED ? ao[k][i] : (uint8_t)at[k]};
            v.u.i = av[k][i].i;   /* (a double's bits with it) */
            /* shoal_exec_acc_add's commonest cases in line: a count, an integer sum
             * that does not overflow, a number into a median's values with room */
            if (ra->fn == F_COUNT) {
                ac->n++;
                continue;
            }
            int64_t is;
            if ((ra->fn == F_SUM || ra->fn == F_AVG) && v.t == V_INT && (ac->n == 0 || ac->v.t == V_INT) &&
                !__builtin_add_overflow(ac->isum, v.u.i, &is)) {
                ac->v.t = V_INT, ac->n++, ac->isum = is;
                continue;
            }
            if ((ra->fn == F_MEDIAN || ra->fn == F_QUANTILE) && v.t == V_NUM && (ac->n == 0 || ac->v.t == V_NUM) &&
                ac->n_vals < ac->cap_vals) {
                ac->v.t = V_NUM, ac->vals[ac->n_vals++] = v.u.d, ac->n++;
                continue;
            }
            if ((rc = shoal_exec_acc_add(x, ra, ac, &v, 1))) return rc;
        }
    }
    x->row = NULL;
    return x->err->code;
}

static int member_block(run *g, shoal_arena *a, const uint32_t *ms, int n, int vwhere, int vkeys, int vargs)
{
    if (vkeys < 0) return typed_block(g, a, ms, n, vwhere);
    exec *x = g->x;
    plan *p = g->p;
    int rc, nk = p->n_keys, nr = p->n_raggs;
    shoal_arena_reset(a);
    qval *w = NULL, *k = NULL, *av = NULL, yes;
    set_bool(&yes, 1);
    if (vwhere) {
        if (!(w = shoal_arena_alloc(a, sizeof *w * (size_t)n))) return nomem(x);
        if (vwhere == WHERE_HOLDS)
            for (int i = 0; i < n; i++) set_bool(&w[i], 1);
        else if ((rc = shoal_exec_veval(x, a, p->where, ms, n, w)))
            return rc;
        /* the members it keeps, on whom the rest is evaluated */
        uint32_t *kept = shoal_arena_alloc(a, sizeof *kept * (size_t)n);
        if (!kept) return nomem(x);
        int nkept = 0;
        for (int i = 0; i < n; i++)
            if (w[i].t != V_NULL && truth(&w[i])) kept[nkept++] = ms[i];
        ms = kept;
        n = nkept;
    }
    if (vkeys && n) {
        qval *col = shoal_arena_alloc(a, sizeof *col * (size_t)n);
        if (!col || !(k = shoal_arena_alloc(a, sizeof *k * (size_t)n * (size_t)nk))) return nomem(x);
        for (int j = 0; j < nk; j++) {
            if ((rc = shoal_exec_veval(x, a, p->keys[j], ms, n, col))) return rc;
            for (int i = 0; i < n; i++) k[(size_t)i * (size_t)nk + (size_t)j] = col[i];
        }
    }
    if (vargs && n && nr) {
        if (!(av = shoal_arena_alloc(a, sizeof *av * (size_t)n * (size_t)nr))) return nomem(x);
        if ((rc = block_args(g, a, ms, n, av))) return rc;
    }
    /* Rows that list members: a block at a time when their columns and keys can be
     * (exec_rows.c; 1: an error met there, the block then a row at a time) */
    if (g->rows_blk && n && (rc = shoal_exec_rows_block(g, a, ms, n)) != 1) return rc;
    /* … else they look their names up: the block's are asked for at once, so that
     * the lookups' waits for memory overlap. */
    if (w && !p->grouped)
        for (int text = 0; text < 2; text++)
            for (int i = 0; i < n; i++) shoal_dict_prefetch_str(x->r, SHOAL_NS_MEMBER, ms[i], text);
    rowctx row = {0};
    rc = 0;
    for (int i = 0; i < n && !g->stop && !rc; i++) {
        row.member = ms[i];
        g->vargs = av ? &av[(size_t)i * (size_t)nr] : NULL;
        rc = shoal_exec_process_row(g, &row, w ? &yes : NULL, k ? &k[(size_t)i * (size_t)nk] : NULL, 1);
    }
    g->vargs = NULL;
    return rc;
}

/* Bits set in x, in line (without -mpopcnt the builtin is a library call per word). */
/* Word w of bits (every member when NULL), less member 0, which is none, and the bits
 * past member last. */
static inline uint64_t word_members(const uint64_t *bits, size_t w, uint32_t last)
{
    uint64_t b = bits ? bits[w] : ~(uint64_t)0;
    if (w == 0) b &= ~(uint64_t)1;
    if (w == last / 64 && last % 64 != 63) b &= ((uint64_t)1 << (last % 64 + 1)) - 1;
    return b;
}

/* Members 1..n in have (every one when NULL) and not in t: how many, and the first. */
static int64_t alike_count(const uint64_t *have, const uint64_t *t, uint32_t n, uint32_t *first)
{
    int64_t c = 0;
    *first = 0;
    for (size_t w = 0; w <= n / 64; w++) {
        uint64_t b = word_members(have, w, n) & ~t[w];
        if (b && !*first) *first = (uint32_t)(w * 64 + (uint64_t)__builtin_ctzll(b));
        c += popcount64(b);
    }
    return c;
}

/* The alike members' row, after the members before them (the block so far): member
 * 0's, which has no events, counted n times. */
static int alike_row(run *g, shoal_arena *a, const uint32_t *ms, int *nb, int vwhere, int vkeys, int vargs, int64_t n)
{
    int rc;
    if (*nb && (rc = member_block(g, a, ms, *nb, vwhere, vkeys, vargs))) return rc;
    *nb = 0;
    rowctx row = {0};
    return shoal_exec_process_row(g, &row, NULL, NULL, n);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 1 unless SHOAL_PASSED is 0 (then classes are counted over every member's bytes, as
 * before the lists of members that passed: tests/e2e/passed.sh compares); asked once. */
static int passed_on(void)
{
    static _Atomic int on = -1;
    return shoal_exec_switch(&on, "SHOAL_PASSED");
}

/* The lo of test t when it is true exactly for the bytes lo..cap (count >= lo, count >
 * lo - 1: the bytes stop at cap), lo above 0; else 0. */
static unsigned test_at_least(const mcmp *t, unsigned cap)
{
    int lo = -1;
    for (int v = 0; v <= (int)cap && v < 256; v++) {
        int r = mcmp_byte(t, v);
        if (r < 0 || (lo >= 0 && !r)) return 0;
        if (r && lo < 0) lo = v;
    }
    return lo > 0 ? (unsigned)lo : 0;
}

/* The pass_lo of narrow count a (plan.h): its one test's lo when that test is "at
 * least lo" and a count from a view alone; else 0. A member passes it once its byte
 * reaches lo, which the reads note as they add (the bytes only grow), so that classes
 * can be counted over the members that passed (passed_classes) in place of every
 * member's bytes. */
static unsigned pass_at_least(const run *g, const magg *a)
{
    if (!a->narrow || a->fn != F_COUNT || a->src != MG_VIEW || !passed_on()) return 0;
    int n = 0, j0 = -1;
    for (int j = 0; j < g->n_tests; j++)
        if (g->tests[j].g == a) n++, j0 = j;
    return n == 1 ? test_at_least(&g->tests[j0], a->cap) : 0;
}

/* The aggregates classes read narrow, with their caps and cuts; then the tests
 * again, which compare a score's cell. */
int shoal_exec_narrow_maggs(run *g)
{
    plan *p = g->p;
    for (int i = 0; i < p->n_maggs; i++) {
        magg *a = &p->maggs[i];
        a->narrow = shoal_plan_can_narrow(p, g->tests, g->n_tests, i, &a->cap);
        a->passed = NULL;
        a->pass_kept = 0;
        a->pass_lo = pass_at_least(g, a);
        if (a->pass_lo > a->cap) a->pass_lo = 0;
        if (!a->narrow || a->fn != F_SCORE) continue;
        if (!(a->cuts = shoal_arena_alloc(g->x->a, sizeof(double) * (size_t)g->n_tests))) return nomem(g->x);
        int k = 0;
        for (int j = 0; j < g->n_tests; j++)
            if (g->tests[j].g == a) a->cuts[k++] = g->tests[j].cd;
        qsort(a->cuts, (size_t)k, sizeof *a->cuts, cmp_dbl);
        int u = 0;
        for (int j = 0; j < k; j++)
            if (!u || a->cuts[j] != a->cuts[u - 1]) a->cuts[u++] = a->cuts[j];
        a->n_cuts = u;
    }
    g->n_tests = shoal_plan_class_tests(p, g->tests);
    return 0;
}

/* A class of members whose comparisons all come out the same: their rows are alike. */
typedef struct mclass {
    uint64_t code;
    uint32_t rep, first;   /* a member of it, and the first (rows go in this order) */
    int64_t n;
} mclass;

static int class_first(const void *a, const void *b)
{
    uint32_t x = ((const mclass *)a)->first, y = ((const mclass *)b)->first;
    return (x > y) - (x < y);
}

/* The narrow aggregates' tables (run: nar_*), and which tests are left. */
static int code_tables(run *g)
{
    plan *p = g->p;
    g->n_nar = 0;
    g->wide = 0;
    for (int j = 0; j < g->n_tests; j++)
        if (!g->tests[j].g->narrow) g->wide |= (uint64_t)1 << j;
    for (int i = 0; i < p->n_maggs; i++) {
        const magg *a = &p->maggs[i];
        if (!a->narrow) continue;
        uint64_t *t = shoal_arena_alloc(g->x->a, 256 * sizeof *t);
        if (!t) return nomem(g->x);
        memset(t, 0, 256 * sizeof *t);
        g->nar_c8[g->n_nar] = a->c8;
        g->nar_tab[g->n_nar++] = t;
    }
    /* each test into its aggregate's table (a test at a time: the tests of one of
     * four aggregates looked for at every byte value were 2% of the tiers) */
    for (int j = 0; j < g->n_tests; j++) {
        const magg *a = g->tests[j].g;
        if (!a->narrow) continue;
        int k = 0;
        for (int i = 0; i < p->n_maggs && &p->maggs[i] != a; i++) k += p->maggs[i].narrow != 0;
        uint64_t *t = g->nar_tab[k];
        for (int v = 0; v < 256; v++) {
            int r = mcmp_byte(&g->tests[j], v);
            t[v] |= r < 0 ? (uint64_t)1 << 63 : (uint64_t)r << j;
        }
    }
    return 0;
}

/* The narrow aggregates' bytes again into nar_c8 (code_tables made the tables before
 * the reads made the bytes: shoal_exec_codes_all) */
static int code_bytes(run *g)
{
    const plan *p = g->p;
    int n = 0;
    for (int i = 0; i < p->n_maggs; i++)
        if (p->maggs[i].narrow) g->nar_c8[n++] = p->maggs[i].c8;
    return n == g->n_nar ? 0 : shoal_err_set(g->x->err, SHOAL_EINVAL, -1, -1, "internal: the narrow aggregates changed after their tables");
}

/* m's code into *code; 0 when a comparison is no plain true or false (a NaN score). */
static inline __attribute__((always_inline)) int member_code(const run *g, uint32_t m, uint64_t *code)
{
    uint64_t c = 0;
    for (int k = 0; k < g->n_nar; k++) c |= g->nar_tab[k][g->nar_c8[k][m]];
    if (g->n_nar && c >> 63) return 0;   /* (with narrow tests there are 63 at most) */
    qval v;
    for (uint64_t w = g->wide; w; w &= w - 1) {
        int j = __builtin_ctzll(w);
        if (!mcmp_at(&g->tests[j], m, &v)) return 0;
        c |= (uint64_t)(v.u.i != 0) << j;
    }
    *code = c;
    return 1;
}

/* Classes by code, in an open-addressing table that stays at most half full; or,
 * with few tests (direct), in t[0..n) found by direct[code] − 1. */
typedef struct ctable {
    mclass *t;
    uint8_t *used;
    size_t cap, n;
    uint32_t *direct;
    int fast;      /* the members with a value were put in by fast_classes */
} ctable;

#define DIRECT_TESTS 12

/* class_add's rest: a class new to the direct table, or any with the hash table */
static int class_find(ctable *c, uint64_t code, uint32_t m, uint32_t first, int64_t w)
{
    if (c->direct) {
        if (c->n == c->cap) {
            size_t nc = c->cap ? c->cap * 2 : 64;
            mclass *nt = shoal_realloc(c->t, nc * sizeof *nt);
            if (!nt) return -1;
            c->t = nt, c->cap = nc;
        }
        c->t[c->n] = (mclass){code, m, first, w};
        c->direct[code] = (uint32_t)++c->n;
        return 0;
    }
    if ((c->n + 1) * 2 > c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        mclass *nt = shoal_malloc(nc * sizeof *nt);
        uint8_t *nu = shoal_malloc(nc);
        if (!nt || !nu) {
            shoal_free(nt);
            shoal_free(nu);
            return -1;
        }
        memset(nu, 0, nc);
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->used[i]) continue;
            size_t j = (c->t[i].code * 0x9E3779B97F4A7C15ULL) >> 7 & (nc - 1);
            while (nu[j]) j = (j + 1) & (nc - 1);
            nu[j] = 1;
            nt[j] = c->t[i];
        }
        shoal_free(c->t);
        shoal_free(c->used);
        c->t = nt, c->used = nu, c->cap = nc;
    }
    size_t j = (code * 0x9E3779B97F4A7C15ULL) >> 7 & (c->cap - 1);
    while (c->used[j] && c->t[j].code != code) j = (j + 1) & (c->cap - 1);
    if (!c->used[j]) {
        c->used[j] = 1;
        c->t[j] = (mclass){code, m, first, 0};
        c->n++;
    }
    c->t[j].n += w;
    if (first < c->t[j].first) c->t[j].first = first;
    return 0;
}

/* The members with a value into a direct table's classes when every test reads a
 * narrow byte of at most four aggregates, with six tests at most, and no byte makes a
 * comparison other than plain true or false (no wide test, no NaN score; with one or
 * two aggregates no byte of their tables may, with three or four the codes met are
 * ORed and a NaN met sends the whole to member_classes' loop): a member's code is its
 * bytes' table entries ORed. The tiers at 10M events (four aggregates: two counts, a
 * score's cell, the window's count) went a member at a time through member_code's
 * loop and class_add until session 14 (a third of the statement at the day's end):
 * now 11.96M -> 10.28M instructions at the day's end, 16.66M -> 14.98M at noon. The members of 64 words are first gathered
 * into a list, eight at a step (a loop over each word's bits ended in a mispredicted
 * branch, the word's cost), then their codes counted: with two tests, four 16-bit
 * counts in a register (a list has at most 4096 members); else in two tables that
 * take turns, so that an add does not wait on the one before it (members of one
 * class follow each other). The first member of a code is the one that finds it
 * unseen (a bit of a word), as the members come in order. Sets c->fast when it did
 * the work; -1 when out of memory. Core creators per month (10M events, 170k members
 * with a value over its 12 periods): 0.69 ms a statement a member at a time through
 * class_add, about 0.2 ms so. */
static inline __attribute__((always_inline)) uint64_t fast_count_n(const uint64_t *live, uint32_t last,
                                                               const uint8_t *const *a, const uint64_t *const *t,
                                                               const int nt, int few, uint32_t *restrict cnt,
                                                               uint32_t *restrict first)
{
    const uint8_t *restrict a0 = a[0], *restrict a1 = a[1], *restrict a2 = a[nt - 2], *restrict a3 = a[nt - 1];
    const uint64_t *t0 = t[0], *t1 = t[1], *t2 = t[nt - 2], *t3 = t[nt - 1];
    /* (nt 2 or 4, a constant: a member's code is its bytes' table entries ORed) */
#define CODE(m) (nt == 2 ? t0[a0[m]] | t1[a1[m]] : t0[a0[m]] | t1[a1[m]] | t2[a2[m]] | t3[a3[m]])
    /* With four, a byte may make a comparison neither true nor false (a NaN score's
     * cell): its code's bit 63, ORed into any (the caller then counts none of it) and
     * masked off the code so that it indexes no further than 64 */
    uint64_t any = 0;
#define MASK(code)                 \
    do {                           \
        if (nt == 4) {             \
            any |= (code);         \
            (code) &= 63;          \
        }                          \
    } while (0)
    uint32_t *restrict c0 = cnt, *restrict c1 = cnt + 64;
    uint64_t seen = 0;
    uint32_t ms[64 * 64 + 8];
    for (size_t w0 = 0; w0 <= last / 64; w0 += 64) {
        /* the members of 64 words into ms, eight at a step (a loop over each word's
         * bits ended in a mispredicted branch, the word's cost) */
        size_t n = 0, we = w0 + 64 <= last / 64 + 1 ? w0 + 64 : last / 64 + 1;
        for (size_t w = w0; w < we; w++) {
            uint64_t b = word_members(live, w, last);
            if (!b) continue;
            size_t k = (size_t)popcount64(b);
            uint32_t base = (uint32_t)(w * 64);
            uint32_t *o = ms + n;
            do {
#define ONE(i) o[i] = base + (uint32_t)__builtin_ctzll(b | (uint64_t)1 << 63), b &= b - 1
                ONE(0), ONE(1), ONE(2), ONE(3), ONE(4), ONE(5), ONE(6), ONE(7);
#undef ONE
                o += 8;
            } while (b);
            n += k;
        }
        size_t i = 0;
        if (few) {   /* up to 4 codes: four 16-bit counts in a register (a block has at most 4096 members) */
            uint64_t acc = 0;
            for (; i < n; i++) {
                uint32_t m = ms[i];
                uint64_t code = CODE(m);
                MASK(code);
                if (!(seen >> code & 1)) seen |= (uint64_t)1 << code, first[code] = m;
                acc += (uint64_t)1 << (code * 16);
            }
            for (int k = 0; k < 4; k++) c0[k] += (uint32_t)(acc >> (k * 16) & 0xFFFF);
            continue;
        }
        for (; i + 2 <= n; i += 2) {
            uint32_t m = ms[i], m1 = ms[i + 1];
            uint64_t code = CODE(m), code1 = CODE(m1);
            MASK(code);
            MASK(code1);
            if (!(seen >> code & 1)) seen |= (uint64_t)1 << code, first[code] = m;
            if (!(seen >> code1 & 1)) seen |= (uint64_t)1 << code1, first[code1] = m1;
            c0[code]++;
            c1[code1]++;
        }
        if (i < n) {
            uint32_t m = ms[i];
            uint64_t code = CODE(m);
            MASK(code);
            if (!(seen >> code & 1)) seen |= (uint64_t)1 << code, first[code] = m;
            c0[code]++;
        }
    }
    return any;
}
#undef CODE
#undef MASK

static __attribute__((noinline)) void fast_count2(const uint64_t *live, uint32_t last, const uint8_t *const *a,
                                                  const uint64_t *const *t, int few, uint32_t *restrict cnt,
                                                  uint32_t *restrict first)
{
    fast_count_n(live, last, a, t, 2, few, cnt, first);
}

/* The same with three or four aggregates' bytes (the tiers: four), whose tables may
 * hold a code that is neither true nor false: the OR of every code, whose bit 63 says
 * one was met and the counts are not to be used. */
static __attribute__((noinline)) uint64_t fast_count4(const uint64_t *live, uint32_t last, const uint8_t *const *a,
                                                      const uint64_t *const *t, int few, uint32_t *restrict cnt,
                                                      uint32_t *restrict first)
{
    return fast_count_n(live, last, a, t, 4, few, cnt, first);
}

/* With two tests at most, over one or two aggregates' bytes, a test's bit of the code
 * is the OR of its aggregates' bytes found in a run of byte values [lo, lo + span] (or
 * outside one: neg), which a comparison of a count or a score's cell with a constant
 * is (>=, >, <, <= a run, = a run of one, != the outside of one). Then, with AVX2 and
 * POPCNT, a word of 64 members is tested at once, 32 bytes a step, and its members
 * counted by code with popcounts, in place of gathering them and looking each one's
 * code up (fast_count_n): core creators per month (10M events, 12 periods, 167k members
 * with a value in 34k words) 17.9M -> 14.0M instructions a statement, about 0.3 ms less.
 * (The same with SSE2 and popcount64 was as many instructions as fast_count_n and no
 * faster: it is not kept.) SHOAL_RANGES=0 turns it off, and where_bits' own
 * (tests/e2e/classes_fast.sh and where_wide.sh compare). */
#ifdef RANGE_AVX2
typedef struct brange {
    const uint8_t *a;   /* the aggregate's bytes */
    uint8_t lo, span;
    uint64_t neg;       /* ~0 when the test holds outside [lo, lo + span] */
    int bit;            /* the test's bit in the code (0 or 1) */
} brange;

/* The ranges of g's narrow tables (at most four: two tests on two aggregates), into r;
 * their number, or -1 when some test's byte values make no run nor the outside of one.
 * A test never true on an aggregate's bytes adds no range. */
static int byte_ranges(const run *g, brange *r)
{
    int n = 0;
    for (int k = 0; k < g->n_nar; k++) {
        const uint64_t *t = g->nar_tab[k];
        uint64_t some = 0;   /* (the tests whose bit is set at some value: the others add none) */
        for (int v = 0; v < 256; v++) some |= t[v];
        for (int j = 0; j < g->n_tests; j++) {
            if (!(some >> j & 1)) continue;
            /* the values where the bit differs from value 0's, [first, last]: one run
             * when the bit flips twice at most */
            int in0 = (t[0] >> j & 1) != 0, flips = 0, first = -1, last = -1;
            for (int v = 0; v < 256; v++) {
                int in = (t[v] >> j & 1) != 0;
                if (v && in != ((t[v - 1] >> j & 1) != 0)) flips++;
                if (in != in0) last = v, first = first < 0 ? v : first;
            }
            if (flips > 2) return -1;
            if (first < 0 && !in0) continue;
            brange b = {g->nar_c8[k], 0, 255, 0, j};
            if (first >= 0)   /* (else true for every byte: [0, 255]) */
                b.lo = (uint8_t)first, b.span = (uint8_t)(last - first), b.neg = in0 ? ~(uint64_t)0 : 0;
            r[n++] = b;
        }
    }
    return n;
}

#define AVX2_POPCNT __attribute__((target("avx2,popcnt")))
#define RANGES_MAX 24   /* byte_ranges' at most: four aggregates, six tests */

/* Bit i of the result: byte a[i] in the range, for 64 bytes (a byte less lo is at most
 * span when it equals its minimum with span). */
static inline __attribute__((always_inline)) AVX2_POPCNT uint64_t range_bits(const uint8_t *a, const brange *r)
{
    const __m256i l = _mm256_set1_epi8((char)r->lo), s = _mm256_set1_epi8((char)r->span);
    __m256i v0 = _mm256_sub_epi8(_mm256_loadu_si256((const __m256i *)(const void *)a), l);
    __m256i v1 = _mm256_sub_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(a + 32)), l);
    uint64_t x = (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(v0, s), v0)) |
                 (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(v1, s), v1)) << 32;
    return x ^ r->neg;
}

/* Word w's members l by code into cnt[0..4) given the bits of each test, each code's
 * first member into first (seen: the codes met so far). */
static inline __attribute__((always_inline)) AVX2_POPCNT void range_tally(size_t w, uint64_t l, uint64_t b0, uint64_t b1,
                                                                          uint32_t *cnt, uint32_t *first, unsigned *seen)
{
    uint64_t m1 = l & b0 & ~b1, m2 = l & ~b0 & b1, m3 = l & b0 & b1;
    uint32_t n1 = (uint32_t)__builtin_popcountll(m1), n2 = (uint32_t)__builtin_popcountll(m2),
             n3 = (uint32_t)__builtin_popcountll(m3);
    cnt[0] += (uint32_t)__builtin_popcountll(l) - n1 - n2 - n3;
    cnt[1] += n1, cnt[2] += n2, cnt[3] += n3;
    if (__builtin_expect(*seen != 15, 0)) {   /* (until every code is met) */
        uint64_t m[4] = {l & ~b0 & ~b1, m1, m2, m3};
        for (int k = 0; k < 4; k++)
            if (m[k] && !(*seen >> k & 1))
                *seen |= 1u << k, first[k] = (uint32_t)(w * 64 + (uint64_t)__builtin_ctzll(m[k]));
    }
}

/* The same for word w from the ranges' bytes (tail: the last word's, copied out: the
 * arrays end at member last). */
static inline __attribute__((always_inline)) AVX2_POPCNT void range_word(size_t w, uint64_t l, const brange *r, int nr,
                                                                         uint8_t (*tail)[64], uint32_t *cnt,
                                                                         uint32_t *first, unsigned *seen)
{
    uint64_t b[2] = {0, 0};
    for (int i = 0; i < nr; i++) b[r[i].bit] |= range_bits(tail ? tail[i] : r[i].a + w * 64, &r[i]);
    range_tally(w, l, b[0], b[1], cnt, first, seen);
}

/* The members of live (1..last) counted by code into cnt[0..4), each code's first
 * member into first (as fast_count_n does). */
static __attribute__((noinline)) AVX2_POPCNT void range_count(const uint64_t *live, uint32_t last, const brange *r,
                                                              int nr, uint32_t *cnt, uint32_t *first)
{
    unsigned seen = 0;
    size_t wl = last / 64;
    if (nr == 2 && r[0].bit != r[1].bit) {
        /* a range for each test's bit (core creator: one on each aggregate), in line */
        const brange *r0 = r[0].bit ? &r[1] : &r[0], *r1 = r[0].bit ? &r[0] : &r[1];
        const uint8_t *a0 = r0->a, *a1 = r1->a;
        for (size_t w = 0; w < wl; w++) {
            uint64_t l = word_members(live, w, last);
            if (l) range_tally(w, l, range_bits(a0 + w * 64, r0), range_bits(a1 + w * 64, r1), cnt, first, &seen);
        }
    } else {
        for (size_t w = 0; w < wl; w++) {
            uint64_t l = word_members(live, w, last);
            if (l) range_word(w, l, r, nr, NULL, cnt, first, &seen);
        }
    }
    uint64_t l = word_members(live, wl, last);
    if (!l) return;
    uint8_t tail[4][64];
    for (int i = 0; i < nr; i++) {
        memset(tail[i], 0, 64);
        memcpy(tail[i], r[i].a + wl * 64, last % 64 + 1);
    }
    range_word(wl, l, r, nr, tail, cnt, first, &seen);
}

/* The n tests' bits of 64 members (a[j] + off on), a byte each into c0 and c1: test j's
 * bit is bit n - 1 - j (each test doubles the bits so far and adds its own: two
 * operations where an AND with its bit and an OR were two and a constant more), where
 * the member's byte less lo[j] is at most span[j]; ORed with negs, the tests' bits
 * that hold outside their runs, flipped. */
static inline __attribute__((always_inline)) AVX2_POPCNT void range_codes(const uint8_t *const *a, size_t off, const __m256i *lo,
                                                                          const __m256i *span, __m256i negs, int n,
                                                                          __m256i *c0, __m256i *c1)
{
    __m256i x0 = _mm256_setzero_si256(), x1 = x0;
#pragma GCC unroll 7
    for (int j = 0; j < n; j++) {
        __m256i v0 = _mm256_sub_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(a[j] + off)), lo[j]);
        __m256i v1 = _mm256_sub_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(a[j] + off + 32)), lo[j]);
        /* (in: all ones, -1, which the subtraction adds as 1) */
        x0 = _mm256_sub_epi8(_mm256_add_epi8(x0, x0), _mm256_cmpeq_epi8(_mm256_min_epu8(v0, span[j]), v0));
        x1 = _mm256_sub_epi8(_mm256_add_epi8(x1, x1), _mm256_cmpeq_epi8(_mm256_min_epu8(v1, span[j]), v1));
    }
    *c0 = _mm256_xor_si256(x0, negs), *c1 = _mm256_xor_si256(x1, negs);
}

/* The members of live (1..last) counted by code into cnt[0..64), each code's first
 * member into first, when each of NT tests (up to six) is true on a run of byte values
 * of one narrow aggregate (r[j]: test j's, byte_ranges') and (NO) the byte values that
 * make a comparison neither true nor false (a NaN score's cell) are a run of one
 * aggregate's (odd): a word of 64 members is tested at once, 32 bytes a step, each
 * member's code a byte (range_codes: the odd run first, its bit the highest; the
 * tests' bits in reverse order, put back by a table per code met); its members with no
 * test true are counted by a popcount, the others a code at a time: the code of the
 * word's first member left, every member of the word with that code counted and
 * taken off, until none is left. The tiers (four aggregates, five tests, some 2 codes
 * other than 0 a word) gathered each member and ORed its four bytes' table entries
 * (fast_count4: 2.0M instructions a statement at 10M events). Returns bit 63 when a
 * member of live has an odd byte (the caller then counts none of it). */
static inline __attribute__((always_inline)) AVX2_POPCNT uint64_t range_count_t(const uint64_t *live, uint32_t last,
                                                                                const brange *r, const brange *odd,
                                                                                uint32_t *cnt, uint32_t *first, const int NT,
                                                                                const int NO)
{
    uint64_t seen = 0, any = 0;
    size_t wl = last / 64;
    uint8_t tail[7][64], rev[128];
    const uint8_t *a[7], *ta[7];
    __m256i lo[7], span[7];
    unsigned negs = 0;
    for (int i = 0; i < NT + NO; i++) {
        const brange *x = i < NO ? odd : &r[i - NO];   /* (the odd run first: its bit the highest) */
        memset(tail[i], 0, 64);
        memcpy(tail[i], x->a + wl * 64, last % 64 + 1);
        a[i] = x->a, ta[i] = tail[i];
        lo[i] = _mm256_set1_epi8((char)x->lo), span[i] = _mm256_set1_epi8((char)x->span);
        if (x->neg) negs |= 1u << (NT + NO - 1 - i);
    }
    for (unsigned c = 0; c < 1u << (NT + NO); c++) {   /* a code byte's tests in their order, and odd's bit 6 */
        unsigned k = NO && c >> NT ? 64 : 0;
        for (int j = 0; j < NT; j++) k |= (c >> (NT - 1 - j) & 1) << j;
        rev[c] = (uint8_t)k;
    }
    const __m256i zero = _mm256_setzero_si256(), vneg = _mm256_set1_epi8((char)negs);
    enum { KNOWN = 4 };
    __m256i kv[KNOWN];   /* the bytes of the first codes met (a byte of no code, 0xFF, until then) */
    uint8_t kb[KNOWN];
    uint32_t kn[KNOWN] = {0};
    int nk = 0;
    for (int i = 0; i < KNOWN; i++) kv[i] = _mm256_set1_epi8((char)0xFF);
    for (size_t w = 0; w <= wl; w++) {
        uint64_t l = word_members(live, w, last);
        if (!l) continue;
        __m256i c0, c1;
        if (w < wl) range_codes(a, w * 64, lo, span, vneg, NT + NO, &c0, &c1);
        else range_codes(ta, 0, lo, span, vneg, NT + NO, &c0, &c1);
        uint64_t z = ((uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c0, zero)) |
                      (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c1, zero)) << 32) & l;   /* code 0 */
        cnt[0] += (uint32_t)__builtin_popcountll(z);
        if (z && !(seen & 1)) seen |= 1, first[0] = (uint32_t)(w * 64 + (uint64_t)__builtin_ctzll(z));
        uint64_t u = l & ~z;
        /* the codes met first, each tested at once, none waiting on another (the
         * tiers: 38.8k, 9.6k and 2.1k members of three codes, 500 of 10 others) */
#pragma GCC unroll 4
        for (int i = 0; i < KNOWN; i++) {
            uint64_t same = ((uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c0, kv[i])) |
                             (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c1, kv[i])) << 32) & u;
            kn[i] += (uint32_t)__builtin_popcountll(same);
            u &= ~same;
        }
        while (u) {
            /* the others a code at a time: the byte of the word's first member left,
             * out of the registers (a store of the codes and a load of a byte of them:
             * the load waited for the store) */
            unsigned m0 = (unsigned)__builtin_ctzll(u);
            const __m256i ix = _mm256_castsi128_si256(_mm_cvtsi32_si128((int)(m0 >> 2 & 7)));
            unsigned b0 = (unsigned)_mm256_cvtsi256_si32(_mm256_permutevar8x32_epi32(c0, ix)),
                     b1 = (unsigned)_mm256_cvtsi256_si32(_mm256_permutevar8x32_epi32(c1, ix));
            unsigned byte = ((m0 & 32 ? b1 : b0) >> ((m0 & 3) * 8)) & 0xFF, code = rev[byte];
            const __m256i k = _mm256_set1_epi8((char)byte);
            uint64_t same = ((uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c0, k)) |
                             (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c1, k)) << 32) & u;
            any |= code >> 6;
            code &= 63;
            cnt[code] += (uint32_t)__builtin_popcountll(same);
            if (!(seen >> code & 1)) {
                seen |= (uint64_t)1 << code, first[code] = (uint32_t)(w * 64 + m0);
                if (nk < KNOWN) kb[nk] = (uint8_t)byte, kv[nk++] = k;   /* (its first met: later words test it at once) */
            }
            u &= ~same;
        }
    }
    for (int i = 0; i < nk; i++) cnt[rev[kb[i]] & 63] += kn[i];
    return any ? (uint64_t)1 << 63 : 0;
}

static __attribute__((noinline)) AVX2_POPCNT uint64_t range_count_n(const uint64_t *live, uint32_t last,
                                                                   const brange *r, int nt, const brange *odd, int no,
                                                                   uint32_t *cnt, uint32_t *first)
{
#define RC(k) (no ? range_count_t(live, last, r, odd, cnt, first, k, 1) : range_count_t(live, last, r, odd, cnt, first, k, 0))
    switch (nt) {
    case 1: return RC(1);
    case 2: return RC(2);
    case 3: return RC(3);
    case 4: return RC(4);
    case 5: return RC(5);
    default: return RC(6);
    }
#undef RC
}

/* byte_ranges' nr ranges as one a test (t[0..nt)): each test reads one aggregate, so
 * has one range at most; a test that has none is never true (a range of no byte on
 * some aggregate's bytes). 0, or -1 when a test has two. */
static int test_ranges(const run *g, const brange *r, int nr, brange *t)
{
    int nt = g->n_tests, have = 0;
    for (int i = 0; i < nr; i++) {
        if (have >> r[i].bit & 1) return -1;
        have |= 1 << r[i].bit;
        t[r[i].bit] = r[i];
    }
    for (int j = 0; j < nt; j++)
        if (!(have >> j & 1)) t[j] = (brange){g->nar_c8[0], 0, 255, ~(uint64_t)0, j};
    return 0;
}

/* The byte values of g's narrow tables that make a comparison neither true nor false,
 * as runs into o (one an aggregate at most); their number, or -1 when some are no run. */
static int odd_ranges(const run *g, brange *o)
{
    int n = 0;
    for (int k = 0; k < g->n_nar; k++) {
        const uint64_t *t = g->nar_tab[k];
        int first = -1, last = -1;
        for (int v = 0; v < 256; v++)
            if (t[v] >> 63) {
                if (first >= 0 && last != v - 1) return -1;
                last = v, first = first < 0 ? v : first;
            }
        if (first >= 0) o[n++] = (brange){g->nar_c8[k], (uint8_t)first, (uint8_t)(last - first), 0, 0};
    }
    return n;
}

/* 1 when the processor has AVX2 (and the system saves its registers) and POPCNT, as
 * glibc found at start (CPU_FEATURE_ACTIVE, no cpuid of our own: scan_decode.c says
 * why), and SHOAL_RANGES is not 0 (read once). */
static int range_hw(void)
{
    static _Atomic int on = -1;
    return CPU_FEATURE_ACTIVE(AVX2) && CPU_FEATURE_ACTIVE(POPCNT) && shoal_exec_switch(&on, "SHOAL_RANGES");
}
#endif

int shoal_exec_passed_only(const run *g)
{
    int nt = g->n_tests;
    if (!g->rejects || g->p->exist || nt < 1 || nt > 6 || nt > DIRECT_TESTS) return 0;
    for (int j = 0; j < nt; j++) {
        const magg *a = g->tests[j].g;
        if (!a->narrow || !a->pass_lo || a->fn != F_COUNT || a->src != MG_VIEW) return 0;
        for (int i = 0; i < j; i++)
            if (g->tests[i].g == a) return 0;
    }
    return 1;
}

/* The classes when WHERE rejects a member without values and each test is "at least
 * lo" on a count of its own whose reads listed the members that reached lo (magg's
 * passed, pass_at_least): a member with a code other than 0 passed some test, so those
 * codes are counted over the lists, and their first members found there; the class of
 * code 0 is rejected by WHERE, and is not made. The longest list is not walked: its
 * members that no other list holds have its bit alone, their number its length less
 * those met in the others, their first the first bit of its bits less theirs.
 * Core creators per month at 10M events: some 2.6k members a period where every
 * member's two bytes were compared (303k, range_count). 1 when done so, 0 when not
 * this case, or -1 when out of memory. */
static int passed_classes(run *g, ctable *c)
{
    int nt = g->n_tests;
    if (!shoal_exec_passed_only(g)) return 0;
    const shoal_passed *ps[6];
    int last = 0;
    for (int j = 0; j < nt; j++) {
        const magg *a = g->tests[j].g;
        if (!a->passed || a->passed->oom) return 0;
        ps[j] = a->passed;
        if (ps[j]->n > ps[last]->n) last = j;
    }
    uint32_t cnt[64] = {0}, first[64];
    size_t in_last = 0;
    for (int j = 0; j < nt; j++) {
        if (j == last) continue;
        for (size_t i = 0; i < ps[j]->n; i++) {
            uint32_t m = ps[j]->m[i];
            uint64_t code = (uint64_t)1 << j;
            int seen = 0;
            for (int k = 0; k < nt; k++) {
                if (k == j || !(ps[k]->bits[m >> 6] >> (m & 63) & 1)) continue;
                seen |= k < j && k != last;
                code |= (uint64_t)1 << k;
            }
            if (seen) continue;   /* (counted from an earlier list) */
            in_last += code >> last & 1;
            if (!cnt[code]++ || m < first[code]) first[code] = m;
        }
    }
    uint64_t only = (uint64_t)1 << last;
    cnt[only] = (uint32_t)(ps[last]->n - in_last);
    if (cnt[only]) {
        size_t nw = (size_t)g->p->n_members / 64 + 1, w = 0;
        uint64_t b = 0;
        for (; w < nw; w++) {
            b = ps[last]->bits[w];
            for (int k = 0; k < nt && b; k++)
                if (k != last) b &= ~ps[k]->bits[w];
            if (b) break;
        }
        assert(w < nw);
        first[only] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
    }
    int rc = 0;
    for (size_t code = 1; code < 64 && !rc; code++) {
        if (!cnt[code]) continue;
        /* a list read without its bytes (shoal_passed's once_ok): the bytes of the
         * class's member its row reads, at least lo where it passed (the others are 0) */
        for (int j = 0; j < nt; j++) {
            const magg *a = g->tests[j].g;
            if (code >> j & 1 && a->passed->once_ok && !a->passed->wrote_all) a->c8[first[code]] = (uint8_t)a->pass_lo;
        }
        rc = class_find(c, code, first[code], first[code], (int64_t)cnt[code]);
    }
    c->fast = 1;
    return rc < 0 ? rc : 1;
}

/* Whether fast_classes counts g's classes (its code tables made) without a table
 * lookup a member: 1 with range_count (its nr ranges in r), 2 with range_count_n (the
 * tests' ranges in rt, the odd ones, no of them, in o), else 0. */
#ifdef RANGE_AVX2
static int range_path(const run *g, brange *r, int *nr, brange *rt, brange *o, int *no)
{
    int nn = g->n_nar, odd = 0;
    if (g->wide || nn < 1 || nn > 4 || g->n_tests > 6 || !range_hw()) return 0;
    for (int k = 0; k < nn; k++)
        for (int v = 0; v < 256; v++) odd |= (int)(g->nar_tab[k][v] >> 63);
    if (odd && nn <= 2) return 0;
    if ((*nr = byte_ranges(g, r)) < 0) return 0;
    if (nn <= 2 && g->n_tests <= 2) return 1;
    return !test_ranges(g, r, *nr, rt) && (*no = odd_ranges(g, o)) >= 0 && *no <= 1 ? 2 : 0;
}
#endif

/* 1 unless SHOAL_CODES_ALL is 0 (then the reads mark who has a value and the members
 * without one are counted apart, as before shoal_exec_codes_all: tests/e2e/classes_fast.sh
 * compares); asked once. */
static int codes_all_on(void)
{
    static _Atomic int on = -1;
    return shoal_exec_switch(&on, "SHOAL_CODES_ALL");
}

int shoal_exec_codes_all(run *g)
{
    const plan *p = g->p;
    if (!g->n_tests || g->n_tests > DIRECT_TESTS || !codes_all_on()) return 0;
    for (int i = 0; i < p->n_maggs; i++)   /* (each narrow one's bytes made by its view's read) */
        if (p->maggs[i].narrow && p->maggs[i].src != MG_VIEW) return 0;
    if (code_tables(g)) return -1;
#ifdef RANGE_AVX2
    brange r[RANGES_MAX], rt[6], o[4];
    int nr = 0, no = 0;
    return range_path(g, r, &nr, rt, o, &no) != 0;
#else
    return 0;
#endif
}

static int fast_classes(run *g, const uint64_t *live, uint32_t last, ctable *c)
{
    int nn = g->n_nar, odd = 0;
    if (g->wide || nn < 1 || nn > 4 || g->n_tests > 6) return 0;
    for (int k = 0; k < nn; k++)
        for (int v = 0; v < 256; v++) odd |= (int)(g->nar_tab[k][v] >> 63);
    if (odd && nn <= 2) return 0;
    uint32_t cnt[128] = {0}, first[64];
    const uint8_t *a[4];
    const uint64_t *t[4];
    for (int k = 0; k < 4; k++)   /* (a table ORed twice: the same code) */
        a[k] = g->nar_c8[k < nn ? k : nn - 1], t[k] = g->nar_tab[k < nn ? k : nn - 1];
    int ranges = 0;
#ifdef RANGE_AVX2
    brange r[RANGES_MAX], rt[6], o[4];
    int nr = 0, no = 0, path = range_path(g, r, &nr, rt, o, &no);
    if (path == 1) {
        range_count(live, last, r, nr, cnt, first);
        ranges = 1;
    } else if (path == 2) {
        if (range_count_n(live, last, rt, g->n_tests, o, no, cnt, first) >> 63) return 0;   /* (as fast_count4's below) */
        ranges = 1;
    }
#endif
    if (!ranges && nn <= 2) {
        a[1] = a[nn - 1], t[1] = t[nn - 1];
        fast_count2(live, last, a, t, g->n_tests <= 2, cnt, first);
    } else if (!ranges && fast_count4(live, last, a, t, g->n_tests <= 2, cnt, first) >> 63) {
        return 0;   /* a code neither true nor false (a NaN score): member_classes' loop, which makes it a class of its own */
    }
    int rc = 0;
    for (size_t code = 0; code < 64 && !rc; code++)
        if (cnt[code] + cnt[64 + code])
            rc = class_find(c, code, first[code], first[code], (int64_t)cnt[code] + cnt[64 + code]);
    c->fast = 1;
    return rc;
}

/* Member m (weight w, first member first) into its class; 0 or -1 when out of memory. */
static inline int class_add(ctable *c, uint64_t code, uint32_t m, uint32_t first, int64_t w)
{
    uint32_t j;
    if (c->direct && (j = c->direct[code])) {
        mclass *k = &c->t[j - 1];
        k->n += w;
        if (first < k->first) k->first = first;
        return 0;
    }
    return class_find(c, code, m, first, w);
}

/* The rows of members by classes (g->n_tests): the members with a value (live) get
 * their code, those without (n_alike of them, the first at alike_at) have member 0's;
 * each class is one row, its representative's, weighed by its size, in the order of
 * its first member, so that groups come in the order one row per member gives them.
 * A member with a comparison that is neither true nor false is a class of its own. */
static int odd_add(mclass **odd, size_t *n, size_t *cap, uint32_t m, uint32_t first, int64_t w)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        mclass *o = shoal_realloc(*odd, nc * sizeof *o);
        if (!o) return -1;
        *odd = o, *cap = nc;
    }
    (*odd)[(*n)++] = (mclass){0, m, first, w};
    return 0;
}

static int member_classes(run *g, const uint64_t *live, int64_t n_alike, uint32_t alike_at)
{
    plan *p = g->p;
    ctable c = {0};
    mclass *odd = NULL;
    size_t n_odd = 0, cap_odd = 0;
    int rc = g->codes_all ? code_bytes(g) : code_tables(g);
    if (rc) return rc;
    if (g->n_tests <= DIRECT_TESTS) {
        if (!(c.direct = shoal_malloc(sizeof *c.direct << g->n_tests))) return nomem(g->x);
        memset(c.direct, 0, sizeof *c.direct << g->n_tests);
    }
    /* The members with a value, in order (so a class's first member is the one that
     * makes it), then member 0 for those without. */
    uint32_t last = p->n_members;
    if (c.direct && (rc = passed_classes(g, &c)) < 0) goto oom;
    if (!rc && g->passed_only) {   /* (the reads left live alone for it) */
        rc = shoal_err_set(g->x->err, SHOAL_EINVAL, -1, -1, "internal: the classes were to be counted from the members that passed");
        goto done;
    }
    if (c.direct && !rc && fast_classes(g, live, last, &c) < 0) goto oom;
    rc = 0;
    for (size_t w = 0; !c.fast && w <= last / 64; w++)
        for (uint64_t bits = word_members(live, w, last); bits; bits &= bits - 1) {
            uint32_t m = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            uint64_t code;
            if (member_code(g, m, &code) ? class_add(&c, code, m, m, 1) : odd_add(&odd, &n_odd, &cap_odd, m, m, 1))
                goto oom;
        }
    if (n_alike > 0) {
        uint64_t code;
        if (member_code(g, 0, &code) ? class_add(&c, code, 0, alike_at, n_alike)
                                     : odd_add(&odd, &n_odd, &cap_odd, 0, alike_at, n_alike))
            goto oom;
    }
    /* the classes, then the odd members, in the order of their first members */
    size_t k = c.direct ? c.n : 0;
    for (size_t i = 0; !c.direct && i < c.cap; i++)
        if (c.used[i]) c.t[k++] = c.t[i];
    if (n_odd) {
        mclass *all = shoal_realloc(c.t, (k + n_odd) * sizeof *all);
        if (!all) goto oom;
        c.t = all;
        memcpy(c.t + k, odd, n_odd * sizeof *odd);
        k += n_odd;
    }
    if (k) qsort(c.t, k, sizeof *c.t, class_first);
    rowctx row = {0};
    for (size_t i = 0; i < k && !rc; i++) {
        row.member = c.t[i].rep;
        rc = shoal_exec_process_row(g, &row, NULL, NULL, c.t[i].n);
    }
    goto done;
oom:
    rc = nomem(g->x);
done:
    shoal_free(c.t);
    shoal_free(c.used);
    shoal_free(c.direct);
    shoal_free(odd);
    return rc;
}

/* WHERE as bits (where_bits): when it is AND, OR and NOT of counts compared with
 * integers, which come out plain true or false for every member (no NULL, no NaN),
 * it is worked out a word of 64 members at a time, each comparison over the word's
 * members with a value, as a small program in postfix order. (Over every member of
 * a word, four at an SSE2 step, it cost more: most words have few members with a
 * value.) */
typedef struct wnode {
    int op;        /* X_AND, X_OR, X_NOT, or X_CMP with c */
    mcmp c;
} wnode;

static int where_prog(const plan *p, const cx *e, wnode *prog, int *n)
{
    if (*n == 32) return 0;
    if (e->op == X_AND || e->op == X_OR) {
        if (!where_prog(p, e->a, prog, n) || !where_prog(p, e->b, prog, n) || *n == 32) return 0;
        prog[(*n)++].op = e->op;
        return 1;
    }
    if (e->op == X_NOT) {
        if (!where_prog(p, e->a, prog, n) || *n == 32) return 0;
        prog[(*n)++].op = X_NOT;
        return 1;
    }
    mcmp c;
    if (!mcmp_of(p, e, &c) || !c.ints || c.g->fn != F_COUNT || c.g->narrow || (!c.g->n && !c.g->n8)) return 0;
    prog[*n].op = X_CMP;
    prog[(*n)++].c = c;
    return 1;
}

#ifdef RANGE_AVX2
/* A comparison of a count (0 .. 2^32 - 1) with an integer k, true where v < k (lt),
 * v == k (eq) or v > k (gt), as the counts in a run [lo, lo + span] or outside it
 * (neg): for a word of counts tested at once (where_two_wide). */
typedef struct urange {
    uint32_t lo, span;
    uint64_t neg;
} urange;

static urange count_range(int64_t k, int lt, int eq, int gt)
{
    const urange all = {0, UINT32_MAX, 0}, none = {0, UINT32_MAX, ~(uint64_t)0};
    if (k < 0) return gt ? all : none;
    if (k > (int64_t)UINT32_MAX) return lt ? all : none;
    uint32_t u = (uint32_t)k;
    if (lt && eq && gt) return all;
    if (lt && gt) return (urange){u, 0, ~(uint64_t)0};
    if (lt) return eq ? (urange){0, u, 0} : u ? (urange){0, u - 1, 0} : none;
    if (gt) return eq ? (urange){u, UINT32_MAX - u, 0} : u < UINT32_MAX ? (urange){u + 1, UINT32_MAX - u - 1, 0} : none;
    return eq ? (urange){u, 0, 0} : none;
}

/* Bit i: count a[i] in the range, for 64 counts (as range_bits, eight a step). */
static inline __attribute__((always_inline)) AVX2_POPCNT uint64_t urange_bits(const uint32_t *a, const urange *r)
{
    const __m256i l = _mm256_set1_epi32((int)r->lo), s = _mm256_set1_epi32((int)r->span);
    uint64_t x = 0;
    for (int q = 0; q < 8; q++) {
        __m256i v = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(a + 8 * q)), l);
        __m256i in = _mm256_cmpeq_epi32(_mm256_min_epu32(v, s), v);
        x |= (uint64_t)(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(in)) << (8 * q);
    }
    return x ^ r->neg;
}

/* where_bits' two comparisons over words [0, nw) of live, every member of a word at
 * once (the counts' arrays hold all of a word's members below the last word). */
static __attribute__((noinline)) AVX2_POPCNT void where_two_wide(uint64_t *live, size_t nw, const uint32_t *a0,
                                                                 urange r0, const uint32_t *a1, urange r1, int or)
{
    for (size_t w = 0; w < nw; w++) {
        if (!live[w]) continue;
        uint64_t b0 = urange_bits(a0 + w * 64, &r0), b1 = urange_bits(a1 + w * 64, &r1);
        live[w] &= or ? b0 | b1 : b0 & b1;
    }
}

/* The byte range of a count's comparison with k in 0..254, for counts read as bytes
 * (n8: 255 stands for any count of 255 or more, which compares with such a k as 255
 * does): count_range's run cut at 255. 0 when k is outside. */
static int count_range8(int64_t k, int lt, int eq, int gt, const uint8_t *a, brange *b)
{
    if (k < 0 || k > 254) return 0;
    urange u = count_range(k, lt, eq, gt);
    b->a = a;
    b->lo = (uint8_t)u.lo;   /* (at most 255: k + 1) */
    b->span = (uint8_t)(u.span < 255u - u.lo ? u.span : 255u - u.lo);
    b->neg = u.neg;
    b->bit = 0;
    return 1;
}

/* where_two_wide over counts read as bytes (n8), 64 members at two loads each */
static __attribute__((noinline)) AVX2_POPCNT void where_two_bytes(uint64_t *live, size_t nw, const brange *r0,
                                                                  const brange *r1, int or)
{
    for (size_t w = 0; w < nw; w++) {
        if (!live[w]) continue;
        uint64_t b0 = range_bits(r0->a + w * 64, r0), b1 = range_bits(r1->a + w * 64, r1);
        live[w] &= or ? b0 | b1 : b0 & b1;
    }
}
#endif

/* live &= the members for which WHERE e holds, when it can be had as bits: 1 then. */
static int where_bits(const plan *p, const cx *e, uint64_t *live)
{
    wnode prog[32];
    int n = 0;
    if (!where_prog(p, e, prog, &n)) return 0;
    size_t nw = (size_t)p->n_members / 64 + 1;
    if (n == 3 && prog[0].op == X_CMP && prog[1].op == X_CMP && (prog[2].op == X_AND || prog[2].op == X_OR)) {
        /* two comparisons joined by AND or OR (a layer's usual shape: core creator's
         * `count(…) DURING this_month >= 3 OR count(essence) >= 100`): both in one pass
         * over each word's members, whose loads of the two counts then overlap, in
         * place of a pass each (issue 17, session 14) */
        const magg *g0 = prog[0].c.g, *g1 = prog[1].c.g;
        const uint32_t *a0 = g0->n, *a1 = g1->n;
        const int64_t k0 = prog[0].c.ci, k1 = prog[1].c.ci;
        const int lt0 = cmp_op(prog[0].c.sub, -1), eq0 = cmp_op(prog[0].c.sub, 0), gt0 = cmp_op(prog[0].c.sub, 1);
        const int lt1 = cmp_op(prog[1].c.sub, -1), eq1 = cmp_op(prog[1].c.sub, 0), gt1 = cmp_op(prog[1].c.sub, 1);
        const int or = prog[2].op == X_OR;
        size_t w0 = 0;
#ifdef RANGE_AVX2
        /* with AVX2, a word at once but the last (core creator at noon, 58k members
         * with a value in 4.7k words: 1.13M -> 0.93M instructions, about 0.04 ms of
         * 0.95; a member at a time, each comparison's loads wait on the word's bits) */
        brange r0, r1;
        if (range_hw() && a0 && a1) {
            w0 = nw - 1;
            where_two_wide(live, w0, a0, count_range(k0, lt0, eq0, gt0), a1, count_range(k1, lt1, eq1, gt1), or);
        } else if (range_hw() && !a0 && !a1 && count_range8(k0, lt0, eq0, gt0, g0->n8, &r0) &&
                   count_range8(k1, lt1, eq1, gt1, g1->n8, &r1)) {
            /* counts read as bytes (n8): a quarter of the bytes */
            w0 = nw - 1;
            where_two_bytes(live, w0, &r0, &r1, or);
        }
#endif
        for (size_t w = w0; w < nw; w++) {
            if (!live[w]) continue;
            uint64_t r = 0;
            for (uint64_t bits = live[w]; bits; bits &= bits - 1) {
                int j = __builtin_ctzll(bits);
                uint32_t m = (uint32_t)(w * 64 + (size_t)j);
                int64_t v0 = a0 ? a0[m] : magg_count(g0, m), v1 = a1 ? a1[m] : magg_count(g1, m);
                int c0 = ((v0 < k0) & lt0) | ((v0 == k0) & eq0) | ((v0 > k0) & gt0);
                int c1 = ((v1 < k1) & lt1) | ((v1 == k1) & eq1) | ((v1 > k1) & gt1);
                r |= (uint64_t)(or ? c0 | c1 : c0 & c1) << j;
            }
            live[w] &= r;
        }
        return 1;
    }
    for (size_t w = 0; w < nw; w++) {
        if (!live[w]) continue;
        uint64_t st[32];
        int sp = 0;
        for (int i = 0; i < n; i++) {
            const wnode *q = &prog[i];
            if (q->op == X_CMP) {
                /* the members of this word with a value, a comparison at a time */
                const uint32_t *a = q->c.g->n ? q->c.g->n + w * 64 : NULL;
                const int64_t k = q->c.ci;
                const int lt = cmp_op(q->c.sub, -1), eq = cmp_op(q->c.sub, 0), gt = cmp_op(q->c.sub, 1);
                uint64_t r = 0;
                for (uint64_t bits = live[w]; bits; bits &= bits - 1) {
                    int j = __builtin_ctzll(bits);
                    int64_t v = a ? a[j] : magg_count(q->c.g, (uint32_t)(w * 64 + (size_t)j));
                    r |= (uint64_t)(((v < k) & lt) | ((v == k) & eq) | ((v > k) & gt)) << j;
                }
                st[sp++] = r;
            } else if (q->op == X_NOT) {
                st[sp - 1] = ~st[sp - 1];
            } else {
                sp--;
                st[sp - 1] = q->op == X_AND ? st[sp - 1] & st[sp] : st[sp - 1] | st[sp];
            }
        }
        live[w] &= st[0];
    }
    return 1;
}

/* One row per member, 1..n: every interned member has at least one event (the
 * dictionary and the log commit together), so as of the whole log these are the
 * members. */
int shoal_exec_member_rows(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    int rc = 0;
    rowctx row = {0};
    /* The members worth a row, as bits: those some aggregate got a value for, when
     * WHERE rejects the others (g->live, filled by the sources); of those (or of all)
     * the ones with an event by then (AS OF a date); of those the ones that can make an
     * ORDER BY … LIMIT (shoal_exec_top_bound); else every member. */
    size_t nm = (size_t)p->n_members + 1, nw = nm / 64 + 1;
    uint64_t *live = g->live;
    /* The alike members (g->alike): those without a value (not in live) that exist,
     * one row weighed by their number, made where the first of them would have made
     * its own, so that groups come in the same order. */
    int64_t n_alike = 0;
    uint32_t alike_at = 0;
    int proven = 0;
    if (p->exist && p->exist_lazy) {
        if ((rc = shoal_exec_exist_lazy(g, &proven))) return rc;
        live = g->live;
    }
    if (p->exist && !proven) {
        uint64_t *e = shoal_bigcache_zalloc(x->cache, nw * sizeof *e);
        if (!e) return nomem(x);
        /* from a view alone, its bits say who existed; with an edge, the log's counts too */
        const magg *ex = &p->maggs[p->exist - 1];
        if (!ex->ebits || ex->src != MG_VIEW || p->exist_lazy == MG_EDGE) or_nonzero(e, ex->n, nm);
        if (ex->ebits)
            for (size_t w = 0; w < nw; w++) e[w] |= ex->ebits[w];
        if (p->exist_or) {
            const magg *o = &p->maggs[p->exist_or - 1];
            if (o->narrow && o->ebits)   /* (its view's read marked them: exec_views.c) */
                for (size_t w = 0; w < nw; w++) e[w] |= o->ebits[w];
            else if (o->narrow) shoal_exec_or_nonzero8(e, o->c8, nm);
            else or_nonzero(e, o->n, nm);
        }
        if (g->alike) n_alike = alike_count(e, live, p->n_members, &alike_at);
        if (live)
            for (size_t w = 0; w < nw; w++) e[w] &= live[w];
        shoal_bigcache_put(x->cache, g->live);
        g->live = live = e;
    } else if (g->alike) {
        n_alike = alike_count(NULL, live, p->n_members, &alike_at);
    }
    if (g->n_tests) return member_classes(g, live, n_alike, alike_at);
    /* WHERE, when it can be, as bits over the members with a value: only those it
     * keeps are visited, and it holds for each of them. */
    int where_held = live && p->where && where_bits(p, p->where, live);
    uint64_t *top = NULL;
    if (!proven && (rc = shoal_exec_top_bound(g, live, &top)) < 0) return rc;
    if (rc) {
        shoal_bigcache_put(x->cache, g->live);
        g->live = live = top;
    }
    rc = 0;
    int vwhere = !p->where ? WHERE_EACH : where_held ? WHERE_HOLDS : shoal_exec_vec_ok(p->where) ? WHERE_BLOCK : WHERE_EACH;
    /* rows that list members, in blocks when WHERE is (or there is none) */
    g->rows_blk = vwhere != WHERE_EACH || !p->where ? shoal_exec_rows_ok(p) : 0;
    if (g->rows_blk && !p->where) vwhere = WHERE_HOLDS;
    int vkeys = p->grouped && p->n_keys > 0;
    for (int j = 0; j < p->n_keys && vkeys; j++) vkeys = shoal_exec_vec_ok(p->keys[j]);
    /* the row aggregates' arguments in blocks when grouping, and only over the members
     * WHERE keeps (so not with a WHERE evaluated a member at a time) */
    int vargs = p->grouped && p->n_raggs > 0 && (!p->where || vwhere);
    for (int k = 0; k < p->n_raggs && vargs; k++)
        vargs = (p->raggs[k].star || shoal_exec_vec_ok(p->raggs[k].arg)) && shoal_exec_vec_ok(p->raggs[k].filter);
    /* or all three typed (vkeys −1 tells member_block) */
    if (typed_ok(p, vwhere) && !g->by_id && !(p->n_keys == 0 && g->n_list)) vkeys = -1, vwhere = vwhere ? vwhere : WHERE_BLOCK;
    uint32_t ms[VBLOCK];
    int nb = 0;
    shoal_arena *a = NULL;
    if ((vwhere || vkeys || vargs) && !(a = shoal_arena_new())) return nomem(x);
    /* the members, a word of bits at a time (every member when there is no live) */
    uint32_t last = p->n_members;
    for (size_t wd = 0; wd <= last / 64 && !rc && !g->stop; wd++) {
        if ((wd & 1023) == 1023 && x->cancel && *x->cancel) {
            rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            break;
        }
        uint64_t bits = word_members(live, wd, last);
        for (; bits && !g->stop; bits &= bits - 1) {
            uint32_t m = (uint32_t)(wd * 64 + (size_t)__builtin_ctzll(bits));
            if (alike_at && m > alike_at) {
                if ((rc = alike_row(g, a, ms, &nb, vwhere, vkeys, vargs, n_alike))) break;
                alike_at = 0;
            }
            if (!a) {
                row.member = m;
                if ((rc = process(g, &row))) break;
                continue;
            }
            ms[nb++] = m;
            if (nb == VBLOCK) {
                if ((rc = member_block(g, a, ms, nb, vwhere, vkeys, vargs))) break;
                nb = 0;
            }
        }
    }
    if (!rc && alike_at) rc = alike_row(g, a, ms, &nb, vwhere, vkeys, vargs, n_alike);
    if (!rc && nb && !g->stop) rc = member_block(g, a, ms, nb, vwhere, vkeys, vargs);
    shoal_arena_free(a);
    return rc;
}
