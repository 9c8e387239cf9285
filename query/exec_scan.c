/* exec_scan.c — the log scan: one pass over the log in sequence order (the zone map
 * skipping blocks outside the time windows), decoding a record's properties only when
 * an expression asks for one; each record feeds the per-member aggregates' arrays and,
 * over events, goes on as a row (process_row, exec_group.c).
 */
#include "exec_int.h"

/* A per-member min or max of a property (plan.h's magg.v): its values as they are
 * (numbers, booleans, text), ordered as over events (shoal_val_cmp: numbers before
 * text). Text inline in the record is copied, since the record goes with the step. */
static int magg_minmax(exec *x, magg *a, uint32_t m, const shoal_rprop *rp)
{
    qval v;
    prop_val(rp, &v);
    qval *cur = &a->v[m];
    if (a->n[m]++) {
        int c;
        if ((v.t == V_INT || v.t == V_NUM) && (cur->t == V_INT || cur->t == V_NUM)) {
            double dv = v.t == V_NUM ? v.u.d : (double)v.u.i, dc = cur->t == V_NUM ? cur->u.d : (double)cur->u.i;
            c = v.t == V_INT && cur->t == V_INT ? (v.u.i > cur->u.i) - (v.u.i < cur->u.i) : (dv > dc) - (dv < dc);
        } else if (shoal_val_cmp(x, &v, cur, &c)) {
            return 0;
        }
        if (a->fn == F_MIN ? c >= 0 : c <= 0) return 0;
    }
    if (shoal_val_keep(x, &v)) return x->err->code;
    *cur = v;
    return 0;
}

/* sum or avg (aggregate node, its text desc) met text: an error at the aggregate (when
 * its node is in the statement's text: a layer's is in the layer's) rather than a sum
 * that leaves the text out unseen. */
static int text_in_sum(exec *x, const shoal_node *node, const char *desc, const shoal_rprop *rp)
{
    qval v;
    const char *s;
    uint32_t n;
    prop_val(rp, &v);
    if (shoal_val_str(x, &v, &s, &n)) s = "", n = 0;
    size_t k = strlen(desc);
    int here = node && node->off >= 0 && (size_t)node->len == k && !strncmp(x->src + node->off, desc, k);
    return shoal_err_set(x->err, SHOAL_ESEMANTIC, here ? node->off : -1, here ? node->len : -1,
                         "%s takes numbers, but its property holds text here (\"%.*s%s\")", desc, n > 40 ? 40 : (int)n, s,
                         n > 40 ? "…" : "");
}

/* One event's value into per-member aggregate a (count, first, last, sum, avg, min,
 * max) for member m, as shoal_exec_scan_log adds it: for the second pass of anchored
 * windows (anchor.c), which cannot share the scan's loop. 0 or an error (text in a sum). */
int shoal_exec_magg_keep(exec *x, magg *a, uint32_t m, const shoal_rec *rec)
{
    if (a->fn == F_DCOUNT) {
        /* count(DISTINCT x): x of the event (a column or a property) */
        rowctx row = {0}, *saved = x->row;
        row.rec = rec;
        x->row = &row;
        qval v;
        shoal_exec_eval(x, a->arg, &v);
        x->row = saved;
        int r = v.t == V_NULL ? 0 : shoal_exec_dset_add(x, a->dset, m, &v);
        if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
        if (r < 0) return nomem(x);
        a->n[m] += (uint32_t)r;
        return x->err->code;
    }
    shoal_rprop rp;
    if (shoal_rec_prop(rec, a->arg->key, &rp) != 1) return 0;
    double d;
    if (rp.kind == SHOAL_VAL_INT) d = (double)rp.v.i;
    else if (rp.kind == SHOAL_VAL_BOOL) d = rp.v.b;
    else if (rp.kind == SHOAL_VAL_NUM) d = rp.v.d;
    else return text_in_sum(x, a->node, a->desc, &rp);
    if (a->n[m] == a->vcap[m]) {
        /* grows by doubling in the statement's arena: at most twice the values */
        uint32_t cap = a->vcap[m] ? a->vcap[m] * 2 : 4;
        double *nv = shoal_arena_alloc(x->a, sizeof *nv * cap);
        if (!nv) return nomem(x);
        if (a->n[m]) memcpy(nv, a->vals[m], sizeof *nv * a->n[m]);
        a->vals[m] = nv;
        a->vcap[m] = cap;
    }
    a->vals[m][a->n[m]++] = d;
    return 0;
}

