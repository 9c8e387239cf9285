/* join_int.h — what join.c and join_idc.c share: a source of a join (side) and the
 * join's sources. Internal to query/. */
#ifndef SHOAL_JOIN_INT_H
#define SHOAL_JOIN_INT_H

#include "exec_int.h"

#define PRE_MAX 4
/* A pre-tested value: (v << 4) | its type (V_INT, V_TS); PRE_NULL: NULL, so the
 * comparison is not true; PRE_ANY: another kind of value, the row goes on to WHERE. */
#define PRE_ANY 0
#define PRE_NULL 15

typedef struct side {
    const shoal_join *j;          /* NULL: the FROM's source */
    const char *qual;             /* its alias, else its name */
    char what[160];               /* for EXPLAIN */
    shoal_stmt *q;                /* SELECT * FROM it */
    plan *ip;
    int base, n;                  /* its columns in the joined row */
    /* a joined source: ON's key on each side, ON's other conditions */
    cx *lkey, *rkey, *rest;
    const shoal_node *lkey_n, *rkey_n;
    /* its rows, kept, and their keys hashed: bucket → first row + 1, next → the row after */
    qval *rows;
    size_t n_rows, cap;
    qval *keys;
    uint32_t *next, *bucket;
    size_t mask;
    /* same → the next row of an equal key + 1; idc: for a probing key that is an
     * interned id (e.to), by id, its first matching row + 1, NO_MATCH, or 0 when not
     * looked up yet: an id's text is found and hashed once, not per row */
    uint32_t *same, *idc;
    uint32_t n_idc;
    int dups;                     /* some key has more than one row (same is then read) */
    int idc_ns;                   /* the ids' namespace; -1: no cache (another kind of key met) */
    int idc_shared;               /* idc is the statement's, filled before the parts ran: not a part's to free */
    /* WHERE's comparisons of a first source's column with a value of this source's row
     * (e.ts >= m.joined), tested before the row is joined (join.c's pre_plan): per
     * comparison its column, operator and value per row, encoded (PRE_*) */
    int n_pre;
    int pre_col[PRE_MAX], pre_op[PRE_MAX];
    int64_t *pre;                 /* n_rows × n_pre */
} side;

#define NO_MATCH UINT32_MAX
/* The threads a join's first source is split over, at most (as exec_scanpar.c's). */
/* An id cache bigger than this (4 bytes an id) is not worth its memory. */
#define MAX_IDC (64u << 20)

typedef struct join_src {
    side *s;
    int n_sides;
    const shoal_node *pushed;     /* WHERE's conditions given to the first source */
} join_src;


/* Whether a namespace of n ids is read whole (shoal_dict_each, in one pass) for a
 * join of rows rows, rather than an id at a time: when it is not much bigger than the
 * rows (a SELECT over members and their ids; e.to's string values, mostly members'
 * names). 4 and 1024: a sequential read costs a few times less an entry than a
 * B-tree search, so reading 4 ids for each one needed still pays. */
static inline int shoal_join_read_whole(uint32_t n, size_t rows) { return (uint64_t)n <= 4 * (uint64_t)rows + 1024; }

/* The first of s's rows whose key is key, + 1; 0 when none. */
static inline uint32_t shoal_join_first_match(const side *s, const qval *key)
{
    for (uint32_t i = s->bucket[shoal_val_hash(key) & s->mask]; i; i = s->next[i - 1])
        if (shoal_val_same(key, &s->keys[i - 1])) return i;
    return 0;
}

/* join_idc.c */
/* v as a key (shoal_join_key), an id's text read once from the snapshot (not through
 * the dictionary's cache): 1, 0 (NULL) or -1 with the error set */
int shoal_join_key_once(exec *x, const qval *v, qval *out);
/* The id cache of s for probing keys of v's namespace (1), or none (0, the cache then
 * off for good), or an error (< 0) */
int shoal_join_idc_open(exec *x, side *s, const qval *v);
/* Before a split join's parts scan: for each joined source probed by a column of ids
 * of the first source whose namespace is read whole, one id cache for all the parts
 * (s->idc_shared), allocated here (0, or an error) and filled by the parts, a range of
 * ids each, with shoal_join_idc_fill_part (part i of n, x the part's) */
int shoal_join_idc_share(exec *x, join_src *js, const plan *p);
int shoal_join_idc_fill_part(exec *x, join_src *js, int i, int n);

#endif
