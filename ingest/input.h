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

/* Formats are SHOAL_FMT_* in shoal.h. */

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
 * SHOAL_EIO on a read error (stop); SHOAL_ENOMEM. Blank lines are skipped. */
int shoal_input_next(shoal_input *in, shoal_arena *a, shoal_event *ev, shoal_err *err);

/* The raw text of the record last returned or rejected, without its line terminator;
 * an oversized record is cut at SHOAL_MAX_RECORD. Valid until the next call to next. */
shoal_str shoal_input_raw(const shoal_input *in);

/* 1-based line number at which the record last returned or rejected starts. */
uint64_t shoal_input_line(const shoal_input *in);

/* Bytes of input consumed so far. */
uint64_t shoal_input_bytes(const shoal_input *in);

/* The name given to open ("-" is reported as "<stdin>"). */
const char *shoal_input_name(const shoal_input *in);

/* Parses one NDJSON line (without its newline) into ev, strings copied into a.
 * Returns: SHOAL_OK or SHOAL_EFORMAT with the reason. Used by the input and by tests
 * and the fuzzer. */
int shoal_ndjson_parse(const char *p, size_t n, shoal_arena *a, shoal_event *ev, shoal_err *err);

#endif /* SHOAL_INPUT_H */
