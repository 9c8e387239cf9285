/* mem.c — the one allocation choke point of the library.
 *
 * Every heap allocation goes through shoal_malloc/shoal_realloc/shoal_free so that
 * tests can make the n-th allocation fail (shoal_mem_fail_after) and prove that
 * each caller turns it into SHOAL_ENOMEM instead of crashing.
 */
#include "shoal_int.h"

#include <stdlib.h>

/* Allocations left before failure; negative means never fail. */
static long fail_after = -1;

void shoal_mem_fail_after(long n) { fail_after = n; }

static bool should_fail(void)
{
    if (fail_after < 0) return false;
    if (fail_after == 0) return true;
    fail_after--;
    return false;
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