int shoal_exec_magg_add(exec *x, magg *a, uint32_t m, const shoal_rec *rec)
{
    int64_t ts = rec->ts;
    switch (a->fn) {
    case F_DCOUNT: case F_MEDIAN: case F_QUANTILE: case F_STDDEV: case F_VARIANCE:
        return shoal_exec_magg_keep(x, a, m, rec);
    case F_COUNT: a->n[m]++; return 0;
    case F_FIRST:
        if (!a->n[m]++ || ts < a->i[m]) a->i[m] = ts;
        return 0;
    case F_LAST:
        if (!a->n[m]++ || ts > a->i[m]) a->i[m] = ts;
        return 0;
    default: break;
    }
    shoal_rprop rp;
    if (shoal_rec_prop(rec, a->arg->key, &rp) != 1) return 0;
    if (a->fn == F_MIN || a->fn == F_MAX) return magg_minmax(x, a, m, &rp);
    if (rp.kind == SHOAL_VAL_INT) shoal_xsum_add_int(&a->x[m], rp.v.i);
    else if (rp.kind == SHOAL_VAL_BOOL) shoal_xsum_add_int(&a->x[m], rp.v.b);
    else if (rp.kind == SHOAL_VAL_NUM) shoal_xsum_add_double(&a->x[m], rp.v.d), a->num = 1;
    else return text_in_sum(x, a->node, a->desc, &rp);
    a->n[m]++;
    return 0;
}

/* One record of a scan over members into the per-member aggregates it feeds (routed by
 * its type), maggs the plan's (or a thread's copies of their arrays, exec_scanmem.c):
 * seen and live, when given, get the member's bit. 0 or the error (text in a sum). */
int shoal_exec_member_event(exec *x, const plan *p, magg *maggs, uint8_t *seen, uint64_t *live, const shoal_rec *rec)
{
    int rc;
    int64_t ts = rec->ts;
    uint32_t n_members = p->n_members, n_types = p->n_types;
    rowctx row = {0};
    uint32_t m = rec->member, t = rec->type;
    if (m == 0 || m > n_members || t > n_types) return 0;
    if (seen) seen[m >> 3] |= (uint8_t)(1u << (m & 7));
    if (!p->tl_start) return 0;
    for (uint32_t j = p->tl_start[t], e = p->tl_start[t + 1]; j < e; j++) {
        magg *a = &maggs[p->tl[j]];
        /* MG_EDGE: the hole is the whole days a view answered */
        if (a->has_win && (ts < a->win.lo || ts >= a->win.hi || (ts >= a->hole.lo && ts < a->hole.hi))) continue;
        if (a->filter) {
            row.rec = rec;
            rowctx *saved = x->row;
            x->row = &row;
            int keep = truthy(x, a->filter);
            x->row = saved;
            if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
            if (!keep) continue;
        }
        if (live && p->tl[j] != (uint32_t)(p->exist - 1)) live[m >> 6] |= (uint64_t)1 << (m & 63);
        switch (a->fn) {
        case F_COUNT:
            if (a->narrow) a->c8[m] += a->c8[m] < a->cap;   /* an edge of a narrow count (plan_alike.c) */
            else a->n[m]++;
            break;
        case F_FIRST:
            if (!a->n[m]++ || ts < a->i[m]) a->i[m] = ts;
            break;
        case F_LAST:
            if (!a->n[m]++ || ts > a->i[m]) a->i[m] = ts;
            break;
        case F_DCOUNT: case F_MEDIAN: case F_QUANTILE: case F_STDDEV: case F_VARIANCE:
            if ((rc = shoal_exec_magg_keep(x, a, m, rec))) return rc;
            break;
        case F_SCORE:
            /* The score as of now: events after it are not seen. */
            if (ts <= p->now) {
                a->d[m] += a->w[t] * exp2((double)(ts - p->now) / (double)a->half_life);
                a->n[m]++;
            }
            break;
        case F_RISE: {
            /* Each event's share of the score at both instants, each taken
             * from the event's own time: the same whatever order events
             * arrive in. */
            double h = (double)a->half_life;
            if (ts < a->b_hi) a->d[m] += a->w[t] * exp2((double)(ts - a->t_hi) / h);
            if (ts < a->b_lo) a->d2[m] += a->w[t] * exp2((double)(ts - a->t_lo) / h);
            a->n[m]++;
            break;
        }
        default: {
            shoal_rprop rp;
            if (shoal_rec_prop(rec, a->arg->key, &rp) != 1) break;
            if (a->fn == F_MIN || a->fn == F_MAX) {
                if ((rc = magg_minmax(x, a, m, &rp))) return rc;
                break;
            }
            double d;
            int64_t iv = 0;
            if (rp.kind == SHOAL_VAL_INT) d = (double)(iv = rp.v.i);
            else if (rp.kind == SHOAL_VAL_BOOL) d = (double)(iv = rp.v.b);
            else if (rp.kind == SHOAL_VAL_NUM) d = rp.v.d, a->num = 1;
            else return text_in_sum(x, a->node, a->desc, &rp);
            /* sum, avg: exact, so that any order of addition gives these bits (xsum.c) */
            if (rp.kind == SHOAL_VAL_NUM) shoal_xsum_add_double(&a->x[m], d);
            else shoal_xsum_add_int(&a->x[m], iv);
            a->n[m]++;
        }
        }
    }
    return 0;
}

