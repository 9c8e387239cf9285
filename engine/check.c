/* check.c — proves that the log, the id index and the dictionary agree.
 *
 * Reads one snapshot and recomputes every derived fact from the log: each record's
 * key must map back to its own sequence in the id index (so keys are unique and the
 * index covers no id of a missing record once the ids it covers, a run's entry its
 * length, match the records), every id a record
 * uses must resolve, and both directions of the dictionary must mirror each other.
 * Then every view is rebuilt from the same snapshot into scratch memory and compared
 * with its stored (incremental) state (view.c).
 */
#include "shoal_int.h"

#include <stdarg.h>
#include <stdio.h>

static void problem(shoal_check_report *rep, const char *fmt, ...)
{
    if (rep->n_problems++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rep->first_problem, sizeof rep->first_problem, fmt, ap);
        va_end(ap);
    }
}

static int check_log(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    shoal_logcur *c;
    int rc = shoal_logcur_open(r, 1, &c, err);
    if (rc) return rc;
    shoal_arena *a = shoal_arena_new();
    if (!a) {
        shoal_logcur_close(c);
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    }
    uint64_t want = 1;
    shoal_rec rec;
    for (;;) {
        shoal_err e;
        shoal_err_clear(&e);
        rc = shoal_logcur_next(c, &rec, &e);
        if (rc == 0) break;
        if (rc < 0) {
            if (rc != SHOAL_ECORRUPT) {
                shoal_err_set(err, e.code, -1, -1, "%s", e.msg);
                break;
            }
            problem(rep, "%s", e.msg);
            rc = 0;
            break;
        }
        rc = 0;
        rep->n_records++;
        if (rec.seq != want) {
            problem(rep, "log sequence jumps from %llu to %llu", (unsigned long long)(want - 1),
                    (unsigned long long)rec.seq);
            want = rec.seq;
        }
        want++;
        shoal_event ev;
        shoal_err_clear(&e);
        if ((rc = shoal_rec_event(r, &rec, a, &ev, &e))) {
            if (rc != SHOAL_ECORRUPT) {
                shoal_err_set(err, e.code, -1, -1, "%s", e.msg);
                break;
            }
            problem(rep, "%s", e.msg);
            rc = 0;
            continue;
        }
        unsigned char key[SHOAL_MAX_KEY];
        size_t klen = shoal_db_event_key(r->db, &ev, key);
        uint64_t seq;
        rc = shoal_ids_get(r, key, klen, &seq, NULL);
        if (rc == SHOAL_ENOTFOUND) {
            problem(rep, "log record %llu has no entry in the id index", (unsigned long long)rec.seq);
        } else if (rc == SHOAL_ECORRUPT) {
            problem(rep, "log record %llu's key finds a malformed id index entry", (unsigned long long)rec.seq);
        } else if (rc) {
            shoal_err_set(err, rc, -1, -1, "cannot read the id index");
            break;
        } else if (seq != rec.seq) {
            problem(rep, "log record %llu's key maps to record %llu", (unsigned long long)rec.seq,
                    (unsigned long long)seq);
        }
        rc = 0;
        if (shoal_arena_used(a) > ((size_t)1 << 20)) shoal_arena_reset(a);
    }
    shoal_arena_free(a);
    shoal_logcur_close(c);
    if (!rc && r->last_seq != rep->n_records && rep->n_problems == 0)
        problem(rep, "the log holds %llu records but ends at sequence %llu", (unsigned long long)rep->n_records,
                (unsigned long long)r->last_seq);
    return rc;
}

/* The index's entries cover as many ids as the log holds records: a run's entry
 * (format 8) its length, another one. With check_log's lookup of every record's key,
 * which finds its own sequence, the index covers exactly the log's keys. */
