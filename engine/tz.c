/* tz.c — IANA time zones from TZif files (RFC 8536), and civil calendar arithmetic.
 *
 * A zone is its list of transitions (64-bit times from the version 2+ block) with the
 * offset in force after each, plus the POSIX TZ rule of the footer, which governs every
 * instant after the last listed transition (Debian ships "fat" files listing transitions
 * to 2037, but slim files stop at the last rule change). Nothing here reads the
 * environment or calls localtime: a query may use any zone without global state.
 */
#include "tz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY 86400000LL

/* A POSIX TZ rule date: Mm.w.d, Jn or n, at time secs local. */
typedef struct rule_date {
    int kind;  /* 'M', 'J' or 'N' */
    int m, w, d, n;
    int32_t secs;
} rule_date;

struct shoal_tz {
    char name[128];
    uint32_t n_trans;
    int64_t *trans;        /* seconds, ascending */
    int32_t *trans_off;    /* offset after each transition */
    int32_t first_off;     /* before the first transition */
    int has_rule;
    int32_t std_off, dst_off;   /* east positive */
    int has_dst;
    rule_date start, end;
};

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int64_t floordiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/* ---------------------------------------------------------------- POSIX TZ rule */

static const char *parse_name(const char *p)
{
    if (*p == '<') {
        while (*p && *p != '>') p++;
        return *p ? p + 1 : NULL;
    }
    const char *s = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] → seconds. */
static const char *parse_hms(const char *p, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
    if (*p < '0' || *p > '9') return NULL;
    int32_t h = 0, m = 0, s = 0;
    while (*p >= '0' && *p <= '9') h = h * 10 + (*p++ - '0');
    if (*p == ':') {
        p++;
        while (*p >= '0' && *p <= '9') m = m * 10 + (*p++ - '0');
        if (*p == ':') {
            p++;
            while (*p >= '0' && *p <= '9') s = s * 10 + (*p++ - '0');
        }
    }
    if (h > 167) return NULL;
    *out = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *parse_rule_date(const char *p, rule_date *r)
{
    memset(r, 0, sizeof *r);
    r->secs = 7200;
    if (*p == 'M') {
        r->kind = 'M';
        p++;
        if (sscanf(p, "%d.%d.%d", &r->m, &r->w, &r->d) != 3) return NULL;
        if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d < 0 || r->d > 6) return NULL;
        while ((*p >= '0' && *p <= '9') || *p == '.') p++;
    } else {
        r->kind = 'N';
        if (*p == 'J') {
            r->kind = 'J';
            p++;
        }
        if (*p < '0' || *p > '9') return NULL;
        while (*p >= '0' && *p <= '9') r->n = r->n * 10 + (*p++ - '0');
        if (r->n > 365) return NULL;
    }
    if (*p == '/') {
        p = parse_hms(p + 1, &r->secs);
        if (!p) return NULL;
    }
    return p;
}

static int parse_rule(shoal_tz *tz, const char *p)
{
    int32_t off;
    if (!(p = parse_name(p)) || !(p = parse_hms(p, &off))) return -1;
    tz->std_off = -off;
    tz->has_rule = 1;
    if (!*p) return 0;
    if (!(p = parse_name(p))) return -1;
    tz->dst_off = tz->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = parse_hms(p, &off))) return -1;
        tz->dst_off = -off;
    }
    if (*p != ',' || !(p = parse_rule_date(p + 1, &tz->start))) return -1;
    if (*p != ',' || !(p = parse_rule_date(p + 1, &tz->end))) return -1;
    tz->has_dst = 1;
    return 0;
}

