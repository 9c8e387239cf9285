/* query.c — the entry point of the query layer (query.h): sessions, and
 * shoal_query_run, which parses a text of statements and runs them one by one, each in
 * its own arena: SELECT and EXPLAIN go through plan.c and exec.c, SET, SHOW and
 * EXPLAIN MEMBER (one SELECT whose row is taken apart) are handled here. The REPL, `shoal query` and batch jobs all come through here (clox's
 * interpret()).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "scan.h"

struct shoal_session {
    shoal_db *db;
    int format;
    int timing;
    int has_now;
    int64_t now;
    volatile int *cancel;
    shoal_write_fn fn;
    void *ctx;
    shoal_status_fn status;
    void *status_ctx;
    shoal_tz *tz;       /* the zone statements run in: the session's, else the database's */
    int tz_session;     /* SET TIMEZONE chose tz for this session */
    int no_views;       /* SET VIEWS = off: every query scans the log */
    uint64_t mem_limit; /* SET MEMORY_LIMIT, bytes (0: the default, half of memory) */
    uint64_t max_rows;  /* table format: rows shown (0: all) */
    char *max_rows_hint;
    shoal_bigcache *cache;   /* dense per-member arrays kept for the next statement */
    int pin;                 /* shoal_session_pin: statements read one snapshot, snap */
    shoal_reader *snap;      /* opened by the first statement that reads after the pin */
    shoal_stmt_fn on_stmt;   /* told before each statement runs */
    void *on_stmt_ctx;
    int tee_format;          /* a second output of every result, 0 when none */
    shoal_write_fn tee_fn;
    void *tee_ctx;
};

int shoal_session_new(shoal_db *db, shoal_session **out, shoal_err *err)
{
    shoal_session *s = shoal_malloc(sizeof *s);
    if (!s) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    memset(s, 0, sizeof *s);
    s->db = db;
    s->format = SHOAL_OUT_TABLE;
    if (!(s->cache = shoal_bigcache_new())) {
        shoal_free(s);
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    }
    *out = s;
    return SHOAL_OK;
}

void shoal_session_free(shoal_session *s)
{
    if (!s) return;
    shoal_reader_close(s->snap);
    shoal_bigcache_free(s->cache);
    shoal_tz_free(s->tz);
    shoal_free(s->max_rows_hint);
    shoal_free(s);
}

void shoal_session_set_output(shoal_session *s, shoal_write_fn fn, void *ctx)
{
    s->fn = fn;
    s->ctx = ctx;
}
void shoal_session_set_status(shoal_session *s, shoal_status_fn fn, void *ctx)
{
    s->status = fn;
    s->status_ctx = ctx;
}
void shoal_session_set_format(shoal_session *s, int format) { s->format = format; }
void shoal_session_set_max_rows(shoal_session *s, uint64_t n, const char *hint)
{
    s->max_rows = n;
    shoal_free(s->max_rows_hint);
    s->max_rows_hint = NULL;
    if (hint && (s->max_rows_hint = shoal_malloc(strlen(hint) + 1))) strcpy(s->max_rows_hint, hint);
}
uint64_t shoal_session_max_rows(const shoal_session *s) { return s->max_rows; }
int shoal_session_format(const shoal_session *s) { return s->format; }
void shoal_session_set_timing(shoal_session *s, int on) { s->timing = on; }
int shoal_session_timing(const shoal_session *s) { return s->timing; }
void shoal_session_set_cancel(shoal_session *s, volatile int *flag) { s->cancel = flag; }
void shoal_session_set_memory_limit(shoal_session *s, uint64_t bytes) { s->mem_limit = bytes; }

/* The default budget: half of the machine's memory (DuckDB's default is 80%; a laptop
 * runs other things), at least 64 MiB. */
static uint64_t default_mem_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    uint64_t half = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / 2 : (uint64_t)1 << 31;
    return half < ((uint64_t)64 << 20) ? (uint64_t)64 << 20 : half;
}

uint64_t shoal_session_memory_limit(const shoal_session *s) { return s->mem_limit ? s->mem_limit : default_mem_limit(); }

int shoal_query_size_parse(const char *text, uint64_t *out)
{
    const char *t = text;
    while (*t == ' ') t++;
    if (!(*t >= '0' && *t <= '9') && *t != '.') return -1;
    char *end;
    double v = strtod(t, &end);
    while (*end == ' ') end++;
    static const char units[] = "BKMGT";
    double mul = 1;
    if (*end) {
        const char *u = strchr(units, toupper((unsigned char)*end));
        if (!u) return -1;
        for (const char *k = units; k < u; k++) mul *= 1024;
        end++;
        if (u > units && (*end == 'i' || *end == 'I')) end++;
        if (u > units && (*end == 'b' || *end == 'B')) end++;
        while (*end == ' ') end++;
        if (*end) return -1;
    }
    double b = v * mul;
    if (!(b >= 1) || b > 9.2e18) return -1;
    *out = (uint64_t)b;
    return 0;
}

