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
#include <stdbool.h>
#include <string.h>

/* ================================================================ format */

/* Version of the on-disk format, kept in meta under "format". A database with a larger
 * number is refused; a smaller one would be upgraded here when there is one. */
#define SHOAL_FORMAT_VERSION 1

/* Default initial map size; the map doubles whenever a batch finds it full. */
#define SHOAL_DEFAULT_MAP_SIZE ((size_t)1 << 30)

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
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
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

/* An event with its strings resolved to dictionary ids, ready to encode. */
typedef struct shoal_ievent {
    int64_t ts;
    uint32_t member, type, group;
    int has_id;
    shoal_str id;
    uint32_t n_props;
    shoal_rprop *props;   /* sorted by key id */
} shoal_ievent;

/* Upper bound of the packed size of ev. */
size_t shoal_codec_bound(const shoal_ievent *ev);
/* Packs ev into p (at least shoal_codec_bound bytes). Returns the length. */
size_t shoal_codec_encode(const shoal_ievent *ev, unsigned char *p);
/* Decodes the header of a packed record. Returns SHOAL_OK or SHOAL_ECORRUPT. */
int shoal_codec_decode(const unsigned char *p, size_t n, shoal_rec *rec);

/* True when an integral double must be stored as SHOAL_VAL_INT (canonical numbers). */
bool shoal_num_is_int(double d, int64_t *out);

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
int shoal_dict_lookup_id(shoal_db *db, MDB_txn *txn, int ns, const char *s, size_t len, uint32_t *out, shoal_err *err);

/* Dictionary keys in the dict database: forward [ns][string] -> BE u32 id, reverse
 * [ns | 0x80][BE u32 id] -> string. */
#define SHOAL_DICT_REV 0x80

/* ================================================================ the database (db.c) */

struct shoal_db {
    MDB_env *env;
    MDB_dbi dbi_log, dbi_ids, dbi_dict, dbi_meta;
    char *path;
    unsigned flags;
    size_t map_size;
    shoal_dict *dict;
    unsigned char *scratch;   /* encode buffer for appends, grown as needed */
    bool saw_dups;            /* the last batch had duplicates: look keys up first */
    size_t n_scratch;
};

struct shoal_reader {
    shoal_db *db;
    MDB_txn *txn;
    uint64_t last_seq;
    uint32_t counts[SHOAL_NS_COUNT];
};

/* Sets err from an LMDB rc: SHOAL_ESTORE with sys = rc and a message naming what. */
int shoal_store_err(shoal_err *err, int rc, const char *what);

/* Begins a write transaction, handling MDB_MAP_RESIZED (another process grew the map). */
int shoal_db_txn_begin(shoal_db *db, unsigned flags, MDB_txn **out, shoal_err *err);

/* Doubles the map size. No transaction of this process may be open. */
int shoal_db_grow(shoal_db *db, shoal_err *err);

/* meta access inside a transaction. */
int shoal_meta_get(shoal_db *db, MDB_txn *txn, const char *key, MDB_val *out);
int shoal_meta_put(shoal_db *db, MDB_txn *txn, const char *key, const void *val, size_t n, shoal_err *err);

/* shoal_append for callers that have already passed every event through
 * shoal_event_check (the ingest driver), so the batch is not validated twice. */
int shoal_log_append(shoal_db *db, const shoal_event *evs, size_t n, bool checked, shoal_append_stats *st,
                     shoal_err *err);

/* Last sequence in the log as seen by txn (0 when empty). */
int shoal_log_last_seq(shoal_db *db, MDB_txn *txn, uint64_t *out, shoal_err *err);

#endif /* SHOAL_INT_H */
