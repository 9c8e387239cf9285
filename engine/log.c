/* log.c — the append-only event log: batches in, records out.
 *
 * An append is one LMDB write transaction holding the batch's log records (big-endian
 * sequence keys, written with MDB_APPEND), its id index entries, the dictionary
 * entries it created and the new dictionary counts. LMDB commits all of it atomically
 * or none of it, so after a crash at any moment the log holds whole batches only and
 * the index, dictionary and log agree; a batch is acknowledged exactly when its commit
 * returns. When the map fills mid-batch the transaction is aborted, the map doubled
 * and the batch replayed from the caller's events, which the caller keeps until we
 * return: MDB_MAP_FULL costs time, never events.
 *
 * Duplicates are found by looking every key of the batch up in sorted order (so the
 * B-tree pages are visited once, in order), and the index is written in sorted order
 * for the same reason; the log itself is written in input order. Most batches hold no
 * duplicate at all, so the lookup pass is first skipped: the index writes meet the
 * first key already stored (MDB_NOOVERWRITE, or inside a run: ids_write) and abort the
 * attempt, which is then redone with the lookups (and the next batch starts with them,
 * since duplicates come in runs, as when a file is ingested again). Every view is updated in the same
 * transaction (view.c: begin, apply per appended event, end before commit). Keys are the ids
 * themselves (see shoal_event_key), so a batch of mostly sequential ids dirties a few
 * neighbouring index pages instead of one page per event, and a counter's ids at the
 * log's own order are one entry a run (format 8, *The id index's runs* below).
 */
#include "shoal_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statvfs.h>

typedef struct shoal_keyed {
    const unsigned char *key;   /* in the batch's key buffer */
    uint32_t len;
    uint32_t idx;     /* position in the batch */
    uint32_t dup;     /* DUP_SAME or DUP_CONFLICT when already stored or earlier in the batch */
    uint32_t run;     /* index in ks of the first entry with this key */
    uint64_t seq;     /* the stored event's sequence, or (after pass 3) the new one's */
} keyed;

enum { DUP_NONE = 0, DUP_SAME, DUP_CONFLICT };

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Whether x's key is strictly less than y's (the position does not count). */
static bool keyed_less(const keyed *x, const keyed *y)
{
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    return c ? c < 0 : x->len < y->len;
}

/* The number a numeric id key ends with, when key is one. */
static bool key_number(const unsigned char *key, size_t klen, uint64_t *num)
{
    if (klen < 2 || key[0] <= SHOAL_IDKEY_NUM) return false;
    unsigned b = key[0] - SHOAL_IDKEY_NUM;
    if (b > 8 || b >= klen) return false;
    uint64_t v = 0;
    for (size_t i = klen - b; i < klen; i++) v = v << 8 | key[i];
    *num = v;
    return true;
}

/* The largest number a numeric key of b bytes holds: b bytes, and 18 digits
 * (shoal_id_number); a run never passes it (the next number's key is another width). */
static uint64_t key_number_max(unsigned b)
{
    uint64_t digits = 999999999999999999ull;
    return b >= 8 || digits >> (8 * b) == 0 ? digits : ((uint64_t)1 << (8 * b)) - 1;
}

/* A single entry's value: seq, or under a numeric key the difference from the number. */
static size_t val_diff_put(bool numeric, uint64_t num, uint64_t seq, unsigned char *out)
{
    uint64_t v = seq;
    if (numeric) {
        int64_t d = (int64_t)(seq - num);
        v = ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
        if (v == 0) return 0;
    }
    unsigned b = 1;
    while (b < 8 && (v >> (8 * b))) b++;
    for (unsigned i = 0; i < b; i++) out[i] = (unsigned char)(v >> (8 * (b - 1 - i)));
    return b;
}

size_t shoal_ids_val_put(const shoal_db *db, const unsigned char *key, size_t klen, uint64_t seq, uint64_t n,
                         unsigned char *out)
{
    if (!db->idkeys2) {
        shoal_be64_put(out, seq);
        return 8;
    }
    uint64_t num = 0;
    bool numeric = key_number(key, klen, &num);
    if (n <= 1) return val_diff_put(numeric, num, seq, out);
    size_t len = 0;
    out[len++] = 0;
    for (; n >= 0x80; n >>= 7) out[len++] = (unsigned char)(n | 0x80);
    out[len++] = (unsigned char)n;
    return len + val_diff_put(true, num, seq, out + len);
}

bool shoal_ids_val_get(const shoal_db *db, const unsigned char *key, size_t klen, const MDB_val *v, uint64_t *seq,
                       uint64_t *n)
{
    *n = 1;
    if (!db->idkeys2) {
        if (v->mv_size != 8) return false;
        *seq = shoal_be64_get(v->mv_data);
        return true;
    }
    const unsigned char *p = v->mv_data, *end = p + v->mv_size;
    uint64_t num, x = 0;
    bool numeric = key_number(key, klen, &num);
    if (v->mv_size > 0 && p[0] == 0) {
        /* a run: its length, at least 2, and within the key's width */
        if (!numeric) return false;
        uint64_t len = 0;
        unsigned shift = 0;
        for (p++;; shift += 7) {
            if (p == end || shift > 63) return false;
            len |= (uint64_t)(*p & 0x7F) << shift;
            if (!(*p++ & 0x80)) break;
        }
        if (len < 2 || len - 1 > key_number_max(key[0] - SHOAL_IDKEY_NUM) - num) return false;
        *n = len;
    }
    size_t vlen = (size_t)(end - p);
    if (vlen > 8 || (vlen == 0 && !numeric)) return false;
    for (size_t i = 0; i < vlen; i++) x = x << 8 | p[i];
    if (numeric) x = num + (uint64_t)((int64_t)(x >> 1) ^ -(int64_t)(x & 1));
    *seq = x;
    return true;
}

/* The entry of the id index that covers an id: under the id's own key, or for a
 * numeric key (format 8's runs) the run of its width and prefix that starts at or
 * before its number and reaches it. */
typedef struct idrun {
    const unsigned char *key;   /* the entry's key, in the map: valid until the next write */
    uint32_t len;
    uint64_t start, n;          /* its number (a numeric key) and the ids it covers */
    uint64_t first;             /* the sequence of its first id */
} idrun;

/* Returned by ids_find for an entry whose value is malformed. */
#define IDS_BAD (-1)

/* The run that covers numeric key (its number num), looking from the entry (k, v)
 * at cur (rc: how getting it went) back: see ids_find. */
static int ids_cover(const shoal_db *db, MDB_cursor *cur, const unsigned char *key, size_t klen, uint64_t num, int rc,
                     MDB_val *k, MDB_val *v, idrun *run, uint64_t *seq)
{
    size_t head = klen - (key[0] - SHOAL_IDKEY_NUM);
    for (; rc == 0; rc = mdb_cursor_get(cur, k, v, MDB_PREV)) {
        if (k->mv_size < head || memcmp(k->mv_data, key, head) != 0) return MDB_NOTFOUND;
        if (k->mv_size != klen) continue;
        uint64_t start = 0, first, n;
        key_number(k->mv_data, klen, &start);
        /* a single entry (its value does not start with a run's 0) covers its own id only */
        if (start != num && (v->mv_size == 0 || *(const unsigned char *)v->mv_data != 0)) return MDB_NOTFOUND;
        if (!shoal_ids_val_get(db, k->mv_data, klen, v, &first, &n)) return IDS_BAD;
        if (num - start >= n) return MDB_NOTFOUND;
        *run = (idrun){k->mv_data, (uint32_t)klen, start, n, first};
        *seq = first + (num - start);
        return 0;
    }
    return rc;
}

