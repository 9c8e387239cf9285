/* func.c — the builtin functions, one table row each (Redis's command table): scalar
 * functions with their evaluators, and the aggregates, whose accumulation lives in
 * exec_group.c. Date functions work in the database's time zone.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "plan.h"

static int64_t local_days(exec *x, int64_t ts)
{
    int64_t local = ts + (x->tz ? (int64_t)shoal_tz_offset(x->tz, ts) * 1000 : 0);
    return local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
}

/* The civil date of a local day, remembering the last one: a scan meets the same day
 * over and over (events come in time order), and the conversion was a tenth of a full
 * scan grouped by month. */
static void civil(exec *x, int64_t d, int64_t *y, unsigned *m)
{
    if (!x->civ_ok || x->civ_day != d) {
        unsigned dd;
        shoal_cal_civil_from_days(d, &x->civ_y, &x->civ_m, &dd);
        x->civ_day = d;
        x->civ_ok = 1;
    }
    *y = x->civ_y;
    *m = x->civ_m;
}

static int ts_arg(const qval *a, int64_t *ts)
{
    if (a->t == V_TS) {
        *ts = a->u.i;
        return 1;
    }
    return 0;
}

/* The local day of a date or an instant argument; 0 for anything else (NULL). */
static int day_arg(exec *x, const qval *a, int64_t *d)
{
    if (a->t == V_DATE) *d = a->u.i;
    else if (a->t == V_TS) *d = local_days(x, a->u.i);
    else return 0;
    return 1;
}

static void f_day(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    int64_t ts;
    if (a[0].t == V_DATE) { *out = a[0]; return; }
    if (!ts_arg(&a[0], &ts)) { out->t = V_NULL; return; }
    out->t = V_DATE;
    out->u.i = local_days(x, ts);
}

static void f_week(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    int64_t d;
    if (!day_arg(x, &a[0], &d)) { out->t = V_NULL; return; }
    out->t = V_DATE;
    out->u.i = shoal_cal_week_start(d);
}

static void f_month(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    int64_t d, y;
    unsigned m;
    if (!day_arg(x, &a[0], &d)) { out->t = V_NULL; return; }
    civil(x, d, &y, &m);
    out->t = V_MONTH;
    out->u.i = y * 12 + m - 1;
}

static void f_year(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    int64_t d, y;
    unsigned m;
    if (!day_arg(x, &a[0], &d)) { out->t = V_NULL; return; }
    civil(x, d, &y, &m);
    out->t = V_INT;
    out->u.i = y;
}

static void f_hour(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    int64_t ts;
    if (!ts_arg(&a[0], &ts)) { out->t = V_NULL; return; }
    int64_t local = ts + (x->tz ? (int64_t)shoal_tz_offset(x->tz, ts) * 1000 : 0);
    int64_t ms = local % 86400000;
    if (ms < 0) ms += 86400000;
    out->t = V_INT;
    out->u.i = ms / 3600000;
}

static void f_now(exec *x, qval *a, int n, qval *out)
{
    (void)a, (void)n;
    out->t = V_TS;
    out->u.i = x->now;
}

static void f_case(exec *x, qval *a, int n, qval *out, int up)
{
    (void)n;
    const char *s;
    uint32_t len;
    if (shoal_val_str(x, &a[0], &s, &len)) { *out = a[0]; return; }
    char *p = shoal_arena_alloc(x->scratch, len + 1);
    if (!p) {
        /* Evaluation has no return code: the error is recorded and the row loop stops. */
        shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
        out->t = V_NULL;
        return;
    }
    for (uint32_t i = 0; i < len; i++) p[i] = (char)(up ? toupper((unsigned char)s[i]) : tolower((unsigned char)s[i]));
    p[len] = 0;
    out->t = V_STR;
    out->u.s = p;
    out->n = len;
}
static void f_lower(exec *x, qval *a, int n, qval *out) { f_case(x, a, n, out, 0); }
static void f_upper(exec *x, qval *a, int n, qval *out) { f_case(x, a, n, out, 1); }