/* The local day (days since epoch) a rule date falls on in year y. */
static int64_t rule_day(const rule_date *r, int64_t y)
{
    if (r->kind == 'J') {
        int n = r->n;
        if (is_leap(y) && n >= 60) n++;   /* Jn never counts February 29 */
        return shoal_cal_days_from_civil(y, 1, 1) + n - 1;
    }
    if (r->kind == 'N') return shoal_cal_days_from_civil(y, 1, 1) + r->n;
    int64_t first = shoal_cal_days_from_civil(y, (unsigned)r->m, 1);
    int wd = (int)((first % 7 + 11) % 7);   /* 1970-01-01 was a Thursday: Sunday = 0 */
    int64_t day = first + (r->d - wd + 7) % 7 + (int64_t)(r->w - 1) * 7;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim = mdays[r->m - 1] + (r->m == 2 && is_leap(y));
    while (day >= first + dim) day -= 7;
    return day;
}

static int32_t rule_offset(const shoal_tz *tz, int64_t t)
{
    if (!tz->has_dst) return tz->std_off;
    int64_t y;
    unsigned m, d;
    shoal_cal_civil_from_days(floordiv(t + tz->std_off, 86400), &y, &m, &d);
    /* Start is given in standard time, end in daylight time. */
    int64_t start = rule_day(&tz->start, y) * 86400 + tz->start.secs - tz->std_off;
    int64_t end = rule_day(&tz->end, y) * 86400 + tz->end.secs - tz->dst_off;
    int in_dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return in_dst ? tz->dst_off : tz->std_off;
}

/* ---------------------------------------------------------------- TZif */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int parse_tzif(shoal_tz *tz, const unsigned char *p, size_t n)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0) return -1;
    int version = p[4];
    const unsigned char *h = p;
    size_t tsize = 4;
    uint32_t c[6];
    for (int i = 0; i < 6; i++) c[i] = be32(h + 20 + 4 * i);
    size_t v1 = (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
    if (version >= '2') {
        if (44 + v1 + 44 > n) return -1;
        h = p + 44 + v1;
        if (memcmp(h, "TZif", 4) != 0) return -1;
        for (int i = 0; i < 6; i++) c[i] = be32(h + 20 + 4 * i);
        tsize = 8;
    }
    uint32_t isutcnt = c[0], isstdcnt = c[1], leapcnt = c[2], timecnt = c[3], typecnt = c[4], charcnt = c[5];
    if (typecnt == 0 || typecnt > 256 || timecnt > 100000) return -1;
    const unsigned char *q = h + 44;
    size_t need = timecnt * tsize + timecnt + typecnt * 6 + charcnt + leapcnt * (tsize + 4) + isstdcnt + isutcnt;
    if ((size_t)(q - p) + need > n) return -1;
    const unsigned char *times = q, *idx = q + timecnt * tsize, *types = idx + timecnt;
    tz->trans = shoal_malloc((timecnt ? timecnt : 1) * sizeof *tz->trans);
    tz->trans_off = shoal_malloc((timecnt ? timecnt : 1) * sizeof *tz->trans_off);
    if (!tz->trans || !tz->trans_off) return -2;
    for (uint32_t i = 0; i < timecnt; i++) {
        int64_t t;
        if (tsize == 8) t = (int64_t)((uint64_t)be32(times + 8 * i) << 32 | be32(times + 8 * i + 4));
        else t = (int32_t)be32(times + 4 * i);
        if (idx[i] >= typecnt) return -1;
        tz->trans[i] = t;
        tz->trans_off[i] = (int32_t)be32(types + 6 * idx[i]);
    }
    tz->n_trans = timecnt;
    /* Before the first transition: the first standard-time type (RFC 8536 3.2). */
    tz->first_off = (int32_t)be32(types);
    for (uint32_t i = 0; i < typecnt; i++)
        if (!types[6 * i + 4]) {
            tz->first_off = (int32_t)be32(types + 6 * i);
            break;
        }
    if (version >= '2') {
        const unsigned char *f = q + need, *e = p + n;
        if (f < e && *f == '\n') {
            const unsigned char *nl = memchr(f + 1, '\n', (size_t)(e - f - 1));
            if (nl && nl > f + 1 && nl - f < 120) {
                char rule[128];
                memcpy(rule, f + 1, (size_t)(nl - f - 1));
                rule[nl - f - 1] = 0;
                if (parse_rule(tz, rule) != 0) tz->has_rule = 0;
            }
        }
    }
    return 0;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 100 || s[0] == '/' || s[0] == '.' || strstr(s, "..")) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '/' ||
              ch == '_' || ch == '+' || ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

