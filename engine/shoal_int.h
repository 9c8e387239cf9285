/* shoal_int.h — internals shared by the engine's files (like sqliteInt.h).
 *
 * Nothing here is public API: cli/ and embedding programs use shoal.h only. query/ and
 * ingest/ may use these internals where the public API would cost speed (the codec and
 * the dictionary cache sit on the scan and ingest hot paths).
 */
#ifndef SHOAL_INT_H
#define SHOAL_INT_H

#include "shoal.h"

#include <lmdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

/* 1 under AddressSanitizer: gcc says so by __SANITIZE_ADDRESS__, clang only through
 * __has_feature (code that hands out memory its own way steps aside for ASan's malloc,
 * and the tests that look at where memory came from skip those looks). */
#if defined(__SANITIZE_ADDRESS__)
#define SHOAL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHOAL_ASAN 1
#endif
#endif
#ifndef SHOAL_ASAN
#define SHOAL_ASAN 0
#endif

/* ================================================================ format */

/* Version of the on-disk format, kept in meta under "format": the largest this shoal
 * reads. A database with a larger number is refused at open ("newer than this shoal
 * … upgrade shoal"). A database holds the least number that describes what it holds:
 * a new one SHOAL_FORMAT_NEW, raised (never lowered, shoal_db_format_raise) in the
 * transaction that first makes something a shoal of the lower number would misread
 * (the constants below, each saying what). */
#define SHOAL_FORMAT_VERSION 8
/* Format 2 added views (view.c): a database gets it when its first view is created, so
 * that a shoal of format 1, which would append without updating the views, refuses it.
 * Format 3 keeps the counters' sums exact (xsum.c; a has-more byte of 2 in a bucket
 * entry, which a shoal of format 2 cannot decode): a database with views gets it at the
 * first create, rebuild or append with views, and its older buckets (f64 sums) are read
 * as they are and rewritten exact as batches touch them (or all by `shoal rebuild`). */
#define SHOAL_FORMAT_VIEWS 3
/* Format 4 adds the zone map's fine lists (table "zfine", zone.c), which an append must
 * keep up: a shoal of format 3 would leave them narrower than the blocks, and later
 * scans would skip events. A new database has it; an older one gets the lists from its
 * log, and format 4, at its first writable open. */
#define SHOAL_FORMAT_ZFINE 4
/* Format 5 is a new database's: its id index keys an id that ends in a number by that
 * number's value (so counters sort as numbers and are appended to full pages) and
 * holds each sequence in as few bytes as it takes (shoal_db_event_key, log.c). A
 * shoal of format 4 would look ids up under the other keys, so it refuses such a
 * database. What marks the keys is meta's "idkeys" (= "2"), not the format number:
 * an older database raised to a later format for another reason keeps its keys, and
 * this shoal reads and appends to it with them. */
#define SHOAL_FORMAT_IDKEYS 5
/* Format 7 adds the names table ("names", names.c): id -> bytes per namespace in dense
 * chunks, which an append must keep up (a shoal of format 5 would intern names the
 * table lacks, and readers would find it short). A new database has it; an older one
 * gets it from its dictionary, and format 7, at its first writable open; until then it
 * is read through the dictionary, as before. A database of format 7 may or may not hold
 * an experiment's view: the numbers are ordered, and a shoal that reads 7 reads 6's
 * layout too (each raise only raises). */
#define SHOAL_FORMAT_NAMES 7
#define SHOAL_NAMES_CHUNK 4096u
/* A shoal of format 4 or older opened at most 64 LMDB tables (mdb_env_set_maxdbs(64)):
 * its six core tables and 58 views; at the 59th view's table it failed on MDB_DBS_FULL
 * with no clear message. A database that comes to hold more than SHOAL_OLD_MAX_VIEWS
 * views therefore gets format 5 (view.c, at the CREATE), which such a shoal refuses at
 * open: "has format version 5, newer than this shoal … reads (4): upgrade shoal". */
#define SHOAL_OLD_MAX_VIEWS 58
#define SHOAL_FORMAT_MANY_VIEWS 5
/* Format 6: the database holds an experiment's view (view_experiment.c) in the layout
 * this shoal keeps (its table's layout mark, key 0x05; UNIT group's params format 2).
 * A shoal of format 5 kept an earlier layout, which it would extend beside this one
 * (its check would call the mark damage), and failed on UNIT group's params as on a
 * damaged definition; it now refuses the database at open, naming the cause ("has
 * format version 6, newer than this shoal … reads (5): upgrade shoal"). Raised by the
 * CREATE, rebuild or append that writes an experiment's view (view.c); a database
 * without one stays at its format. */
#define SHOAL_FORMAT_EXPVIEW 6
/* Format 8: the id index holds runs (log.c, *The id index's runs*): one entry for
 * consecutive numeric ids of one prefix and width at consecutive sequences, its value
 * a byte 0 (which no single entry's value starts with), the run's length and the
 * difference. A shoal of format 7 would read such a value as a difference, find no
 * entry for the run's other ids and give them new sequences (or misdate conflicts),
 * so it refuses the database. Raised by the append that first writes a run (a
 * database of format 7 with single entries is read and appended to as it is, and its
 * last entry may grow into a run); a new database starts at format 7 like before and
 * gets 8 with its first run. */
#define SHOAL_FORMAT_IDRUNS 8
/* What a new database is written with: it has the names table from its first
 * transaction (SHOAL_FORMAT_NAMES), which a shoal of format 5 or 6 would not keep up. */
#define SHOAL_FORMAT_NEW SHOAL_FORMAT_NAMES

/* Default initial map size; the map doubles whenever a batch finds it full. */
#define SHOAL_DEFAULT_MAP_SIZE ((size_t)1 << 30)

/* ================================================================ exact sums */

/* An exact sum of integers and doubles (xsum.c): an integer part and a fraction in
 * units of 2^-120, so that additions in any order or grouping give the same value to
 * the last bit (a view adds per day, a scan in log order). `big` takes what does not
 * fit (magnitudes of 2^94 or more, infinities, NaN) as a plain double. */
__extension__ typedef __int128 shoal_i128;
__extension__ typedef unsigned __int128 shoal_u128;
typedef struct shoal_xsum {
    shoal_i128 ip;      /* integer part */
    shoal_u128 fp;      /* fraction, in units of 2^-120: [0, 2^120) */
    double big;
} shoal_xsum;
#define SHOAL_XSUM_BYTES 47   /* shoal_xsum_put writes at most this many */

static inline void shoal_xsum_add_int(shoal_xsum *s, int64_t v) { s->ip += v; }
void shoal_xsum_add_double(shoal_xsum *s, double x);
void shoal_xsum_merge(shoal_xsum *s, const shoal_xsum *o);
/* The sum correctly rounded to a double (then plus big). */
double shoal_xsum_value(const shoal_xsum *s);
/* 1 with the sum in *out when it is an integer that fits in 64 bits. */
int shoal_xsum_int(const shoal_xsum *s, int64_t *out);
int shoal_xsum_eq(const shoal_xsum *a, const shoal_xsum *b);
/* Encoding: a flag byte, then the parts that are not 0. get returns the bytes read, 0
 * when malformed. */
size_t shoal_xsum_put(unsigned char *p, const shoal_xsum *s);
size_t shoal_xsum_get(const unsigned char *p, const unsigned char *end, shoal_xsum *s);

/* ================================================================ varints */

/* LEB128 unsigned varints and zigzag for signed values. put returns bytes written
 * (at most 10); get returns bytes read, or 0 when the input ends inside the varint. */
static inline size_t shoal_varint_put(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static inline size_t shoal_varint_get(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
    uint64_t r = 0;
    unsigned shift = 0;
    const unsigned char *s = p;
    while (p < end && shift < 64) {
        unsigned char b = *p++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return (size_t)(p - s);
        }
        shift += 7;
    }
    return 0;
}

/* The same, faster on the scan path: with 8 readable bytes (almost always, since a
 * record is followed by more page) the terminator is found with one ctz and the 7-bit
 * groups gathered without a branch per byte. Timestamps take 6 bytes and member ids 3,
 * so the byte loop's mispredictions were most of the decode time (20M -> 28M records/s
 * on the core-creator scan). Returns bytes read, or 0 when the input ends inside. */
static inline size_t shoal_varint_get_fast(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
    if (p < end && p[0] < 0x80) {
        *v = p[0];
        return 1;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t stop = ~x & 0x8080808080808080ULL;
        if (stop) {
            int len = (__builtin_ctzll(stop) >> 3) + 1;
            if (len < 8) x &= (1ULL << (len * 8)) - 1;
            *v = (x & 0x7fULL) | ((x >> 1) & (0x7fULL << 7)) | ((x >> 2) & (0x7fULL << 14)) |
                 ((x >> 3) & (0x7fULL << 21)) | ((x >> 4) & (0x7fULL << 28)) | ((x >> 5) & (0x7fULL << 35)) |
                 ((x >> 6) & (0x7fULL << 42)) | ((x >> 7) & (0x7fULL << 49));
            return (size_t)len;
        }
    }
#endif
    return shoal_varint_get(p, end, v);
}

/* n bytes from s to d, the short ones without a call (the library's memcpy was a call
 * a cell, twice, in a table's writer; names are some 7 to 12 bytes): exactly n,
 * nothing read or written past them. 1 to 3 bytes: the first, the middle and the
 * last (some overlap), no loop. */
static inline void shoal_copy_small(char *d, const char *s, size_t n)
{
    if (n >= 8 && n <= 16) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n < 4) {
        if (n) {
            d[0] = s[0];
            d[n >> 1] = s[n >> 1];
            d[n - 1] = s[n - 1];
        }
    } else {
        memcpy(d, s, n);
    }
}

