/* mem.c — the one allocation choke point of the library.
 *
 * Every heap allocation goes through shoal_malloc/shoal_realloc/shoal_free so that
 * tests can make the n-th allocation fail (shoal_mem_fail_after) and prove that
 * each caller turns it into SHOAL_ENOMEM instead of crashing.
 */
#include "shoal_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Allocations left before failure; negative means never fail. Atomic: a scan's
 * threads (exec_scanpar.c, exec_scanmem.c) allocate at the same time, and a test that
 * makes the n-th allocation fail may run them. */
static atomic_long fail_after = -1;

void shoal_mem_fail_after(long n) { atomic_store_explicit(&fail_after, n, memory_order_relaxed); }

/* the program's (set before any thread runs: read without a lock); heap_huge what it
 * said at the last hint, a statement's (its thread, before its arrays are made): a
 * session's heap may have grown past the part its policy made huge since. Atomic: a
 * scan's threads take arrays while it stands, and a program of sessions on threads
 * may hint from several (without a policy, nothing is written). */
static int (*heap_hint)(void);
static atomic_int heap_huge;

void shoal_mem_set_heap_hint(int (*fn)(void))
{
    heap_hint = fn;
    if (!fn) atomic_store_explicit(&heap_huge, 0, memory_order_relaxed);
}

void shoal_mem_heap_hint(void)
{
    if (heap_hint) atomic_store_explicit(&heap_huge, heap_hint() != 0, memory_order_relaxed);
}

static bool should_fail(void)
{
    long f = atomic_load_explicit(&fail_after, memory_order_relaxed);
    for (;;) {
        if (f < 0) return false;
        if (f == 0) return true;
        if (atomic_compare_exchange_weak_explicit(&fail_after, &f, f - 1, memory_order_relaxed, memory_order_relaxed))
            return false;
    }
}

void *shoal_malloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *shoal_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void shoal_free(void *p) { free(p); }

/* Zeroed arrays: dense per-member state, megabytes that a query fills sparsely. Below
 * 1 MiB, calloc. Above, a fresh mapping aligned to 2 MiB with transparent huge pages
 * asked for: the kernel hands out zeroed memory (no memset), and a huge page is one
 * fault where 4 KiB pages are 512 (a query over 300k members spent a third of its time
 * in page faults). A header before the array keeps its length: for a mapping, in a
 * small page of its own below the array's huge pages (PAGE), so that an array the
 * query never touches costs no page at all; written beside the array, the header
 * faulted in the array's first huge page, 2 MiB the kernel zeroes (some 0.2 ms here):
 * the newcomers question allocated per-member arrays it then read from a view's
 * cohorts and paid 0.8 ms of its 3.3 for them. The header's length is the array's
 * usable bytes plus HDR (the cache below counts on it); 0 for calloc's. */
#define BIG (1u << 20)
#define HUGE_ALIGN ((size_t)2 << 20)
#define HDR 64
#define PAGE ((size_t)4096)
#define SLAB_TAG ((size_t)-1)   /* a slab's block's header: this, then its slab */

