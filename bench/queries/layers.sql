-- members per layer (core, backbone, base, silent)
WITH m AS (
    SELECT member,
           SUM(CASE WHEN type = 'post' AND original AND ts >= :MONTH_START_MS THEN 1 ELSE 0 END) AS originals,
           SUM(CASE WHEN type = 'essence' THEN 1 ELSE 0 END) AS essence,
           SUM(CASE WHEN ts > :NOW_MS - 2592000000 THEN 1 ELSE 0 END) AS recent,
           SUM(CASE type WHEN 'checkin' THEN 1 WHEN 'like' THEN 2 WHEN 'comment' THEN 3
                         WHEN 'reply' THEN 4 WHEN 'post' THEN 5 WHEN 'essence' THEN 20 ELSE 0 END
               * exp(-6.931471805599453e-1 * (:NOW_MS - ts) / 2.592e9)) AS engagement
    FROM events
    WHERE ts <= :NOW_MS
    GROUP BY member
)
SELECT CASE WHEN originals >= 3 OR essence >= 100 OR engagement >= 200 THEN 'core'
            WHEN recent >= 10 THEN 'backbone'
            WHEN recent >= 1 THEN 'base'
            ELSE 'silent' END AS layer,
       COUNT(*) AS members
FROM m
GROUP BY 1
ORDER BY 1;
