/* names.c — the names table (format 7): every namespace's id -> bytes, dense, in
 * chunks of SHOAL_NAMES_CHUNK ids, so that a reader printing a few thousand member
 * names reads a few dozen contiguous values instead of descending the dictionary's
 * B-tree once a name (each descent faulted its pages in: most of a `shoal query`
 * process that printed 2589 names among 300k members).
 *
 * Key [ns][BE u32 c]: chunk c holds ids SHOAL_NAMES_CHUNK·c … SHOAL_NAMES_CHUNK·(c+1)−1
 * (id 0, chunk 0's slot 0, is empty). Value: BE u32 n (slots, 1 … SHOAL_NAMES_CHUNK: the
 * last chunk of a namespace holds up to its largest id), n + 1 BE u32 offsets (the first
 * 0, non-decreasing) into the bytes that follow; slot i's name is bytes[off[i], off[i+1]).
 * The append writes the chunks its new ids fall in, in the transaction that interns them
 * (shoal_dict_counts_save); `shoal check` compares every slot with the dictionary.
 */
#include "shoal_int.h"

static const char *ns_name(int ns)
{
    static const char *const n[SHOAL_NS_COUNT] = {"?", "members", "types", "groups", "property names",
                                                  "string values"};
    return ns > 0 && ns < SHOAL_NS_COUNT ? n[ns] : "?";
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void be32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void chunk_key(unsigned char key[5], int ns, uint32_t c)
{
    key[0] = (unsigned char)ns;
    be32_put(key + 1, c);
}

static int damaged(shoal_db *db, shoal_err *err, int ns, uint32_t c, const char *what)
{
    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1,
                         "\"%s\" is damaged: chunk %u of the names table (%s) %s",
                         db->path, c, ns_name(ns), what);
}

/* The header's n when v is a well-formed chunk's value (its offsets table fits and
 * begins at 0), else 0. The slots' offsets are checked as they are read. */
static uint32_t chunk_n(const MDB_val *v)
{
    if (v->mv_size < 12) return 0;
    const unsigned char *p = v->mv_data;
    uint32_t n = be32(p);
    if (n == 0 || n > SHOAL_NAMES_CHUNK || v->mv_size < 4 + 4 * ((size_t)n + 1) || be32(p + 4) != 0) return 0;
    return n;
}

int shoal_names_chunk(shoal_db *db, MDB_txn *txn, int ns, uint32_t c, MDB_val *out, shoal_err *err)
{
    unsigned char key[5];
    chunk_key(key, ns, c);
    MDB_val k = {5, key};
    int rc = mdb_get(txn, db->dbi_names, &k, out);
    if (rc == MDB_NOTFOUND) return damaged(db, err, ns, c, "is missing");
    if (rc) return shoal_store_err(err, rc, "cannot read the names table");
    if (!chunk_n(out)) return damaged(db, err, ns, c, "has a bad header");
    return SHOAL_OK;
}

int shoal_names_slot(shoal_db *db, const MDB_val *v, int ns, uint32_t c, uint32_t i, shoal_str *out, shoal_err *err)
{
    const unsigned char *p = v->mv_data;
    uint32_t n = be32(p);
    if (i >= n) return damaged(db, err, ns, c, "is shorter than the dictionary");
    size_t h = 4 + 4 * ((size_t)n + 1);
    if (n > SHOAL_NAMES_CHUNK || h > v->mv_size) return damaged(db, err, ns, c, "has a bad header");
    uint32_t a = be32(p + 4 + 4 * (size_t)i), b = be32(p + 8 + 4 * (size_t)i);
    if (a > b || b > v->mv_size - h) return damaged(db, err, ns, c, "has a name outside it");
    out->ptr = (const char *)p + h + a;
    out->len = b - a;
    return SHOAL_OK;
}

int shoal_names_str(shoal_reader *r, int ns, uint32_t id, shoal_str *out, shoal_err *err)
{
    if (ns <= 0 || ns >= SHOAL_NS_COUNT || id == 0 || id > r->counts[ns]) return SHOAL_ENOTFOUND;
    uint32_t c = id / SHOAL_NAMES_CHUNK;
    if ((!r->nchunk[ns].mv_data || r->nchunk_no[ns] != c) && r->pchunks[ns] && r->pchunks[ns][c].mv_data) {
        /* read ahead already (names in an order of their own, a sort's, switch chunks
         * at every row: 2589 chunk reads for core creator's rows, 3% of it) */
        r->nchunk[ns] = r->pchunks[ns][c];
        r->nchunk_no[ns] = c;
    }
    if (!r->nchunk[ns].mv_data || r->nchunk_no[ns] != c) {
        r->nchunk[ns].mv_data = NULL;
        int rc = shoal_names_chunk(r->db, r->txn, ns, c, &r->nchunk[ns], err);
        if (rc) {
            /* not kept: the next name of this chunk reads it (and fails) again, rather
             * than trusting a value whose header did not check */
            r->nchunk[ns].mv_data = NULL;
            return rc;
        }
        r->nchunk_no[ns] = c;
    }
    return shoal_names_slot(r->db, &r->nchunk[ns], ns, c, id % SHOAL_NAMES_CHUNK, out, err);
}

