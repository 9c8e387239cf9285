/* rowsrc.c — the table of row sources (rowsrc.h): FROM flow(name), transitions(name)
 * and retention(name). Adding a source is adding its file and its row here.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rowsrc.h"
#include "scan.h"

static const shoal_rowsrc sources[] = {
    {"flow", shoal_flow_plan, shoal_flow_rows, shoal_flow_explain},
    {"transitions", shoal_flow_plan, shoal_flow_rows, shoal_flow_explain},
    {"retention", shoal_retention_plan, shoal_retention_rows, shoal_retention_explain},
    {"activity", shoal_activity_plan, shoal_activity_rows, shoal_activity_explain},
    {"lifecycle", shoal_lifecycle_plan, shoal_activity_rows, shoal_activity_explain},
    {"stickiness", shoal_stickiness_plan, shoal_activity_rows, shoal_activity_explain},
    {"experiment", shoal_experiment_plan, shoal_experiment_rows, shoal_experiment_explain},
};

const char shoal_rowsrc_names[] = "flow, transitions, retention, activity, lifecycle, stickiness, experiment";

const shoal_rowsrc *shoal_rowsrc_find(const char *name)
{
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (!strcasecmp(name, sources[i].name)) return &sources[i];
    return NULL;
}

/* ---------------------------------------------------------------- conditions on members */

/* Does n name one of the rows' columns (or a select item's alias)? */
static int names_row(const shoal_stmt *st, const char *const *names, int n_names, const shoal_node *n)
{
    if (!n) return 0;
    if (n->kind == SHOAL_AST_NAME) {
        for (int i = 0; i < n_names; i++)
            if (!strcasecmp(n->s, names[i])) return 1;
        for (const shoal_item *it = st->cols; it; it = it->next)
            if (it->alias && !strcasecmp(it->alias, n->s)) return 1;
    }
    if (names_row(st, names, n_names, n->a) || names_row(st, names, n_names, n->b) ||
        names_row(st, names, n_names, n->c))
        return 1;
    if (n->list)
        for (const shoal_node *q = n->list->head; q; q = q->next)
            if (names_row(st, names, n_names, q)) return 1;
    return 0;
}

/* Is n about members: does it name `member`, a layer or an aggregate? */
static int names_member(const shoal_node *n)
{
    if (!n) return 0;
    if (n->kind == SHOAL_AST_NAME && !strcasecmp(n->s, "member")) return 1;
    if (n->kind == SHOAL_AST_INLAYER || n->kind == SHOAL_AST_CALL) return 1;
    if (names_member(n->a) || names_member(n->b) || names_member(n->c)) return 1;
    if (n->list)
        for (const shoal_node *q = n->list->head; q; q = q->next)
            if (names_member(q)) return 1;
    return 0;
}

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