/* A budget as SHOW SETTINGS and SET's status line show it: in the largest unit that
 * keeps it whole (256MB), else in MB with a decimal. */
static void mem_text(uint64_t b, char *buf, size_t n)
{
    static const char *const names[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    uint64_t v = b;
    while (u < 4 && v >= 1024 && v % 1024 == 0) v /= 1024, u++;
    if (u >= 2 || b < 1024 * 1024) snprintf(buf, n, "%" PRIu64 "%s", v, names[u]);
    else if (b >= (uint64_t)1 << 30) snprintf(buf, n, "%.1fGB", (double)b / 1073741824.0);
    else snprintf(buf, n, "%.1fMB", (double)b / 1048576.0);
}

void shoal_session_set_tee(shoal_session *s, int format, shoal_write_fn fn, void *ctx)
{
    s->tee_format = format;
    s->tee_fn = fn;
    s->tee_ctx = ctx;
}

void shoal_session_set_on_statement(shoal_session *s, shoal_stmt_fn fn, void *ctx)
{
    s->on_stmt = fn;
    s->on_stmt_ctx = ctx;
}

/* A batch job's statements must agree with each other: one LMDB read transaction for
 * all of them, so an ingest committing meanwhile changes none of their answers. It is
 * opened lazily, by the first statement that reads, so that definitions (CREATE, DROP,
 * SET DATABASE TIMEZONE, each its own write transaction) can come first and be seen by
 * it; after it, a write is refused, since the snapshot would not see it. The
 * database's time zone is then read once too (a session's SET TIMEZONE still works). */
void shoal_session_pin(shoal_session *s, int on)
{
    s->pin = on;
    if (!on) {
        shoal_reader_close(s->snap);
        s->snap = NULL;
    }
}

int shoal_session_snapshot(shoal_session *s, shoal_reader **out, shoal_err *err)
{
    *out = NULL;
    if (!s->pin) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the session has no pinned snapshot");
    if (!s->snap) {
        int rc = shoal_reader_open(s->db, &s->snap, err);
        if (rc) return rc;
    }
    *out = s->snap;
    return SHOAL_OK;
}

/* The statement's snapshot: the pinned one, or its own. */
static int open_reader(shoal_session *s, exec *x)
{
    if (!s->pin) return shoal_reader_open(s->db, &x->r, x->err);
    return shoal_session_snapshot(s, &x->r, x->err);
}

/* The statement's formatter, with the tee's behind it. */
static int new_fmt(shoal_session *s, exec *x, shoal_fmt **f)
{
    int rc = shoal_fmt_new(s->format, s->fn, s->ctx, f);
    if (!rc) shoal_fmt_set_max_rows(*f, s->max_rows, s->max_rows_hint);
    if (!rc && s->tee_format) {
        shoal_fmt *t;
        if ((rc = shoal_fmt_new(s->tee_format, s->tee_fn, s->tee_ctx, &t))) {
            shoal_fmt_free(*f);
            *f = NULL;
        } else {
            shoal_fmt_set_tee(*f, t);
        }
    }
    return rc ? shoal_err_set(x->err, rc, -1, -1, "out of memory") : 0;
}

static const char *const format_names[] = {NULL, "table", "csv", "json", "ndjson", "markdown"};

int shoal_query_format_parse(const char *name)
{
    for (int i = 1; i <= SHOAL_OUT_MARKDOWN; i++)
        if (!strcasecmp(name, format_names[i])) return i;
    if (!strcasecmp(name, "md")) return SHOAL_OUT_MARKDOWN;
    return 0;
}

const char *shoal_query_format_name(int format)
{
    return format >= 1 && format <= SHOAL_OUT_MARKDOWN ? format_names[format] : "?";
}

const char *const *shoal_query_keywords(void) { return shoal_kw_names; }
const char *const *shoal_query_functions(void) { return shoal_func_names; }

static double now_ms(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The session's time zone: the one SET TIMEZONE chose, else the database's default
 * (SET DATABASE TIMEZONE), reloaded when that setting changed (another process may
 * have set it). */
static int load_tz(shoal_session *s, shoal_err *err)
{
    if (s->tz_session || (s->snap && s->tz)) return 0;
    char name[128];
    shoal_err e;
    shoal_err_clear(&e);
    int rc = shoal_db_setting_get(s->db, "timezone", name, sizeof name, &e);
    if (rc == SHOAL_ENOTFOUND) snprintf(name, sizeof name, "UTC");
    else if (rc) return shoal_err_set(err, rc, -1, -1, "%s", e.msg);
    if (s->tz && !strcmp(shoal_tz_name(s->tz), name)) return 0;
    shoal_tz *tz;
    if ((rc = shoal_tz_new(name, NULL, &tz, &e))) return shoal_err_set(err, rc, -1, -1, "database time zone: %s", e.msg);
    shoal_tz_free(s->tz);
    s->tz = tz;
    return 0;
}

/* A formatter's failure as the statement's error: no memory, or output that could not
 * be written. */
static int output_error(exec *x, int rc)
{
    return shoal_err_set(x->err, rc == SHOAL_ENOMEM ? SHOAL_ENOMEM : SHOAL_EIO, -1, -1,
                         rc == SHOAL_ENOMEM ? "out of memory" : "cannot write the output");
}

/* The end of every statement that reads: the formatter goes, then the snapshot. */
static int finish(shoal_session *s, exec *x, shoal_fmt *f, int rc)
{
    shoal_fmt_free(f);
    if (x->r != s->snap) shoal_reader_close(x->r);
    x->r = NULL;
    return rc;
}
static int run_select(shoal_session *s, exec *x, const shoal_stmt *st, int explain)
{
    plan *p;
    shoal_fmt *f = NULL;
    int rc = open_reader(s, x);
    if (rc) return rc;
    if ((rc = shoal_plan_select(x, explain ? st->inner : st, &p))) goto fail;
    if ((rc = new_fmt(s, x, &f))) goto fail;
    if (explain) {
        char **lines;
        int n;
        if ((rc = shoal_plan_explain(x, st->inner, p, &lines, &n))) goto fail;
        static const char *const names[] = {"plan"};
        if ((rc = shoal_fmt_begin(f, names, 1))) goto io;
        for (int i = 0; i < n; i++) {
            cell c = {lines[i], strlen(lines[i]), CELL_STR};
            if ((rc = shoal_fmt_row(f, &c))) goto io;
        }
    } else {
        if ((rc = shoal_exec_select(x, p, f))) goto fail;
    }
    if ((rc = shoal_fmt_end(f))) goto io;
    goto fail;
io:
    rc = output_error(x, rc);
fail:
    return finish(s, x, f, rc);
}

/* A one-column or two-column listing (SHOW). */
static int run_show(shoal_session *s, exec *x, const shoal_stmt *st)
{
    shoal_fmt *f = NULL;
    int rc = open_reader(s, x);
    if (rc) return rc;
    if ((rc = new_fmt(s, x, &f))) goto fail;
    if (!strcasecmp(st->name, "types")) {
        /* With each type's number of events: one pass over the record headers. */
        uint32_t n = shoal_dict_count(x->r, SHOAL_NS_TYPE);
        uint64_t *counts = shoal_arena_alloc(x->a, sizeof(uint64_t) * (n + 1));
        if (!counts) {
            rc = shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
            goto fail;
        }
        memset(counts, 0, sizeof(uint64_t) * (n + 1));
        scan_range sr;
        shoal_rec rec;
        if ((rc = scan_range_open(&sr, x->r, 1, UINT64_MAX, NULL, 0, NULL, x->cancel, x->err))) goto fail;
        while ((rc = scan_range_next(&sr, &rec)) == 1)
            if (rec.type <= n) counts[rec.type]++;
        scan_range_close(&sr);
        if (rc < 0) goto fail;
        static const char *const names[] = {"type", "events"};
        if ((rc = shoal_fmt_begin(f, names, 2))) goto io;
        for (uint32_t id = 1; id <= n; id++) {
            shoal_str str;
            if ((rc = shoal_dict_str(x->r, SHOAL_NS_TYPE, id, &str, x->err))) goto fail;
            char num[32];
            snprintf(num, sizeof num, "%llu", (unsigned long long)counts[id]);
            cell c[2] = {{str.ptr ? str.ptr : "", str.len, CELL_STR}, {num, strlen(num), CELL_NUM}};
            if ((rc = shoal_fmt_row(f, c))) goto io;
        }
    } else if (!strcasecmp(st->name, "properties")) {
        static const char *const names[] = {"property"};
        if ((rc = shoal_fmt_begin(f, names, 1))) goto io;
        uint32_t n = shoal_dict_count(x->r, SHOAL_NS_PROP);
        for (uint32_t id = 1; id <= n; id++) {
            shoal_str str;
            if ((rc = shoal_dict_str(x->r, SHOAL_NS_PROP, id, &str, x->err))) goto fail;
            cell c = {str.ptr ? str.ptr : "", str.len, CELL_STR};
            if ((rc = shoal_fmt_row(f, &c))) goto io;
        }
    } else if (!strcasecmp(st->name, "settings")) {
        static const char *const names[] = {"setting", "value", "scope"};
        if ((rc = shoal_fmt_begin(f, names, 3))) goto io;
        char nowbuf[64];
        if (s->has_now) {
            qval v = {.t = V_TS, .u.i = s->now};
            const char *str;
            size_t len;
            int kind;
            shoal_val_render(x, &v, &str, &len, &kind);
            snprintf(nowbuf, sizeof nowbuf, "%.*s", (int)len, str);
        } else {
            snprintf(nowbuf, sizeof nowbuf, "wall clock");
        }
        char membuf[48];
        mem_text(shoal_session_memory_limit(s), membuf, sizeof membuf);
        const char *rows[6][3] = {
            {"timezone", shoal_tz_name(s->tz), s->tz_session ? "session" : "database"},
            {"now", nowbuf, "session"},
            {"format", shoal_query_format_name(s->format), "session"},
            {"timing", s->timing ? "on" : "off", "session"},
            {"views", s->no_views ? "off" : "on", "session"},
            {"memory_limit", membuf, s->mem_limit ? "session" : "default"},
        };
        for (int i = 0; i < 6; i++) {
            cell c[3];
            for (int j = 0; j < 3; j++) c[j] = (cell){rows[i][j], strlen(rows[i][j]), CELL_STR};
            if ((rc = shoal_fmt_row(f, c))) goto io;
        }
    } else if (!strcasecmp(st->name, "views")) {
        if ((rc = shoal_views_show(x, f))) goto fail;
    } else {
        rc = shoal_err_set(x->err, SHOAL_ESEMANTIC, st->name_off, st->name_len,
                           "unknown SHOW \"%s\" (expected TYPES, PROPERTIES, SETTINGS or VIEWS)", st->name);
        goto fail;
    }
    if ((rc = shoal_fmt_end(f))) goto io;
    goto fail;
io:
    rc = output_error(x, rc);
fail:
    return finish(s, x, f, rc);
}

/* ---------------------------------------------------------------- EXPLAIN MEMBER */

/* EXPLAIN MEMBER 'm' IN layer: the layer's predicate taken apart into its clauses
 * (each AND, OR and NOT node and each leaf, in reading order), each with the member's
 * value (a comparison's left side) and whether it holds, then the verdict. It runs as
 * one SELECT over members WHERE member = 'm', whose select list is every clause and
 * every left side, so the values are exactly the ones membership is decided on. */

typedef struct clause {
    const shoal_node *node;
    int depth;
    int value;    /* the slot of its left side's value, -1 when none */
    int holds;    /* the slot of its truth value */
} clause;

typedef struct why {
    clause *c;
    int n, cap, n_items;
    shoal_item *head, *tail;
    qval *vals;   /* the row, kept in x->a */
    int got;
} why;

static int why_item(exec *x, why *w, shoal_node *e)
{
    shoal_item *it = shoal_arena_alloc(x->a, sizeof *it);
    if (!it) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    memset(it, 0, sizeof *it);
    it->expr = e;
    if (w->tail) w->tail->next = it;
    else w->head = it;
    w->tail = it;
    return w->n_items++;
}

static int why_collect(exec *x, why *w, const shoal_node *n, int depth)
{
    if (w->n == w->cap) {
        int cap = w->cap ? w->cap * 2 : 16;
        clause *c = shoal_arena_alloc(x->a, sizeof *c * (size_t)cap);
        if (!c) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
        if (w->n) memcpy(c, w->c, sizeof *c * (size_t)w->n);
        w->c = c;
        w->cap = cap;
    }
    int k = w->n++;
    clause *c = &w->c[k];
    c->node = n;
    c->depth = depth;
    c->value = -1;
    int logic = n->kind == SHOAL_AST_NOT || (n->kind == SHOAL_AST_BINOP && (n->op == SHOAL_OP_AND || n->op == SHOAL_OP_OR));
    int leftside = !logic && n->a &&
                   (n->kind == SHOAL_AST_BINOP || n->kind == SHOAL_AST_IN || n->kind == SHOAL_AST_BETWEEN ||
                    n->kind == SHOAL_AST_LIKE || n->kind == SHOAL_AST_ISNULL);
    int rc;
    if (leftside) {
        if ((rc = why_item(x, w, n->a)) < 0) return rc;
        w->c[k].value = rc;
    }
    if ((rc = why_item(x, w, (shoal_node *)n)) < 0) return rc;
    w->c[k].holds = rc;
    if (logic) {
        if ((rc = why_collect(x, w, n->a, depth + 1))) return rc;
        if (n->b && (rc = why_collect(x, w, n->b, depth + 1))) return rc;
    }
    return 0;
}

static int why_row(exec *x, const qval *cols, int n, void *ctx)
{
    why *w = ctx;
    w->vals = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)n);
    if (!w->vals) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    memcpy(w->vals, cols, sizeof(qval) * (size_t)n);
    for (int i = 0; i < n; i++)
        if (shoal_val_keep(x, &w->vals[i])) return x->err->code;
    w->got = 1;
    return 0;
}

