-- top 100 members by decayed engagement (1 checkin, 2 like, 3 comment, 4 reply, 5 post, 20 essence; half-life 30 days)
SELECT member,
       SUM(CASE type WHEN 'checkin' THEN 1 WHEN 'like' THEN 2 WHEN 'comment' THEN 3
                     WHEN 'reply' THEN 4 WHEN 'post' THEN 5 WHEN 'essence' THEN 20 ELSE 0 END
           * exp(-6.931471805599453e-1 * (:NOW_MS - ts) / 2.592e9)) AS engagement
FROM events
WHERE type IN ('checkin', 'like', 'comment', 'reply', 'post', 'essence') AND ts <= :NOW_MS
GROUP BY member
ORDER BY engagement DESC, member
LIMIT 100;
