/* caltime.h — proleptic Gregorian calendar arithmetic on day numbers (days since
 * 1970-01-01), shared by timestamp parsing (ts.c) and the query language's calendar
 * words. No libc time zone calls: these are pure integer functions (Howard Hinnant's
 * days_from_civil / civil_from_days), exact for every int64 day count used here.
 */
#ifndef SHOAL_CALTIME_H
#define SHOAL_CALTIME_H

#include <stdint.h>

#define SHOAL_MS_PER_DAY 86400000LL

/* Days from 1970-01-01 to year y, month m (1..12), day d (1..31). Returns a negative
 * count for earlier dates. The caller validates m and d (see shoal_cal_days_in_month). */
int64_t shoal_cal_days_from_civil(int64_t y, unsigned m, unsigned d);

/* The inverse: the civil date of day number z.
 * [out] y, m (1..12), d (1..31); none may be NULL. */
void shoal_cal_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* 1 when y is a Gregorian leap year. */
int shoal_cal_is_leap(int64_t y);

/* Days in month m (1..12) of year y; 0 for a month out of range. */
unsigned shoal_cal_days_in_month(int64_t y, unsigned m);

/* ISO weekday of day number z: 1 = Monday .. 7 = Sunday (weeks start on Monday). */
unsigned shoal_cal_weekday(int64_t z);

/* The Monday that starts the week of day number z. */
int64_t shoal_cal_week_start(int64_t z);

/* Months as one number, year * 12 + month - 1 (the query language's MONTH values, the
 * counters' month buckets): the month of day number z, the year and month (1..12) of
 * month number mo, and its first day. */
int64_t shoal_cal_month_of_day(int64_t z);
void shoal_cal_month_split(int64_t mo, int64_t *y, unsigned *m);
int64_t shoal_cal_month_start(int64_t mo);

#endif /* SHOAL_CALTIME_H */