static void f_length(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    const char *s;
    uint32_t len;
    if (shoal_val_str(x, &a[0], &s, &len)) { out->t = V_NULL; return; }
    int64_t chars = 0;
    for (uint32_t i = 0; i < len; i++) chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    out->t = V_INT;
    out->u.i = chars;
}

static void f_abs(exec *x, qval *a, int n, qval *out)
{
    (void)x, (void)n;
    *out = a[0];
    if (a[0].t == V_INT && a[0].u.i < 0 && a[0].u.i != INT64_MIN) out->u.i = -a[0].u.i;
    else if (a[0].t == V_NUM) out->u.d = fabs(a[0].u.d);
}

static void f_round(exec *x, qval *a, int n, qval *out)
{
    (void)x;
    if (a[0].t != V_NUM) { *out = a[0]; return; }
    int64_t digits = n > 1 && a[1].t == V_INT ? a[1].u.i : 0;
    if (digits < 0) digits = 0;
    if (digits > 15) digits = 15;
    double p = pow(10, (double)digits);
    out->t = V_NUM;
    out->u.d = round(a[0].u.d * p) / p;
}

/* sleep(seconds): waits, in steps short enough that Ctrl-C cancels it at once.
 * For demonstrations and for the tests of cancellation. */
static void f_sleep(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    double secs = a[0].t == V_NUM ? a[0].u.d : a[0].t == V_INT ? (double)a[0].u.i : 0;
    if (secs > 3600) secs = 3600;
    struct timespec step = {0, 10 * 1000 * 1000};
    for (double t = 0; t < secs && !(x->cancel && *x->cancel); t += 0.01) nanosleep(&step, NULL);
    out->t = V_NULL;
}

static void f_coalesce(exec *x, qval *a, int n, qval *out)
{
    (void)x;
    for (int i = 0; i < n; i++)
        if (a[i].t != V_NULL) { *out = a[i]; return; }
    out->t = V_NULL;
}

static const func funcs[] = {
    {"abs", 0, 1, 1, f_abs, -1},
    {"avg", F_AVG, 1, 1, NULL, V_NUM},
    {"coalesce", 0, 1, 16, f_coalesce, -1},
    {"count", F_COUNT, 0, 64, NULL, V_INT},
    {"day", 0, 1, 1, f_day, V_DATE},
    {"first", F_FIRST, 1, 64, NULL, -1},
    {"hour", 0, 1, 1, f_hour, V_INT},
    {"last", F_LAST, 1, 64, NULL, -1},
    {"length", 0, 1, 1, f_length, V_INT},
    {"lower", 0, 1, 1, f_lower, V_STR},
    {"max", F_MAX, 1, 1, NULL, -1},
    {"median", F_MEDIAN, 1, 1, NULL, V_NUM},
    {"min", F_MIN, 1, 1, NULL, -1},
    {"month", 0, 1, 1, f_month, V_MONTH},
    {"now", 0, 0, 0, f_now, V_TS},
    {"rise", F_RISE, 1, 1, NULL, V_NUM},
    {"round", 0, 1, 2, f_round, -1},
    {"sleep", 0, 1, 1, f_sleep, -1},
    {"sum", F_SUM, 1, 1, NULL, -1},
    {"upper", 0, 1, 1, f_upper, V_STR},
    {"week", 0, 1, 1, f_week, V_DATE},
    {"year", 0, 1, 1, f_year, V_INT},
};

const char *const shoal_func_names[] = {
    "abs", "avg", "coalesce", "count", "day", "first", "hour", "last", "length", "lower", "max",
    "median", "min", "month", "now", "rise", "round", "sleep", "sum", "upper", "week", "year", NULL,
};

const func *shoal_func_find(const char *name)
{
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
        if (!strcasecmp(funcs[i].name, name)) return &funcs[i];
    return NULL;
}