/* Finds the entry covering key with cur, a cursor on the id index: 0 with *run and
 * *seq (key's sequence), MDB_NOTFOUND, IDS_BAD, or LMDB's error. A run's entry is the
 * greatest key at or before key's of the same width and prefix (the same length and
 * the same bytes but the number's): keys between the two all start with those bytes,
 * so they are the keys of longer prefixes (e-\x01 beside e-), skipped, and the first
 * key before them that does not start so ends the search. */
static int ids_find(const shoal_db *db, MDB_cursor *cur, const unsigned char *key, size_t klen, idrun *run,
                    uint64_t *seq)
{
    MDB_val k = {klen, (void *)key}, v;
    uint64_t num;
    int rc;
    if (!db->idkeys2 || !key_number(key, klen, &num)) {
        if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET))) return rc;
        if (!shoal_ids_val_get(db, key, klen, &v, seq, &run->n) || run->n != 1) return IDS_BAD;
        *run = (idrun){key, (uint32_t)klen, 0, 1, *seq};
        return 0;
    }
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && !(k.mv_size == klen && memcmp(k.mv_data, key, klen) == 0))
        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    return ids_cover(db, cur, key, klen, num, rc, &k, &v, run, seq);
}

/* Whether run (found by ids_find) covers key: a key of its width and prefix whose
 * number is within it. */
static bool run_covers(const idrun *run, const unsigned char *key, size_t klen, uint64_t *seq)
{
    uint64_t num;
    if (run->n < 2 || klen != run->len || !key_number(key, klen, &num) ||
        memcmp(key, run->key, klen - (key[0] - SHOAL_IDKEY_NUM)) != 0 || num - run->start >= run->n)
        return false;
    *seq = run->first + (num - run->start);
    return true;
}

int shoal_log_last_seq(shoal_db *db, MDB_txn *txn, uint64_t *out, shoal_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->dbi_log, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot open a log cursor");
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) {
        *out = 0;
        return SHOAL_OK;
    }
    if (rc) return shoal_store_err(err, rc, "cannot read the end of the log");
    if (k.mv_size != 8) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log key has a bad size");
    *out = shoal_be64_get(k.mv_data);
    return SHOAL_OK;
}

static int scratch_reserve(shoal_db *db, size_t n)
{
    if (db->n_scratch >= n) return SHOAL_OK;
    size_t cap = db->n_scratch ? db->n_scratch : 4096;
    while (cap < n) cap *= 2;
    unsigned char *p = shoal_realloc(db->scratch, cap);
    if (!p) return SHOAL_ENOMEM;
    db->scratch = p;
    db->n_scratch = cap;
    return SHOAL_OK;
}

/* Interns one hashed name: its id from ids (the reading thread's, 0 when it did not
 * know the name) or else through the dictionary. */
static int intern_hashed(shoal_db *db, MDB_txn *txn, int ns, shoal_str s, uint32_t h, uint32_t known, uint32_t *id,
                         shoal_err *err)
{
    if (known) {
        *id = known;
        return SHOAL_OK;
    }
    return shoal_dict_intern_h(db, txn, ns, s.ptr, s.len, h, id, err);
}

/* Resolves an event's strings to ids inside txn. hs holds the hashes of its names
 * (shoal_logkeys_make: member, type, group, each property's key and short string
 * value), ids NULL or their ids where known. props must have room for n_props. */
static int intern_event(shoal_db *db, MDB_txn *txn, const shoal_event *ev, const uint32_t *hs, const uint32_t *ids,
                        shoal_ievent *out, shoal_rprop *props, shoal_err *err)
{
    int rc;
    uint32_t j = 0;
    out->ts = ev->ts;
    out->has_id = ev->has_id;
    out->id = ev->id;
    out->id_seq = 0;
    out->id_key = NULL;
    out->group = 0;
    if ((rc = intern_hashed(db, txn, SHOAL_NS_MEMBER, ev->member, hs[j], ids ? ids[j] : 0, &out->member, err)))
        return rc;
    j++;
    if ((rc = intern_hashed(db, txn, SHOAL_NS_TYPE, ev->type, hs[j], ids ? ids[j] : 0, &out->type, err))) return rc;
    j++;
    if (ev->group.ptr) {
        if ((rc = intern_hashed(db, txn, SHOAL_NS_GROUP, ev->group, hs[j], ids ? ids[j] : 0, &out->group, err)))
            return rc;
        j++;
    }
    for (uint32_t i = 0; i < ev->n_props; i++) {
        const shoal_prop *p = &ev->props[i];
        shoal_rprop q;
        if ((rc = intern_hashed(db, txn, SHOAL_NS_PROP, p->key, hs[j], ids ? ids[j] : 0, &q.key, err))) return rc;
        j++;
        q.kind = p->kind;
        switch (p->kind) {
        case SHOAL_VAL_BOOL:
            q.v.b = p->v.b != 0;
            break;
        case SHOAL_VAL_INT:
            q.v.i = p->v.i;
            break;
        case SHOAL_VAL_NUM:
            if (shoal_num_is_int(p->v.d, &q.v.i)) q.kind = SHOAL_VAL_INT;
            else q.v.d = p->v.d;
            break;
        default:
            q.v.s.id = 0;
            q.v.s.inl = p->v.s;
            if (p->v.s.len <= SHOAL_INLINE_STRVAL) {
                if ((rc = intern_hashed(db, txn, SHOAL_NS_STR, p->v.s, hs[j], ids ? ids[j] : 0, &q.v.s.id, err)))
                    return rc;
                j++;
            }
            break;
        }
        /* Keep props sorted by key id: lookups in a record can then stop early. */
        uint32_t j = i;
        while (j > 0 && props[j - 1].key > q.key) {
            props[j] = props[j - 1];
            j--;
        }
        props[j] = q;
    }
    out->n_props = ev->n_props;
    out->props = props;
    return SHOAL_OK;
}

/* Whether a and b hold the same value, numbers compared canonically (2.0 is 2). */
static bool same_value(const shoal_prop *a, const shoal_rprop *b, shoal_str bstr)
{
    int64_t ai;
    switch (b->kind) {
    case SHOAL_VAL_BOOL: return a->kind == SHOAL_VAL_BOOL && (a->v.b != 0) == (b->v.b != 0);
    case SHOAL_VAL_INT:
        if (a->kind == SHOAL_VAL_INT) return a->v.i == b->v.i;
        return a->kind == SHOAL_VAL_NUM && shoal_num_is_int(a->v.d, &ai) && ai == b->v.i;
    case SHOAL_VAL_NUM: return a->kind == SHOAL_VAL_NUM && a->v.d == b->v.d;
    default:
        return a->kind == SHOAL_VAL_STR && a->v.s.len == bstr.len &&
               (bstr.len == 0 || !memcmp(a->v.s.ptr, bstr.ptr, bstr.len));
    }
}

