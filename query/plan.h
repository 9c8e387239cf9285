/* plan.h — what resolve/plan (plan.c) hands the executor (exec.c): compiled
 * expressions, per-member aggregates in dense arrays, row aggregates per group, and
 * the values that flow between them. Internal to query/.
 */
#ifndef SHOAL_PLAN_H
#define SHOAL_PLAN_H

#include <string.h>

#include "ast.h"
#include "shoal.h"
#include "tz.h"
#include "shoal_int.h"

/* Value types. IDs are interned strings, compared by id and shown through the
 * dictionary; TS is epoch ms; DATE is a local civil day (days since 1970-01-01);
 * MONTH is year*12 + month-1; DUR is milliseconds. */
enum { V_NULL = 0, V_BOOL, V_INT, V_NUM, V_STR, V_ID, V_TS, V_DATE, V_MONTH, V_DUR };

typedef struct qval {
    uint8_t t;
    uint8_t ns;    /* V_ID: SHOAL_NS_* */
    uint32_t n;    /* V_STR: length */
    union {
        int64_t i;
        double d;
        const char *s;
    } u;
} qval;

/* Compiled expression operators. */
enum {
    X_CONST = 1, X_SEQ, X_TS, X_MEMBER, X_TYPE, X_GROUP, X_PROP,
    X_MAGG,    /* per-member aggregate: slot */
    X_KEY,     /* GROUP BY key: slot */
    X_AGG,     /* row aggregate result: slot */
    X_COL,     /* an output column (ORDER BY alias): slot */
    X_ARITH, X_CMP, X_AND, X_OR, X_NOT, X_NEG, X_IN, X_INSET, X_BETWEEN, X_LIKE, X_ISNULL,
    X_CASE, X_FUNC,
    X_SRCCOL,  /* a column of a row source (FROM flow(name)): slot */
    X_SUBQ,    /* a subquery's value or set (subquery.c), made a constant, an X_INSET or an X_IN when it runs */
    X_WBASE,   /* with window functions: a value of the row, kept before the windows run: slot */
    X_WIN      /* a window function's value for the row (exec_window.c): slot */
};

typedef struct cx cx;
typedef struct exec exec;
/* How often long loops (the scan, a row source's passes over the log and over the
 * members) look at the cancel flag: a power of two. A record costs some 15 ns, but one
 * with a heavy filter (an IN list of thousands) costs microseconds, and every 65536
 * records was then seconds between looks; a look is one load. */
#define CANCEL_EVERY 1024

typedef struct rowctx rowctx;

typedef void (*func_eval)(exec *x, qval *args, int n, qval *out);

struct cx {
    int op;
    int sub;           /* SHOAL_OP_* for ARITH/CMP; NOT flag for IN/BETWEEN/LIKE/ISNULL */
    int off, len;
    int rt;            /* static type when known (V_*), else -1 */
    uint8_t rns;       /* static namespace for V_ID */
    qval k;            /* CONST */
    uint32_t key;      /* PROP: property id */
    int slot;
    cx *a, *b, *c;
    cx **v;            /* IN list, CASE (cond, result pairs), FUNC args */
    int n;
    uint8_t *bits;     /* INSET: bitmap over ids of a->rns */
    uint32_t n_bits;
    func_eval fn;
    const void *ctx;   /* FUNC: what the function compiled (arm(): its experiment), x->fn_ctx while it runs */
};

/* Aggregate functions. */
enum { F_COUNT = 1, F_SUM, F_AVG, F_MIN, F_MAX, F_FIRST, F_LAST, F_SCORE, F_MEDIAN, F_RISE,
       F_STDDEV, F_VARIANCE, F_QUANTILE,   /* of the values kept, as median */
       F_DCOUNT };                          /* per member: count(DISTINCT x) */

/* A builtin function (func.c). */
typedef struct func {
    const char *name;
    int agg;           /* F_* for aggregates, 0 for scalars */
    int min_args, max_args;
    func_eval eval;
    int rt;            /* result type, -1 when it depends on the arguments */
} func;

const func *shoal_func_find(const char *name);
/* func.c: CAST(x AS type) (the type in the cx's sub, the cx in x->fn_ctx) and a || b */
void shoal_func_cast(exec *x, qval *a, int n, qval *out);
void shoal_func_concat(exec *x, qval *a, int n, qval *out);
/* func.c: date_trunc's unit (0 year … 7 second) or -1; where a strftime format goes wrong, or -1 */
int shoal_func_trunc_unit(const char *s, size_t n);
int shoal_func_strftime_bad(const char *f, size_t n);
/* func.c: a calendar duration's months (1 MONTH(S), 12 YEAR(S); 0 for another unit), and
 * x + n MONTHS (a[0] a time, a date or a month; a[1] n) */
