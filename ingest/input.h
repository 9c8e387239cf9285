/* ingest/input.h — reading event records from files, first stage of the pipeline.
 *
 * An input frames its byte stream into records (lines for NDJSON, RFC 4180 records
 * for CSV, which may span lines inside quotes) and parses each into a shoal_event
 * whose strings and properties live in a caller-provided arena. It reads in large
 * chunks and holds at most one record plus one chunk in memory, so memory stays flat
 * however large the input. A bad record is reported with its line number and reason
 * and reading goes on with the next one.
 */
#ifndef SHOAL_INPUT_H
#define SHOAL_INPUT_H

#include "shoal.h"

/* Formats are SHOAL_FMT_* in shoal.h, and one internal to ingest/: CSV records framed
 * and split into fields but not read as events (no header roles), for adapters that
 * map the columns themselves; read it with shoal_input_next_fields. */
#define SHOAL_FMT_CSV_FIELDS 100

/* Largest record accepted, in bytes; a longer one is rejected as oversized and
 * skipped without being held in memory. */
#define SHOAL_MAX_RECORD (1u << 20)

typedef struct shoal_input shoal_input;

/* Opens path ("-" for standard input) in the given format.
 * Returns owned; close with shoal_input_close. Returns: SHOAL_OK, SHOAL_EIO (err->sys
 * holds errno), SHOAL_EFORMAT (a CSV file whose header is unusable), SHOAL_ENOMEM. */
int shoal_input_open(const char *path, int format, shoal_input **out, shoal_err *err);
void shoal_input_close(shoal_input *in);

/* Reads the next record into ev; its strings and props are allocated in a and stay
 * valid until a is reset.
 * Returns: 1 with an event; 0 at the end of input; SHOAL_EFORMAT when this record is
 * rejected (err->msg gives the reason; the caller may go on calling next);
 * SHOAL_EIO on a read error (stop); SHOAL_ENOMEM. Blank lines are skipped. err (may be
 * NULL) is cleared first, so that it describes this call only. */
int shoal_input_next(shoal_input *in, shoal_arena *a, shoal_event *ev, shoal_err *err);

/* Reads the next record of a SHOAL_FMT_CSV_FIELDS input (the header row too: it is
 * the first record) as fields, unescaped into a and valid until a is reset. Stores the
 * first max fields in f and the count of all of them in *n_f.
 * Returns: 1 with a record; 0 at the end of input; SHOAL_EFORMAT when this record is
 * rejected (bad quoting, oversized; the caller may go on); SHOAL_EIO; SHOAL_ENOMEM.
 * Blank lines are skipped. */
int shoal_input_next_fields(shoal_input *in, shoal_arena *a, shoal_str *f, uint32_t max, uint32_t *n_f,
                            shoal_err *err);

/* The raw text of the record last returned or rejected, without its line terminator;
 * an oversized record is cut at SHOAL_MAX_RECORD. Valid until the next call to next. */
shoal_str shoal_input_raw(const shoal_input *in);

/* 1-based line number at which the record last returned or rejected starts. */
uint64_t shoal_input_line(const shoal_input *in);

/* Bytes of input consumed so far. */
uint64_t shoal_input_bytes(const shoal_input *in);

/* 1 when path names the file the input reads (same device and inode, so through
 * symbolic and hard links too), 0 otherwise (no such file, or a memory input). */
int shoal_input_is_file(const shoal_input *in, const char *path);

/* The name given to open ("-" is reported as "<stdin>"). */
const char *shoal_input_name(const shoal_input *in);

/* Parses one NDJSON line (without its newline) into ev, strings copied into a.
 * Returns: SHOAL_OK or SHOAL_EFORMAT with the reason (a timestamp out of range is
 * EFORMAT too: the record is rejected either way), or SHOAL_ENOMEM. Used by the input
 * and by tests and the fuzzer. */
int shoal_ndjson_parse(const char *p, size_t n, shoal_arena *a, shoal_event *ev, shoal_err *err);

