/* func.c — the builtin functions, one table row each (Redis's command table): scalar
 * functions with their evaluators, and the aggregates, whose accumulation lives in
 * exec_group.c. Date functions work in the database's time zone.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* An error at the running function's call (its cx is x->fn_ctx); the result is NULL
 * and the row loop stops. */
static void fn_error(exec *x, qval *out, const char *fmt, const char *a)
{
    const cx *e = x->fn_ctx;
    shoal_err_set(x->err, SHOAL_ESEMANTIC, e ? e->off : -1, e ? e->len : -1, fmt, a);
    out->t = V_NULL;
}

/* a number's value as a double: 1, or 0 (NULL, text, a time …) */
static int num_arg(const qval *a, double *d)
{
    switch (a->t) {
    case V_BOOL: case V_INT: *d = (double)a->u.i; return 1;
    case V_NUM: *d = a->u.d; return 1;
    default: return 0;
    }
}

static void put_num(qval *out, double d)
{
    out->t = V_NUM;
    out->u.d = d;
}

/* a math function's argument: NULL gives NULL; text or a time is an error */
static int math_arg(exec *x, const qval *a, double *d, qval *out, const char *name)
{
    out->t = V_NULL;
    if (a->t == V_NULL) return 0;
    if (!num_arg(a, d)) return fn_error(x, out, "%s() takes numbers", name), 0;
    return 1;
}

static void f_pow(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    double b, e;
    if (!math_arg(x, &a[0], &b, out, "pow") || !math_arg(x, &a[1], &e, out, "pow")) return;
    double r = pow(b, e);
    if (r != r) return fn_error(x, out, "%s() of a negative number to a fractional power is not a number", "pow");
    put_num(out, r);
}

static void f_exp(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    double d;
    if (math_arg(x, &a[0], &d, out, "exp")) put_num(out, exp(d));
}

static void f_ln(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    double d;
    if (!math_arg(x, &a[0], &d, out, "ln")) return;
    if (!(d > 0)) return fn_error(x, out, "%s() takes a number above 0", "ln");
    put_num(out, log(d));
}

static void f_sqrt(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    double d;
    if (!math_arg(x, &a[0], &d, out, "sqrt")) return;
    if (d < 0) return fn_error(x, out, "%s() takes a number from 0 up", "sqrt");
    put_num(out, sqrt(d));
}

static void f_floor_ceil(exec *x, qval *a, qval *out, int up)
{
    double d;
    if (a[0].t == V_INT || a[0].t == V_BOOL) { out->t = V_INT; out->u.i = a[0].u.i; return; }
    if (!math_arg(x, &a[0], &d, out, up ? "ceil" : "floor")) return;
    put_num(out, up ? ceil(d) : floor(d));
}
static void f_floor(exec *x, qval *a, int n, qval *out) { (void)n; f_floor_ceil(x, a, out, 0); }
static void f_ceil(exec *x, qval *a, int n, qval *out) { (void)n; f_floor_ceil(x, a, out, 1); }

/* greatest(a, b, …), least(…): the largest or smallest of the values that are not NULL
 * (PostgreSQL's), NULL when all are */
static void f_extreme(exec *x, qval *a, int n, qval *out, int great)
{
    out->t = V_NULL;
    for (int i = 0; i < n; i++) {
        if (a[i].t == V_NULL) continue;
        int c;
        if (out->t == V_NULL) { *out = a[i]; continue; }
        if (shoal_val_cmp(x, &a[i], out, &c)) continue;
        if (great ? c > 0 : c < 0) *out = a[i];
    }
}
static void f_greatest(exec *x, qval *a, int n, qval *out) { f_extreme(x, a, n, out, 1); }
static void f_least(exec *x, qval *a, int n, qval *out) { f_extreme(x, a, n, out, 0); }

static void f_nullif(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    *out = a[0];
    if (a[0].t != V_NULL && shoal_val_eq(x, &a[0], &a[1]) > 0) out->t = V_NULL;
}

/* The local wall-clock time of an instant (a date or a month: its first instant), as
 * days since 1970-01-01 and milliseconds into the day: 1, or 0 for anything else. */
