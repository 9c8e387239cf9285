-- ad-hoc GROUP BY over all events: events and words per member and type
SELECT member, type, COUNT(*) AS events, SUM(words) AS words
FROM events
GROUP BY 1, 2
ORDER BY 1, 2;