static bool same_str(shoal_str a, shoal_str b)
{
    return a.len == b.len && (a.len == 0 || !memcmp(a.ptr, b.ptr, a.len));
}

/* Whether ev has the content of the event stored at seq (its id is the same by
 * construction). Each string is compared as soon as it is looked up, so that no
 * dictionary pointer is held across a lookup. Sets *same. Only duplicates pay for
 * this: a new event's key is not found and never gets here. */
static int same_as_stored(shoal_db *db, MDB_txn *txn, uint64_t seq, const shoal_event *ev, bool *same, shoal_err *err)
{
    unsigned char kb[8];
    shoal_be64_put(kb, seq);
    MDB_val k = {8, kb}, v;
    shoal_rec rec;
    shoal_str s;
    int rc = mdb_get(txn, db->dbi_log, &k, &v);
    if (rc) return shoal_store_err(err, rc, "cannot read the log");
    if ((rc = shoal_log_decode(&k, &v, &rec, err))) return rc;
    *same = false;
    if (rec.ts != ev->ts || (rec.group != 0) != (ev->group.ptr != NULL)) return SHOAL_OK;
    if ((rc = shoal_dict_lookup_str(db, txn, SHOAL_NS_MEMBER, rec.member, &s, err)) || !same_str(s, ev->member))
        goto out;
    if ((rc = shoal_dict_lookup_str(db, txn, SHOAL_NS_TYPE, rec.type, &s, err)) || !same_str(s, ev->type)) goto out;
    if (rec.group &&
        ((rc = shoal_dict_lookup_str(db, txn, SHOAL_NS_GROUP, rec.group, &s, err)) || !same_str(s, ev->group)))
        goto out;
    shoal_rprop rp[SHOAL_MAX_PROPS];
    int n = shoal_rec_props(&rec, rp, SHOAL_MAX_PROPS);
    if (n < 0 || n > SHOAL_MAX_PROPS)
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log record %llu is corrupt", (unsigned long long)seq);
    if ((uint32_t)n != ev->n_props) return SHOAL_OK;
    for (int i = 0; i < n; i++) {
        if ((rc = shoal_dict_lookup_str(db, txn, SHOAL_NS_PROP, rp[i].key, &s, err))) goto out;
        const shoal_prop *p = NULL;
        for (uint32_t j = 0; j < ev->n_props && !p; j++)
            if (same_str(ev->props[j].key, s)) p = &ev->props[j];
        if (!p) return SHOAL_OK;
        shoal_str val = {0};
        if (rp[i].kind == SHOAL_VAL_STR) {
            if (rp[i].v.s.id) {
                if ((rc = shoal_dict_lookup_str(db, txn, SHOAL_NS_STR, rp[i].v.s.id, &val, err))) goto out;
            } else {
                val = rp[i].v.s.inl;
            }
        }
        if (!same_value(p, &rp[i], val)) return SHOAL_OK;
    }
    *same = true;
out:
    if (rc == SHOAL_ENOTFOUND)
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log record %llu refers to a string that does not exist",
                             (unsigned long long)seq);
    return rc;
}

/* Whether two events of a batch with the same id have the same content. */
static bool same_event(const shoal_event *a, const shoal_event *b)
{
    if (a->ts != b->ts || !same_str(a->member, b->member) || !same_str(a->type, b->type) ||
        (a->group.ptr != NULL) != (b->group.ptr != NULL) || (a->group.ptr && !same_str(a->group, b->group)) ||
        a->n_props != b->n_props)
        return false;
    for (uint32_t i = 0; i < a->n_props; i++) {
        const shoal_prop *p = NULL, *q = &a->props[i];
        for (uint32_t j = 0; j < b->n_props && !p; j++)
            if (same_str(b->props[j].key, q->key)) p = &b->props[j];
        if (!p) return false;
        shoal_rprop r = {.kind = q->kind};
        int64_t qi;
        if (q->kind == SHOAL_VAL_NUM && shoal_num_is_int(q->v.d, &qi)) r.kind = SHOAL_VAL_INT, r.v.i = qi;
        else if (q->kind == SHOAL_VAL_INT) r.v.i = q->v.i;
        else if (q->kind == SHOAL_VAL_NUM) r.v.d = q->v.d;
        else if (q->kind == SHOAL_VAL_BOOL) r.v.b = q->v.b;
        if (!same_value(p, &r, q->kind == SHOAL_VAL_STR ? q->v.s : (shoal_str){0})) return false;
    }
    return true;
}

/* How many events ahead of the one being interned the dictionary's slots are
 * prefetched: a slot is a cache miss (300k members' slots are megabytes), which
 * then overlaps the interning and encoding of the events in between. */
#define PREFETCH_AHEAD 8

static void prefetch_names(shoal_db *db, const shoal_logkeys *k, size_t i)
{
    for (uint32_t j = k->hstart[i]; j < k->hstart[i + 1]; j++)
        if (!k->has_ids || !k->ids[j]) shoal_dict_prefetch_hash(db, k->hs[j]);
}

/* Returned by an optimistic attempt that met a duplicate: redo with lookups. */
#define RETRY_WITH_LOOKUPS 1

/* The id index's runs (format 8). Most ids are a counter behind a prefix, and arrive as
 * consecutive numbers at consecutive sequences (`shoal gen`'s e-1, e-2, … at 1, 2, …):
 * one entry covers such a run, its key the run's first id's, its value the difference
 * sequence − number and the run's length (shoal_ids_val_put). A batch that continues
 * the index's last run rewrites that one entry, where it put an entry an event.
 *
 * The keys past the index's last one are appended (MDB_APPEND): LMDB then fills each
 * leaf page and starts a new one, where an insert splits a full page in two halves and
 * sequential keys leave every page half empty. Past the last key is not new, though:
 * an id inside the last run (its key after the run's first) is stored, so the last
 * entry is kept as the tail, and a key is compared with its end. A key of the tail's
 * width and prefix that continues it, at the sequence that continues it, lengthens it;
 * any other starts a new tail, the old one written. A run never crosses a width or a
 * prefix (the next number's key differs in its first byte or its prefix), nor another
 * run: it is lengthened only by a key found new, which no run covers. Keys before the
 * last one (ids out of order) are put as single entries. Without pass 1's lookups (the
 * optimistic attempt), a stored key is found where it is met: an existing key by
 * MDB_NOOVERWRITE, one inside a run by the tail's end or, before the tail, from its
 * new entry back (ids_cover), which costs a step back where a lookup was a descent. */
typedef struct ids_tail {
    unsigned char key[SHOAL_MAX_KEY];
    uint32_t len;               /* 0: the index is empty */
    bool numeric;
    bool stored;                /* an entry under key is in the index: rewritten, not appended */
    bool dirty;                 /* differs from what is stored */
    uint64_t start, n, first;   /* as idrun's */
    bool has_next;              /* numeric, and start + n fits its width: */
    unsigned char next[SHOAL_MAX_KEY];   /* the key that would continue it */
} ids_tail;

/* Sets t->next to the key of the number after t's run (the batch's keys are compared
 * with it whole: one memcmp where the key's number, prefix and order took three). */
static void tail_next(ids_tail *t)
{
    unsigned b = t->key[0] - SHOAL_IDKEY_NUM;
    uint64_t v = t->start + t->n;
    t->has_next = t->numeric && v <= key_number_max(b);
    for (unsigned i = 0; i < b && t->has_next; i++) t->next[t->len - 1 - i] = (unsigned char)(v >> (8 * i));
}

