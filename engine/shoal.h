/* shoal.h — the public API of the shoal engine (libshoal.a).
 *
 * shoal keeps community events in an append-only log inside one LMDB environment
 * (a directory). This header is all that cli/ and embedding programs use: open a
 * database, append batches of events, read the log back through snapshots, look up
 * interned strings, and check consistency. Library code never prints or exits.
 *
 * Threading: a shoal_db and everything opened from it is used by one thread at a
 * time. Several processes may open the same database: LMDB serialises writers and
 * readers never block them.
 */
#ifndef SHOAL_H
#define SHOAL_H

#include <stddef.h>
#include <stdint.h>

#define SHOAL_VERSION "0.1.0"

/* ---------------------------------------------------------------- errors */

/* Return codes. Every fallible function returns 0 or one of these (negative). */
enum {
    SHOAL_OK = 0,
    SHOAL_ESYNTAX = -1,    /* malformed query text */
    SHOAL_ESEMANTIC = -2,  /* well-formed but meaningless (unknown name, bad type) */
    SHOAL_ENOMEM = -3,     /* allocation failed */
    SHOAL_EIO = -4,        /* operating system I/O error; err->sys holds errno */
    SHOAL_ESTORE = -5,     /* LMDB error; err->sys holds the LMDB rc */
    SHOAL_EFORMAT = -6,    /* malformed input record (ingest) */
    SHOAL_ECANCEL = -7,    /* cancelled by the caller (Ctrl-C) */
    SHOAL_EVERSION = -8,   /* database written by a newer, incompatible shoal */
    SHOAL_ENOTFOUND = -9,  /* no such database, string, record or setting */
    SHOAL_EINVAL = -10,    /* invalid argument */
    SHOAL_ECORRUPT = -11,  /* stored data is inconsistent (shoal_db_check) */
    SHOAL_ERANGE = -12     /* value out of the supported range */
};

/* Details of the first error. Callers provide it (or NULL when they only want rc).
 * off/len is the byte span in the source text the error is about, -1 when none.
 * msg never contains a position: renderers add it. */
typedef struct shoal_err {
    int code;
    int sys;
    int off, len;
    char msg[256];
} shoal_err;

/* Returns a static string that starts with the code's name, e.g. "SHOAL_ESTORE: ...". */
const char *shoal_strerror(int rc);

/* Resets err to "no error". err may be NULL. */
void shoal_err_clear(shoal_err *err);

/* Records an error unless err already holds one (first error wins).
 * Returns: code, so that `return shoal_err_set(...)` reads naturally. */