int shoal_func_months_unit(const char *u);
void shoal_func_add_months(exec *x, qval *a, int n, qval *out);
extern const char *const shoal_func_names[];

/* A time range [lo, hi) in epoch ms. */
typedef struct trange {
    int64_t lo, hi;
} trange;

/* A per-member event aggregate: count(post WHERE original) DURING this_month. The
 * accumulators are dense arrays indexed by member id. */
typedef struct magg {
    int fn;             /* F_* */
    const shoal_node *node;
    uint8_t *types;     /* bitmap over type ids; NULL: every type */
    cx *arg;            /* value for sum/avg/min/max; NULL for count/first/last */
    cx *filter;
    int has_win;
    trange win;
    const shoal_window *wnode;   /* the window it was planned with (its own or the statement's) */
    uint32_t *n;        /* events counted / values seen (a log holds fewer than 2^32 events: exec.c) */
    /* Instead of n, a count from a view alone over members (exec.c's count8_ok): a byte
     * per member, exact below 255, the counts of 255 and more in big (engine's count8.c);
     * magg_count reads either */
    uint8_t *n8;
    shoal_count8 big;
    double *d;          /* sum, min, max as double */
    int64_t *i;         /* first/last ts */
    qval *v;            /* min, max: the value itself (a number, a boolean, text) */
    shoal_xsum *x;      /* sum, avg: exact sums (engine/xsum.c), as a view keeps them */
    int num;            /* a non-integral value was seen: sums are doubles */
    char desc[160];     /* for EXPLAIN */
    /* F_SCORE, F_RISE: weight per type id, half-life */
    double *w;
    double w_max;   /* the largest of w */
    int64_t half_life;
    /* F_RISE: the score at instant t_hi of the events before b_hi (in d) minus the
     * score at t_lo of the events before b_lo (in d2; t_lo is INT64_MIN when the window
     * has no start, and that score is 0). From a view, tail is set when the log's
     * events from b_lo (or b_hi) on are read to take them out. */
    int64_t t_lo, t_hi, b_lo, b_hi;
    double *d2;
    int tail;
    uint64_t *ebits;    /* who existed (plan.exist), from a view: the members it found, whole
                         * months from presence bitmaps (exec_views.c); n has the days and hours.
                         * For plan.exist_or's count read narrow from a view alone: its members
                         * above 0, as its read marked them (exec_members.c ORs these words, not
                         * its bytes) */
    /* answered from a view (views.c): which, and the local days [day_lo, day_hi), and
     * the UTC hours [hours[0], hours[1]) before them and [hours[2], hours[3]) after
     * them from its hour buckets (the edges of a window that starts or ends mid-day) */
    const char *vname;
    uint32_t vseries;
    int64_t day_lo, day_hi;
    int64_t hours[4];
    char vdesc[240];    /* for EXPLAIN */
    /* Where its values come from (views.c): MG_SCAN the log; MG_VIEW a view; MG_EDGE a
     * view for the whole local days (and hours) of its window, [hole.lo, hole.hi), and the log for
     * the part of the window before and after them. */
    int src;
    trange hole;
    /* F_SCORE, F_RISE with rows only for some members (exec_views.c): a member whose value
     * lies in the open interval (live_lo, live_hi) around 0 needs no row of its own
     * for it (every use treats that value as it treats 0) */
    double live_lo, live_hi;
    /* Read narrow (exec_members.c, for classes of members): a byte per member that decides
     * every comparison the statement makes of the value. A count stops at cap; a
     * score is its cell among the thresholds it is compared with (cuts, ascending): 2j
     * below cuts[j] and above the one before, 2j + 1 at cuts[j], 255 for a NaN. */
    int narrow;
    uint8_t *c8;
    int c8_kept;       /* c8 is a PER statement's kept counts (exec_views.c read_sat_cum), not freed with the plan */
    unsigned cap;
    /* A count read narrow from a view alone, with a WHERE test true exactly from pass_lo
     * on (pass_lo > 0, exec_members.c's pass_at_least): the members whose byte reached
     * it, listed and as bits by the reads (passed: NULL when not read so; its list is
     * this plan's unless pass_kept, then the PER statement's, x->cum) */
    unsigned pass_lo;
    shoal_passed *passed;
    int pass_kept;
    int c8_scratch;    /* c8 is the PER statement's scratch bytes (x->cum's z8), zeroed again after the period */
    double *cuts;
    int n_cuts;
    /* A window anchored on the member's own event (… WITHIN 7 DAYS AFTER first(join)):
     * anchor is the slot + 1 of the anchor's aggregate (a first or last), the window
     * [its instant + alo, its instant + ahi). Read by a second pass over the log once
     * the anchors are known (anchor.c); a member without the anchor has NULL, which
     * magg_val reads in anchor_n (the anchor's counts, bound when the arrays are). */
    int anchor;
    int64_t alo, ahi;
    const uint32_t *anchor_n;
    /* … OF to: the anchor is that of the member the event's property of_key names
     * (0: the event's own member); the value is then never NULL */
    uint32_t of_key;
    /* F_DCOUNT: the (member, value) pairs seen (exec_int.h's dset); F_MEDIAN, F_QUANTILE,
     * F_STDDEV, F_VARIANCE: each member's values (vals[m], vcap[m] of room, n[m] held),
     * and quantile's p */
    void *dset;
    double **vals;
    uint32_t *vcap;
    double q;
} magg;

