import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
const [db, lim, runs] = process.argv.slice(2);
const inst = await DuckDBInstance.create(db, {});
const c = await inst.connect();
if (lim !== 'none') await c.run(`SET memory_limit = '${lim}'`);
const sql = `SELECT member, type, COUNT(*) AS events, SUM(words) AS words FROM events GROUP BY 1, 2 ORDER BY 1, 2`;
await c.runAndReadAll(sql);
const t = [];
for (let i = 0; i < Number(runs); i++) { const t0 = performance.now(); const r = await c.runAndReadAll(sql); t.push(((performance.now() - t0)).toFixed(0)); if (i == 0) console.log('rows', r.getRows().length); }
console.log(lim, 'ms', t.join(','));