static int explain_member(shoal_session *s, exec *x, const shoal_stmt *st)
{
    shoal_fmt *f = NULL;
    const char *src = x->src;
    if (strcasecmp(st->name, "member"))
        return shoal_err_set(x->err, SHOAL_ESYNTAX, st->name_off, st->name_len,
                             "expected EXPLAIN SELECT … or EXPLAIN MEMBER 'name' IN layer but found \"%s\"", st->name);
    int rc = open_reader(s, x);
    if (rc) return rc;
    const shoal_stmt *def;
    const char *text;
    if ((rc = shoal_plan_def_find(x, st->vname, "layer", st->vname_off, st->vname_len, &def, &text))) goto fail;
    const shoal_node *pred = def->cols->expr;
    shoal_err quiet;
    const shoal_node *m = st->value;
    uint32_t id;
    shoal_err_clear(&quiet);
    rc = shoal_dict_id(x->r, SHOAL_NS_MEMBER, m->s, (size_t)m->n, &id, &quiet);
    if (rc == SHOAL_ENOTFOUND) {
        rc = shoal_err_set(x->err, SHOAL_ESEMANTIC, m->off, m->len, "no member \"%s\" in the log", m->s);
        goto fail;
    }
    if (rc) {
        rc = shoal_err_set(x->err, rc, -1, -1, "%s", quiet.msg);
        goto fail;
    }
    /* AS OF is checked here, where its positions are in this statement's text. */
    if (st->asof_seq && (!st->asof_seq->s || strcasecmp(st->asof_seq->s, "seq"))) {
        rc = shoal_err_set(x->err, SHOAL_ESEMANTIC, st->asof_seq->s2_off, st->asof_seq->s2_len,
                           "expected SEQ or a date after AS OF but found \"%s\"", st->asof_seq->s ? st->asof_seq->s : "");
        goto fail;
    }
    int64_t t;
    if (st->asof_date && shoal_plan_time(x, st->asof_date->s, (size_t)st->asof_date->n, 1, &t)) {
        rc = shoal_err_set(x->err, SHOAL_ESEMANTIC, st->asof_date->off, st->asof_date->len, "invalid date \"%s\"",
                           st->asof_date->s);
        goto fail;
    }
    why w;
    memset(&w, 0, sizeof w);
    if ((rc = why_collect(x, &w, pred, 0))) goto fail;
    /* SELECT <clauses> FROM members WHERE member = 'm', planned over the layer's text. */
    shoal_node *col = shoal_arena_alloc(x->a, sizeof *col), *eq = shoal_arena_alloc(x->a, sizeof *eq);
    shoal_stmt *q = shoal_arena_alloc(x->a, sizeof *q);
    if (!col || !eq || !q) {
        rc = shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    memset(col, 0, sizeof *col);
    memset(eq, 0, sizeof *eq);
    memset(q, 0, sizeof *q);
    col->kind = SHOAL_AST_NAME;
    col->s = "member";
    col->n = 6;
    eq->kind = SHOAL_AST_BINOP;
    eq->op = SHOAL_OP_EQ;
    eq->a = col;
    eq->b = (shoal_node *)m;
    q->kind = SHOAL_STMT_SELECT;
    q->cols = w.head;
    q->from = "members";
    q->where = eq;
    q->asof_date = st->asof_date;
    q->asof_seq = st->asof_seq;
    plan *p;
    shoal_err *saved = x->err;
    x->src = text;
    x->err = &quiet;
    shoal_err_clear(&quiet);
    x->on_row = why_row;
    x->row_ctx = &w;
    rc = shoal_plan_select(x, q, &p);
    if (!rc) rc = shoal_exec_select(x, p, NULL);
    x->on_row = NULL;
    x->src = src;
    x->err = saved;
    if (rc) {
        rc = shoal_err_set(x->err, rc, st->vname_off, st->vname_len, "layer \"%s\": %s", st->vname, quiet.msg);
        goto fail;
    }
    if (!w.got) {
        rc = shoal_err_set(x->err, SHOAL_ESEMANTIC, m->off, m->len, "member \"%s\" has no events as of then", m->s);
        goto fail;
    }
    if ((rc = new_fmt(s, x, &f))) goto fail;
    static const char *const names[] = {"clause", "value", "holds"};
    if ((rc = shoal_fmt_begin(f, names, 3))) goto io;
    for (int i = 0; i < w.n; i++) {
        const clause *c = &w.c[i];
        int ind = 2 * c->depth;
        char *txt = shoal_arena_alloc(x->a, (size_t)(ind + c->node->len + 1));
        if (!txt) {
            rc = shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
            goto fail;
        }
        memset(txt, ' ', (size_t)ind);
        memcpy(txt + ind, text + c->node->off, (size_t)c->node->len);
        cell cl[3] = {{txt, (size_t)(ind + c->node->len), CELL_STR}, {"", 0, CELL_NULL}, {"", 0, CELL_NULL}};
        if (c->value >= 0 && (rc = shoal_val_render(x, &w.vals[c->value], &cl[1].s, &cl[1].n, &cl[1].kind))) goto fail;
        if ((rc = shoal_val_render(x, &w.vals[c->holds], &cl[2].s, &cl[2].n, &cl[2].kind))) goto fail;
        if ((rc = shoal_fmt_row(f, cl))) goto io;
    }
    /* In the layer when the predicate is TRUE; NULL (an unknown) is not in. */
    const qval *root = &w.vals[w.c[0].holds];
    int in = root->t != V_NULL && shoal_val_truthy(root);
    const char *verdict = in ? "in" : "not in";
    cell cl[3] = {{"verdict", 7, CELL_STR}, {verdict, strlen(verdict), CELL_STR}, {in ? "true" : "false", in ? 4 : 5, CELL_BOOL}};
    if ((rc = shoal_fmt_row(f, cl))) goto io;
    if ((rc = shoal_fmt_end(f))) goto io;
    goto fail;
io:
    rc = output_error(x, rc);
fail:
    return finish(s, x, f, rc);
}

/* The status line of a SET: the setting as it now stands, e.g. SET TIMEZONE = 'UTC'. */
static void set_tag(exec *x, const shoal_stmt *st, const char *name, const char *val, int quote)
{
    snprintf(x->tag, sizeof x->tag, "SET %s%s = %s%s%s", st->w1 ? "DATABASE " : "", name, quote ? "'" : "", val,
             quote ? "'" : "");
}

/* SET TIMEZONE = 'Area/City' (this session; DEFAULT: back to the database's zone) and
 * SET DATABASE TIMEZONE = 'Area/City' (the default of every session that sets none,
 * kept in the database). */
static int set_timezone(shoal_session *s, exec *x, const shoal_stmt *st)
{
    const shoal_node *v = st->value;
    if (!st->w1 && v->kind == SHOAL_AST_NAME && !strcasecmp(v->s, "default")) {
        s->tz_session = 0;
        shoal_tz_free(s->tz);   /* so that a pinned session reads the database's zone again */
        s->tz = NULL;
        shoal_err e;
        shoal_err_clear(&e);
        if (load_tz(s, &e)) {
            /* A database zone that no longer loads: UTC, as run_stmt does. */
            shoal_tz_free(s->tz);
            s->tz = NULL;
            int rc = shoal_tz_new("UTC", NULL, &s->tz, x->err);
            if (rc) return rc;
        }
        x->tz = s->tz;
        set_tag(x, st, "TIMEZONE", "DEFAULT", 0);
        return 0;
    }
    if (v->kind == SHOAL_AST_INT || v->kind == SHOAL_AST_TSLIT)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, v->off, v->len, "%s", "expected a time zone name such as 'Asia/Shanghai'");
    shoal_tz *tz;
    shoal_err e;
    shoal_err_clear(&e);
    int rc = shoal_tz_new(v->s, NULL, &tz, &e);
    if (rc) return shoal_err_set(x->err, SHOAL_ESEMANTIC, v->off, v->len, "%s", e.msg);
    set_tag(x, st, "TIMEZONE", shoal_tz_name(tz), 1);
    if (st->w1) {
        shoal_tz_free(tz);
        return shoal_db_setting_set(s->db, "timezone", v->s, x->err);
    }
    shoal_tz_free(s->tz);
    s->tz = tz;
    s->tz_session = 1;
    x->tz = tz;
    return 0;
}