static int tail_flush(shoal_db *db, MDB_cursor *ids, ids_tail *t, bool *runs, shoal_err *err)
{
    if (!t->dirty) return SHOAL_OK;
    unsigned char vb[SHOAL_IDS_VAL_MAX];
    MDB_val kv = {t->len, t->key}, vv = {shoal_ids_val_put(db, t->key, t->len, t->first, t->n, vb), vb};
    int rc = mdb_cursor_put(ids, &kv, &vv, t->stored ? 0 : MDB_APPEND);
    if (rc) return shoal_store_err(err, rc, "cannot write the id index");
    *runs |= t->n > 1;
    t->stored = true;
    t->dirty = false;
    return SHOAL_OK;
}

/* Writes the index entries of ks[0..n)'s new events (seqs by position) in key order.
 * Returns SHOAL_OK, RETRY_WITH_LOOKUPS (optimistic: a key is stored), or an error. */
static int ids_write(shoal_db *db, MDB_txn *txn, MDB_cursor *ids, keyed *ks, size_t n, const uint64_t *seqs,
                     bool optimistic, shoal_err *err)
{
    ids_tail t = {.len = 0};
    bool runs = false;
    MDB_val lk, lv;
    int rc = mdb_cursor_get(ids, &lk, &lv, MDB_LAST);
    if (rc == 0) {
        if (lk.mv_size > SHOAL_MAX_KEY) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "id index key is too long");
        memcpy(t.key, lk.mv_data, lk.mv_size);
        t.len = (uint32_t)lk.mv_size;
        t.numeric = db->idkeys2 && key_number(t.key, t.len, &t.start);
        t.stored = true;
        if (!shoal_ids_val_get(db, t.key, t.len, &lv, &t.first, &t.n))
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "id index entry is malformed");
        memcpy(t.next, t.key, t.len);
        tail_next(&t);
    } else if (rc != MDB_NOTFOUND) {
        return shoal_store_err(err, rc, "cannot read the id index");
    }
    for (size_t i = 0; i < n; i++) {
        keyed *k = &ks[i];
        if (k->dup) continue;
        uint64_t seq = k->seq = seqs[k->idx], num = 0, at;
        if (t.has_next && k->len == t.len && seq == t.first + t.n && memcmp(k->key, t.next, t.len) == 0) {
            t.n++;
            t.dirty = true;
            tail_next(&t);
            continue;
        }
        keyed last = {.key = t.key, .len = t.len};
        bool numeric = db->idkeys2 && key_number(k->key, k->len, &num);
        if (t.len && !keyed_less(&last, k)) {
            /* Before the last key (out of order): a single entry. Without the lookups
             * (optimistic) the key may be stored: as a key (MDB_KEYEXIST), or inside a
             * run, found from the new entry back (the cursor is at it after the put;
             * the attempt is then redone, this put with it). */
            unsigned char vb[SHOAL_IDS_VAL_MAX];
            MDB_val kv = {k->len, (void *)k->key}, vv = {0, vb};
            vv.mv_size = db->idkeys2 ? val_diff_put(numeric, num, seq, vb)
                                     : shoal_ids_val_put(db, k->key, k->len, seq, 1, vb);
            if ((rc = mdb_cursor_put(ids, &kv, &vv, MDB_NOOVERWRITE))) {
                if (rc == MDB_KEYEXIST && optimistic) return RETRY_WITH_LOOKUPS;
                return shoal_store_err(err, rc, "cannot write the id index");
            }
            if (optimistic && numeric) {
                idrun found;
                MDB_val pk, pv;
                rc = mdb_cursor_get(ids, &pk, &pv, MDB_PREV);
                rc = ids_cover(db, ids, k->key, k->len, num, rc, &pk, &pv, &found, &at);
                if (rc == 0) return RETRY_WITH_LOOKUPS;
                if (rc == IDS_BAD) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "id index entry is malformed");
                if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the id index");
            }
            continue;
        }
        if (numeric && t.len && t.numeric) {
            size_t head = k->len - (k->key[0] - SHOAL_IDKEY_NUM);
            if (t.len >= head && memcmp(t.key, k->key, head) == 0) {
                if (t.len == k->len) {
                    /* inside the last run: stored (with pass 1, found so and skipped) */
                    if (num - t.start < t.n && optimistic) return RETRY_WITH_LOOKUPS;
                    if (num - t.start < t.n)
                        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "id index changed under the batch");
                    if (num == t.start + t.n && seq == t.first + t.n) {
                        t.n++;
                        t.dirty = true;
                        tail_next(&t);
                        continue;
                    }
                } else {
                    /* the last key is a longer prefix's (e-\x01 after e-): a run of
                     * this prefix before it may cover the key (pass 1 looked it up) */
                    idrun found;
                    if (optimistic && (rc = tail_flush(db, ids, &t, &runs, err))) return rc;
                    rc = optimistic ? ids_find(db, ids, k->key, k->len, &found, &at) : MDB_NOTFOUND;
                    if (rc == 0) return RETRY_WITH_LOOKUPS;
                    if (rc == IDS_BAD) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "id index entry is malformed");
                    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the id index");
                }
            }
        }
        if ((rc = tail_flush(db, ids, &t, &runs, err))) return rc;
        memcpy(t.key, k->key, k->len);
        t.len = k->len;
        t.numeric = numeric;
        t.start = numeric ? num : 0;
        t.n = 1;
        t.first = seq;
        t.stored = false;
        t.dirty = true;
        memcpy(t.next, t.key, t.len);
        tail_next(&t);
    }
    if ((rc = tail_flush(db, ids, &t, &runs, err))) return rc;
    return runs ? shoal_db_format_raise(db, txn, SHOAL_FORMAT_IDRUNS, err) : SHOAL_OK;
}

/* One attempt at the batch. Returns SHOAL_OK (committed), RETRY_WITH_LOOKUPS, or an
 * error with the transaction aborted; err->sys == MDB_MAP_FULL asks the caller to
 * grow and retry. optimistic skips the lookups (ks must hold no repeated key). */
