-- weekly retention: 52 cohorts (week of first join) x 12 weeks, active on post, comment, reply, checkin
WITH c AS (
    SELECT member, (MIN(ts) + 259200000) IDIV 604800000 AS cw
    FROM events
    WHERE type = 'join' AND ts <= :NOW_MS
    GROUP BY member
),
a AS (
    SELECT DISTINCT member, (ts + 259200000) IDIV 604800000 AS w
    FROM events
    WHERE type IN ('post', 'comment', 'reply', 'checkin') AND ts <= :NOW_MS
),
sizes AS (
    SELECT cw, COUNT(*) AS n FROM c GROUP BY cw
),
cells AS (
    SELECT c.cw, a.w - c.cw AS k, COUNT(*) AS active
    FROM c JOIN a ON a.member = c.member
    WHERE a.w >= c.cw AND a.w < c.cw + 12 AND c.cw > :NOW_WEEK - 52
    GROUP BY c.cw, a.w - c.cw
)
SELECT DATE_OF(cells.cw * 604800000 - 259200000) AS cohort, sizes.n AS cohort_size,
       cells.k AS week, cells.active AS active
FROM cells JOIN sizes ON sizes.cw = cells.cw
ORDER BY cohort, week;
