#!/usr/bin/env bash
# tests/e2e/did_you_mean.sh — a name that names no definition or view is an error at
# the name (line:column and caret) that says the closest one of the kind asked for
# (engine/closest.c, as `shoal log --member` does): misspelt, or shortened to whole
# words of it; none when nothing is close or the close one is of another kind.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 3000 --seed 1 > "$T/ev.ndjson" 2>/dev/null || { fail did-you-mean-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail did-you-mean-ingest; exit 0; }
"$SHOAL" query -q "
CREATE LAYER core_creator AS count(post) >= 3;
CREATE TIERS pyramid (core WHEN member IN core_creator, rest OTHERWISE);
CREATE RETENTION weekly_retention COHORT BY first(join) PER WEEK ACTIVE ON post, comment;
CREATE ACTIVITY speaking ON post, comment, reply;
CREATE EXPERIMENT welcome_ritual ARMS (control 50, ritual 50) METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure;
CREATE COUNTERS activity_counts AS count(post), count(*);
CREATE SCORE engagement AS 1*comment + 5*post HALF_LIFE 30 DAYS" 2>/dev/null || fail did-you-mean-create

# err NAME LINE:COL QUERY MESSAGE: the whole error: MESSAGE at LINE:COL, the line, and
# a caret under the name that starts there
err() {
    local l=${2%:*} c=${2#*:} src word
    src=$(printf '%s\n' "$3" | sed -n "${l}p")
    word=$(printf '%s' "${src:c-1}" | grep -o '^[A-Za-z0-9_]*')
    local caret
    caret=$(printf '%*s^%s' $((c - 1)) '' "$(printf '%*s' $((${#word} - 1)) '' | tr ' ' '~')")
    check_eq "did-you-mean: $1" "$("$SHOAL" query "$3" 2>&1)" "query:$2: error: $4"$'\n'"$src"$'\n'"$caret"
}
err "retention misspelt" 1:25 "SELECT * FROM retention(weekly_retentio)" 'unknown retention "weekly_retentio" (did you mean "weekly_retention"?)'
err "retention shortened" 1:25 "SELECT * FROM retention(weekly)" 'unknown retention "weekly" (did you mean "weekly_retention"?)'
err "activity" 1:24 "SELECT * FROM activity(speakin) PER WEEK" 'unknown activity "speakin" (did you mean "speaking"?)'
err "an activity is not offered for a retention" 1:25 "SELECT * FROM retention(speakin)" 'unknown retention "speakin"'
err "nothing close" 1:25 "SELECT * FROM retention(zzzzzz)" 'unknown retention "zzzzzz"'
err "EVALUATE" 1:21 "EVALUATE EXPERIMENT welcome_ritul" 'unknown experiment "welcome_ritul" (did you mean "welcome_ritual"?)'
err "experiment()" 1:26 "SELECT * FROM experiment(welcome)" 'unknown experiment "welcome" (did you mean "welcome_ritual"?)'
err "member IN, on a second line" 2:17 $'SELECT count(*) AS n FROM members\nWHERE member IN core_creater' 'unknown layer "core_creater" (did you mean "core_creator"?)'
err "tiers()" 1:21 "SELECT * FROM tiers(pyramd)" 'unknown tiers "pyramd" (did you mean "pyramid"?)'
err "flow()" 1:20 "SELECT * FROM flow(pyramd) PER MONTH" 'unknown tiers "pyramd" (did you mean "pyramid"?)'
err "rise()" 1:39 "SELECT member FROM members WHERE rise(engagment) DURING today > 0" 'unknown score "engagment" (did you mean "engagement"?)'
err "DROP VIEW: any kind" 1:11 "DROP VIEW engagment" 'no view named "engagment" (did you mean "engagement"?)'
err "DROP LAYER" 1:12 "DROP LAYER core_creater" 'no layer named "core_creater" (did you mean "core_creator"?)'
err "DROP RETENTION" 1:16 "DROP RETENTION weekly_retentoin" 'no retention named "weekly_retentoin" (did you mean "weekly_retention"?)'
err "DROP COUNTERS" 1:15 "DROP COUNTERS activity_count" 'no view named "activity_count" (did you mean "activity_counts"?)'
err "DROP SCORE: a counters view is not offered" 1:12 "DROP SCORE activity_count" 'no view named "activity_count"'
err "DROP EXPERIMENT" 1:17 "DROP EXPERIMENT welcome_ritul" 'no experiment named "welcome_ritul" (did you mean "welcome_ritual"?)'
