/* views.c — the query layer's side of views: CREATE COUNTERS / CREATE SCORE compile a
 * statement into the engine's shoal_viewdef (type names, a filter program, summed
 * properties, weights), DROP and SHOW VIEWS, and the planner's choice: a per-member
 * aggregate is answered from a counters view when a series has the same types and
 * filter and the window is made of whole local days in the view's zone. CREATE LAYER
 * and CREATE TIERS are checked here and kept as their text (shoal_view_define); plan.c
 * compiles them where a query names them.
 *
 * Filters are compiled from the syntax tree, not through the dictionary, so a view can
 * be created before any event exists, and a query's filter matches a series exactly
 * when it compiles to the same program.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "caltime.h"
#include "plan.h"
#include "rowsrc.h"
#include "expview.h"
#include "scan.h"

static int sem(exec *x, int off, int len, const char *msg)
{
    return shoal_err_set(x->err, SHOAL_ESEMANTIC, off, len, "%s", msg);
}

/* ---------------------------------------------------------------- filter programs */

typedef struct pbuf {
    unsigned char *p;
    size_t n, cap;
    exec *x;
} pbuf;

static int put(pbuf *b, const void *s, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->n + n) cap *= 2;
        unsigned char *q = shoal_arena_alloc(b->x->a, cap);
        if (!q) return shoal_err_set(b->x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
        if (b->n) memcpy(q, b->p, b->n);
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

static int put_op(pbuf *b, int op) { unsigned char c = (unsigned char)op; return put(b, &c, 1); }

static int put_str(pbuf *b, int op, const char *s, size_t n)
{
    unsigned char v[11];
    v[0] = (unsigned char)op;
    size_t k = 1 + shoal_varint_put(v + 1, n);
    return put(b, v, k) || put(b, s, n);
}

static int is_event_column(const char *s)
{
    return !strcasecmp(s, "seq") || !strcasecmp(s, "ts") || !strcasecmp(s, "member") || !strcasecmp(s, "type") ||
           !strcasecmp(s, "group");
}

/* The program of a filter; its semantics are query/exec_eval.c's over the same tree. */
static int prog(pbuf *b, const shoal_node *n);

/* A boolean or a number as a constant of the program. */
static int put_value(pbuf *b, const qval *sp)
{
    unsigned char v[12];
    if (sp->t == V_BOOL) {
        v[0] = SHOAL_VP_BOOL;
        v[1] = (unsigned char)(sp->u.i != 0);
        return put(b, v, 2);
    }
    if (sp->t == V_INT) {
        v[0] = SHOAL_VP_INT;
        return put(b, v, 1 + shoal_varint_put(v + 1, shoal_zigzag(sp->u.i)));
    }
    v[0] = SHOAL_VP_NUM;
    memcpy(v + 1, &sp->u.d, 8);
    return put(b, v, 9);
}

/* A text constant compared for equality with a property also matches the boolean or
 * number it spells (plan.c's spelled: newcomer = 'true' is newcomer IN ('true', TRUE)),
 * so a view decides events as the scan does: a = c, then OR a = the spelled value. */
static int prog_eq(pbuf *b, const shoal_node *a, const shoal_node *c)
{
    unsigned char v[12] = {SHOAL_VP_CMP, SHOAL_VP_EQ};
    if (prog(b, a) || prog(b, c) || put(b, v, 2)) return -1;
    qval sp;
    if (c->kind != SHOAL_AST_STR || !shoal_val_spell(c->s, (uint32_t)c->n, &sp)) return 0;
    if (prog(b, a) || put_value(b, &sp)) return -1;
    v[0] = SHOAL_VP_CMP;
    v[1] = SHOAL_VP_EQ;
    return put(b, v, 2) || put_op(b, SHOAL_VP_OR);
}

/* A constant in an order (words > '100'): text that spells a boolean or a number is
 * that value (plan.c's spelled), as the scan orders it. */
static int prog_ordered(pbuf *b, const shoal_node *n)
{
    qval sp;
    if (n->kind != SHOAL_AST_STR || !shoal_val_spell(n->s, (uint32_t)n->n, &sp)) return prog(b, n);
    return put_value(b, &sp);
}

static int prog(pbuf *b, const shoal_node *n)
{
    exec *x = b->x;
    unsigned char v[12];
    switch (n->kind) {
    case SHOAL_AST_NAME:
        if (!strcasecmp(n->s, "member") || !strcasecmp(n->s, "type") || !strcasecmp(n->s, "group")) {
            /* compared by name, as the query compares an interned name with text */
            v[0] = SHOAL_VP_COL;
            v[1] = (unsigned char)tolower((unsigned char)n->s[0]);
            return put(b, v, 2);
        }
        if (is_event_column(n->s))
            return sem(x, n->off, n->len, "a view's filter reads event properties and member, type and group, not seq or ts");
        return put_str(b, SHOAL_VP_PROP, n->s, (size_t)n->n);
    case SHOAL_AST_INT:
        v[0] = SHOAL_VP_INT;
        return put(b, v, 1 + shoal_varint_put(v + 1, shoal_zigzag(n->i)));
    case SHOAL_AST_NUM:
        v[0] = SHOAL_VP_NUM;
        memcpy(v + 1, &n->d, 8);
        return put(b, v, 9);
    case SHOAL_AST_BOOL:
        v[0] = SHOAL_VP_BOOL;
        v[1] = (unsigned char)(n->i != 0);
        return put(b, v, 2);
    case SHOAL_AST_NULL: return put_op(b, SHOAL_VP_NULL);
    case SHOAL_AST_STR: return put_str(b, SHOAL_VP_STR, n->s, (size_t)n->n);
    case SHOAL_AST_NOT: return prog(b, n->a) || put_op(b, SHOAL_VP_NOT);
    case SHOAL_AST_ISNULL:
        v[0] = SHOAL_VP_ISNULL;
        v[1] = (unsigned char)((n->flags & SHOAL_AST_F_NOT) != 0);
        return prog(b, n->a) || put(b, v, 2);
    case SHOAL_AST_IN: {
        /* a IN (c1, c2) is a = c1 OR a = c2 under three-valued logic; NOT IN its negation. */
        int first = 1;
        for (const shoal_node *c = n->list->head; c; c = c->next) {
            if (prog_eq(b, n->a, c)) return -1;
            if (!first && put_op(b, SHOAL_VP_OR)) return -1;
            first = 0;
        }
        return (n->flags & SHOAL_AST_F_NOT) ? put_op(b, SHOAL_VP_NOT) : 0;
    }
    case SHOAL_AST_BINOP:
        if (n->op == SHOAL_OP_AND || n->op == SHOAL_OP_OR)
            return prog(b, n->a) || prog(b, n->b) || put_op(b, n->op == SHOAL_OP_AND ? SHOAL_VP_AND : SHOAL_VP_OR);
        if (n->op == SHOAL_OP_EQ || n->op == SHOAL_OP_NE) {
            /* the property on either side; a constant on the left spelled like one on the right */
            const shoal_node *k = n->a->kind == SHOAL_AST_STR ? n->a : n->b, *a = k == n->a ? n->b : n->a;
            if (prog_eq(b, a, k)) return -1;
            return n->op == SHOAL_OP_NE ? put_op(b, SHOAL_VP_NOT) : 0;
        }
        if (n->op >= SHOAL_OP_EQ && n->op <= SHOAL_OP_GE) {
            v[0] = SHOAL_VP_CMP;
            v[1] = (unsigned char)(SHOAL_VP_EQ + (n->op - SHOAL_OP_EQ));
            return prog_ordered(b, n->a) || prog_ordered(b, n->b) || put(b, v, 2);
        }
        break;
    case SHOAL_AST_CALL: {
        /* as plan.c says it of an event filter in a query */
        const func *f = shoal_func_find(n->s);
        if (f && f->agg) {
            int k = n->len > 60 ? 60 : n->len;
            shoal_err_set(x->err, SHOAL_ESEMANTIC, n->off, n->len,
                          "per-member aggregate \"%.*s%s\" cannot be used inside an event filter: the filter is "
                          "tested event by event, before a member's aggregates are known",
                          k, x->src + n->off, k < n->len ? "…" : "");
            return -1;
        }
        break;
    }
    default: break;
    }
    return sem(x, n->off, n->len,
               "a view's filter may only compare properties with constants (=, !=, <, <=, >, >=, IN, IS NULL, AND, OR, NOT)");
}

/* ---------------------------------------------------------------- series */

/* The series a per-member aggregate call reads: count(T, … [WHERE f]), count(* [WHERE
 * f]), sum(T.p) or avg(T.p) [WHERE f]. */
static int series_of(exec *x, const shoal_node *n, shoal_vseries *s, int *fn)
{
    memset(s, 0, sizeof *s);
    const func *f = shoal_func_find(n->s);
    if (n->kind != SHOAL_AST_CALL || !f || !f->agg) return sem(x, n->off, n->len, "expected count(…), sum(…) or avg(…)");
    *fn = f->agg;
    if (n->flags & SHOAL_AST_F_DISTINCT) return sem(x, n->off, n->len, "DISTINCT is not kept by a view");
    if (n->anc)
        return sem(x, n->anc->off, n->anc->len, "a window anchored on a member's event is not kept by a view (it is read from the log)");
    if (f->agg == F_COUNT || f->agg == F_FIRST || f->agg == F_LAST) {
        if (!(n->flags & SHOAL_AST_F_STAR)) {
            if (!n->list) return sem(x, n->off, n->len, "count() needs an event type or *");
            s->types = shoal_arena_alloc(x->a, sizeof(shoal_str) * (size_t)n->list->n);
            if (!s->types) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
            for (const shoal_node *a = n->list->head; a; a = a->next) {
                if (a->kind != SHOAL_AST_NAME) return sem(x, a->off, a->len, "expected an event type");
                s->types[s->n_types++] = (shoal_str){a->s, (uint32_t)a->n};
            }
        }
    } else if (f->agg == F_SUM || f->agg == F_AVG) {
        const shoal_node *a = n->list ? n->list->head : NULL;
        if (!a || n->list->n != 1 || a->kind != SHOAL_AST_DOT)
            return sem(x, n->off, n->len, "sum() and avg() take TYPE.property, e.g. sum(purchase.amount)");
        s->types = shoal_arena_alloc(x->a, sizeof(shoal_str));
        if (!s->types) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
        s->types[0] = (shoal_str){a->s, (uint32_t)strlen(a->s)};
        s->n_types = 1;
        s->sum_prop = (shoal_str){a->s2, (uint32_t)strlen(a->s2)};
    } else {
        return sem(x, n->off, n->len, "a view keeps count, sum, avg, first and last (min and max scan the log)");
    }
    if (n->filter) {
        pbuf b = {NULL, 0, 0, x};
        if (prog(&b, n->filter)) return -1;
        s->filter = (shoal_str){(const char *)b.p, (uint32_t)b.n};
    }
    return 0;
}

int shoal_views_series_of(exec *x, const shoal_node *n, shoal_vseries *s)
{
    int fn;
    return series_of(x, n, s, &fn);
}

int shoal_views_series(exec *x, const shoal_node *call, shoal_vseries *s, char *why, size_t n_why)
{
    shoal_node c = *call;
    c.s = "count";
    c.n = 5;
    int fn;
    shoal_err quiet, *saved = x->err;
    shoal_err_clear(&quiet);
    x->err = &quiet;
    int bad = series_of(x, &c, s, &fn);
    x->err = saved;
    if (!bad) return 0;
    if (quiet.code == SHOAL_ENOMEM) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    snprintf(why, n_why, "%s", quiet.msg);
    return 1;
}

static int same_str(shoal_str a, shoal_str b) { return a.len == b.len && (!a.len || memcmp(a.ptr, b.ptr, a.len) == 0); }

static int has_type(const shoal_vseries *s, shoal_str t)
{
    for (uint32_t i = 0; i < s->n_types; i++)
        if (same_str(s->types[i], t)) return 1;
    return 0;
}

/* Same events: the same set of types and the same filter program. */
static int same_events(const shoal_vseries *a, const shoal_vseries *b)
{
    if ((a->n_types == 0) != (b->n_types == 0) || !same_str(a->filter, b->filter)) return 0;
    for (uint32_t i = 0; i < a->n_types; i++)
        if (!has_type(b, a->types[i])) return 0;
    for (uint32_t i = 0; i < b->n_types; i++)
        if (!has_type(a, b->types[i])) return 0;
    return 1;
}

/* ---------------------------------------------------------------- CREATE, DROP */

static int create_counters(exec *x, const shoal_stmt *st, shoal_viewdef *def)
{
    int n = 0;
    for (const shoal_item *it = st->cols; it; it = it->next) n++;
    if (n > SHOAL_VIEW_MAX_SERIES) return sem(x, st->cols->expr->off, st->cols->expr->len, "a view keeps at most 64 series");
    def->series = shoal_arena_alloc(x->a, sizeof(shoal_vseries) * (size_t)(n ? n : 1));
    if (!def->series) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    for (const shoal_item *it = st->cols; it; it = it->next) {
        const shoal_node *e = it->expr;
        if (e->kind != SHOAL_AST_CALL) return sem(x, e->off, e->len, "expected count(…), sum(…) or avg(…)");
        if (e->win)
            return sem(x, e->win->off, e->win->len, "a counters view keeps every day: give the window in the query, not here");
        shoal_vseries s;
        int fn;
        if (series_of(x, e, &s, &fn)) return -1;
        if (fn == F_FIRST || fn == F_LAST)
            return sem(x, e->off, e->len, "a counters view keeps count, sum and avg: first and last are kept by CREATE FIRSTLAST");
        /* count(post) is already in sum(post.words) and avg needs what sum keeps. */
        int dup = 0;
        for (uint32_t i = 0; i < def->n_series && !dup; i++) {
            shoal_vseries *o = &def->series[i];
            if (!same_events(o, &s)) continue;
            if (same_str(o->sum_prop, s.sum_prop) || !s.sum_prop.len) dup = 1;
            else if (!o->sum_prop.len) o->sum_prop = s.sum_prop, dup = 1;
        }
        if (!dup) def->series[def->n_series++] = s;
    }
    return 0;
}

/* CREATE FIRSTLAST name AS first(join), first(post), last(post, comment WHERE …): each
 * item a series, keeping the earliest (weight bit 0) or the latest (bit 1) event time
 * per member; first() and last() of the same events are one series keeping both. */
static int create_firstlast(exec *x, const shoal_stmt *st, shoal_viewdef *def)
{
    int n = 0;
    for (const shoal_item *it = st->cols; it; it = it->next) n++;
    if (n > SHOAL_VIEW_MAX_SERIES) return sem(x, st->cols->expr->off, st->cols->expr->len, "a view keeps at most 64 series");
    def->series = shoal_arena_alloc(x->a, sizeof(shoal_vseries) * (size_t)(n ? n : 1));
    if (!def->series) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    for (const shoal_item *it = st->cols; it; it = it->next) {
        const shoal_node *e = it->expr;
        const func *f = e->kind == SHOAL_AST_CALL ? shoal_func_find(e->s) : NULL;
        if (!f || (f->agg != F_FIRST && f->agg != F_LAST))
            return sem(x, e->off, e->len, "a first/last view keeps first(TYPE, … [WHERE …]) and last(…)");
        if (e->win)
            return sem(x, e->win->off, e->win->len, "a first/last view keeps the whole log: give the window in the query, not here");
        if (e->flags & SHOAL_AST_F_STAR)
            return sem(x, e->off, e->len, "first() and last() over members take event types: last(post, comment)");
        shoal_vseries s;
        int fn;
        if (series_of(x, e, &s, &fn)) return -1;
        s.weight = fn == F_FIRST ? 1 : 2;
        int dup = 0;
        for (uint32_t i = 0; i < def->n_series && !dup; i++)
            if (same_events(&def->series[i], &s)) def->series[i].weight = (double)((unsigned)def->series[i].weight | (unsigned)s.weight), dup = 1;
        if (!dup) def->series[def->n_series++] = s;
    }
    return 0;
}

/* The word and phrase of a view's kind, in messages and SHOW VIEWS. */
static const char *kind_word(int kind)
{
    return kind == SHOAL_VIEW_SCORE ? "score" : kind == SHOAL_VIEW_FIRSTLAST ? "firstlast"
           : kind == SHOAL_VIEW_RETENTION ? "retention" : kind == SHOAL_VIEW_ACTIVITY ? "activity"
           : kind == SHOAL_VIEW_EXPERIMENT ? "experiment" : kind ? "counters" : "broken";
}

const char *shoal_views_closest(exec *x, const char *name, const char *kind, shoal_closest *c)
{
    shoal_closest_init(c, name);
    /* the statement's snapshot when it has one, as its other names are read */
    shoal_reader *r = x->r;
    if (!r && shoal_reader_open(x->db, &r, NULL)) return NULL;
    shoal_viewinfo *vs;
    shoal_namedef *ds;
    int n;
    /* (a message's "did you mean": a list that cannot be read suggests nothing) */
    if (!shoal_view_list(r, x->a, &vs, &n, NULL))
        for (int i = 0; i < n; i++) {
            shoal_str nm = vs[i].def.name;
            /* an experiment's view is the experiment's, which its definition names */
            if (vs[i].def.kind == SHOAL_VIEW_EXPERIMENT || (kind && strcmp(kind, kind_word(vs[i].def.kind)))) continue;
            if (shoal_closest_offer(c, nm.ptr, nm.len)) break;
        }
    if (!shoal_view_defs(r, x->a, &ds, &n, NULL))
        for (int i = 0; i < n; i++) {
            if (kind && (ds[i].kind.len != strlen(kind) || memcmp(ds[i].kind.ptr, kind, ds[i].kind.len))) continue;
            if (shoal_closest_offer(c, ds[i].name.ptr, ds[i].name.len)) break;
        }
    if (r != x->r) shoal_reader_close(r);
    return shoal_closest_get(c);
}

static const char *view_phrase(int kind)
{
    return kind == SHOAL_VIEW_SCORE ? "a score view" : kind == SHOAL_VIEW_FIRSTLAST ? "a first/last view"
           : kind == SHOAL_VIEW_RETENTION ? "a retention" : kind == SHOAL_VIEW_ACTIVITY ? "an activity"
           : kind == SHOAL_VIEW_EXPERIMENT ? "an experiment's view" : "a counters view";
}

/* w1*type1 + w2*type2 + …: a weight times a type (either order), or a type alone. */
static int score_terms(exec *x, const shoal_node *n, shoal_viewdef *def, int cap)
{
    if (n->kind == SHOAL_AST_BINOP && n->op == SHOAL_OP_ADD)
        return score_terms(x, n->a, def, cap) || score_terms(x, n->b, def, cap);
    double w = 1;
    const shoal_node *t = n;
    if (n->kind == SHOAL_AST_BINOP && n->op == SHOAL_OP_MUL) {
        const shoal_node *k = n->a->kind == SHOAL_AST_NAME ? n->b : n->a;
        t = n->a->kind == SHOAL_AST_NAME ? n->a : n->b;
        if (k->kind == SHOAL_AST_INT) w = (double)k->i;
        else if (k->kind == SHOAL_AST_NUM) w = k->d;
        else t = NULL;
    }
    if (!t || t->kind != SHOAL_AST_NAME)
        return sem(x, n->off, n->len, "a score is a sum of terms WEIGHT*TYPE, e.g. 1*checkin + 5*post");
    if ((int)def->n_series >= cap) return sem(x, n->off, n->len, "a score has at most 64 terms");
    shoal_vseries *s = &def->series[def->n_series++];
    memset(s, 0, sizeof *s);
    s->types = shoal_arena_alloc(x->a, sizeof(shoal_str));
    if (!s->types) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    s->types[0] = (shoal_str){t->s, (uint32_t)t->n};
    s->n_types = 1;
    s->weight = w;
    return 0;
}

static int create_score(exec *x, const shoal_stmt *st, shoal_viewdef *def)
{
    if (st->cols->next || st->cols->alias)
        return sem(x, st->cols->expr->off, st->cols->expr->len, "a score is one sum of weighted types");
    if (!st->value) return sem(x, st->off, st->len, "a score needs HALF_LIFE n DAYS");
    const shoal_node *h = st->value;
    int64_t unit = 0;
    if (h->kind == SHOAL_AST_DURATION) {
        const char *u = h->s;
        if (!strcasecmp(u, "day") || !strcasecmp(u, "days")) unit = 86400000LL;
        else if (!strcasecmp(u, "week") || !strcasecmp(u, "weeks")) unit = 7 * 86400000LL;
        else if (!strcasecmp(u, "hour") || !strcasecmp(u, "hours")) unit = 3600000LL;
    }
    if (!unit || h->i <= 0 || h->i > 100000)
        return sem(x, h->off, h->len, "expected a half-life such as 30 DAYS (DAYS, WEEKS or HOURS)");
    def->half_life_ms = h->i * unit;
    def->series = shoal_arena_alloc(x->a, sizeof(shoal_vseries) * SHOAL_VIEW_MAX_SERIES);
    if (!def->series) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    return score_terms(x, st->cols->expr, def, SHOAL_VIEW_MAX_SERIES);
}

/* The engine's answer rc (details in e) to a CREATE: a name it refuses (taken, or not
 * allowed) is an error at the statement's name, anything else as it is. */
static int at_name(exec *x, const shoal_stmt *st, int rc, const shoal_err *e)
{
    if (rc == SHOAL_ESEMANTIC || rc == SHOAL_EINVAL)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->vname_off, st->vname_len, "%s", e->msg);
    if (rc) return shoal_err_set(x->err, rc, -1, -1, "%s", e->msg);
    return 0;
}