/* Chunk c of ns as read ahead into r->pchunks (read now if not yet, its header checked):
 * NULL when it cannot be had (missing, malformed, out of memory). */
static const MDB_val *chunk_ahead(shoal_reader *r, int ns, uint32_t c)
{
    if (!r->pchunks[ns]) {
        size_t n = (size_t)r->counts[ns] / SHOAL_NAMES_CHUNK + 1;
        if (!(r->pchunks[ns] = shoal_malloc(n * sizeof *r->pchunks[ns]))) return NULL;
        memset(r->pchunks[ns], 0, n * sizeof *r->pchunks[ns]);
    }
    MDB_val *e = &r->pchunks[ns][c];
    if (!e->mv_data) {
        unsigned char key[5];
        chunk_key(key, ns, c);
        MDB_val k = {5, key};
        if (mdb_get(r->txn, r->db->dbi_names, &k, e) || !chunk_n(e)) {
            e->mv_data = NULL;
            return NULL;
        }
    }
    return e;
}

size_t shoal_names_strs(shoal_reader *r, int ns, const uint32_t *ids, size_t n, shoal_str *out)
{
    uint32_t count = ns > 0 && ns < SHOAL_NS_COUNT ? r->counts[ns] : 0, cur = UINT32_MAX, slots = 0;
    const unsigned char *p = NULL, *bytes = NULL;
    size_t room = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t id = ids[k];
        if (id == 0 || id > count) {   /* (shoal_names_str's SHOAL_ENOTFOUND) */
            out[k].ptr = NULL;
            out[k].len = 0;
            continue;
        }
        uint32_t c = id / SHOAL_NAMES_CHUNK;
        if (c != cur) {
            const MDB_val *v = chunk_ahead(r, ns, c);
            if (!v) return k;
            p = v->mv_data;
            slots = be32(p);
            size_t h = 4 + 4 * ((size_t)slots + 1);   /* (fits: chunk_n checked it) */
            bytes = p + h;
            room = v->mv_size - h;
            cur = c;
        }
        uint32_t i = id % SHOAL_NAMES_CHUNK;
        if (i >= slots) return k;
        /* the offsets of the id 16 on asked for now (the ids of a block are some 100
         * apart: each id's offsets a line of their own, whose waits then overlap) */
        if (k + 16 < n && ids[k + 16] / SHOAL_NAMES_CHUNK == c && ids[k + 16] % SHOAL_NAMES_CHUNK < slots)
            __builtin_prefetch(p + 4 + 4 * (size_t)(ids[k + 16] % SHOAL_NAMES_CHUNK));
        uint32_t a = be32(p + 4 + 4 * (size_t)i), b = be32(p + 8 + 4 * (size_t)i);
        if (a > b || b > room) return k;
        out[k].ptr = (const char *)bytes + a;
        out[k].len = b - a;
        __builtin_prefetch(bytes + a);
    }
    return n;
}

void shoal_names_prefetch(shoal_reader *r, int ns, uint32_t id, int text)
{
    if (ns <= 0 || ns >= SHOAL_NS_COUNT || id == 0 || id > r->counts[ns]) return;
    uint32_t c = id / SHOAL_NAMES_CHUNK;
    const MDB_val *v = &r->nchunk[ns];
    if (!v->mv_data || r->nchunk_no[ns] != c) {
        /* each chunk read once a reader (a block's few rows can span several chunks,
         * asked for twice: one kept chunk was read again and again) */
        if (!(v = chunk_ahead(r, ns, c))) return;
    }
    const unsigned char *p = v->mv_data;
    uint32_t i = id % SHOAL_NAMES_CHUNK, n = be32(p);
    size_t h = 4 + 4 * ((size_t)n + 1);
    if (i >= n || h > v->mv_size) return;
    if (!text) {
        __builtin_prefetch(p + 4 + 4 * (size_t)i);
        return;
    }
    uint32_t a = be32(p + 4 + 4 * (size_t)i);
    if (a < v->mv_size - h) __builtin_prefetch(p + h + a);
}