static int local_of(exec *x, const qval *a, int64_t *day, int64_t *ms)
{
    int64_t ts;
    if (a->t == V_DATE || a->t == V_MONTH) {
        int64_t d = a->t == V_DATE ? a->u.i : shoal_cal_days_from_civil(a->u.i / 12 - (a->u.i % 12 < 0), (unsigned)((a->u.i % 12 + 12) % 12) + 1, 1);
        *day = d;
        *ms = 0;
        return 1;
    }
    if (!ts_arg(a, &ts)) return 0;
    int64_t local = ts + (x->tz ? (int64_t)shoal_tz_offset(x->tz, ts) * 1000 : 0);
    *day = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
    *ms = local - *day * 86400000;
    return 1;
}

/* weekday(ts): 1 for Monday … 7 for Sunday (ISO 8601), in the session's zone */
static void f_weekday(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    int64_t d, ms;
    out->t = V_NULL;
    if (!local_of(x, &a[0], &d, &ms)) return;
    out->t = V_INT;
    out->u.i = ((d % 7 + 7 + 3) % 7) + 1;   /* 1970-01-01 was a Thursday */
}

static const char *const trunc_units[] = {"year", "quarter", "month", "week", "day", "hour", "minute", "second", NULL};

int shoal_func_trunc_unit(const char *s, size_t n)
{
    for (int i = 0; trunc_units[i]; i++)
        if (strlen(trunc_units[i]) == n && !strncasecmp(trunc_units[i], s, n)) return i;
    return -1;
}

/* date_trunc('unit', ts): the instant the local year, quarter, month, week (from
 * Monday), day, hour, minute or second of ts began */
static void f_date_trunc(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    int64_t d, ms, y;
    unsigned m, dd;
    out->t = V_NULL;
    if (a[0].t != V_STR || !local_of(x, &a[1], &d, &ms)) return;
    int u = shoal_func_trunc_unit(a[0].u.s, a[0].n);
    if (u < 0) return fn_error(x, out, "%s", "date_trunc()'s unit is year, quarter, month, week, day, hour, minute or second");
    out->t = V_TS;
    if (u >= 5) {
        int64_t step = u == 5 ? 3600000 : u == 6 ? 60000 : 1000;
        int64_t local = d * 86400000 + ms / step * step;
        out->u.i = x->tz ? shoal_tz_to_utc(x->tz, local) : local;
        return;
    }
    shoal_cal_civil_from_days(d, &y, &m, &dd);
    if (u == 0) d = shoal_cal_days_from_civil(y, 1, 1);
    else if (u == 1) d = shoal_cal_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
    else if (u == 2) d = shoal_cal_days_from_civil(y, m, 1);
    else if (u == 3) d = shoal_cal_week_start(d);
    out->u.i = shoal_plan_day_start(x, d);
}

/* The months of a calendar duration's unit: 1 for MONTH(S), 12 for YEAR(S), else 0 (a
 * fixed duration, or no unit). */
int shoal_func_months_unit(const char *u)
{
    if (!strcasecmp(u, "month") || !strcasecmp(u, "months")) return 1;
    if (!strcasecmp(u, "year") || !strcasecmp(u, "years")) return 12;
    return 0;
}

/* x + n MONTHS (a[1] the integer n, negative for minus): a time n local calendar months
 * on, the same wall-clock time, its day of the month clamped to the month's last (as
 * PostgreSQL does: 2025-01-31 + 1 MONTHS is 2025-02-28), a local time a change of the
 * clocks skips moving on by the gap; a date the same day (clamped) n months on; a month
 * n months on. NULL when out of range. */