static int check_ids(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_ids, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the id index");
    MDB_val k, v;
    uint64_t n_ids = 0, n_bad = 0, n_entries = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint64_t seq, n;
        n_entries++;
        if (!shoal_ids_val_get(r->db, k.mv_data, k.mv_size, &v, &seq, &n)) {
            n_bad++;
            continue;
        }
        n_ids = n > UINT64_MAX - n_ids ? UINT64_MAX : n_ids + n;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the id index");
    rep->n_ids = n_ids;
    rep->n_id_entries = n_entries;
    if (n_bad) problem(rep, "the id index has %llu malformed entries", (unsigned long long)n_bad);
    if (rep->n_ids != rep->n_records)
        problem(rep, "the id index covers %llu ids for %llu log records", (unsigned long long)rep->n_ids,
                (unsigned long long)rep->n_records);
    return SHOAL_OK;
}

static int check_dict(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_dict, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the dictionary");
    uint32_t fwd[SHOAL_NS_COUNT] = {0}, rev[SHOAL_NS_COUNT] = {0};
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        int ns = k.mv_size ? kp[0] & ~SHOAL_DICT_REV : 0;
        if (ns <= 0 || ns >= SHOAL_NS_COUNT) {
            problem(rep, "dictionary key with unknown namespace %d", ns);
            continue;
        }
        if (kp[0] & SHOAL_DICT_REV) {
            rev[ns]++;
            if (k.mv_size != 5) {
                problem(rep, "reverse dictionary key has a bad size");
                continue;
            }
            uint32_t id = (uint32_t)kp[1] << 24 | (uint32_t)kp[2] << 16 | (uint32_t)kp[3] << 8 | kp[4];
            if (id == 0 || id > r->counts[ns]) problem(rep, "dictionary id %u in namespace %d is out of range", id, ns);
            uint32_t back;
            int lrc = shoal_dict_lookup_id(r->db, r->txn, ns, v.mv_data, v.mv_size, &back, NULL);
            if (lrc || back != id)
                problem(rep, "dictionary string %u in namespace %d does not map back to its id", id, ns);
        } else {
            fwd[ns]++;
            if (v.mv_size != 4) {
                problem(rep, "dictionary value has a bad size");
                continue;
            }
            const unsigned char *vp = v.mv_data;
            uint32_t id = (uint32_t)vp[0] << 24 | (uint32_t)vp[1] << 16 | (uint32_t)vp[2] << 8 | vp[3];
            shoal_str s;
            int lrc = shoal_dict_lookup_str(r->db, r->txn, ns, id, &s, NULL);
            if (lrc || s.len != k.mv_size - 1 || memcmp(s.ptr, kp + 1, s.len) != 0)
                problem(rep, "dictionary id %u in namespace %d does not map back to its string", id, ns);
        }
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the dictionary");
    for (int ns = 1; ns < SHOAL_NS_COUNT; ns++) {
        rep->n_strings[ns] = r->counts[ns];
        if (fwd[ns] != r->counts[ns] || rev[ns] != r->counts[ns])
            problem(rep, "namespace %d has %u strings, %u ids and a count of %u", ns, fwd[ns], rev[ns],
                    r->counts[ns]);
    }
    return SHOAL_OK;
}

/* The names table (format 7) against the dictionary: every id's name, each chunk as
 * long as its ids, no chunk beyond a namespace's last id. */