/* The kinds of named definitions: their word, their statement's word, and how a
 * message names one. */
static const char *const def_kinds[][3] = {{"layer", "LAYER", "a layer"}, {"tiers", "TIERS", "tiers"},
                                           {"retention", "RETENTION", "a retention"}, {"activity", "ACTIVITY", "an activity"},
                                           {"experiment", "EXPERIMENT", "an experiment"}};

static int def_index(const char *kind, size_t len)
{
    for (int i = 0; i < 5; i++)
        if (strlen(def_kinds[i][0]) == len && !memcmp(def_kinds[i][0], kind, len)) return i;
    return 0;
}

static const char *def_word(const char *kind) { return def_kinds[def_index(kind, strlen(kind))][1]; }

static const char *def_phrase(const char *kind, size_t len) { return def_kinds[def_index(kind, len)][2]; }

/* Keeps a checked named definition (kind "layer", "tiers", "retention", "activity") as
 * its statement text; a name taken by a view or another definition is an error at the
 * name. */
static int define(exec *x, const shoal_stmt *st, const char *kind)
{
    shoal_namedef d = {{kind, (uint32_t)strlen(kind)}, {st->vname, (uint32_t)strlen(st->vname)},
                       {x->src + st->off, (uint32_t)st->len}};
    shoal_err e;
    shoal_err_clear(&e);
    int rc = at_name(x, st, shoal_view_define(x->db, &d, &e), &e);
    if (!rc) snprintf(x->tag, sizeof x->tag, "CREATE %s %s", def_word(kind), st->vname);
    return rc;
}