void shoal_func_add_months(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    out->t = V_NULL;
    if (a[1].t != V_INT || a[0].t == V_NULL) return;
    int64_t k = a[1].u.i;
    if (k > 1200000 || k < -1200000) return;
    if (a[0].t == V_MONTH) {
        out->t = V_MONTH;
        out->u.i = a[0].u.i + k;
        return;
    }
    int64_t d, ms, y;
    unsigned m, dd;
    if (a[0].t == V_DATE) d = a[0].u.i, ms = 0;
    else if (!local_of(x, &a[0], &d, &ms)) return;
    shoal_cal_civil_from_days(d, &y, &m, &dd);
    int64_t mo = y * 12 + (int64_t)(m - 1) + k;
    int64_t ny = mo / 12 - (mo % 12 < 0);
    unsigned nm = (unsigned)((mo % 12 + 12) % 12) + 1;
    unsigned dim = shoal_cal_days_in_month(ny, nm);
    if (ny < -200000 || ny > 200000) return;
    int64_t nd = shoal_cal_days_from_civil(ny, nm, dd < dim ? dd : dim);
    if (a[0].t == V_DATE) {
        out->t = V_DATE;
        out->u.i = nd;
        return;
    }
    int64_t local = nd * 86400000 + ms;
    out->t = V_TS;
    out->u.i = x->tz ? shoal_tz_to_utc(x->tz, local) : local;
}

/* strftime('format', ts): the local time of ts as the format says: %Y %m %d %H %M %S,
 * %f (seconds with milliseconds, SS.SSS), %j (day of the year), %w (0 Sunday … 6),
 * %u (1 Monday … 7), %s (seconds since 1970), %F (%Y-%m-%d), %T (%H:%M:%S), %a %b
 * (English day and month abbreviations) and %% */
int shoal_func_strftime_bad(const char *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (f[i] == '%') {
            if (i + 1 == n || !strchr("YmdHMSfjwusFTab%", f[i + 1])) return (int)i;
            i++;
        }
    return -1;
}

static void f_strftime(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t d, ms, y;
    unsigned m, dd;
    out->t = V_NULL;
    if (a[0].t != V_STR || !local_of(x, &a[1], &d, &ms)) return;
    if (shoal_func_strftime_bad(a[0].u.s, a[0].n) >= 0)
        return fn_error(x, out, "%s", "strftime()'s format takes %Y %m %d %H %M %S %f %j %w %u %s %F %T %a %b and %%");
    shoal_cal_civil_from_days(d, &y, &m, &dd);
    size_t cap = (size_t)a[0].n * 12 + 1;
    char *p = shoal_arena_alloc(x->scratch, cap);
    if (!p) return fn_error(x, out, "%s", "out of memory");
    size_t k = 0;
    int w = (int)((d % 7 + 7 + 4) % 7);
    for (uint32_t i = 0; i < a[0].n; i++) {
        char ch = a[0].u.s[i];
        if (ch != '%') { p[k++] = ch; continue; }
        ch = a[0].u.s[++i];
        int64_t hh = ms / 3600000, mi = ms / 60000 % 60, ss = ms / 1000 % 60, ff = ms % 1000;
        switch (ch) {
        case 'Y': k += (size_t)snprintf(p + k, cap - k, "%04" PRId64, y); break;
        case 'm': k += (size_t)snprintf(p + k, cap - k, "%02u", m); break;
        case 'd': k += (size_t)snprintf(p + k, cap - k, "%02u", dd); break;
        case 'H': k += (size_t)snprintf(p + k, cap - k, "%02" PRId64, hh); break;
        case 'M': k += (size_t)snprintf(p + k, cap - k, "%02" PRId64, mi); break;
        case 'S': k += (size_t)snprintf(p + k, cap - k, "%02" PRId64, ss); break;
        case 'f': k += (size_t)snprintf(p + k, cap - k, "%02" PRId64 ".%03" PRId64, ss, ff); break;
        case 'j': k += (size_t)snprintf(p + k, cap - k, "%03" PRId64, d - shoal_cal_days_from_civil(y, 1, 1) + 1); break;
        case 'w': k += (size_t)snprintf(p + k, cap - k, "%d", w); break;
        case 'u': k += (size_t)snprintf(p + k, cap - k, "%d", w ? w : 7); break;
        case 's': k += (size_t)snprintf(p + k, cap - k, "%" PRId64, a[1].t == V_TS ? (a[1].u.i - (a[1].u.i % 1000 + 1000) % 1000) / 1000 : (d * 86400000 + ms) / 1000); break;
        case 'F': k += (size_t)snprintf(p + k, cap - k, "%04" PRId64 "-%02u-%02u", y, m, dd); break;
        case 'T': k += (size_t)snprintf(p + k, cap - k, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, hh, mi, ss); break;
        case 'a': k += (size_t)snprintf(p + k, cap - k, "%s", wd[w]); break;
        case 'b': k += (size_t)snprintf(p + k, cap - k, "%s", mo[m - 1]); break;
        default: p[k++] = '%';
        }
    }
    p[k] = 0;
    out->t = V_STR;
    out->u.s = p;
    out->n = (uint32_t)k;
}