static inline uint64_t shoal_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t shoal_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static inline void shoal_be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static inline uint64_t shoal_be64_get(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* ================================================================ codec (codec.c) */

/* Property value tags in a packed record: the low 3 bits of each property's
 * varint (key_id << 3 | tag). */
enum {
    SHOAL_TAG_FALSE = 0,
    SHOAL_TAG_TRUE = 1,
    SHOAL_TAG_INT = 2,     /* zigzag varint */
    SHOAL_TAG_NUM = 3,     /* 8 bytes, IEEE-754 little-endian */
    SHOAL_TAG_STRID = 4,   /* varint SHOAL_NS_STR id */
    SHOAL_TAG_STRINL = 5   /* varint length, bytes */
};

/* Record flags, the first byte of a packed record. */
#define SHOAL_REC_HAS_ID 0x1
#define SHOAL_REC_HAS_GROUP 0x2
/* The id is stored as a number and a prefix (format 5, codec.c): its field holds
 * varint zigzag(number - seq), then the id's bytes before its digits. */
#define SHOAL_REC_ID_NUM 0x4

/* Whether id ends in a number of 2 to 18 digits without a leading zero: then
 * *prefix is the length of what comes before the digits and *num their value. The
 * id index's numeric keys and the log's numeric ids are made of such ids. */
bool shoal_id_number(shoal_str id, uint32_t *prefix, uint64_t *num);

/* An event with its strings resolved to dictionary ids, ready to encode. */
typedef struct shoal_ievent {
    int64_t ts;
    uint32_t member, type, group;
    int has_id;
    shoal_str id;
    uint64_t id_seq;      /* not 0: the event's sequence, and an id ending in a number is
                             stored as that number's difference from it (format 5) */
    const unsigned char *id_key;   /* the id index key the reading thread made of the id
                                      (shoal_db_event_key), or NULL: the codec takes
                                      the number from it instead of reading the id again */
    uint32_t id_klen;
    uint32_t n_props;
    shoal_rprop *props;   /* sorted by key id */
} shoal_ievent;

/* Upper bound of the packed size of ev. */
size_t shoal_codec_bound(const shoal_ievent *ev);
/* Packs ev into p (at least shoal_codec_bound bytes). Returns the length. */
size_t shoal_codec_encode(const shoal_ievent *ev, unsigned char *p);
/* Decodes the header of a packed record (layout in codec.c). Inline: every scan of the
 * log pays it once per record. Returns SHOAL_OK or SHOAL_ECORRUPT. */
static inline int shoal_codec_decode(const unsigned char *p, size_t n, shoal_rec *rec)
{
    const unsigned char *end = p + n;
    uint64_t x, m, t, g = 0;
    size_t k;
    if (n < 4) return SHOAL_ECORRUPT;
    unsigned flags = *p++;
    if (flags & ~(unsigned)(SHOAL_REC_HAS_ID | SHOAL_REC_HAS_GROUP | SHOAL_REC_ID_NUM)) return SHOAL_ECORRUPT;
    if ((flags & SHOAL_REC_ID_NUM) && !(flags & SHOAL_REC_HAS_ID)) return SHOAL_ECORRUPT;
    if (!(k = shoal_varint_get_fast(p, end, &x))) return SHOAL_ECORRUPT;
    p += k;
    if (!(k = shoal_varint_get_fast(p, end, &m))) return SHOAL_ECORRUPT;
    p += k;
    if (!(k = shoal_varint_get_fast(p, end, &t))) return SHOAL_ECORRUPT;
    p += k;
    if (flags & SHOAL_REC_HAS_GROUP) {
        if (!(k = shoal_varint_get_fast(p, end, &g)) || g == 0) return SHOAL_ECORRUPT;
        p += k;
    }
    if (m == 0 || t == 0 || m > UINT32_MAX || t > UINT32_MAX || g > UINT32_MAX) return SHOAL_ECORRUPT;
    rec->ts = shoal_unzigzag(x);
    rec->member = (uint32_t)m;
    rec->type = (uint32_t)t;
    rec->group = (uint32_t)g;
    rec->has_id = (flags & SHOAL_REC_HAS_ID) != 0;
    rec->id_num = (flags & SHOAL_REC_ID_NUM) != 0;
    rec->id.ptr = NULL;
    rec->id.len = 0;
    if (rec->has_id) {
        if (!(k = shoal_varint_get_fast(p, end, &x)) || x > (uint64_t)(end - p - k)) return SHOAL_ECORRUPT;
        p += k;
        rec->id.ptr = (const char *)p;
        rec->id.len = (uint32_t)x;
        p += x;
    }
    rec->props = p;
    rec->end = end;
    return SHOAL_OK;
}

/* Decodes the log entry k -> v (big-endian sequence, packed record) into rec.
 * Returns SHOAL_OK or SHOAL_ECORRUPT with a message naming the record. */
static inline int shoal_log_decode(const MDB_val *k, const MDB_val *v, shoal_rec *rec, shoal_err *err)
{
    if (k->mv_size != 8) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log key has a bad size");
    rec->seq = shoal_be64_get(k->mv_data);
    if (shoal_codec_decode(v->mv_data, v->mv_size, rec))
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log record %llu does not decode",
                             (unsigned long long)rec->seq);
    return SHOAL_OK;
}

/* True when an integral double must be stored as SHOAL_VAL_INT (canonical numbers). */
bool shoal_num_is_int(double d, int64_t *out);

/* Whether s[0..n) may not name a property: "id", "props", "properties", and "seq",
 * "ts", "member", "type", "group" in any case (the language's event columns). */
bool shoal_prop_reserved(const char *s, size_t n);

/* Makes the allocation after the next n fail (n = 0: the very next); -1 disables.
 * For tests only (mem.c). */
void shoal_mem_fail_after(long n);

/* ================================================================ utf-8 (event.c) */

/* True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool shoal_utf8_valid(const char *s, size_t n);

/* ================================================================ dictionary (dict.c) */

/* The dictionary cache: string -> id for every namespace, and id -> string, both
 * filled lazily from LMDB. Owned by the db. Entries added inside a write transaction
 * that aborts are dropped by shoal_dict_cache_clear. */
typedef struct shoal_dict shoal_dict;

int shoal_dict_new(shoal_dict **out);
void shoal_dict_free(shoal_dict *d);
void shoal_dict_cache_clear(shoal_dict *d);

/* Interns s in ns inside write transaction txn, allocating the next id when new.
 * Returns SHOAL_OK, SHOAL_ESTORE (err->sys = LMDB rc, which may be MDB_MAP_FULL). */
int shoal_dict_intern(shoal_db *db, MDB_txn *txn, int ns, const char *s, size_t len, uint32_t *id, shoal_err *err);

/* Reads the per-namespace counts from meta into counts[SHOAL_NS_COUNT]. */
int shoal_dict_counts_load(shoal_db *db, MDB_txn *txn, uint32_t *counts, shoal_err *err);
/* Writes the cache's counts to meta when they changed during txn. */
int shoal_dict_counts_save(shoal_db *db, MDB_txn *txn, shoal_err *err);
/* Called at the start of each write transaction: drops the cache when another
 * process has added strings since. */
int shoal_dict_sync(shoal_db *db, MDB_txn *txn, shoal_err *err);

/* Lookups through the cache within any transaction. */
int shoal_dict_lookup_str(shoal_db *db, MDB_txn *txn, int ns, uint32_t id, shoal_str *out, shoal_err *err);
/* The same from txn's snapshot alone, the cache untouched (another thread's reader): the
 * bytes are the map's, valid while txn is. */
int shoal_dict_read_str(shoal_db *db, MDB_txn *txn, int ns, uint32_t id, shoal_str *out, shoal_err *err);
/* The string of id as the writer's cache holds it (what the append just interned, or
 * read from the table in this process): false when it is not there. For the write
 * transaction's own thread only. */
bool shoal_dict_cached_str(const shoal_db *db, int ns, uint32_t id, shoal_str *out);
/* The slots of the cache's id -> string array of ns (test_engine: a small namespace's
 * is small). */
size_t shoal_dict_rev_room(const shoal_db *db, int ns);
void shoal_dict_prefetch(shoal_db *db, int ns, uint32_t id, int text);
/* The cache's hash of (ns, s): a pure function, so the ingest pipeline's reading
 * thread computes it (shoal_logkeys_make) for the writer's prefetch and interning. */
uint32_t shoal_dict_hash(int ns, const char *s, size_t len);
/* Prefetches the cache's slot for hash h: the append interns events a few ahead of
 * the one it prefetches for, so the slot's cache miss overlaps other work. */
void shoal_dict_prefetch_hash(shoal_db *db, uint32_t h);
/* shoal_dict_intern with h = shoal_dict_hash(ns, s, len). */
int shoal_dict_intern_h(shoal_db *db, MDB_txn *txn, int ns, const char *s, size_t len, uint32_t h, uint32_t *id,
                        shoal_err *err);
int shoal_dict_lookup_id(shoal_db *db, MDB_txn *txn, int ns, const char *s, size_t len, uint32_t *out, shoal_err *err);

/* A cache of committed names for another thread (the ingest's reading thread): made
 * by shoal_dict_new_fwd (string -> id only), filled with shoal_dict_cache_put from
 * what the writer hands over after its commits (shoal_dict_each_new), read with
 * shoal_dict_cache_get (0: not held). Committed ids never change, so what it holds
 * stays right. h is shoal_dict_hash(ns, s, len). */