const char *shoal_session_timezone(shoal_session *s)
{
    if (load_tz(s, NULL) || !s->tz) return "UTC";
    return shoal_tz_name(s->tz);
}

static int run_set(shoal_session *s, exec *x, const shoal_stmt *st)
{
    const shoal_node *v = st->value;
    const char *val = v->kind == SHOAL_AST_INT ? "" : v->s;
    int tz = !strcasecmp(st->name, "timezone") || !strcasecmp(st->name, "time_zone");
    if (st->w1 && strcasecmp(st->w1, "database"))
        return shoal_err_set(x->err, SHOAL_ESYNTAX, st->w1_off, st->w1_len,
                             "expected a setting or DATABASE after SET but found \"%s\"", st->w1);
    if (st->w1 && !tz)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->name_off, st->name_len,
                             "the database keeps only TIMEZONE (SET DATABASE TIMEZONE = 'Area/City'), not \"%s\"", st->name);
    if (tz) return set_timezone(s, x, st);
    if (!strcasecmp(st->name, "now")) {
        if (v->kind == SHOAL_AST_NAME && !strcasecmp(val, "default")) {
            s->has_now = 0;
            set_tag(x, st, "NOW", "DEFAULT", 0);
            return 0;
        }
        int64_t t;
        if (v->kind == SHOAL_AST_INT || shoal_plan_time(x, val, strlen(val), 0, &t))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, v->off, v->len, "%s",
                                 "expected a date or time such as '2025-03-04' or '2025-03-04T09:00:00+08:00', or DEFAULT");
        s->has_now = 1;
        s->now = t;
        set_tag(x, st, "NOW", val, 1);
        return 0;
    }
    if (!strcasecmp(st->name, "format")) {
        int fmt = v->kind == SHOAL_AST_INT ? 0 : shoal_query_format_parse(val);
        if (!fmt)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, v->off, v->len, "%s",
                                 "unknown format (expected table, csv, json, ndjson or markdown)");
        s->format = fmt;
        set_tag(x, st, "FORMAT", shoal_query_format_name(fmt), 0);
        return 0;
    }
    if (!strcasecmp(st->name, "timing")) {
        if (v->kind != SHOAL_AST_INT && (!strcasecmp(val, "on") || !strcasecmp(val, "off"))) {
            s->timing = !strcasecmp(val, "on");
            set_tag(x, st, "TIMING", s->timing ? "on" : "off", 0);
            return 0;
        }
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, v->off, v->len, "%s", "expected ON or OFF");
    }
    if (!strcasecmp(st->name, "views")) {
        /* off makes every query scan the log: the tests run view-backed queries both ways. */
        if (v->kind != SHOAL_AST_INT && (!strcasecmp(val, "on") || !strcasecmp(val, "off"))) {
            s->no_views = !strcasecmp(val, "off");
            set_tag(x, st, "VIEWS", s->no_views ? "off" : "on", 0);
            return 0;
        }
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, v->off, v->len, "%s", "expected ON or OFF");
    }
    if (!strcasecmp(st->name, "memory_limit")) {
        uint64_t b = 0;
        if (v->kind == SHOAL_AST_NAME && !strcasecmp(val, "default")) {
            s->mem_limit = 0;
            set_tag(x, st, "MEMORY_LIMIT", "DEFAULT", 0);
            return 0;
        }
        if (v->kind == SHOAL_AST_INT || shoal_query_size_parse(val, &b))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, v->off, v->len, "%s",
                                 "expected a size such as '256MB' or '2GB', or DEFAULT");
        s->mem_limit = b;
        char buf[48];
        mem_text(b, buf, sizeof buf);
        set_tag(x, st, "MEMORY_LIMIT", buf, 1);
        return 0;
    }
    return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->name_off, st->name_len,
                         "unknown setting \"%s\" (expected TIMEZONE, NOW, FORMAT, TIMING, VIEWS or MEMORY_LIMIT)", st->name);
}

