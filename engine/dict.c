/* dict.c — interning of members, types, groups, property names and short string
 * values, with an in-memory cache in front of the dict table.
 *
 * The dict table holds both directions: [ns][bytes] -> BE u32 id and
 * [ns|0x80][BE u32 id] -> bytes. Ids are dense per namespace, so later stages index
 * arrays by member id. The next id of each namespace is kept in meta ("dict_n") and
 * committed with the batch that used it.
 *
 * The cache is what keeps ingest off LMDB for strings it has seen: a hash of
 * (ns, bytes) -> id and per-namespace arrays id -> bytes, both filled on demand.
 * Committed entries never change, so the cache can only go wrong in two ways, each
 * handled: a write transaction that aborts after adding entries (the caller clears
 * the cache), and another process adding strings (shoal_dict_sync compares the
 * committed counts with the cache's at the start of every write transaction).
 */
#include "shoal_int.h"

typedef struct slot {
    const char *ptr;   /* in the pool; NULL = empty slot */
    uint64_t pre;      /* the first 8 bytes, zero-padded: most names are no longer, and
                          are then matched without reading the pool (a cache miss) */
    uint32_t len;
    uint32_t id;
    uint32_t hash;
    uint32_t ns;
} slot;

struct shoal_dict {
    slot *tab;
    size_t cap, used;
    shoal_str *rev[SHOAL_NS_COUNT];     /* id -> string, ptr NULL when not cached */
    size_t n_rev[SHOAL_NS_COUNT];
    shoal_arena *pool;                  /* the cached strings' bytes */
    uint32_t counts[SHOAL_NS_COUNT];    /* largest id per namespace, as the cache knows */
    uint32_t saved[SHOAL_NS_COUNT];     /* counts as last committed */
    bool loaded;                        /* counts reflect meta */
    bool fwd_only;                      /* no id -> bytes arrays (shoal_dict_new_fwd) */
    bool complete[SHOAL_NS_COUNT];      /* holds every committed name of the namespace */
};

/* Past this many cached strings the cache is dropped and refilled on demand, so a
 * stream of unique values cannot grow memory without bound. */
#define MAX_CACHED (1u << 22)

int shoal_dict_new(shoal_dict **out)
{
    shoal_dict *d = shoal_malloc(sizeof *d);
    if (!d) return SHOAL_ENOMEM;
    memset(d, 0, sizeof *d);
    if (!(d->pool = shoal_arena_new())) {
        shoal_free(d);
        return SHOAL_ENOMEM;
    }
    *out = d;
    return SHOAL_OK;
}

void shoal_dict_free(shoal_dict *d)
{
    if (!d) return;
    shoal_free_big(d->tab);
    for (int i = 0; i < SHOAL_NS_COUNT; i++) shoal_free_big(d->rev[i]);
    shoal_arena_free(d->pool);
    shoal_free(d);
}

void shoal_dict_cache_clear(shoal_dict *d)
{
    shoal_free_big(d->tab);
    d->tab = NULL;
    d->cap = d->used = 0;
    for (int i = 0; i < SHOAL_NS_COUNT; i++) {
        shoal_free_big(d->rev[i]);
        d->rev[i] = NULL;
        d->n_rev[i] = 0;
    }
    shoal_arena_reset(d->pool);
    d->loaded = false;
    memset(d->complete, 0, sizeof d->complete);
}

static uint32_t hash_bytes(int ns, const char *s, size_t n)
{
    /* Eight bytes a step, each word multiplied in, and the last one to eight bytes read
     * as two overlapping halves (one to three: first, middle and last byte), which for
     * a given length keep every byte: the strings are short (ids, names), and FNV-1a's
     * byte a step was 4% of the reading thread's instructions. The length and the
     * namespace are multiplied in first (xor'ed in plain, "m-1000" met "m-10000"),
     * and murmur3's 64-bit finaliser spreads the low bits, which pick the slot (at
     * 303k names "m-N" in 2^20 slots, 1.20 probes a name as FNV-1a's). Only the
     * cache's slots depend on it, nothing stored. */
    const unsigned char *p = (const unsigned char *)s;
    uint64_t h = ((0x9e3779b97f4a7c15ull ^ (uint32_t)ns) + n) * 0xbf58476d1ce4e5b9ull, w = 0;
    for (; n > 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        w = (uint64_t)a << 32 | b;
    } else if (n) {
        w = (uint64_t)p[0] << 16 | (uint64_t)p[n / 2] << 8 | p[n - 1];
    } else {
        w = 0;
    }
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (uint32_t)h;
}