enum { MG_SCAN = 0, MG_VIEW, MG_EDGE };

/* A row aggregate (per group): count(*), count(DISTINCT x), sum(x)…. */
typedef struct ragg {
    int fn;
    int star, distinct;
    const shoal_node *node;
    cx *arg;
    cx *filter;        /* … FILTER (WHERE filter): only the rows it holds for */
    cx *arg2;          /* quantile(x, p): p, a constant */
} ragg;

/* Window functions (exec_window.c). */
enum { W_ROW_NUMBER = 1, W_RANK, W_DENSE_RANK, W_PERCENT_RANK, W_CUME_DIST, W_NTILE, W_LAG, W_LEAD,
       W_FIRST_VALUE, W_LAST_VALUE, W_AGG };

/* A window function over the rows after grouping: its inputs are slots of the values
 * each row keeps (plan.wbase), evaluated when the row is made; its value is computed
 * once every row is in, over its partition's rows in its order. */
typedef struct wfunc {
    int kind;          /* W_* */
    ragg ra;           /* W_AGG: the aggregate (fn, star; arg and filter unused: slots below) */
    const shoal_node *node;
    int n_args;
    int args[3];       /* base slots: lag(x, n, default), ntile(n), the aggregate's argument */
    int filter;        /* base slot of FILTER (WHERE …), or -1 */
    int n_part, n_order;
    int *part;         /* base slots */
    int *order;        /* base slots */
    int *desc, *nulls;
    /* ROWS BETWEEN: the frame's rows from the current one (lo_unb, hi_unb: from the
     * partition's start, to its end), for the aggregates, first_value and last_value */
    int frame, lo_unb, hi_unb;
    int64_t lo, hi;
    /* RANGE BETWEEN: lo and hi offsets of the one ORDER BY key's value (in its units:
     * milliseconds for a time: lof and hif, which need not be whole), or with neither,
     * the current row's peers. GROUPS BETWEEN (groups): lo and hi count groups of peers
     * from the current row's */
    int range, groups;
    double lof, hif;
} wfunc;

/* exec_window.c: the kind of window function name (W_*), or 0. */
int shoal_window_kind(const char *name);

/* Per group accumulator of one row aggregate. */
typedef struct acc {
    int64_t n;
    int64_t isum;
    shoal_xsum xs;     /* sum, avg: the doubles, and integers past isum's 64 bits, exactly (xsum.c) */
    int num;           /* sum, avg: a double was among the values */
    qval v;            /* min, max, first, last; sum, avg, median: only its type, the values' one (or NULL) */
    double *vals;      /* median: the values seen, in the statement's arena */
    uint32_t n_vals, cap_vals;
    int fixed;         /* median, quantile: the value is v already (cohort.c) */
} acc;


enum { SRC_NONE = 0, SRC_EVENTS, SRC_MEMBERS, SRC_ROWS };

/* A row source's rows go to the executor through this sink (exec.c's run; rowsrc.h). */
typedef struct run shoal_rowsink;
struct shoal_rowsrc;