static int run_stmt(shoal_session *s, const shoal_stmt *st, const char *src, shoal_err *err)
{
    exec x;
    memset(&x, 0, sizeof x);
    x.err = err;
    x.db = s->db;
    x.cancel = s->cancel;
    x.src = src;
    x.a = shoal_arena_new();
    x.scratch = shoal_arena_new();
    int rc;
    if (!x.a || !x.scratch) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    if ((rc = load_tz(s, err))) {
        /* A zone that no longer loads must not stop SET TIMEZONE from replacing it. */
        if (st->kind != SHOAL_STMT_SET) goto fail;
        shoal_err_clear(err);
        shoal_tz_free(s->tz);
        if ((rc = shoal_tz_new("UTC", NULL, &s->tz, err))) goto fail;
    }
    x.tz = s->tz;
    x.no_views = s->no_views;
    x.mem_limit = shoal_session_memory_limit(s);
    x.cache = s->cache;
    /* arrays kept idle from earlier statements are not the statement's: at most half its
     * memory budget of them stays (query/exec_spill.c) */
    shoal_bigcache_trim(s->cache, x.mem_limit / 2);
    x.now = s->has_now ? s->now : (int64_t)now_ms(CLOCK_REALTIME);
    double t0 = now_ms(CLOCK_MONOTONIC);
    if (s->snap && (st->kind == SHOAL_STMT_CREATE || st->kind == SHOAL_STMT_DROP ||
                    (st->kind == SHOAL_STMT_SET && st->w1 &&
                     (!strcasecmp(st->name, "timezone") || !strcasecmp(st->name, "time_zone"))))) {
        const char *word = st->kind == SHOAL_STMT_CREATE ? "CREATE" : st->kind == SHOAL_STMT_DROP ? "DROP" : "SET DATABASE";
        rc = shoal_err_set(err, SHOAL_ESEMANTIC, st->off, (int)strlen(word),
                           "%s writes to the database after the session's snapshot was taken, which would not see it "
                           "(put CREATE, DROP and SET DATABASE TIMEZONE before the first query)", word);
        goto fail;
    }
    switch (st->kind) {
    case SHOAL_STMT_SELECT: rc = run_select(s, &x, st, 0); break;
    case SHOAL_STMT_EXPLAIN: rc = run_select(s, &x, st, 1); break;
    case SHOAL_STMT_SET: rc = run_set(s, &x, st); break;
    case SHOAL_STMT_CREATE: rc = shoal_views_create(&x, st); break;
    case SHOAL_STMT_DROP: rc = shoal_views_drop(&x, st); break;
    case SHOAL_STMT_EXPLAIN_MEMBER: rc = explain_member(s, &x, st); break;
    default: rc = run_show(s, &x, st); break;
    }
    if (!rc && s->status) {
        if (x.tag[0]) s->status(s->status_ctx, SHOAL_STATUS_TAG, x.tag);
        if (st->kind == SHOAL_STMT_CREATE && x.unseen[0]) {
            char line[400], kind[16];
            size_t i = 0;
            for (; st->name[i] && i + 1 < sizeof kind; i++) kind[i] = (char)tolower((unsigned char)st->name[i]);
            kind[i] = 0;
            snprintf(line, sizeof line, "warning: %s %s names what no event has yet: %s (misspelt? it counts once such events are ingested)",
                     kind, st->vname, x.unseen);
            s->status(s->status_ctx, SHOAL_STATUS_WARN, line);
        }
        if (s->timing) {
            char line[64];
            snprintf(line, sizeof line, "Time: %.3f ms", now_ms(CLOCK_MONOTONIC) - t0);
            s->status(s->status_ctx, SHOAL_STATUS_TIME, line);
        }
    }
fail:
    shoal_arena_free(x.a);
    shoal_arena_free(x.scratch);
    return rc;
}