int shoal_tz_new(const char *name, const char *dir, shoal_tz **out, shoal_err *err)
{
    *out = NULL;
    if (!valid_name(name)) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "invalid time zone name \"%.60s\"", name);
    shoal_tz *tz = shoal_malloc(sizeof *tz);
    if (!tz) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    memset(tz, 0, sizeof *tz);
    snprintf(tz->name, sizeof tz->name, "%s", name);
    if (!strcmp(name, "UTC") || !strcmp(name, "Etc/UTC") || !strcmp(name, "Z")) {
        tz->has_rule = 1;
        *out = tz;
        return SHOAL_OK;
    }
    int rc = SHOAL_OK;
    unsigned char *buf = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "/usr/share/zoneinfo", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        rc = shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "unknown time zone \"%s\"", name);
        goto fail;
    }
    /* TZif files are a few kB; 1 MB is far beyond any real one. */
    size_t cap = 1 << 20, n = 0;
    buf = shoal_malloc(cap);
    if (!buf) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    n = fread(buf, 1, cap, f);
    int prc = parse_tzif(tz, buf, n);
    if (prc == -2) rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    else if (prc != 0) rc = shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "\"%s\" is not a time zone file", name);
fail:
    if (f) fclose(f);
    shoal_free(buf);
    if (rc) shoal_tz_free(tz);
    else *out = tz;
    return rc;
}

void shoal_tz_free(shoal_tz *tz)
{
    if (!tz) return;
    shoal_free(tz->trans);
    shoal_free(tz->trans_off);
    shoal_free(tz);
}

const char *shoal_tz_name(const shoal_tz *tz) { return tz->name; }

int32_t shoal_tz_offset(const shoal_tz *tz, int64_t utc_ms)
{
    int64_t t = floordiv(utc_ms, 1000);
    if (tz->n_trans == 0) return tz->has_rule ? rule_offset(tz, t) : tz->first_off;
    if (t < tz->trans[0]) return tz->first_off;
    if (t >= tz->trans[tz->n_trans - 1] && tz->has_rule) return rule_offset(tz, t);
    uint32_t lo = 0, hi = tz->n_trans;   /* last transition <= t */
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (tz->trans[mid] <= t) lo = mid;
        else hi = mid;
    }
    return tz->trans_off[lo];
}

int shoal_tz_fixed(const shoal_tz *tz)
{
    int32_t o = tz->n_trans || !tz->has_rule ? tz->first_off : tz->std_off;
    for (uint32_t i = 0; i < tz->n_trans; i++)
        if (tz->trans_off[i] != o) return 0;
    return !tz->has_rule || (!tz->has_dst && tz->std_off == o);
}

int64_t shoal_tz_to_utc(const shoal_tz *tz, int64_t local_ms)
{
    /* The readings of local_ms with the offsets in force a day before and a day after
     * it (zones change their offset at most once in such a span): in an overlap (a
     * repeated hour) both are consistent and the earlier wins; in a gap (a local time
     * that never shows, as 2024-09-08 00:00 in America/Santiago) neither is, and the
     * later one, the instant the clocks jumped, moves the time on by the gap (as
     * java.time does), so a day that skips its midnight starts where its first local
     * time does. */
    int64_t c1 = local_ms - (int64_t)shoal_tz_offset(tz, local_ms - 86400000LL) * 1000;
    int64_t c2 = local_ms - (int64_t)shoal_tz_offset(tz, local_ms + 86400000LL) * 1000;
    int ok1 = (int64_t)shoal_tz_offset(tz, c1) * 1000 + c1 == local_ms;
    int ok2 = (int64_t)shoal_tz_offset(tz, c2) * 1000 + c2 == local_ms;
    if (ok1 && ok2) return c1 < c2 ? c1 : c2;
    if (ok1) return c1;
    if (ok2) return c2;
    return c1 > c2 ? c1 : c2;
}