/* shoal_exec_member_stage's record that feeds an aggregate */
int shoal_exec_member_hold(exec *x, const plan *p, magg *maggs, uint64_t *live, mstage *st, const shoal_rec *rec)
{
    uint32_t m = rec->member, t = rec->type;
    for (uint32_t j = p->tl_start[t], e = p->tl_start[t + 1]; j < e; j++) {
        const magg *a = &maggs[p->tl[j]];
        if (a->n) __builtin_prefetch(&a->n[m], 1);
        if (a->i) __builtin_prefetch(&a->i[m], 1);
        else if (a->x) __builtin_prefetch(&a->x[m], 1);
    }
    int rc = 0;
    if (st->count == MSTAGE) {
        rc = shoal_exec_member_event(x, p, maggs, NULL, live, &st->r[st->head]);
        st->head = (st->head + 1) % MSTAGE;
        st->count--;
    }
    st->r[(st->head + st->count++) % MSTAGE] = *rec;
    return rc;
}

int shoal_exec_member_flush(exec *x, const plan *p, magg *maggs, uint64_t *live, mstage *st)
{
    int rc = 0;
    for (; st->count && !rc; st->count--, st->head = (st->head + 1) % MSTAGE)
        rc = shoal_exec_member_event(x, p, maggs, NULL, live, &st->r[st->head]);
    return rc;
}

/* ------------------------------------------------------------ rows folded a batch at a time */

/* A grouped scan over events whose statement reads of a row only its type, its group
 * and, of its time, day(ts), week(ts), month(ts) or year(ts) (no property, member,
 * sequence or instant), and whose aggregates are counts, min and max: the rows of a
 * batch of FOLD_MAX records that share type and group are then one row with a weight
 * (shoal_exec_process_row's w: a count adds w), provided every period is the same for
 * all the batch's instants. That holds when it is the same at the earliest and the
 * latest of them and local time runs forward between the two: always in UTC or a zone
 * of a fixed offset; in a zone with daylight saving when both have the same offset
 * and are less than a day apart (a zone changes its offset at most once a day, as
 * shoal_tz_to_utc assumes, so none changed between). A batch that straddles a period's
 * boundary goes row by row. Each (type, group)'s first row in the batch stands for
 * them all, and they go in the order of those first rows, so the groups are made in
 * the order one row at a time makes them, with the same counts and extremes (the
 * values of a fold are equal). What this saves is the row's path through the keys,
 * the group's look-up and the accumulators: a batch of the bench's full scan holds
 * some ten (type, month)s for its 1024 rows. SHOAL_SCAN_FOLD=0 in the environment
 * turns it off (tests compare both). */
