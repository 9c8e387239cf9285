-- core creators per month, every month of the log (>= 3 original posts that month, or >= 100 essence by its end)
WITH months AS (SELECT DISTINCT MONTH_OF(ts) AS m FROM events WHERE ts <= :NOW_MS),
orig AS (SELECT member, MONTH_OF(ts) AS m FROM events
         WHERE type = 'post' AND original AND ts <= :NOW_MS
         GROUP BY member, MONTH_OF(ts) HAVING count(*) >= 3),
ess AS (SELECT member, MONTH_OF(ts) AS m, count(*) AS n FROM events
        WHERE type = 'essence' AND ts <= :NOW_MS GROUP BY member, MONTH_OF(ts)),
ess_by AS (SELECT months.m AS m, ess.member AS member FROM months JOIN ess ON ess.m <= months.m
           GROUP BY months.m, ess.member HAVING sum(ess.n) >= 100),
core AS (SELECT m, member FROM orig UNION SELECT m, member FROM ess_by)
SELECT months.m AS period, count(core.member) AS core_creators
FROM months LEFT JOIN core ON core.m = months.m
GROUP BY months.m
ORDER BY months.m;