void *shoal_zalloc_big(size_t n)
{
    if (n < BIG) {
        if (should_fail()) return NULL;
        void *p = calloc(1, n + HDR);
        if (!p) return NULL;
        memset(p, 0, sizeof(size_t));   /* length 0: from calloc */
        return (char *)p + HDR;
    }
    if (should_fail()) return NULL;
    /* Whole huge pages: a 1.2 MB array (a count per member at 300k members) in a
     * mapping of 1.2 MB got none, and its first touches were 296 faults of 4 KiB, half
     * of the faults of a `shoal query` process (core creator: 991 faults to 449, some
     * 0.5 ms of its CPU time). */
    size_t len = (n + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
    size_t total = len + HUGE_ALIGN + PAGE;
    char *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL;
    /* the array at a huge page's start, its header's page just below */
    char *a = (char *)(((uintptr_t)m + PAGE + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1));
    if (a - PAGE > m) munmap(m, (size_t)(a - PAGE - m));
    if (a + len < m + total) munmap(a + len, (size_t)(m + total - (a + len)));
#ifdef MADV_HUGEPAGE
    madvise(a, len, MADV_HUGEPAGE);   /* advice: without THP, plain pages */
#endif
    size_t stored = len + HDR;
    memcpy(a - HDR, &stored, sizeof stored);
    return a;
}

static void slab_put(void *p);

void shoal_free_big(void *p)
{
    if (!p) return;
    char *a = (char *)p - HDR;
    size_t len;
    memcpy(&len, a, sizeof len);
    if (len == SLAB_TAG) slab_put(p);
    else if (len) munmap((char *)p - PAGE, len - HDR + PAGE);
    else free(a);
}

/* The cache: a few arrays of the mapped kind (the small ones go back to malloc), at
 * most CACHE_BYTES in all, handed out again for a request they fit without wasting more
 * than half. */
#define CACHE_SLOTS 16
#define CACHE_BYTES ((size_t)256 << 20)

/* Slabs (issue 17): arrays of SLAB_MIN up to BIG bytes (a narrow count, a byte per
 * member, is 296 KB at 303k members; a count of 4 bytes is that at 75k), side by side
 * in a mapping of huge pages the cache keeps. From calloc each was the heap's small
 * pages, a fault apiece the first time (some 2.3 µs on the VM the bench runs on, the
 * kernel's work, not the trap: taking them with MADV_POPULATE_WRITE saves a fourth); a
 * huge page costs some 0.17 ms, 70 small ones, which an array of SLAB_MIN alone about
 * pays: the tiers at noon take four narrow counts of 296 KB, 296 faults of its
 * process's 761, and one huge page for them all. A slab is handed out from its start,
 * its blocks' count kept; when they are all put back it is handed out from its start
 * again, the part written before zeroed by memset where the block must be zero (what the
 * kernel gave is zero already). Below SLAB_MIN, or past the slabs' room, calloc as
 * before. Not under AddressSanitizer: its malloc sees each array, its bounds checked. */
#define SLAB ((size_t)4 << 20)
#define SLAB_MIN ((size_t)256 << 10)
#define SLABS 4
#define SLAB_ON (!SHOAL_ASAN)

typedef struct slab {
    char *base;
    size_t used;    /* handed out from base */
    size_t dirty;   /* written since it was mapped (zero above) */
    size_t live;    /* blocks out */
    int orphan;     /* its cache is gone: the last block back unmaps it */
} slab;

struct shoal_bigcache {
    void *p[CACHE_SLOTS];
    size_t cap[CACHE_SLOTS];
    size_t bytes;
    slab *s[SLABS];   /* NULL: not mapped yet */
};

static slab *slab_map(void)
{
    slab *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    size_t total = SLAB + HUGE_ALIGN;
    char *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        free(b);
        return NULL;
    }
    char *a = (char *)(((uintptr_t)m + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1));
    if (a > m) munmap(m, (size_t)(a - m));
    if (a + SLAB < m + total) munmap(a + SLAB, (size_t)(m + total - (a + SLAB)));
#ifdef MADV_HUGEPAGE
    madvise(a, SLAB, MADV_HUGEPAGE);   /* advice: without THP, plain pages */
#endif
    b->base = a;
    return b;
}

static void slab_unmap(slab *b)
{
    munmap(b->base, SLAB);
    free(b);
}

/* a block of n bytes from a slab, NULL when none has room */
static void *slab_take(shoal_bigcache *c, size_t n, int zero)
{
    if (!SLAB_ON) return NULL;
    size_t need = (HDR + n + HDR - 1) & ~(size_t)(HDR - 1);
    for (int i = 0; i < SLABS; i++) {
        if (!c->s[i] && !(c->s[i] = slab_map())) return NULL;
        slab *b = c->s[i];
        if (!b->live) b->used = 0;
        if (need > SLAB - b->used) continue;
        char *h = b->base + b->used, *p = h + HDR;
        if (zero && b->dirty > b->used + HDR) {
            size_t old = b->dirty - (b->used + HDR);
            memset(p, 0, old < n ? old : n);
        }
        size_t tag = SLAB_TAG;
        memcpy(h, &tag, sizeof tag);
        memcpy(h + sizeof tag, &b, sizeof b);
        b->used += need;
        if (b->used > b->dirty) b->dirty = b->used;
        b->live++;
        return p;
    }
    return NULL;
}