static int check_names(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    if (!r->db->has_names) return SHOAL_OK;
    uint64_t want = 0;
    for (int ns = 1; ns < SHOAL_NS_COUNT; ns++) {
        uint32_t cnt = r->counts[ns];
        if (!cnt) continue;
        for (uint32_t c = 0; c <= cnt / SHOAL_NAMES_CHUNK; c++) {
            want++;
            MDB_val v;
            shoal_err e = {0};
            int rc = shoal_names_chunk(r->db, r->txn, ns, c, &v, &e);
            if (rc == SHOAL_ECORRUPT) {
                problem(rep, "%s", e.msg);
                continue;
            }
            if (rc) return shoal_err_set(err, rc, -1, -1, "%s", e.msg);
            uint32_t base = c * SHOAL_NAMES_CHUNK, last = cnt - base >= SHOAL_NAMES_CHUNK ? SHOAL_NAMES_CHUNK - 1 : cnt - base;
            uint32_t n = (uint32_t)((const unsigned char *)v.mv_data)[0] << 24 |
                         (uint32_t)((const unsigned char *)v.mv_data)[1] << 16 |
                         (uint32_t)((const unsigned char *)v.mv_data)[2] << 8 | ((const unsigned char *)v.mv_data)[3];
            if (n != last + 1) {
                problem(rep, "chunk %u of the names table (namespace %d) holds %u names where the dictionary has %u", c,
                        ns, n, last + 1);
                continue;
            }
            for (uint32_t i = c ? 0 : 1; i <= last; i++) {
                shoal_str a, b;
                if ((rc = shoal_names_slot(r->db, &v, ns, c, i, &a, &e))) {
                    problem(rep, "%s", e.msg);
                    break;
                }
                if (shoal_dict_read_str(r->db, r->txn, ns, base + i, &b, NULL) != SHOAL_OK) continue;   /* check_dict's */
                if (a.len != b.len || memcmp(a.ptr, b.ptr, a.len)) {
                    problem(rep, "the names table's name of id %u in namespace %d is not the dictionary's", base + i, ns);
                    break;
                }
            }
        }
    }
    MDB_stat st;
    int rc = mdb_stat(r->txn, r->db->dbi_names, &st);
    if (rc) return shoal_store_err(err, rc, "cannot read the names table");
    if (st.ms_entries != want)
        problem(rep, "the names table has %llu chunks where the dictionary makes %llu", (unsigned long long)st.ms_entries,
                (unsigned long long)want);
    return SHOAL_OK;
}

static void view_problem(void *ctx, const char *msg) { problem(ctx, "%s", msg); }

static void view_note(void *ctx, const char *msg)
{
    shoal_check_report *rep = ctx;
    if (rep->n_notes++ == 0) snprintf(rep->first_note, sizeof rep->first_note, "%s", msg);
}

/* The stored fine lists of the zone map against those recomputed (f, n blocks). */
static int check_zfine(shoal_reader *r, const shoal_zfine *f, uint64_t n, shoal_check_report *rep, shoal_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_zfine, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the zone map");
    uint64_t want = 0, got = 0;
    for (uint64_t b = 0; b < n; b++) want += f->off[b + 1] > f->off[b];
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint64_t b = k.mv_size == 8 ? shoal_be64_get(k.mv_data) : UINT64_MAX;
        if (b >= n) {
            problem(rep, "zone map fine entry for block %llu has no block in the log", (unsigned long long)b);
            continue;
        }
        got++;
        size_t len = f->off[b + 1] - f->off[b];
        if (v.mv_size != len || memcmp(v.mv_data, f->buf + f->off[b], len))
            problem(rep, "zone map block %llu's fine list (%zu bytes) is not the one its records give (%zu bytes)",
                    (unsigned long long)b, v.mv_size, len);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the zone map");
    if (got != want)
        problem(rep, "the zone map has fine lists for %llu blocks, the log %llu blocks with records",
                (unsigned long long)got, (unsigned long long)want);
    return SHOAL_OK;
}

/* The zone map must be what the log gives, block for block: a block whose stored span
 * is too narrow, or whose bitmap misses an occupied slot, would make a time-restricted
 * scan skip events. A 16-byte entry (written before the bitmap) has only its span to
 * compare. */
