-- ad-hoc full scan: events per type per month
SELECT MONTH_OF(ts) AS month, type, COUNT(*) AS events
FROM events
GROUP BY 1, 2
ORDER BY 1, 2;
