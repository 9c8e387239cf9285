/* join.c — FROM a [AS] x [INNER|LEFT [OUTER]] JOIN b [AS] y ON x.k = y.k [AND …] …
 *
 * A SELECT over joined sources is a SELECT over one row source whose rows are the
 * joined rows: every source's columns in order, each known by its source's name
 * (p->src_qual: x.column; a bare name when only one source has it). Each source is a
 * SELECT of its own, `SELECT * FROM source` (`SELECT member, tier FROM tiers(name)`),
 * planned like any (so views answer a SELECT over members joined in, and AS OF holds
 * for all of them). The joined sources run first: their rows are kept and hashed by
 * their side of ON's equality; then the first source's rows stream, and each looks its
 * key up in the next source's hash, then the next, a row out for every match (and, for
 * LEFT JOIN, one with NULLs when none matches). ON's other conditions are tested on each
 * match. An ON without such an equality (a range of time) is a nested loop: the joined
 * source's rows (at most NESTED_MAX) each tested against every row before. WHERE's conditions that read only the first source are given to its SELECT,
 * so `WHERE e.type = reply` is the scan's type filter, not a test on every event's row,
 * and a statement's DURING is the first source's (events).
 *
 * The first source's rows are joined a batch at a time (JOIN_BATCH), their look-ups
 * prefetched; a grouped join over events runs them on every core (join_split: a part
 * of the log a thread, the groups merged in sequence order).
 *
 * WHERE's comparisons of a first source's column with the joined row's values are
 * tested before the row is joined (pre_plan, pre_pass).
 *
 * Memory: every joined source's rows (a SELECT over members: one row per member), an
 * id cache (4 bytes an id of the probing namespace; join_idc.c: one for all the
 * threads when the namespace is read whole, else one a thread), and 8 bytes a joined
 * row a pre-tested comparison.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "exec_int.h"
#include "join.h"
#include "join_int.h"
#include "rowsrc.h"
#include "subquery.h"

/* The threads a join's first source is split over, at most (as exec_scanpar.c's). */
#define SHOAL_JOIN_MAX_THREADS 16
/* … when it reads this many blocks a thread (exec_scanpar.c's SCAN_PART_MIN), for EXPLAIN */
#define SHOAL_JOIN_PART_BLOCKS 16

static void *zalloc(exec *x, size_t n)
{
    void *p = shoal_arena_alloc(x->a, n ? n : 1);
    if (p) memset(p, 0, n ? n : 1);
    else nomem(x);
    return p;
}

/* ---------------------------------------------------------------- plan */

static shoal_node *mknode(exec *x, int kind, const char *s, int off, int len)
{
    shoal_node *n = zalloc(x, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->s = s;
    n->n = s ? (int)strlen(s) : 0;
    n->off = off;
    n->len = len;
    return n;
}

/* SELECT * FROM the source (src, or st's own FROM when src is NULL), with st's AS OF. */
static int source_select(exec *x, const shoal_stmt *st, const shoal_node *src, side *sd)
{
    shoal_stmt *q = zalloc(x, sizeof *q);
    if (!q) return SHOAL_ENOMEM;
    q->kind = SHOAL_STMT_SELECT;
    if (src) {
        q->from = src->s;
        q->from_off = src->off;
        q->from_len = src->len;
        q->from_arg = src->s2;
        q->from_arg_off = src->s2_off;
        q->from_arg_len = src->s2_len;
        q->from_n = src->a;
        q->from_sub = src->sub;
        q->from_alias = (int)src->i;
        if (src->b && src->b->kind == SHOAL_AST_NAME) {
            q->alias = src->b->s;
            q->alias_off = src->b->off;
            q->alias_len = src->b->len;
        } else if (src->b) {
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, src->b->off, src->b->len, "%s",
                                 "AS OF comes last in a SELECT, after its other clauses (it holds for every joined source)");
        }
    } else {
        q->from = st->from;
        q->from_off = st->from_off;
        q->from_len = st->from_len;
        q->from_arg = st->from_arg;
        q->from_arg_off = st->from_arg_off;
        q->from_arg_len = st->from_arg_len;
        q->from_n = st->from_n;
        q->from_sub = st->from_sub;
        q->from_alias = st->from_alias;
        q->alias = st->alias;
        q->alias_off = st->alias_off;
        q->alias_len = st->alias_len;
    }
    q->off = q->from_off;
    q->len = q->from_len;
    q->asof_date = st->asof_date;
    q->asof_seq = st->asof_seq;
    q->asof_off = st->asof_off;
    q->asof_len = st->asof_len;
    int plain = !q->from_sub && !shoal_subq_cte(x, q->from);
    if (plain && !strcasecmp(q->from, "members"))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, q->from_off, q->from_len, "%s",
                             "a join reads rows, and members' only column is member: join a SELECT over members for "
                             "their aggregates, as JOIN (SELECT member, first(join) AS joined FROM members) AS m ON "
                             "e.to = m.member");
    shoal_item *items;
    if (plain && !strcasecmp(q->from, "tiers")) {
        shoal_item *t = zalloc(x, sizeof *t);
        items = zalloc(x, sizeof *items);
        if (!t || !items || !(items->expr = mknode(x, SHOAL_AST_NAME, "member", q->off, q->len)) ||
            !(t->expr = mknode(x, SHOAL_AST_NAME, "tier", q->off, q->len)))
            return SHOAL_ENOMEM;
        items->next = t;
    } else {
        if (!(items = zalloc(x, sizeof *items)) || !(items->expr = mknode(x, SHOAL_AST_STAR, NULL, q->off, q->len)))
            return SHOAL_ENOMEM;
    }
    q->cols = items;
    sd->q = q;
    sd->qual = q->alias ? q->alias : q->from;
    if (q->from_arg) snprintf(sd->what, sizeof sd->what, "%.60s(%.60s)", q->from, q->from_arg);
    else if (q->from_sub) snprintf(sd->what, sizeof sd->what, "subquery%s%.100s%s", q->from_alias ? " \"" : "",
                                   q->from_alias ? q->from : "", q->from_alias ? "\"" : "");
    else if (!plain) snprintf(sd->what, sizeof sd->what, "WITH query \"%.100s\"", q->from);
    else snprintf(sd->what, sizeof sd->what, "%.100s", q->from);
    if (q->alias && !q->from_sub) {
        size_t k = strlen(sd->what);
        snprintf(sd->what + k, sizeof sd->what - k, " AS %.60s", q->alias);
    }
    return 0;
}

/* Which sources n reads, a bit per source (columns named by a bare name or x.column;
 * names of no source's column, as an event type, read none). */
static uint64_t sources_of(const plan *p, const join_src *js, const shoal_node *n)
{
    if (!n) return 0;
    uint64_t m = 0;
    if (n->kind == SHOAL_AST_NAME || n->kind == SHOAL_AST_DOT) {
        for (int k = 0; k < js->n_sides; k++) {
            const side *s = &js->s[k];
            if (n->kind == SHOAL_AST_DOT) {
                if (!strcasecmp(n->s, s->qual)) m |= 1ull << k;
                continue;
            }
            for (int i = s->base; i < s->base + s->n; i++)
                if (!strcasecmp(n->s, p->src_names[i])) m |= 1ull << k;
        }
        return m;
    }
    m |= sources_of(p, js, n->a) | sources_of(p, js, n->b) | sources_of(p, js, n->c) | sources_of(p, js, n->filter);
    if (n->list)
        for (const shoal_node *q = n->list->head; q; q = q->next) m |= sources_of(p, js, q);
    return m;
}