static int fold_period(const cx *e)
{
    static const char *const names[] = {"day", "week", "month", "year", NULL};
    if (e->op != X_FUNC || e->n != 1 || e->v[0]->op != X_TS) return 0;
    for (int i = 0; names[i]; i++) {
        const func *fn = shoal_func_find(names[i]);
        if (fn && fn->eval == e->fn) return 1;
    }
    return 0;
}

/* e reads of the row only its type, group and periods of its time, through pure
 * functions: the periods go into f->per */
static int fold_expr(const cx *e, fold *f)
{
    if (!e) return 1;
    switch (e->op) {
    case X_CONST: case X_TYPE: return 1;
    case X_GROUP: f->use_group = 1; return 1;
    case X_AND: case X_OR: case X_ARITH: case X_CMP: case X_LIKE: return fold_expr(e->a, f) && fold_expr(e->b, f);
    case X_NOT: case X_NEG: case X_ISNULL: case X_INSET: return fold_expr(e->a, f);
    case X_BETWEEN: return fold_expr(e->a, f) && fold_expr(e->b, f) && fold_expr(e->c, f);
    case X_FUNC:
        if (fold_period(e)) {
            if (f->n_per == FOLD_PER) return 0;
            f->per[f->n_per++] = e;
            return 1;
        }
        if (!shoal_exec_par_ok(e)) return 0;   /* a pure function */
        /* fall through */
    case X_IN: case X_CASE:
        if (!fold_expr(e->a, f) || !fold_expr(e->c, f)) return 0;
        for (int i = 0; i < e->n; i++)
            if (!fold_expr(e->v[i], f)) return 0;
        return 1;
    default: return 0;
    }
}

fold *shoal_exec_fold_new(run *g)
{
    exec *x = g->x;
    const plan *p = g->p;
    const char *env = getenv("SHOAL_SCAN_FOLD");
    if ((env && !strcmp(env, "0")) || p->src != SRC_EVENTS || !p->grouped) return NULL;
    /* (not in the statement's arena, which the memory budget weighs: exec_spill.c) */
    fold *f = shoal_malloc(sizeof *f);
    if (!f) return NULL;   /* (rows one by one) */
    memset(f, 0, sizeof *f);
    int ok = fold_expr(p->where, f);
    for (int i = 0; ok && i < p->n_keys; i++) ok = fold_expr(p->keys[i], f);
    for (int k = 0; ok && k < p->n_raggs; k++) {
        const ragg *ra = &p->raggs[k];
        ok = (ra->fn == F_COUNT || ra->fn == F_MIN || ra->fn == F_MAX) && fold_expr(ra->filter, f) &&
             (ra->star || fold_expr(ra->arg, f));
    }
    if (!ok) {
        shoal_free(f);
        return NULL;
    }
    f->tz_fixed = !x->tz || shoal_tz_fixed(x->tz);
    f->gm = f->use_group ? ~0u : 0;
    f->lo = INT64_MAX, f->hi = INT64_MIN;
    return f;
}

/* every period of f the same at the instants lo and hi, and so between them (above) */
static int fold_same(exec *x, fold *f, int64_t lo, int64_t hi)
{
    if (!f->tz_fixed && (hi - lo >= 86400000 || shoal_tz_offset(x->tz, lo) != shoal_tz_offset(x->tz, hi))) return 0;
    shoal_rec r = f->recs[0];
    rowctx row = {0}, *saved = x->row;
    row.rec = &r;
    x->row = &row;
    int same = 1;
    for (int i = 0; i < f->n_per && same; i++) {
        qval a, b;
        r.ts = lo;
        shoal_exec_eval(x, f->per[i], &a);
        r.ts = hi;
        shoal_exec_eval(x, f->per[i], &b);
        same = a.t == b.t && a.u.i == b.u.i;
    }
    x->row = saved;
    return same;
}