int shoal_err_set(shoal_err *err, int code, int off, int len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Quotes at most 40 bytes of s[0..len) into buf for an error message: printable ASCII
 * as is, '"' and '\\' escaped, anything else as \xHH, "..." when cut. buf needs 200
 * bytes. Returns: buf. */
const char *shoal_err_quote(char *buf, size_t n_buf, const char *s, size_t len);

/* Renders err as "NAME:LINE:COL: error: MSG\n<source line>\n<caret>\n" when it has a
 * position inside src, or "NAME: error: MSG\n" otherwise, into buf (always NUL-terminated,
 * truncated to n). src may be NULL. Returns: the length that was needed. */
size_t shoal_err_render(const shoal_err *err, const char *name, const char *src, size_t n_src,
                        char *buf, size_t n);

/* ---------------------------------------------------------------- memory */

/* The one allocation choke point. Tests may install a failing allocator. */
void *shoal_malloc(size_t n);
void *shoal_realloc(void *p, size_t n);
void shoal_free(void *p);
/* A zeroed array of n bytes for large dense state (huge pages where the system has
 * them); freed with shoal_free_big only. */
void *shoal_zalloc_big(size_t n);
void shoal_free_big(void *p);
/* Big arrays kept from one statement for the next (a session's): a reused one costs a
 * memset, a fresh one a page fault and the kernel's zeroing per page, which were a
 * sixth of a view-backed query over 300k members. Those of 256 KB to 1 MB come side by
 * side from huge pages the cache keeps (engine/mem.c's slabs). Both calls take a NULL
 * cache (then they are shoal_zalloc_big and shoal_free_big). */
typedef struct shoal_bigcache shoal_bigcache;
shoal_bigcache *shoal_bigcache_new(void);           /* NULL when out of memory */
void shoal_bigcache_free(shoal_bigcache *c);        /* gives every kept array back */
void *shoal_bigcache_zalloc(shoal_bigcache *c, size_t n);
/* … not zeroed, for an array its filler writes whole (a score read from its view). */
void *shoal_bigcache_alloc(shoal_bigcache *c, size_t n);
void shoal_bigcache_put(shoal_bigcache *c, void *p);   /* p from either; NULL is nothing */
/* frees kept arrays, the largest first, until at most bytes are kept; the bytes kept */
size_t shoal_bigcache_trim(shoal_bigcache *c, size_t bytes);

/* The program's heap policy for a statement that keeps per-member state of many
 * members (some 100 or more fresh pages of heap: its tail's shares, its rows, its
 * sort's), called at most once a statement, before its arrays are made (the CLI gives
 * its heap huge pages then: cli/main.c heap_skip). fn returns 1 when what the heap
 * gives from then on lies in huge pages: the arrays of 256 KB to 1 MB then come from
 * the heap, beside the statement's other allocations, rather than from the cache's
 * slabs (a huge page of their own), until the next hint says otherwise. NULL (the
 * default, or set so again): nothing, and such arrays from the slabs. A program that
 * runs statements on several threads at once should set none (the CLI runs one). */
void shoal_mem_set_heap_hint(int (*fn)(void));
void shoal_mem_heap_hint(void);

/* Bump-pointer arena: everything allocated from it is freed at once by
 * shoal_arena_reset or shoal_arena_free, never one by one. */
typedef struct shoal_arena shoal_arena;
shoal_arena *shoal_arena_new(void);                 /* returns owned; free with shoal_arena_free */
void shoal_arena_free(shoal_arena *a);
void shoal_arena_reset(shoal_arena *a);             /* keeps the first chunk for reuse */
void *shoal_arena_alloc(shoal_arena *a, size_t n);  /* 16-byte aligned; NULL on ENOMEM */
char *shoal_arena_strndup(shoal_arena *a, const char *s, size_t n); /* NUL-terminated copy */
size_t shoal_arena_used(const shoal_arena *a);      /* bytes handed out since the last reset */

/* The closest of some names to one that names nothing, for "did you mean" (closest.c):
 * each candidate is offered in turn, and the closest within a third of name's length
 * (at least one edit; Levenshtein distance) is kept, the first of equals; failing
 * that, the first of which name is the leading '_'-separated words ("monthly" of
 * "monthly_retention"). name is borrowed until the last offer. */
typedef struct shoal_closest {
    const char *name;
    size_t n, max, best;
    char found[256], part[256];
} shoal_closest;
void shoal_closest_init(shoal_closest *c, const char *name);
/* Offers cand (n bytes; name itself is never kept). Returns 1 when none can come closer. */
int shoal_closest_offer(shoal_closest *c, const char *cand, size_t n);
/* The closest name offered, NUL-terminated (valid while c lives), or NULL when none was close. */
const char *shoal_closest_get(const shoal_closest *c);

/* ---------------------------------------------------------------- events */

/* A string slice: not NUL-terminated; ptr may be NULL when len is 0. */
typedef struct shoal_str {
    const char *ptr;
    uint32_t len;
} shoal_str;

/* Kinds of property values. */
enum {
    SHOAL_VAL_BOOL = 1,
    SHOAL_VAL_INT = 2,  /* int64; integral JSON numbers, including 2.0 */
    SHOAL_VAL_NUM = 3,  /* finite double that is not integral */
    SHOAL_VAL_STR = 4
};

typedef struct shoal_prop {
    shoal_str key;
    int kind;
    union {
        int b;
        int64_t i;
        double d;
        shoal_str s;
    } v;
} shoal_prop;

/* One event in string form: what readers produce and what shoal_append takes.
 * has_id == 0 means the event carries no id; its idempotency key is then a hash of
 * the canonical event. group.ptr == NULL means no group. */
typedef struct shoal_event {
    int has_id;
    shoal_str id;
    int64_t ts;        /* event time, Unix epoch milliseconds, UTC */
    shoal_str member;
    shoal_str type;
    shoal_str group;
    uint32_t n_props;
    shoal_prop *props;
} shoal_event;

/* Limits on event fields, enforced by shoal_event_check. */
#define SHOAL_MAX_NAME 255          /* bytes in a member, type, group or property name */
#define SHOAL_MAX_ID 255            /* bytes in an event id */
#define SHOAL_MAX_PROPS 64          /* properties per event */
#define SHOAL_MAX_STRVAL 65536      /* bytes in a string property value */
#define SHOAL_INLINE_STRVAL 64      /* longer string values are stored inline, not interned */
#define SHOAL_TS_MIN (-2208988800000LL) /* 1900-01-01T00:00:00Z */
#define SHOAL_TS_MAX (7258118400000LL)  /* 2200-01-01T00:00:00Z (exclusive) */

/* Checks an event against the limits above and the field rules (non-empty member and
 * type, valid UTF-8 in every string, no duplicate or reserved property names).
 * Returns: SHOAL_OK or SHOAL_EFORMAT with err->msg saying what is wrong. */
int shoal_event_check(const shoal_event *ev, shoal_err *err);

/* Parses an ISO-8601 timestamp ("2025-03-04T09:00:12+08:00", "...Z", optional fraction,
 * "T" or " " between date and time) or a plain date ("2025-03-04", midnight UTC) into
 * epoch ms. Returns: SHOAL_OK, SHOAL_EFORMAT (bad syntax) or SHOAL_ERANGE. */
int shoal_ts_parse(const char *s, size_t len, int64_t *out_ms, shoal_err *err);

/* Flags of shoal_ts_parse_ex. */
#define SHOAL_TS_NAIVE 0x1  /* accept a date-time without zone: its wall-clock time, read as UTC */
#define SHOAL_TS_HHMM 0x2   /* the seconds may be left out ("2025-03-04 09:00") */

/* shoal_ts_parse with options, for readers of zone-less sources and for the language.
 * [out] zoned  may be NULL; 1 when the text named Z or an offset, 0 for a plain date or
 *              a naive date-time (whose value is then its wall-clock time as if UTC, for
 *              the caller to place in a time zone).
 * Returns: as shoal_ts_parse. */
int shoal_ts_parse_ex(const char *s, size_t len, unsigned flags, int64_t *out_ms, int *zoned, shoal_err *err);

/* Formats epoch ms as "YYYY-MM-DDTHH:MM:SS[.mmm]Z" (fraction only when non-zero).
 * buf needs 32 bytes. Returns: the length written. */
size_t shoal_ts_format(int64_t ms, char *buf);

/* ---------------------------------------------------------------- database */

typedef struct shoal_db shoal_db;

#define SHOAL_OPEN_RDONLY 0x1  /* read only; never creates */
#define SHOAL_OPEN_CREATE 0x2  /* create the directory and database when missing */
#define SHOAL_OPEN_NOSYNC 0x4  /* do not fsync at commit: fast bulk loads, not crash-durable */
/* With SHOAL_OPEN_RDONLY: when the lock file cannot be opened for writing (a database
 * the user may read but not write), read without LMDB's locks. Only safe when nobody
 * writes the database meanwhile: a writer does not see such a reader and may reuse the
 * pages it is reading. */
#define SHOAL_OPEN_NOLOCK 0x8

/* Opens (or creates) the database in directory path. A database is created (with
 * SHOAL_OPEN_CREATE) only in a new or empty directory; an LMDB environment that is not
 * a shoal database is refused, never written to; data.mdb is checked against its meta
 * page first (a truncated file or a damaged meta page is SHOAL_ECORRUPT, naming it).
 * [in]  map_size  initial LMDB map size in bytes, 0 for the default (1 GiB); the map
 *                 grows by itself when full.
 * [out] out       the handle; returns owned, close with shoal_db_close.
 * Returns: SHOAL_OK, SHOAL_ENOTFOUND (no database and no CREATE), SHOAL_EVERSION (a newer
 * format), SHOAL_EINVAL (not a directory, not a shoal database, a directory holding other
 * files), SHOAL_ECORRUPT (damaged), SHOAL_EIO, SHOAL_ESTORE. */
int shoal_db_open(const char *path, unsigned flags, size_t map_size, shoal_db **out, shoal_err *err);

/* As shoal_db_open, with a cancel flag (Ctrl-C): when *cancel becomes non-zero, the
 * open's walks of the file's pages (all of them for a data.mdb shorter than its meta
 * page says: seconds on a large file) and then the handle's long work (a view's
 * back-fill at CREATE and its rebuild, shoal_db_check's walk and views) stop with
 * SHOAL_ECANCEL, leaving the database as it was.
 * [in] cancel  may be NULL; borrowed: it must outlive the handle.
 * Returns: as shoal_db_open, and SHOAL_ECANCEL. */
int shoal_db_open_cancel(const char *path, unsigned flags, size_t map_size, volatile int *cancel, shoal_db **out,
                         shoal_err *err);

/* Closes the handle. Open readers must be closed first. db may be NULL. */
void shoal_db_close(shoal_db *db);

/* Progress of long operations (a view's back-fill or rebuild): fn is called from the
 * calling thread now and then, and once at the end, with what is being done (the view's
 * name, valid for the call), the records done and the records in all. NULL turns it off.
 * The library prints nothing itself; a program shows it where it likes. */
typedef void (*shoal_progress_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);
void shoal_db_set_progress(shoal_db *db, shoal_progress_fn fn, void *ctx);

/* The database's directory, as given to shoal_db_open. Valid until close. */
const char *shoal_db_path(const shoal_db *db);

/* Current size of the LMDB map (the address space reserved, not the file size). */
size_t shoal_db_map_size(const shoal_db *db);

/* Bytes the database's files occupy on disk. */
int shoal_db_disk_size(const shoal_db *db, uint64_t *out, shoal_err *err);

/* The readers of the database (LMDB's reader table), other than this process's.
 * A reader sees the snapshot of transaction txnid; the pages freed since cannot be
 * reused while it lasts, so a reader left open (or stopped) makes the file grow. */
typedef struct shoal_reader_slot {
    long pid;
    uint64_t txnid;
    uint64_t behind;        /* transactions committed since its snapshot */
    uint64_t pinned_bytes;  /* freed pages it keeps from reuse */
} shoal_reader_slot;
#define SHOAL_MAX_READER_SLOTS 256
typedef struct shoal_readers {
    int n;                  /* slots in use by other processes (at most SHOAL_MAX_READER_SLOTS shown) */
    int nolock;             /* opened without locks (SHOAL_OPEN_NOLOCK): readers are unknown */
    unsigned reclaimed;     /* slots of killed readers freed when this handle opened */
    uint64_t last_txnid;
    shoal_reader_slot slot[SHOAL_MAX_READER_SLOTS];
} shoal_readers;
int shoal_db_readers(shoal_db *db, shoal_readers *out, shoal_err *err);

/* Settings kept in meta, as strings. Known keys: "timezone" (IANA name, default "UTC").
 * shoal_db_setting_get copies the value into buf (NUL-terminated) and returns
 * SHOAL_ENOTFOUND when unset. shoal_db_setting_set commits in its own transaction. */
int shoal_db_setting_get(shoal_db *db, const char *key, char *buf, size_t n, shoal_err *err);
int shoal_db_setting_set(shoal_db *db, const char *key, const char *val, shoal_err *err);

/* ---------------------------------------------------------------- append */

typedef struct shoal_append_stats {
    uint64_t n_added;    /* new events appended */
    uint64_t n_dup;      /* events skipped because the same event is already in the log */
    uint64_t n_conflict; /* events skipped because their id is in the log (or earlier in
                            the batch) with different content: a producer's bug */
    uint64_t first_seq;  /* sequence of the first appended event, 0 when none */
    uint64_t last_seq;   /* sequence of the last event in the log after the batch */
} shoal_append_stats;

/* Appends a batch of events in one write transaction: log records, id index, new
 * dictionary entries and (later) every view update commit together or not at all.
 * When the call returns SHOAL_OK the batch is durable (unless SHOAL_OPEN_NOSYNC) and
 * acknowledged. Events must have passed shoal_event_check. Events whose key is already
 * in the log, or repeats a key earlier in the same batch, are not appended: counted in
 * n_dup when the same event, in n_conflict when an id names different content (the
 * log keeps the first; only a key found costs this comparison).
 * When the map is full it is grown and the batch retried; nothing is lost.
 * [in]  evs, n   borrowed for the duration of the call.
 * [out] st       may be NULL; counts are for this batch.
 * Returns: SHOAL_OK, SHOAL_EINVAL (an event fails shoal_event_check), SHOAL_ESTORE,
 * SHOAL_ENOMEM. On error nothing of the batch is stored. */
int shoal_append(shoal_db *db, const shoal_event *evs, size_t n, shoal_append_stats *st, shoal_err *err);

/* Longest idempotency key, in bytes. */
#define SHOAL_MAX_KEY (1 + SHOAL_MAX_ID)

/* The idempotency key of an event: 'i' and its id's bytes, or, when it has no id, 'h',
 * its timestamp (big-endian) and the xxh3-128 of its canonical form. Both sort in the
 * order events usually arrive (ids are mostly sequential or time-ordered), which keeps
 * the id index's writes local; see docs/ARCHITECTURE.md.
 * [out] out  at least SHOAL_MAX_KEY bytes.
 * Returns: the key's length. */
size_t shoal_event_key(const shoal_event *ev, unsigned char *out);

/* The key db's id index keeps the event under. A database of format 5 or later keys
 * an id that ends in a number of 2 to 18 digits (no leading zero) by that number's
 * value: a byte 0xF7 + b, the id's bytes before the digits, and the value in b
 * big-endian bytes (b as few as it takes), so that a counter's ids ("e-9", "e-10")
 * come in key order. A byte of 0xF5 or more never occurs in UTF-8, so keys of
 * different ids differ. Every other event has shoal_event_key's key.
 * [out] out  at least SHOAL_MAX_KEY bytes. Returns: the key's length. */
size_t shoal_db_event_key(const shoal_db *db, const shoal_event *ev, unsigned char *out);

/* ---------------------------------------------------------------- reading */

/* A reader is a consistent snapshot (an LMDB read transaction): it sees the log as it
 * stood when opened, whatever is appended meanwhile, and never blocks writers.
 * Keep readers short-lived: an open reader keeps old pages from being reused. */
typedef struct shoal_reader shoal_reader;

int shoal_reader_open(shoal_db *db, shoal_reader **out, shoal_err *err); /* close with shoal_reader_close */
void shoal_reader_close(shoal_reader *r);

/* Sequence of the last record in the snapshot; 0 when the log is empty. Sequences
 * start at 1 and are dense. */
uint64_t shoal_reader_last_seq(const shoal_reader *r);

/* Interned string namespaces. Ids are dense from 1 within each; 0 means none. */
enum {
    SHOAL_NS_MEMBER = 1,
    SHOAL_NS_TYPE = 2,
    SHOAL_NS_GROUP = 3,
    SHOAL_NS_PROP = 4,   /* property names */
    SHOAL_NS_STR = 5,    /* string property values up to SHOAL_INLINE_STRVAL bytes */
    SHOAL_NS_COUNT = 6
};

/* Number of strings interned in namespace ns in the snapshot (the largest id). */
uint32_t shoal_dict_count(const shoal_reader *r, int ns);

/* The string with id in ns. out is valid until the database is closed.
 * Returns: SHOAL_OK, SHOAL_ENOTFOUND, SHOAL_ESTORE. */
int shoal_dict_str(shoal_reader *r, int ns, uint32_t id, shoal_str *out, shoal_err *err);
/* The strings of ids[0..n) in ns into out, as shoal_dict_str gives them (an id without
 * one: {NULL, 0}), for a block of rows' names at once (with the names table, a chunk's
 * header read once for the ids in it): how many from the first were had; the id at
 * that count, when < n, could not be read, left to shoal_dict_str to report. */
size_t shoal_dict_strs(shoal_reader *r, int ns, const uint32_t *ids, size_t n, shoal_str *out);
/* The string with id in ns, read from r's snapshot and not kept in the dictionary's
 * cache: for a pass that reads each of many ids once (a join's keys), where filling
 * the cache (hashing, growing its table) costs more than the read. out is valid
 * until r is closed.
 * Returns: SHOAL_OK, SHOAL_ENOTFOUND, SHOAL_ESTORE. */
int shoal_dict_str_once(shoal_reader *r, int ns, uint32_t id, shoal_str *out, shoal_err *err);
/* Calls fn(ctx, id, s, len) for every string of ns in r's snapshot, in the order of
 * their ids (a sequential read of the dictionary, where shoal_dict_str_once is a
 * B-tree search each), stopping at fn's first nonzero return, which it returns. s is
 * valid until r is closed.
 * Returns: SHOAL_OK, fn's value, SHOAL_ESTORE. */
int shoal_dict_each(shoal_reader *r, int ns, int (*fn)(void *ctx, uint32_t id, const char *s, uint32_t len), void *ctx,
                    shoal_err *err);
/* The same from id `from` on (the ids before it are not read). */
int shoal_dict_each_from(shoal_reader *r, int ns, uint32_t from,
                         int (*fn)(void *ctx, uint32_t id, const char *s, uint32_t len), void *ctx, shoal_err *err);
/* A hint that shoal_dict_str(r, ns, id) comes soon: starts loading what it reads, so
 * that a run of lookups waits for memory once, not once each. In two rounds over the
 * ids: text 0 fetches the entry, then text 1 the string it points to. */
void shoal_dict_prefetch_str(shoal_reader *r, int ns, uint32_t id, int text);

/* The id of string s in ns. Returns: SHOAL_OK, SHOAL_ENOTFOUND, SHOAL_ESTORE. */
int shoal_dict_id(shoal_reader *r, int ns, const char *s, size_t len, uint32_t *out, shoal_err *err);

/* A decoded property of a stored record. String values are interned (str_id != 0)
 * or inline (str_id == 0, s points into the record). */
typedef struct shoal_rprop {
    uint32_t key;   /* SHOAL_NS_PROP id */
    int kind;       /* SHOAL_VAL_* */
    union {
        int b;
        int64_t i;
        double d;
        struct { uint32_t id; shoal_str inl; } s;
    } v;
} shoal_rprop;

/* A stored record, decoded lazily: the header fields always, properties on request
 * with shoal_rec_props. Pointers are valid until the next shoal_logcur_next or until
 * the reader is closed. */
typedef struct shoal_rec {
    uint64_t seq;
    int64_t ts;
    uint32_t member, type, group;  /* dictionary ids; group 0 = none */
    int has_id;
    shoal_str id;                  /* as stored: the id's text, or with id_num its packed form
                                      (shoal_rec_event gives the text) */
    int id_num;
    const unsigned char *props;    /* encoded properties (opaque) */
    const unsigned char *end;
} shoal_rec;

/* A cursor over the log of a reader, in sequence order. */
typedef struct shoal_logcur shoal_logcur;

/* Opens a cursor positioned before from_seq (1 = the start).
 * Returns owned; close with shoal_logcur_close before the reader. */
int shoal_logcur_open(shoal_reader *r, uint64_t from_seq, shoal_logcur **out, shoal_err *err);
void shoal_logcur_close(shoal_logcur *c);

/* Moves to the next record and decodes its header into rec.
 * Returns: 1 with a record, 0 at the end, or SHOAL_ESTORE/SHOAL_ECORRUPT. */
int shoal_logcur_next(shoal_logcur *c, shoal_rec *rec, shoal_err *err);

/* Reads one record by sequence. Returns SHOAL_ENOTFOUND when out of range. */
int shoal_log_get(shoal_reader *r, uint64_t seq, shoal_rec *rec, shoal_err *err);

/* Decodes up to max properties of rec into out (in stored order, which is sorted by
 * property id). Returns: the number of properties (which may exceed max: call again
 * with a larger array), or SHOAL_ECORRUPT. */
int shoal_rec_props(const shoal_rec *rec, shoal_rprop *out, int max);

/* Finds the property with id key in rec. Returns 1 and fills out, 0 when absent,
 * or SHOAL_ECORRUPT. */
int shoal_rec_prop(const shoal_rec *rec, uint32_t key, shoal_rprop *out);

/* Turns a stored record back into string form (the inverse of append), with strings
 * borrowed from the dictionary and props stored in arena a.
 * Returns: SHOAL_OK, SHOAL_ENOMEM, SHOAL_ECORRUPT, SHOAL_ESTORE. */
int shoal_rec_event(shoal_reader *r, const shoal_rec *rec, shoal_arena *a, shoal_event *out, shoal_err *err);

/* Looks up the sequence of the event with this key: its own entry in the id index, or
 * the run that covers it (format 8). Returns SHOAL_OK, SHOAL_ENOTFOUND, SHOAL_ECORRUPT
 * (the entry is malformed), SHOAL_ESTORE. */
int shoal_ids_get(shoal_reader *r, const unsigned char *key, size_t len, uint64_t *seq, shoal_err *err);

/* ---------------------------------------------------------------- ingest */

/* Input formats. */
enum {
    SHOAL_FMT_AUTO = 0,   /* by name: "*.csv" is CSV, anything else (and "-") NDJSON */
    SHOAL_FMT_NDJSON = 1,
    SHOAL_FMT_CSV = 2
};

typedef struct shoal_ingest_stats {
    uint64_t n_records;    /* records read: accepted, duplicate or rejected */
    uint64_t n_added;      /* new events appended */
    uint64_t n_dup;        /* events already in the log (or repeated in the input), the same */
    uint64_t n_rejected;   /* records rejected (written to the reject file; conflicts,
                              below, are written there too but not counted here) */
    uint64_t bytes;        /* input bytes consumed */
    uint64_t acked_line;   /* every record up to this input line is committed */
    uint64_t last_seq;     /* last sequence in the log after the last commit */
    uint64_t n_batches;    /* write transactions committed */
    uint64_t n_conflict;   /* events whose id is in the log with different content */
    char rejects_path[4096];   /* the reject file written, "" when none was opened */
} shoal_ingest_stats;

typedef struct shoal_ingest_opts {
    int format;                 /* SHOAL_FMT_* */
    const char *rejects_path;   /* NULL: "<input>.rejects", or "stdin.rejects" for "-" */
    size_t batch;               /* events per write transaction; 0 = 16384 */
    /* Called after each committed batch (st is cumulative for this input). */
    void (*on_commit)(void *ctx, const shoal_ingest_stats *st);
    /* Called for each rejected record: input name, line, reason. */
    void (*on_reject)(void *ctx, const char *name, uint64_t line, const char *reason);
    void *ctx;
    /* When it becomes non-zero, the records read so far are committed and ingest
     * stops with SHOAL_ECANCEL. */
    volatile int *cancel;
    /* 0: two threads where the machine has two cores or more (one reads and parses
     * while the calling thread writes); 1: the calling thread alone. The database
     * and the reject file get the same bytes either way. */
    int threads;
} shoal_ingest_opts;

/* Reads path ("-" for standard input) and appends its events in batches. A bad record
 * goes to the reject file ("file:line: reason" then the record) and the rest go in; the
 * reject file is created (truncated) only when there is a reject.
 * [in]  opts  may be NULL for defaults; borrowed.
 * [out] st    cumulative counts for this input; acked_line tells what is committed even
 *             when an error stops the ingest.
 * The rejects of a batch's lines are on disk (flushed, fsynced unless NOSYNC) before
 * the batch commits; when the reject file cannot be written the batch in progress is
 * not committed (docs/FORMATS.md, "The reject file"). The default reject file, when
 * its directory cannot be written, is made in the working directory; st->rejects_path
 * names the file written.
 * Returns: SHOAL_OK (rejects and conflicts are counted, not errors), SHOAL_EIO (input
 * unreadable or reject file unwritable), SHOAL_EINVAL (the reject file is the input,
 * by any name or link: refused before anything is read), SHOAL_ECANCEL, SHOAL_ESTORE,
 * SHOAL_ENOMEM, SHOAL_EFORMAT (a CSV header that cannot be used). */
int shoal_ingest_file(shoal_db *db, const char *path, const shoal_ingest_opts *opts, shoal_ingest_stats *st,
                      shoal_err *err);

/* Imports a Stack Exchange data dump: the directory dir holding Users.xml and Posts.xml
 * (or Posts.csv, a CSV conversion with the dump's column names), and, when present,
 * Votes.xml, Comments.xml, Badges.xml and PostLinks.xml. Rows become join, post, reply,
 * comment, essence, like_received, dislike_received, moderation, achievement and link
 * events with ids derived from the dump's ids ("se-post-123"), so importing twice adds
 * nothing; docs/FORMATS.md gives the mapping. A row that is malformed or cannot be
 * placed (no member, a post not in the dump) goes to the reject file ("file:line:
 * reason" then the row) and the rest go in; opts->rejects_path NULL means
 * "<basename of dir>.rejects" in the current directory. opts->format is ignored.
 * [in]  opts  may be NULL for defaults; borrowed.
 * [out] st    n_records counts source rows read (each file once), bytes their size;
 *             acked_line is a line of whichever file was being read, so after an
 *             error re-run the import instead: what is in is skipped.
 * Returns: SHOAL_OK (rejects are counted, not errors), SHOAL_ENOTFOUND (no such
 * directory, or no Users or Posts file), SHOAL_EINVAL (the reject file is one of the
 * dump's files), SHOAL_EIO, SHOAL_EFORMAT (an XML file that is
 * not well-formed, or an unusable CSV header; what was read before is committed),
 * SHOAL_ECANCEL, SHOAL_ESTORE, SHOAL_ENOMEM. */
int shoal_import_stackexchange(shoal_db *db, const char *dir, const shoal_ingest_opts *opts, shoal_ingest_stats *st,
                               shoal_err *err);

/* ---------------------------------------------------------------- views */

/* Rebuilds view name (NULL: every view) from the log: replays it into memory from a
 * snapshot, then swaps the result in with the events appended meanwhile, in one write
 * transaction (docs/ARCHITECTURE.md, "Views"). Views are created and dropped through the
 * query language (CREATE COUNTERS, CREATE SCORE, DROP VIEW).
 * [out] n_views  how many were rebuilt.
 * Returns: SHOAL_OK, SHOAL_ENOTFOUND (no such view), SHOAL_EINVAL (read-only),
 * SHOAL_ESTORE, SHOAL_ENOMEM. */
int shoal_view_rebuild(shoal_db *db, const char *name, uint64_t *n_views, shoal_err *err);

/* Calls fn with the name of every view, layer and tiers of the snapshot (for listings
 * and completion), views first, each group in name order; name is valid for the call.
 * Returns: SHOAL_OK, SHOAL_ESTORE. */
int shoal_view_names(shoal_reader *r, void (*fn)(void *ctx, const char *name, size_t n), void *ctx,
                     shoal_err *err);

/* ---------------------------------------------------------------- check */

typedef struct shoal_check_report {
    uint64_t n_records;   /* records in the log */
    uint64_t n_ids;       /* ids in the id index: its entries' lengths summed (a run's, 1 another's) */
    uint64_t n_id_entries;   /* the id index's entries (a run of ids is one, format 8) */
    uint32_t n_strings[SHOAL_NS_COUNT];
    uint64_t n_views;     /* views rebuilt in memory and compared with their stored state */
    uint64_t n_problems;  /* inconsistencies found; 0 means the database is sound */
    char first_problem[256];
    int pages_damaged;    /* LMDB's pages are damaged: nothing else was read (the counts are 0) */
    /* What is sound but wants an action: a view an earlier build made in a layout this
     * shoal does not keep (not compared, answered from the log until remade), with
     * what to run. Not problems: n_problems stays 0 for them. */
    uint64_t n_notes;
    char first_note[256];
} shoal_check_report;

/* Verifies first that LMDB's B-trees are sound (walked with pread, before LMDB reads
 * them) and its pages add up; then that log, ids and dict agree: sequences are dense, every record decodes,
 * every id entry maps to a record carrying that key and every record's key maps back,
 * both directions of the dictionary match and every interned id resolves; and that
 * every view, rebuilt from the log into scratch memory, equals its stored state and
 * reflects the log's last sequence.
 * Returns: SHOAL_OK (see rep->n_problems), or a store error. */
int shoal_db_check(shoal_db *db, shoal_check_report *rep, shoal_err *err);

/* ---------------------------------------------------------------- queries */

/* The query language (query/): a session over an open database runs statement text in,
 * formatted rows out. A session holds what lasts between statements: the output format,
 * timing, a fixed "now" (SET NOW), the cancel flag and the output callback. Each
 * statement is parsed, resolved, planned and executed in its own arena, freed before the
 * next one. The library never prints: formatted output goes through the caller's write
 * callback. docs/LANGUAGE.md is the language's reference. */

/* Output formats. */
enum {
    SHOAL_OUT_TABLE = 1,     /* aligned columns with a row count */
    SHOAL_OUT_CSV = 2,       /* RFC 4180 with a header row */
    SHOAL_OUT_JSON = 3,      /* one JSON array of objects */
    SHOAL_OUT_NDJSON = 4,    /* one JSON object per line */
    SHOAL_OUT_MARKDOWN = 5   /* a GitHub-flavoured markdown table */
};

/* Receives output bytes. Returns 0, or non-zero to stop the statement (SHOAL_EIO). */
typedef int (*shoal_write_fn)(void *ctx, const char *buf, size_t n);

typedef struct shoal_session shoal_session;

/* Opens a session over db (borrowed: close the session first). The time zone is read
 * from the database's "timezone" setting at each statement.
 * [out] out  returns owned; free with shoal_session_free.
 * Returns: SHOAL_OK, SHOAL_ENOMEM. */
int shoal_session_new(shoal_db *db, shoal_session **out, shoal_err *err);
void shoal_session_free(shoal_session *s);

/* Where formatted output goes (default: nowhere). */
void shoal_session_set_output(shoal_session *s, shoal_write_fn fn, void *ctx);
/* SHOAL_OUT_*. */
void shoal_session_set_format(shoal_session *s, int format);
/* Table format only: shows the first n rows of a result (0, the default: all) and
 * then "… N more rows (hint)", keeping only those n rows in memory. hint is copied. */
void shoal_session_set_max_rows(shoal_session *s, uint64_t n, const char *hint);
uint64_t shoal_session_max_rows(const shoal_session *s);
int shoal_session_format(const shoal_session *s);
/* The name of the time zone statements run in: the session's (SET TIMEZONE), else the
 * database's default (SET DATABASE TIMEZONE), else "UTC". Static or session-owned:
 * valid until the next statement. */
const char *shoal_session_timezone(shoal_session *s);
/* Reports each statement's time through the status callback when on. */
void shoal_session_set_timing(shoal_session *s, int on);
int shoal_session_timing(const shoal_session *s);
/* The memory budget of a statement's groups, sorted rows and window rows, in bytes
 * (SET MEMORY_LIMIT): past it, grouping is redone in hash partitions and a sort writes
 * sorted runs to temporary files ($TMPDIR, else /tmp). 0: the default, half of the
 * machine's memory. shoal_session_memory_limit gives the budget in force. */
void shoal_session_set_memory_limit(shoal_session *s, uint64_t bytes);
uint64_t shoal_session_memory_limit(const shoal_session *s);
/* A size such as "256MB", "1.5GB", "4096" (bytes) or "512KiB" (units of 1024: B, KB,
 * MB, GB, TB, with or without the i) into *out: 0, or -1 when it is not one (or 0). */
int shoal_query_size_parse(const char *text, uint64_t *out);
/* Status lines, never part of the formatted output: what a CREATE, DROP or SET did
 * (SHOAL_STATUS_TAG: "CREATE COUNTERS activity (back-filled 40000 events)",
 * "DROP VIEW engagement", "SET TIMEZONE = 'Asia/Shanghai'", like psql's command tags)
 * and, with timing on, each statement's time (SHOAL_STATUS_TIME: "Time: 1.234 ms"),
 * after the statement's output. line has no newline and lives for the call. */
/* SHOAL_STATUS_WARN: a CREATE that names event types or properties no event has yet
 * ("warning: layer connector names what no event has yet: referral (misspelt?)"). */
enum { SHOAL_STATUS_TAG = 1, SHOAL_STATUS_TIME = 2, SHOAL_STATUS_WARN = 3 };
typedef void (*shoal_status_fn)(void *ctx, int kind, const char *line);
/* Where status lines go (default: nowhere). */
void shoal_session_set_status(shoal_session *s, shoal_status_fn fn, void *ctx);
/* While *flag is non-zero the running statement stops with SHOAL_ECANCEL. Borrowed. */
void shoal_session_set_cancel(shoal_session *s, volatile int *flag);

/* A second output: every result is also written in format (SHOAL_OUT_*) to fn, as
 * the same rows (a batch job writes CSV and JSON of each result). format 0: none. */
void shoal_session_set_tee(shoal_session *s, int format, shoal_write_fn fn, void *ctx);

/* Told before each statement of shoal_query_run runs, with its byte span in the text:
 * [off, off + len). Returns 0, or non-zero to stop before it (SHOAL_EIO). */
typedef int (*shoal_stmt_fn)(void *ctx, size_t off, size_t len);
void shoal_session_set_on_statement(shoal_session *s, shoal_stmt_fn fn, void *ctx);

/* on = 1 pins one snapshot for the session's statements: the first statement that
 * reads opens it (one LMDB read transaction) and every later one reads the same log,
 * views and definitions, whatever is appended meanwhile; the time zone is read once.
 * Statements that write (CREATE, DROP, SET DATABASE TIMEZONE) may come before it, not after
 * (SHOAL_ESEMANTIC at the statement: the snapshot would not see them). on = 0 closes
 * it. Keep it for one job: an open snapshot keeps old pages from being reused. */
void shoal_session_pin(shoal_session *s, int on);
/* The pinned snapshot, opened now when no statement has yet.
 * [out] out  borrowed: valid until shoal_session_pin(s, 0) or shoal_session_free.
 * Returns: SHOAL_OK, SHOAL_EINVAL (not pinned), SHOAL_ESTORE, SHOAL_ENOMEM. */
int shoal_session_snapshot(shoal_session *s, shoal_reader **out, shoal_err *err);

/* The format named "table", "csv", "json", "ndjson" or "markdown" (also "md"), or 0. */
int shoal_query_format_parse(const char *name);
const char *shoal_query_format_name(int format);

/* Runs every statement of src[0..n) (';'-separated) in order, stopping at the first
 * error. The whole text is parsed first, so a syntax error anywhere runs nothing.
 * err (may be NULL) gets the first error; err->off/len point into src. Returns: SHOAL_OK, SHOAL_ESYNTAX, SHOAL_ESEMANTIC,
 * SHOAL_ECANCEL, SHOAL_ENOMEM, SHOAL_ESTORE, SHOAL_EIO (the write callback failed). */
int shoal_query_run(shoal_session *s, const char *src, size_t n, shoal_err *err);

/* True when src[0..n) holds at least one complete statement ending in ';' outside
 * strings and comments, with nothing but blanks after it (the REPL's "is it done?"). */
int shoal_query_complete(const char *src, size_t n);

/* True when a statement of src[0..n) defines something the database keeps: one that
 * begins with CREATE (a view, layer, tiers, retention, activity, experiment) or SET
 * DATABASE. `shoal query` creates a missing database for such a text, so that a file of
 * definitions can be loaded before any event (a lexical look: the statement still
 * parses and runs as any other). */
int shoal_query_defines(const char *src, size_t n);

/* Names for completion: the keywords and functions (NULL-terminated, static). */
const char *const *shoal_query_keywords(void);
const char *const *shoal_query_functions(void);

#endif /* SHOAL_H */