/* What holds name now: a view (*vi), a definition (*nd), or neither (0 from both). */
static int lookup(exec *x, const char *name, shoal_viewinfo *vi, shoal_namedef *nd, int *is_view, int *is_def)
{
    shoal_reader *r;
    int rc = shoal_reader_open(x->db, &r, x->err);
    if (rc) return rc;
    *is_view = *is_def = 0;
    rc = shoal_view_info(r, x->a, name, vi, x->err);
    if (rc == SHOAL_ENOTFOUND) {
        shoal_err_clear(x->err);
        rc = shoal_view_def(r, x->a, name, nd, x->err);
        if (rc == SHOAL_ENOTFOUND) shoal_err_clear(x->err), rc = 0;
        else if (!rc) *is_def = 1;
    } else if (!rc) {
        *is_view = 1;
    }
    shoal_reader_close(r);
    return rc;
}

/* A CREATE statement's text from its name on: "CREATE", "OR REPLACE" and the kind
 * word (any case, any blanks) left out, so that a definitions file run again with OR
 * REPLACE finds its views unchanged. */
static shoal_str after_create(shoal_str t)
{
    static const char *const words[] = {"create", "or", "replace", "counters", "score", "layer", "tiers", "retention",
                                        "activity", "experiment"};
    const char *p = t.ptr, *end = t.ptr + t.len;
    for (int i = 0; i < 10; i++) {
        const char *q = p;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
        size_t n = strlen(words[i]);
        if ((size_t)(end - q) <= n || strncasecmp(q, words[i], n) || !strchr(" \t\n\r", q[n])) continue;
        p = q + n;
    }
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return (shoal_str){p, (uint32_t)(end - p)};
}

static int same_text(shoal_str a, shoal_str b)
{
    a = after_create(a);
    b = after_create(b);
    return a.len == b.len && !memcmp(a.ptr, b.ptr, a.len);
}

/* Is a view of this kind a kept definition (a retention, an activity)? */
static int def_view_kind_of(int kind) { return kind == SHOAL_VIEW_RETENTION || kind == SHOAL_VIEW_ACTIVITY; }

/* The view kind a kind of definition is kept as when its events can be (CREATE
 * RETENTION: a retention view), else 0 (kept as its text only). */
static int def_view_kind(const char *kind)
{
    return !strcmp(kind, "retention") ? SHOAL_VIEW_RETENTION : !strcmp(kind, "activity") ? SHOAL_VIEW_ACTIVITY : 0;
}

/* The kind of what holds a name, in a message: "a counters view", "a layer". */
static const char *kind_phrase(int is_view, const shoal_viewinfo *vi, const shoal_namedef *nd)
{
    if (is_view) return view_phrase(vi->def.kind);
    return def_phrase(nd->kind.ptr, nd->kind.len);
}

/* CREATE OR REPLACE LAYER / TIERS: the same statement is the same definition, kept;
 * otherwise the old definition goes first, so that the new one is checked without it
 * (a condition that names it, directly or through another layer, fails as a cycle
 * would, at its position); when the new one fails, the old one is put back. */
static int replace_def(exec *x, const shoal_stmt *st, const char *kind, int (*create)(exec *x, const shoal_stmt *st))
{
    shoal_viewinfo vi;
    shoal_namedef nd;
    int is_view, is_def;
    int rc = lookup(x, st->vname, &vi, &nd, &is_view, &is_def);
    if (rc) return rc;
    /* a definition kept as a view (a retention) is replaced like one kept as text */
    int vk = def_view_kind(kind);
    int same = (is_def && nd.kind.len == strlen(kind) && !memcmp(nd.kind.ptr, kind, nd.kind.len)) ||
               (is_view && vk && vi.def.kind == vk);
    if ((is_view || is_def) && !same)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->vname_off, st->vname_len, "\"%s\" is %s, not %s", st->vname,
                             kind_phrase(is_view, &vi, &nd), def_phrase(kind, strlen(kind)));
    if (!same) return create(x, st);
    shoal_str text = {x->src + st->off, (uint32_t)st->len};
    const char *tz = shoal_tz_name(x->tz);
    /* a view's periods are in its zone: the same text in another zone is another view */
    if (same_text(is_view ? vi.def.text : nd.text, text) &&
        (!is_view || (vi.def.tz.len == strlen(tz) && !memcmp(vi.def.tz.ptr, tz, vi.def.tz.len)))) {
        snprintf(x->tag, sizeof x->tag, "CREATE %s %s (unchanged)", def_word(kind), st->vname);
        /* an experiment kept by an older shoal gets its view */
        return strcmp(kind, "experiment") ? 0 : shoal_expview_ensure(x, st);
    }
    shoal_err e;
    shoal_err_clear(&e);
    if ((rc = is_view ? shoal_view_drop(x->db, st->vname, &e) : shoal_view_undefine(x->db, st->vname, &e)))
        return shoal_err_set(x->err, rc, -1, -1, "%s", e.msg);
    if (!(rc = create(x, st))) {
        strncat(x->tag, " (replaced)", sizeof x->tag - strlen(x->tag) - 1);
        return 0;
    }
    shoal_err_clear(&e);
    if (is_view) {
        /* a view is not put back (its back-fill could fail the same way): say so */
        size_t k = strlen(x->err->msg);
        snprintf(x->err->msg + k, sizeof x->err->msg - k, " (and the old %s is dropped)", kind);
    } else if (shoal_view_define(x->db, &nd, &e)) {
        /* The old definition is lost: say so beside the error that caused it. */
        size_t k = strlen(x->err->msg);
        snprintf(x->err->msg + k, sizeof x->err->msg - k, " (and the old %s is lost: %.80s)", kind, e.msg);
    }
    return rc;
}

/* CREATE LAYER name AS predicate: checked by compiling it as a query would (unknown
 * types, row aggregates, non-conditions fail here, at their positions), then kept as
 * its text; queries compile it again where they name it (plan.c, compile_layer). */
static int create_layer(exec *x, const shoal_stmt *st)
{
    if (st->value) return sem(x, st->opt_off, st->opt_len, "HALF_LIFE belongs to CREATE SCORE");
    if (st->cols->next) return sem(x, st->cols->next->expr->off, st->cols->next->expr->len, "a layer is one condition");
    if (st->cols->alias) return sem(x, st->cols->alias_off, st->cols->alias_len, "a layer's condition takes no alias");
    if (st->cols->expr->kind == SHOAL_AST_STAR) return sem(x, st->cols->expr->off, st->cols->expr->len, "a layer is a condition, e.g. count(post) DURING this_month >= 3");
    int rc = shoal_reader_open(x->db, &x->r, x->err);
    if (rc) return rc;
    rc = shoal_plan_layer_check(x, st, st->cols->expr);
    shoal_reader_close(x->r);
    x->r = NULL;
    if (rc) return rc;
    return define(x, st, "layer");
}

/* The tiers form, "(name WHEN cond, …)": each item's name comes before its condition. */
static int tiers_form(const shoal_stmt *st)
{
    return st->cols->alias && st->cols->alias_off < st->cols->expr->off;
}

/* CREATE TIERS name (core WHEN cond, backbone WHEN cond, …, base OTHERWISE): an
 * ordered classification, first match wins, kept like a layer as its text; FROM
 * tiers(name) compiles it into a CASE (plan.c, compile_tier). */
static int create_tiers(exec *x, const shoal_stmt *st)
{
    if (!tiers_form(st))
        return sem(x, st->cols->expr->off, st->cols->expr->len,
                   "expected CREATE TIERS name (tier WHEN condition, …, tier OTHERWISE)");
    int n_when = 0, rc;
    if ((rc = shoal_reader_open(x->db, &x->r, x->err))) return rc;
    for (const shoal_item *it = st->cols; it && !rc; it = it->next) {
        for (const shoal_item *o = st->cols; o != it && !rc; o = o->next)
            if (!strcasecmp(o->alias, it->alias))
                rc = shoal_err_set(x->err, SHOAL_ESEMANTIC, it->alias_off, it->alias_len, "tier \"%s\" is named twice", it->alias);
        if (rc) break;
        if (it->word) {
            if (strcasecmp(it->expr->s, "otherwise"))
                rc = shoal_err_set(x->err, SHOAL_ESYNTAX, it->expr->off, it->expr->len,
                                   "expected WHEN or OTHERWISE but found \"%s\"", it->expr->s);
            else if (it->next)
                rc = sem(x, it->expr->off, it->expr->len, "OTHERWISE is the last tier");
        } else {
            n_when++;
            rc = shoal_plan_layer_check(x, st, it->expr);
        }
    }
    shoal_reader_close(x->r);
    x->r = NULL;
    if (rc) return rc;
    if (!n_when) return sem(x, st->cols->alias_off, st->cols->alias_len, "tiers need at least one tier WHEN condition");
    return define(x, st, "tiers");
}

/* CREATE RETENTION and CREATE ACTIVITY, checked: kept as a view of their kind (their
 * events compiled into series, back-filled here and kept at ingest), or, when a filter
 * reads what no view can (an event's ts or seq), as their text, read from the log at
 * use. */
static int create_kept(exec *x, const shoal_stmt *st, const char *kind,
                       int (*viewdef)(exec *, const shoal_stmt *, shoal_viewdef *, char *, size_t))
{
    shoal_viewdef def;
    char why[200];
    int rc;
    if ((rc = viewdef(x, st, &def, why, sizeof why)) < 0) return rc;
    if (rc == 1) {
        if ((rc = define(x, st, kind))) return rc;
        size_t k = strlen(x->tag);
        snprintf(x->tag + k, sizeof x->tag - k, " (kept as its text, read from the log: %.120s)", why);
        return 0;
    }
    shoal_err e;
    shoal_err_clear(&e);
    if ((rc = at_name(x, st, shoal_view_create(x->db, &def, &e), &e))) return rc;
    shoal_reader *r;
    shoal_viewinfo vi;
    uint64_t n = 0;
    if (shoal_reader_open(x->db, &r, NULL) == SHOAL_OK) {
        if (shoal_view_info(r, x->a, st->vname, &vi, NULL) == SHOAL_OK) n = vi.seq;
        shoal_reader_close(r);
    }
    snprintf(x->tag, sizeof x->tag, "CREATE %s %s (back-filled %" PRIu64 " event%s)", def_word(kind), st->vname, n,
             n == 1 ? "" : "s");
    return 0;
}

