/* count8.c — counts kept a byte per member, exactly: a byte below 255 is the count; at
 * 255 the count is in a small table beside the bytes (this file), an open-addressing
 * hash of member → count. A count read so from a counters view (shoal_view_counters_
 * read8) touches a quarter of the bytes a 4-byte count does: at 303k members, 303 KB
 * where 1.2 MB was zeroed, added into at random and read back (issue 17: core creator's
 * two counts, most of its members at 0 and a few hundred at 255 or more).
 *
 * Invariant: bytes[m] == 255 exactly when m is in the table; counts only grow.
 */
#include "shoal_int.h"

#include <assert.h>
#include <string.h>

static size_t slot_of(uint32_t m, size_t mask) { return (size_t)(((uint64_t)m * 0x9E3779B97F4A7C15ULL) >> 40) & mask; }

static int grow(shoal_count8 *b)
{
    size_t nc = b->cap ? b->cap * 2 : 256;
    uint32_t *nm = shoal_malloc(nc * sizeof *nm), *ncnt = nm ? shoal_malloc(nc * sizeof *ncnt) : NULL;
    if (!ncnt) {
        shoal_free(nm);
        return SHOAL_ENOMEM;
    }
    memset(nm, 0, nc * sizeof *nm);
    for (size_t i = 0; i < b->cap; i++) {
        if (!b->m[i]) continue;
        size_t j = slot_of(b->m[i], nc - 1);
        while (nm[j]) j = (j + 1) & (nc - 1);
        nm[j] = b->m[i];
        ncnt[j] = b->c[i];
    }
    shoal_free(b->m);
    shoal_free(b->c);
    b->m = nm, b->c = ncnt, b->cap = nc;
    return SHOAL_OK;
}

int shoal_count8_add(shoal_count8 *b, uint32_t m, unsigned byte, uint64_t c)
{
    uint32_t key = m + 1;   /* (0: an empty slot) */
    if (byte < 255 && (b->n + 1) * 2 > b->cap && grow(b)) {
        b->oom = 1;
        return SHOAL_ENOMEM;
    }
    size_t mask = b->cap - 1, j = slot_of(key, mask);
    while (b->m[j] && b->m[j] != key) j = (j + 1) & mask;
    if (!b->m[j]) {   /* new: its count so far is its byte */
        assert(byte < 255);
        b->m[j] = key;
        b->c[j] = byte;
        b->n++;
    }
    b->c[j] += (uint32_t)c;
    return SHOAL_OK;
}

uint32_t shoal_count8_get(const shoal_count8 *b, uint32_t m)
{
    uint32_t key = m + 1;
    if (!b->cap) return 0;
    size_t mask = b->cap - 1, j = slot_of(key, mask);
    while (b->m[j] && b->m[j] != key) j = (j + 1) & mask;
    return b->m[j] ? b->c[j] : 0;
}

void shoal_count8_reset(shoal_count8 *b)
{
    shoal_free(b->m);
    shoal_free(b->c);
    memset(b, 0, sizeof *b);
}