int shoal_dict_new_fwd(shoal_dict **out);
uint32_t shoal_dict_cache_get(shoal_dict *d, int ns, const char *s, size_t len, uint32_t h);
int shoal_dict_cache_put(shoal_dict *d, int ns, const char *s, size_t len, uint32_t id, uint32_t h);
void shoal_dict_cache_prefetch(shoal_dict *d, uint32_t h);
/* The writer's committed counts (out[SHOAL_NS_COUNT]): taken before an append, they
 * are the from of shoal_dict_each_new after its commit, which calls fn with every
 * name that the commits since interned and the writer's cache still holds. */
void shoal_dict_saved(const shoal_db *db, uint32_t *out);
int shoal_dict_each_new(shoal_db *db, const uint32_t *from,
                        int (*fn)(void *ctx, int ns, uint32_t id, const char *s, uint32_t len), void *ctx);

/* Dictionary keys in the dict database: forward [ns][string] -> BE u32 id, reverse
 * [ns | 0x80][BE u32 id] -> string. */
#define SHOAL_DICT_REV 0x80

/* ================================================================ the database (db.c) */

struct shoal_db {
    MDB_env *env;
    MDB_dbi dbi_log, dbi_ids, dbi_dict, dbi_meta, dbi_zones, dbi_zfine, dbi_names;
    bool has_names;           /* the names table (format 7): readers take names from it */
    bool has_zones;           /* false only for a read-only open of a database without them */
    bool has_zfine;           /* the zone map's fine lists (zone.c), likewise */
    bool idkeys2;             /* the id index's keys and values of format 5 (meta "idkeys") */
    bool open_wrote;          /* the open took a write transaction (a new database, a zone map made) */
    char *path;
    unsigned flags;
    size_t map_size;
    shoal_dict *dict;
    unsigned char *scratch;   /* encode buffer for appends, grown as needed */
    bool saw_dups;            /* the last batch had duplicates: look keys up first */
    shoal_progress_fn progress;   /* shoal_db_set_progress */
    void *progress_ctx;
    volatile int *cancel;     /* shoal_db_open_cancel: long work stops when it is set (may be NULL) */
    size_t n_scratch;
    struct shoal_views *views; /* the view registry (view.c), loaded at the first append */
    uint64_t tables_gen;       /* the views' generation whose tables are open for every transaction (view.c) */
    bool nolock;              /* opened with MDB_NOLOCK (SHOAL_OPEN_NOLOCK) */
    unsigned reclaimed;       /* stale reader slots freed at open */
    struct shoal_zpm *zpm;    /* the zone map's prefix maxima, made as scans ask (zone.c) */
    /* A thread that runs the views' prepares of the batch being appended (the ingest
     * pipeline's reader, batch.c: shoal_db_set_helper, shoal_view_help), woken by
     * helper_wake; NULL: each batch's prepares get a thread of their own. prep_posted
     * is the registry whose prepares wait for it, taken by whichever thread runs them. */
    void (*helper_wake)(void *ctx);
    void *helper_ctx;
    _Atomic(struct shoal_views *) prep_posted;
};

struct shoal_reader {
    shoal_db *db;
    MDB_txn *txn;
    uint64_t last_seq;
    uint32_t counts[SHOAL_NS_COUNT];
    bool forked;              /* shoal_reader_fork's: names read without the dictionary's cache */
    MDB_val nchunk[SHOAL_NS_COUNT];   /* with the names table: the chunk last read, per namespace */
    uint32_t nchunk_no[SHOAL_NS_COUNT];
    MDB_val *pchunks[SHOAL_NS_COUNT];   /* the chunks read ahead (shoal_names_prefetch), by number; NULL: none yet */
};

/* The names table (names.c). A chunk's value, its header checked (a missing or
 * malformed chunk is SHOAL_ECORRUPT); slot i of chunk c, its offsets checked. */
int shoal_names_chunk(shoal_db *db, MDB_txn *txn, int ns, uint32_t c, MDB_val *out, shoal_err *err);
int shoal_names_slot(shoal_db *db, const MDB_val *v, int ns, uint32_t c, uint32_t i, shoal_str *out, shoal_err *err);
/* id's name for a reader of a database with the table: a pointer into the map, valid
 * while r is open; SHOAL_ENOTFOUND past r's counts. */
int shoal_names_str(shoal_reader *r, int ns, uint32_t id, shoal_str *out, shoal_err *err);
/* The names of ids[0..n) (in any order) into out, as shoal_names_str gives them (an id
 * past r's counts: {NULL, 0}), each chunk's header read once for a run of ids in it:
 * how many from the first were had; the id at that count (when < n) is in a chunk or
 * slot that does not read well, left to shoal_names_str to report. */
size_t shoal_names_strs(shoal_reader *r, int ns, const uint32_t *ids, size_t n, shoal_str *out);
/* Asks memory for id's offsets (text 0) or its bytes (1, the offsets read) ahead of
 * shoal_names_str: a block of rows' names asked for at once, their waits overlap. A
 * chunk that does not read well is left to shoal_names_str to report. */
void shoal_names_prefetch(shoal_reader *r, int ns, uint32_t id, int text);
/* Adds ids from … to of ns, interned in txn, to their chunks (the append, at commit). */
int shoal_names_append(shoal_db *db, MDB_txn *txn, int ns, uint32_t from, uint32_t to, shoal_err *err);
/* Makes the whole table from the dictionary (a database of an older format). */
int shoal_names_build(shoal_db *db, MDB_txn *txn, shoal_err *err);

/* A reader of its own transaction (log.c) for another thread (the environment is
 * MDB_NOTLS: a read transaction is not tied to the thread that began it), that takes
 * r's last sequence and dictionary counts as its own. Its snapshot may be later than
 * r's: records up to r's last sequence are the same in both (the log only grows), and
 * so are the zone map's answers for them. Close with shoal_reader_close. */
int shoal_reader_fork(const shoal_reader *r, shoal_reader **out, shoal_err *err);

/* LMDB's meta page of transaction txnid, read from data.mdb (db.c): -1 when neither
 * meta page is of that transaction (another committed since) or the layout is not
 * LMDB 0.9's 64-bit one. check.c walks the pages from it. */
typedef struct shoal_lmdb_meta {
    uint64_t psize, last, txnid, free_root, main_root;
} shoal_lmdb_meta;
int shoal_db_meta(shoal_db *db, uint64_t txnid, shoal_lmdb_meta *out);

/* Walks LMDB's B-trees of txn's snapshot with pread (pages.c): the main table and the
 * named tables in only (NULL-terminated; NULL: every table and the free pages). Each
 * damaged page is reported to problem and sets *bad; nothing is read through LMDB.
 * Skipped (SHOAL_OK, *bad 0) when the snapshot is no longer one of the meta pages.
 * SHOAL_ECANCEL when db's cancel flag is set meanwhile. */
/* Whether every page reachable from the roots (every table's, the free pages' table
 * included, overflow pages too) lies within the first n_pages pages of the file fd and
 * is whole: 1, else 0; SHOAL_ENOMEM, or SHOAL_ECANCEL when *cancel (may be NULL) became
 * non-zero. Read with pread, before LMDB maps the file. */
int shoal_pages_inside(int fd, uint64_t psize, uint64_t n_pages, uint64_t free_root, uint64_t main_root,
                       volatile int *cancel);
int shoal_pages_walk(shoal_db *db, MDB_txn *txn, const char *const *only, void (*problem)(void *ctx, const char *msg),
                     void *ctx, int *bad, shoal_err *err);

/* Sets err from an LMDB rc: SHOAL_ESTORE (SHOAL_ECORRUPT for MDB_CORRUPTED and
 * MDB_PAGE_NOTFOUND) with sys = rc and a message naming what. */
int shoal_store_err(shoal_err *err, int rc, const char *what);

/* Begins a write transaction, handling MDB_MAP_RESIZED (another process grew the map). */
int shoal_db_txn_begin(shoal_db *db, unsigned flags, MDB_txn **out, shoal_err *err);

/* Doubles the map size. No transaction of this process may be open. */
int shoal_db_grow(shoal_db *db, shoal_err *err);

/* meta access inside a transaction. */
int shoal_meta_get(shoal_db *db, MDB_txn *txn, const char *key, MDB_val *out);
int shoal_meta_put(shoal_db *db, MDB_txn *txn, const char *key, const void *val, size_t n, shoal_err *err);
/* Raises meta's format to at least version in write transaction txn (an older shoal
 * then refuses the database at open); a database already there is left as it is. */
int shoal_db_format_raise(shoal_db *db, MDB_txn *txn, int version, shoal_err *err);

/* Told of each event whose id is already in the log (or earlier in the batch) with
 * different content, inside the append's transaction just before it commits: idx is
 * the event's position in the batch, seq the sequence of the event it conflicts with.
 * A non-zero return (with err set) aborts the batch. */
typedef struct shoal_conflicts {
    int (*fn)(void *ctx, size_t idx, uint64_t seq, shoal_err *err);
    int (*done)(void *ctx, shoal_err *err);   /* after the last fn of a batch that had any */
    void *ctx;
} shoal_conflicts;

/* shoal_append for callers that have already passed every event through
 * shoal_event_check (the ingest driver), so the batch is not validated twice, and
 * that want each conflict (cf may be NULL). */
int shoal_log_append(shoal_db *db, const shoal_event *evs, size_t n, bool checked, const shoal_conflicts *cf,
                     shoal_append_stats *st, shoal_err *err);

/* A batch's idempotency keys, made and sorted before the append (log.c): the ingest
 * pipeline makes them on its reading thread, so that the writing thread only writes.
 * Buffers are kept between batches; zero-initialise, free with shoal_logkeys_free. */