/* The plan of one SELECT. */
typedef struct plan {
    int src;
    /* the scan */
    uint64_t max_seq;        /* AS OF SEQ, else the snapshot's last */
    int64_t cut_ts;          /* AS OF 'date': events after it are not seen; INT64_MAX */
    int64_t now;
    int has_range;           /* events: statement DURING */
    trange range;
    uint8_t *type_filter;    /* events: types WHERE can accept; NULL = all */
    uint32_t n_types;
    cx *where;
    const shoal_node *where_ast;   /* the WHERE compiled: the statement's, less what a row source took */
    /* per-member aggregates */
    magg *maggs;
    int n_maggs;
    const void *lcs[8];      /* lifecycle_state()'s compiled states (activity.c), for EXPLAIN */
    int n_lcs;
    uint32_t *tl_start, *tl;  /* CSR: aggregates per type id (but the anchored ones) */
    int n_anchored;          /* aggregates over windows anchored on a member's event */
    /* grouping */
    int grouped;
    cx **keys;
    int n_keys;
    ragg *raggs;
    int n_raggs;
    cx *having;
    /* output */
    int n_cols;
    cx **cols;
    const char **names;
    cx **order;
    int *desc;
    int n_order;
    int64_t limit, offset;   /* limit < 0: none */
    int *nulls;              /* per ORDER BY key: 0 the default (NULL is least), 1 NULLS FIRST, 2 NULLS LAST */
    int ties;                /* LIMIT … WITH TIES */
    /* window functions: the values every row keeps until they are computed (wbase),
     * and the functions; every output column and ORDER BY key then reads only those */
    wfunc *wins;
    int n_wins;
    cx **wbase;
    int n_wbase;
    int star_props;          /* SELECT * over events: property columns follow */
    uint32_t n_members;
    /* views (views.c) */
    int from_views;          /* every per-member aggregate comes from a view: no scan */
    int members_all;         /* over members: the rows are 1..n_members (as of the whole log) */
    int exist;               /* … less those for whom aggregate exist-1 is 0 (AS OF a date) */
    int exist_or;            /* … or above 0 in aggregate exist_or-1 as well, a count of every event
                              * up to the cut from a start the existence window reaches
                              * (views.c exist_with_count) */
    int exist_lazy;          /* … read only when ORDER BY a score DESC LIMIT k does not settle it
                              * (views.c top_implies_event): then the source its view gave
                              * (MG_VIEW or MG_EDGE), the aggregate itself marked MG_VIEW */
    int n_zr;                /* a members scan reads only these time ranges (zone map); 0: all */
    int64_t *zr;             /* n_zr pairs [lo, hi) */
    int n_views;             /* views that exist */
    char why[240];           /* why the log is scanned, for EXPLAIN */
    char layers[200];        /* the layers compiled in, for EXPLAIN */
    /* FROM tiers(name): its definition (items: tier name, condition) and text */
    const char *tiers;
    const shoal_stmt *tiers_def;
    const char *tiers_text;
    /* SRC_ROWS (FROM flow(name), retention(name) …): the columns of the rows it makes,
     * the source that makes them (rowsrc.h) and its state */
    int n_src;
    const char *const *src_names;
    const int *src_rt;
    const uint8_t *src_ns;
    const struct shoal_rowsrc *rsrc;
    void *rs_state;
    int rs_off, rs_len;     /* FROM's span in the statement, for the memory budget's refusal */
    /* FROM a JOIN b …: each column's source (its alias, else its name), for a.column and
     * for telling a bare name's source (join.c); NULL for the other row sources */
    const char *const *src_qual;
    /* subqueries in expressions ((SELECT …), x IN (SELECT …)): planned with this plan,
     * run before it (subquery.c) */
    struct shoal_subq *subs;
    int n_subs;
    /* a SELECT over a derived table or WITH query merged with it (merge.c): what it
     * read, for EXPLAIN; else NULL */
    const char *merged;
} plan;

/* cohort.c: a grouped statement over members per period of first(A) answered from a
 * first/last view's cohort index. shoal_cohort_match: 1 with *out (from a) when plan p
 * has that shape, 0 when not, -1 on no memory; shoal_cohort_view: the view and its two
 * series, for EXPLAIN. */
typedef struct shoal_cohort shoal_cohort;
int shoal_cohort_match(shoal_arena *a, const plan *p, shoal_cohort **out);
const char *shoal_cohort_view(const shoal_cohort *c, uint32_t *sa, uint32_t *sb);

struct rowctx {
    const shoal_rec *rec;
    uint32_t member;
    const qval *keys;
    const qval *aggs;
    const qval *cols;
    const qval *src;   /* SRC_ROWS: the source row */
    const qval *wbase; /* with window functions: the row's kept values */
    const qval *wvals; /* … and its window functions' values */
};