static int check_zones(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    if (!r->db->has_zones) return SHOAL_OK;
    uint64_t n;
    shoal_zone *zs;
    shoal_zfine f;
    int rc = shoal_zone_compute(r->db, r->txn, &n, &zs, r->db->has_zfine ? &f : NULL, err);
    if (rc) return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, r->db->dbi_zones, &cur))) {
        shoal_free(zs);
        return shoal_store_err(err, rc, "cannot read the zone map");
    }
    uint64_t n_stored = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        n_stored++;
        uint64_t b = k.mv_size == 8 ? shoal_be64_get(k.mv_data) : UINT64_MAX;
        shoal_zone z;
        if (b >= n) {
            problem(rep, "zone map entry for block %llu has no block in the log", (unsigned long long)b);
            continue;
        }
        if (shoal_zone_decode(&v, &z)) {
            problem(rep, "zone map entry for block %llu is %zu bytes (expected 16 or 25)", (unsigned long long)b,
                    v.mv_size);
            continue;
        }
        const shoal_zone *want = &zs[b];
        if (z.min != want->min || z.max != want->max)
            problem(rep, "zone map block %llu spans %lld..%lld but its records span %lld..%lld", (unsigned long long)b,
                    (long long)z.min, (long long)z.max, (long long)want->min, (long long)want->max);
        else if (z.exact && (z.bits != want->bits || z.k != want->k))
            problem(rep, "zone map block %llu marks slots %016llx of 2^%u ms but its records occupy %016llx of 2^%u ms",
                    (unsigned long long)b, (unsigned long long)z.bits, z.k, (unsigned long long)want->bits, want->k);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) rc = SHOAL_OK;
    else rc = shoal_store_err(err, rc, "cannot read the zone map");
    if (!rc && n_stored != n)
        problem(rep, "the zone map has %llu blocks for a log of %llu", (unsigned long long)n_stored, (unsigned long long)n);
    /* The kept span of event times (what a plan asks for its latest): that of every
     * record when it is of the whole log (a writer that does not keep it, an older
     * shoal, leaves it behind, and readers merge the blocks after it). */
    int64_t klo, khi;
    uint64_t kseq;
    if (!rc && shoal_zone_span_kept(r->db, r->txn, &klo, &khi, &kseq)) {
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (uint64_t b = 0; b < n; b++)
            if (zs[b].min <= zs[b].max) {
                if (zs[b].min < lo) lo = zs[b].min;
                if (zs[b].max > hi) hi = zs[b].max;
            }
        if (kseq > r->last_seq)
            problem(rep, "the zone map's kept span of times is of the records up to %llu, past the log's last %llu",
                    (unsigned long long)kseq, (unsigned long long)r->last_seq);
        else if (kseq == r->last_seq && (klo != lo || khi != hi))
            problem(rep, "the zone map's kept span of times is %lld..%lld but the log's records span %lld..%lld",
                    (long long)klo, (long long)khi, (long long)lo, (long long)hi);
    }
    /* The fine lists, likewise: one per block with records, byte for byte. */
    if (!rc && r->db->has_zfine) rc = check_zfine(r, &f, n, rep, err);
    if (r->db->has_zfine) shoal_zfine_free(&f);
    shoal_free(zs);
    return rc;
}

static void page_problem(void *ctx, const char *msg) { problem(ctx, "%s", msg); }

/* LMDB's own accounting, as its debug audit does it: every page up to the last one is
 * a meta page, a page of some table (the free pages' own, the main table's, each named
 * table's) or a free page. A damaged page count, free list or table record breaks the
 * sum; a damaged page LMDB meets on the way is MDB_CORRUPTED. */
