/* closest.c — the closest of some names to one that names nothing, for "did you mean":
 * `shoal log --member` (cli/cmd_log.c) and the language's unknown definitions and views
 * (query/plan.c, query/views.c). Levenshtein distance with a cut-off, so that a
 * candidate far off costs a row or two, not the whole table. */
#include "shoal_int.h"

#include <string.h>

/* Levenshtein distance of a and b, or more than max when it exceeds max. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb, size_t max)
{
    size_t row[256];
    if (na > 255 || nb > 255) return max + 1;
    if ((na > nb ? na - nb : nb - na) > max) return max + 1;
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0], best = row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < v) v = up + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best) best = v;
        }
        if (best > max) return max + 1;
    }
    return row[nb];
}

void shoal_closest_init(shoal_closest *c, const char *name)
{
    c->name = name;
    c->n = strlen(name);
    c->max = c->n / 3 > 0 ? c->n / 3 : 1;
    c->best = c->max + 1;
    c->found[0] = c->part[0] = 0;
}

/* Whether name is the first '_'-separated words of cand ("monthly" of
 * "monthly_retention"): a name shortened, not misspelt, is far in edits. (Not any
 * words: "engaged" would offer "core_or_engaged" in that layer's own definition.) */
static int leading_words(const char *name, size_t n, const char *cand, size_t nc)
{
    return n >= 3 && n < nc && cand[n] == '_' && !memcmp(cand, name, n);
}

int shoal_closest_offer(shoal_closest *c, const char *cand, size_t n)
{
    if (c->best == 1) return 1;
    if (n >= sizeof c->found) return 0;
    if (!c->part[0] && leading_words(c->name, c->n, cand, n)) {
        memcpy(c->part, cand, n);
        c->part[n] = 0;
    }
    size_t d = distance(c->name, c->n, cand, n, c->best - 1 < c->max ? c->best - 1 : c->max);
    if (d == 0 || d >= c->best) return 0;
    c->best = d;
    memcpy(c->found, cand, n);
    c->found[n] = 0;
    return d == 1;
}

const char *shoal_closest_get(const shoal_closest *c)
{
    return c->found[0] ? c->found : c->part[0] ? c->part : NULL;
}