static int append_once(shoal_db *db, const shoal_event *evs, size_t n, const shoal_logkeys *lk, bool optimistic,
                       const shoal_conflicts *cf, shoal_append_stats *st, shoal_err *err)
{
    keyed *ks = lk->ks;
    MDB_txn *txn = NULL;
    MDB_cursor *ids = NULL, *log = NULL;
    shoal_zacc *zones = NULL;
    int rc;
    if ((rc = shoal_db_txn_begin(db, 0, &txn, err))) return rc;
    if ((rc = shoal_dict_sync(db, txn, err))) goto fail;
    if ((rc = shoal_view_begin(db, txn, err))) goto fail;
    uint64_t seq;
    if ((rc = shoal_log_last_seq(db, txn, &seq, err))) goto fail;
    if (shoal_zacc_new(seq + 1, n, &zones)) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    if ((rc = mdb_cursor_open(txn, db->dbi_ids, &ids)) || (rc = mdb_cursor_open(txn, db->dbi_log, &log))) {
        rc = shoal_store_err(err, rc, "cannot open cursors");
        goto fail;
    }

    /* Pass 1, in key order: which events are already stored or repeated, and which
     * of those differ from the event their id names (a conflict). A key without id
     * is a hash of the content, so only events with an id can conflict. */
    uint64_t n_same = 0, n_conflict = 0;
    idrun found = {.n = 0};   /* pass 1 writes nothing: its key stays valid */
    for (size_t i = 0; i < n; i++) {
        keyed *k = &ks[i];
        k->dup = DUP_NONE;
        k->run = (uint32_t)i;
        k->seq = 0;
        if (optimistic) continue;
        if (i > 0 && ks[i - 1].len == k->len && memcmp(ks[i - 1].key, k->key, k->len) == 0) {
            keyed *r = &ks[ks[i - 1].run];
            bool same = true;
            k->run = ks[i - 1].run;
            k->seq = r->seq;
            if (!evs[k->idx].has_id) same = true;
            else if (r->seq && (rc = same_as_stored(db, txn, r->seq, &evs[k->idx], &same, err))) goto fail;
            else if (!r->seq) same = same_event(&evs[r->idx], &evs[k->idx]);
            k->dup = same ? DUP_SAME : DUP_CONFLICT;
            continue;
        }
        /* The keys come in order, so the run that covered the last one most often
         * covers this one too (a file ingested again): no lookup. */
        rc = run_covers(&found, k->key, k->len, &k->seq) ? 0 : ids_find(db, ids, k->key, k->len, &found, &k->seq);
        if (rc == 0) {
            bool same = true;
            if (evs[k->idx].has_id && (rc = same_as_stored(db, txn, k->seq, &evs[k->idx], &same, err))) goto fail;
            k->dup = same ? DUP_SAME : DUP_CONFLICT;
        } else if (rc == IDS_BAD) {
            rc = shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "id index entry is malformed");
            goto fail;
        } else if (rc != MDB_NOTFOUND) {
            rc = shoal_store_err(err, rc, "cannot read the id index");
            goto fail;
        }
        rc = 0;
    }
    for (size_t i = 0; i < n; i++) {
        n_same += ks[i].dup == DUP_SAME;
        n_conflict += ks[i].dup == DUP_CONFLICT;
    }

    /* Pass 2, in input order: sequences, interning, log records, the views' apply.
     * With views that have prepares (defer), the records are encoded one after the
     * other in db->scratch (their lengths in lens) and go into the log after the
     * pass (pass 2b): the prepares, which need every event applied and which the
     * flushes wait for, then run beside the log's writes and the id index's (view.c,
     * shoal_view_prepare) rather than the id index's alone, in which the writer waited
     * for them (a batch's prepares were about as long). Without, each record is put as
     * it is encoded, from a cache-hot buffer. */
    bool defer = shoal_view_has_prepares(db);
    uint64_t *seqs = shoal_malloc(n * (sizeof *seqs + sizeof(uint32_t)));
    if (!seqs) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    uint32_t *lens = (uint32_t *)(seqs + n);   /* (after the test: NULL + n is undefined) */
    for (size_t i = 0; i < n; i++) seqs[ks[i].idx] = ks[i].dup ? 0 : 1;
    uint64_t first = 0, added = 0;
    size_t used = 0;
    shoal_rprop props[SHOAL_MAX_PROPS];
    for (size_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n) prefetch_names(db, lk, i + PREFETCH_AHEAD);
        if (!seqs[i]) continue;
        shoal_ievent iev;
        if ((rc = intern_event(db, txn, &evs[i], lk->hs + lk->hstart[i], lk->has_ids ? lk->ids + lk->hstart[i] : NULL,
                               &iev, props, err)))
            break;
        if ((rc = scratch_reserve(db, used + shoal_codec_bound(&iev)))) {
            rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
            break;
        }
        if (db->idkeys2) iev.id_seq = seq + 1;
        /* keys that came in order were not sorted: event i's is ks[i] (the codec then
         * reads its number from the key, not from the id again) */
        if (ks[i].idx == i) iev.id_key = ks[i].key, iev.id_klen = ks[i].len;
        size_t len = shoal_codec_encode(&iev, db->scratch + used);
        ++seq;
        if (defer) {
            used += len;
            lens[i] = (uint32_t)len;
        } else {
            unsigned char kb[8];
            shoal_be64_put(kb, seq);
            MDB_val kv = {8, kb}, vv = {len, db->scratch};
            if ((rc = mdb_cursor_put(log, &kv, &vv, MDB_APPEND))) {
                rc = shoal_store_err(err, rc, "cannot append to the log");
                break;
            }
        }
        if ((rc = shoal_view_apply(db, txn, &iev, err))) break;
        shoal_zacc_note(zones, seq, iev.ts);
        seqs[i] = seq;
        if (!first) first = seq;
        added++;
    }
    if (rc) {
        shoal_free(seqs);
        goto fail;
    }
    /* the views' in-memory work runs beside the log's and the id index's writes (view.c) */
    shoal_view_prepare(db);

    /* Pass 2b, in input order: the log records, when deferred. */
    for (size_t i = 0, off = 0; i < n && defer; i++) {
        if (!seqs[i]) continue;
        unsigned char kb[8];
        shoal_be64_put(kb, seqs[i]);
        MDB_val kv = {8, kb}, vv = {lens[i], db->scratch + off};
        off += lens[i];
        if ((rc = mdb_cursor_put(log, &kv, &vv, MDB_APPEND))) {
            rc = shoal_store_err(err, rc, "cannot append to the log");
            break;
        }
    }

    /* Pass 3, in key order: the id index (*The id index's runs*, above ids_tail). */
    if (!rc) rc = ids_write(db, txn, ids, ks, n, seqs, optimistic, err);
    shoal_free(seqs);
    if (rc) goto fail;
    /* The zone map first: the views' work on the prepares' thread (shoal_view_prepare)
     * has its writes beside it too. */
    if ((rc = shoal_zacc_flush(db, txn, zones, err))) goto fail;
    shoal_zacc_free(zones);
    zones = NULL;
    /* The views' writes join the batch's transaction: they commit with the log records
     * or not at all, so a view is never ahead of or behind the log. The dictionary's
     * counts stay after them: with the views' writes last, e2e/differential's batch of
     * duplicates left data.mdb a page shorter than its meta's last page, which db.c's
     * check at open refuses (most likely a page the views' writes took and freed again,
     * which LMDB does not write). */
    if ((rc = shoal_view_end(db, txn, seq, err))) goto fail;
    if ((rc = shoal_dict_counts_save(db, txn, err))) goto fail;
    /* Conflicts are reported last before the commit: nothing after this can make the
     * batch replay (and report them twice), and a report that fails aborts it. */
    for (size_t i = 0; i < n && cf && cf->fn; i++) {
        keyed *k = &ks[i];
        if (k->dup != DUP_CONFLICT) continue;
        uint64_t with = k->seq ? k->seq : ks[k->run].seq;
        if ((rc = cf->fn(cf->ctx, k->idx, with, err))) goto fail;
    }
    if (n_conflict && cf && cf->done && (rc = cf->done(cf->ctx, err))) goto fail;
    mdb_cursor_close(ids);
    mdb_cursor_close(log);
    ids = log = NULL;
    if ((rc = mdb_txn_commit(txn))) {
        txn = NULL;
        rc = shoal_store_err(err, rc, "cannot commit the batch");
        goto fail;
    }
    if (st) {
        st->n_added = added;
        st->n_dup = n_same;
        st->n_conflict = n_conflict;
        st->first_seq = first;
        st->last_seq = seq;
    }
    return SHOAL_OK;
