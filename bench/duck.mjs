// bench/duck.mjs — the DuckDB side of bench/run, through @duckdb/node-api.
//
//   node duck.mjs version
//   node duck.mjs load DB NDJSON            -> "rows=N seconds=S"
//   node duck.mjs scalar DB SQL             -> the first column of the first row
//   node duck.mjs query DB SQLFILE RUNS CSV -> "times=S,S,..." after one warm-up run,
//                                              then writes the answer to CSV
// Times are wall-clock seconds of the query alone, measured around run() with the
// result fully materialised. The database is a file, as shoal's is. BENCH_DUCKDB_THREADS
// sets DuckDB's thread count (default: DuckDB's own, all cores).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import duckdb, { DuckDBInstance } from '@duckdb/node-api';

const [cmd, ...args] = process.argv.slice(2);

async function open(path) {
    const opts = {};
    if (process.env.BENCH_DUCKDB_THREADS) opts.threads = process.env.BENCH_DUCKDB_THREADS;
    const inst = await DuckDBInstance.create(path, opts);
    return inst.connect();
}

const sqlString = (s) => "'" + s.replaceAll("'", "''") + "'";
const stripSemi = (s) => s.trim().replace(/;\s*$/, '');

async function main() {
    if (cmd === 'version') {
        console.log(duckdb.version());
        return;
    }
    if (cmd === 'load') {
        const [db, file] = args;
        const c = await open(db);
        const t0 = performance.now();
        await c.run(`CREATE OR REPLACE TABLE events AS
            SELECT id, epoch_ms(ts)::BIGINT AS ts, member, type, "group" AS grp, original, words,
                   "to" AS to_member, amount, experiment, arm
            FROM read_ndjson(${sqlString(file)}, columns = {
                id: 'VARCHAR', ts: 'TIMESTAMPTZ', member: 'VARCHAR', type: 'VARCHAR',
                "group": 'VARCHAR', original: 'BOOLEAN', words: 'INTEGER', "to": 'VARCHAR',
                amount: 'DOUBLE', experiment: 'VARCHAR', arm: 'VARCHAR'})`);
        await c.run('CHECKPOINT');
        const secs = (performance.now() - t0) / 1000;
        const r = await c.runAndReadAll('SELECT count(*) FROM events');
        console.log(`rows=${r.getRows()[0][0]} seconds=${secs.toFixed(4)}`);
        return;
    }
    if (cmd === 'scalar') {
        const [db, sql] = args;
        const c = await open(db);
        const r = await c.runAndReadAll(sql);
        console.log(String(r.getRows()[0][0]));
        return;
    }
    if (cmd === 'query') {
        const [db, file, runs, csv] = args;
        const sql = stripSemi(readFileSync(file, 'utf8'));
        const c = await open(db);
        await c.runAndReadAll(sql);   // warm-up
        const times = [];
        for (let i = 0; i < Number(runs); i++) {
            const t0 = performance.now();
            await c.runAndReadAll(sql);
            times.push(((performance.now() - t0) / 1000).toFixed(6));
        }
        console.log(`times=${times.join(',')}`);
        await c.run(`COPY (${sql}) TO ${sqlString(csv)} (HEADER, DELIMITER ',')`);
        return;
    }
    throw new Error(`unknown command "${cmd}"`);
}

main().catch((e) => {
    console.error(`duck.mjs: ${e.message}`);
    process.exit(1);
});
