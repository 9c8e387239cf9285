-- who answers newcomers: replies whose addressee joined less than 7 days before, per answering member (a join)
WITH j AS (
    SELECT member, MIN(ts) AS joined FROM events WHERE type = 'join' AND ts <= :NOW_MS GROUP BY member
)
SELECT e.member, COUNT(*) AS answers
FROM events e JOIN j ON e.to_member = j.member
WHERE e.type = 'reply' AND e.ts <= :NOW_MS AND e.ts >= j.joined AND e.ts < j.joined + 604800000
GROUP BY e.member
ORDER BY answers DESC, e.member
LIMIT 100;