typedef struct shoal_logkeys {
    struct shoal_keyed *ks;
    unsigned char *kbuf;
    size_t n, cap_ks, cap_kb;
    bool repeated;   /* a key occurs twice in the batch */
    /* The dictionary hashes of each event's names, in this order: member, type, group
     * (when it has one), then each property's key and short string value (event i's
     * from hs[hstart[i]]), made beside the keys. */
    uint32_t *hs, *hstart;
    size_t cap_hs, cap_hstart;
    /* Beside hs, when has_ids: the id of each of those names when the reading thread
     * knew it as committed (shoal_logkeys_resolve), 0 when not; the append then
     * skips the lookups of the known ones. */
    uint32_t *ids;
    size_t cap_ids;
    bool has_ids;
} shoal_logkeys;

/* A numeric id key (shoal_db_event_key) starts with this byte + b, b the bytes of
 * its number (1 to 8). */
#define SHOAL_IDKEY_NUM 0xF7

/* The id index's value for seq under key: 8 bytes big-endian; with idkeys2, seq in as
 * few bytes as it takes (1 to 8), or under a numeric key the difference seq - number
 * (zigzag) in as few bytes as it takes, none when they are equal (an id counter that
 * is the log's own order). With n > 1 (a numeric key under idkeys2 only: format 8), a
 * run of n ids from key's number on at sequences from seq on: a byte 0, n as a varint,
 * then the difference as above. Returns its length; out holds SHOAL_IDS_VAL_MAX bytes. */
#define SHOAL_IDS_VAL_MAX 20
size_t shoal_ids_val_put(const shoal_db *db, const unsigned char *key, size_t klen, uint64_t seq, uint64_t n,
                         unsigned char *out);
/* The sequence of key's id in the id index value v under key, and the ids the entry
 * covers (*n: 1, or a run's length); false when v is malformed: a bad size, a run
 * under a key that cannot hold one, a length below 2 or past the key's width. */
bool shoal_ids_val_get(const shoal_db *db, const unsigned char *key, size_t klen, const MDB_val *v, uint64_t *seq,
                       uint64_t *n);

/* Makes the keys of evs[0..n) (shoal_db_event_key) in k, sorted. Reads nothing of db's
 * state that an append changes, so it may run on another thread than the appends.
 * Returns: SHOAL_OK, SHOAL_ENOMEM. */
int shoal_logkeys_make(shoal_db *db, const shoal_event *evs, size_t n, shoal_logkeys *k);
void shoal_logkeys_free(shoal_logkeys *k);
/* Resolves the names of k's hashes (made by shoal_logkeys_make for evs[0..n)) that
 * names holds (a cache of committed names: shoal_dict_new_fwd). Returns SHOAL_OK or
 * SHOAL_ENOMEM (then k has no ids, which is as right, only slower). */
int shoal_logkeys_resolve(shoal_dict *names, const shoal_event *evs, size_t n, shoal_logkeys *k);

/* shoal_log_append with the keys made by shoal_logkeys_make for the same events
 * (checked by shoal_event_check). */
int shoal_log_append_keyed(shoal_db *db, const shoal_event *evs, size_t n, shoal_logkeys *k,
                           const shoal_conflicts *cf, shoal_append_stats *st, shoal_err *err);

/* ================================================================ zone map (zone.c) */

/* Records per zone: 4096 records of about 45 bytes are some 180 KiB of log, small
 * enough to skip finely, large enough that the map (25 bytes a block) stays tiny. */
#define SHOAL_ZONE_BLOCK 4096

/* One block's entry: its span of event times and which of 64 equal slots over that
 * span hold an event (zone.c says how the slots are placed). */
typedef struct shoal_zone {
    int64_t min, max;   /* earliest and latest event time; min > max: no records */
    uint64_t bits;      /* bit i: some event lies in slot i (slot 0 holds min) */
    unsigned k;         /* slots are 2^k ms wide */
    bool exact;         /* false for a 16-byte entry from before the bitmap: every slot may hold one */
} shoal_zone;

/* Reads a stored value into *z. Returns 0, or -1 for a value of neither 16 nor 25
 * bytes (an entry nobody can trust). */
int shoal_zone_decode(const MDB_val *v, shoal_zone *z);
/* 1 when the map's first entry is of the 16-byte form, from before the bitmaps: a
 * writable open then rebuilds the map (db.c). */
int shoal_zone_legacy(shoal_db *db, MDB_txn *txn);

/* A batch's zone accumulator: note each appended record, then flush in the batch's
 * transaction (merging with the stored entry of a block the batch continues). */
typedef struct shoal_zacc shoal_zacc;
int shoal_zacc_new(uint64_t first_seq, size_t n_records, shoal_zacc **out);
void shoal_zacc_free(shoal_zacc *z);
void shoal_zacc_note(shoal_zacc *z, uint64_t seq, int64_t ts);
int shoal_zacc_flush(shoal_db *db, MDB_txn *txn, shoal_zacc *z, shoal_err *err);

/* The fine lists of a recomputed map: block b's entry is buf[off[b] .. off[b + 1])
 * (empty for a block without records). */
typedef struct shoal_zfine {
    unsigned char *buf;
    size_t *off, n, len, cap;
} shoal_zfine;
void shoal_zfine_free(shoal_zfine *f);

/* The zone map recomputed from the log: per block, its entry (min > max for a block
 * without records; exact always), and with fine (may be NULL) the fine lists. Returns
 * an owned array; free with shoal_free (and fine with shoal_zfine_free). */
int shoal_zone_compute(shoal_db *db, MDB_txn *txn, uint64_t *n_blocks, shoal_zone **zones, shoal_zfine *fine,
                       shoal_err *err);
/* Rewrites the zone map from the log inside write transaction txn. */
int shoal_zone_rebuild(shoal_db *db, MDB_txn *txn, shoal_err *err);

/* Where a scan for events with ts in any of n ranges (pairs [lo, hi) in ranges) should
 * go on from seq: *next is seq itself, or the first sequence of a later block that may
 * hold a match (past the snapshot's end when none can). */
int shoal_zone_skip(shoal_reader *r, uint64_t seq, const int64_t *ranges, int n, uint64_t *next, shoal_err *err);
/* The same, for a scan that can read single records: when a block's in-order events
 * miss every range but some of its late events may not, *next is the block's first
 * sequence and picks[0 .. *n_picks) (room for SHOAL_ZONE_PICKS) the offsets in it of
 * those events, ascending; the scan reads them, then asks again from the next block.
 * *n_picks 0: as shoal_zone_skip. With cut, when *next's block may hold a match among
 * its in-order events and its fine entry lists every late event of it, *cut is 1 and
 * picks[0 .. *n_picks) its late events that may meet a range: a record of the block
 * more than 2^SHOAL_ZONE_LATE_BITS ms before the latest time of the block's records
 * before it is late, so once a time read in the block reaches the ranges' greatest end
 * plus 2^SHOAL_ZONE_LATE_BITS ms, only those picks further on can still match. With
 * late (SHOAL_ZONE_BLOCK bits) and *cut, the bits of all the block's late events: a
 * record not late whose time is 2^SHOAL_ZONE_LATE_BITS ms or more before every range's
 * start has only records before it in the block that are earlier than every range. */
#define SHOAL_ZONE_PICKS 256
#define SHOAL_ZONE_LATE_BITS 16
int shoal_zone_skip_picks(shoal_reader *r, uint64_t seq, const int64_t *ranges, int n, uint64_t *next,
                          uint16_t *picks, int *n_picks, int *cut, uint64_t *late, shoal_err *err);
/* The earliest event time of r's snapshot from the zone map (a read per 4096 records);
 * SHOAL_ENOTFOUND when the map does not cover every block. */
int shoal_zone_earliest(shoal_reader *r, int64_t *out, shoal_err *err);
/* The same for the records of the blocks that lie whole in 1 … seq (INT64_MAX when
 * none): the caller reads the rest, fewer than SHOAL_ZONE_BLOCK records. */
int shoal_zone_earliest_blocks(shoal_reader *r, uint64_t seq, int64_t *out, shoal_err *err);
/* The latest event time of r's snapshot, the same way (INT64_MIN for an empty log). */
int shoal_zone_latest(shoal_reader *r, int64_t *out, shoal_err *err);
/* The span of event times kept in meta (zone.c, SPAN_KEY) for the records up to *seq:
 * 1 when there is one, else 0. Both above start from it and merge the blocks after. */
int shoal_zone_span_kept(shoal_db *db, MDB_txn *txn, int64_t *lo, int64_t *hi, uint64_t *seq);
/* 1 when the log surely holds an event in [lo, hi): the earliest or the latest event
 * of r's last block of records is in it (one read; 0 says nothing), < 0 on an error. */
int shoal_zone_last_holds(shoal_reader *r, int64_t lo, int64_t hi, shoal_err *err);
/* 1 when the log may hold an event in [lo, hi) (surely, or the zone map cannot tell),
 * 0 when it holds none, < 0 on an error: the span, the last block, then the walk. */
int shoal_zone_may_hold(shoal_reader *r, int64_t lo, int64_t hi, shoal_err *err);
/* Frees db's prefix maxima of the zone map (zone.c, zpm_first); shoal_db_close calls it. */
void shoal_zone_zpm_free(shoal_db *db);

/* The LMDB cursor under a log cursor, for scan loops that step and decode inline
 * (query/scan.h). Valid until the log cursor is closed. */
MDB_cursor *shoal_logcur_mdb(shoal_logcur *c);

/* Last sequence in the log as seen by txn (0 when empty). */
int shoal_log_last_seq(shoal_db *db, MDB_txn *txn, uint64_t *out, shoal_err *err);

/* ================================================================ views (view.c) */