/* The execution state shared by compile and run. */
struct exec {
    shoal_arena *a;
    shoal_arena *scratch;   /* per-row temporaries (rendered cells, function results) */
    shoal_err *err;
    shoal_reader *r;
    shoal_db *db;
    shoal_tz *tz;
    int64_t now;
    volatile int *cancel;
    plan *p;
    rowctx *row;
    const char *src;
    uint64_t n_scanned;
    uint64_t n_skipped;     /* records jumped over by the zone map */
    uint64_t n_decoded;
    int no_views;           /* SET VIEWS = off: always scan the log */
    uint64_t mem_limit;     /* SET MEMORY_LIMIT: the budget of groups, sorted and window rows (exec_spill.c) */
    uint64_t mem_held;      /* … of it, what the statement holds besides (per-member arrays, a join's rows: exec_spill.c) */
    shoal_bigcache *cache;  /* the session's kept big arrays (NULL: none) */
    int civ_ok;             /* func.c: the last local day converted to a civil date */
    int64_t civ_day, civ_y;
    unsigned civ_m;
    /* when set, a SELECT's rows go here instead of to the output (EXPLAIN MEMBER) */
    int (*on_row)(exec *x, const qval *cols, int n, void *ctx);
    const void *fn_ctx;     /* the running function's cx ctx */
    void *row_ctx;
    char tag[256];          /* what a CREATE, DROP or SET did (its status line), or "" */
    /* while a definition is compiled (a CREATE, or a layer's, tiers', retention's,
     * activity's or experiment's stored text at use): an event type or a property the
     * dictionary does not hold yet is no error but names events that do not exist (an
     * aggregate of them counts nothing); the names are listed in unseen (plan.c) */
    int lax_names;
    int note_unseen;        /* a CREATE: the names go to unseen, for its warning (query.c) */
    char unseen[200];
    /* composition (subquery.c): the WITH queries in sight, the statements a subquery
     * being planned is nested in, and, while one period of a PER statement is planned,
     * that period's value (the column period) and its [lo, hi) (the window period) */
    const struct shoal_scope *scope;
    const struct shoal_outer *outer;
    const qval *per_value;
    trange per_range;
    int merge_failed;       /* planning as written a SELECT whose merged form did not plan (merge.c) */
    /* while a PER statement runs its periods: the counts of who the members were as of
     * the last period's end, which the next period's extends (exec_views.c) */
    struct shoal_cumread *cum;
};

/* exec_scanpar.c: whether a scan over events runs on several threads, for EXPLAIN;
 * 0 (nothing to say) when the log is too small to be split in any case */
int shoal_exec_split_explain(const plan *p, char *buf, size_t n);
/* exec_dense.c: whether a GROUP BY over events goes to dense cells, for EXPLAIN: 1 with
 * what into buf, else 0 */
int shoal_exec_dense_explain(exec *x, const plan *p, char *buf, size_t n);

/* Counts of a counters view's series over local days [day_lo, day_hi), kept for a
 * later read from the same day_lo to a later day_hi, which then reads only the days
 * after day_hi (exec_views.c: the existence aggregate of PER's periods). */
typedef struct shoal_cumread {
    char vname[80];
    uint32_t series, n_members;
    int64_t day_lo, day_hi;
    uint32_t *counts;   /* n_members + 1, shoal_malloc'd; NULL: nothing kept */
    /* A narrow count over every day up to c8_hi (DURING all_time), capped at c8_cap,
     * kept likewise for the next period (read_sat_cum); one aggregate's, slot c8_slot. */
    char c8_vname[80];
    uint32_t c8_series, c8_members;
    unsigned c8_cap;
    int c8_slot;
    int64_t c8_hi;
    uint8_t *c8;        /* n_members + 1; NULL: nothing kept */
    uint64_t *c8_live;  /* in c8's allocation: its members above 0, a bit each */
    unsigned c8_pass_lo;
    shoal_passed c8_passed;   /* its members at c8_pass_lo or above (bits in c8's allocation) */
    /* Bytes a member, all 0 between periods, for a period's own narrow count when its
     * classes are counted from the members that passed (exec_views.c): a period of one
     * month bucket writes only the bytes of the members that passed (shoal_passed's
     * once_ok), zeroed again after it member by member, others the whole array
     * (exec.c). NULL: not made yet. */
    uint8_t *z8;
    uint32_t z8_members;
    int z8_busy;
    /* the views' list of reader views_r, read once for every period's plan (views.c),
     * in an arena of its own (a period plans in one freed after it); NULL: not read */
    shoal_arena *views_a;
    const shoal_reader *views_r;
    shoal_viewinfo *views;
    int n_views;
} shoal_cumread;

