-- A/B welcome_ritual: per arm, posts and speaking within 7 days of first exposure
WITH x AS (
    SELECT member, MIN(arm) AS arm, MIN(ts) AS t0
    FROM events
    WHERE type = 'exposure' AND experiment = 'welcome_ritual' AND ts <= :NOW_MS
    GROUP BY member
),
m AS (
    SELECT x.member AS member, x.arm AS arm,
           SUM(CASE WHEN e.type = 'post' THEN 1 ELSE 0 END) AS posts,
           MAX(CASE WHEN e.type IN ('post', 'comment', 'reply') THEN 1 ELSE 0 END) AS spoke
    FROM x LEFT JOIN events e ON e.member = x.member AND e.ts >= x.t0 AND e.ts < x.t0 + 604800000
    GROUP BY x.member, x.arm
)
SELECT arm, COUNT(*) AS n, AVG(posts) AS mean_posts,
       AVG(posts * posts) - AVG(posts) * AVG(posts) AS var_posts,
       AVG(spoke) AS spoke_rate
FROM m
GROUP BY arm
ORDER BY arm;
