-- per group: distinct speakers (post, comment, reply) and messages in the last 30 days
SELECT grp AS "group", COUNT(DISTINCT member) AS speakers, COUNT(*) AS messages
FROM events
WHERE type IN ('post', 'comment', 'reply') AND ts > :NOW_MS - 2592000000 AND ts <= :NOW_MS
GROUP BY grp
ORDER BY speakers, grp;