/* ---------------------------------------------------------------- internals
 * Shared by input.c, ndjson.c, csv.c, the unit tests and the fuzzers; cli/ uses only
 * the functions above. */

/* Opens an input over the bytes p[0..n), borrowed until close. name is reported by
 * shoal_input_name. The bytes reach the framer in pieces of at most chunk bytes
 * (0 = the 1 MiB used for files), so that tests and fuzzers can put a chunk boundary
 * anywhere. Returns: as shoal_input_open. */
int shoal_input_open_mem(const char *name, const void *p, size_t n, int format, size_t chunk,
                         shoal_input **out, shoal_err *err);

/* shoal_ndjson_parse without its fast path for the usual key order (ndjson.c,
 * fast_fields): the same result for every line, the reference the tests and the
 * fuzzer compare it with. */
int shoal_ndjson_parse_general(const char *p, size_t n, shoal_arena *a, shoal_event *ev, shoal_err *err);

/* Parses p[0..n) as exactly one JSON number. Integers that fit int64 and integral
 * doubles (2.0, 1e3) give SHOAL_VAL_INT, other finite values SHOAL_VAL_NUM, written to
 * *kind and *i or *d. Returns: 1 for a number, 0 when the text is not a JSON number,
 * SHOAL_ERANGE when it overflows a double. Used by CSV type inference. */
int shoal_ndjson_number(const char *p, size_t n, int *kind, int64_t *i, double *d);

/* CSV (csv.c): a parsed header row maps columns to event fields. */
typedef struct shoal_csv shoal_csv;

/* Parses the header record p[0..n) (without its line terminator).
 * Returns owned; free with shoal_csv_free. Returns: SHOAL_OK, SHOAL_EFORMAT (missing
 * "ts", "member" or "type" column, duplicate or empty column name, bad quoting),
 * SHOAL_ENOMEM. */
int shoal_csv_new(const char *p, size_t n, shoal_csv **out, shoal_err *err);
void shoal_csv_free(shoal_csv *c);

/* Parses one data record p[0..n) (without its terminator; may contain newlines inside
 * quotes) into ev, strings copied into a. at_eof says the input ended inside this
 * record, so an open quote is "unterminated at end of file".
 * Returns: SHOAL_OK, SHOAL_EFORMAT, SHOAL_ENOMEM. */
int shoal_csv_parse(shoal_csv *c, const char *p, size_t n, int at_eof, shoal_arena *a, shoal_event *ev,
                    shoal_err *err);

/* Splits one record p[0..n) (without its terminator; may contain newlines inside
 * quotes) into fields, unescaped into a (valid until a is reset). Stores the first max
 * fields in f and the count of all of them in *n_f. at_eof as for shoal_csv_parse.
 * Returns: SHOAL_OK, SHOAL_EFORMAT (bad quoting), SHOAL_ENOMEM. */
int shoal_csv_fields(const char *p, size_t n, int at_eof, shoal_arena *a, shoal_str *f, uint32_t max,
                     uint32_t *n_f, shoal_err *err);

/* Record framing: scans p[0..n) with the quote state *st (0 at the start of a record)
 * and returns the offset of the '\n' that ends the record, or n when it does not end
 * there (call again with more bytes and the same *st). Adds to *n_nl the newlines that
 * sit inside quotes, so that line numbers stay right. */
size_t shoal_csv_frame(const char *p, size_t n, int *st, uint64_t *n_nl);

/* 1 when the framing state st is inside a quoted field. */
int shoal_csv_frame_quoted(int st);

/* 1 when the record p[0..n) is well quoted: every quoted field closes and is followed
 * by a comma or the end, and no unquoted field holds a quote. */
int shoal_csv_quoting_ok(const char *p, size_t n);

/* The at_eof of a record cut at the end of its first line because a quoted field
 * opened there never closed properly (input.c): the reason says that this line alone
 * is rejected. */
#define SHOAL_CSV_CUT 2

#endif /* SHOAL_INPUT_H */