shoal_node *shoal_rowsrc_and(exec *x, shoal_node *l, shoal_node *r)
{
    if (!l || !r) return l ? l : r;
    shoal_node *n = shoal_arena_alloc(x->a, sizeof *n);
    if (!n) {
        nomem(x);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->kind = SHOAL_AST_BINOP;
    n->op = SHOAL_OP_AND;
    n->a = l;
    n->b = r;
    n->off = l->off;
    n->len = r->off + r->len - l->off;
    return n;
}

/* Splits WHERE's AND-ed conditions into those about members (*mem) and the rest
 * (*rows). 0 or out of memory. */
static int split_where(exec *x, const shoal_stmt *st, const char *const *names, int n_names, shoal_node *w,
                       shoal_node **mem, shoal_node **rows)
{
    if (!w) return 0;
    if (w->kind == SHOAL_AST_BINOP && w->op == SHOAL_OP_AND)
        return split_where(x, st, names, n_names, w->a, mem, rows) || split_where(x, st, names, n_names, w->b, mem, rows);
    shoal_node **to = names_member(w) && !names_row(st, names, n_names, w) ? mem : rows;
    shoal_node *n = shoal_rowsrc_and(x, *to, w);
    if (!n) return SHOAL_ENOMEM;
    *to = n;
    return 0;
}

int shoal_rowsrc_members_plan(exec *x, const shoal_stmt *st, plan *p, const char *const *names, int n_names,
                              shoal_rowsrc_members *out)
{
    memset(out, 0, sizeof *out);
    shoal_node *cond = NULL, *rows = NULL;
    int rc = split_where(x, st, names, n_names, st->where, &cond, &rows);
    if (rc) return rc;
    p->where_ast = rows;
    if (!cond) return 0;
    /* SELECT member FROM members WHERE cond [AS OF …], over the statement's text */
    shoal_stmt *q = shoal_arena_alloc(x->a, sizeof *q);
    shoal_item *item = shoal_arena_alloc(x->a, sizeof *item);
    shoal_node *m = shoal_arena_alloc(x->a, sizeof *m);
    if (!q || !item || !m) return nomem(x);
    memset(q, 0, sizeof *q);
    memset(item, 0, sizeof *item);
    memset(m, 0, sizeof *m);
    m->kind = SHOAL_AST_NAME;
    m->s = "member";
    m->n = 6;
    m->off = cond->off;
    m->len = cond->len;
    item->expr = m;
    q->kind = SHOAL_STMT_SELECT;
    q->cols = item;
    q->from = "members";
    q->from_off = st->from_off;
    q->from_len = st->from_len;
    q->where = cond;
    q->asof_date = st->asof_date;
    q->asof_seq = st->asof_seq;
    rc = shoal_rowsrc_plan_inner(x, q, &out->plan);
    out->cond = cond;
    return rc;
}

/* A row of the members query: its member's bit. */
static int member_row(exec *x, const qval *c, int n, void *ctx)
{
    (void)x;
    (void)n;
    uint8_t *only = ctx;
    if (c[0].t == V_ID && c[0].u.i > 0) only[c[0].u.i >> 3] |= (uint8_t)(1u << (c[0].u.i & 7));
    return 0;
}

int shoal_rowsrc_members_run(exec *x, const shoal_rowsrc_members *m, uint8_t *only)
{
    return shoal_rowsrc_run_inner(x, m->plan, member_row, only);
}

int shoal_rowsrc_plan_inner(exec *x, const shoal_stmt *q, plan **out)
{
    plan *saved_p = x->p;
    int64_t saved_now = x->now;
    rowctx *saved_row = x->row;
    int rc = shoal_plan_select(x, q, out);
    x->p = saved_p;
    x->now = saved_now;
    x->row = saved_row;
    return rc;
}

int shoal_rowsrc_run_inner(exec *x, plan *ip, int (*on_row)(exec *, const qval *, int, void *), void *ctx)
{
    plan *saved_p = x->p;
    int64_t saved_now = x->now;
    int (*saved_on_row)(exec *, const qval *, int, void *) = x->on_row;
    void *saved_ctx = x->row_ctx;
    rowctx *saved_row = x->row;
    x->on_row = on_row;
    x->row_ctx = ctx;
    x->now = ip->now;
    x->p = ip;   /* the executor evaluates against x->p */
    int rc = shoal_exec_select(x, ip, NULL);
    x->p = saved_p;
    x->now = saved_now;
    x->on_row = saved_on_row;
    x->row_ctx = saved_ctx;
    x->row = saved_row;
    return rc;
}

shoal_node *shoal_rowsrc_count_node(exec *x, shoal_nlist *types, shoal_node *where)
{
    shoal_node *count = shoal_arena_alloc(x->a, sizeof *count);
    if (!count) return NULL;
    memset(count, 0, sizeof *count);
    count->kind = SHOAL_AST_CALL;
    count->s = "count";
    count->n = 5;
    count->list = types;
    count->filter = where;
    count->off = types->head->off;
    const shoal_node *last = where ? where : types->tail;
    count->len = last->off + last->len - count->off;
    return count;
}

int shoal_rowsrc_members_explain(exec *x, const shoal_rowsrc_members *m, const char *what, char ***lines, int *n_lines)
{
    char **il;
    int n_il, rc;
    if (!m->plan) return 0;
    if ((rc = shoal_plan_explain(x, NULL, m->plan, &il, &n_il))) return rc;
    char **l = shoal_arena_alloc(x->a, sizeof(char *) * (size_t)(*n_lines + n_il + 1));
    if (!l) return nomem(x);
    if (*n_lines) memcpy(l, *lines, sizeof(char *) * (size_t)*n_lines);
    int n = *n_lines;
    char buf[600];
    snprintf(buf, sizeof buf, "  %s only of the members for whom %.*s holds, found by SELECT member FROM members WHERE … :",
             what, m->cond->len, x->src + m->cond->off);
    if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
    for (int i = 0; i < n_il; i++) {
        snprintf(buf, sizeof buf, "    %s", il[i]);
        if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
    }
    *lines = l;
    *n_lines = n;
    return 0;
}

/* The earliest event time the statement can see, for the first period of a source
 * (INT64_MAX when none): the events of records 1 … p->max_seq (AS OF SEQ) at or before
 * p->cut_ts (now). From the zone map for the blocks that lie whole in that range (the
 * whole log's span when it is all of it), and reading the records of the rest; with no
 * zone map, every record's. (The whole log's earliest, when AS OF SEQ hid it, once made
 * leading periods that nothing could fill.) */
int shoal_rowsrc_earliest(exec *x, const plan *p, int64_t *out)
{
    int64_t t;
    uint64_t from = 1, to = p->max_seq < x->r->last_seq ? p->max_seq : x->r->last_seq;
    int rc = to == x->r->last_seq ? shoal_zone_earliest(x->r, &t, x->err) : shoal_zone_earliest_blocks(x->r, to, &t, x->err);
    if (rc == SHOAL_OK) {
        if (to == x->r->last_seq) {
            *out = t;   /* (a time after now: no period, as with none) */
            return 0;
        }
        from = to / SHOAL_ZONE_BLOCK * SHOAL_ZONE_BLOCK + 1;
        if (t > p->cut_ts) t = INT64_MAX;
    } else if (rc == SHOAL_ENOTFOUND) {
        t = INT64_MAX;
    } else {
        return rc;
    }
    scan_range sr;
    shoal_rec rec;
    if ((rc = scan_range_open(&sr, x->r, from, to + 1, NULL, 0, NULL, x->cancel, x->err))) return rc;
    while ((rc = scan_range_next(&sr, &rec)) == 1)
        if (rec.ts < t && rec.ts <= p->cut_ts) t = rec.ts;
    scan_range_close(&sr);
    if (rc < 0) return rc;
    *out = t;
    return 0;
}

int shoal_rowsrc_view_usable(exec *x, const plan *p, const char *name, int kind, const char *unit,
                             uint64_t *bytes, char *why, size_t why_size)
{
    shoal_viewinfo info, *vi = &info;
    shoal_err quiet;
    shoal_err_clear(&quiet);
    *bytes = 0;
    int rc = shoal_view_info(x->r, x->a, name, vi, &quiet);
    if (rc == SHOAL_ENOTFOUND || (!rc && vi->def.kind != kind)) {
        snprintf(why, why_size, "kept as its text (its filters read what a view cannot keep)");
        return 0;
    }
    if (rc) return shoal_err_set(x->err, rc, -1, -1, "%s", quiet.msg);
    *bytes = vi->bytes;
    const char *tz = shoal_tz_name(x->tz);
    if (x->no_views) {
        snprintf(why, why_size, "views are off (SET VIEWS = off)");
        return 0;
    }
    if (p->max_seq != shoal_reader_last_seq(x->r)) {
        snprintf(why, why_size, "AS OF SEQ reads the log up to a sequence");
        return 0;
    }
    if (vi->def.tz.len != strlen(tz) || memcmp(vi->def.tz.ptr, tz, vi->def.tz.len)) {
        snprintf(why, why_size, "the view's %s are in %.*s, the statement's in %s", unit, (int)vi->def.tz.len,
                 vi->def.tz.ptr, tz);
        return 0;
    }
    if (vi->seq != shoal_reader_last_seq(x->r)) {
        snprintf(why, why_size, "the view is behind the log");
        return 0;
    }
    return 1;
}

int shoal_rowsrc_def_compile(exec *x, const shoal_stmt *def, const char *text, int is_kind, const char *kind,
                             const char *name, int off, int len, int (*fn)(exec *, const shoal_stmt *, void *),
                             void *ctx)
{
    if (!is_kind) {
        char up[40];
        size_t i = 0;
        for (; kind[i] && i + 1 < sizeof up; i++) up[i] = (char)(kind[i] >= 'a' && kind[i] <= 'z' ? kind[i] - 32 : kind[i]);
        up[i] = 0;
        return shoal_err_set(x->err, SHOAL_ECORRUPT, off, len, "%s \"%s\": its definition is not a CREATE %s", kind, name,
                             up);
    }
    const char *saved_src = x->src;
    shoal_err quiet, *saved_err = x->err;
    shoal_err_clear(&quiet);
    x->src = text;
    x->err = &quiet;
    int rc = fn(x, def, ctx);
    x->src = saved_src;
    x->err = saved_err;
    if (rc) return shoal_err_set(x->err, rc, off, len, "%s \"%s\": %s", kind, name, quiet.msg);
    return 0;
}