/* a value as text (as the output shows it); 0, or -1 after the error */
static int text_of(exec *x, const qval *v, const char **s, size_t *n, qval *out)
{
    int kind;
    if (shoal_val_render(x, v, s, n, &kind)) return fn_error(x, out, "%s", "out of memory"), -1;
    return 0;
}

void shoal_func_concat(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    const char *s1, *s2;
    size_t n1, n2;
    out->t = V_NULL;
    if (a[0].t == V_NULL || a[1].t == V_NULL) return;
    if (text_of(x, &a[0], &s1, &n1, out) || text_of(x, &a[1], &s2, &n2, out)) return;
    char *p = shoal_arena_alloc(x->scratch, n1 + n2 + 1);
    if (!p) return fn_error(x, out, "%s", "out of memory");
    memcpy(p, s1, n1);
    memcpy(p + n1, s2, n2);
    p[n1 + n2] = 0;
    out->t = V_STR;
    out->u.s = p;
    out->n = (uint32_t)(n1 + n2);
}

/* CAST(x AS type): numbers truncate toward zero into integers; text must spell the
 * value (a number, true or false, a date or a time), or it is an error, never 0 */
void shoal_func_cast(exec *x, qval *a, int n, qval *out)
{
    (void)n;
    const cx *e = x->fn_ctx;
    int t = e->sub;
    qval v = a[0];
    out->t = V_NULL;
    if (v.t == V_NULL) return;
    const char *s;
    uint32_t len;
    if ((v.t == V_STR || v.t == V_ID) && t != V_STR) {
        shoal_val_str(x, &v, &s, &len);
        char what[48];
        snprintf(what, sizeof what, "%s'%.*s%s'", "", len > 30 ? 30 : (int)len, s, len > 30 ? "…" : "");
        if (t == V_TS || t == V_DATE || t == V_MONTH) {
            int64_t ts;
            if (t == V_MONTH && len == 7 && s[4] == '-' && isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6])) {
                int64_t y = strtoll(s, NULL, 10);
                int mm = atoi(s + 5);
                if (mm >= 1 && mm <= 12) { out->t = V_MONTH; out->u.i = y * 12 + mm - 1; return; }
            }
            if (shoal_plan_time(x, s, len, 0, &ts)) return fn_error(x, out, "cannot cast %s to a time: it is not a date", what);
            v.t = V_TS;
            v.u.i = ts;
        } else if (!shoal_val_spell(s, len, &v) || (t == V_BOOL) != (v.t == V_BOOL)) {
            return fn_error(x, out, t == V_BOOL ? "cannot cast %s to a boolean" : "cannot cast %s to a number", what);
        }
    }
    double d;
    switch (t) {
    case V_INT:
        if (v.t == V_INT || v.t == V_BOOL) { out->t = V_INT; out->u.i = v.u.i; return; }
        if (v.t == V_DUR) { out->t = V_INT; out->u.i = v.u.i; return; }
        if (!num_arg(&v, &d)) return;
        if (!(d > -9.2e18 && d < 9.2e18)) return fn_error(x, out, "%s", "cannot cast a number this large to an integer");
        out->t = V_INT;
        out->u.i = (int64_t)trunc(d);
        return;
    case V_NUM:
        if (v.t == V_DUR) { put_num(out, (double)v.u.i); return; }
        if (num_arg(&v, &d)) put_num(out, d);
        return;
    case V_BOOL:
        if (num_arg(&v, &d)) { out->t = V_BOOL; out->u.i = d != 0; }
        return;
    case V_STR: {
        size_t k;
        if (text_of(x, &v, &s, &k, out)) return;
        out->t = V_STR;
        out->u.s = s;
        out->n = (uint32_t)k;
        return;
    }
    default: {
        int64_t day, ms;
        if (!local_of(x, &v, &day, &ms)) return;
        if (t == V_DATE) { out->t = V_DATE; out->u.i = day; }
        else if (t == V_TS) { out->t = V_TS; out->u.i = v.t == V_TS ? v.u.i : shoal_plan_day_start(x, day); }
        else { out->t = V_MONTH; out->u.i = shoal_cal_month_of_day(day); }
        return;
    }
    }
}