fail:
    shoal_zacc_free(zones);
    if (ids) mdb_cursor_close(ids);
    if (log) mdb_cursor_close(log);
    if (txn) mdb_txn_abort(txn);
    /* Whatever the batch interned is gone with the transaction, and so is what it
     * did to the views' in-memory state. */
    shoal_dict_cache_clear(db->dict);
    shoal_view_abort(db);
    return rc;
}

/* Below this much free space, an I/O error while writing is taken for a full disk:
 * LMDB reports a short write (what a full disk gives) as EIO, and a batch writes a few
 * MiB at a time, so a genuine EIO with more room than that is something else. */
#define DISK_FULL_BELOW ((uint64_t)64 << 20)

/* A write that failed with ENOSPC, or with EIO on a file system with almost no room
 * left, says that the disk is full and where, instead of "Input/output error". */
static void disk_full_msg(shoal_db *db, shoal_err *e)
{
    struct statvfs vs;
    if (e->code != SHOAL_ESTORE || (e->sys != EIO && e->sys != ENOSPC) || !db->path) return;
    if (statvfs(db->path, &vs) != 0) return;
    uint64_t avail = (uint64_t)vs.f_bavail * vs.f_frsize;
    if (e->sys == EIO && avail >= DISK_FULL_BELOW) return;
    /* "cannot commit the batch: Input/output error": the cause replaces the symptom. */
    char *colon = strrchr(e->msg, ':');
    if (colon && strcmp(colon + 1 + (colon[1] == ' '), mdb_strerror(e->sys)) == 0) *colon = 0;
    char msg[sizeof e->msg];
    snprintf(msg, sizeof msg, "%.100s: no space left on the device holding \"%.60s\" (%llu KiB free)", e->msg,
             db->path, (unsigned long long)(avail >> 10));
    memcpy(e->msg, msg, sizeof msg);
    e->sys = ENOSPC;
}

int shoal_append(shoal_db *db, const shoal_event *evs, size_t n, shoal_append_stats *st, shoal_err *err)
{
    return shoal_log_append(db, evs, n, false, NULL, st, err);
}

void shoal_logkeys_free(shoal_logkeys *k)
{
    shoal_free(k->ks);
    shoal_free(k->kbuf);
    shoal_free(k->hs);
    shoal_free(k->hstart);
    shoal_free(k->ids);
    memset(k, 0, sizeof *k);
}

int shoal_logkeys_make(shoal_db *db, const shoal_event *evs, size_t n, shoal_logkeys *k)
{
    size_t n_keybytes = 0;
    for (size_t i = 0; i < n; i++) n_keybytes += evs[i].has_id ? 1 + evs[i].id.len : 25;
    if (n > k->cap_ks) {
        keyed *ks = shoal_realloc(k->ks, n * sizeof *ks);
        if (!ks) return SHOAL_ENOMEM;
        k->ks = ks;
        k->cap_ks = n;
    }
    if (n_keybytes > k->cap_kb) {
        unsigned char *kb = shoal_realloc(k->kbuf, n_keybytes);
        if (!kb) return SHOAL_ENOMEM;
        k->kbuf = kb;
        k->cap_kb = n_keybytes;
    }
    size_t n_hs = 0;
    for (size_t i = 0; i < n; i++) n_hs += 3 + 2 * (size_t)evs[i].n_props;
    if (n_hs > k->cap_hs) {
        uint32_t *hs = shoal_realloc(k->hs, n_hs * sizeof *hs);
        if (!hs) return SHOAL_ENOMEM;
        k->hs = hs;
        k->cap_hs = n_hs;
    }
    if (n + 1 > k->cap_hstart) {
        uint32_t *hst = shoal_realloc(k->hstart, (n + 1) * sizeof *hst);
        if (!hst) return SHOAL_ENOMEM;
        k->hstart = hst;
        k->cap_hstart = n + 1;
    }
    uint32_t h = 0;
    for (size_t i = 0; i < n; i++) {
        const shoal_event *ev = &evs[i];
        k->hstart[i] = h;
        k->hs[h++] = shoal_dict_hash(SHOAL_NS_MEMBER, ev->member.ptr, ev->member.len);
        k->hs[h++] = shoal_dict_hash(SHOAL_NS_TYPE, ev->type.ptr, ev->type.len);
        if (ev->group.ptr) k->hs[h++] = shoal_dict_hash(SHOAL_NS_GROUP, ev->group.ptr, ev->group.len);
        for (uint32_t j = 0; j < ev->n_props; j++) {
            const shoal_prop *p = &ev->props[j];
            k->hs[h++] = shoal_dict_hash(SHOAL_NS_PROP, p->key.ptr, p->key.len);
            if (p->kind == SHOAL_VAL_STR && p->v.s.len <= SHOAL_INLINE_STRVAL)
                k->hs[h++] = shoal_dict_hash(SHOAL_NS_STR, p->v.s.ptr, p->v.s.len);
        }
    }
    k->hstart[n] = h;
    k->has_ids = false;
    keyed *ks = k->ks;
    unsigned char *kp = k->kbuf;
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        ks[i].key = kp;
        ks[i].len = (uint32_t)shoal_db_event_key(db, &evs[i], kp);
        kp += ks[i].len;
        ks[i].idx = (uint32_t)i;
        if (i && sorted && !keyed_less(&ks[i - 1], &ks[i])) sorted = false;
    }
    /* Ids mostly arrive in key order (counters, time-ordered ids): then there is
     * nothing to sort, and no key repeats (each is greater than the one before). */
    k->n = n;
    k->repeated = false;
    if (sorted) return SHOAL_OK;
    qsort(ks, n, sizeof *ks, cmp_keyed);
    for (size_t i = 1; i < n && !k->repeated; i++)
        if (ks[i - 1].len == ks[i].len && memcmp(ks[i - 1].key, ks[i].key, ks[i].len) == 0) k->repeated = true;
    return SHOAL_OK;
}

/* How many events ahead the reading thread prefetches its cache's slots. */
#define RESOLVE_AHEAD 8

int shoal_logkeys_resolve(shoal_dict *names, const shoal_event *evs, size_t n, shoal_logkeys *k)
{
    k->has_ids = false;
    size_t n_hs = k->hstart[n];
    if (n_hs > k->cap_ids) {
        uint32_t *ids = shoal_realloc(k->ids, n_hs * sizeof *ids);
        if (!ids) return SHOAL_ENOMEM;
        k->ids = ids;
        k->cap_ids = n_hs;
    }
    for (size_t i = 0; i < n; i++) {
        const shoal_event *ev = &evs[i];
        if (i + RESOLVE_AHEAD < n)
            for (uint32_t a = k->hstart[i + RESOLVE_AHEAD]; a < k->hstart[i + RESOLVE_AHEAD + 1]; a++)
                shoal_dict_cache_prefetch(names, k->hs[a]);
        uint32_t j = k->hstart[i];
        k->ids[j] = shoal_dict_cache_get(names, SHOAL_NS_MEMBER, ev->member.ptr, ev->member.len, k->hs[j]);
        j++;
        k->ids[j] = shoal_dict_cache_get(names, SHOAL_NS_TYPE, ev->type.ptr, ev->type.len, k->hs[j]);
        j++;
        if (ev->group.ptr) {
            k->ids[j] = shoal_dict_cache_get(names, SHOAL_NS_GROUP, ev->group.ptr, ev->group.len, k->hs[j]);
            j++;
        }
        for (uint32_t p = 0; p < ev->n_props; p++) {
            const shoal_prop *q = &ev->props[p];
            k->ids[j] = shoal_dict_cache_get(names, SHOAL_NS_PROP, q->key.ptr, q->key.len, k->hs[j]);
            j++;
            if (q->kind == SHOAL_VAL_STR && q->v.s.len <= SHOAL_INLINE_STRVAL) {
                k->ids[j] = shoal_dict_cache_get(names, SHOAL_NS_STR, q->v.s.ptr, q->v.s.len, k->hs[j]);
                j++;
            }
        }
    }
    k->has_ids = true;
    return SHOAL_OK;
}

