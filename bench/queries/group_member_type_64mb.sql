-- the same GROUP BY over all events in a 64MB budget (SET MEMORY_LIMIT)
SELECT member, type, COUNT(*) AS events, SUM(words) AS words
FROM events
GROUP BY 1, 2
ORDER BY 1, 2;