static const func funcs[] = {
    {"abs", 0, 1, 1, f_abs, -1},
    {"avg", F_AVG, 1, 1, NULL, V_NUM},
    {"ceil", 0, 1, 1, f_ceil, -1},
    {"coalesce", 0, 1, 16, f_coalesce, -1},
    {"count", F_COUNT, 0, 64, NULL, V_INT},
    {"date_trunc", 0, 2, 2, f_date_trunc, V_TS},
    {"day", 0, 1, 1, f_day, V_DATE},
    {"exp", 0, 1, 1, f_exp, V_NUM},
    {"first", F_FIRST, 1, 64, NULL, -1},
    {"floor", 0, 1, 1, f_floor, -1},
    {"greatest", 0, 1, 16, f_greatest, -1},
    {"hour", 0, 1, 1, f_hour, V_INT},
    {"last", F_LAST, 1, 64, NULL, -1},
    {"least", 0, 1, 16, f_least, -1},
    {"length", 0, 1, 1, f_length, V_INT},
    {"ln", 0, 1, 1, f_ln, V_NUM},
    {"lower", 0, 1, 1, f_lower, V_STR},
    {"max", F_MAX, 1, 1, NULL, -1},
    {"median", F_MEDIAN, 1, 1, NULL, V_NUM},
    {"min", F_MIN, 1, 1, NULL, -1},
    {"month", 0, 1, 1, f_month, V_MONTH},
    {"now", 0, 0, 0, f_now, V_TS},
    {"nullif", 0, 2, 2, f_nullif, -1},
    {"pow", 0, 2, 2, f_pow, V_NUM},
    {"power", 0, 2, 2, f_pow, V_NUM},
    {"quantile", F_QUANTILE, 2, 2, NULL, V_NUM},
    {"rise", F_RISE, 1, 1, NULL, V_NUM},
    {"round", 0, 1, 2, f_round, -1},
    {"sleep", 0, 1, 1, f_sleep, -1},
    {"sqrt", 0, 1, 1, f_sqrt, V_NUM},
    {"stddev", F_STDDEV, 1, 1, NULL, V_NUM},
    {"strftime", 0, 2, 2, f_strftime, V_STR},
    {"sum", F_SUM, 1, 1, NULL, -1},
    {"upper", 0, 1, 1, f_upper, V_STR},
    {"variance", F_VARIANCE, 1, 1, NULL, V_NUM},
    {"week", 0, 1, 1, f_week, V_DATE},
    {"weekday", 0, 1, 1, f_weekday, V_INT},
    {"year", 0, 1, 1, f_year, V_INT},
};

const char *const shoal_func_names[] = {
    "abs", "avg", "cast", "ceil", "coalesce", "count", "cume_dist", "date_trunc", "day", "dense_rank", "exp",
    "first", "first_value", "floor", "greatest", "hour", "lag", "last", "last_value", "lead", "least", "length",
    "ln", "lower", "max", "median", "min", "month", "now", "ntile", "nullif", "percent_rank", "pow", "power",
    "quantile", "rank", "rise", "round", "row_number", "sleep", "sqrt", "stddev", "strftime", "sum", "upper",
    "variance", "week", "weekday", "year", NULL,
};

const func *shoal_func_find(const char *name)
{
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
        if (!strcasecmp(funcs[i].name, name)) return &funcs[i];
    return NULL;
}
