-- EVALUATE welcome_ritual with CUPED: per arm, posts within 7 days of first exposure, the difference against control adjusted by the posts of the 14 days before, and the variance CUPED took out
-- θ = Cov(x, c) / Var(c) pooled over both arms (GrowthBook's compute_theta); the
-- adjusted mean x̄ − θ c̄; per arm the adjusted variance Var(x) + θ² Var(c) − 2θ Cov(x, c)
WITH e AS (
    SELECT member, type, ts,
           MIN(CASE WHEN type = 'exposure' AND experiment = 'welcome_ritual' THEN ts END)
               OVER (PARTITION BY member) AS t0,
           MIN(CASE WHEN type = 'exposure' AND experiment = 'welcome_ritual' THEN arm END)
               OVER (PARTITION BY member) AS arm
    FROM events
    WHERE ts <= :NOW_MS
),
m AS (
    SELECT member, MIN(arm) AS arm,
           SUM(CASE WHEN type = 'post' AND ts >= t0 AND ts < t0 + 604800000 THEN 1 ELSE 0 END) AS x,
           SUM(CASE WHEN type = 'post' AND ts >= t0 - 1209600000 AND ts < t0 THEN 1 ELSE 0 END) AS c
    FROM e
    WHERE t0 IS NOT NULL
    GROUP BY member
),
a AS (
    SELECT arm, 1e0 * COUNT(*) AS n, 1e0 * SUM(x) AS sx, 1e0 * SUM(x * x) AS sxx,
           1e0 * SUM(c) AS sc, 1e0 * SUM(c * c) AS scc, 1e0 * SUM(x * c) AS sxc
    FROM m
    GROUP BY arm
),
t AS (
    SELECT (SUM(sxc) - SUM(sx) * SUM(sc) / SUM(n)) / (SUM(scc) - SUM(sc) * SUM(sc) / SUM(n)) AS theta
    FROM a
),
v AS (
    SELECT arm, n, sx / n AS mean, sx / n - theta * sc / n AS adj,
           (sxx - sx * sx / n) / (n - 1) AS vx,
           ((sxx - sx * sx / n) + theta * theta * (scc - sc * sc / n) - 2 * theta * (sxc - sx * sc / n)) / (n - 1) AS va
    FROM a, t
)
SELECT v.arm, v.n AS units, v.mean,
       CASE WHEN v.arm = 'control' THEN NULL ELSE v.adj - k.adj END AS diff,
       CASE WHEN v.arm = 'control' THEN NULL
            ELSE 1 - (v.va / v.n + k.va / k.n) / (v.vx / v.n + k.vx / k.n) END AS cuped_reduction
FROM v, v AS k
WHERE k.arm = 'control'
ORDER BY v.arm;