static uint64_t prefix8(const char *s, size_t n)
{
    uint64_t v = 0;
    memcpy(&v, s, n < 8 ? n : 8);
    return v;
}

static slot *find(shoal_dict *d, int ns, const char *s, size_t n, uint32_t h)
{
    if (!d->cap) return NULL;
    size_t mask = d->cap - 1;
    uint64_t pre = prefix8(s, n);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        slot *e = &d->tab[i];
        if (!e->ptr) return e;
        if (e->hash == h && e->pre == pre && e->ns == (uint32_t)ns && e->len == n &&
            (n <= 8 || memcmp(e->ptr + 8, s + 8, n - 8) == 0))
            return e;
    }
}

/* From 64 slots: a query looks a few names up, and 4096 slots (128 KiB zeroed) were 32
 * page faults of every `shoal query` that named an event type. A table of a megabyte
 * or more is a mapping of huge pages (shoal_zalloc_big): at 303k members it is 32 MB
 * of slots met at random, each lookup a TLB miss with 4 KiB pages (the ingest's
 * prefetch of the slots, on both threads, was 5-10% of their samples at 10M). */
static int grow_tab(shoal_dict *d)
{
    size_t cap = d->cap ? d->cap * 2 : 64;
    slot *tab = shoal_zalloc_big(cap * sizeof *tab);
    if (!tab) return SHOAL_ENOMEM;
    for (size_t i = 0; i < d->cap; i++) {
        slot *e = &d->tab[i];
        if (!e->ptr) continue;
        size_t j = e->hash & (cap - 1);
        while (tab[j].ptr) j = (j + 1) & (cap - 1);
        tab[j] = *e;
    }
    shoal_free_big(d->tab);
    d->tab = tab;
    d->cap = cap;
    return SHOAL_OK;
}

/* Ids are dense from 1, so the array grows by doubling as they come; an id past 2^26
 * (64M strings in one namespace, 1 GiB of array) is not cached by id (a damaged entry
 * must not make the cache allocate gigabytes; a real one is read from LMDB). The array
 * is a fresh zeroed mapping (shoal_zalloc_big), at once as large as the namespace's
 * committed count, so that a reader looking a few thousand names up among 300k
 * members faults in the pages it touches, not 8 MB zeroed by a memset and copied at
 * each doubling (2000 page faults, most of a `shoal query` that prints 2589 names). */
#define REV_MAX_ID (1u << 26)
#define REV_ROOM 16   /* slots past the committed count at first: the ids a writer adds next */
#define REV_FIRST 64   /* slots at first when the counts are not known */

static int rev_put(shoal_dict *d, int ns, uint32_t id, const char *p, uint32_t n)
{
    if (id >= REV_MAX_ID || d->fwd_only) return SHOAL_OK;
    if (id >= d->n_rev[ns]) {
        /* the first at the namespace's committed count and a little room when the
         * counts are known, else small (a query naming a type or a property took 1024
         * slots of 16 bytes zeroed for 14 types or 6 properties: 4 page faults each) */
        size_t cap = d->n_rev[ns] ? d->n_rev[ns] * 2
                     : d->loaded && d->counts[ns] < REV_MAX_ID ? (size_t)d->counts[ns] + REV_ROOM
                                                                : REV_FIRST;
        if (d->loaded && d->counts[ns] < REV_MAX_ID && cap <= d->counts[ns]) cap = (size_t)d->counts[ns] + 1;
        while (cap <= id) cap *= 2;
        shoal_str *r = shoal_zalloc_big(cap * sizeof *r);
        if (!r) return SHOAL_ENOMEM;
        if (d->n_rev[ns]) memcpy(r, d->rev[ns], d->n_rev[ns] * sizeof *r);
        shoal_free_big(d->rev[ns]);
        d->rev[ns] = r;
        d->n_rev[ns] = cap;
    }
    d->rev[ns][id].ptr = p;
    d->rev[ns][id].len = n;
    return SHOAL_OK;
}