int shoal_exec_fold_flush(run *g, fold *f)
{
    int n = f->n, nd = f->nd, rc = 0;
    int64_t lo = f->lo, hi = f->hi;
    f->n = f->nd = 0;
    f->lo = INT64_MAX, f->hi = INT64_MIN;
    rowctx row = {0};
    if (n && f->n_per && !fold_same(g->x, f, lo, hi)) {   /* row by row */
        for (int j = 0; j < nd; j++) f->key[f->order[j]] = 0;
        for (int i = 0; i < n; i++) {
            row.rec = &f->recs[i];
            if ((rc = process(g, &row)) || g->stop) return rc;
        }
        return 0;
    }
    for (int j = 0; j < nd; j++) {
        uint32_t h = f->order[j];
        f->key[h] = 0;
        if (rc || g->stop) continue;   /* (the slots emptied all the same) */
        row.rec = &f->recs[f->first[h]];
        rc = shoal_exec_process_row(g, &row, NULL, NULL, f->w[h]);
    }
    return rc;
}

/* A grouped scan's records into fold f, a page's records at a time (scan_range_batch)
 * decoded straight into the batch, those outside [lo, hi), past the statement's cut or
 * of a type it leaves out then dropped (the others moved down over them). Over sr (which
 * the caller opened and closes) with its map released as read (mr). Returns 0 at the
 * range's end or when the groups say stop (g->stop; the last batch not flushed), or
 * fold_take's (the error, SHOAL_EXEC_OVER) or the scan's error. */
int shoal_exec_fold_scan(run *g, fold *f, scan_range *sr, shoal_maprel *mr, int64_t lo, int64_t hi)
{
    const plan *p = g->p;
    const uint8_t *tf = p->type_filter;
    uint32_t n_types = p->n_types;
    int64_t cut = p->cut_ts;
    /* every record kept: no time range, cut or types' filter */
    int all = !tf && cut == INT64_MAX && lo == INT64_MIN && hi == INT64_MAX;
    for (;;) {
        shoal_rec *b = fold_slot(f);
        int k = scan_range_batch(sr, b, FOLD_MAX - f->n), rc;
        if (k <= 0) return k;
        shoal_maprel_note(mr, b[0].props, sr->n);
        shoal_maprel_note(mr, b[k - 1].props, sr->n);
        if (all) {
            if ((rc = fold_take_all(g, f, k))) return rc;
            if (g->stop) return 0;
            continue;
        }
        for (int j = 0; j < k; j++) {
            const shoal_rec *r = &b[j];
            int64_t ts = r->ts;
            if (ts > cut || ts < lo || ts >= hi) continue;
            if (tf && (r->type > n_types || !(tf[r->type >> 3] >> (r->type & 7) & 1))) continue;
            shoal_rec *to = fold_slot(f);
            if (to != r) *to = *r;
            /* (a flush only at the batch's last record: max was the room left) */
            if ((rc = fold_take(g, f))) return rc;
        }
        if (g->stop) return 0;
    }
}

