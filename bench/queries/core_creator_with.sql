-- members eligible for core creator this month, the shoal statement inside a WITH (the peers run the flat SQL)
SELECT member,
       SUM(CASE WHEN type = 'post' AND original AND ts >= :MONTH_START_MS THEN 1 ELSE 0 END) AS originals,
       SUM(CASE WHEN type = 'essence' THEN 1 ELSE 0 END) AS essence
FROM events
WHERE type IN ('post', 'essence') AND ts <= :NOW_MS
GROUP BY member
HAVING SUM(CASE WHEN type = 'post' AND original AND ts >= :MONTH_START_MS THEN 1 ELSE 0 END) >= 3
    OR SUM(CASE WHEN type = 'essence' THEN 1 ELSE 0 END) >= 100
ORDER BY member;