/* Adds (ns, s) -> id to both directions of the cache. Returns the cached copy. */
static int cache_add(shoal_dict *d, int ns, const char *s, size_t n, uint32_t id, uint32_t h, const char **copy)
{
    if (d->used >= MAX_CACHED) {
        bool loaded = d->loaded;
        shoal_dict_cache_clear(d);
        d->loaded = loaded;   /* the counts stay right: only the cache goes */
    }
    if ((d->used + 1) * 2 > d->cap && grow_tab(d)) return SHOAL_ENOMEM;
    char *p = shoal_arena_strndup(d->pool, s, n);
    if (!p) return SHOAL_ENOMEM;
    slot *e = find(d, ns, s, n, h);
    if (!e->ptr) {
        e->ptr = p;
        e->pre = prefix8(s, n);
        e->len = (uint32_t)n;
        e->id = id;
        e->hash = h;
        e->ns = (uint32_t)ns;
        d->used++;
    }
    if (rev_put(d, ns, id, p, (uint32_t)n)) return SHOAL_ENOMEM;
    if (copy) *copy = p;
    return SHOAL_OK;
}

static void be32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t be32_get(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int shoal_dict_counts_load(shoal_db *db, MDB_txn *txn, uint32_t *counts, shoal_err *err)
{
    MDB_val v;
    int rc = shoal_meta_get(db, txn, "dict_n", &v);
    memset(counts, 0, SHOAL_NS_COUNT * sizeof *counts);
    if (rc == MDB_NOTFOUND) return SHOAL_OK;
    if (rc) return shoal_store_err(err, rc, "cannot read dictionary counts");
    if (v.mv_size != SHOAL_NS_COUNT * 4)
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "dictionary counts have a bad size (%zu)", v.mv_size);
    for (int i = 0; i < SHOAL_NS_COUNT; i++) counts[i] = be32_get((const unsigned char *)v.mv_data + 4 * i);
    return SHOAL_OK;
}

int shoal_dict_counts_save(shoal_db *db, MDB_txn *txn, shoal_err *err)
{
    shoal_dict *d = db->dict;
    if (memcmp(d->counts, d->saved, sizeof d->counts) == 0) return SHOAL_OK;
    if (db->has_names)
        for (int i = 1; i < SHOAL_NS_COUNT; i++)
            if (d->counts[i] > d->saved[i]) {
                int rc = shoal_names_append(db, txn, i, d->saved[i] + 1, d->counts[i], err);
                if (rc) return rc;
            }
    unsigned char buf[SHOAL_NS_COUNT * 4];
    for (int i = 0; i < SHOAL_NS_COUNT; i++) be32_put(buf + 4 * i, d->counts[i]);
    int rc = shoal_meta_put(db, txn, "dict_n", buf, sizeof buf, err);
    if (!rc) memcpy(d->saved, d->counts, sizeof d->counts);
    return rc;
}

int shoal_dict_sync(shoal_db *db, MDB_txn *txn, shoal_err *err)
{
    shoal_dict *d = db->dict;
    uint32_t counts[SHOAL_NS_COUNT];
    int rc = shoal_dict_counts_load(db, txn, counts, err);
    if (rc) return rc;
    if (!d->loaded || memcmp(counts, d->counts, sizeof counts) != 0) {
        /* Another process (or an aborted transaction of ours) changed what is
         * committed: forward entries the cache holds could be missing ids. */
        if (d->loaded) shoal_dict_cache_clear(d);
        memcpy(d->counts, counts, sizeof counts);
        memcpy(d->saved, counts, sizeof counts);
        d->loaded = true;
        /* An empty namespace's cache holds all of it, and keeps holding all of it
         * while every name is interned through it (until a clear). */
        for (int i = 0; i < SHOAL_NS_COUNT; i++) d->complete[i] = counts[i] == 0;
    }
    return SHOAL_OK;
}

uint32_t shoal_dict_hash(int ns, const char *s, size_t len) { return hash_bytes(ns, s, len); }

