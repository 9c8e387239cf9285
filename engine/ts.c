/* ts.c — event timestamps: ISO-8601 text <-> Unix epoch milliseconds (UTC).
 *
 * Readers (ingest/) call shoal_ts_parse for every event, so it is a hand-rolled
 * fixed-layout scanner, not strptime: no locale, no libc time zone, no allocation.
 * Calendar arithmetic is days-from-civil (caltime.h), exact over the proleptic
 * Gregorian calendar. Accepted range: SHOAL_TS_MIN <= ms < SHOAL_TS_MAX.
 */
#include "caltime.h"
#include "shoal.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- calendar */

int64_t shoal_cal_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Hinnant: shift the year to start in March so the leap day is the last day of
     * the (shifted) year; then a 400-year era has a fixed 146097 days. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned mp = m > 2 ? m - 3 : m + 9;
    unsigned doy = (153 * mp + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void shoal_cal_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int shoal_cal_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned shoal_cal_days_in_month(int64_t y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12) return 0;
    return days[m - 1] + (m == 2 && shoal_cal_is_leap(y));
}

unsigned shoal_cal_weekday(int64_t z)
{
    /* 1970-01-01 was a Thursday (ISO 4). */
    int64_t w = (z + 3) % 7;
    if (w < 0) w += 7;
    return (unsigned)w + 1;
}

int64_t shoal_cal_week_start(int64_t z) { return z - (int64_t)(shoal_cal_weekday(z) - 1); }

int64_t shoal_cal_month_of_day(int64_t z)
{
    int64_t y;
    unsigned m, d;
    shoal_cal_civil_from_days(z, &y, &m, &d);
    return y * 12 + (int64_t)m - 1;
}

void shoal_cal_month_split(int64_t mo, int64_t *y, unsigned *m)
{
    *y = mo >= 0 ? mo / 12 : -((-mo + 11) / 12);
    *m = (unsigned)(mo - *y * 12) + 1;
}

int64_t shoal_cal_month_start(int64_t mo)
{
    int64_t y;
    unsigned m;
    shoal_cal_month_split(mo, &y, &m);
    return shoal_cal_days_from_civil(y, m, 1);
}

/* ---------------------------------------------------------------- parse */