/* value.c */
int shoal_val_truthy(const qval *v);
int shoal_val_cmp(exec *x, const qval *a, const qval *b, int *out);   /* 0 ok, -1 NULL */
int shoal_val_eq(exec *x, const qval *a, const qval *b);               /* 1, 0, -1 NULL */
int shoal_val_str(exec *x, const qval *v, const char **s, uint32_t *n); /* string form of STR/ID */
/* What an output cell holds, which formats align and quote by. */
enum { CELL_NULL = 0, CELL_BOOL, CELL_NUM, CELL_STR };
/* Renders v for output into a (kind: CELL_*). */
int shoal_val_render(exec *x, const qval *v, const char **out, size_t *n, int *kind);
/* An integer's decimal digits, at the end of buf: returns where they start. */
const char *shoal_val_int_text(int64_t i, char buf[24], size_t *n);
/* A non-whole double's text (numtext.c): the shortest of %.15g, %.16g, %.17g that reads
 * back to d, into buf (NUL-ended); returns its length. _printf is the same by printf and
 * strtod alone (the reference the fast way is tested against). */
size_t shoal_num_text(double d, char buf[40]);
size_t shoal_num_text_printf(double d, char buf[40]);
int shoal_val_keep(exec *x, qval *v);   /* copies a borrowed V_STR into the arena */
/* Type families (value.c says how they compare): 0 NULL, 1 numbers and booleans, 2
 * durations, 3 times (TS, DATE, MONTH), 4 text; -1 for a type it is not. */
int shoal_val_family(int t);
const char *shoal_val_type_name(int t);   /* "a number", "a date", … for messages */
/* The type of a <op> b (SHOAL_OP_ADD … MOD) for values of types ta and tb, or -1 when
 * that arithmetic is not defined (a duration plus a number, text, …). */
int shoal_val_arith_type(int op, int ta, int tb);
/* Two times of different kinds in the finer one (a day as its first instant…), and a
 * day or a month beside a duration as its first instant. */
void shoal_val_promote(exec *x, qval *a, qval *b);
/* The boolean or number a text spells ("true", "2011", "2.5"): 1 with out set, or 0. */
int shoal_val_spell(const char *s, uint32_t n, qval *out);
/* Strings in byte order, a prefix first: -1, 0 or 1 (text comparisons and sorting). */
static inline int shoal_bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return an < bn ? -1 : an > bn;
}

/* A value's hash and identity for grouping: in line, since every row of a GROUP BY pays
 * them for each key. */
static inline uint64_t shoal_val_hash(const qval *v)
{
    uint64_t h = 1469598103934665603ULL ^ v->t;
    if (v->t == V_STR) {
        for (uint32_t i = 0; i < v->n; i++) h = (h ^ (unsigned char)v->u.s[i]) * 1099511628211ULL;
    } else if (v->t == V_NUM) {
        uint64_t bits;
        double d = v->u.d == 0 ? 0 : v->u.d;
        memcpy(&bits, &d, 8);
        h = (h ^ bits) * 1099511628211ULL;
    } else if (v->t != V_NULL) {
        /* the namespace tells ids apart only (shoal_val_same reads it for V_ID alone;
         * in other values it is not set) */
        uint64_t ns = v->t == V_ID ? (uint64_t)v->ns << 56 : 0;
        h = (h ^ ((uint64_t)v->u.i + ns)) * 0x9E3779B97F4A7C15ULL;
    }
    h ^= h >> 29;
    return h * 0xBF58476D1CE4E5B9ULL;
}

/* identical (for grouping) */
static inline int shoal_val_same(const qval *a, const qval *b)
{
    if (a->t != b->t) return 0;
    switch (a->t) {
    case V_NULL: return 1;
    case V_STR: return a->n == b->n && memcmp(a->u.s, b->u.s, a->n) == 0;
    case V_NUM: return a->u.d == b->u.d;
    case V_ID: return a->ns == b->ns && a->u.i == b->u.i;
    default: return a->u.i == b->u.i;
    }
}

int shoal_val_like(const char *s, size_t n, const char *p, size_t pn);

/* plan.c: n compiled as an expression over the rows of p's row source (a JOIN's ON),
 * in statement st; NULL with the error set. */
cx *shoal_plan_row_expr(exec *x, const shoal_stmt *st, plan *p, const shoal_node *n, const char *clause);

/* exec_eval.c */
void shoal_exec_eval(exec *x, const cx *e, qval *out);
/* exec_eval.c: 1 when an event filter (a cx over one record's columns and properties)
 * holds for rec, 0 when it is false or NULL; no filter holds. For the passes a row
 * source or anchor.c makes over the log beside the scan's own. */
int shoal_exec_holds(exec *x, const cx *filter, const shoal_rec *rec);