/* Does n name a select item's alias that is no source's column? */
static int names_alias(const shoal_stmt *st, const plan *p, const shoal_node *n)
{
    if (!n) return 0;
    if (n->kind == SHOAL_AST_NAME) {
        for (int i = 0; i < p->n_src; i++)
            if (!strcasecmp(n->s, p->src_names[i])) return 0;
        for (const shoal_item *it = st->cols; it; it = it->next)
            if (it->alias && !strcasecmp(it->alias, n->s)) return 1;
        return 0;
    }
    if (names_alias(st, p, n->a) || names_alias(st, p, n->b) || names_alias(st, p, n->c)) return 1;
    if (n->list)
        for (const shoal_node *q = n->list->head; q; q = q->next)
            if (names_alias(st, p, q)) return 1;
    return 0;
}

/* Subqueries and windows stay where they were written. */
static int movable(const shoal_node *n)
{
    if (!n) return 1;
    if (n->kind == SHOAL_AST_SUBQ || n->kind == SHOAL_AST_INSUB || n->over || n->sub) return 0;
    if (!movable(n->a) || !movable(n->b) || !movable(n->c) || !movable(n->filter)) return 0;
    if (n->list)
        for (const shoal_node *q = n->list->head; q; q = q->next)
            if (!movable(q)) return 0;
    return 1;
}

/* The AND-ed conditions of n, in order, into v (at most cap). */
static int conjuncts(shoal_node *n, shoal_node **v, int k, int cap)
{
    if (!n || k < 0) return k;
    if (n->kind == SHOAL_AST_BINOP && n->op == SHOAL_OP_AND) return conjuncts(n->b, v, conjuncts(n->a, v, k, cap), cap);
    if (k >= cap) return -1;
    v[k] = n;
    return k + 1;
}

#define MAX_CONJ 256
/* A joined source whose ON has no equality to look its rows up by is compared with
 * every row of the sources before it: at most this many rows. */
#define NESTED_MAX 100000

/* The names n reads (NAME, and a DOT's column) into v (at most cap): 0, or -1 when n
 * holds what names may hide in (a subquery, a window, a WITHIN anchor, a DURING, a
 * "*"), and every column is then read. */
static int names_read(const shoal_node *n, const char **v, int *k, int cap)
{
    if (!n) return 0;
    if (n->kind == SHOAL_AST_STAR || n->sub || n->over || n->anc || n->win || n->joins) return -1;
    if (n->kind == SHOAL_AST_NAME || n->kind == SHOAL_AST_DOT) {
        if (*k >= cap) return -1;
        v[(*k)++] = n->kind == SHOAL_AST_DOT ? n->s2 : n->s;
        if (n->kind == SHOAL_AST_DOT && !n->s2) return -1;
        return 0;
    }
    if (names_read(n->a, v, k, cap) || names_read(n->b, v, k, cap) || names_read(n->c, v, k, cap) ||
        names_read(n->filter, v, k, cap) || names_read(n->fwhere, v, k, cap))
        return -1;
    if (n->list)
        for (const shoal_node *q = n->list->head; q; q = q->next)
            if (names_read(q, v, k, cap)) return -1;
    return 0;
}

static int items_read(const shoal_item *it, const char **v, int *k, int cap)
{
    for (; it; it = it->next)
        if (names_read(it->expr, v, k, cap)) return -1;
    return 0;
}

#define MAX_READ 512
/* The first source, when it is events: SELECT only the columns the statement names
 * (by a bare name or x.column, anywhere in it) rather than *, so that the properties
 * no clause reads are neither decoded nor copied into each joined row (who answers
 * newcomers: 3 of the events' columns). A name that is no column of events (an event
 * type, an alias, another source's column) keeps nothing more; a "*", a subquery or
 * a window anywhere keeps every column. */
static int project_first(exec *x, const shoal_stmt *st, side *s)
{
    const shoal_stmt *q = s->q;
    if (q->from_sub || strcasecmp(q->from, "events") || shoal_subq_cte(x, q->from) || st->windows) return 0;
    const char *v[MAX_READ];
    int k = 0;
    if (items_read(st->cols, v, &k, MAX_READ) || names_read(st->where, v, &k, MAX_READ) ||
        names_read(st->having, v, &k, MAX_READ) || items_read(st->group, v, &k, MAX_READ) ||
        items_read(st->order, v, &k, MAX_READ))
        return 0;
    for (const shoal_join *j = st->joins; j; j = j->next)
        if (names_read(j->on, v, &k, MAX_READ)) return 0;
    const plan *ip = s->ip;
    shoal_item *head = NULL, **tail = &head;
    int kept = 0;
    for (int i = 0; i < ip->n_cols; i++) {
        int read = 0;
        for (int j = 0; j < k && !read; j++) read = !strcasecmp(v[j], ip->names[i]);
        if (!read) continue;
        shoal_item *it = zalloc(x, sizeof *it);
        if (!it || !(it->expr = mknode(x, SHOAL_AST_NAME, ip->names[i], q->off, q->len))) return SHOAL_ENOMEM;
        *tail = it;
        tail = &it->next;
        kept++;
    }
    if (kept == ip->n_cols) return 0;
    if (!head) {
        /* no column read (SELECT count(*) FROM events JOIN …): one is still a row */
        if (!(head = zalloc(x, sizeof *head)) || !(head->expr = mknode(x, SHOAL_AST_NAME, "seq", q->off, q->len)))
            return SHOAL_ENOMEM;
    }
    s->q->cols = head;
    return shoal_rowsrc_plan_inner(x, s->q, &s->ip);
}

/* ON's key for source k: the first equality between an expression of source k alone and
 * one of the sources before it; the rest of ON tested on each match. */
static int plan_on(exec *x, const shoal_stmt *st, plan *p, join_src *js, int k)
{
    side *s = &js->s[k];
    shoal_node *v[MAX_CONJ], *rest = NULL;
    int n = conjuncts(s->j->on, v, 0, MAX_CONJ);
    if (n < 0)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, s->j->on->off, s->j->on->len,
                             "ON has more than %d conditions", MAX_CONJ);
    uint64_t me = 1ull << k, before = me - 1;
    int key = -1;
    for (int i = 0; i < n; i++) {
        uint64_t a = 0, b = 0;
        if (key < 0 && v[i]->kind == SHOAL_AST_BINOP && v[i]->op == SHOAL_OP_EQ) {
            a = sources_of(p, js, v[i]->a);
            b = sources_of(p, js, v[i]->b);
            if (a == me && b && !(b & ~before)) {
                s->rkey_n = v[i]->a;
                s->lkey_n = v[i]->b;
                key = i;
                continue;
            }
            if (b == me && a && !(a & ~before)) {
                s->rkey_n = v[i]->b;
                s->lkey_n = v[i]->a;
                key = i;
                continue;
            }
        }
        uint64_t m = sources_of(p, js, v[i]);
        if (m & ~(me | before)) {
            int later = 63 - __builtin_clzll(m);
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, v[i]->off, v[i]->len,
                                 "this ON reads \"%s\", a source joined after it: move the condition to that join's ON "
                                 "or to WHERE", js->s[later].qual);
        }
        if (!(rest = shoal_rowsrc_and(x, rest, v[i]))) return SHOAL_ENOMEM;
    }
    /* without an equality: a nested loop, ON tested on every pair (at most NESTED_MAX rows) */
    if (key >= 0 && (!(s->rkey = shoal_plan_row_expr(x, st, p, s->rkey_n, "ON")) ||
                     !(s->lkey = shoal_plan_row_expr(x, st, p, s->lkey_n, "ON"))))
        return x->err->code ? x->err->code : SHOAL_ESEMANTIC;
    if (rest && !(s->rest = shoal_plan_row_expr(x, st, p, rest, "ON"))) return x->err->code ? x->err->code : SHOAL_ESEMANTIC;
    return 0;
}