/* Reads exactly k ASCII digits at s[*i]. Returns -1 when they are not there. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int
digits(const char *s, size_t len, size_t *i, int k)
{
    int v = 0;
    if (*i + (size_t)k > len) return -1;
    for (int j = 0; j < k; j++) {
        unsigned c = (unsigned char)s[*i + (size_t)j] - '0';
        if (c > 9) return -1;
        v = v * 10 + (int)c;
    }
    *i += (size_t)k;
    return v;
}

#define TS_SYNTAX "invalid timestamp \"%s\" (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fff] with Z or +HH:MM)"

int shoal_ts_parse(const char *s, size_t len, int64_t *out_ms, shoal_err *err)
{
    return shoal_ts_parse_ex(s, len, 0, out_ms, NULL, err);
}

/* The 8 bytes at s as a little-endian word. */
static inline uint64_t word_at(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

/* Whether w's bytes under mask m are ASCII digits and the others are sep's. */
static inline bool digits_and(uint64_t w, uint64_t m, uint64_t sep)
{
    const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull & m, z = 0x3030303030303030ull & m;
    uint64_t x = w & m;
    /* a digit's high nibble is 3 and adding 6 keeps it so (0x3A-0x3F become 0x4x) */
    return (w & ~m) == sep && (x & hi) == z && ((x + (0x0606060606060606ull & m)) & hi) == z;
}

/* The form nearly every event has, "YYYY-MM-DDTHH:MM:SS.mmmZ", read with its digits
 * and separators checked a word at a time (the general parse, a digit at a time with
 * its branches, was 280 instructions an event of the reading thread). Anything else,
 * and any field out of range (whose message is the general parse's), returns false
 * for the general parse to take; what it returns is what that would.
 * Events come in time order, a minute's dozens together at 10M events of `shoal gen`:
 * the thread keeps its last minute (the first 16 bytes, checked, and the minute's
 * start), so that the next of that minute has only its seconds read (146 instructions
 * an event to some 40), and its last day (the date's 10 bytes and its day number), so
 * that the calendar's arithmetic runs once a day. */
static bool ts_fast(const char *s, size_t len, int64_t *out_ms)
{
    static _Thread_local uint64_t last_w, last_w8;
    static _Thread_local uint16_t last_dd;
    static _Thread_local int64_t last_days = INT64_MIN, last_min = INT64_MIN;
    if (len != 24) return false;
    uint64_t w = word_at(s), w8 = word_at(s + 8);
#define D(i) ((int)((unsigned char)s[i] - '0'))
    int64_t t;
    /* "YYYY-MM-" "DDTHH:MM" ":SS.mmmZ", little-endian */
    if (!digits_and(word_at(s + 16), 0x00FFFFFF00FFFF00ull, 0x5A0000002E00003Aull)) return false;
    int sec = D(17) * 10 + D(18), ms = D(20) * 100 + D(21) * 10 + D(22);
    if (sec > 59) return false;
    if (last_min != INT64_MIN && w == last_w && w8 == last_w8) {
        t = last_min + (int64_t)sec * 1000 + ms;
    } else {
        if (!digits_and(w, 0x00FFFF00FFFFFFFFull, 0x2D00002D00000000ull) ||
            !digits_and(w8, 0xFFFF00FFFF00FFFFull, 0x00003A0000540000ull))
            return false;
        int h = D(11) * 10 + D(12), mi = D(14) * 10 + D(15);
        if (h > 23 || mi > 59) return false;
        uint16_t dd;
        memcpy(&dd, s + 8, 2);
        if (last_days == INT64_MIN || w != last_w || dd != last_dd) {
            int y = D(0) * 1000 + D(1) * 100 + D(2) * 10 + D(3), mo = D(5) * 10 + D(6), d = D(8) * 10 + D(9);
            if (mo < 1 || mo > 12 || d < 1 || (d > 28 && (unsigned)d > shoal_cal_days_in_month(y, (unsigned)mo)))
                return false;
            last_days = shoal_cal_days_from_civil(y, (unsigned)mo, (unsigned)d);
            last_dd = dd;
        }
        /* w and dd are the kept day's now, w8 its minute's */
        last_w = w;
        last_w8 = w8;
        last_min = last_days * SHOAL_MS_PER_DAY + (int64_t)h * 3600000 + (int64_t)mi * 60000;
        t = last_min + (int64_t)sec * 1000 + ms;
    }
#undef D
    if (t < SHOAL_TS_MIN || t >= SHOAL_TS_MAX) return false;
    *out_ms = t;
    return true;
}

int shoal_ts_parse_ex(const char *s, size_t len, unsigned flags, int64_t *out_ms, int *zoned, shoal_err *err)
{
    if (ts_fast(s, len, out_ms)) {
        if (zoned) *zoned = 1;
        return SHOAL_OK;
    }
    char q[200];
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off_min = 0, has_zone = 0;

    y = digits(s, len, &i, 4);
    if (y < 0 || i >= len || s[i++] != '-') goto syntax;
    mo = digits(s, len, &i, 2);
    if (mo < 0 || i >= len || s[i++] != '-') goto syntax;
    d = digits(s, len, &i, 2);
    if (d < 0) goto syntax;
    if (mo < 1 || mo > 12)
        return shoal_err_set(err, SHOAL_EFORMAT, 0, (int)len, "invalid timestamp \"%s\": month %02d out of range",
                             shoal_err_quote(q, sizeof q, s, len), mo);
    if (d < 1 || (unsigned)d > shoal_cal_days_in_month(y, (unsigned)mo))
        return shoal_err_set(err, SHOAL_EFORMAT, 0, (int)len,
                             "invalid timestamp \"%s\": day %02d out of range for %04d-%02d",
                             shoal_err_quote(q, sizeof q, s, len), d, y, mo);
    if (i < len) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') goto syntax;
        i++;
        h = digits(s, len, &i, 2);
        if (h < 0 || i >= len || s[i++] != ':') goto syntax;
        mi = digits(s, len, &i, 2);
        if (mi < 0) goto syntax;
        if ((flags & SHOAL_TS_HHMM) && (i == len || s[i] != ':')) goto zone;
        if (i >= len || s[i++] != ':') goto syntax;
        sec = digits(s, len, &i, 2);
        if (sec < 0) goto syntax;
        if (i < len && (s[i] == '.' || s[i] == ',')) {
            /* Any number of fraction digits; the instant is truncated to the
             * millisecond, which is the floor because offsets are whole minutes. */
            size_t f0 = ++i;
            int scale = 100;
            while (i < len && (unsigned)((unsigned char)s[i] - '0') <= 9) {
                ms += (s[i] - '0') * scale;
                scale /= 10;
                i++;
            }
            if (i == f0) goto syntax;
        }
    zone:
        if (i == len) {
            /* A time without a zone is ambiguous by hours (a Shanghai community's
             * 09:00 is 01:00Z): refuse to guess, unless the caller knows the zone. A
             * plain date is midnight UTC. */
            if (!(flags & SHOAL_TS_NAIVE))
                return shoal_err_set(err, SHOAL_EFORMAT, 0, (int)len,
                                     "invalid timestamp \"%s\": no time zone (add Z or an offset such as +08:00)",
                                     shoal_err_quote(q, sizeof q, s, len));
        } else {
            has_zone = 1;
            char c = s[i++];
            if (c == 'Z' || c == 'z') {
                /* UTC */
            } else if (c == '+' || c == '-') {
                int oh = digits(s, len, &i, 2), om = 0;
                if (oh < 0) goto syntax;
                if (i < len) {
                    if (s[i] == ':') i++;
                    om = digits(s, len, &i, 2);
                    if (om < 0) goto syntax;
                }
                if (oh > 23 || om > 59)
                    return shoal_err_set(err, SHOAL_EFORMAT, 0, (int)len,
                                         "invalid timestamp \"%s\": offset out of range",
                                         shoal_err_quote(q, sizeof q, s, len));
                off_min = (oh * 60 + om) * (c == '-' ? -1 : 1);
            } else {
                goto syntax;
            }
            if (i != len) goto syntax;
        }
        if (h > 23)
            return shoal_err_set(err, SHOAL_EFORMAT, 0, (int)len, "invalid timestamp \"%s\": hour %02d out of range",
                                 shoal_err_quote(q, sizeof q, s, len), h);
        if (mi > 59)
            return shoal_err_set(err, SHOAL_EFORMAT, 0, (int)len,
                                 "invalid timestamp \"%s\": minute %02d out of range", shoal_err_quote(q, sizeof q, s, len), mi);
        if (sec > 59)
            return shoal_err_set(err, SHOAL_EFORMAT, 0, (int)len,
                                 "invalid timestamp \"%s\": second %02d out of range", shoal_err_quote(q, sizeof q, s, len), sec);
    }

    int64_t t = shoal_cal_days_from_civil(y, (unsigned)mo, (unsigned)d) * SHOAL_MS_PER_DAY +
                (int64_t)h * 3600000 + (int64_t)mi * 60000 + (int64_t)sec * 1000 + ms -
                (int64_t)off_min * 60000;
    if (t < SHOAL_TS_MIN || t >= SHOAL_TS_MAX)
        return shoal_err_set(err, SHOAL_ERANGE, 0, (int)len, "timestamp out of range: \"%s\"",
                             shoal_err_quote(q, sizeof q, s, len));
    *out_ms = t;
    if (zoned) *zoned = has_zone;
    return SHOAL_OK;

syntax:
    return shoal_err_set(err, SHOAL_EFORMAT, 0, (int)len, TS_SYNTAX, shoal_err_quote(q, sizeof q, s, len));
}