int shoal_query_run(shoal_session *s, const char *src, size_t n, shoal_err *err)
{
    /* The stages read err->code to stop at the first error, so there always is one. */
    shoal_err local;
    if (!err) {
        shoal_err_clear(&local);
        err = &local;
    }
    if (n > (1u << 30)) return shoal_err_set(err, SHOAL_ERANGE, -1, -1, "query text is too long");
    shoal_parse_ctx c;
    memset(&c, 0, sizeof c);
    c.arena = shoal_arena_new();
    if (!c.arena) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    c.err = err;
    c.src = src;
    c.n_src = n;
    int rc = shoal_ast_parse(&c);
    for (const shoal_stmt *st = c.head; !rc && st; st = st->next) {
        if (s->on_stmt && s->on_stmt(s->on_stmt_ctx, (size_t)st->off, (size_t)st->len)) {
            rc = shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot write the output");
            break;
        }
        rc = run_stmt(s, st, src, err);
    }
    shoal_arena_free(c.arena);
    return rc;
}

/* The text at i when it is a quoted string or a comment: where it ends (after the
 * closing quote or "*\/", at the newline of "--"), *open set when it is not closed by
 * the end; i itself when it is neither. */
static size_t skip_quoted(const char *src, size_t n, size_t i, int *open)
{
    char ch = src[i];
    *open = 0;
    if (ch == '\'' || ch == '"') {
        size_t j = i + 1;
        while (j < n && src[j] != ch) j++;
        if (j >= n) *open = 1;
        return j >= n ? n : j + 1;
    }
    if (ch == '-' && i + 1 < n && src[i + 1] == '-') {
        while (i < n && src[i] != '\n') i++;
        return i;
    }
    if (ch == '/' && i + 1 < n && src[i + 1] == '*') {
        size_t j = i + 2;
        while (j + 1 < n && !(src[j] == '*' && src[j + 1] == '/')) j++;
        if (j + 1 >= n) *open = 1;
        return j + 1 >= n ? n : j + 2;
    }
    return i;
}

