/* query.h — the query layer's entry point for programs (cli/query, cli/repl, batch):
 * a session over an open database runs statements text in, formatted rows out.
 *
 * A session holds what lasts between statements: the output format, timing, a fixed
 * "now" (SET NOW), the cancel flag and the output callback. Each statement is parsed,
 * resolved, planned and executed in its own arena, freed before the next one. The
 * library never prints: formatted output goes through the caller's write callback.
 */
#ifndef SHOAL_QUERY_H
#define SHOAL_QUERY_H

#include "shoal.h"

/* Output formats. */
enum {
    SHOAL_OUT_TABLE = 1,     /* aligned columns with a row count (and timing when on) */
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
int shoal_session_format(const shoal_session *s);
/* Prints "Time: N ms" after each statement's output when on (table format). */
void shoal_session_set_timing(shoal_session *s, int on);
int shoal_session_timing(const shoal_session *s);
/* While *flag is non-zero the running statement stops with SHOAL_ECANCEL. Borrowed. */
void shoal_session_set_cancel(shoal_session *s, volatile int *flag);

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

/* Names for completion: the keywords and functions (NULL-terminated, static). */
const char *const *shoal_query_keywords(void);
const char *const *shoal_query_functions(void);

#endif
