/* anchor.c — per-member aggregates over a window anchored on the member's own event:
 * count(post) WITHIN 7 DAYS AFTER first(join). Which events fall in a member's window
 * depends on the anchor, and the anchor (the member's first join) may come anywhere in
 * the log, after events it takes in: a join that arrives late moves the window of
 * every event already read. So the executor's scan (exec.c) reads the anchors like any
 * per-member aggregate, and this second pass over the log, once they are all known,
 * adds each event to the anchored aggregates whose window holds it. Two passes are
 * exact whatever the order of arrival, and cost one more read of the log; keeping each
 * member's candidate events until the anchor settles would cost memory in the number
 * of events instead. A member without the anchor event has no window: NULL (plan.h).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "plan.h"
#include "scan.h"


void shoal_anchor_bind(plan *p)
{
    for (int i = 0; i < p->n_maggs; i++) {
        magg *g = &p->maggs[i];
        /* OF to: the anchor is another member's, and the value never NULL */
        if (g->anchor && !g->of_key) g->anchor_n = p->maggs[g->anchor - 1].n;
    }
}

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

/* The member that property key of rec names (OF to), into *out (0 when none): an
 * interned string through tomem[string id] (0 not looked up yet, UINT32_MAX no such
 * member), a long inline one by a dictionary lookup. 0 or an error. */
static int named_member(exec *x, const shoal_rec *rec, uint32_t key, uint32_t *tomem, uint32_t n_str, uint32_t *out)
{
    shoal_rprop rp;
    *out = 0;
    if (shoal_rec_prop(rec, key, &rp) != 1 || rp.kind != SHOAL_VAL_STR) return 0;
    shoal_str s = rp.v.s.inl;
    uint32_t sid = rp.v.s.id;
    if (sid && sid <= n_str && tomem[sid]) {
        *out = tomem[sid] == UINT32_MAX ? 0 : tomem[sid];
        return 0;
    }
    if (sid) {
        int rc = shoal_dict_str(x->r, SHOAL_NS_STR, sid, &s, x->err);
        if (rc) return rc;
    }
    uint32_t id = 0;
    shoal_err e;
    shoal_err_clear(&e);
    int rc = shoal_dict_id(x->r, SHOAL_NS_MEMBER, s.ptr ? s.ptr : "", s.len, &id, &e);
    if (rc < 0 && rc != SHOAL_ENOTFOUND) return shoal_err_set(x->err, rc, -1, -1, "%s", e.msg);
    if (rc == SHOAL_ENOTFOUND || id > x->p->n_members) id = 0;
    if (sid && sid <= n_str) tomem[sid] = id ? id : UINT32_MAX;
    *out = id;
    return 0;
}

int shoal_anchor_scan(exec *x, plan *p, uint64_t *live)
{
    uint32_t n_members = p->n_members, n_types = p->n_types;
    /* The anchored aggregates each type feeds (CSR over type ids, as plan.c's tl), and
     * the span of time any window covers: the zone map skips the blocks outside it. */
    uint32_t *start = shoal_arena_alloc(x->a, sizeof *start * ((size_t)n_types + 2));
    uint32_t *list = shoal_arena_alloc(x->a, sizeof *list * ((size_t)p->n_maggs * ((size_t)n_types + 1) + 1));
    if (!start || !list) return nomem(x);
    uint32_t k = 0;
    for (uint32_t t = 0; t <= n_types; t++) {
        start[t] = k;
        for (int i = 0; i < p->n_maggs && t; i++) {
            const magg *a = &p->maggs[i];
            if (a->anchor && (!a->types || (a->types[t >> 3] >> (t & 7) & 1))) list[k++] = (uint32_t)i;
        }
    }
    start[n_types + 1] = k;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int i = 0; i < p->n_maggs; i++) {
        const magg *a = &p->maggs[i];
        if (!a->anchor) continue;
        const magg *an = &p->maggs[a->anchor - 1];
        for (uint32_t m = 1; m <= n_members; m++) {
            if (!an->n[m]) continue;
            if (an->i[m] + a->alo < lo) lo = an->i[m] + a->alo;
            if (an->i[m] + a->ahi > hi) hi = an->i[m] + a->ahi;
        }
    }
    if (p->cut_ts != INT64_MAX && p->cut_ts + 1 < hi) hi = p->cut_ts + 1;
    if (lo >= hi) return 0;   /* no member has an anchor: nothing falls in a window */

    /* OF to: the members the interned strings name, looked up once each */
    uint32_t n_str = 0, *tomem = NULL;
    for (int i = 0; i < p->n_maggs; i++)
        if (p->maggs[i].of_key) n_str = shoal_dict_count(x->r, SHOAL_NS_STR);
    if (n_str && !(tomem = shoal_arena_alloc(x->a, sizeof *tomem * ((size_t)n_str + 1)))) return nomem(x);
    if (tomem) memset(tomem, 0, sizeof *tomem * ((size_t)n_str + 1));

    int64_t zr[2] = {lo, hi};
    scan_range sr;
    int rc = scan_range_open(&sr, x->r, 1, p->max_seq + 1, zr, 1, &x->n_skipped, x->cancel, x->err);
    if (rc) return rc;
    shoal_rec rec;
    while ((rc = scan_range_next(&sr, &rec)) == 1) {
        int64_t ts = rec.ts;
        uint32_t m = rec.member, t = rec.type;
        if (ts > p->cut_ts || ts < lo || ts >= hi || m == 0 || m > n_members || t > n_types) continue;
        for (uint32_t j = start[t], e = start[t + 1]; j < e; j++) {
            magg *a = &p->maggs[list[j]];
            const magg *an = &p->maggs[a->anchor - 1];
            uint32_t who = m;   /* whose anchor: the event's member, or the one it names (OF to) */
            if (a->of_key && (rc = named_member(x, &rec, a->of_key, tomem, n_str, &who)) < 0) break;
            rc = 1;
            if (!who || !an->n[who] || ts < an->i[who] + a->alo || ts >= an->i[who] + a->ahi) continue;
            if (!shoal_exec_holds(x, a->filter, &rec)) continue;
            if (live) live[m >> 6] |= (uint64_t)1 << (m & 63);
            if ((rc = shoal_exec_magg_add(x, a, m, &rec)) < 0) break;
            rc = 1;
        }
        if (rc < 0) break;   /* a dictionary read failed (OF to), or text in a sum */
    }
    scan_range_close(&sr);
    x->n_scanned += sr.n;
    return rc < 0 ? rc : 0;
}