/* A view is derived state kept in the same write transaction as the log records that
 * change it (docs/ARCHITECTURE.md, "Views"). Its definition is engine data: the query
 * layer compiles CREATE … into a shoal_viewdef, and the engine alone (ingest has no
 * query layer) maintains the view from it. Each kind is one file, view_<kind>.c, with
 * one shoal_view_kind table, like Redis's t_*.c. */
enum { SHOAL_VIEW_COUNTERS = 1, SHOAL_VIEW_SCORE = 2, SHOAL_VIEW_FIRSTLAST = 3, SHOAL_VIEW_RETENTION = 4,
       SHOAL_VIEW_ACTIVITY = 5, SHOAL_VIEW_EXPERIMENT = 6, SHOAL_VIEW_NKINDS = 7 };

/* At most this many series per view: a record's matches are one 64-bit mask. */
#define SHOAL_VIEW_MAX_SERIES 64
/* At most this many kind parameters per view (shoal_viewdef.params). */
#define SHOAL_VIEW_MAX_PARAMS 8

/* One series of a view: events of some types (none listed: every type) that pass a
 * filter, counted, optionally summing one numeric property; for a score, weighted. */
typedef struct shoal_vseries {
    uint32_t n_types;
    shoal_str *types;     /* type names: resolved against the dictionary as ids appear */
    shoal_str filter;     /* a predicate program (SHOAL_VP_*), len 0 when none */
    shoal_str sum_prop;   /* property summed, len 0 when none */
    double weight;        /* score: the term's weight */
} shoal_vseries;

typedef struct shoal_viewdef {
    int kind;             /* SHOAL_VIEW_* */
    shoal_str name;
    shoal_str text;       /* the statement, for SHOW VIEWS */
    shoal_str tz;         /* the time zone its day buckets are in */
    int64_t half_life_ms; /* score */
    uint32_t n_series;
    shoal_vseries *series;
    /* A kind's own parameters (retention: period unit, AT LEAST n, recurring), integers
     * whose meaning the kind's file gives; encoded after the series only when there are
     * any, so a definition without them is byte for byte what format 1 always wrote. */
    uint32_t n_params;
    int64_t params[SHOAL_VIEW_MAX_PARAMS];
    shoal_str blob;       /* kind-specific bytes (experiment: view_experiment.c), len 0 when none */
} shoal_viewdef;

/* The predicate program of a series filter: postfix over a stack of values, with SQL's
 * three-valued logic and the query language's comparison rules (query/value.c), so a
 * view and a log scan agree on every event. */
enum {
    SHOAL_VP_PROP = 'p',    /* varint length, name: push the property (NULL when absent) */
    SHOAL_VP_NULL = '0',    /* push NULL */
    SHOAL_VP_BOOL = 'b',    /* u8: push a bool */
    SHOAL_VP_INT = 'i',     /* zigzag varint: push an integer */
    SHOAL_VP_NUM = 'd',     /* 8 bytes LE: push a double */
    SHOAL_VP_STR = 's',     /* varint length, bytes: push a string */
    SHOAL_VP_CMP = 'c',     /* u8 SHOAL_OP_EQ..GE of query/ast.h (6..11): pop b, a; push a op b */
    SHOAL_VP_AND = '&',
    SHOAL_VP_OR = '|',
    SHOAL_VP_NOT = '!',
    SHOAL_VP_ISNULL = 'n',  /* u8 negate: pop a; push a IS [NOT] NULL */
    SHOAL_VP_COL = 'e'      /* u8 'm', 't' or 'g': push the event's member, type or group name (NULL: no group) */
};
enum { SHOAL_VP_EQ = 6, SHOAL_VP_NE, SHOAL_VP_LT, SHOAL_VP_LE, SHOAL_VP_GT, SHOAL_VP_GE };

/* Serialises def (which borrows its strings) into a; parses it back, borrowing from
 * buf. Returns SHOAL_OK, SHOAL_ENOMEM, SHOAL_ECORRUPT. */
int shoal_viewdef_encode(const shoal_viewdef *def, shoal_arena *a, shoal_str *out, shoal_err *err);
int shoal_viewdef_decode(const void *buf, size_t n, shoal_arena *a, shoal_viewdef *out, shoal_err *err);

/* Day number of instant ts in a zone (UTC offset in force at ts), and where local day
 * `day` starts: its midnight, or, where the zone skips midnight, the instant the clocks
 * jumped (shoal_tz_to_utc), which is where shoal_view_day changes. */
struct shoal_tz;
int64_t shoal_view_day(const struct shoal_tz *tz, int64_t ts);
int64_t shoal_view_day_start(const struct shoal_tz *tz, int64_t day);

/* Hooks in the append transaction (log.c). begin syncs the registry with meta (another
 * process may have created or dropped a view, or appended); apply feeds one appended
 * event; end writes what the batch dirtied, in key order, and each view's sequence;
 * abort forgets what an aborted transaction did to in-memory state. */
int shoal_view_begin(shoal_db *db, MDB_txn *txn, shoal_err *err);
int shoal_view_apply(shoal_db *db, MDB_txn *txn, const shoal_ievent *ev, shoal_err *err);
/* Starts the batch's views' prepares on a second thread (view.c): the helper's when db
 * has one, else a thread of their own; shoal_view_end or shoal_view_abort waits for
 * them (and runs them itself when the helper has not taken them yet). */
void shoal_view_prepare(shoal_db *db);
/* Whether the batch's views have prepares (shoal_view_prepare would start some). */
bool shoal_view_has_prepares(const shoal_db *db);
/* The helper (shoal_db_set_helper): wake(ctx) is called when prepares are posted for
 * it; wake NULL: none. Set and unset on the thread that appends. */
void shoal_db_set_helper(shoal_db *db, void (*wake)(void *ctx), void *ctx);
/* On the helper's thread, often: runs the posted prepares, if any (1), else 0. */
int shoal_view_help_run(shoal_db *db);
static inline int shoal_view_help(shoal_db *db)
{
    if (!atomic_load_explicit(&db->prep_posted, memory_order_relaxed)) return 0;
    return shoal_view_help_run(db);
}
int shoal_view_end(shoal_db *db, MDB_txn *txn, uint64_t last_seq, shoal_err *err);
void shoal_view_abort(shoal_db *db);
void shoal_view_registry_free(shoal_db *db);

/* Creates a view from def: back-fills it from a read snapshot, then in one write
 * transaction catches up on the events appended meanwhile and swaps it in (see
 * view.c). Returns SHOAL_OK, SHOAL_ESEMANTIC (a view of that name exists), store errors. */
int shoal_view_create(shoal_db *db, const shoal_viewdef *def, shoal_err *err);
/* Drops view name (its table and definition). Returns SHOAL_ENOTFOUND when none. */
int shoal_view_drop(shoal_db *db, const char *name, shoal_err *err);

/* Named definitions without state (layers, and later tiers): a name, a kind word and
 * the statement text, kept in meta under "def.<name>". The engine stores them and
 * keeps their names apart from the views' (one namespace), but never evaluates them:
 * the query layer compiles a layer's predicate into the per-member aggregates it
 * already answers from views or the log. */
typedef struct shoal_namedef {
    shoal_str kind;    /* "layer" */
    shoal_str name;
    shoal_str text;    /* the CREATE statement */
} shoal_namedef;
/* Stores def. Returns SHOAL_OK, SHOAL_ESEMANTIC (a view or definition of that name
 * exists), SHOAL_EINVAL (bad name), store errors. */
int shoal_view_define(shoal_db *db, const shoal_namedef *def, shoal_err *err);
/* Removes definition name. Returns SHOAL_ENOTFOUND when none. */
int shoal_view_undefine(shoal_db *db, const char *name, shoal_err *err);
/* Every definition, or one by name (SHOAL_ENOTFOUND when none), in the reader's
 * snapshot; strings live in a. */
int shoal_view_defs(shoal_reader *r, shoal_arena *a, shoal_namedef **out, int *n, shoal_err *err);
int shoal_view_def(shoal_reader *r, shoal_arena *a, const char *name, shoal_namedef *out, shoal_err *err);

/* What SHOW VIEWS lists. Strings live in a. */
typedef struct shoal_viewinfo {
    shoal_viewdef def;
    uint64_t seq;        /* the log sequence it reflects */
    uint64_t bytes;      /* table size: pages in use × page size */
    uint64_t entries;
    int64_t t0, max_ts;  /* score: the epoch of its values; latest event time */
} shoal_viewinfo;
int shoal_view_list(shoal_reader *r, shoal_arena *a, shoal_viewinfo **out, int *n, shoal_err *err);
/* One view by name; SHOAL_ENOTFOUND when none. */
int shoal_view_info(shoal_reader *r, shoal_arena *a, const char *name, shoal_viewinfo *out, shoal_err *err);

/* View name's table in r's snapshot; SHOAL_ENOTFOUND when there is none. */
/* Every view's table opened for the whole process (see view.c) when the views changed
 * since: called by shoal_reader_open on its transaction, which it may begin again. */
int shoal_view_tables_sync(shoal_db *db, MDB_txn **txn, shoal_err *err);
int shoal_view_table(shoal_reader *r, const char *name, MDB_dbi *dbi, shoal_err *err);
/* A kind's stamped mark (a key of one byte that says a part of its table is kept):
 * n bytes of the kind's, then the header's sequence when last written (BE u64). 1 with
 * *payload (its n bytes, valid while txn lives) when it is there, n + 8 bytes long and
 * stamped with the header's sequence (no shoal that keeps nothing of it appended
 * since); 0 when not; or an error (< 0). */
