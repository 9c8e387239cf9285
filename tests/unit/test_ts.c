/* test_ts.c — timestamps (engine/ts.c): ISO-8601 parsing, formatting, the calendar
 * arithmetic behind both, range limits and every rejection. */
#include "unit.h"
#include "caltime.h"

#include <time.h>

static int64_t ms_of(const char *s, int *rc)
{
    int64_t v = 12345;
    shoal_err e;
    shoal_err_clear(&e);
    *rc = shoal_ts_parse(s, strlen(s), &v, &e);
    return v;
}

/* Parses s and expects rc, with msg containing want (when rc is an error). */
static int rejects(const char *s, int want_rc, const char *want)
{
    int64_t v = 777;
    shoal_err e;
    shoal_err_clear(&e);
    int rc = shoal_ts_parse(s, strlen(s), &v, &e);
    if (rc != want_rc || e.code != want_rc || !strstr(e.msg, want) || v != 777) {
        printf("  ts \"%s\": rc %d msg \"%s\"\n", s, rc, e.msg);
        return 0;
    }
    return 1;
}

TEST(iso_with_offsets)
{
    int rc;
    CHECK(ms_of("2025-03-04T09:00:12+08:00", &rc) == 1741050012000LL && rc == 0);
    CHECK(ms_of("2025-03-04T01:00:12Z", &rc) == 1741050012000LL && rc == 0);
    CHECK(ms_of("2025-03-04t01:00:12z", &rc) == 1741050012000LL && rc == 0);
    CHECK(ms_of("2025-03-04 01:00:12Z", &rc) == 1741050012000LL && rc == 0);
    CHECK(ms_of("2025-03-04T09:00:12+0800", &rc) == 1741050012000LL && rc == 0);
    CHECK(ms_of("2025-03-04T09:00:12+08", &rc) == 1741050012000LL && rc == 0);
    CHECK(ms_of("2025-03-03T20:00:12-05:00", &rc) == 1741050012000LL && rc == 0);
    CHECK(ms_of("2025-03-04T06:30:12+05:30", &rc) == 1741050012000LL && rc == 0);
    CHECK(ms_of("2025-03-04T01:00:12.5-00:00", &rc) == 1741050012500LL && rc == 0);
}

TEST(fractions_and_dates)
{
    int rc;
    CHECK(ms_of("2025-03-04T01:00:12.5Z", &rc) == 1741050012500LL && rc == 0);
    CHECK(ms_of("2025-03-04T01:00:12.05Z", &rc) == 1741050012050LL && rc == 0);
    CHECK(ms_of("2025-03-04T01:00:12.123456789Z", &rc) == 1741050012123LL && rc == 0);
    CHECK(ms_of("2025-03-04T01:00:12,999Z", &rc) == 1741050012999LL && rc == 0);
    CHECK(ms_of("2025-03-04", &rc) == 1741046400000LL && rc == 0);
    CHECK(ms_of("1970-01-01", &rc) == 0 && rc == 0);
    CHECK(ms_of("1969-12-31T23:59:59.999Z", &rc) == -1 && rc == 0);
    CHECK(ms_of("2024-02-29", &rc) == 1709164800000LL && rc == 0);
    CHECK(ms_of("2000-02-29T00:00:00Z", &rc) == 951782400000LL && rc == 0);
    CHECK(ms_of("2025-12-31T23:59:59Z", &rc) == 1767225599000LL && rc == 0);
}

TEST(calendar_rejections)
{
    CHECK(rejects("2023-02-29", SHOAL_EFORMAT, "day 29 out of range for 2023-02"));
    CHECK(rejects("1900-02-29", SHOAL_EFORMAT, "day 29 out of range"));
    CHECK(rejects("2100-02-29T00:00:00Z", SHOAL_EFORMAT, "day 29 out of range"));
    CHECK(rejects("2025-04-31", SHOAL_EFORMAT, "day 31 out of range"));
    CHECK(rejects("2025-01-32", SHOAL_EFORMAT, "day 32 out of range"));
    CHECK(rejects("2025-01-00", SHOAL_EFORMAT, "day 00 out of range"));
    CHECK(rejects("2025-13-01", SHOAL_EFORMAT, "month 13 out of range"));
    CHECK(rejects("2025-00-01", SHOAL_EFORMAT, "month 00 out of range"));
    CHECK(rejects("2025-03-04T24:00:00Z", SHOAL_EFORMAT, "hour 24 out of range"));
    CHECK(rejects("2025-03-04T23:60:00Z", SHOAL_EFORMAT, "minute 60 out of range"));
    CHECK(rejects("2025-03-04T23:59:60Z", SHOAL_EFORMAT, "second 60 out of range"));
    CHECK(rejects("2025-03-04T23:59:59+24:00", SHOAL_EFORMAT, "offset out of range"));
    CHECK(rejects("2025-03-04T23:59:59+01:60", SHOAL_EFORMAT, "offset out of range"));
}

