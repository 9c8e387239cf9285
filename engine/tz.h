/* tz.h — IANA time zones read from the system's TZif files, without touching the
 * process's TZ or locale (library code keeps no global state), plus proleptic
 * Gregorian calendar arithmetic. Used by the query layer for calendar windows
 * (today, this_week, this_month) and date functions in the database's time zone.
 */
#ifndef SHOAL_TZ_H
#define SHOAL_TZ_H

#include "shoal.h"

typedef struct shoal_tz shoal_tz;

/* Loads zone name ("UTC", "Asia/Shanghai", …) from dir (NULL: /usr/share/zoneinfo).
 * Names are checked before any file is opened: letters, digits, "/_+-." and no "..".
 * [out] out  returns owned; free with shoal_tz_free.
 * Returns: SHOAL_OK, SHOAL_ENOTFOUND (no such zone), SHOAL_EINVAL (bad name),
 * SHOAL_EFORMAT (not a TZif file), SHOAL_ENOMEM. */
int shoal_tz_new(const char *name, const char *dir, shoal_tz **out, shoal_err *err);
void shoal_tz_free(shoal_tz *tz);

/* The zone's name as given to shoal_tz_new; valid until shoal_tz_free. */
const char *shoal_tz_name(const shoal_tz *tz);

/* Offset from UTC in seconds (east positive) in force at instant utc_ms. */
int32_t shoal_tz_offset(const shoal_tz *tz, int64_t utc_ms);

/* 1 when the zone's offset never changes (UTC, Etc/GMT+5): local time is the instant
 * moved by a constant, so it never steps back. */
int shoal_tz_fixed(const shoal_tz *tz);
/* The instant whose local wall-clock time is local_ms (a local time written as if it
 * were UTC). A time skipped by a DST gap maps forward; an ambiguous one to the first. */
int64_t shoal_tz_to_utc(const shoal_tz *tz, int64_t local_ms);

/* Civil dates and day numbers: shoal_cal_days_from_civil and back (caltime.h). */
#include "caltime.h"

#endif