static int join_plan(exec *x, const shoal_stmt *st, plan *p)
{
    if (st->per)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->per_off, st->per_len, "%s",
                             "PER does not apply to a join: join a SELECT … PER period, as JOIN (SELECT period, member, "
                             "… FROM members PER MONTH) AS m ON …");
    join_src *js = zalloc(x, sizeof *js);
    if (!js) return SHOAL_ENOMEM;
    int n = 1;
    for (const shoal_join *j = st->joins; j; j = j->next) n++;
    if (n > 16)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->off, st->len, "%s", "a SELECT joins at most 16 sources");
    if (!(js->s = zalloc(x, sizeof(side) * (size_t)n))) return SHOAL_ENOMEM;
    js->n_sides = n;
    int rc, k = 0;
    if ((rc = source_select(x, st, NULL, &js->s[0]))) return rc;
    for (const shoal_join *j = st->joins; j; j = j->next) {
        side *s = &js->s[++k];
        s->j = j;
        if ((rc = source_select(x, st, j->src, s))) return rc;
        for (int i = 0; i < k; i++)
            if (!strcasecmp(s->qual, js->s[i].qual)) {
                const shoal_node *at = j->src->b && j->src->b->kind == SHOAL_AST_NAME ? j->src->b : j->src;
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, at->off, at->len,
                                     "two sources are called \"%s\": give one of them another name (JOIN … AS name)",
                                     s->qual);
            }
    }
    if (st->during) {
        if (js->s[0].q->from_sub || strcasecmp(js->s[0].q->from, "events") || shoal_subq_cte(x, js->s[0].q->from))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->during->off, st->during->len, "%s",
                                 "DURING in a join is the window of the first source's events: it needs FROM events "
                                 "(a joined SELECT takes a DURING of its own)");
        js->s[0].q->during = st->during;
    }
    /* every source planned once, for its columns */
    for (k = 0; k < n; k++)
        if ((rc = shoal_rowsrc_plan_inner(x, js->s[k].q, &js->s[k].ip))) return rc;
    if ((rc = project_first(x, st, &js->s[0]))) return rc;
    int total = 0;
    for (k = 0; k < n; k++) total += js->s[k].ip->n_cols;
    const char **names = zalloc(x, sizeof(char *) * (size_t)total);
    const char **qual = zalloc(x, sizeof(char *) * (size_t)total);
    int *rt = zalloc(x, sizeof(int) * (size_t)total);
    uint8_t *ns = zalloc(x, (size_t)total);
    if (!names || !qual || !rt || !ns) return SHOAL_ENOMEM;
    int c = 0;
    for (k = 0; k < n; k++) {
        side *s = &js->s[k];
        s->base = c;
        s->n = s->ip->n_cols;
        for (int i = 0; i < s->n; i++, c++) {
            names[c] = s->ip->names[i];
            qual[c] = s->qual;
            rt[c] = s->ip->cols[i]->rt;
            ns[c] = s->ip->cols[i]->rns;
        }
    }
    p->n_src = total;
    p->src_names = names;
    p->src_qual = qual;
    p->src_rt = rt;
    p->src_ns = ns;
    p->rs_state = js;
    /* WHERE's conditions on the first source alone go to its SELECT */
    shoal_node *v[MAX_CONJ], *keep = NULL, *push = NULL;
    int nc = conjuncts(st->where, v, 0, MAX_CONJ);
    if (nc < 0) {
        keep = st->where;
        nc = 0;
    }
    for (int i = 0; i < nc; i++) {
        uint64_t m = sources_of(p, js, v[i]);
        shoal_node **to = m == 1 && movable(v[i]) && !names_alias(st, p, v[i]) ? &push : &keep;
        if (!(*to = shoal_rowsrc_and(x, *to, v[i]))) return SHOAL_ENOMEM;
    }
    if (push) {
        js->s[0].q->where = push;
        js->pushed = push;
        if ((rc = shoal_rowsrc_plan_inner(x, js->s[0].q, &js->s[0].ip))) return rc;
    }
    p->where_ast = keep;
    for (k = 1; k < n; k++)
        if ((rc = plan_on(x, st, p, js, k))) return rc;
    return 0;
}

/* ---------------------------------------------------------------- rows */

int shoal_join_key(exec *x, const qval *v, qval *out)
{
    *out = *v;
    switch (v->t) {
    case V_NULL: return 0;
    case V_STR:
    case V_ID: {
        const char *s;
        uint32_t n;
        if (shoal_val_str(x, v, &s, &n)) return -1;
        out->t = V_STR;
        out->ns = 0;
        out->u.s = s;
        out->n = n;
        return 1;
    }
    case V_INT:
        out->t = V_NUM;
        out->u.d = (double)v->u.i;
        return 1;
    case V_NUM:
        if (v->u.d == 0) out->u.d = 0;
        return 1;
    default: out->ns = 0; return 1;
    }
}

/* shoal_join_key, an id's text read from the snapshot without entering the
 * dictionary's cache: a join reads each key's text once (the joined rows' keys when
 * hashed, kept by copy; a probing id once, by the id cache), and at 300k members the
 * cache's hashing and growth cost more than the reads (perf, who answers newcomers). */
typedef struct runner {
    exec *x;
    plan *outer;
    join_src *js;
    shoal_rowsink *sink;
    shoal_arena *a;
    int64_t now;
    int (*on_row)(exec *, const qval *, int, void *);
    void *row_ctx;
    const void *fn_ctx;
    qval *buf;                    /* the joined row */
    shoal_arena *ra;              /* the first source's row's text */
    side *collect;                /* the source whose rows are being kept */
    uint64_t emitted, tested;
    int full;
    qval *batch;                  /* the first source's rows not joined yet (JOIN_BATCH) */
    uint32_t *bid, *gid, *fid;    /* … their probing ids, group ids and first matches, for the prefetch */
    int n_batch;
} runner;

/* bytes of s's rows or their table weighed against the memory budget (exec_spill.c):
 * 0, or the error naming the source and SET MEMORY_LIMIT */
static int join_hold(exec *x, const side *s, uint64_t bytes)
{
    char what[200];
    snprintf(what, sizeof what, "the rows of \"%s\" kept for the join", s->qual);
    return shoal_exec_hold(x, bytes, what, s->j->off, s->j->len) ? x->err->code : 0;
}

static int keep_row(exec *x, const qval *cols, int n, void *ctx)
{
    runner *r = ctx;
    side *s = r->collect;
    if (n != s->n) return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: a joined row has %d columns, not %d", n, s->n);
    if (s->n_rows == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        if (nc > UINT32_MAX / 2)
            return shoal_err_set(x->err, SHOAL_ERANGE, s->j->off, s->j->len, "\"%s\" has too many rows to join", s->qual);
        if (join_hold(x, s, (nc - s->cap) * (size_t)(s->n ? s->n : 1) * sizeof(qval))) return x->err->code;
        qval *v = shoal_realloc(s->rows, nc * (size_t)(s->n ? s->n : 1) * sizeof *v);
        if (!v) return nomem(x);
        s->rows = v;
        s->cap = nc;
    }
    if (!s->rkey && s->n_rows >= NESTED_MAX)
        return shoal_err_set(x->err, SHOAL_ERANGE, s->j->on->off, s->j->on->len,
                             "this ON has no equality to look \"%s\"'s rows up by, so each row is compared with every "
                             "one of them, and \"%s\" has more than %d: add an equality to ON (as x.k = %s.k), or narrow it",
                             s->qual, s->qual, NESTED_MAX, s->qual);
    qval *row = s->rows + s->n_rows * (size_t)s->n;
    uint64_t text = 0;
    for (int i = 0; i < n; i++) {
        row[i] = cols[i];
        if (shoal_val_keep(x, &row[i])) return x->err->code;
        if (row[i].t == V_STR) text += row[i].n;
    }
    if (text && join_hold(x, s, text)) return x->err->code;
    s->n_rows++;
    return 0;
}

