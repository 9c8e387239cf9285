-- A/B welcome_ritual: per arm, posts and speaking within 7 days of first exposure
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
           SUM(CASE WHEN type = 'post' AND ts >= t0 AND ts < t0 + 604800000 THEN 1 ELSE 0 END) AS posts,
           MAX(CASE WHEN type IN ('post', 'comment', 'reply') AND ts >= t0 AND ts < t0 + 604800000
                    THEN 1 ELSE 0 END) AS spoke
    FROM e
    WHERE t0 IS NOT NULL
    GROUP BY member
)
SELECT arm, COUNT(*) AS n, AVG(posts) AS mean_posts,
       AVG(posts * posts) - AVG(posts) * AVG(posts) AS var_posts,
       AVG(spoke) AS spoke_rate
FROM m
GROUP BY arm
ORDER BY arm;