int shoal_view_mark_get(MDB_txn *txn, MDB_dbi dbi, unsigned char key, size_t n, const unsigned char **payload,
                        shoal_err *err);
/* Writes such a mark: the n bytes (at most 56), stamped with seq (the sequence the
 * header is about to hold). */
int shoal_view_mark_put(MDB_txn *txn, MDB_dbi dbi, unsigned char key, const unsigned char *payload, size_t n,
                        uint64_t seq, shoal_err *err);

/* Reads of view state in a reader's snapshot, for the planner.
 * counters: hours, when not NULL, are two ranges of UTC hours [hours[0], hours[1]) and
 * [hours[2], hours[3]) read besides the days, from hour buckets (which the caller knows
 * are kept: shoal_view_counters_hours).
 * counters: adds series s over local days [day_lo, day_hi) into arrays indexed by
 * member id (n_members + 1 long): events, values summed, exact sums (*num set when a
 * sum has a non-integral part); with touched, sets the bit of every member it adds to. */
int shoal_view_counters_read(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                             const int64_t *hours, uint32_t n_members, uint32_t *count, uint32_t *n_vals, shoal_xsum *sum, int *num,
                             uint64_t *touched, shoal_err *err);
/* counters, counts only, into bytes that stop at cap (1..255): sat[m] = min(sat[m] +
 * count, cap), which compares with any number below cap as the count itself does. */
/* counters: count[m] above 0 for each member with an event of series s over local days
 * [day_lo, day_hi) (added to what count holds; the values are counts or 1: whole months
 * are read from their presence bitmaps when the table keeps them). Who existed. With
 * bits (n_members / 64 + 1 words), the members of those bitmaps are OR-ed into bits
 * instead (bit m % 64 of word m / 64), count gets only the days and hours, and their
 * members get their bits too: bits alone says who existed. count may then be NULL: the
 * days are read bucket by bucket (a month is not taken less its other days) into bits
 * alone. */
int shoal_view_counters_exist(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                              const int64_t *hours, uint32_t n_members, uint32_t *count, uint64_t *bits, shoal_err *err);
/* Members whose count reached a threshold, in the order they reached it (each once),
 * and as bits (bit m % 64 of word m / 64); the list grows with shoal_realloc (oom: a
 * push found no memory, the list is short). */
typedef struct shoal_passed {
    uint64_t *bits;
    uint32_t *m;
    size_t n, cap;
    int oom;
    /* once_ok (the caller's): when the read is one bucket (a whole month, no hours: each
     * member met once), no byte is written: the members that reach pass_lo are listed,
     * the others' bytes stay 0 (below pass_lo every byte answers alike), and the
     * caller writes the listed ones' bytes it reads (pass_lo, or any value from it to
     * cap: they answer alike); wrote_all (the read's): set when some bucket was read
     * otherwise, every member's byte written */
    int once_ok, wrote_all;
} shoal_passed;
/* counters: series s over local days [day_lo, day_hi) (and the hours) added into sat,
 * each member's byte stopping at cap (1..255); with touched, the members added to get
 * their bit. With passed and pass_lo above 0, a member whose byte goes from below
 * pass_lo to pass_lo or above is added to passed (the bytes only grow, so passed holds
 * exactly the members at pass_lo or above when it held them before the read). */
int shoal_view_counters_read_sat(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                                 const int64_t *hours, uint32_t n_members, uint8_t *sat, unsigned cap, uint64_t *touched,
                                 shoal_passed *passed, unsigned pass_lo, shoal_err *err);
/* Counts a byte per member, exact (count8.c): bytes[m] below 255 is m's count; at 255
 * its count is in the table, an open-addressing hash of member + 1 (0: an empty slot)
 * to count, at most half full. */
typedef struct shoal_count8 {
    uint32_t *m, *c;
    size_t cap, n;
    int oom;            /* an add found no memory: the counts are wrong */
} shoal_count8;
/* Adds c to member m's count, whose byte is byte (255: already in the table), when the
 * sum reaches 255 (the caller then sets the byte to 255). 0 or SHOAL_ENOMEM (b->oom set). */
int shoal_count8_add(shoal_count8 *b, uint32_t m, unsigned byte, uint64_t c);
/* m's count when its byte is 255 */
uint32_t shoal_count8_get(const shoal_count8 *b, uint32_t m);
void shoal_count8_reset(shoal_count8 *b);   /* frees the table, leaves it empty */
/* counters, counts only, exactly into bytes and a table (shoal_count8): added to what
 * they hold; with touched, sets the bit of every member it adds to. */
/* counters: 1 with *d (the latest day of an event the view has seen) when series s keeps
 * the months before d's month as one bucket (a window from the first event reads it in
 * place of those months), 0 when not, or an error */
int shoal_view_counters_before(shoal_reader *r, const char *name, uint32_t s, int64_t *d, shoal_err *err);
int shoal_view_counters_read8(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                              const int64_t *hours, uint32_t n_members, uint8_t *bytes, shoal_count8 *big, uint64_t *touched,
                              shoal_err *err);
/* counters: *text = 1 when an event of series s over local days [day_lo, day_hi) held
 * text in its summed property (the scan refuses to sum it: a sum or avg then reads the
 * log, and gives its error), else 0. Reads the flag bytes of the same buckets. */
int shoal_view_counters_text(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                             const int64_t *hours, int *text, shoal_err *err);
/* counters: 1 with *h0 the first UTC hour (floor(ts / 3600000)) from which the table
 * keeps hour buckets, every later hour whole; 0 when it keeps none (made before them,
 * or appended to since by a shoal that keeps none: until `shoal rebuild`). */
int shoal_view_counters_hours(shoal_reader *r, const char *name, int64_t *h0, shoal_err *err);
/* counters: 1 with *d the latest local day of an event the view has seen when the table
 * keeps series s's month so far (the local days from the start of d's month to d, read
 * as one bucket by the reads above when their days end at d), 0 when it keeps none (a
 * series that sums a property; a table made before them, or appended to since by a
 * shoal that keeps none: until `shoal rebuild`). For EXPLAIN. */
int shoal_view_counters_so_far(shoal_reader *r, const char *name, uint32_t s, int64_t *d, shoal_err *err);
/* counters: 1 with *none set when the table says whether an event of any of its series
 * lies on the instant t, the first of a UTC hour it keeps (*none 1: none does); 0 when
 * it cannot say (t not on the hour, or before the kept hours; a table made before it
 * kept them, or appended to since by a shoal that keeps none), or an error (< 0). */
int shoal_view_counters_instant(shoal_reader *r, const char *name, int64_t t, int *none, shoal_err *err);
/* score: the view's epoch t0 (its raw sums are relative to it), INT64_MIN when it is empty. */
int shoal_view_score_t0(shoal_reader *r, const char *name, int64_t *t0, shoal_err *err);
/* score: raw[m] = Σ w·2^((t−t0)/h) over member m's events (n_members + 1 long), or,
 * with half_life > 0 (the view's), the score as of now: raw·2^((t0−now)/half_life).
 * Every entry is written (0 for members without a kept chunk). */
int shoal_view_score_read(shoal_reader *r, const char *name, uint32_t n_members, double *raw, int64_t *t0,
                          int64_t now, int64_t half_life, shoal_err *err);
/* The same, handed to fn a run of members at a time instead of into an array: the
 * members first.. first + n − 1 (in order, at most 1024 at once) have the values
 * raw[i]·f (raw: the view's own bytes, not aligned, valid during the call). */
typedef void (*shoal_score_fn)(void *ctx, uint32_t first, const double *raw, size_t n, double f);
int shoal_view_score_each(shoal_reader *r, const char *name, uint32_t n_members, int64_t *t0, int64_t now,
                          int64_t half_life, shoal_score_fn fn, void *ctx, shoal_err *err);
/* The same with bounds (view_score.c): bound, when not NULL, holds per
 * SHOAL_SCORE_BOUND_W members from first (a multiple of 1024) a float B (native byte
 * order, not aligned: memcpy it) with |raw[i]| <= B for each of them, or NaN (then
 * nothing is known); NULL for members without a kept chunk and when the table keeps
 * no current bounds (made before them, or appended to since by a shoal that keeps
 * none: until `shoal rebuild`). A bound holds for the raw sums as stored, whatever now. */
#define SHOAL_SCORE_BOUND_W 16
typedef void (*shoal_score_bound_fn)(void *ctx, uint32_t first, const double *raw, const void *bound, size_t n, double f);
int shoal_view_score_bounded(shoal_reader *r, const char *name, uint32_t n_members, int64_t *t0, int64_t now,
                             int64_t half_life, shoal_score_bound_fn fn, void *ctx, shoal_err *err);
/* The fn of shoal_view_score_read: the values into the array ctx (for an fn that
 * does more with each run). */
void shoal_view_score_into(void *ctx, uint32_t first, const double *raw, size_t n, double f);
/* score: the shares of the events from instant `from` on, from the view's hour sums
 * (view_score.c). When the table keeps them and they reach back to the hour boundary
 * B nearest from (hours run (H, H + 1 h]: B is an hour's instant plus 1 ms), fn gets each kept hour from B on that has events (start: its first
 * instant; e: n entries of 12 bytes, u32 LE member then f64 LE Σ w·2^((t − start)/h),
 * members ascending, not aligned), and the log's part is [*log_lo, *log_hi): the
 * events in [from, B) to take out as well (*add 0), or those in [B, from), which the
 * hours hold but are before from, to put back (*add 1). Else fn is not called and the
 * log's part is [from, INT64_MAX), *add 0. */
