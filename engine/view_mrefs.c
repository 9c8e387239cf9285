/* view_mrefs.c — a batch's per-member refs, for the kinds whose state is an array over
 * members (score, first/last, retention, activity). Applying an event straight into a
 * member's state is a cache miss or two per event once 300k members' state outgrows
 * the cache (26% of ingest CPU at 10M events with every view): instead apply appends
 * a 16-byte ref (member, a value, a small word) and the kind's flush sorts them by
 * member, stably (a member's refs stay in sequence order, so the state, floating-point
 * sums included, is bit for bit what applying in log order gives), and applies them
 * in member order: each member's state, and each chunk of members, is touched once a
 * batch, in address order, which the hardware prefetcher follows.
 */
#include "shoal_int.h"

int shoal_mrefs_grow(shoal_mrefs *r)
{
    size_t c = r->cap ? r->cap * 2 : 65536;
    shoal_mref *a = shoal_realloc(r->a, c * sizeof *a);
    if (!a) return -1;
    r->a = a;
    shoal_free(r->tmp);
    r->tmp = NULL;   /* made to the new size at the sort */
    r->cap = c;
    return 0;
}

/* An LSD radix sort on the member, 11 bits a pass (2 passes up to 4M members, the
 * second skipped when the batch's members share their high bits). */
const shoal_mref *shoal_mrefs_sort(shoal_mrefs *r)
{
    if (r->n < 2) return r->a;
    if (!r->tmp && !(r->tmp = shoal_malloc(r->cap * sizeof *r->tmp))) return NULL;
    shoal_mref *a = r->a, *b = r->tmp;
    for (int shift = 0; shift < 32 && (r->max >> shift) != 0; shift += 11) {
        size_t cnt[2048] = {0};
        for (size_t i = 0; i < r->n; i++) cnt[a[i].member >> shift & 2047]++;
        size_t sum = 0;
        for (int k = 0; k < 2048; k++) {
            size_t c = cnt[k];
            cnt[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < r->n; i++) b[cnt[a[i].member >> shift & 2047]++] = a[i];
        shoal_mref *t = a;
        a = b;
        b = t;
    }
    /* keep the sorted array as r->a, so that both buffers stay owned */
    r->tmp = b;
    r->a = a;
    return a;
}

void shoal_mrefs_clear(shoal_mrefs *r)
{
    r->n = 0;
    r->max = 0;
}

void shoal_mrefs_free(shoal_mrefs *r)
{
    shoal_free(r->a);
    shoal_free(r->tmp);
    memset(r, 0, sizeof *r);
}