static int create_retention(exec *x, const shoal_stmt *st)
{
    int rc = shoal_retention_create(x, st);
    return rc ? rc : create_kept(x, st, "retention", shoal_retention_viewdef);
}

static int create_activity(exec *x, const shoal_stmt *st)
{
    int rc = shoal_activity_create(x, st);
    return rc ? rc : create_kept(x, st, "activity", shoal_activity_viewdef);
}

/* CREATE EXPERIMENT: checked by experiment.c, kept as its text, and its view made
 * (expview.c); when the view cannot be made, the definition goes too. */
static int create_experiment(exec *x, const shoal_stmt *st)
{
    int rc = shoal_experiment_create(x, st);
    if (!rc) rc = define(x, st, "experiment");
    if (!rc && (rc = shoal_expview_install(x, st))) shoal_view_undefine(x->db, st->vname, NULL);
    return rc;
}

static int discard_row(exec *x, const qval *cols, int n, void *ctx)
{
    (void)x, (void)cols, (void)n, (void)ctx;
    return 0;
}

/* A sum or an avg over a property that holds text is an error in a query (exec_group.c, exec_scan.c), but
 * a view adds the numbers it meets and cannot tell: so CREATE COUNTERS first asks the
 * query its sums answer, from the log, and fails as it would. (Text ingested later is
 * left out by the view unseen: docs/LANGUAGE.md says so.) */
static int check_sums(exec *x, const shoal_stmt *st)
{
    int rc = shoal_reader_open(x->db, &x->r, x->err);
    if (rc) return rc;
    int no_views = x->no_views;
    int (*on_row)(exec *, const qval *, int, void *) = x->on_row;
    x->no_views = 1;
    x->on_row = discard_row;
    for (const shoal_item *it = st->cols; it && !rc; it = it->next) {
        const func *f = it->expr->kind == SHOAL_AST_CALL ? shoal_func_find(it->expr->s) : NULL;
        if (!f || (f->agg != F_SUM && f->agg != F_AVG)) continue;
        shoal_item c;
        memset(&c, 0, sizeof c);
        c.expr = it->expr;
        shoal_stmt q;
        memset(&q, 0, sizeof q);
        q.kind = SHOAL_STMT_SELECT;
        q.from = "members";
        q.cols = &c;
        q.n_cols = 1;
        /* a type or a property not seen yet (a view may come first) has no text to refuse */
        shoal_err quiet, *err = x->err;
        shoal_err_clear(&quiet);
        x->err = &quiet;
        plan *p;
        int bad = shoal_plan_select(x, &q, &p);
        x->err = err;
        if (!bad) rc = shoal_exec_select(x, p, NULL);
    }
    x->no_views = no_views;
    x->on_row = on_row;
    shoal_reader_close(x->r);
    x->r = NULL;
    return rc;
}

static int create_any(exec *x, const shoal_stmt *st);

/* The series' event types that the dictionary does not hold yet, into x->unseen (a view
 * keeps names, so it counts them once they come). */
static int note_unseen_types(exec *x, const shoal_viewdef *def)
{
    shoal_reader *r;
    int rc = shoal_reader_open(x->db, &r, x->err);
    if (rc) return rc;
    for (uint32_t i = 0; i < def->n_series && !rc; i++)
        for (uint32_t t = 0; t < def->series[i].n_types && !rc; t++) {
            const shoal_str *nm = &def->series[i].types[t];
            uint32_t id;
            shoal_err e;
            shoal_err_clear(&e);
            int k = shoal_dict_id(r, SHOAL_NS_TYPE, nm->ptr, nm->len, &id, &e);
            if (k == SHOAL_OK && id <= shoal_dict_count(r, SHOAL_NS_TYPE)) continue;
            if (k != SHOAL_OK && k != SHOAL_ENOTFOUND) {
                rc = shoal_err_set(x->err, k, -1, -1, "%s", e.msg);
                break;
            }
            char buf[128];
            snprintf(buf, sizeof buf, "%.*s", (int)(nm->len < 120 ? nm->len : 120), nm->ptr);
            shoal_plan_unseen(x, buf);
        }
    shoal_reader_close(r);
    return rc;
}

/* A definition may name event types and properties no event has yet (a definitions file
 * loaded into an empty database, then the events): they are compiled as names of no
 * event, and listed in x->unseen, which query.c gives as a warning beside the tag. */
int shoal_views_create(exec *x, const shoal_stmt *st)
{
    x->lax_names++;
    x->note_unseen = 1;
    x->unseen[0] = 0;
    int rc = create_any(x, st);
    x->lax_names--;
    x->note_unseen = 0;
    if (rc) x->unseen[0] = 0;
    return rc;
}

static int create_any(exec *x, const shoal_stmt *st)
{
    shoal_viewdef def;
    memset(&def, 0, sizeof def);
    if (st->w1 && strcasecmp(st->w1, "replace"))
        return shoal_err_set(x->err, SHOAL_ESYNTAX, st->w1_off, st->w1_len, "expected REPLACE after CREATE OR but found \"%s\"",
                             st->w1);
    int replace = st->w1 != NULL;
    int named = !strcasecmp(st->name, "layer") || !strcasecmp(st->name, "tiers") || !strcasecmp(st->name, "retention") ||
                !strcasecmp(st->name, "activity") || !strcasecmp(st->name, "experiment");
    if (named && (is_event_column(st->vname) || !strcasecmp(st->vname, "count") || !strcasecmp(st->vname, "tier")))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->vname_off, st->vname_len, "\"%s\" is a reserved name", st->vname);
    if (!strcasecmp(st->name, "tiers")) return replace ? replace_def(x, st, "tiers", create_tiers) : create_tiers(x, st);
    if (st->exp) {
        if (strcasecmp(st->name, "experiment"))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->name_off, st->name_len,
                                 "only CREATE EXPERIMENT takes ARMS (…): expected %s name AS …", st->name);
        return replace ? replace_def(x, st, "experiment", create_experiment) : create_experiment(x, st);
    }
    if (!strcasecmp(st->name, "experiment"))
        return sem(x, st->vname_off + st->vname_len, 0,
                   "expected CREATE EXPERIMENT name ARMS (arm weight, …) METRICS (name = aggregate WITHIN n DAYS, …) "
                   "[SALT, UNIT, CORRECTION, GUARDRAILS, COVARIATE, CONFIDENCE, TEST or PRIOR clauses] EXPOSURE TYPE [WHERE …]");
    if (st->ret && !st->ret->cohort) {
        /* CREATE ACTIVITY … ON …: checked by activity.c, kept as its text */
        if (strcasecmp(st->name, "activity"))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->name_off, st->name_len,
                                 "unknown kind of view \"%s\" (expected COUNTERS, SCORE, FIRSTLAST, LAYER, TIERS, RETENTION, ACTIVITY or EXPERIMENT)",
                                 st->name);
        return replace ? replace_def(x, st, "activity", create_activity) : create_activity(x, st);
    }
    if (!strcasecmp(st->name, "activity"))
        return sem(x, st->vname_off + st->vname_len, 0, "expected CREATE ACTIVITY name ON TYPE, … [WHERE …]");
    if (st->ret) {
        /* CREATE RETENTION … COHORT BY …: checked by retention.c, kept as its text */
        if (strcasecmp(st->name, "retention"))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->name_off, st->name_len,
                                 "only CREATE RETENTION takes COHORT BY …: expected %s name AS …", st->name);
        return replace ? replace_def(x, st, "retention", create_retention) : create_retention(x, st);
    }
    if (!strcasecmp(st->name, "retention"))
        return sem(x, st->vname_off + st->vname_len, 0,
                   "expected CREATE RETENTION name COHORT BY first(TYPE) PER DAY|WEEK|MONTH ACTIVE ON TYPE, …");
    if (tiers_form(st))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->name_off, st->name_len,
                             "only CREATE TIERS takes (tier WHEN condition, …): expected %s name AS …", st->name);
    if (!strcasecmp(st->name, "layer")) return replace ? replace_def(x, st, "layer", create_layer) : create_layer(x, st);
    if (!strcasecmp(st->name, "counters")) def.kind = SHOAL_VIEW_COUNTERS;
    else if (!strcasecmp(st->name, "score")) def.kind = SHOAL_VIEW_SCORE;
    else if (!strcasecmp(st->name, "firstlast")) def.kind = SHOAL_VIEW_FIRSTLAST;
    else
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->name_off, st->name_len,
                             "unknown kind of view \"%s\" (expected COUNTERS, SCORE, FIRSTLAST, LAYER, TIERS, RETENTION, ACTIVITY or EXPERIMENT)", st->name);
    if (def.kind != SHOAL_VIEW_SCORE && st->value)
        return sem(x, st->value->off, st->value->len, "HALF_LIFE belongs to CREATE SCORE");
    if (is_event_column(st->vname) || !strcasecmp(st->vname, "count"))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->vname_off, st->vname_len, "\"%s\" is a reserved name", st->vname);
    def.name = (shoal_str){st->vname, (uint32_t)strlen(st->vname)};
    def.text = (shoal_str){x->src + st->off, (uint32_t)st->len};
    const char *tz = shoal_tz_name(x->tz);
    def.tz = (shoal_str){tz, (uint32_t)strlen(tz)};
    if (def.kind == SHOAL_VIEW_COUNTERS ? create_counters(x, st, &def)
        : def.kind == SHOAL_VIEW_FIRSTLAST ? create_firstlast(x, st, &def) : create_score(x, st, &def))
        return x->err->code;
    if (def.kind == SHOAL_VIEW_COUNTERS && check_sums(x, st)) return x->err->code;
    if (note_unseen_types(x, &def)) return x->err->code;
    const char *kw = def.kind == SHOAL_VIEW_COUNTERS ? "COUNTERS" : def.kind == SHOAL_VIEW_FIRSTLAST ? "FIRSTLAST" : "SCORE";
    shoal_err e;
    shoal_err_clear(&e);
    int rc, replaced = 0;
    if (replace) {
        /* OR REPLACE: the same statement in the same zone is the same view, kept as it
         * is (a definitions file runs again without back-filling anything); another
         * one replaces a view of its kind (dropped, then created: when the creation
         * fails after the drop, the view is gone and the error says why). */
        shoal_viewinfo vi;
        shoal_namedef nd;
        int is_view, is_def;
        if ((rc = lookup(x, st->vname, &vi, &nd, &is_view, &is_def))) return rc;
        if (is_def || (is_view && vi.def.kind != def.kind))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->vname_off, st->vname_len, "\"%s\" is %s, not %s", st->vname,
                                 kind_phrase(is_view, &vi, &nd), view_phrase(def.kind));
        if (is_view && same_text(vi.def.text, def.text) && vi.def.tz.len == def.tz.len && !memcmp(vi.def.tz.ptr, def.tz.ptr, def.tz.len)) {
            snprintf(x->tag, sizeof x->tag, "CREATE %s %s (unchanged)", kw, st->vname);
            return 0;
        }
        if (is_view && (rc = shoal_view_drop(x->db, st->vname, &e))) return shoal_err_set(x->err, rc, -1, -1, "%s", e.msg);
        replaced = is_view;
    }
    if ((rc = at_name(x, st, shoal_view_create(x->db, &def, &e), &e))) return rc;
    /* The view reflects the log up to its header's sequence: that many events. */
    shoal_reader *r;
    shoal_viewinfo vi;
    uint64_t n = 0;
    if (shoal_reader_open(x->db, &r, NULL) == SHOAL_OK) {
        if (shoal_view_info(r, x->a, st->vname, &vi, NULL) == SHOAL_OK) n = vi.seq;
        shoal_reader_close(r);
    }
    snprintf(x->tag, sizeof x->tag, "CREATE %s %s (%sback-filled %" PRIu64 " event%s)", kw, st->vname,
             replaced ? "replaced; " : "", n, n == 1 ? "" : "s");
    return 0;
}