static int lookup_id_h(shoal_db *db, MDB_txn *txn, int ns, const char *s, size_t len, uint32_t h, uint32_t *out,
                       shoal_err *err)
{
    shoal_dict *d = db->dict;
    if (len > 510) return SHOAL_ENOTFOUND;   /* longer than any LMDB key: never interned */
    slot *e = find(d, ns, s, len, h);
    if (e && e->ptr) {
        *out = e->id;
        return SHOAL_OK;
    }
    unsigned char key[512];
    key[0] = (unsigned char)ns;
    memcpy(key + 1, s, len);
    MDB_val k = {len + 1, key}, v;
    int rc = mdb_get(txn, db->dbi_dict, &k, &v);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot read the dictionary");
    if (v.mv_size != 4) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "dictionary entry has a bad size");
    *out = be32_get(v.mv_data);
    if (cache_add(d, ns, s, len, *out, h, NULL)) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    return SHOAL_OK;
}

int shoal_dict_lookup_id(shoal_db *db, MDB_txn *txn, int ns, const char *s, size_t len, uint32_t *out,
                         shoal_err *err)
{
    return lookup_id_h(db, txn, ns, s, len, hash_bytes(ns, s, len), out, err);
}

int shoal_dict_lookup_str(shoal_db *db, MDB_txn *txn, int ns, uint32_t id, shoal_str *out, shoal_err *err)
{
    shoal_dict *d = db->dict;
    if (ns <= 0 || ns >= SHOAL_NS_COUNT || id == 0) return SHOAL_ENOTFOUND;
    if (id < d->n_rev[ns] && d->rev[ns][id].ptr) {
        *out = d->rev[ns][id];
        return SHOAL_OK;
    }
    /* A reader (no write transaction has synced the counts) learns them from its own
     * snapshot, so that the id -> bytes array is made once at its size instead of
     * doubled and copied from 1024 (at 300k members, 8 MB copied and zeroed in a
     * `shoal query` that prints a few thousand names). A later write transaction's
     * sync compares them with what is committed then, as for its own. */
    if (!d->loaded) {
        uint32_t counts[SHOAL_NS_COUNT];
        if (shoal_dict_counts_load(db, txn, counts, NULL) == SHOAL_OK) {
            memcpy(d->counts, counts, sizeof counts);
            memcpy(d->saved, counts, sizeof counts);
            d->loaded = true;
        }
    }
    unsigned char key[5];
    key[0] = (unsigned char)(ns | SHOAL_DICT_REV);
    be32_put(key + 1, id);
    MDB_val k = {5, key}, v;
    int rc = mdb_get(txn, db->dbi_dict, &k, &v);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot read the dictionary");
    const char *copy;
    if (cache_add(d, ns, v.mv_data, v.mv_size, id, hash_bytes(ns, v.mv_data, v.mv_size), &copy))
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    out->ptr = copy;
    out->len = (uint32_t)v.mv_size;
    return SHOAL_OK;
}

int shoal_dict_read_str(shoal_db *db, MDB_txn *txn, int ns, uint32_t id, shoal_str *out, shoal_err *err)
{
    if (ns <= 0 || ns >= SHOAL_NS_COUNT || id == 0) return SHOAL_ENOTFOUND;
    unsigned char key[5];
    key[0] = (unsigned char)(ns | SHOAL_DICT_REV);
    be32_put(key + 1, id);
    MDB_val k = {5, key}, v;
    int rc = mdb_get(txn, db->dbi_dict, &k, &v);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot read the dictionary");
    out->ptr = v.mv_data;
    out->len = (uint32_t)v.mv_size;
    return SHOAL_OK;
}

bool shoal_dict_cached_str(const shoal_db *db, int ns, uint32_t id, shoal_str *out)
{
    const shoal_dict *d = db->dict;
    if (ns <= 0 || ns >= SHOAL_NS_COUNT || id == 0 || id >= d->n_rev[ns] || !d->rev[ns][id].ptr) return false;
    *out = d->rev[ns][id];
    return true;
}

size_t shoal_dict_rev_room(const shoal_db *db, int ns)
{
    return ns > 0 && ns < SHOAL_NS_COUNT ? db->dict->n_rev[ns] : 0;
}

void shoal_dict_prefetch(shoal_db *db, int ns, uint32_t id, int text)
{
    shoal_dict *d = db->dict;
    if (ns > 0 && ns < SHOAL_NS_COUNT && id < d->n_rev[ns]) {
        const shoal_str *e = &d->rev[ns][id];
        if (!text) __builtin_prefetch(e);
        else if (e->ptr) __builtin_prefetch(e->ptr);
    }
}

