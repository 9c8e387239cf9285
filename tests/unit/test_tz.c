/* test_tz.c — time zones from TZif files (engine/tz.c); the calendar arithmetic they
 * use is tested with the timestamps (test_ts.c). */
#include "tz.h"
#include "unit.h"

static int64_t at(int y, int m, int d, int hh, int mm, int ss)
{
    return (shoal_cal_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss) * 1000LL;
}

TEST(utc)
{
    shoal_tz *tz;
    CHECK_RC(shoal_tz_new("UTC", NULL, &tz, NULL), SHOAL_OK);
    CHECK(shoal_tz_offset(tz, at(2025, 3, 16, 0, 0, 0)) == 0);
    CHECK(shoal_tz_to_utc(tz, 12345) == 12345);
    shoal_tz_free(tz);
}

TEST(shanghai)
{
    shoal_tz *tz;
    CHECK_RC(shoal_tz_new("Asia/Shanghai", NULL, &tz, NULL), SHOAL_OK);
    CHECK(shoal_tz_offset(tz, at(2025, 3, 16, 0, 0, 0)) == 28800);
    CHECK(shoal_tz_to_utc(tz, at(2025, 3, 16, 0, 0, 0)) == at(2025, 3, 15, 16, 0, 0));
    shoal_tz_free(tz);
}

TEST(berlin_dst)
{
    shoal_tz *tz;
    CHECK_RC(shoal_tz_new("Europe/Berlin", NULL, &tz, NULL), SHOAL_OK);
    CHECK(shoal_tz_offset(tz, at(2025, 3, 30, 0, 59, 59)) == 3600);
    CHECK(shoal_tz_offset(tz, at(2025, 3, 30, 1, 0, 0)) == 7200);
    CHECK(shoal_tz_offset(tz, at(2025, 10, 26, 0, 59, 59)) == 7200);
    CHECK(shoal_tz_offset(tz, at(2025, 10, 26, 1, 0, 0)) == 3600);
    /* Beyond the listed transitions the footer's POSIX rule decides. */
    CHECK(shoal_tz_offset(tz, at(2100, 7, 1, 12, 0, 0)) == 7200);
    CHECK(shoal_tz_offset(tz, at(2100, 12, 1, 12, 0, 0)) == 3600);
    CHECK(shoal_tz_offset(tz, at(2100, 3, 28, 0, 59, 59)) == 3600);
    CHECK(shoal_tz_offset(tz, at(2100, 3, 28, 1, 0, 0)) == 7200);
    CHECK(shoal_tz_to_utc(tz, at(2025, 7, 1, 0, 0, 0)) == at(2025, 6, 30, 22, 0, 0));
    /* 02:30 on 2025-03-30 never shows in Berlin: the clocks jumped at 01:00Z. The
     * repeated 02:30 of 2025-10-26 is its first reading (summer time). */
    CHECK(shoal_tz_to_utc(tz, at(2025, 3, 30, 2, 30, 0)) == at(2025, 3, 30, 1, 0, 0) + 30 * 60 * 1000);
    CHECK(shoal_tz_to_utc(tz, at(2025, 10, 26, 2, 30, 0)) == at(2025, 10, 26, 0, 30, 0));
    shoal_tz_free(tz);
}

TEST(gap_at_midnight)
{
    /* America/Santiago skipped 2024-09-08 00:00-01:00 (clocks from -04 to -03 at
     * 04:00Z): that day's local midnight is the jump itself, not an instant of the
     * day before. */
    shoal_tz *tz;
    CHECK_RC(shoal_tz_new("America/Santiago", NULL, &tz, NULL), SHOAL_OK);
    CHECK(shoal_tz_to_utc(tz, at(2024, 9, 8, 0, 0, 0)) == at(2024, 9, 8, 4, 0, 0));
    CHECK(shoal_tz_to_utc(tz, at(2024, 9, 8, 1, 0, 0)) == at(2024, 9, 8, 4, 0, 0));
    CHECK(shoal_tz_to_utc(tz, at(2024, 9, 7, 23, 59, 59)) == at(2024, 9, 8, 3, 59, 59));
    shoal_tz_free(tz);
}

TEST(new_york_rule)
{
    shoal_tz *tz;
    CHECK_RC(shoal_tz_new("America/New_York", NULL, &tz, NULL), SHOAL_OK);
    CHECK(shoal_tz_offset(tz, at(2060, 11, 7, 5, 59, 59)) == -14400);
    CHECK(shoal_tz_offset(tz, at(2060, 11, 7, 6, 0, 0)) == -18000);
    CHECK(shoal_tz_offset(tz, at(2025, 1, 1, 0, 0, 0)) == -18000);
    shoal_tz_free(tz);
}

TEST(sydney_southern)
{
    shoal_tz *tz;
    CHECK_RC(shoal_tz_new("Australia/Sydney", NULL, &tz, NULL), SHOAL_OK);
    CHECK(shoal_tz_offset(tz, at(2050, 1, 1, 0, 0, 0)) == 39600);
    CHECK(shoal_tz_offset(tz, at(2050, 7, 1, 0, 0, 0)) == 36000);
    shoal_tz_free(tz);
}

TEST(bad_names)
{
    shoal_tz *tz;
    shoal_err err;
    shoal_err_clear(&err);
    CHECK_RC(shoal_tz_new("../etc/passwd", NULL, &tz, &err), SHOAL_EINVAL);
    CHECK(tz == NULL);
    CHECK_RC(shoal_tz_new("Nowhere/Zone", NULL, &tz, NULL), SHOAL_ENOTFOUND);
    CHECK_RC(shoal_tz_new("", NULL, &tz, NULL), SHOAL_EINVAL);
    CHECK_RC(shoal_tz_new("zone.tab", NULL, &tz, NULL), SHOAL_EFORMAT);
}

int main(void)
{
    RUN(utc);
    RUN(shanghai);
    RUN(berlin_dst);
    RUN(gap_at_midnight);
    RUN(new_york_rule);
    RUN(sydney_southern);
    RUN(bad_names);
    UNIT_EXIT();
}
