-- DAU, MAU and stickiness per day for the last 365 days (activity view speaking: post, comment, reply, checkin)
-- MAU of day d: the members active on one of the 30 days ending with d. Each active
-- (member, day) covers the days from it up to the member's next active day, at most 30:
-- a member's covers do not overlap, so MAU is a running sum of covers begun minus ended.
WITH RECURSIVE md AS (
    SELECT DISTINCT member, ts IDIV 86400000 AS d
    FROM events
    WHERE type IN ('post', 'comment', 'reply', 'checkin') AND ts <= :NOW_MS
),
cover AS (
    SELECT d, LEAD(d) OVER (PARTITION BY member ORDER BY d) AS nx FROM md
),
began AS (
    SELECT d, COUNT(*) AS n FROM cover GROUP BY d
),
ended AS (
    SELECT CASE WHEN nx IS NULL OR nx > d + 30 THEN d + 30 ELSE nx END AS d, COUNT(*) AS n
    FROM cover GROUP BY 1
),
days(d) AS (
    SELECT MIN(ts) IDIV 86400000 FROM events WHERE ts <= :NOW_MS
    UNION ALL
    SELECT d + 1 FROM days WHERE d < :NOW_MS IDIV 86400000
),
per_day AS (
    SELECT days.d AS d, COALESCE(began.n, 0) AS dau,
           SUM(COALESCE(began.n, 0) - COALESCE(ended.n, 0)) OVER (ORDER BY days.d ROWS UNBOUNDED PRECEDING) AS mau
    FROM days LEFT JOIN began ON began.d = days.d LEFT JOIN ended ON ended.d = days.d
)
SELECT DATE_OF(d * 86400000) AS period, dau, mau,
       CASE WHEN mau > 0 THEN dau * 1e0 / mau END AS stickiness
FROM per_day
WHERE d >= (:NOW_MS - 31535999999) IDIV 86400000
ORDER BY period;