void shoal_dict_prefetch_hash(shoal_db *db, uint32_t h)
{
    shoal_dict *d = db->dict;
    if (d->cap) __builtin_prefetch(&d->tab[h & (d->cap - 1)]);
}

int shoal_dict_intern(shoal_db *db, MDB_txn *txn, int ns, const char *s, size_t len, uint32_t *id, shoal_err *err)
{
    return shoal_dict_intern_h(db, txn, ns, s, len, hash_bytes(ns, s, len), id, err);
}

int shoal_dict_intern_h(shoal_db *db, MDB_txn *txn, int ns, const char *s, size_t len, uint32_t h, uint32_t *id,
                        shoal_err *err)
{
    shoal_dict *d = db->dict;
    int rc;
    if (d->complete[ns] && len <= 510) {
        /* The write transaction's sync made the cache's counts the committed ones, and
         * the cache holds every name up to them: a name it lacks is new, and needs no
         * look-up in the table (one B-tree descent a new name). */
        slot *e = find(d, ns, s, len, h);
        if (e && e->ptr) {
            *id = e->id;
            return SHOAL_OK;
        }
    } else if ((rc = lookup_id_h(db, txn, ns, s, len, h, id, err)) != SHOAL_ENOTFOUND) {
        return rc;
    }
    uint32_t nid = d->counts[ns] + 1;
    unsigned char key[512], rkey[5];
    key[0] = (unsigned char)ns;
    memcpy(key + 1, s, len);
    unsigned char val[4];
    be32_put(val, nid);
    MDB_val k = {len + 1, key}, v = {4, val};
    if ((rc = mdb_put(txn, db->dbi_dict, &k, &v, MDB_NOOVERWRITE))) return shoal_store_err(err, rc, "cannot intern");
    rkey[0] = (unsigned char)(ns | SHOAL_DICT_REV);
    be32_put(rkey + 1, nid);
    MDB_val rk = {5, rkey}, rv = {len, (void *)s};
    if ((rc = mdb_put(txn, db->dbi_dict, &rk, &rv, MDB_NOOVERWRITE))) return shoal_store_err(err, rc, "cannot intern");
    d->counts[ns] = nid;
    if (cache_add(d, ns, s, len, nid, h, NULL)) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    *id = nid;
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- committed names
 * A cache of committed (ns, bytes) -> id pairs for another thread than the writer's
 * (the ingest pipeline's reading thread, ingest/batch.c): a committed id never
 * changes, so once the writer has handed a pair over (after its commit), the reader
 * may resolve the name itself and the append skips its lookup. */

int shoal_dict_new_fwd(shoal_dict **out)
{
    int rc = shoal_dict_new(out);
    if (!rc) (*out)->fwd_only = true;
    return rc;
}

void shoal_dict_saved(const shoal_db *db, uint32_t *out) { memcpy(out, db->dict->saved, sizeof db->dict->saved); }

int shoal_dict_each_new(shoal_db *db, const uint32_t *from,
                        int (*fn)(void *ctx, int ns, uint32_t id, const char *s, uint32_t len), void *ctx)
{
    shoal_dict *d = db->dict;
    for (int ns = 1; ns < SHOAL_NS_COUNT; ns++)
        for (uint32_t id = from[ns] + 1; id <= d->saved[ns] && id < d->n_rev[ns]; id++) {
            const shoal_str *e = &d->rev[ns][id];
            int rc;
            if (e->ptr && (rc = fn(ctx, ns, id, e->ptr, e->len))) return rc;
        }
    return SHOAL_OK;
}

uint32_t shoal_dict_cache_get(shoal_dict *d, int ns, const char *s, size_t len, uint32_t h)
{
    slot *e = find(d, ns, s, len, h);
    return e && e->ptr ? e->id : 0;
}

int shoal_dict_cache_put(shoal_dict *d, int ns, const char *s, size_t len, uint32_t id, uint32_t h)
{
    return cache_add(d, ns, s, len, id, h, NULL);
}

void shoal_dict_cache_prefetch(shoal_dict *d, uint32_t h)
{
    if (d->cap) __builtin_prefetch(&d->tab[h & (d->cap - 1)]);
}