TEST(naive_times_rejected)
{
    /* A date and time without a zone is refused, not guessed; a date alone is UTC. */
    CHECK(rejects("2025-03-04T01:00:12", SHOAL_EFORMAT,
                  "invalid timestamp \"2025-03-04T01:00:12\": no time zone (add Z or an offset such as +08:00)"));
    CHECK(rejects("2025-03-04 01:00:12.250", SHOAL_EFORMAT, "no time zone"));
    CHECK(rejects("2025-03-04T25:00:12", SHOAL_EFORMAT, "no time zone"));
}

TEST(parse_ex_flags)
{
    int64_t t, u;
    int zoned = -1;
    /* NAIVE: a zone-less date-time is its wall-clock time read as UTC, and says so. */
    CHECK_RC(shoal_ts_parse_ex("2025-03-04T09:00:12", 19, SHOAL_TS_NAIVE, &t, &zoned, NULL), SHOAL_OK);
    CHECK_RC(shoal_ts_parse("2025-03-04T09:00:12Z", 20, &u, NULL), SHOAL_OK);
    CHECK(t == u && zoned == 0);
    CHECK_RC(shoal_ts_parse_ex("2025-03-04T09:00:12+08:00", 25, SHOAL_TS_NAIVE, &t, &zoned, NULL), SHOAL_OK);
    CHECK(t == u - 8 * 3600000LL && zoned == 1);
    CHECK_RC(shoal_ts_parse_ex("2025-03-04", 10, 0, &t, &zoned, NULL), SHOAL_OK);
    CHECK(zoned == 0);
    /* HHMM: the seconds may be left out, with or without a zone, but only when asked. */
    CHECK_RC(shoal_ts_parse_ex("2025-03-04 09:00", 16, SHOAL_TS_NAIVE | SHOAL_TS_HHMM, &t, &zoned, NULL), SHOAL_OK);
    CHECK(t == u - 12000 && zoned == 0);
    CHECK_RC(shoal_ts_parse_ex("2025-03-04T09:00Z", 17, SHOAL_TS_HHMM, &t, &zoned, NULL), SHOAL_OK);
    CHECK(t == u - 12000 && zoned == 1);
    CHECK_RC(shoal_ts_parse_ex("2025-03-04T09:00Z", 17, 0, &t, NULL, NULL), SHOAL_EFORMAT);
    /* Without NAIVE, HHMM does not lift the zone rule. */
    CHECK_RC(shoal_ts_parse_ex("2025-03-04 09:00", 16, SHOAL_TS_HHMM, &t, NULL, NULL), SHOAL_EFORMAT);
    CHECK_RC(shoal_ts_parse_ex("2025-03-04 09:0", 15, SHOAL_TS_NAIVE | SHOAL_TS_HHMM, &t, NULL, NULL), SHOAL_EFORMAT);
}

