-- newcomers: median days from join to first post, per monthly join cohort, with no view (SET VIEWS = off: a scan of the log)
WITH j AS (
    SELECT member, MIN(ts) AS t0 FROM events WHERE type = 'join' AND ts <= :NOW_MS GROUP BY member
),
p AS (
    SELECT member, MIN(ts) AS t1 FROM events WHERE type = 'post' AND ts <= :NOW_MS GROUP BY member
),
joined AS (
    SELECT MONTH_OF(t0) AS cohort, COUNT(*) AS n FROM j GROUP BY 1
),
d AS (
    SELECT MONTH_OF(j.t0) AS cohort, (p.t1 - j.t0) / 8.64e7 AS days
    FROM j JOIN p ON p.member = j.member
    WHERE p.t1 >= j.t0
),
r AS (
    SELECT cohort, days,
           ROW_NUMBER() OVER (PARTITION BY cohort ORDER BY days) AS rn,
           COUNT(*) OVER (PARTITION BY cohort) AS n
    FROM d
),
med AS (
    SELECT cohort, MAX(n) AS posters, AVG(days) AS median_days
    FROM r
    WHERE rn = (n + 1) IDIV 2 OR rn = (n + 2) IDIV 2
    GROUP BY cohort
)
SELECT joined.cohort AS cohort, joined.n AS joined, med.posters AS posters, med.median_days AS median_days
FROM joined JOIN med ON med.cohort = joined.cohort
ORDER BY cohort;