static int check_pages(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    MDB_txn *txn = r->txn;
    MDB_envinfo info;
    mdb_env_info(r->db->env, &info);
    MDB_stat st, top[2];
    uint64_t used = 0, free_pages = 0, n[2] = {0, 0};
    int rc;
    for (MDB_dbi d = 0; d < 2; d++) {
        if ((rc = mdb_stat(txn, d, &top[d]))) return shoal_store_err(err, rc, "cannot read the environment");
        used += top[d].ms_branch_pages + top[d].ms_leaf_pages + top[d].ms_overflow_pages;
    }
    MDB_cursor *cur;
    MDB_val k, v;
    if ((rc = mdb_cursor_open(txn, 0, &cur))) return shoal_store_err(err, rc, "cannot read the free pages");
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
        n[0]++;
        if (v.mv_size >= sizeof(size_t)) free_pages += *(const size_t *)v.mv_data;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the free pages");
    if ((rc = mdb_cursor_open(txn, 1, &cur))) return shoal_store_err(err, rc, "cannot read the environment");
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
        n[1]++;
        char name[256];
        if (k.mv_size >= sizeof name) {
            problem(rep, "the environment holds a table with a name of %zu bytes", k.mv_size);
            continue;
        }
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = 0;
        MDB_dbi d;
        if ((rc = mdb_dbi_open(txn, name, 0, &d)) || (rc = mdb_stat(txn, d, &st))) break;
        used += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the environment's tables");
    for (int d = 0; d < 2; d++)
        if (n[d] != top[d].ms_entries)
            problem(rep, "the environment's %s has %llu entries but its meta page says %llu (damaged meta page)",
                    d ? "table of tables" : "free list", (unsigned long long)n[d], (unsigned long long)top[d].ms_entries);
    /* The last page is the newest meta's: only comparable when no write committed
     * since this snapshot. */
    if (mdb_txn_id(txn) == info.me_last_txnid && used + free_pages + 2 != (uint64_t)info.me_last_pgno + 1)
        problem(rep, "the environment's pages do not add up: %llu in tables, %llu free and 2 meta pages, but the last "
                "page is %llu (damaged page counts or free list)", (unsigned long long)used,
                (unsigned long long)free_pages, (unsigned long long)info.me_last_pgno);
    return SHOAL_OK;
}

/* Layers and tiers keep only their statement text (view.c), which the query layer
 * parses; a value without it is damaged (listed by SHOW VIEWS as broken). */
static int check_defs(shoal_reader *r, shoal_check_report *rep, shoal_err *err)
{
    shoal_arena *a = shoal_arena_new();
    if (!a) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    shoal_namedef *d;
    int n, rc = shoal_view_defs(r, a, &d, &n, err);
    for (int i = 0; !rc && i < n; i++)
        if (d[i].kind.len == 6 && !memcmp(d[i].kind.ptr, "broken", 6))
            problem(rep, "the definition of \"%.*s\" does not decode (damaged); DROP VIEW %.*s removes it",
                    (int)d[i].name.len, d[i].name.ptr, (int)d[i].name.len, d[i].name.ptr);
    shoal_arena_free(a);
    return rc;
}

int shoal_db_check(shoal_db *db, shoal_check_report *rep, shoal_err *err)
{
    memset(rep, 0, sizeof *rep);
    /* The reader of shoal_reader_open, but LMDB reads nothing of a database whose pages
     * are damaged (it would crash): the snapshot is walked before its last sequence and
     * counts are read. */
    shoal_reader *r = shoal_malloc(sizeof *r);
    if (!r) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    memset(r, 0, sizeof *r);
    r->db = db;
    int rc = shoal_db_txn_begin(db, MDB_RDONLY, &r->txn, err);
    if (rc) {
        shoal_free(r);
        return rc;
    }
    int bad;
    if ((rc = shoal_pages_walk(db, r->txn, NULL, page_problem, rep, &bad, err)) || bad ||
        (rc = shoal_log_last_seq(db, r->txn, &r->last_seq, err)) ||
        (rc = shoal_dict_counts_load(db, r->txn, r->counts, err))) {
        rep->pages_damaged = bad;
        shoal_reader_close(r);
        return rc;
    }
    /* Lookups below must come from this snapshot, not from a cache that could mask
     * a missing entry. */
    shoal_dict_cache_clear(db->dict);
    if (!(rc = check_pages(r, rep, err)) && !(rc = check_dict(r, rep, err)) &&
        !(rc = check_names(r, rep, err)) && !(rc = check_log(r, rep, err)))
        rc = check_ids(r, rep, err);
    /* The zone map and the views are recomputed from the log: from a damaged one (its
     * last sequence may be anything) that would be noise, or gigabytes. */
    if (!rc && !rep->n_problems && !(rc = check_zones(r, rep, err)))
        rc = shoal_view_check(r, view_problem, view_note, rep, &rep->n_views, err);
    if (!rc) rc = check_defs(r, rep, err);
    shoal_reader_close(r);
    return rc;
}