/* Skips blanks and comments from i; returns where the next token starts (n at the end). */
static size_t skip_blank(const char *src, size_t n, size_t i)
{
    int open;
    while (i < n) {
        char ch = src[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            i++;
        } else if (ch != '\'' && ch != '"') {
            size_t j = skip_quoted(src, n, i, &open);
            if (j == i) break;
            i = j;
        } else {
            break;
        }
    }
    return i;
}

/* The word at i (letters and '_'), compared with w ignoring case; its end in *end. */
static int word_is(const char *src, size_t n, size_t i, const char *w, size_t *end)
{
    size_t j = i;
    while (j < n && (((src[j] | 0x20) >= 'a' && (src[j] | 0x20) <= 'z') || src[j] == '_')) j++;
    size_t k = strlen(w);
    if (j - i != k) return 0;
    for (size_t x = 0; x < k; x++)
        if ((src[i + x] | 0x20) != w[x]) return 0;
    *end = j;
    return 1;
}

int shoal_query_defines(const char *src, size_t n)
{
    int start = 1;   /* at the start of a statement */
    for (size_t i = 0; i < n;) {
        if (start) {
            i = skip_blank(src, n, i);
            size_t e;
            if (i < n && (word_is(src, n, i, "create", &e) ||
                          (word_is(src, n, i, "set", &e) && word_is(src, n, skip_blank(src, n, e), "database", &e))))
                return 1;
            start = 0;
            continue;
        }
        int open;
        size_t j = skip_quoted(src, n, i, &open);
        if (j != i) {
            i = j;
        } else {
            if (src[i] == ';') start = 1;
            i++;
        }
    }
    return 0;
}

int shoal_query_complete(const char *src, size_t n)
{
    int done = 0, open;
    for (size_t i = 0; i < n;) {
        char ch = src[i];
        size_t j = skip_quoted(src, n, i, &open);
        if (open) return 0;
        if (j != i) {
            if (ch == '\'' || ch == '"') done = 0;
            i = j;
            continue;
        }
        if (ch == ';') done = 1;
        else if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') done = 0;
        i++;
    }
    return done;
}