static int check_batch(shoal_db *db, const shoal_event *evs, size_t n, bool checked, shoal_err *err)
{
    if (db->flags & SHOAL_OPEN_RDONLY)
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the database is open read-only");
    if (n > UINT32_MAX) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "batch too large");
    for (size_t i = 0; i < n && !checked; i++) {
        int rc = shoal_event_check(&evs[i], err);
        if (rc) {
            if (err) err->code = SHOAL_EINVAL;
            return SHOAL_EINVAL;
        }
    }
    return SHOAL_OK;
}

int shoal_log_append(shoal_db *db, const shoal_event *evs, size_t n, bool checked, const shoal_conflicts *cf,
                     shoal_append_stats *st, shoal_err *err)
{
    shoal_append_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    int rc = check_batch(db, evs, n, checked, err);
    if (rc || n == 0) return rc;
    shoal_logkeys k = {0};
    if (shoal_logkeys_make(db, evs, n, &k)) {
        shoal_logkeys_free(&k);
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    }
    rc = shoal_log_append_keyed(db, evs, n, &k, cf, st, err);
    shoal_logkeys_free(&k);
    return rc;
}

int shoal_log_append_keyed(shoal_db *db, const shoal_event *evs, size_t n, shoal_logkeys *k,
                           const shoal_conflicts *cf, shoal_append_stats *st, shoal_err *err)
{
    shoal_append_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    int rc = check_batch(db, evs, n, true, err);
    if (rc || n == 0) return rc;
    bool optimistic = !db->saw_dups && !k->repeated;
    for (;;) {
        shoal_err tmp;
        shoal_err_clear(&tmp);
        rc = append_once(db, evs, n, k, optimistic, cf, st, &tmp);
        if (rc == RETRY_WITH_LOOKUPS) {
            optimistic = false;
            continue;
        }
        if (rc == SHOAL_ESTORE && tmp.sys == MDB_MAP_FULL) {
            if ((rc = shoal_db_grow(db, err))) break;
            continue;
        }
        if (rc == SHOAL_OK) db->saw_dups = st->n_dup + st->n_conflict > 0;
        if (rc && err) {
            disk_full_msg(db, &tmp);
            shoal_err_set(err, tmp.code, tmp.off, tmp.len, "%s", tmp.msg), err->sys = tmp.sys;
        }
        break;
    }
    return rc;
}

/* ---------------------------------------------------------------- reading */

int shoal_reader_open(shoal_db *db, shoal_reader **out, shoal_err *err)
{
    *out = NULL;
    shoal_reader *r = shoal_malloc(sizeof *r);
    if (!r) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    r->db = db;
    r->forked = false;
    memset(r->nchunk, 0, sizeof r->nchunk);
    memset(r->pchunks, 0, sizeof r->pchunks);
    int rc = shoal_db_txn_begin(db, MDB_RDONLY, &r->txn, err);
    if (!rc) rc = shoal_view_tables_sync(db, &r->txn, err);
    if (rc) {
        if (r->txn) mdb_txn_abort(r->txn);
        shoal_free(r);
        return rc;
    }
    if ((rc = shoal_log_last_seq(db, r->txn, &r->last_seq, err)) ||
        (rc = shoal_dict_counts_load(db, r->txn, r->counts, err))) {
        shoal_reader_close(r);
        return rc;
    }
    *out = r;
    return SHOAL_OK;
}

void shoal_reader_close(shoal_reader *r)
{
    if (!r) return;
    mdb_txn_abort(r->txn);
    for (int ns = 0; ns < SHOAL_NS_COUNT; ns++) shoal_free(r->pchunks[ns]);
    shoal_free(r);
}

uint64_t shoal_reader_last_seq(const shoal_reader *r) { return r->last_seq; }

int shoal_reader_fork(const shoal_reader *r, shoal_reader **out, shoal_err *err)
{
    *out = NULL;
    shoal_reader *w = shoal_malloc(sizeof *w);
    if (!w) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    *w = *r;
    w->forked = true;
    memset(w->nchunk, 0, sizeof w->nchunk);   /* r's chunks are of r's transaction */
    memset(w->pchunks, 0, sizeof w->pchunks);
    int rc = shoal_db_txn_begin(r->db, MDB_RDONLY, &w->txn, err);
    if (rc) {
        shoal_free(w);
        return rc;
    }
    *out = w;
    return SHOAL_OK;
}

uint32_t shoal_dict_count(const shoal_reader *r, int ns)
{
    return ns > 0 && ns < SHOAL_NS_COUNT ? r->counts[ns] : 0;
}

int shoal_dict_str(shoal_reader *r, int ns, uint32_t id, shoal_str *out, shoal_err *err)
{
    if (r->db->has_names) return shoal_names_str(r, ns, id, out, err);
    if (r->forked) return shoal_dict_read_str(r->db, r->txn, ns, id, out, err);
    return shoal_dict_lookup_str(r->db, r->txn, ns, id, out, err);
}

size_t shoal_dict_strs(shoal_reader *r, int ns, const uint32_t *ids, size_t n, shoal_str *out)
{
    if (r->db->has_names) return shoal_names_strs(r, ns, ids, n, out);
    for (size_t k = 0; k < n; k++) {
        int rc = shoal_dict_str(r, ns, ids[k], &out[k], NULL);
        if (rc == SHOAL_ENOTFOUND) out[k].ptr = NULL, out[k].len = 0;
        else if (rc) return k;
    }
    return n;
}

int shoal_dict_str_once(shoal_reader *r, int ns, uint32_t id, shoal_str *out, shoal_err *err)
{
    return shoal_dict_read_str(r->db, r->txn, ns, id, out, err);
}

int shoal_dict_each(shoal_reader *r, int ns, int (*fn)(void *ctx, uint32_t id, const char *s, uint32_t len), void *ctx,
                    shoal_err *err)
{
    return shoal_dict_each_from(r, ns, 1, fn, ctx, err);
}