int shoal_exec_scan_log(run *g, int members)
{
    exec *x = g->x;
    plan *p = g->p;
    scan_range sr = {0};   /* (closed at fail: whether opened or not) */
    fold *fd = NULL;
    int rc;
    /* grouped over events by interned columns: in dense cells (exec_dense.c); else on
     * several threads when it can be (exec_scanpar.c) */
    if (!members && (rc = shoal_exec_scan_dense(g)) != 1) return rc;
    if (!members && (rc = shoal_exec_scan_split(g)) != 1) return rc;
    shoal_rec rec;
    rowctx row = {0};
    uint32_t n_members = p->n_members, n_types = p->n_types;
    uint8_t *seen = NULL;
    if (members && !p->members_all) {
        seen = shoal_arena_alloc(x->a, n_members / 8 + 1);
        if (!seen) {
            rc = nomem(x);
            goto fail;
        }
        memset(seen, 0, n_members / 8 + 1);
    }
    int64_t lo = p->has_range ? p->range.lo : INT64_MIN, hi = p->has_range ? p->range.hi : INT64_MAX;
    const uint8_t *tf = p->type_filter;
    /* A time-restricted scan consults the zone map at each block and jumps over the
     * blocks whose span of times cannot meet the range (engine/zone.c): over events, the
     * statement's DURING; over members, the windows of the aggregates the scan feeds,
     * when the members are known without it (p->members_all: otherwise every member's
     * events decide who the members are). AS OF a date, events after it are not seen,
     * and neither are the members that have only such events, so the blocks wholly
     * after it can go in any case (flow.c's evaluations as of each period's end read
     * only the log up to it). */
    int64_t range[2] = {lo, hi}, upto[2] = {INT64_MIN, p->cut_ts == INT64_MAX ? INT64_MAX : p->cut_ts + 1};
    const int64_t *zr = range;
    int n_zr = !members && p->has_range;
    /* Over members known without the scan, the ranges are all the scan feeds (the
     * windows less the views' holes): an event outside them goes before its routing
     * (a block the zone map keeps for a few late events is mostly such events). */
    int only_zr = 0;
    if (members && p->members_all && p->n_zr) zr = p->zr, n_zr = p->n_zr, only_zr = 1;
    else if (members && p->cut_ts != INT64_MAX) zr = upto, n_zr = 1;
    /* over members: on several threads when it can be (exec_scanmem.c) */
    if (members && (rc = shoal_exec_scan_split_members(g, seen, zr, n_zr, only_zr)) != 1) {
        if (rc) goto fail;
        goto scanned;
    }
    if (!members) fd = shoal_exec_fold_new(g);
    mstage ms;
    ms.head = ms.count = 0;
    if ((rc = scan_range_open(&sr, x->r, 1, p->max_seq + 1, zr, n_zr, &x->n_skipped, x->cancel, x->err))) goto fail;
    shoal_maprel mr;   /* under a budget (exec_spill.c's passes), the log read let go */
    shoal_maprel_init(&mr, members ? 0 : g->budget, 1);
    if (fd) {
        if ((rc = shoal_exec_fold_scan(g, fd, &sr, &mr, lo, hi))) goto fail;
        goto folded;
    }
    shoal_rec *rp = &rec;
    while ((rc = scan_range_next(&sr, rp)) == 1) {
        shoal_maprel_note(&mr, rp->props, sr.n);
        int64_t ts = rp->ts;
        if (ts > p->cut_ts) continue;
        if (only_zr) {
            int in = 0;
            for (int i = 0; i < n_zr && !in; i++) in = ts >= zr[2 * i] && ts < zr[2 * i + 1];
            if (!in) continue;
        }
        if (members) {
            if ((rc = shoal_exec_member_stage(x, p, p->maggs, seen, g->live, &ms, rp))) goto fail;
            continue;
        }
        if (ts < lo || ts >= hi) continue;
        if (tf && (rp->type > n_types || !(tf[rp->type >> 3] >> (rp->type & 7) & 1))) continue;
        row.rec = rp;
        if ((rc = process(g, &row))) goto fail;
        if (g->stop) break;
    }
folded:
    shoal_maprel_end(&mr);
    if (rc < 0) goto fail;
    if (members && (rc = shoal_exec_member_flush(x, p, p->maggs, g->live, &ms))) goto fail;
    if (fd && (rc = shoal_exec_fold_flush(g, fd))) goto fail;
    rc = 0;
    x->n_scanned = sr.n;
scanned:
    /* windows anchored on each member's event, now that the anchors are known */
    if (members && p->n_anchored && (rc = shoal_anchor_scan(x, p, g->live))) goto fail;
    if (seen) {
        scan_range_close(&sr);
        row.rec = NULL;
        for (uint32_t m = 1; m <= n_members && !g->stop; m++) {
            if ((m & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel) {
                rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
                goto fail;
            }
            if (!(seen[m >> 3] >> (m & 7) & 1)) continue;
            row.member = m;
            if ((rc = process(g, &row))) goto fail;
        }
    }
fail:
    shoal_free(fd);
    scan_range_close(&sr);
    return rc;
}