TEST(syntax_rejections)
{
    static const char *bad[] = {
        "", "2025", "2025-3-4", "2025-03-4", "25-03-04", "2025/03/04", "2025-03-04T", "2025-03-04T09",
        "2025-03-04T09:00", "2025-03-04T09:00:1", "2025-03-04T09:00:12X", "2025-03-04T09:00:12.Z",
        "2025-03-04T09:00:12.", "2025-03-04T09:00:12+8", "2025-03-04T09:00:12+08:0", "2025-03-04T09:00:12Zjunk",
        "2025-03-04T09:00:12+08:00 ", " 2025-03-04", "2025-03-04x", "2025-03-04_09:00:12Z", "now",
        "1741050012000", "2025-03-04T09:00:12+08:00:00", "２０２５-03-04", "2025-03-04T09:00:12\xff",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(rejects(bad[i], SHOAL_EFORMAT, "invalid timestamp \""));
    /* The offending text is quoted, escaped and cut. */
    CHECK(rejects("2025-03-04T09:00:12\xff", SHOAL_EFORMAT, "\"2025-03-04T09:00:12\\xff\""));
    CHECK(rejects("2025-03-04T09:00:12+08:00aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", SHOAL_EFORMAT, "aaa...\""));
    /* A length shorter than the text: nothing past it is read. */
    int64_t v = 0;
    CHECK(shoal_ts_parse("2025-03-04T09:00:12Z", 10, &v, NULL) == 0 && v == 1741046400000LL);
    CHECK(shoal_ts_parse("2025-03-04T09:00:12Z", 9, &v, NULL) == SHOAL_EFORMAT);
}

TEST(range)
{
    int rc;
    CHECK(ms_of("1900-01-01T00:00:00Z", &rc) == SHOAL_TS_MIN && rc == 0);
    CHECK(ms_of("2199-12-31T23:59:59.999Z", &rc) == SHOAL_TS_MAX - 1 && rc == 0);
    CHECK(rejects("1899-12-31T23:59:59.999Z", SHOAL_ERANGE, "timestamp out of range: \"1899-12-31T23:59:59.999Z\""));
    CHECK(rejects("2200-01-01", SHOAL_ERANGE, "timestamp out of range"));
    CHECK(rejects("9999-12-31T23:59:59Z", SHOAL_ERANGE, "timestamp out of range"));
    CHECK(rejects("0000-01-01", SHOAL_ERANGE, "timestamp out of range"));
    /* The offset moves an in-range civil time out of range, and back in. */
    CHECK(rejects("1900-01-01T00:00:00+00:01", SHOAL_ERANGE, "timestamp out of range"));
    CHECK(ms_of("1899-12-31T23:00:00-01:00", &rc) == SHOAL_TS_MIN && rc == 0);
    CHECK(rejects("2199-12-31T23:00:00-01:00", SHOAL_ERANGE, "timestamp out of range"));
}

TEST(format)
{
    char buf[32];
    CHECK(shoal_ts_format(0, buf) == 20 && !strcmp(buf, "1970-01-01T00:00:00Z"));
    CHECK(shoal_ts_format(1741050012000LL, buf) == 20 && !strcmp(buf, "2025-03-04T01:00:12Z"));
    CHECK(shoal_ts_format(1741050012345LL, buf) == 24 && !strcmp(buf, "2025-03-04T01:00:12.345Z"));
    CHECK(shoal_ts_format(1741050012005LL, buf) == 24 && !strcmp(buf, "2025-03-04T01:00:12.005Z"));
    CHECK(shoal_ts_format(-1, buf) == 24 && !strcmp(buf, "1969-12-31T23:59:59.999Z"));
    CHECK(shoal_ts_format(SHOAL_TS_MIN, buf) == 20 && !strcmp(buf, "1900-01-01T00:00:00Z"));
    CHECK(shoal_ts_format(SHOAL_TS_MAX - 1, buf) == 24 && !strcmp(buf, "2199-12-31T23:59:59.999Z"));
    /* Far outside the range it still writes something bounded. */
    CHECK(shoal_ts_format(INT64_MIN, buf) < 32 && buf[strlen(buf) - 1] == 'Z');
    CHECK(shoal_ts_format(INT64_MAX, buf) < 32 && buf[strlen(buf) - 1] == 'Z');
}

TEST(round_trip)
{
    /* A stride that is not a multiple of any calendar unit visits every time of day,
     * day of month and leap situation over the whole range. */
    char buf[32];
    int bad = 0;
    for (int64_t t = SHOAL_TS_MIN; t < SHOAL_TS_MAX; t += 86400000LL * 3 + 3600 * 1000 * 7 + 61 * 1000 + 7) {
        int64_t back = -1;
        size_t n = shoal_ts_format(t, buf);
        if (shoal_ts_parse(buf, n, &back, NULL) != 0 || back != t) bad++;
    }
    CHECK(bad == 0);
}

TEST(calendar_matches_libc)
{
    /* timegm is the reference for days-from-civil over the whole supported range. */
    int bad = 0;
    CHECK(shoal_cal_days_from_civil(1970, 1, 1) == 0);
    CHECK(shoal_cal_days_from_civil(2000, 3, 1) == 11017);
    for (int y = 1900; y < 2200; y++) {
        for (unsigned m = 1; m <= 12; m++) {
            unsigned dim = shoal_cal_days_in_month(y, m);
            struct tm tm = {0};
            tm.tm_year = y - 1900;
            tm.tm_mon = (int)m - 1;
            tm.tm_mday = (int)dim;
            time_t t = timegm(&tm);
            /* timegm normalises day dim+1 into the next month: dim must be the last day. */
            struct tm nx = {0};
            nx.tm_year = y - 1900;
            nx.tm_mon = (int)m - 1;
            nx.tm_mday = (int)dim + 1;
            time_t t2 = timegm(&nx);
            gmtime_r(&t2, &nx);
            if (nx.tm_mday != 1) bad++;
            int64_t z = shoal_cal_days_from_civil(y, m, dim);
            if (z * 86400 != (int64_t)t) bad++;
            int64_t yy;
            unsigned mm, dd;
            shoal_cal_civil_from_days(z, &yy, &mm, &dd);
            if (yy != y || mm != m || dd != dim) bad++;
            if (shoal_cal_weekday(z) != (unsigned)(tm.tm_wday == 0 ? 7 : tm.tm_wday)) bad++;
            /* months as one number, both ways, and the week's Monday */
            int64_t mo = shoal_cal_month_of_day(z), my;
            unsigned mm2;
            shoal_cal_month_split(mo, &my, &mm2);
            if (mo != (int64_t)y * 12 + m - 1 || my != y || mm2 != m) bad++;
            if (shoal_cal_month_start(mo) != shoal_cal_days_from_civil(y, m, 1)) bad++;
            int64_t mon = shoal_cal_week_start(z);
            if (shoal_cal_weekday(mon) != 1 || mon > z || z - mon > 6) bad++;
        }
    }
    CHECK(bad == 0);
    CHECK(shoal_cal_weekday(0) == 4);                                    /* Thursday */
    CHECK(shoal_cal_weekday(shoal_cal_days_from_civil(2025, 3, 3)) == 1); /* Monday */
    CHECK(shoal_cal_weekday(-1) == 3);
    CHECK(shoal_cal_days_in_month(2025, 13) == 0 && shoal_cal_days_in_month(2025, 0) == 0);
    CHECK(shoal_cal_is_leap(2000) && !shoal_cal_is_leap(1900) && shoal_cal_is_leap(2024) && !shoal_cal_is_leap(2025));
}

/* Parses s with flags into *v (left alone on an error); the code and whether zoned. */
static int parse_as(const char *s, unsigned flags, int64_t *v, int *zoned)
{
    shoal_err e;
    shoal_err_clear(&e);
    *zoned = -1;
    int rc = shoal_ts_parse_ex(s, strlen(s), flags, v, zoned, &e);
    return rc ? rc * 1000 + e.code : 0;
}

/* The canonical form "YYYY-MM-DDTHH:MM:SS.mmmZ" has a path of its own (ts_fast): it
 * must answer as the general parse does, which "t" for "T" takes (the same instant).
 * Every field across its range and past it, leap days, the year's extremes, and each
 * byte of the form replaced by digits, separators and bytes next to them in ASCII;
 * then day after day, and minute after minute with each one's seconds in turn (fails
 * when the kept minute is matched by its date alone or without its "T", or takes a
 * 60th second). */
TEST(fast_form_as_general)
{
    static const char repl[] = "0159/:-.TtZz+, \x7f\xc3";
    uint64_t rnd = 0x9e3779b97f4a7c15ull;
    int bad = 0, fast = 0;
    for (int n = 0; n < 300000; n++) {
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        uint64_t r = rnd;
        int y = (int)(r % 10000);
        r /= 10000;
        int mo = (int)(r % 15), d = (int)(r / 15 % 33), h = (int)(r / 495 % 26), mi = (int)(r / 12870 % 62),
            se = (int)(r / 797940 % 62), ms = (int)(r / 49472280 % 1000);
        if (n % 3 == 0) y = 1960 + (int)(r % 80);   /* mostly plausible years */
        char s[32], t[32];
        snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d, h, mi, se, ms);
        if (n % 4 == 1) s[(r >> 40) % 24] = repl[(r >> 48) % (sizeof repl - 1)];
        memcpy(t, s, sizeof s);
        if (t[10] == 'T') t[10] = 't';
        for (unsigned flags = 0; flags < 4; flags++) {
            unsigned f = (flags & 1 ? SHOAL_TS_HHMM : 0) | (flags & 2 ? SHOAL_TS_NAIVE : 0);
            int64_t a = 4242, b = 4242;
            int za, zb;
            int ra = parse_as(s, f, &a, &za), rb = parse_as(t, f, &b, &zb);
            if (ra != rb || a != b || za != zb) {
                if (bad++ < 5) printf("  \"%s\" flags %u: %d %lld %d, general %d %lld %d\n", s, f, ra, (long long)a, za, rb,
                                      (long long)b, zb);
            }
            fast += ra == 0 && t[10] == 't';
        }
    }
    /* day after day, each twice and day 29-31 of every month (the thread's last day
     * is kept: a day next to it, or the same day of a month where it does not exist,
     * must not be taken for it) */
    for (int y = 1999; y <= 2001; y++)
        for (int mo = 1; mo <= 12; mo++)
            for (int d = 1; d <= 31; d++)
                for (int k = 0; k < 2; k++) {
                    char s[64], t[64];   /* (room for any int: -Wformat-truncation at -O1) */
                    snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:00:00.000Z", y, mo, d, 23 * k);
                    memcpy(t, s, sizeof s);
                    t[10] = 't';
                    int64_t a = 4242, b = 4242;
                    int za, zb;
                    int ra = parse_as(s, 0, &a, &za), rb = parse_as(t, 0, &b, &zb);
                    if (ra != rb || a != b || za != zb) {
                        if (bad++ < 5) printf("  \"%s\": %d %lld, general %d %lld\n", s, ra, (long long)a, rb, (long long)b);
                    }
                }
    /* minute after minute, each minute's seconds and milliseconds in turn, some with a
     * byte changed (the thread's last minute is kept: a timestamp of the same first 16
     * bytes has only its seconds read, one of another minute, hour, day or year, or a
     * bad one, must not be taken for it) */
    static const char *const mins[] = {"2024-07-01T00:18", "2024-07-01T00:19", "2024-07-01T01:19", "2024-07-02T01:19",
                                       "2024-02-29T23:59", "2023-02-29T23:59", "2024-03-01T00:00", "2199-12-31T23:59",
                                       "1900-01-01T00:00", "2025-12-31T24:00", "2025-12-31T23:60", "2025-13-01T00:00"};
    for (size_t m = 0; m < sizeof mins / sizeof *mins; m++)
        for (int se = 0; se <= 61; se++)
            for (int k = 0; k < 6; k++) {
                char s[64], t[64];
                rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
                snprintf(s, sizeof s, "%s:%02d.%03dZ", mins[m], se, (int)(rnd % 1000));
                if (k == 5) s[(rnd >> 20) % 24] = repl[(rnd >> 32) % (sizeof repl - 1)];
                /* the same instant as "+00:00", which ts_fast does not take (not even
                 * from its kept minute, which a "t" for "T" could meet were it matched
                 * by less than its 16 bytes) */
                memcpy(t, s, sizeof s);
                if (t[23] == 'Z') memcpy(t + 23, "+00:00", 7);
                int64_t a = 4242, b = 4242;
                int za, zb;
                int ra = parse_as(s, 0, &a, &za), rb = parse_as(t, 0, &b, &zb);
                if (ra != rb || a != b || za != zb) {
                    if (bad++ < 5) printf("  \"%s\": %d %lld, general %d %lld\n", s, ra, (long long)a, rb, (long long)b);
                }
            }
    CHECK(bad == 0);
    CHECK(fast > 100000);   /* the form was met, not only its rejections */
    int64_t v;
    int z;
    CHECK(parse_as("2024-02-29T23:59:59.999Z", 0, &v, &z) == 0 && v == 1709251199999LL && z == 1);
    CHECK(parse_as("2023-02-29T00:00:00.000Z", 0, &v, &z) != 0);
    CHECK(parse_as("2024-07-01T00:18:16.943Z", 0, &v, &z) == 0 && v == 1719793096943LL);
}

int main(void)
{
    RUN(iso_with_offsets);
    RUN(fractions_and_dates);
    RUN(calendar_rejections);
    RUN(naive_times_rejected);
    RUN(parse_ex_flags);
    RUN(syntax_rejections);
    RUN(range);
    RUN(format);
    RUN(round_trip);
    RUN(calendar_matches_libc);
    RUN(fast_form_as_general);
    UNIT_EXIT();
}