/* a slab's block back (its header says which slab) */
static void slab_put(void *p)
{
    slab *b;
    memcpy(&b, (char *)p - HDR + sizeof(size_t), sizeof b);
    if (!--b->live && b->orphan) slab_unmap(b);
}

shoal_bigcache *shoal_bigcache_new(void)
{
    shoal_bigcache *c = shoal_malloc(sizeof *c);
    if (c) memset(c, 0, sizeof *c);
    return c;
}

void shoal_bigcache_free(shoal_bigcache *c)
{
    if (!c) return;
    for (int i = 0; i < CACHE_SLOTS; i++) shoal_free_big(c->p[i]);
    /* a slab with blocks out stays till the last is back: they are someone's still */
    for (int i = 0; i < SLABS; i++)
        if (c->s[i] && !c->s[i]->live) slab_unmap(c->s[i]);
        else if (c->s[i]) c->s[i]->orphan = 1;
    shoal_free(c);
}

static void *take(shoal_bigcache *c, size_t n, int zero)
{
    int best = -1;
    for (int i = 0; c && n >= BIG && i < CACHE_SLOTS; i++)
        if (c->p[i] && c->cap[i] >= n && c->cap[i] / 2 <= n && (best < 0 || c->cap[i] < c->cap[best])) best = i;
    if (best < 0 && c && n >= SLAB_MIN && n < BIG) {
        if (should_fail()) return NULL;
        /* (from the heap when it gives huge pages: beside the statement's rows and
         * temporaries, in the huge page they take, where a slab was one more: 60-130 µs
         * of the kernel's zeroing, core creator's and the tiers' narrow counts) */
        void *p = atomic_load_explicit(&heap_huge, memory_order_relaxed) ? NULL : slab_take(c, n, zero);
        if (p) return p;
        void *q = zero ? calloc(1, n + HDR) : malloc(n + HDR);   /* shoal_zalloc_big's, its failure tried once */
        if (q) memset(q, 0, sizeof(size_t));
        return q ? (char *)q + HDR : NULL;
    }
    if (best < 0) return shoal_zalloc_big(n);
    if (should_fail()) return NULL;
    void *p = c->p[best];
    c->p[best] = NULL;
    c->bytes -= c->cap[best];
    if (zero) memset(p, 0, n);
    return p;
}

void *shoal_bigcache_zalloc(shoal_bigcache *c, size_t n) { return take(c, n, 1); }
void *shoal_bigcache_alloc(shoal_bigcache *c, size_t n) { return take(c, n, 0); }

size_t shoal_bigcache_trim(shoal_bigcache *c, size_t bytes)
{
    while (c && c->bytes > bytes) {   /* the largest first */
        int big = -1;
        for (int i = 0; i < CACHE_SLOTS; i++)
            if (c->p[i] && (big < 0 || c->cap[i] > c->cap[big])) big = i;
        if (big < 0) break;
        shoal_free_big(c->p[big]);
        c->p[big] = NULL;
        c->bytes -= c->cap[big];
    }
    /* idle slabs too, past what the arrays kept leave */
    for (int i = 0; c && i < SLABS; i++)
        if (c->s[i] && !c->s[i]->live && c->bytes + SLAB > bytes) {
            slab_unmap(c->s[i]);
            c->s[i] = NULL;
        }
    return c ? c->bytes : 0;
}

void shoal_bigcache_put(shoal_bigcache *c, void *p)
{
    if (!p) return;
    size_t len;
    memcpy(&len, (char *)p - HDR, sizeof len);
    if (len == SLAB_TAG) {
        slab_put(p);
        return;
    }
    if (c && len && c->bytes + (len - HDR) <= CACHE_BYTES)
        for (int i = 0; i < CACHE_SLOTS; i++)
            if (!c->p[i]) {
                c->p[i] = p;
                c->cap[i] = len - HDR;
                c->bytes += len - HDR;
                return;
            }
    shoal_free_big(p);
}