/* The executor's state the outer SELECT runs with, in and out. */
typedef struct xstate {
    plan *p;
    int64_t now;
    rowctx *row;
    int (*on_row)(exec *, const qval *, int, void *);
    void *row_ctx;
    const void *fn_ctx;
    shoal_arena *a;
} xstate;

static void enter(runner *r, xstate *saved)
{
    exec *x = r->x;
    *saved = (xstate){x->p, x->now, x->row, x->on_row, x->row_ctx, x->fn_ctx, x->a};
    x->p = r->outer;
    x->now = r->now;
    x->on_row = r->on_row;
    x->row_ctx = r->row_ctx;
    x->fn_ctx = r->fn_ctx;
    x->a = r->a;
}

static void leave(exec *x, const xstate *s)
{
    x->p = s->p;
    x->now = s->now;
    x->row = s->row;
    x->on_row = s->on_row;
    x->row_ctx = s->row_ctx;
    x->fn_ctx = s->fn_ctx;
    x->a = s->a;
}

static void eval_on(runner *r, const cx *e, qval *out)
{
    rowctx rc = {0}, *saved = r->x->row;
    rc.src = r->buf;
    r->x->row = &rc;
    shoal_exec_eval(r->x, e, out);
    r->x->row = saved;
}

/* Source s's rows hashed by their key (x in the outer state). */
typedef struct id_text {
    side *s;
    uint32_t *row_of, *chain;     /* an id's first row + 1, then the next row of that id + 1 */
} id_text;

static int give_text(void *ctx, uint32_t id, const char *str, uint32_t len)
{
    id_text *t = ctx;
    for (uint32_t j = t->row_of[id]; j; j = t->chain[j - 1]) {
        qval *k = &t->s->keys[j - 1];
        k->t = V_STR;
        k->ns = 0;
        k->u.s = str;
        k->n = len;
    }
    return 0;
}

/* The text of each of s's keys (evaluated into s->keys): an id's from the snapshot,
 * all of one namespace's in one pass when there are enough of them (read_whole). */
static int key_texts(runner *r, side *s)
{
    exec *x = r->x;
    int ns = -1;
    for (size_t i = 0; i < s->n_rows && ns != -2; i++) {
        const qval *k = &s->keys[i];
        if (k->t == V_NULL) continue;
        if (k->t != V_ID || (ns >= 0 && k->ns != ns)) ns = -2;
        else ns = k->ns;
    }
    uint32_t n_ids = ns >= 0 ? shoal_dict_count(x->r, ns) : 0;
    if (ns >= 0 && shoal_join_read_whole(n_ids, s->n_rows)) {
        id_text t = {s, shoal_malloc(((size_t)n_ids + 1) * sizeof *t.row_of), shoal_malloc((s->n_rows + 1) * sizeof *t.chain)};
        if (!t.row_of || !t.chain) {
            shoal_free(t.row_of);
            shoal_free(t.chain);
            return nomem(x);
        }
        memset(t.row_of, 0, ((size_t)n_ids + 1) * sizeof *t.row_of);
        for (size_t i = s->n_rows; i-- > 0;) {
            const qval *k = &s->keys[i];
            t.chain[i] = 0;
            if (k->t != V_ID || k->u.i <= 0 || (uint64_t)k->u.i > n_ids) continue;
            t.chain[i] = t.row_of[k->u.i];
            t.row_of[k->u.i] = (uint32_t)i + 1;
        }
        int rc = shoal_dict_each(x->r, ns, give_text, &t, x->err);
        shoal_free(t.row_of);
        shoal_free(t.chain);
        if (rc) return rc;
    }
    /* the rest (another kind of key, an id the pass did not give) one at a time */
    for (size_t i = 0; i < s->n_rows; i++) {
        qval k;
        if (s->keys[i].t == V_STR) continue;
        int has = shoal_join_key_once(x, &s->keys[i], &k);
        if (has < 0) return x->err->code;
        if (!has) k.t = V_NULL;
        else if (shoal_val_keep(x, &k)) return x->err->code;
        s->keys[i] = k;
    }
    return 0;
}

/* Source s's rows hashed by their key (x in the outer state). */
static int hash_side(runner *r, side *s)
{
    exec *x = r->x;
    if (!s->rkey) return 0;   /* a nested loop: every row tested */
    size_t size = 16;
    while (size < s->n_rows * 2) size *= 2;
    s->mask = size - 1;
    if (join_hold(x, s, size * sizeof *s->bucket + (s->n_rows + 1) * (sizeof *s->next + sizeof *s->keys + sizeof *s->same)))
        return x->err->code;
    if (!(s->bucket = shoal_malloc(size * sizeof *s->bucket)) ||
        !(s->next = shoal_malloc((s->n_rows + 1) * sizeof *s->next)) ||
        !(s->keys = shoal_malloc((s->n_rows + 1) * sizeof *s->keys)) ||
        !(s->same = shoal_malloc((s->n_rows + 1) * sizeof *s->same)))
        return nomem(x);
    memset(s->bucket, 0, size * sizeof *s->bucket);
    for (int i = 0; i < r->js->n_sides; i++) {
        const side *o = &r->js->s[i];
        for (int c = o->base; c < o->base + o->n; c++) r->buf[c] = (qval){.t = V_NULL};
    }
    for (size_t i = 0; i < s->n_rows; i++) {
        memcpy(r->buf + s->base, s->rows + i * (size_t)s->n, sizeof(qval) * (size_t)s->n);
        eval_on(r, s->rkey, &s->keys[i]);
        if (x->err->code) return x->err->code;
        if (s->keys[i].t == V_STR && (s->keys[i].ns = 0, shoal_val_keep(x, &s->keys[i]))) return x->err->code;
    }
    int rc = key_texts(r, s);
    if (rc) return rc;
    /* backwards, each put first in its chain: a chain is in the rows' order */
    for (size_t i = s->n_rows; i-- > 0;) {
        s->next[i] = 0;
        s->same[i] = 0;
        if (s->keys[i].t == V_NULL) continue;
        size_t b = shoal_val_hash(&s->keys[i]) & s->mask;
        for (uint32_t j = s->bucket[b]; j; j = s->next[j - 1])
            if (shoal_val_same(&s->keys[i], &s->keys[j - 1])) {
                s->same[i] = j;
                s->dups = 1;
                break;
            }
        s->next[i] = s->bucket[b];
        s->bucket[b] = (uint32_t)i + 1;
    }
    return 0;
}

static int emit(runner *r, int k);

/* Row i of source k beside the rows before it: on to source k + 1 when the rest of
 * ON holds (matched set). */
static int emit_row(runner *r, int k, size_t i, int *matched)
{
    exec *x = r->x;
    side *s = &r->js->s[k];
    memcpy(r->buf + s->base, s->rows + i * (size_t)s->n, sizeof(qval) * (size_t)s->n);
    if (s->rest) {
        qval t;
        eval_on(r, s->rest, &t);
        if (x->err->code) return x->err->code;
        if (!(t.t == V_BOOL ? t.u.i != 0 : t.t != V_NULL && shoal_val_truthy(&t))) return 0;
    }
    *matched = 1;
    return emit(r, k + 1);
}