/* Writes ids from … to of ns (interned in txn, whose dictionary holds them) into their
 * chunks: the chunk of from must hold exactly the ids before it. */
int shoal_names_append(shoal_db *db, MDB_txn *txn, int ns, uint32_t from, uint32_t to, shoal_err *err)
{
    int rc = SHOAL_OK;
    unsigned char *buf = NULL;
    size_t cap = 0;
    if (from == 1) from = 0;   /* a namespace's first chunk begins with id 0's empty slot */
    for (uint32_t id = from; id <= to && !rc;) {
        uint32_t c = id / SHOAL_NAMES_CHUNK, base = c * SHOAL_NAMES_CHUNK;
        uint32_t last = to - base >= SHOAL_NAMES_CHUNK ? base + SHOAL_NAMES_CHUNK - 1 : to;
        uint32_t n0 = id - base;   /* slots the chunk holds already */
        MDB_val old = {0, NULL};
        if (n0 > 0) {
            if ((rc = shoal_names_chunk(db, txn, ns, c, &old, err))) break;
            if (be32(old.mv_data) != n0) {
                rc = damaged(db, err, ns, c, "does not end where the dictionary did");
                break;
            }
        }
        size_t old_bytes = n0 ? old.mv_size - (4 + 4 * ((size_t)n0 + 1)) : 0;
        size_t add = 0;
        /* The names an append interned are in the cache (a descent of dict's B-tree
         * a name, twice, was 6.5% of the writer's instructions, log only, at 1M). */
        for (uint32_t j = id ? id : 1; j <= last; j++) {
            shoal_str s;
            if (!shoal_dict_cached_str(db, ns, j, &s) && (rc = shoal_dict_read_str(db, txn, ns, j, &s, err))) break;
            add += s.len;
        }
        if (rc == SHOAL_ENOTFOUND) rc = shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a dictionary id has no string");
        if (rc) break;
        uint32_t n = last - base + 1;
        size_t h = 4 + 4 * ((size_t)n + 1), len = h + old_bytes + add;
        if (old_bytes + add > UINT32_MAX) {
            rc = shoal_err_set(err, SHOAL_EINVAL, -1, -1, "names too long for one chunk");
            break;
        }
        if (len > cap) {
            unsigned char *nb = shoal_realloc(buf, len);
            if (!nb) {
                rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
                break;
            }
            buf = nb, cap = len;
        }
        be32_put(buf, n);
        uint32_t off = 0;
        if (n0) {
            /* the old offsets, then its bytes, where they go now */
            memcpy(buf + 4, (const unsigned char *)old.mv_data + 4, 4 * ((size_t)n0 + 1));
            memcpy(buf + h, (const unsigned char *)old.mv_data + 4 + 4 * ((size_t)n0 + 1), old_bytes);
            off = (uint32_t)old_bytes;
        } else {
            be32_put(buf + 4, 0);
        }
        for (uint32_t j = id; j <= last; j++) {
            shoal_str s = {NULL, 0};
            if (j > 0 && !shoal_dict_cached_str(db, ns, j, &s)) shoal_dict_read_str(db, txn, ns, j, &s, NULL);
            if (s.len) memcpy(buf + h + off, s.ptr, s.len);
            off += s.len;
            be32_put(buf + 4 + 4 * ((size_t)(j - base) + 1), off);
        }
        unsigned char key[5];
        chunk_key(key, ns, c);
        MDB_val k = {5, key}, v = {len, buf};
        if ((rc = mdb_put(txn, db->dbi_names, &k, &v, 0))) rc = shoal_store_err(err, rc, "cannot write the names table");
        id = last + 1;
    }
    shoal_free(buf);
    return rc;
}

int shoal_names_build(shoal_db *db, MDB_txn *txn, shoal_err *err)
{
    uint32_t counts[SHOAL_NS_COUNT];
    int rc = shoal_dict_counts_load(db, txn, counts, err);
    if (rc) return rc;
    if ((rc = mdb_drop(txn, db->dbi_names, 0))) return shoal_store_err(err, rc, "cannot write the names table");
    for (int ns = 1; ns < SHOAL_NS_COUNT && !rc; ns++)
        if (counts[ns]) rc = shoal_names_append(db, txn, ns, 0, counts[ns], err);
    return rc;
}