/* plan.c: time helpers shared with query.c */
int shoal_plan_time(exec *x, const char *s, size_t n, int end_of_day, int64_t *out);
int shoal_plan_select(exec *x, const shoal_stmt *st, plan **out);
/* Two expressions written alike (GROUP BY and ORDER BY match select items by it). */
int shoal_plan_ast_equal(const shoal_node *a, const shoal_node *b);
/* 1 when n, an aggregate call in statement st, is a per-member aggregate there (over
 * members: count(post), count(*) DURING …), 0 when it aggregates rows. */
int shoal_plan_member_agg(exec *x, const shoal_stmt *st, const shoal_node *n);
/* A window as [lo, hi) instants relative to x->now; local day numbers and their starts
 * in the database's time zone (for flow.c's periods). */
int shoal_plan_window(exec *x, const shoal_window *w, int64_t *lo, int64_t *hi);
int64_t shoal_plan_local_day(exec *x, int64_t ts);
int64_t shoal_plan_day_start(exec *x, int64_t day);
int shoal_plan_explain(exec *x, const shoal_stmt *st, const plan *p, char ***lines, int *n_lines);
/* An instant for EXPLAIN's lines, as the session shows timestamps ("-" for none). */
void shoal_plan_fmt_ts(exec *x, int64_t t, char *buf, size_t n);
/* Layers and tiers (named conditions over members, kept in meta as their CREATE
 * text). layer_check compiles pred as the WHERE of a SELECT over members (x->r open),
 * so a CREATE LAYER or TIERS fails with the same errors, at the same positions, as the
 * query would. def_find reads definition name of kind ("layer", "tiers") in x->r and
 * parses it into x->a: its CREATE statement and text (the source its node offsets
 * refer to), for a statement that names it at [off, len); anything but a definition
 * of that kind is an error there in x->err (unknown, one of the other kind, a view,
 * one that does not parse). 0 or the error's code. */
int shoal_plan_layer_check(exec *x, const shoal_stmt *st, const shoal_node *pred);
/* s, a name the dictionary does not hold, met while a definition is compiled
 * (x->lax_names): 1, and noted in x->unseen when x->note_unseen; 0 when not allowed. */
int shoal_plan_unseen(exec *x, const char *s);
int shoal_plan_def_find(exec *x, const char *name, const char *kind, int off, int len, const shoal_stmt **def,
                        const char **text);

/* Output sink (format.c). */
typedef struct shoal_fmt shoal_fmt;
typedef struct cell {
    const char *s;
    size_t n;
    int kind;   /* CELL_* */
} cell;
int shoal_fmt_new(int format, shoal_write_fn fn, void *ctx, shoal_fmt **out);
void shoal_fmt_free(shoal_fmt *f);
/* Gives tee (owned from now) every begin, row and end that f gets (a second format of the same rows). */
void shoal_fmt_set_tee(shoal_fmt *f, shoal_fmt *tee);
/* Table format: the first n rows are shown (0: all), the others counted and said to
 * be there, with hint (borrowed; NULL: none). Other formats write every row. */
void shoal_fmt_set_max_rows(shoal_fmt *f, uint64_t n, const char *hint);
int shoal_fmt_begin(shoal_fmt *f, const char *const *names, int n);
/* Table and markdown: room for n more rows, when their number is known ahead (a sort's
 * rows), so the cells' arrays are not grown row by row. Other formats: nothing. */
int shoal_fmt_reserve(shoal_fmt *f, uint64_t n);
int shoal_fmt_row(shoal_fmt *f, const cell *cells);
int shoal_fmt_end(shoal_fmt *f);
int shoal_fmt_text(shoal_fmt *f, const char *s, size_t n);  /* a message line (SET) */

/* scan.c: the executor's log cursor (shoal_logcur's records, decoded inline). */

/* views.c: CREATE, DROP and SHOW VIEWS, and the planner's choice of views. */
int shoal_views_create(exec *x, const shoal_stmt *st);
int shoal_views_drop(exec *x, const shoal_stmt *st);
int shoal_views_show(exec *x, shoal_fmt *f);
int shoal_views_plan(exec *x, plan *p);
/* The series of a definition's event aggregate (count(…), first(…) or each(…) over
 * types and a filter) as a view keeps it: 0, 1 when no view can (the reason in why),
 * or an error. */
int shoal_views_series(exec *x, const shoal_node *call, shoal_vseries *s, char *why, size_t n_why);
/* The view or definition closest to name (shoal_closest), of kind ("layer", "tiers",
 * "retention", "activity", "experiment", "counters", "score", "firstlast"; NULL: any),
 * in a snapshot of now; NULL when none is close. Valid while c lives. */