/* After source k's rows: a LEFT JOIN with no match goes on with NULLs. */
static int emit_unmatched(runner *r, int k, int matched)
{
    side *s = &r->js->s[k];
    if (matched || !s->j->left) return 0;
    for (int c = s->base; c < s->base + s->n; c++) r->buf[c] = (qval){.t = V_NULL};
    return emit(r, k + 1);
}

static int emit(runner *r, int k)
{
    exec *x = r->x;
    join_src *js = r->js;
    if ((++r->emitted & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel)
        return shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    if (k == js->n_sides) {
        int rc = shoal_exec_sink_push(r->sink, r->buf);
        r->full = shoal_exec_sink_full(r->sink);
        return rc ? rc : r->full;
    }
    side *s = &js->s[k];
    qval v, key;
    int rc, matched = 0;
    if (!s->rkey) {
        /* a nested loop: every row tested */
        for (size_t i = 0; i < s->n_rows; i++) {
            if ((++r->tested & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel)
                return shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            if ((rc = emit_row(r, k, i, &matched))) return rc;
        }
        return emit_unmatched(r, k, matched);
    }
    /* a column of the rows before (e.to) is read as it is, else evaluated */
    if (s->lkey->op == X_SRCCOL && s->lkey->slot < s->base) v = r->buf[s->lkey->slot];
    else eval_on(r, s->lkey, &v);
    if (x->err->code) return x->err->code;
    uint32_t first = 0, *slot = NULL;
    int has = 1;
    int cached = v.t == V_ID && s->idc_ns >= 0 ? s->idc ? 1 : shoal_join_idc_open(x, s, &v) : 0;
    if (cached < 0) return cached;
    if (cached) {
        if (v.ns == s->idc_ns && (uint64_t)v.u.i < s->n_idc) slot = &s->idc[v.u.i];
        if (slot && *slot) first = *slot == NO_MATCH ? 0 : *slot;
    }
    if (!slot || !*slot) {
        /* a cache the parts share was filled whole before they ran: they never write it */
        if (slot && s->idc_shared)
            return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: id %" PRIu64 " missing from the shared id cache",
                                 (uint64_t)v.u.i);
        if ((has = shoal_join_key_once(x, &v, &key)) < 0) return x->err->code;
        if (has) first = shoal_join_first_match(s, &key);
        if (slot) *slot = first ? first : NO_MATCH;
    }
    /* every row of that key, in the rows' order */
    for (uint32_t i = first; i; i = s->dups ? s->same[i - 1] : 0)
        if ((rc = emit_row(r, k, i - 1, &matched))) return rc;
    return emit_unmatched(r, k, matched);
}

/* WHERE's conjuncts (at most PRE_MAX) when every one compares a column of the first
 * source (e.ts) with an expression of source 1's columns and constants alone
 * (m.joined + 7 DAYS): then a row failing one of them cannot pass WHERE, and it is
 * dropped before it is joined, from source 1's values computed once per row here
 * (pre), not per joined row; any other WHERE leaves it to WHERE. An expression is
 * only what cannot fail on a row of the first source: columns, constants, arithmetic
 * (its errors, if any, then met here on source 1's rows: the test is dropped). */
static int pre_reads(const cx *e, const side *s)
{
    if (!e) return 0;
    switch (e->op) {
    case X_CONST: return 1;
    case X_SRCCOL: return e->slot >= s->base && e->slot < s->base + s->n;
    case X_ARITH: return pre_reads(e->a, s) && pre_reads(e->b, s);
    default: return 0;
    }
}

static int pre_conj(const cx *e, const cx **v, int k)
{
    if (k < 0) return k;
    if (e->op == X_AND) return pre_conj(e->b, v, pre_conj(e->a, v, k));
    if (k == PRE_MAX) return -1;
    v[k] = e;
    return k + 1;
}

static int pre_flip(int op)
{
    switch (op) {
    case SHOAL_OP_LT: return SHOAL_OP_GT;
    case SHOAL_OP_LE: return SHOAL_OP_GE;
    case SHOAL_OP_GT: return SHOAL_OP_LT;
    case SHOAL_OP_GE: return SHOAL_OP_LE;
    default: return -1;
    }
}

/* The comparisons WHERE's conjuncts are when each is one of a first source's column
 * with source 1's values (their columns, operators as the column's, and values into
 * col, op, val), or 0 */
static int pre_find(const plan *p, const join_src *js, int *col, int *op, const cx **val)
{
    const side *s0 = &js->s[0], *s = js->n_sides == 2 ? &js->s[1] : NULL;
    const cx *v[PRE_MAX];
    if (!s || !p->where || !s->rkey || s->rest || s->j->left) return 0;
    int n = pre_conj(p->where, v, 0);
    for (int i = 0; i < n; i++) {
        const cx *e = v[i];
        if (e->op != X_CMP || pre_flip(e->sub) < 0) return 0;
        if (e->a->op == X_SRCCOL && e->a->slot < s0->n && pre_reads(e->b, s)) {
            col[i] = e->a->slot;
            op[i] = e->sub;
            val[i] = e->b;
        } else if (e->b->op == X_SRCCOL && e->b->slot < s0->n && pre_reads(e->a, s)) {
            col[i] = e->b->slot;
            op[i] = pre_flip(e->sub);
            val[i] = e->a;
        } else {
            return 0;
        }
    }
    return n > 0 ? n : 0;
}

/* Source 1's values of the comparisons pre_find finds, when it has one row a key */
static void pre_plan(runner *r)
{
    exec *x = r->x;
    join_src *js = r->js;
    side *s = &js->s[js->n_sides - 1];
    const cx *val[PRE_MAX];
    int n = pre_find(r->outer, js, s->pre_col, s->pre_op, val);
    if (!n || s->dups || !s->n_rows) return;
    /* (weighed against the memory budget: beyond it, no test, WHERE decides alone) */
    if (shoal_exec_hold(x, s->n_rows * (uint64_t)n * sizeof *s->pre, "the joined rows' values tested before the join", -1, -1)) {
        shoal_err_clear(x->err);
        return;
    }
    if (!(s->pre = shoal_malloc(s->n_rows * (size_t)n * sizeof *s->pre))) return;
    for (size_t row = 0; row < s->n_rows; row++) {
        memcpy(r->buf + s->base, s->rows + row * (size_t)s->n, sizeof(qval) * (size_t)s->n);
        for (int i = 0; i < n; i++) {
            qval b;
            eval_on(r, val[i], &b);
            if (x->err->code) {
                shoal_err_clear(x->err);
                shoal_free(s->pre);
                s->pre = NULL;
                return;
            }
            int64_t *o = &s->pre[row * (size_t)n + i];
            if (b.t == V_NULL) *o = PRE_NULL;
            else if ((b.t == V_INT || b.t == V_TS) && b.u.i > -(INT64_C(1) << 58) && b.u.i < INT64_C(1) << 58)
                *o = (int64_t)((uint64_t)b.u.i << 4) | b.t;
            else *o = PRE_ANY;
        }
    }
    s->n_pre = n;
}

/* Whether the first source's row c joined to source s's row f - 1 may pass WHERE (0:
 * it cannot) */
static int pre_pass(const side *s, const qval *c, uint32_t f)
{
    const int64_t *o = &s->pre[(size_t)(f - 1) * s->n_pre];
    for (int i = 0; i < s->n_pre; i++) {
        const qval *a = &c[s->pre_col[i]];
        if (o[i] == PRE_NULL || a->t == V_NULL) return 0;
        if (o[i] == PRE_ANY || (int)(o[i] & 15) != a->t) continue;
        int64_t bv = o[i] >> 4, av = a->u.i;
        int k = (av > bv) - (av < bv), ok;
        switch (s->pre_op[i]) {
        case SHOAL_OP_LT: ok = k < 0; break;
        case SHOAL_OP_LE: ok = k <= 0; break;
        case SHOAL_OP_GT: ok = k > 0; break;
        default: ok = k >= 0; break;
        }
        if (!ok) return 0;
    }
    return 1;
}

/* The first source's rows are joined a batch at a time: the batch's probing ids are
 * looked up in the first joined source's id cache, and the rows they match fetched,
 * before any is joined (prefetched: a row's look-ups then no longer wait on the
 * memory one at a time; at 300k members, the id cache, the kept rows and the groups
 * are each a cache miss a row). */
#define JOIN_BATCH 32

/* The batch's rows joined on, in order (x in the first source's state). */
static int flush_rows(exec *x, runner *r)
{
    const side *s0 = &r->js->s[0], *s1 = r->js->n_sides > 1 ? &r->js->s[1] : NULL;
    int nb = r->n_batch, n = s0->n, rc = 0;
    r->n_batch = 0;
    if (s1 && s1->idc && s1->lkey->op == X_SRCCOL && s1->lkey->slot < n) {
        int slot = s1->lkey->slot;
        for (int i = 0; i < nb; i++) {
            const qval *v = &r->batch[(size_t)i * n + slot];
            r->bid[i] = v->t == V_ID && v->ns == s1->idc_ns && (uint64_t)v->u.i < s1->n_idc ? (uint32_t)v->u.i : 0;
            if (r->bid[i]) __builtin_prefetch(&s1->idc[r->bid[i]]);
        }
        for (int i = 0; i < nb; i++) {
            uint32_t f = r->bid[i] ? s1->idc[r->bid[i]] : 0;
            r->fid[i] = f && f != NO_MATCH ? f : 0;
            if (r->fid[i]) __builtin_prefetch(s1->pre ? s1->pre + (size_t)(r->fid[i] - 1) * s1->n_pre
                                                      : (const void *)(s1->rows + (size_t)(r->fid[i] - 1) * s1->n));
        }
        /* WHERE's comparisons with source 1's row first: a row failing one goes no further */
        if (s1->pre) {
            int kept = 0;
            for (int i = 0; i < nb; i++) {
                const qval *c = &r->batch[(size_t)i * n];
                if (r->fid[i] && !pre_pass(s1, c, r->fid[i])) continue;
                if (kept != i) {
                    memcpy(&r->batch[(size_t)kept * n], c, sizeof(qval) * (size_t)n);
                    r->fid[kept] = r->fid[i];
                }
                kept++;
            }
            nb = kept;
            for (int i = 0; i < nb; i++)
                if (r->fid[i]) __builtin_prefetch(s1->rows + (size_t)(r->fid[i] - 1) * s1->n);
        }
    }
    /* … and the groups of a GROUP BY a column of ids of the first source (e.member) */
    run *g = r->sink;
    const plan *p = r->outer;
    if (g->by_id && p->n_keys == 1 && p->keys[0]->op == X_SRCCOL && p->keys[0]->slot < n) {
        int slot = p->keys[0]->slot;
        for (int i = 0; i < nb; i++) {
            const qval *v = &r->batch[(size_t)i * n + slot];
            r->gid[i] = v->t == V_ID && v->ns == g->by_ns && v->u.i > 0 && (uint64_t)v->u.i < g->n_by_id ? (uint32_t)v->u.i : 0;
            if (r->gid[i]) __builtin_prefetch(&g->by_id[r->gid[i]]);
        }
        for (int i = 0; i < nb; i++)
            if (r->gid[i] && g->by_id[r->gid[i]]) __builtin_prefetch(g->by_id[r->gid[i]]);
        for (int i = 0; i < nb; i++)
            if (r->gid[i] && g->by_id[r->gid[i]]) __builtin_prefetch(g->by_id[r->gid[i]]->accs);
    }
    xstate saved;
    enter(r, &saved);
    for (int i = 0; i < nb && !rc; i++) {
        memcpy(r->buf, r->batch + (size_t)i * n, sizeof(qval) * (size_t)n);
        rc = emit(r, 1);
    }
    leave(x, &saved);
    return rc;
}

/* A row of the first source: its values (text copied: the outer row's evaluation
 * reuses the scratch arena they may be in) into the batch, joined on when it is full. */
static int first_row(exec *x, const qval *cols, int n, void *ctx)
{
    runner *r = ctx;
    side *s = &r->js->s[0];
    if (r->full) return 1;
    if (n != s->n) return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: a joined row has %d columns, not %d", n, s->n);
    if (!r->batch && (!(r->batch = shoal_arena_alloc(r->a, sizeof(qval) * (size_t)n * JOIN_BATCH)) ||
                      !(r->bid = shoal_arena_alloc(r->a, sizeof(uint32_t) * JOIN_BATCH)) ||
                      !(r->gid = shoal_arena_alloc(r->a, sizeof(uint32_t) * JOIN_BATCH)) ||
                      !(r->fid = shoal_arena_alloc(r->a, sizeof(uint32_t) * JOIN_BATCH))))
        return nomem(x);
    if (!r->n_batch && shoal_arena_used(r->ra)) shoal_arena_reset(r->ra);
    qval *row = r->batch + (size_t)r->n_batch * n;
    for (int i = 0; i < n; i++) {
        qval v = cols[i];
        if (v.t == V_STR && v.n) {
            char *t = shoal_arena_strndup(r->ra, v.u.s, v.n);
            if (!t) return nomem(x);
            v.u.s = t;
        }
        row[i] = v;
    }
    if (++r->n_batch < JOIN_BATCH) return 0;
    return flush_rows(x, r);
}

/* After the first source's rows (rc: how its run ended), the batch's rows joined: an
 * error of theirs comes before the run's, in log order. */
static int finish_rows(exec *x, runner *r, int rc)
{
    if (!r->n_batch || r->full) return rc;
    if (rc <= 0) {
        shoal_err run_err = *x->err;
        shoal_err_clear(x->err);
        int frc = flush_rows(x, r);
        if (frc < 0 || (frc == 0 && x->err->code)) return frc ? frc : x->err->code;
        *x->err = run_err;
        return rc ? rc : frc;
    }
    return rc;
}

static void free_sides(join_src *js)
{
    for (int k = 0; k < js->n_sides; k++) {
        side *s = &js->s[k];
        shoal_free(s->rows);
        shoal_free(s->keys);
        shoal_free(s->next);
        shoal_free(s->bucket);
        shoal_free(s->same);
        shoal_free(s->idc);
        shoal_free(s->pre);
        s->pre = NULL;
        s->n_pre = 0;
        s->rows = s->keys = NULL;
        s->next = s->bucket = s->same = s->idc = NULL;
        s->n_idc = 0;
        s->idc_ns = 0;
        s->dups = 0;
        s->idc_shared = 0;
        s->n_rows = s->cap = 0;
    }
}

/* ---------------------------------------------------------------- on both cores */

/* Why the first source's rows cannot be joined and grouped in parts of the log, one a
 * thread, or NULL when they can: the first source a plain SELECT over events (its
 * WHERE and columns, nothing kept across rows), the statement grouped, its groups
 * made in parts and merged (exec_scanpar.c: pure functions, aggregates that merge), no
 * subquery or window, and ON's keys and other conditions what a thread may evaluate. */
static const char *par_why_not(const plan *p, const join_src *js)
{
    const plan *ip = js->s[0].ip;
    if (!p->grouped) return "the joined rows are not grouped";
    if (ip->src != SRC_EVENTS || ip->grouped || ip->n_order || ip->limit >= 0 || ip->offset || ip->n_wins ||
        ip->n_subs || ip->n_maggs)
        return "the first source is not a plain SELECT over events";
    if (p->n_subs || p->n_wins) return "a subquery or window over the joined rows";
    const char *why = shoal_exec_groups_why_not(p), *expr = "an expression calls a function not known to be pure";
    if (why) return why;
    if (!shoal_exec_par_ok(ip->where)) return expr;
    for (int i = 0; i < ip->n_cols; i++)
        if (!shoal_exec_par_ok(ip->cols[i])) return expr;
    for (int k = 1; k < js->n_sides; k++)
        if (!shoal_exec_par_ok(js->s[k].lkey) || !shoal_exec_par_ok(js->s[k].rest)) return expr;
    return NULL;
}

/* A part of the log: its thread's exec (arena, scratch, error, reader of its own), the
 * first source's SELECT over its sequences, each row joined (a runner and sides of
 * its own: the kept rows and their hash tables shared, read only; an id cache each)
 * into groups of its own. */
typedef struct jpart {
    exec x;
    partres res;                  /* its records read and skipped, return and error */
    shoal_reader *r;
    run ig, og;                   /* the first source's rows; the statement's groups */
    runner rn;
    join_src js;
    uint64_t lo, hi;
    int i, n;                     /* part i of n */
} jpart;

static void *jpart_main(void *arg)
{
    jpart *w = arg;
    w->res.rc = finish_rows(&w->x, &w->rn, shoal_exec_scan_range(&w->ig, w->lo, w->hi, &w->res.n_scanned, &w->res.n_skipped));
    return NULL;
}

/* The shared id caches filled, a range of ids a part (join_idc.c). */
static void *jpart_fill(void *arg)
{
    jpart *w = arg;
    w->res.rc = shoal_join_idc_fill_part(&w->x, &w->js, w->i, w->n);
    return NULL;
}

static int jpart_init(runner *r, jpart *w, int first)
{
    exec *x = r->x;
    plan *p = r->outer, *ip = r->js->s[0].ip;
    w->x = *x;
    /* a part's own id caches (join_idc.c) take its share of the budget left */
    if (x->mem_limit && x->mem_limit > x->mem_held)
        w->x.mem_held += (x->mem_limit - x->mem_held) - (x->mem_limit - x->mem_held) / (uint64_t)w->n;
    w->x.err = &w->res.err;
    w->x.row = NULL;
    w->x.civ_ok = 0;
    w->x.a = shoal_arena_new();
    w->x.scratch = shoal_arena_new();
    w->rn.ra = shoal_arena_new();
    if (!w->x.a || !w->x.scratch || !w->rn.ra) return nomem(x);
    /* the first part reads through the statement's reader, on this thread */
    int rc;
    if (!first && (rc = shoal_reader_fork(x->r, &w->r, x->err))) return rc;
    w->x.r = first ? x->r : w->r;
    /* the first source's SELECT, its rows to first_row */
    w->x.p = ip;
    w->x.now = ip->now;
    w->x.on_row = first_row;
    w->x.row_ctx = &w->rn;
    w->ig.x = &w->x;
    w->ig.p = ip;
    w->ig.seq_lo = w->lo;
    w->ig.seq_hi = w->hi;
    /* the statement's groups */
    run *g = r->sink;
    w->og.x = &w->x;
    w->og.p = p;
    w->og.seq_lo = w->lo;
    w->og.seq_hi = w->hi;
    if (!(w->ig.colbuf = zalloc(&w->x, sizeof(qval) * (size_t)(ip->n_cols + 1))) ||
        !(w->ig.keybuf = zalloc(&w->x, sizeof(qval) * (size_t)(ip->n_keys + 1))) ||
        !(w->og.keybuf = zalloc(&w->x, sizeof(qval) * (size_t)(p->n_keys + 1))) ||
        !(w->og.dsets = zalloc(&w->x, sizeof(dset) * (size_t)(p->n_raggs + 1))))
        return nomem(x);
    if (g->by_id) {
        w->og.n_by_id = g->n_by_id;
        w->og.by_ns = g->by_ns;
        if (!(w->og.by_id = shoal_malloc(sizeof(group *) * g->n_by_id))) return nomem(x);
        memset(w->og.by_id, 0, sizeof(group *) * g->n_by_id);
    }
    /* the sides: their rows and hash tables shared, an id cache each */
    w->js = *r->js;
    if (!(w->js.s = zalloc(&w->x, sizeof(side) * (size_t)w->js.n_sides))) return nomem(x);
    memcpy(w->js.s, r->js->s, sizeof(side) * (size_t)w->js.n_sides);
    for (int k = 0; k < w->js.n_sides; k++)
        if (!w->js.s[k].idc_shared) {
            w->js.s[k].idc = NULL;
            w->js.s[k].n_idc = 0;
        }
    shoal_arena *ra = w->rn.ra;
    w->rn = *r;
    w->rn.ra = ra;
    w->rn.x = &w->x;
    w->rn.js = &w->js;
    w->rn.sink = &w->og;
    w->rn.a = w->x.a;
    w->rn.emitted = w->rn.tested = 0;
    w->rn.full = 0;
    w->rn.batch = NULL;
    w->rn.bid = w->rn.gid = w->rn.fid = NULL;
    w->rn.n_batch = 0;
    if (!(w->rn.buf = zalloc(&w->x, sizeof(qval) * (size_t)(p->n_src + 1)))) return nomem(x);
    return 0;
}

static void jpart_free(jpart *w)
{
    if (w->og.p) shoal_exec_run_free(&w->og);
    for (int k = 0; w->js.s && k < w->js.n_sides; k++)
        if (!w->js.s[k].idc_shared) shoal_free(w->js.s[k].idc);
    shoal_arena_free(w->rn.ra);
    shoal_arena_free(w->x.a);
    shoal_arena_free(w->x.scratch);
    shoal_reader_close(w->r);
}

/* The first source's rows joined and grouped on several threads, a part of the log
 * each, the parts' groups merged into the statement's in sequence order (as
 * exec_scanpar.c's: the one-thread answer, bit for bit). 1 when it stays on one
 * thread (par_why_not, SHOAL_THREADS, a log too small to split), else 0 or the error. */
static int join_split(runner *r)
{
    exec *x = r->x;
    plan *ip = r->js->s[0].ip;
    int asked, n = shoal_exec_threads_wanted(&asked);
    if (n < 2 || par_why_not(r->outer, r->js)) return 1;
    uint64_t bound[SHOAL_JOIN_MAX_THREADS + 1];
    if (n > SHOAL_JOIN_MAX_THREADS) n = SHOAL_JOIN_MAX_THREADS;
    int64_t range[2] = {ip->range.lo, ip->range.hi};
    int rc = shoal_exec_split_bounds(x, ip, range, ip->has_range, n, asked, bound);
    if (rc) return rc;
    jpart *parts = shoal_malloc(sizeof *parts * (size_t)n);
    if (!parts) return nomem(x);
    memset(parts, 0, sizeof *parts * (size_t)n);
    /* the id caches the parts share, filled by them before any scans */
    rc = shoal_join_idc_share(x, r->js, r->outer);
    int shared = 0;
    for (int k = 1; k < r->js->n_sides; k++) shared |= r->js->s[k].idc_shared;
    for (int i = 0; i < n && !rc; i++) {
        parts[i].lo = bound[i];
        parts[i].hi = bound[i + 1];
        parts[i].i = i;
        parts[i].n = n;
        rc = jpart_init(r, &parts[i], i == 0);
    }
    if (!rc && shared && !(rc = shoal_exec_run_parts(x, n, jpart_fill, parts, sizeof *parts)))
        rc = shoal_exec_parts_settle(x, &parts[0].res, sizeof *parts, n, 0);
    if (!rc) rc = shoal_exec_run_parts(x, n, jpart_main, parts, sizeof *parts);
    if (!rc) {
        rc = shoal_exec_parts_settle(x, &parts[0].res, sizeof *parts, n, 0);
        for (int i = 0; i < n && !rc; i++) rc = shoal_exec_merge_run(r->sink, &parts[i].og);
        if (!rc && x->cancel && *x->cancel) rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    }
    for (int i = 0; i < n; i++) jpart_free(&parts[i]);
    shoal_free(parts);
    return rc;
}

static int join_rows(exec *x, plan *p, shoal_rowsink *sink)
{
    join_src *js = p->rs_state;
    runner r;
    memset(&r, 0, sizeof r);
    r.x = x;
    r.outer = p;
    r.js = js;
    r.sink = sink;
    r.a = x->a;
    r.now = x->now;
    r.on_row = x->on_row;
    r.row_ctx = x->row_ctx;
    r.fn_ctx = x->fn_ctx;
    if (!(r.buf = zalloc(x, sizeof(qval) * (size_t)(p->n_src + 1)))) return SHOAL_ENOMEM;
    if (!(r.ra = shoal_arena_new())) return nomem(x);
    int rc = 0;
    uint64_t held = x->mem_held;   /* (the kept rows and their tables, weighed against the budget until freed) */
    for (int k = 1; k < js->n_sides && !rc; k++) {
        r.collect = &js->s[k];
        rc = shoal_rowsrc_run_inner(x, js->s[k].ip, keep_row, &r);
        if (!rc) rc = hash_side(&r, &js->s[k]);
    }
    if (!rc) pre_plan(&r);
    /* the first source's rows on several threads when they can be, else on this one */
    if (!rc && (rc = join_split(&r)) == 1) {
        rc = finish_rows(x, &r, shoal_rowsrc_run_inner(x, js->s[0].ip, first_row, &r));
        if (rc == 1 && r.full) rc = 0;
    }
    free_sides(js);
    x->mem_held = held;
    shoal_arena_free(r.ra);
    return rc;
}

/* ---------------------------------------------------------------- EXPLAIN */

static int add_text(exec *x, const char *text, char ***lines, int *n_lines)
{
    char **l = shoal_arena_alloc(x->a, sizeof(char *) * (size_t)(*n_lines + 1));
    char *t = shoal_arena_strndup(x->a, text, strlen(text));
    if (!l || !t) return nomem(x);
    if (*n_lines) memcpy(l, *lines, sizeof(char *) * (size_t)*n_lines);
    l[(*n_lines)++] = t;
    *lines = l;
    return 0;
}

/* ip's EXPLAIN, indented; threads: the line that says on how many threads its scan
 * runs said instead (the first source's, whose rows the join splits), or NULL */
static int add_plan(exec *x, const plan *ip, const char *threads, char ***lines, int *n_lines)
{
    char **il;
    int n_il, rc;
    if ((rc = shoal_plan_explain(x, NULL, ip, &il, &n_il))) return rc;
    for (int i = 0; i < n_il; i++) {
        const char *l = il[i];
        size_t indent = strspn(l, " ");
        l += indent;
        int th = threads && (!strncmp(l, "on one thread: ", 15) || (!strncmp(l, "on ", 3) && strstr(l, " threads when ")));
        if (th) l = threads;
        size_t k = indent + strlen(l) + 3;
        char *t = shoal_arena_alloc(x->a, k);
        if (!t) return nomem(x);
        snprintf(t, k, "  %*s%s", (int)indent, "", l);
        if ((rc = add_text(x, t, lines, n_lines))) return rc;
    }
    return 0;
}

static int join_explain(exec *x, const plan *p, char ***lines, int *n_lines)
{
    const join_src *js = p->rs_state;
    char buf[600];
    *lines = NULL;
    *n_lines = 0;
    int rc;
    for (int k = 1; k < js->n_sides; k++) {
        const side *s = &js->s[k];
        if (!s->rkey_n) {
            snprintf(buf, sizeof buf, "%s %s: its rows run first and are kept (at most %d), ON tested on every pair "
                     "(a nested loop: ON has no equality):", s->j->left ? "LEFT JOIN" : "JOIN", s->what, NESTED_MAX);
        } else {
            int a = s->rkey_n->len > 60 ? 60 : s->rkey_n->len, b = s->lkey_n->len > 60 ? 60 : s->lkey_n->len;
            snprintf(buf, sizeof buf, "%s %s: its rows run first, kept and hashed by %.*s, looked up by %.*s%s:",
                     s->j->left ? "LEFT JOIN" : "JOIN", s->what, a, x->src + s->rkey_n->off, b, x->src + s->lkey_n->off,
                     s->rest ? " (ON's other conditions tested on each match)" : "");
        }
        if ((rc = add_text(x, buf, lines, n_lines)) || (rc = add_plan(x, s->ip, NULL, lines, n_lines))) return rc;
    }
    if (js->pushed) {
        int a = js->pushed->len > 120 ? 120 : js->pushed->len;
        snprintf(buf, sizeof buf, "then the rows of %s, streamed, each joined to those (its WHERE: %.*s%s):",
                 js->s[0].what, a, x->src + js->pushed->off, a < js->pushed->len ? "…" : "");
    } else {
        snprintf(buf, sizeof buf, "then the rows of %s, streamed, each joined to those:", js->s[0].what);
    }
    if ((rc = add_text(x, buf, lines, n_lines))) return rc;
    int col[PRE_MAX], op[PRE_MAX];
    const cx *val[PRE_MAX];
    int n_pre = pre_find(p, js, col, op, val);
    if (n_pre) {
        snprintf(buf, sizeof buf, "  WHERE's %d comparison%s with %s's row tested before each row is joined (when %s has "
                 "one row a key; its values computed once a row)", n_pre, n_pre > 1 ? "s" : "", js->s[1].qual, js->s[1].qual);
        if ((rc = add_text(x, buf, lines, n_lines))) return rc;
    }
    /* whether its rows are joined and grouped on several threads (join_split) */
    char threads[300];
    int asked, t = shoal_exec_threads_wanted(&asked);
    const char *why = par_why_not(p, js);
    if (t > SHOAL_JOIN_MAX_THREADS) t = SHOAL_JOIN_MAX_THREADS;
    if (why) snprintf(threads, sizeof threads, "on one thread: %s", why);
    else if (t < 2) snprintf(threads, sizeof threads, "on one thread: %s", asked ? "SHOAL_THREADS=1" : "one processor online");
    else
        snprintf(threads, sizeof threads, "on %d threads when it reads %d blocks or more (parts of the log, a read "
                 "transaction each, each part's rows joined and grouped on its own, the groups merged in sequence order)",
                 t, asked ? 2 : t * SHOAL_JOIN_PART_BLOCKS);
    return add_plan(x, js->s[0].ip, threads, lines, n_lines);
}

const shoal_rowsrc shoal_join_source = {"join", join_plan, join_rows, join_explain};