int shoal_dict_each_from(shoal_reader *r, int ns, uint32_t from,
                         int (*fn)(void *ctx, uint32_t id, const char *s, uint32_t len), void *ctx, shoal_err *err)
{
    if (ns <= 0 || ns >= SHOAL_NS_COUNT || !r->counts[ns] || from > r->counts[ns]) return SHOAL_OK;
    if (from < 1) from = 1;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_dict, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the dictionary");
    unsigned char key[5] = {(unsigned char)(ns | SHOAL_DICT_REV), (unsigned char)(from >> 24), (unsigned char)(from >> 16),
                            (unsigned char)(from >> 8), (unsigned char)from};
    MDB_val k = {sizeof key, key}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        if (k.mv_size != 5 || kp[0] != key[0]) break;
        uint32_t id = (uint32_t)kp[1] << 24 | (uint32_t)kp[2] << 16 | (uint32_t)kp[3] << 8 | kp[4];
        if (id > r->counts[ns]) break;   /* interned after this snapshot's counts */
        if ((rc = fn(ctx, id, v.mv_data, (uint32_t)v.mv_size))) {
            mdb_cursor_close(cur);
            return rc;
        }
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the dictionary");
    return SHOAL_OK;
}

void shoal_dict_prefetch_str(shoal_reader *r, int ns, uint32_t id, int text)
{
    /* where shoal_dict_str will look: the names table when there is one */
    if (r->db->has_names) shoal_names_prefetch(r, ns, id, text);
    else shoal_dict_prefetch(r->db, ns, id, text);
}

int shoal_dict_id(shoal_reader *r, int ns, const char *s, size_t len, uint32_t *out, shoal_err *err)
{
    int rc = shoal_dict_lookup_id(r->db, r->txn, ns, s, len, out, err);
    /* An id interned after this snapshot was taken does not exist for it. */
    if (rc == SHOAL_OK && (ns <= 0 || ns >= SHOAL_NS_COUNT || *out > r->counts[ns])) return SHOAL_ENOTFOUND;
    return rc;
}

struct shoal_logcur {
    shoal_reader *r;
    MDB_cursor *cur;
    uint64_t from;
    bool started;
};

int shoal_logcur_open(shoal_reader *r, uint64_t from_seq, shoal_logcur **out, shoal_err *err)
{
    *out = NULL;
    shoal_logcur *c = shoal_malloc(sizeof *c);
    if (!c) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    int rc = mdb_cursor_open(r->txn, r->db->dbi_log, &c->cur);
    if (rc) {
        shoal_free(c);
        return shoal_store_err(err, rc, "cannot open a log cursor");
    }
    c->r = r;
    c->from = from_seq ? from_seq : 1;
    c->started = false;
    *out = c;
    return SHOAL_OK;
}

void shoal_logcur_close(shoal_logcur *c)
{
    if (!c) return;
    mdb_cursor_close(c->cur);
    shoal_free(c);
}

MDB_cursor *shoal_logcur_mdb(shoal_logcur *c) { return c->cur; }

int shoal_logcur_next(shoal_logcur *c, shoal_rec *rec, shoal_err *err)
{
    MDB_val k, v;
    int rc;
    if (!c->started) {
        unsigned char kb[8];
        shoal_be64_put(kb, c->from);
        k.mv_size = 8;
        k.mv_data = kb;
        rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_RANGE);
        c->started = true;
    } else {
        rc = mdb_cursor_get(c->cur, &k, &v, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read the log");
    if ((rc = shoal_log_decode(&k, &v, rec, err))) return rc;
    return 1;
}

int shoal_log_get(shoal_reader *r, uint64_t seq, shoal_rec *rec, shoal_err *err)
{
    unsigned char kb[8];
    shoal_be64_put(kb, seq);
    MDB_val k = {8, kb}, v;
    int rc = mdb_get(r->txn, r->db->dbi_log, &k, &v);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot read the log");
    return shoal_log_decode(&k, &v, rec, err);
}

int shoal_ids_get(shoal_reader *r, const unsigned char *key, size_t len, uint64_t *seq, shoal_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_ids, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the id index");
    idrun run;
    rc = ids_find(r->db, cur, key, len, &run, seq);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc == IDS_BAD) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "id index entry is malformed");
    if (rc) return shoal_store_err(err, rc, "cannot read the id index");
    return SHOAL_OK;
}

/* The text of a record's id stored as a number (SHOAL_REC_ID_NUM): the prefix, then
 * the decimal of the record's sequence plus the stored difference. */
static int id_text(const shoal_rec *rec, shoal_arena *a, shoal_str *out, shoal_err *err)
{
    const unsigned char *p = (const unsigned char *)rec->id.ptr, *end = p + rec->id.len;
    uint64_t z;
    size_t k = shoal_varint_get(p, end, &z);
    uint64_t num = rec->seq + (uint64_t)shoal_unzigzag(z);
    if (!k || num < 10 || num >= 1000000000000000000ull)
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log record %llu's id does not decode",
                             (unsigned long long)rec->seq);
    size_t pre = (size_t)(end - p) - k;
    char digits[24];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)num);
    char *t = shoal_arena_alloc(a, pre + (size_t)nd + 1);
    if (!t) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    memcpy(t, p + k, pre);
    memcpy(t + pre, digits, (size_t)nd + 1);
    out->ptr = t;
    out->len = (uint32_t)(pre + (size_t)nd);
    return SHOAL_OK;
}

int shoal_rec_event(shoal_reader *r, const shoal_rec *rec, shoal_arena *a, shoal_event *out, shoal_err *err)
{
    int rc;
    memset(out, 0, sizeof *out);
    out->ts = rec->ts;
    out->has_id = rec->has_id;
    out->id = rec->id;
    if (rec->id_num && (rc = id_text(rec, a, &out->id, err))) return rc;
    if ((rc = shoal_dict_str(r, SHOAL_NS_MEMBER, rec->member, &out->member, err)) ||
        (rc = shoal_dict_str(r, SHOAL_NS_TYPE, rec->type, &out->type, err)) ||
        (rec->group && (rc = shoal_dict_str(r, SHOAL_NS_GROUP, rec->group, &out->group, err))))
        goto fail;
    shoal_rprop rp[SHOAL_MAX_PROPS];
    int n = shoal_rec_props(rec, rp, SHOAL_MAX_PROPS);
    if (n < 0 || n > SHOAL_MAX_PROPS) {
        rc = SHOAL_ECORRUPT;
        goto fail;
    }
    out->props = shoal_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *out->props);
    if (!out->props) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    out->n_props = (uint32_t)n;
    for (int i = 0; i < n; i++) {
        shoal_prop *p = &out->props[i];
        if ((rc = shoal_dict_str(r, SHOAL_NS_PROP, rp[i].key, &p->key, err))) goto fail;
        p->kind = rp[i].kind;
        switch (rp[i].kind) {
        case SHOAL_VAL_BOOL: p->v.b = rp[i].v.b; break;
        case SHOAL_VAL_INT: p->v.i = rp[i].v.i; break;
        case SHOAL_VAL_NUM: p->v.d = rp[i].v.d; break;
        default:
            if (rp[i].v.s.id) {
                if ((rc = shoal_dict_str(r, SHOAL_NS_STR, rp[i].v.s.id, &p->v.s, err))) goto fail;
            } else {
                p->v.s = rp[i].v.s.inl;
            }
        }
    }
    return SHOAL_OK;
fail:
    if (rc == SHOAL_ENOTFOUND || rc == SHOAL_ECORRUPT) {
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log record %llu refers to a string that does not exist",
                             (unsigned long long)rec->seq);
    }
    return rc;
}