int shoal_views_drop(exec *x, const shoal_stmt *st)
{
    int want = 0;
    if (!strcasecmp(st->name, "counters")) want = SHOAL_VIEW_COUNTERS;
    else if (!strcasecmp(st->name, "score")) want = SHOAL_VIEW_SCORE;
    else if (!strcasecmp(st->name, "firstlast")) want = SHOAL_VIEW_FIRSTLAST;
    else if (!strcasecmp(st->name, "layer")) want = -1;
    else if (!strcasecmp(st->name, "tiers")) want = -2;
    else if (!strcasecmp(st->name, "retention")) want = -3;
    else if (!strcasecmp(st->name, "activity")) want = -4;
    else if (!strcasecmp(st->name, "experiment")) want = -5;
    else if (strcasecmp(st->name, "view"))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->name_off, st->name_len,
                             "expected DROP VIEW, DROP COUNTERS, DROP SCORE, DROP FIRSTLAST, DROP LAYER, DROP TIERS, DROP RETENTION, DROP ACTIVITY or DROP EXPERIMENT but found \"%s\"", st->name);
    if (st->w1 && (strcasecmp(st->w1, "if") || strcasecmp(st->w2, "exists"))) {
        int bad2 = !strcasecmp(st->w1, "if");
        return shoal_err_set(x->err, SHOAL_ESYNTAX, bad2 ? st->w2_off : st->w1_off, bad2 ? st->w2_len : st->w1_len,
                             "expected IF EXISTS or a name after DROP %s but found \"%s\"", st->name, bad2 ? st->w2 : st->w1);
    }
    static const char *const words[] = {NULL, "layer", "tiers", "retention", "activity", "experiment"};
    static const char *const whats[] = {NULL, "a layer", "tiers", "a retention", "an activity", "an experiment"};
    const char *want_word = want < 0 ? words[-want] : NULL;
    char word[16];
    size_t k = 0;
    for (; st->name[k] && k < sizeof word - 1; k++) word[k] = (char)(st->name[k] >= 'a' && st->name[k] <= 'z' ? st->name[k] - 32 : st->name[k]);
    word[k] = 0;
    shoal_reader *r;
    int rc = shoal_reader_open(x->db, &r, x->err);
    if (rc) return rc;
    shoal_viewinfo vi;
    shoal_namedef nd;
    rc = shoal_view_info(r, x->a, st->vname, &vi, x->err);
    int layer = 0;
    if (rc == SHOAL_ENOTFOUND) {
        rc = shoal_view_def(r, x->a, st->vname, &nd, x->err);
        layer = rc == 0;
    }
    shoal_reader_close(r);
    if (rc == SHOAL_ENOTFOUND && st->w1) {
        snprintf(x->tag, sizeof x->tag, "DROP %s %s (none existed)", word, st->vname);
        return 0;
    }
    if (rc == SHOAL_ENOTFOUND) {
        static const char *const view_words[] = {NULL, "counters", "score", "firstlast"};
        shoal_closest c;
        const char *near = shoal_views_closest(x, st->vname, want > 0 ? view_words[want] : want_word, &c);
        shoal_err_clear(x->err);
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->vname_off, st->vname_len, "no %s named \"%s\"%s%s%s",
                             want_word ? want_word : "view", st->vname, near ? " (did you mean \"" : "", near ? near : "",
                             near ? "\"?)" : "");
    }
    if (rc) return rc;
    shoal_err e;
    shoal_err_clear(&e);
    if (layer) {
        int dk = 1;
        while (dk < 5 && (nd.kind.len != strlen(words[dk]) || memcmp(nd.kind.ptr, words[dk], nd.kind.len))) dk++;
        const char *kind = words[dk];
        if (want > 0 || (want_word && strcmp(want_word, kind)))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->vname_off, st->vname_len, "\"%s\" is %s, not %s",
                                 st->vname, whats[dk],
                                 want > 0 ? view_phrase(want) : whats[-want]);
        if ((rc = shoal_view_undefine(x->db, st->vname, &e))) return shoal_err_set(x->err, rc, -1, -1, "%s", e.msg);
        if (!strcmp(kind, "experiment") && (rc = shoal_expview_drop(x, st->vname))) return rc;
        snprintf(x->tag, sizeof x->tag, "DROP %s %s", word, st->vname);
        return 0;
    }
    if (want < 0 && !(def_view_kind(want_word) && vi.def.kind == def_view_kind(want_word)))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->vname_off, st->vname_len, "\"%s\" is %s, not %s", st->vname,
                             def_view_kind_of(vi.def.kind) ? view_phrase(vi.def.kind) : "a view", whats[-want]);
    if (want > 0 && vi.def.kind != want)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->vname_off, st->vname_len, "\"%s\" is not %s", st->vname,
                             view_phrase(want));
    if ((rc = shoal_view_drop(x->db, st->vname, &e))) return shoal_err_set(x->err, rc, -1, -1, "%s", e.msg);
    snprintf(x->tag, sizeof x->tag, "DROP %s %s", word, st->vname);
    return 0;
}

/* ---------------------------------------------------------------- SHOW VIEWS */

/* The experiment (index in d) whose view v is ("experiment:<name>"), or -1. */
static int view_of_def(const shoal_viewinfo *v, const shoal_namedef *d, int n_d)
{
    shoal_str nm = v->def.name;
    if (nm.len <= 11 || memcmp(nm.ptr, "experiment:", 11)) return -1;
    for (int i = 0; i < n_d; i++)
        if (d[i].name.len == nm.len - 11 && !memcmp(d[i].name.ptr, nm.ptr + 11, d[i].name.len) && d[i].kind.len == 10 &&
            !memcmp(d[i].kind.ptr, "experiment", 10))
            return i;
    return -1;
}

int shoal_views_show(exec *x, shoal_fmt *f)
{
    shoal_viewinfo *v;
    int n, rc;
    if ((rc = shoal_view_list(x->r, x->a, &v, &n, x->err))) return rc;
    static const char *const names[] = {"name", "kind", "definition", "bytes", "per_member", "seq", "behind"};
    if (shoal_fmt_begin(f, names, 7)) return shoal_err_set(x->err, SHOAL_EIO, -1, -1, "cannot write the output");
    uint64_t last = shoal_reader_last_seq(x->r);
    uint32_t members = shoal_dict_count(x->r, SHOAL_NS_MEMBER);
    shoal_namedef *d;
    int n_d;
    if ((rc = shoal_view_defs(x->r, x->a, &d, &n_d, x->err))) return rc;
    for (int i = 0; i < n; i++) {
        char bytes[32], seq[32], behind[32], per[32];
        /* an experiment's view is listed on its experiment's line (below) */
        if (v[i].def.kind == SHOAL_VIEW_EXPERIMENT && view_of_def(&v[i], d, n_d) >= 0) continue;
        snprintf(bytes, sizeof bytes, "%" PRIu64, v[i].bytes);
        snprintf(per, sizeof per, "%.1f", members ? (double)v[i].bytes / members : 0.0);
        snprintf(seq, sizeof seq, "%" PRIu64, v[i].seq);
        snprintf(behind, sizeof behind, "%" PRIu64, last - v[i].seq);
        const char *kind = kind_word(v[i].def.kind);
        cell c[7] = {{v[i].def.name.ptr, v[i].def.name.len, 3}, {kind, strlen(kind), 3},
                     {v[i].def.text.ptr, v[i].def.text.len, 3}, {bytes, strlen(bytes), 2},
                     {per, strlen(per), 2}, {seq, strlen(seq), 2}, {behind, strlen(behind), 2}};
        if (shoal_fmt_row(f, c)) return shoal_err_set(x->err, SHOAL_EIO, -1, -1, "cannot write the output");
    }
    /* Layers keep no state (no bytes), and read the views and the log at the snapshot:
     * they reflect the whole log. */
    char seq[32];
    snprintf(seq, sizeof seq, "%" PRIu64, last);
    for (int i = 0; i < n_d; i++) {
        /* an experiment with its view: the view's size, sequence and lag */
        char bytes[32] = "0", per[32] = "0.0", vseq[32], behind[32] = "0";
        snprintf(vseq, sizeof vseq, "%s", seq);
        for (int j = 0; j < n; j++)
            if (v[j].def.kind == SHOAL_VIEW_EXPERIMENT && view_of_def(&v[j], d, n_d) == i) {
                snprintf(bytes, sizeof bytes, "%" PRIu64, v[j].bytes);
                snprintf(per, sizeof per, "%.1f", members ? (double)v[j].bytes / members : 0.0);
                snprintf(vseq, sizeof vseq, "%" PRIu64, v[j].seq);
                snprintf(behind, sizeof behind, "%" PRIu64, last - v[j].seq);
            }
        cell c[7] = {{d[i].name.ptr, d[i].name.len, 3}, {d[i].kind.ptr, d[i].kind.len, 3},
                     {d[i].text.ptr, d[i].text.len, 3}, {bytes, strlen(bytes), 2}, {per, strlen(per), 2},
                     {vseq, strlen(vseq), 2}, {behind, strlen(behind), 2}};
        if (shoal_fmt_row(f, c)) return shoal_err_set(x->err, SHOAL_EIO, -1, -1, "cannot write the output");
    }
    return 0;
}

int shoal_views_score(exec *x, const char *name, shoal_viewinfo *out)
{
    int rc = shoal_view_info(x->r, x->a, name, out, x->err);
    if (rc == SHOAL_ENOTFOUND) return 0;
    if (rc) return -1;
    return out->def.kind == SHOAL_VIEW_SCORE;
}

/* ---------------------------------------------------------------- the planner */

/* The first local day that starts at or after t (ceil) or at or before t (floor), and
 * the instant it starts. */
static int64_t day_ceil(const shoal_tz *tz, int64_t t, int64_t *start)
{
    int64_t d = shoal_view_day(tz, t);
    if ((*start = shoal_view_day_start(tz, d)) < t) *start = shoal_view_day_start(tz, ++d);
    return d;
}

