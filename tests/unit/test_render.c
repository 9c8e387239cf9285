/* test_render.c — dates, months and times as output cells (query/value.c's
 * shoal_val_render, which writes them digit by digit for the years 0..9999) against the
 * printf formats they replaced: "%04d-%02u-%02u", "%04d-%02u" and
 * "%04d-%02u-%02uT%02d:%02d:%02d[.%03d]" with "Z" or "%c%02d:%02d", over days from year
 * -50 to 10050, instants with and without milliseconds, in UTC, no zone, and zones of
 * odd offsets (-03:30, +05:45, +14:00); and an integer's digits (shoal_val_int_text)
 * against "%" PRId64. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "shoal.h"
#include "shoal_int.h"
#include "caltime.h"
#include "plan.h"
#include "tz.h"
#include "unit.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t next64(void) { return unit_next64(&rng); }

static long n_diff;

static void same(exec *x, const qval *v, const char *want)
{
    const char *s;
    size_t n;
    int kind;
    if (shoal_val_render(x, v, &s, &n, &kind) || n != strlen(want) || memcmp(s, want, n)) {
        if (n_diff++ < 10) printf("  %" PRId64 ": %.*s, printf %s\n", v->u.i, (int)n, s, want);
    }
    shoal_arena_reset(x->scratch);
}

/* the printf way, as value.c had it */
static void want_ts(const exec *x, int64_t t, char *buf)
{
    int64_t y;
    unsigned m, d;
    int32_t off = x->tz ? shoal_tz_offset(x->tz, t) : 0;
    int64_t local = t + (int64_t)off * 1000;
    int64_t days = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
    int64_t ms = local - days * 86400000;
    shoal_cal_civil_from_days(days, &y, &m, &d);
    char zone[16];
    if (off == 0 && (!x->tz || !strcmp(shoal_tz_name(x->tz), "UTC"))) snprintf(zone, sizeof zone, "Z");
    else snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', (off < 0 ? -off : off) / 3600,
                  ((off < 0 ? -off : off) / 60) % 60);
    int hh = (int)(ms / 3600000), mi = (int)(ms / 60000 % 60), ss = (int)(ms / 1000 % 60), ff = (int)(ms % 1000);
    if (ff) snprintf(buf, 96, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%03d%s", y, m, d, hh, mi, ss, ff, zone);
    else snprintf(buf, 96, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d%s", y, m, d, hh, mi, ss, zone);
}

TEST(render_dates)
{
    exec x;
    shoal_err err;
    memset(&x, 0, sizeof x);
    shoal_err_clear(&err);
    x.err = &err;
    x.scratch = shoal_arena_new();
    CHECK(x.scratch != NULL);
    if (!x.scratch) return;
    int64_t lo = shoal_cal_days_from_civil(-50, 1, 1), hi = shoal_cal_days_from_civil(10050, 12, 31);
    char want[96];
    for (int64_t day = lo; day <= hi; day += 1 + (int64_t)(next64() % 7)) {
        int64_t y;
        unsigned m, d;
        shoal_cal_civil_from_days(day, &y, &m, &d);
        snprintf(want, sizeof want, "%04" PRId64 "-%02u-%02u", y, m, d);
        same(&x, &(qval){.t = V_DATE, .u.i = day}, want);
    }
    for (int64_t mo = -50 * 12; mo <= 10050 * 12; mo++) {
        int64_t y;
        unsigned m;
        shoal_cal_month_split(mo, &y, &m);
        snprintf(want, sizeof want, "%04" PRId64 "-%02u", y, m);
        same(&x, &(qval){.t = V_MONTH, .u.i = mo}, want);
    }
    const char *zones[] = {NULL, "UTC", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati", "Europe/Paris"};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        x.tz = NULL;
        if (zones[z] && shoal_tz_new(zones[z], NULL, &x.tz, NULL)) continue;   /* (no zone files here) */
        const int64_t tlo = (lo + 2) * 86400000LL, thi = (hi - 2) * 86400000LL;
        for (int i = 0; i < 200000; i++) {
            int64_t t = tlo + (int64_t)(next64() % (uint64_t)(thi - tlo));
            if (i & 1) t -= t % 1000;   /* whole seconds: no milliseconds shown */
            want_ts(&x, t, want);
            same(&x, &(qval){.t = V_TS, .u.i = t}, want);
        }
        shoal_tz_free(x.tz);
    }
    x.tz = NULL;
    shoal_arena_free(x.scratch);
    CHECK(n_diff == 0);
}

/* An integer's digits (shoal_val_int_text: two a step from a table) against printf's
 * "%" PRId64, over 0..200k and their negatives, each power of ten and its neighbours,
 * the ends of int64 and 1M random values of every magnitude. */
static void same_int(int64_t i)
{
    char buf[24], want[32];
    size_t n;
    const char *s = shoal_val_int_text(i, buf, &n);
    snprintf(want, sizeof want, "%" PRId64, i);
    if (n != strlen(want) || memcmp(s, want, n) || s < buf || s + n != buf + 24)
        if (n_diff++ < 10) printf("  %s: %.*s\n", want, (int)n, s);
}

TEST(int_text)
{
    n_diff = 0;
    for (int64_t i = 0; i <= 200000; i++) same_int(i), same_int(-i);
    for (int64_t p = 1, k = 0; k < 19; k++) {   /* 10^0 .. 10^18 (10^19 would overflow) */
        for (int64_t d = -2; d <= 2; d++) same_int(p + d), same_int(-(p + d));
        if (k < 18) p *= 10;
    }
    same_int(INT64_MAX), same_int(INT64_MIN), same_int(INT64_MIN + 1), same_int(INT64_MAX - 1);
    for (int k = 0; k < 1000000; k++) {
        uint64_t r = next64();
        same_int((int64_t)(r >> (r & 63)));   /* (every magnitude) */
        same_int((int64_t)r);
    }
    CHECK(n_diff == 0);
}

int main(void)
{
    RUN(render_dates);
    RUN(int_text);
    UNIT_EXIT();
}