/* ---------------------------------------------------------------- format */

static char *put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

size_t shoal_ts_format(int64_t ms, char *buf)
{
    /* Floor division, so that instants before 1970 get a positive time of day. */
    int64_t days = ms / SHOAL_MS_PER_DAY, rem = ms % SHOAL_MS_PER_DAY;
    if (rem < 0) {
        rem += SHOAL_MS_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned mo, d;
    shoal_cal_civil_from_days(days, &y, &mo, &d);
    unsigned tod = (unsigned)(rem / 1000), frac = (unsigned)(rem % 1000);
    char *p = buf;
    if (y >= 0 && y <= 9999) {
        unsigned uy = (unsigned)y;
        p = put2(p, uy / 100);
        p = put2(p, uy % 100);
    } else {
        /* Outside the four-digit years only for ms far beyond SHOAL_TS_MAX; still
         * printable so that a corrupt value can be shown. At most 10 characters. */
        p += snprintf(p, 16, "%lld", (long long)y);
    }
    *p++ = '-';
    p = put2(p, mo);
    *p++ = '-';
    p = put2(p, d);
    *p++ = 'T';
    p = put2(p, tod / 3600);
    *p++ = ':';
    p = put2(p, tod / 60 % 60);
    *p++ = ':';
    p = put2(p, tod % 60);
    if (frac) {
        *p++ = '.';
        *p++ = (char)('0' + frac / 100);
        p = put2(p, frac % 100);
    }
    *p++ = 'Z';
    *p = 0;
    return (size_t)(p - buf);
}