typedef void (*shoal_score_hour_fn)(void *ctx, int64_t start, const unsigned char *e, size_t n);
int shoal_view_score_hours(shoal_reader *r, const char *name, int64_t from, int64_t *log_lo, int64_t *log_hi,
                           int *add, shoal_score_hour_fn fn, void *ctx, shoal_err *err);
/* score: for each member m[i] (n of them, ascending), the earliest instant at which
 * it can have an event with a share above 0 (the start of its earliest such event's
 * hour, view_score.c's first hours) into from[i]: INT64_MAX when it has none,
 * INT64_MIN when the table keeps no current first hours (made before them, or
 * appended to since by a shoal that keeps none: until `shoal rebuild`). */
int shoal_view_score_firsts(shoal_reader *r, const char *name, const uint32_t *m, size_t n, int64_t *from, shoal_err *err);

/* firstlast (view_firstlast.c): series s's earliest (last = 0) or latest (last = 1)
 * event time of each member that has one in [lo, hi) into t[m], with n[m] = 1 (arrays
 * indexed by member id, n_members + 1 long); n[m] = 0 for the other members of a kept
 * chunk, whose t[m] is then meaningless, and members of chunks not kept are left
 * alone; with touched, sets the bit of every member with a time. A series keeps its first when bit 0 of its
 * weight is set, its last when bit 1 is. */
#define SHOAL_FIRSTLAST_CHUNK 1020
int shoal_view_firstlast_read(shoal_reader *r, const char *name, uint32_t s, int last, int64_t lo, int64_t hi,
                              uint32_t n_members, uint32_t *n, int64_t *t, uint64_t *touched, shoal_err *err);
/* firstlast's cohort index of series s (≥ 1; view_firstlast.c): fn gets each UTC day
 * (days since the epoch, ascending) with members whose first series-0 event a falls in
 * it, and their n entries (d, a): 16 bytes each, little-endian i64, d = b − a for their
 * first series-s event b (INT64_MAX when none), sorted by (d, a); the bytes are not
 * aligned and stay valid until the read txn ends. fn returns 0, or an rc that stops the
 * walk and is returned. Returns SHOAL_ENOTFOUND when the table has no index (made
 * before it, or series s has none), SHOAL_ECORRUPT, SHOAL_ESTORE. */
int shoal_view_firstlast_cohort_each(shoal_reader *r, const char *name, uint32_t s,
                                     int (*fn)(void *ctx, int64_t day, const unsigned char *ents, uint32_t n), void *ctx,
                                     shoal_err *err);
/* retention and activity (view_retention.c; an activity is the active set alone, by
 * local day): one member's record, handed to fn for every member
 * with state in id order; words valid during the call. A set is words lo … lo + n − 1
 * (n 0: empty) of 64 periods of bits (bit P − 64·w of word w for period P), or with
 * AT LEAST n of 8 periods of byte counters (byte P − 8·w). fn returns 0, or an error
 * (in err) that stops the walk and is returned. */
typedef struct shoal_retmember {
    uint32_t member;
    int64_t first;            /* first(…): the earliest cohort event, INT64_MAX none */
    int32_t act_lo, st_lo;    /* active periods; each(…): periods with a start event */
    uint32_t act_n, st_n;
    const uint64_t *act, *st;
} shoal_retmember;
int shoal_view_retention_each(shoal_reader *r, const char *name, int (*fn)(void *ctx, const shoal_retmember *m),
                              void *ctx, shoal_err *err);
/* … for those of members ms[0..n) (ascending) with a record only, reading only their
 * chunks */
int shoal_view_retention_each_of(shoal_reader *r, const char *name, const uint32_t *ms, size_t n,
                                 int (*fn)(void *ctx, const shoal_retmember *m), void *ctx, shoal_err *err);
/* A retention's per-cohort counts (view_retention.c), kept at ingest: cohort period
 * `period` (absolute, as shoal_view_retention_period), its size, and for k = 0 … n − 1
 * the members active in period + k (bnd) and in period + k or later (unb); k at or
 * past n: 0. shoal_view_retention_cohorts hands fn every cohort with counts in [lo, hi]
 * in ascending order (arrays valid during the call); SHOAL_ENOTFOUND (err not set)
 * when the table keeps no counts (made before them). shoal_view_retention_cohort_of:
 * first(…)'s cohort period of each of members (ascending), INT32_MIN for none. */
typedef struct shoal_retcohort {
    int64_t period, size;
    uint32_t n_bnd, n_unb;
    const int64_t *bnd, *unb;
} shoal_retcohort;
int shoal_view_retention_cohorts(shoal_reader *r, const char *name, int64_t lo, int64_t hi,
                                 int (*fn)(void *ctx, const shoal_retcohort *c), void *ctx, shoal_err *err);
/* retention: the members with an event of the view's series in [lo, hi), from its hours
 * (view_retention.c: the last 48 UTC hours, 192 for weeks, up to the latest event; a
 * retention of first(…) cohorts, AT LEAST 1): fn(ctx, member, active, cohort event)
 * for each with either. SHOAL_ENOTFOUND when the hours cannot tell (none kept, or
 * stale, or lo before them, or [lo, hi) inside one hour): the log's to read. */
typedef void (*shoal_rethour_fn)(void *ctx, uint32_t member, int act, int st);
int shoal_view_retention_hours(shoal_reader *r, const char *name, int64_t lo, int64_t hi, shoal_rethour_fn fn, void *ctx,
                               shoal_err *err);
int shoal_view_retention_cohort_of(shoal_reader *r, const char *name, const uint32_t *members, size_t n, int32_t *out,
                                   shoal_err *err);
/* An activity's counts (view_activity.c keeps them; view_retention.c's code): what
 * 0 the members active per local day, 1 and 2 the differences of the members active in
 * the 7 and 30 days ending on a day, 3 the members active per Monday week, 4 per month
 * (periods as shoal_view_retention_period). out[i] is the value at period lo + i, or
 * with prefix the sum of every value up to it (a window's count from its differences).
 * SHOAL_ENOTFOUND (err not set) when the table keeps no counts (made before them). */
enum { SHOAL_AC_DAU, SHOAL_AC_WAU, SHOAL_AC_MAU, SHOAL_AC_WEEK, SHOAL_AC_MONTH };
int shoal_view_activity_counts(shoal_reader *r, const char *name, int what, int64_t lo, int64_t n, int prefix, int64_t *out,
                               shoal_err *err);
/* An activity's kept days (view_retention.c, issue 17: the local days dmax − 1 and
 * dmax, dmax the latest active event's): *dmax, and fn(ctx, member, first, prev) for
 * each member active on local day `day`: the time of their first active event that
 * day and their previous active day (INT64_MIN none), members ascending. No call when
 * day is after dmax (no active event on it). SHOAL_ENOTFOUND (err not set) when the
 * table keeps no current days (made before them, or appended to by a shoal that keeps
 * none) or day is before them: the log's to read. */
#define SHOAL_ACT_DAYS 2
typedef void (*shoal_actday_fn)(void *ctx, uint32_t member, int64_t first, int64_t prev);
int shoal_view_activity_days(shoal_reader *r, const char *name, int64_t day, int64_t *dmax, shoal_actday_fn fn, void *ctx,
                             shoal_err *err);
/* The absolute period of local day `day` for a unit (1 day, 2 week, 3 month): the day,
 * floor((day + 3) / 7) (weeks from Monday), year·12 + month − 1. */
int64_t shoal_view_retention_period(int unit, int64_t day);

/* Rebuilds every view into scratch memory and compares it with the stored state
 * (check.c): differences are reported through problem(ctx, message). */
int shoal_view_check(shoal_reader *r, void (*problem)(void *ctx, const char *msg),
                     void (*note)(void *ctx, const char *msg), void *ctx, uint64_t *n_views, shoal_err *err);

/* ---------------------------------------------------------------- the kind interface */

typedef struct shoal_view shoal_view;

/* How a kind's state is used: hot (maintained per batch in the write transaction) or
 * built (back-fill, rebuild, check: everything in memory, written or compared once). */
typedef struct shoal_view_kind {
    const char *name;
    /* state for v; returns owned state, freed with free_state. SHOAL_ECORRUPT: the
     * definition's parameters do not decode (damage); SHOAL_EVERSION: they are of a
     * format a later shoal wrote, with err naming the view and saying to upgrade
     * (before the database's format was raised for it, an older shoal met them here) */
    int (*new_state)(shoal_view *v, void **out, shoal_err *err);
    void (*free_state)(void *st);
    /* forget everything cached (abort, or another writer moved the table on) */
    void (*reset)(void *st);
    /* hot: load what the kind keeps in memory from the table */
    int (*load)(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err);
    /* one event and the mask of the series it matches (never 0) */
    int (*apply)(shoal_view *v, const shoal_ievent *ev, uint64_t mask, shoal_err *err);
    /* hot: write what the batch dirtied; built (all): write the whole state */
    int (*flush)(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err);
    /* built: compare the whole state with the table, calling problem for differences */
    int (*compare)(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                   shoal_err *err);
    /* NULL, or: 1 when the table was made by an earlier build in a layout this shoal
     * does not keep (its layout mark is missing or older), 0 when it is current, or an
     * error (SHOAL_EVERSION: a later shoal's layout). view.c remakes such a table from
     * the log in the first append's transaction and check does not compare it; its
     * reads (the kind's own) answer from the log until then. */
    int (*outdated)(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err);
    /* NULL, or: the in-memory part of a batch's flush (the refs apply kept, applied to
     * the state by member), touching v's state alone and no transaction, so that
     * shoal_view_end may run it on a second thread while the calling thread flushes the
     * views before v; flush then finds it done. Not called in built mode. */
    int (*prepare)(shoal_view *v, shoal_err *err);
    /* NULL, or: after prepare on that second thread (never the one appending), the
     * flush's reads of the table and what they feed (the counters' merges of their
     * buckets), from rtxn, a read transaction of the snapshot the append's transaction
     * started from (which has not written v's table yet); flush then only writes.
     * Returns 1 when done, 0 when not (flush does it all), or an error. */
    int (*premerge)(shoal_view *v, MDB_txn *rtxn, MDB_dbi dbi, shoal_err *err);
    /* NULL, or: what the table does not keep that this shoal keeps (a part an earlier
     * build made without, or left behind by appending to the table: the answers are
     * still right, read from the log or without a shortcut), a phrase into what (n
     * bytes): 1, 0 when it keeps all, or an error. check notes it with `shoal rebuild`,
     * which makes it; an ingest does not. */
    int (*lacks)(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, char *what, size_t n, shoal_err *err);
} shoal_view_kind;