static int64_t day_floor(const shoal_tz *tz, int64_t t, int64_t *start)
{
    int64_t d = shoal_view_day(tz, t);
    if ((*start = shoal_view_day_start(tz, d)) > t) *start = shoal_view_day_start(tz, --d);
    return d;
}

static void fmt_day(int64_t day, char *buf, size_t n)
{
    int64_t y;
    unsigned m, d;
    shoal_cal_civil_from_days(day, &y, &m, &d);
    snprintf(buf, n, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* A UTC hour (floor(ts / 3600000)) as 2025-06-30T11. */
static void fmt_hour(int64_t h, char *buf, size_t n)
{
    int64_t d = h / 24 - (h < 0 && h % 24), y;
    unsigned m, dd;
    shoal_cal_civil_from_days(d, &y, &m, &dd);
    snprintf(buf, n, "%04lld-%02u-%02uT%02lld", (long long)y, m, dd, (long long)(h - d * 24));
}

/* Whether the log holds no event at or after t and before u, by the zone map (a read
 * per block of 4096 records, from the first block that may hold one): 1 when none, 0
 * when one may (or the map does not cover the log), -1 on an error. Its answers for one
 * statement are kept in c, since a window's end is often shared (now). */
typedef struct quiet {
    int64_t t, u;
    int none;
    int read;   /* log_none read its records: none is exact */
} quiet;

static int log_quiet(exec *x, quiet *c, int n_c, int64_t t, int64_t u)
{
    for (int i = 0; i < n_c && c[i].u; i++)
        if (c[i].t == t && c[i].u == u) return c[i].none;
    /* the span and the latest block first (a cut at noon of the last day: the walk
     * from the first block cost 1.2M instructions at 10M events to find what the last
     * block shows) */
    int none = shoal_zone_may_hold(x->r, t, u, x->err);
    if (none < 0) return -1;
    none = !none;
    for (int i = 0; i < n_c; i++)
        if (!c[i].u) {
            c[i] = (quiet){t, u, none, 0};
            break;
        }
    return none;
}

/* Whether the log holds no event at or after t and before u, exactly: the zone map
 * first (log_quiet), then, when it cannot tell (its fine granules are wider than a
 * millisecond), the records it leaves: those of the blocks that may hold one, entered
 * by a binary search and cut 2^16 ms past u (scan_zone_picks), up to the first in the
 * range. For an edge of a window of at most an hour (what is left to the log around
 * the view's hours): an instant on the hour reads some tens of records, a range that
 * holds events stops at the first. 1 when none, 0 when one, -1 on an error. */
static int log_none(exec *x, quiet *c, int n_c, int64_t t, int64_t u)
{
    int k = log_quiet(x, c, n_c, t, u);
    if (k || u - t > 3600000) return k;
    for (int i = 0; i < n_c && c[i].u; i++)
        if (c[i].t == t && c[i].u == u && c[i].read) return c[i].none;
    int64_t zr[2] = {t, u};
    scan_range sr;
    if (scan_range_open(&sr, x->r, 1, UINT64_MAX, zr, 1, NULL, x->cancel, x->err)) return -1;
    shoal_rec rec;
    int rc;
    k = 1;
    while ((rc = scan_range_next(&sr, &rec)) == 1)
        if (rec.ts >= t && rec.ts < u) {
            k = 0;
            break;
        }
    scan_range_close(&sr);
    x->n_scanned += sr.n;
    if (rc < 0) return -1;
    for (int i = 0; i < n_c; i++)
        if (c[i].t == t && c[i].u == u) {
            c[i].none = k, c[i].read = 1;
            break;
        }
    return k;
}

/* Whether no event of counters view vname's series lies in [t, u): for an instant on a
 * kept hour, the view's instants on the hour say (a now at noon: the windows' edges),
 * else the log (log_none, which then says whether any event does). 1 when none, 0 when
 * one may, -1 on an error. */
static int edge_none(exec *x, const char *vname, quiet *c, int n_c, int64_t t, int64_t u)
{
    if (u - t == 1) {
        int none = 0, k = shoal_view_counters_instant(x->r, vname, t, &none, x->err);
        if (k < 0) return -1;
        if (k) return none;
    }
    return log_none(x, c, n_c, t, u);
}

/* Finds a series of a counters view that answers g; 1 when found (g's view fields
 * set), 0 with the reason in why. A view answers the whole local days of the window
 * (in the view's zone); what the window holds before the first and after the last of
 * them (last 7 DAYS ends at now, mid-day) is left to the log (MG_EDGE), whose scan the
 * zone map narrows to those hours. */
static int cover(exec *x, magg *g, shoal_viewinfo *v, int n, quiet *qc, int n_qc, char *why, size_t n_why)
{
    shoal_vseries want;
    int fn;
    shoal_err *saved = x->err, quiet;
    shoal_err_clear(&quiet);
    x->err = &quiet;
    int bad = series_of(x, g->node, &want, &fn);
    x->err = saved;
    if (bad) {
        snprintf(why, n_why, "%.60s is not kept by views (%.100s)", g->desc, quiet.msg);
        return 0;
    }
    int64_t lo = g->has_win ? g->win.lo : INT64_MIN, hi = g->has_win ? g->win.hi : INT64_MAX;
    snprintf(why, n_why, "no counters view has a series for %.100s", g->desc);
    /* A series that answers the whole window wins; else the one with the most whole
     * days in it. */
    int best = -1;
    uint32_t best_s = 0;
    int64_t bdlo = 0, bdhi = 0, bslo = 0, bshi = 0, behi = 0;
    for (int i = 0; i < n; i++) {
        if (v[i].def.kind != SHOAL_VIEW_COUNTERS) continue;
        for (uint32_t s = 0; s < v[i].def.n_series; s++) {
            const shoal_vseries *se = &v[i].def.series[s];
            if (!same_events(se, &want) || (want.sum_prop.len && !same_str(se->sum_prop, want.sum_prop))) continue;
            char tzname[128];
            snprintf(tzname, sizeof tzname, "%.*s", (int)v[i].def.tz.len, v[i].def.tz.ptr);
            shoal_tz *tz = NULL;
            if (strcmp(tzname, shoal_tz_name(x->tz)) && shoal_tz_new(tzname, NULL, &tz, NULL)) continue;
            const shoal_tz *z = tz ? tz : x->tz;
            int64_t dlo = INT32_MIN, dhi = (int64_t)INT32_MAX + 1, slo = INT64_MIN, shi = INT64_MAX;
            /* A window that ends mid-day (at now) when the log holds no event from its
             * end to the end of that day is that whole day: the view answers it, and no
             * log is read (now is the wall clock and the latest event came before it). */
            int64_t ehi = hi, s_end;
            if (hi != INT64_MAX && hi != INT64_MIN) {
                day_ceil(z, hi, &s_end);
                int k = s_end > hi ? log_quiet(x, qc, n_qc, hi, s_end) : 0;
                if (k < 0) {
                    shoal_tz_free(tz);
                    return 0;
                }
                if (k) ehi = s_end;
            }
            if (lo != INT64_MIN) dlo = day_ceil(z, lo, &slo);
            if (ehi != INT64_MAX) dhi = day_floor(z, ehi, &shi);
            shoal_tz_free(tz);
            if (dlo >= dhi) {
                if (best < 0)
                    snprintf(why, n_why, "the window of %.60s holds no whole day in %.40s, the zone of view %.*s",
                             g->desc, tzname, (int)(v[i].def.name.len > 40 ? 40 : v[i].def.name.len), v[i].def.name.ptr);
                continue;
            }
            int whole = slo == lo && shi == ehi;
            if (best < 0 || whole || dhi - dlo > bdhi - bdlo) {
                best = i, best_s = s, bdlo = dlo, bdhi = dhi, bslo = slo, bshi = shi, behi = ehi;
                if (whole) goto found;
            }
        }
    }
    if (best < 0) return 0;
found:
    g->vname = shoal_arena_strndup(x->a, v[best].def.name.ptr, v[best].def.name.len);
    if (!g->vname) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"), 0;
    /* The partial days at the window's edges: their whole UTC hours from the view's
     * hour buckets when it keeps them (the recent days, from h0 on), so that less than
     * an hour at each edge is left to the log. The hours must meet the days: a zone
     * whose days start on the hour. */
    int64_t hlo = bslo, hhi = bshi, h0;
    memset(g->hours, 0, sizeof g->hours);
    int hk = shoal_view_counters_hours(x->r, g->vname, &h0, x->err);
    if (hk < 0) return 0;
    if (hk) {
        int64_t H = 3600000;
        if (lo != INT64_MIN && lo < bslo && bslo % H == 0) {
            int64_t a = lo / H + (lo % H > 0);   /* the first whole hour at or after lo */
            /* The hour that holds lo read whole when the log holds no event in it before
             * lo: a window that starts just after an hour (last 30 days at a noon now is
             * (12:00, ..], its first instant 12:00:00.001) then needs no log at its start,
             * where it read the hour less its first millisecond (an hour of events). */
            int64_t f = a - (lo % H > 0), k = 0;
            if (f < a && f >= h0 && f < bslo / H && (k = edge_none(x, g->vname, qc, n_qc, f * H, lo)) < 0) return 0;
            if (k) a = f;
            if (a < h0) a = h0;
            if (a < bslo / H) g->hours[0] = a, g->hours[1] = bslo / H, hlo = a * H < lo ? lo : a * H;
        }
        if (behi != INT64_MAX && bshi < behi && bshi % H == 0 && bshi / H >= h0) {
            int64_t b = behi / H - (behi < 0 && behi % H);   /* the last whole hour ends at b·H */
            if (b > bshi / H) g->hours[2] = bshi / H, g->hours[3] = b, hhi = b * H;
        }
    }
    /* What is left at either edge for the log, when the log holds no event there, is
     * none: a window that ends just after an hour (at a noon now, its last instant
     * 12:00:00.000) then reads no log (the zone map's probe, where the scan read the
     * block that holds the instant for a member array's edge). */
    if (lo != INT64_MIN && lo < hlo) {
        int k = edge_none(x, g->vname, qc, n_qc, lo, hlo);
        if (k < 0) return 0;
        if (k) hlo = lo;
    }
    if (behi != INT64_MAX && hhi < behi) {
        int k = edge_none(x, g->vname, qc, n_qc, hhi, behi);
        if (k < 0) return 0;
        if (k) hhi = behi;
    }
    if (fn == F_SUM || fn == F_AVG) {
        /* The scan refuses to sum text: when an event of these days held text in the
         * property, the log is read, and its scan gives the error (or, for a member or
         * an hour the statement leaves out, the answer) as it would with views off. */
        int text;
        if (shoal_view_counters_text(x->r, g->vname, best_s, bdlo, bdhi, g->hours, &text, x->err)) return 0;
        if (text) {
            snprintf(why, n_why, "%.60s: view %.40s saw text in the property in this window", g->desc, g->vname);
            return 0;
        }
    }
    g->vseries = best_s;
    g->day_lo = bdlo;
    g->day_hi = bdhi;
    g->src = hlo != lo || hhi != behi ? MG_EDGE : MG_VIEW;
    g->hole.lo = hlo;
    g->hole.hi = hhi;
    char a[16], b[16];
    int k;
    if (bdlo == INT32_MIN && bdhi == (int64_t)INT32_MAX + 1) {
        k = snprintf(g->vdesc, sizeof g->vdesc, "counters %s, series %u, every day", g->vname, best_s + 1);
    } else {
        fmt_day(bdlo, a, sizeof a);
        fmt_day(bdhi - 1, b, sizeof b);
        k = snprintf(g->vdesc, sizeof g->vdesc, "counters %s, series %u, days %s..%s", g->vname, best_s + 1,
                     bdlo == INT32_MIN ? "start" : a, bdhi == (int64_t)INT32_MAX + 1 ? "end" : b);
    }
    for (int e = 0; e < 2 && k > 0 && (size_t)k < sizeof g->vdesc; e++) {
        if (g->hours[2 * e] >= g->hours[2 * e + 1]) continue;
        char t0[24], t1[24];
        fmt_hour(g->hours[2 * e], t0, sizeof t0);
        fmt_hour(g->hours[2 * e + 1] - 1, t1, sizeof t1);
        k += snprintf(g->vdesc + k, sizeof g->vdesc - (size_t)k, ", hours %s..%s UTC", t0, t1);
    }
    if (g->src == MG_EDGE && k > 0 && (size_t)k < sizeof g->vdesc)
        snprintf(g->vdesc + k, sizeof g->vdesc - (size_t)k, ", and the log for the rest of the window");
    return 1;
}

/* first() and last() from a first/last view, which keeps each member's earliest and
 * latest event time of a series over the whole log. first() over a window [lo, hi) that
 * starts at or before the view's earliest event is exact from it: the kept first when
 * it is before hi, else none (the member had no such event before hi). Symmetrically
 * last() over a window that ends after the view's latest event. Any other window (AS
 * OF a time before the latest event, for last(); a window that starts later, for
 * first()) needs events the view does not keep: the log. 1 when covered (g's view
 * fields set), 0 with the reason in why. */
static int cover_firstlast(exec *x, magg *g, shoal_viewinfo *v, int n, char *why, size_t n_why)
{
    shoal_vseries want;
    int fn;
    shoal_err *saved = x->err, quiet;
    shoal_err_clear(&quiet);
    x->err = &quiet;
    int bad = g->anchor || series_of(x, g->node, &want, &fn);
    x->err = saved;
    if (bad) {
        snprintf(why, n_why, "%.60s is not kept by views (%.100s)", g->desc,
                 g->anchor ? "a window anchored on a member's event" : quiet.msg);
        return 0;
    }
    int last = fn == F_LAST;
    int64_t lo = g->has_win ? g->win.lo : INT64_MIN, hi = g->has_win ? g->win.hi : INT64_MAX;
    snprintf(why, n_why, "no first/last view keeps %.100s", g->desc);
    for (int i = 0; i < n; i++) {
        if (v[i].def.kind != SHOAL_VIEW_FIRSTLAST) continue;
        for (uint32_t s = 0; s < v[i].def.n_series; s++) {
            const shoal_vseries *se = &v[i].def.series[s];
            if (!same_events(se, &want) || !(((unsigned)se->weight >> last) & 1)) continue;
            int empty = v[i].max_ts == INT64_MIN;
            int vn = v[i].def.name.len > 40 ? 40 : (int)v[i].def.name.len;
            if (!empty && (last ? hi <= v[i].max_ts : lo > v[i].t0)) {
                snprintf(why, n_why, "%.60s: its window %s view %.*s's %s event, which keeps only each member's %s",
                         g->desc, last ? "ends before" : "starts after", vn, v[i].def.name.ptr, last ? "latest" : "earliest",
                         last ? "latest" : "earliest");
                continue;
            }
            g->vname = shoal_arena_strndup(x->a, v[i].def.name.ptr, v[i].def.name.len);
            if (!g->vname) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"), 0;
            g->vseries = s;
            g->src = MG_VIEW;
            snprintf(g->vdesc, sizeof g->vdesc, "firstlast %s, series %u, each member's %s event%s", g->vname, s + 1,
                     last ? "latest" : "earliest",
                     (last ? lo != INT64_MIN : hi != INT64_MAX) ? (last ? " (none when before the window)" : " (none when at or after the window's end)") : "");
            return 1;
        }
    }
    return 0;
}

/* The time ranges a members scan must read: the windows of the aggregates it feeds,
 * less what views answer. None (n_zr 0) when one of them is unbounded. */
static int scan_ranges(exec *x, plan *p)
{
    int k = 0;
    for (int i = 0; i < p->n_maggs; i++) {
        const magg *g = &p->maggs[i];
        if (g->src == MG_VIEW || g->anchor) continue;   /* anchored: anchor.c's pass */
        if (!g->has_win) return 0;
        k += g->src == MG_EDGE ? 2 : 1;
    }
    if (!(p->zr = shoal_arena_alloc(x->a, sizeof *p->zr * (size_t)(2 * k + 2))))
        return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    int n = 0;
    for (int i = 0; i < p->n_maggs; i++) {
        const magg *g = &p->maggs[i];
        int64_t r[4];
        int k2 = 0;
        if (g->anchor) continue;
        if (g->src == MG_SCAN) {
            r[k2++] = g->win.lo, r[k2++] = p->cut_ts != INT64_MAX && p->cut_ts + 1 < g->win.hi ? p->cut_ts + 1 : g->win.hi;
        } else if (g->src == MG_EDGE) {
            if (g->win.lo < g->hole.lo) r[k2++] = g->win.lo, r[k2++] = g->hole.lo;
            if (g->hole.hi < g->win.hi) r[k2++] = g->hole.hi, r[k2++] = g->win.hi;
        }
        memcpy(p->zr + 2 * n, r, sizeof r[0] * (size_t)k2);
        n += k2 / 2;
    }
    /* In order of their starts, those that meet or touch merged: the edges of several
     * aggregates at the same cut (AS OF, now) are one range. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && p->zr[2 * j] < p->zr[2 * j - 2]; j--) {
            int64_t t0 = p->zr[2 * j], t1 = p->zr[2 * j + 1];
            p->zr[2 * j] = p->zr[2 * j - 2], p->zr[2 * j + 1] = p->zr[2 * j - 1];
            p->zr[2 * j - 2] = t0, p->zr[2 * j - 1] = t1;
        }
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (p->zr[2 * i] >= p->zr[2 * i + 1]) continue;   /* empty */
        if (m && p->zr[2 * i] <= p->zr[2 * m - 1]) {
            if (p->zr[2 * i + 1] > p->zr[2 * m - 1]) p->zr[2 * m - 1] = p->zr[2 * i + 1];
            continue;
        }
        p->zr[2 * m] = p->zr[2 * i], p->zr[2 * m + 1] = p->zr[2 * i + 1];
        m++;
    }
    n = m;
    /* Every window empty: one empty range, so that the scan reads nothing. */
    if (!n) p->zr[0] = p->zr[1] = 0, n = 1;
    p->n_zr = n;
    return 0;
}

/* rise from its score view: the view gives the score at any instant of the events
 * before a bound no event is at or after; for an earlier bound the events from it on
 * are read from the log and taken out (exec_views.c read_rise). Their share is subtracted
 * from the view's sum, and the remainder scaled up by 2 per half-life between the
 * instant and the latest event: beyond this many half-lives the rounding of the
 * subtraction (about 2^-53 of the sum per event) could show in the ninth decimal, so
 * the log is scanned instead. */
#define RISE_MAX_HALF_LIVES 10

/* The largest weight a score's view is read for: its sums are relative to an epoch up
 * to 2^512 behind the latest event (view_score.c), so a weight above 2^400 (some
 * 2.6e120) could overflow there where the scan's, relative to now, does not; such a
 * score is scanned (the differential test's 1e308 a post). */
#define SCORE_VIEW_MAX_WEIGHT 0x1p400

/* 1 when every weight of score or rise g is at most SCORE_VIEW_MAX_WEIGHT, else 0
 * with why. */
static int weights_fit(const magg *g, char *why, size_t n_why)
{
    if (g->w_max <= SCORE_VIEW_MAX_WEIGHT) return 1;
    snprintf(why, n_why, "%.60s has a weight above 2^400, which view %.40s's sums could overflow", g->desc, g->vname);
    return 0;
}

static int cover_rise(exec *x, magg *g, char *why, size_t n_why)
{
    shoal_viewinfo vi;
    int k = shoal_views_score(x, g->vname, &vi);
    if (k < 0) return -1;
    int64_t from = g->t_lo == INT64_MIN ? g->b_hi : g->b_lo;
    g->tail = vi.max_ts != INT64_MIN && vi.max_ts >= from;
    if (g->tail && (double)(vi.max_ts - from) > RISE_MAX_HALF_LIVES * (double)g->half_life) {
        snprintf(why, n_why, "%.60s starts more than %d half-lives before the latest event, too far to take from view %.40s",
                 g->desc, RISE_MAX_HALF_LIVES, g->vname);
        g->tail = 0;
        return 0;
    }
    snprintf(g->vdesc, sizeof g->vdesc, "%s", g->tail ? "from its view less the log's events from the earlier bound on"
                                                       : "from its view (no event is at or after either bound)");
    return 1;
}

/* Whether WHERE holds only for members with an event by the cut; then who the members
 * were then needs no aggregate of its own (a member without one fails WHERE). Such a
 * member's: `first(x) IS NOT NULL` or `last(x) IS NOT NULL`, and a count compared so
 * that it holds only above 0 (`count(x) DURING w >= 3`, `> 0`, `= 2`), not anchored:
 * every window ends at the cut (shoal_views_plan clips them), so a count above 0 is an
 * event by then. An AND holds so when either side does, an OR when both do, a layer
 * (`member IN name`, compiled to CASE WHEN its condition THEN TRUE ELSE FALSE) when its
 * condition does. The bench's core creator at a mid-day now read 11 month buckets and
 * 29 day buckets of count(*) (2.2 MB) for nothing. */
static int where_implies_event(const plan *p, const cx *e)
{
    if (!e) return 0;
    if (e->op == X_AND) return where_implies_event(p, e->a) || where_implies_event(p, e->b);
    if (e->op == X_OR) return where_implies_event(p, e->a) && where_implies_event(p, e->b);
    if (e->op == X_CASE && !e->a && e->n == 2 && e->v[1]->op == X_CONST && e->v[1]->k.t == V_BOOL && e->v[1]->k.u.i &&
        (!e->c || (e->c->op == X_CONST && (e->c->k.t == V_NULL || (e->c->k.t == V_BOOL && !e->c->k.u.i)))))
        return where_implies_event(p, e->v[0]);
    if (e->op == X_CMP && e->a && e->a->op == X_MAGG && e->b && e->b->op == X_CONST &&
        (e->b->k.t == V_INT || e->b->k.t == V_NUM)) {
        const magg *g = &p->maggs[e->a->slot];
        if (g->fn != F_COUNT || g->anchor) return 0;
        double c = e->b->k.t == V_INT ? (double)e->b->k.u.i : e->b->k.u.d;
        return (e->sub == SHOAL_OP_GE && c > 0) || (e->sub == SHOAL_OP_GT && c >= 0) || (e->sub == SHOAL_OP_EQ && c > 0);
    }
    if (e->op != X_ISNULL || !e->sub || !e->a || e->a->op != X_MAGG) return 0;
    const magg *g = &p->maggs[e->a->slot];
    return (g->fn == F_FIRST || g->fn == F_LAST) && !g->anchor;
}

/* Whether the rows are the k members with the highest score (ORDER BY a score DESC …
 * LIMIT k, no WHERE, no grouping: shoal_exec_top_target) of a score whose weights are
 * none negative: a member whose score as of the cut is above 0 has an event by then,
 * so when the k best are all above 0, who the members were then changes nothing, and
 * its aggregate is read only when they are not (exec_views.c shoal_exec_exist_lazy).
 * A member with no event by then has a score of 0: its events are all in the tail the
 * view's sum is taken out of (read_rise), and a remainder that cannot tell a dwarfed
 * share from rounding is settled from the view's first hours or the log (score_exact:
 * 0 exactly, or the share). */
static int top_implies_event(const plan *p)
{
    size_t k;
    int s = shoal_exec_top_target(p, &k);
    if (s < 0 || !p->desc[0]) return 0;
    const magg *g = &p->maggs[s];
    if (g->fn != F_SCORE || !g->w) return 0;
    for (uint32_t t = 0; t <= p->n_types; t++)
        if (!(g->w[t] >= 0)) return 0;
    return 1;
}

/* Who the members were as of the cut is count(*) over (-inf, cut] above 0. When another
 * aggregate counts every event over [lo, cut] (`count(*) DURING last 30 days`, its
 * window clipped to the cut), that is: count(*) over (-inf, w) above 0, or that one
 * above 0, for any w in [lo, cut + 1]. w is the first local day start at or after lo
 * (the view then reads whole days, and whole months as far as they go: at a noon now
 * with `last 30 days`, eleven month buckets instead of them and the 29 day buckets
 * of the cut's month, 0.6 MB of entries fewer at 10M events, and no edge), or lo when
 * that is after the cut. The existence aggregate's window is cut to (-inf, w) and
 * exist_or names the other (exec_members.c ORs the two). */
static void exist_with_count(exec *x, plan *p)
{
    magg *e = &p->maggs[p->exist - 1];
    for (int i = 0; i < p->n_maggs; i++) {
        const magg *a = &p->maggs[i];
        if (i == p->exist - 1 || a->fn != F_COUNT || a->types || a->filter || a->arg || a->anchor || !a->has_win ||
            a->win.hi != p->cut_ts + 1 || a->win.lo >= a->win.hi || a->win.lo == INT64_MIN)
            continue;
        int64_t w = a->win.lo, s;
        day_ceil(x->tz, w, &s);
        if (s <= p->cut_ts + 1) w = s;
        e->win.hi = w;
        if (e->win.lo > w) e->win.lo = w;
        p->exist_or = i + 1;
        snprintf(e->desc, sizeof e->desc, "count(*) up to a day within #%d's window (who the members were: this or #%d above 0)", i + 1, i + 1);
        return;
    }
}

/* The views' list for a plan: a PER statement's periods (x->cum) read it once between
 * them, kept in the cum's arena (core creators per month: 13 plans read and decoded
 * every view's definition, 0.33M instructions a statement); else read into x->a. Not
 * changed by the plans (they read it). */
static int views_listed(exec *x, shoal_viewinfo **v, int *n)
{
    shoal_cumread *c = x->cum;
    if (!c || (c->views_a && c->views_r != x->r)) return shoal_view_list(x->r, x->a, v, n, x->err);
    if (!c->views_a) {
        if (!(c->views_a = shoal_arena_new())) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
        int rc = shoal_view_list(x->r, c->views_a, &c->views, &c->n_views, x->err);
        if (rc) {
            shoal_arena_free(c->views_a);
            c->views_a = NULL;
            return rc;
        }
        c->views_r = x->r;
    }
    *v = c->views;
    *n = c->n_views;
    return 0;
}

int shoal_views_plan(exec *x, plan *p)
{
    snprintf(p->why, sizeof p->why, "no view covers this query");
    if (p->src != SRC_MEMBERS) return 0;
    /* As of the whole log, the members are the dictionary's: every interned member has
     * at least one event (they commit together), so rows need no scan to be found. */
    p->members_all = p->max_seq == shoal_reader_last_seq(x->r) && p->cut_ts == INT64_MAX;
    p->exist = p->exist_lazy = p->exist_or = 0;
    if (!p->n_maggs && p->cut_ts == INT64_MAX) {
        p->from_views = p->members_all;
        return 0;
    }
    shoal_viewinfo *v;
    int n, rc;
    if ((rc = views_listed(x, &v, &n))) return rc;
    p->n_views = n;
    if (!n) goto scan;
    if (x->no_views) {
        snprintf(p->why, sizeof p->why, "views are off (SET VIEWS = off)");
        goto scan;
    }
    if (p->max_seq != shoal_reader_last_seq(x->r)) {
        snprintf(p->why, sizeof p->why, "views reflect the whole log, not AS OF SEQ");
        goto scan;
    }
    if (p->cut_ts != INT64_MAX) {
        /* AS OF a date: the members then are those with an event by then, which one more
         * aggregate tells, count(*) up to the cut (views answer it when one keeps
         * count(*)); the rows are the members for whom it is not 0. */
        static const shoal_node star = {.kind = SHOAL_AST_CALL, .flags = SHOAL_AST_F_STAR, .s = "count", .n = 5};
        /* … unless WHERE keeps only members with an event by then (their first join
         * by then: the newcomers' question at a mid-day now) */
        int implied = where_implies_event(p, p->where);
        magg *m = shoal_arena_alloc(x->a, (size_t)(p->n_maggs + 1) * sizeof *m);
        if (!m) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
        if (p->n_maggs) memcpy(m, p->maggs, (size_t)p->n_maggs * sizeof *m);   /* maggs is NULL when none */
        memset(&m[p->n_maggs], 0, sizeof *m);
        m[p->n_maggs].fn = F_COUNT;
        m[p->n_maggs].node = &star;
        m[p->n_maggs].has_win = 1;
        m[p->n_maggs].win = (trange){INT64_MIN, p->cut_ts + 1};
        snprintf(m[p->n_maggs].desc, sizeof m->desc, "count(*) as of then (who the members were)");
        p->maggs = m;
        if (!implied) p->exist = ++p->n_maggs;
        p->members_all = 1;
        /* Every window ends at the cut, written into the aggregate's own window (an
         * aggregate without DURING gets one, [start, cut]): the view's whole days, the
         * hole, and the scan's edge are then worked out from the same range. Left
         * implicit, an aggregate without DURING had its view read up to the cut's day
         * while the scan, which skips the hole only inside a window, added those days
         * again. A score or rise has no window of events (every earlier event counts,
         * decayed) and is cut by now. */
        for (int i = 0; i < p->n_maggs; i++) {
            magg *g = &p->maggs[i];
            if (g->fn == F_SCORE || g->fn == F_RISE) continue;
            if (!g->has_win) g->has_win = 1, g->win = (trange){INT64_MIN, INT64_MAX};
            if (g->win.hi > p->cut_ts + 1) g->win.hi = p->cut_ts + 1;
            if (g->win.hi < g->win.lo) g->win.hi = g->win.lo;
        }
        if (p->exist && !top_implies_event(p)) exist_with_count(x, p);
    }
    int n_scan = 0, n_edge = 0;
    char why[200], first[200];
    quiet qc[8];
    memset(qc, 0, sizeof qc);
    for (int i = 0; i < p->n_maggs; i++) {
        magg *g = &p->maggs[i];
        g->src = MG_SCAN;
        /* A window anchored on the member's event is read by anchor.c's pass over the
         * log once the anchors are known, not by the scan: when views answer the
         * anchors (a first/last view) and the rest, that pass is the only one. */
        if (g->anchor) continue;
        if ((g->fn == F_SCORE || g->fn == F_RISE) && !weights_fit(g, why, sizeof why)) {
            /* scanned */
        } else if (g->fn == F_SCORE) {
            shoal_viewinfo vi;
            int k = shoal_views_score(x, g->vname, &vi);
            if (k < 0) return x->err->code;
            if (vi.max_ts != INT64_MIN && vi.max_ts > p->now) {
                /* Events after now (or AS OF a date): the score at now of the events up
                 * to now is a rise over all time, read as rise reads it from the view,
                 * the events after now taken out. */
                g->t_lo = g->b_lo = INT64_MIN;
                g->t_hi = p->now;
                g->b_hi = p->now + 1;
                int k = cover_rise(x, g, why, sizeof why);
                if (k < 0) return x->err->code;
                if (k) {
                    snprintf(g->vdesc, sizeof g->vdesc, "score %.64s as of now, from its view less the log's later events",
                             g->vname);
                    g->src = MG_VIEW;
                } else {
                    g->tail = 0;
                    snprintf(why, sizeof why, "score %.64s as of now is more than %d half-lives before its latest event",
                             g->vname, RISE_MAX_HALF_LIVES);
                }
            } else {
                snprintf(g->vdesc, sizeof g->vdesc, "score %.64s, decayed to now", g->vname);
                g->src = MG_VIEW;
            }
        } else if (g->fn == F_RISE) {
            int k = cover_rise(x, g, why, sizeof why);
            if (k < 0) return x->err->code;
            if (k) g->src = MG_VIEW;
        } else if (g->fn == F_FIRST || g->fn == F_LAST) {
            if (!cover_firstlast(x, g, v, n, why, sizeof why) && x->err->code) return x->err->code;
        } else if (!cover(x, g, v, n, qc, 8, why, sizeof why) && x->err->code) {
            return x->err->code;
        }
        if (i == p->exist - 1 && g->src != MG_SCAN && top_implies_event(p)) {
            /* read later, if at all, by shoal_exec_exist_lazy: neither a view read nor
             * the scan's edge now */
            p->exist_lazy = g->src;
            g->src = MG_VIEW;
            char *e = strstr(g->vdesc, ", and the log for the rest of the window");
            if (e) *e = 0;
            size_t k = strlen(g->vdesc);
            snprintf(g->vdesc + k, sizeof g->vdesc - k, "%s, only when the top rows' scores are not all above 0",
                     p->exist_lazy == MG_EDGE ? " and the log" : "");
        }
        if (g->src == MG_SCAN && !n_scan++) snprintf(first, sizeof first, "%s", why);
        n_edge += g->src == MG_EDGE;
    }
    p->from_views = !n_scan && !n_edge;
    if (p->from_views) return 0;
    if (!n_scan)
        snprintf(p->why, sizeof p->why, "for the part of a window outside the whole days that views answer");
    else if (n_scan < p->n_maggs)
        snprintf(p->why, sizeof p->why, "views answer the rest; %s", first);
    else
        snprintf(p->why, sizeof p->why, "%s", first);
scan:
    return p->members_all ? scan_ranges(x, p) : 0;
}