const char *shoal_views_closest(exec *x, const char *name, const char *kind, shoal_closest *c);
/* 1 when name is a score view (its info in out, strings in x->a), 0 when not, or < 0. */
int shoal_views_score(exec *x, const char *name, shoal_viewinfo *out);
/* The series of a views' counters a per-member aggregate call reads (count(T, … [WHERE
 * f]), sum(T.p) …): an error at the node when a view cannot keep it. */
int shoal_views_series_of(exec *x, const shoal_node *n, shoal_vseries *s);

/* exec.c: runs a planned SELECT, sending rows to f. */
int shoal_exec_select(exec *x, plan *p, shoal_fmt *f);
/* plan_alike.c: 1 when the members without any per-member value make one weighed row
 * (a grouped statement over members whose rows depend on per-member aggregates only). */
int shoal_plan_alike(const plan *p);
/* plan_alike.c: when those rows depend only on comparisons of counts and scores with
 * numbers, how many comparisons (a member's row is decided by which of them hold),
 * else 0. */
int shoal_plan_classes(const plan *p);
/* plan_alike.c: how many of the aggregates those comparisons read are read narrow, a
 * byte per member that decides them (magg.narrow). */
int shoal_plan_narrow(const plan *p);
/* plan_alike.c: 1 when e depends on nothing but per-member aggregates and constants. */
int shoal_plan_maggs_only(const cx *e);

/* A comparison of a count or a score with a number (the stuff of layers and tiers),
 * read straight from the aggregate's array: mcmp_of says whether e is one (and takes
 * what it needs out of e, so that a loop over members keeps it in registers);
 * mcmp_at compares for member m, 1 with out set, 0 for a NaN (the general way then
 * decides). */
typedef struct mcmp {
    const magg *g;
    int sub, ints;        /* ints: a count against an integer, compared as integers */
    int64_t ci;
    double cd;
} mcmp;

static inline int mcmp_of(const plan *p, const cx *e, mcmp *c)
{
    if (e->op != X_CMP || e->a->op != X_MAGG || e->b->op != X_CONST || (e->b->k.t != V_INT && e->b->k.t != V_NUM))
        return 0;
    c->g = &p->maggs[e->a->slot];
    if ((c->g->fn != F_COUNT && c->g->fn != F_SCORE) || c->g->anchor) return 0;   /* anchored: may be NULL */
    c->sub = e->sub;
    c->ints = c->g->fn == F_COUNT && e->b->k.t == V_INT;
    c->ci = e->b->k.u.i;
    c->cd = e->b->k.t == V_NUM ? e->b->k.u.d : (double)e->b->k.u.i;
    if (c->g->narrow && c->g->fn == F_SCORE) {
        /* the threshold's own cell, which the member's is compared with */
        int j = 0;
        while (j < c->g->n_cuts && c->g->cuts[j] != c->cd) j++;
        if (j == c->g->n_cuts) return 0;
        c->ints = 1;
        c->ci = 2 * j + 1;
    }
    return c->cd == c->cd;
}

/* exec_sort.c: the aggregate whose k best values bound the rows (ORDER BY it … LIMIT,
 * no WHERE or grouping): its slot and k, or -1 */
int shoal_exec_top_target(const plan *p, size_t *k);

/* plan_alike.c: the comparisons that decide a member's class, into t (64 at most;
 * shoal_plan_classes counts them), and whether aggregate i can be read narrow given
 * them (*cap: a count's cap); exec_members.c reads by them. */
int shoal_plan_class_tests(const plan *p, mcmp *t);
int shoal_plan_can_narrow(const plan *p, const mcmp *t, int n, int i, unsigned *cap);
/* Row sources (FROM flow(name), retention(name) …): rowsrc.h. */

/* anchor.c: the aggregates over windows anchored on each member's own event, in a
 * second pass over the log (the anchors known from the first): every record up to
 * p->max_seq and p->cut_ts, members' bits set in live (when not NULL) as the scan
 * sets them. Binds anchor_n first (shoal_anchor_bind, once the arrays exist). */
void shoal_anchor_bind(plan *p);
/* exec.c: one event's value into per-member aggregate a for member m, as the scan adds
 * it (count, first, last, sum, avg, min, max). 0 or an error in x->err. */
int shoal_exec_magg_add(exec *x, magg *a, uint32_t m, const shoal_rec *rec);
int shoal_anchor_scan(exec *x, plan *p, uint64_t *live);

#endif
