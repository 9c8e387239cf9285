/* exec_rows.c — the rows of a statement that lists members (over members, without GROUP
 * BY or windows) made a block of members at a time, as exec_members.c makes WHERE and
 * the keys: each output column and sort key evaluated over the block (veval), the
 * names among them read in a batch (shoal_dict_strs: a names chunk's header once for a
 * run of ids, in the members' order), then each row kept for the sort
 * (shoal_exec_keep_row) or written out. A row a member at a time (process_row, emit:
 * each column through the interpreter, each name through the dictionary's layers and
 * asked for ahead, strings copied) cost some 800 instructions (issue 17: core
 * creator's 2585 rows, two thirds of its statement).
 */
#include "exec_int.h"

int shoal_exec_rows_ok(const plan *p)
{
    if (p->src != SRC_MEMBERS || p->grouped || p->n_wins || p->n_cols < 1) return 0;
    for (int i = 0; i < p->n_cols; i++)
        if (!p->cols[i] || !shoal_exec_vec_ok(p->cols[i])) return 0;
    for (int i = 0; i < p->n_order; i++)
        if (p->order[i]->op != X_COL && !shoal_exec_vec_ok(p->order[i])) return 0;
    return 1;
}

/* The ids in v[0..n) (a column's values, stride apart) that are names of the
 * namespace of the first: read in a batch and made their strings, bit bit of named[i]
 * set for each. The others (another namespace, a name that does not read) stay ids,
 * for the row's own lookup (which reports a damaged table). */
static int names_of(exec *x, shoal_arena *a, qval *v, size_t stride, int n, uint64_t *named, int bit)
{
    int ns = -1;
    uint32_t *ids = NULL;
    int *at = NULL, k = 0;
    for (int i = 0; i < n; i++) {
        const qval *q = &v[(size_t)i * stride];
        if (q->t != V_ID) continue;
        if (ns < 0) {
            ns = q->ns;
            if (!(ids = shoal_arena_alloc(a, sizeof *ids * (size_t)n)) || !(at = shoal_arena_alloc(a, sizeof *at * (size_t)n)))
                return nomem(x);
        }
        if (q->ns != ns || q->u.i < 0 || q->u.i > UINT32_MAX) continue;
        ids[k] = (uint32_t)q->u.i;
        at[k++] = i;
    }
    if (!k) return 0;
    shoal_str *s = shoal_arena_alloc(a, sizeof *s * (size_t)k);
    if (!s) return nomem(x);
    size_t got = shoal_dict_strs(x->r, ns, ids, (size_t)k, s);
    for (size_t j = 0; j < got; j++) {
        qval *q = &v[(size_t)at[j] * stride];
        q->t = V_STR;
        q->u.s = s[j].ptr ? s[j].ptr : "";
        q->n = s[j].len;
        if (bit < 64) named[at[j]] |= (uint64_t)1 << bit;
    }
    return 0;
}

int shoal_exec_rows_block(run *g, shoal_arena *a, const uint32_t *ms, int n)
{
    exec *x = g->x;
    plan *p = g->p;
    int nc = p->n_cols, no = p->n_order, rc = 0;
    if (x->err->code) return x->err->code;
    /* the columns, then the keys, a row's values side by side */
    size_t w = (size_t)nc + (size_t)no;
    qval *v = shoal_arena_alloc(a, sizeof *v * w * (size_t)n), *col = shoal_arena_alloc(a, sizeof *col * (size_t)n);
    uint64_t *named = shoal_arena_alloc(a, sizeof *named * 2 * (size_t)n);
    if (!v || !col || !named) return nomem(x);
    uint64_t *knamed = named + n;
    for (int i = 0; i < n; i++) named[i] = knamed[i] = 0;
    for (size_t j = 0; j < w && !rc; j++) {
        const cx *e = j < (size_t)nc ? p->cols[j] : p->order[j - (size_t)nc];
        if (j >= (size_t)nc && e->op == X_COL) {
            /* a key that is an output column: that column's value (read by keep_row
             * from its column but with on_row, where it is a key of its own) */
            for (int i = 0; i < n; i++) v[(size_t)i * w + j] = v[(size_t)i * w + (size_t)e->slot];
            continue;
        }
        if ((rc = shoal_exec_veval(x, a, e, ms, n, col))) break;
        for (int i = 0; i < n; i++) v[(size_t)i * w + j] = col[i];
    }
    if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
    if (rc || x->err->code) {
        /* an error (a function's): the block again a row at a time, which meets the
         * same error at the row and column it is met there, after the rows before */
        if (rc == SHOAL_ENOMEM) return rc;
        shoal_err_clear(x->err);
        return 1;
    }
    /* the names: a column's (as its strings, but for on_row, which takes ids), a key's
     * that is not a column */
    for (size_t j = 0; j < w && !rc; j++) {
        if (j < (size_t)nc ? x->on_row != NULL : p->order[j - (size_t)nc]->op == X_COL && !x->on_row) continue;
        rc = j < (size_t)nc ? names_of(x, a, v + j, w, n, named, (int)j)
                            : names_of(x, a, v + j, w, n, knamed, (int)(j - (size_t)nc));
    }
    if (!rc && no && !g->sorted_in) return shoal_exec_keep_rows(g, v, w, (size_t)n, named, knamed);
    for (int i = 0; i < n && !rc && !g->stop; i++) {
        const qval *cols = v + (size_t)i * w;
        /* streamed (as shoal_exec_emit streams a row) */
        if (g->n_skipped < p->offset) {
            g->n_skipped++;
            continue;
        }
        if (p->limit >= 0 && g->n_emitted >= p->limit) {
            g->stop = 1;
            break;
        }
        g->n_emitted++;
        rc = shoal_exec_write_row(g, cols);
        if (p->limit >= 0 && g->n_emitted >= p->limit) g->stop = 1;
    }
    return rc;
}