/* A batch's per-member refs (view_mrefs.c): apply appends, flush sorts them by member
 * (stably: a member's refs stay in the order pushed) and applies them in that order. */
typedef struct shoal_mref {
    int64_t val;        /* the kind's: an event time, a double's bits */
    uint32_t member;
    uint32_t aux;       /* the kind's: a series mask */
} shoal_mref;
typedef struct shoal_mrefs {
    shoal_mref *a, *tmp;
    size_t n, cap;
    uint32_t max;       /* the largest member pushed since the clear */
} shoal_mrefs;
/* Room for one more ref: 0, or -1 when out of memory. */
int shoal_mrefs_grow(shoal_mrefs *r);
/* -1 when out of memory. Inline: called once an event per view of a kind that keeps
 * refs (the call was 10 of its 28 instructions). */
static inline int shoal_mrefs_push(shoal_mrefs *r, uint32_t member, int64_t val, uint32_t aux)
{
    if (r->n == r->cap && shoal_mrefs_grow(r)) return -1;
    shoal_mref *e = &r->a[r->n++];
    e->val = val;
    e->member = member;
    e->aux = aux;
    if (member > r->max) r->max = member;
    return 0;
}
/* The refs sorted by member, n of them; NULL when out of memory. */
const shoal_mref *shoal_mrefs_sort(shoal_mrefs *r);
void shoal_mrefs_clear(shoal_mrefs *r);
void shoal_mrefs_free(shoal_mrefs *r);

extern const shoal_view_kind shoal_view_counters;
extern const shoal_view_kind shoal_view_score;
extern const shoal_view_kind shoal_view_firstlast;
extern const shoal_view_kind shoal_view_retention;
extern const shoal_view_kind shoal_view_activity;
extern const shoal_view_kind shoal_view_experiment;

/* A live view: definition, resolved ids, the kind's state. */
struct shoal_view {
    shoal_viewdef def;
    shoal_arena *a;            /* the definition's strings */
    const shoal_view_kind *kind;
    void *st;
    struct shoal_tz *tz;
    char dbname[80];           /* "v." + name */
    uint64_t seq;              /* the log sequence the in-memory state reflects */
    uint64_t flush_seq;        /* the sequence the flush under way writes into the header
                                * (a kind stamps keys of its own with it: view_counters.c) */
    int64_t t0, max_ts;        /* header fields kinds may use */
    int loaded;                /* hot state matches the table at seq */
    int built;                 /* built mode (back-fill, rebuild, check), else hot */
    shoal_db *db;
    /* per-batch classification of type and property ids (reset every batch, so ids
     * interned by an aborted transaction are never trusted) */
    uint64_t *type_mask;       /* by type id */
    uint8_t *type_known;
    uint32_t n_type_cache;
    int16_t *prop_slot;        /* by property id: index into prop_names, -1 none, -2 unknown */
    uint32_t n_prop_cache;
    shoal_str *prop_names;     /* every property a filter or sum names */
    uint32_t n_prop_names;
    int32_t *sum_slot;         /* per series: prop_names index of sum_prop, -1 none */
    MDB_txn *txn;              /* for dictionary lookups while classifying */
    MDB_dbi dbi;               /* its table, as the append's transaction opened it */
    int no_premerge;           /* the append's transaction wrote the table before its flush */
    void *extra;               /* view.c's compiled filters */
};

/* The header every view table holds under key SHOAL_VIEW_HDR: format u8, seq BE u64,
 * t0 and max_ts BE u64 (sign-flipped). */
#define SHOAL_VIEW_HDR 0xFF
/* Views (each its own LMDB table v.<name>) a database holds at most; the environment
 * has room for them, the six core tables and spare slots (SHOAL_MAXDBS, db.c), so that
 * every process can open every table. CREATE of one more is refused (view.c). */
#define SHOAL_MAX_VIEWS 240
#define SHOAL_MAXDBS (SHOAL_MAX_VIEWS + 16)
#define SHOAL_VIEW_HDR_LEN 25

/* The value of series s's summed property in ev, when it has a numeric one. Returns 1
 * with the value (is_num: not integral), 2 when it holds text, else 0. */
int shoal_view_sum_value(shoal_view *v, uint32_t s, const shoal_ievent *ev, int64_t *i, double *d, int *is_num);

/* ---------------------------------------------------------------- experiments */

/* An experiment's view (view_experiment.c). Its series: 0 the exposures, 1..arms the
 * exposures naming each declared arm, arms + 1 those naming any arm, then the events
 * its accumulators read. Its params (shoal_expview_params_encode) say the salt, the
 * weights, and per accumulator its series, window relative to the unit's first
 * exposure and transform; the pairs whose cross products the arms keep. */
#define SHOAL_EXP_MAX_ARMS 16
#define SHOAL_EXP_MAX_ACC 46
#define SHOAL_EXP_MAX_PAIRS 64
/* The view is exact for exposures at most this far behind the latest event. */
#define SHOAL_EXP_LATE_MS (30 * 86400000LL)

typedef struct shoal_expacc {
    uint32_t series;      /* the series whose events it counts or sums (its sum_prop) */
    int64_t lo, hi;       /* the window [anchor + lo, anchor + hi) */
    int conv;             /* 1: a 0/1 conversion, value > thr; 2 (UNIT group): the unit
                             itself, 1 per member (a group's members); series unused */
    int64_t thr;
} shoal_expacc;

typedef struct shoal_expparams {
    shoal_str salt;
    uint32_t n_arms;
    uint32_t weight[SHOAL_EXP_MAX_ARMS];
    uint32_t n_acc;
    shoal_expacc acc[SHOAL_EXP_MAX_ACC];
    uint32_t n_pairs;
    uint8_t pair[SHOAL_EXP_MAX_PAIRS][2];   /* accumulators k < l: Σ x_k·x_l per arm */
    int64_t late_ms;
    int group;            /* UNIT group: the arms' sums are over groups, each the total of
                             its members' values (params format 2) */
} shoal_expparams;

int shoal_expview_params_encode(const shoal_expparams *p, shoal_arena *a, shoal_str *out, shoal_err *err);
/* Returns SHOAL_OK, SHOAL_ECORRUPT (damage), or SHOAL_EVERSION: params of a version a
 * later shoal writes (its first varint past the versions this one reads). */
int shoal_expview_params_decode(shoal_str in, shoal_expparams *p);

/* The per-arm sufficient statistics an experiment's view keeps, in a reader's
 * snapshot: per arm its units, per accumulator Σx and Σx² (sx[arm·n_acc + k]), per
 * pair Σx_k·x_l (sxy[arm·n_pairs + j]), exact; the units exposed, in two arms, in an
 * undeclared arm, assigned by the hash, with text in a summed window, and those
 * whose first exposure came too late for the view to be exact. */
typedef struct shoal_expview_stats {
    uint32_t n_arms, n_acc, n_pairs;
    int64_t n[SHOAL_EXP_MAX_ARMS];
    shoal_xsum *sx, *sxx, *sxy;
    int64_t exposed, two_arms, unknown_arm, by_hash, text, inexact;
    /* UNIT group (group 1): n and the sums are over groups; members exposed in two
     * groups, without a group, and the groups whose members came in two arms */
    int group;
    int64_t two_groups, no_group, groups_two_arms;
    uint64_t seq;          /* the log sequence it reflects */
    int64_t max_ts;        /* the latest event time it has seen (INT64_MIN: none) */
    int outdated;          /* 1: made by an earlier build in another layout (no layout
                              mark): nothing else was read, the log answers */
} shoal_expview_stats;
int shoal_view_experiment_read(shoal_reader *r, const char *name, shoal_arena *a, shoal_expview_stats *out,
                               shoal_err *err);
/* The same as of cut (the events after it not seen; out: the whole log's, as read by
 * shoal_view_experiment_read in the same snapshot), from every unit's record: a unit
 * counted when first exposed at or before cut, in the arms its exposures named by then,
 * its values over its windows cut after cut; inexact counts those so counted whose
 * windows the view may not hold whole. def: the view's definition. */
int shoal_view_experiment_read_at(shoal_reader *r, const char *name, const shoal_viewdef *def, int64_t cut,
                                  volatile int *cancel, shoal_expview_stats *out, shoal_err *err);
/* The one hash assignment (the view and query/experiment.c): XXH3_64bits(salt ‖ 0x00 ‖ member) mod the
 * weights' sum into the arms' cumulative weights. */
uint64_t shoal_exp_hash(const char *salt, size_t salt_len, const char *member, size_t member_len);
int shoal_exp_arm_of_hash(const uint32_t *weight, uint32_t n_arms, uint64_t h);

/* Counters table keys: [series u8][day BE u32, sign flipped]. */
#define SHOAL_COUNTERS_KEY 5

#endif /* SHOAL_INT_H */
