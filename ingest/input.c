/* input.c — the shoal_input object: bytes from a file, stdin or memory, framed into
 * records (NDJSON lines or CSV records) and handed to ndjson.c or csv.c.
 *
 * Memory is flat: one buffer of SHOAL_MAX_RECORD + one chunk (plus two bytes), filled
 * with read(2). A record is parsed where it lies in the buffer; only the tail of a
 * record cut by a chunk boundary is moved to the front. A record longer than
 * SHOAL_MAX_RECORD keeps its first SHOAL_MAX_RECORD bytes (for the reject file) and
 * the rest is read and dropped up to its terminator, so no record is ever held whole.
 */
#include "input.h"
#include "shoal_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 MiB reads: large enough that syscalls cost nothing per record, small enough that
 * the buffer (2 MiB with the longest record) fits in L2/L3 on a busy machine. */
#define CHUNK ((size_t)1 << 20)

struct shoal_input {
    int fd;               /* -1 for memory */
    int own_fd;
    int format;
    char *name;
    const unsigned char *mem;  /* memory source */
    size_t n_mem, mem_off;
    size_t chunk;
    char *buf;
    size_t cap;
    size_t pos, len;      /* unconsumed bytes are buf[pos..len) */
    size_t scan;          /* framing resumes here; pos <= scan <= len */
    int fst;              /* CSV framing state at scan */
    uint64_t fnl;         /* newlines inside quotes in buf[pos..scan) */
    int eof;
    int started;          /* the first record (and a byte order mark) is behind us */
    uint64_t line;        /* line number of buf[pos] */
    uint64_t rec_line;
    uint64_t n_read;
    shoal_str raw;
    shoal_csv *csv;
};

/* Reads more bytes at buf[len..]. Returns the count, 0 at the end, or SHOAL_EIO. */
static int fill(shoal_input *in, shoal_err *err)
{
    size_t room = in->cap - in->len;
    if (room > in->chunk) room = in->chunk;
    if (in->eof || room == 0) return 0;
    if (!in->mem && in->fd < 0) {
        in->eof = 1;
        return 0;
    }
    if (in->mem) {
        size_t k = in->n_mem - in->mem_off;
        if (k > room) k = room;
        memcpy(in->buf + in->len, in->mem + in->mem_off, k);
        in->mem_off += k;
        in->len += k;
        in->n_read += k;
        if (k == 0) in->eof = 1;
        return (int)k;
    }
    for (;;) {
        ssize_t k = read(in->fd, in->buf + in->len, room);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            int e = errno;
            int had = err && err->code;
            int rc = shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot read %s: %s", in->name, strerror(e));
            if (err && !had) err->sys = e;
            return rc;
        }
        if (k == 0) in->eof = 1;
        in->len += (size_t)k;
        in->n_read += (size_t)k;
        return (int)k;
    }
}

/* Offset of the terminator of the record at buf[pos] in buf[scan..len), or len. */
static inline __attribute__((always_inline)) size_t frame(shoal_input *in)
{
    if (in->format == SHOAL_FMT_CSV || in->format == SHOAL_FMT_CSV_FIELDS)
        return in->scan + shoal_csv_frame(in->buf + in->scan, in->len - in->scan, &in->fst, &in->fnl);
    const char *nl = memchr(in->buf + in->scan, '\n', in->len - in->scan);
    return nl ? (size_t)(nl - in->buf) : in->len;
}

/* Takes the record buf[pos..e) (e = the terminator or the end of input) into raw.
 * Returns 1, or 2 when it is oversized. */
static inline __attribute__((always_inline)) int take(shoal_input *in, size_t e, int terminated)
{
    char *s = in->buf + in->pos;
    size_t n = e - in->pos;
    if (!in->started) {
        /* A UTF-8 byte order mark, as spreadsheet exports write them. */
        if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
            s += 3;
            n -= 3;
        }
        in->started = 1;
    }
    if (n && s[n - 1] == '\r') n--;
    in->rec_line = in->line;
    in->line += in->fnl + (terminated ? 1 : 0);
    in->pos = in->scan = terminated ? e + 1 : e;
    in->fst = 0;
    in->fnl = 0;
    in->raw.ptr = s;
    in->raw.len = (uint32_t)(n > SHOAL_MAX_RECORD ? SHOAL_MAX_RECORD : n);
    return n > SHOAL_MAX_RECORD ? 2 : 1;
}

/* Drops the rest of an oversized record, keeping its first SHOAL_MAX_RECORD bytes at
 * the front of the buffer as raw. Returns 2 or SHOAL_EIO. */
static int skip(shoal_input *in, shoal_err *err)
{
    const size_t keep = SHOAL_MAX_RECORD;
    memmove(in->buf, in->buf + in->pos, keep);
    in->rec_line = in->line;
    in->pos = 0;
    in->raw.ptr = in->buf;
    in->raw.len = (uint32_t)keep;
    in->started = 1;
    for (;;) {
        /* Everything past keep has been framed already: drop it and read on. */
        in->len = in->scan = keep;
        int rc = fill(in, err);
        if (rc < 0) return rc;
        if (rc == 0) {
            in->line += in->fnl;
            in->fnl = 0;
            in->fst = 0;
            in->pos = in->scan = in->len;
            return 2;
        }
        size_t e = frame(in);
        if (e < in->len) {
            in->line += in->fnl + 1;
            in->fnl = 0;
            in->fst = 0;
            in->pos = in->scan = e + 1;
            return 2;
        }
    }
}

/* A CSV record whose quoted field crosses a line end and then runs past the end of
 * input or past SHOAL_MAX_RECORD, or closes into a malformed record (a quote that
 * closes a stray one is followed by more text), is almost always a stray opening
 * quote, which would otherwise swallow the lines after it, up to the rest of the file,
 * into one reject. Such a record is cut at the end of its first line, which is
 * rejected alone (its quote is unterminated there: *at_eof = SHOAL_CSV_CUT says so),
 * and framing resumes at the next line. */
static int cut_first_line(shoal_input *in, int *at_eof)
{
    const char *nl = memchr(in->buf + in->pos, '\n', in->len - in->pos);
    assert(nl);
    in->fnl = 0;
    *at_eof = SHOAL_CSV_CUT;
    return take(in, (size_t)(nl - in->buf), 1);
}

/* The record just taken (rc from take) spans lines and is badly quoted: taken again,
 * cut at its first line. The record is still where it lay in the buffer. */
static int recut(shoal_input *in, int rc, int *at_eof)
{
    if (rc != 1 || !memchr(in->raw.ptr, '\n', in->raw.len) || shoal_csv_quoting_ok(in->raw.ptr, in->raw.len))
        return rc;
    in->pos = in->scan = (size_t)(in->raw.ptr - in->buf);
    in->line = in->rec_line;
    in->fst = 0;
    in->fnl = 0;
    return cut_first_line(in, at_eof);
}

/* Frames the next record into raw. Returns 1, 2 (oversized), 0 at the end of input,
 * or SHOAL_EIO. at_eof is set when the record was ended by the end of input. */
static int next_record(shoal_input *in, int *at_eof, shoal_err *err)
{
    *at_eof = 0;
    for (;;) {
        size_t e = frame(in);
        /* Only CSV counts newlines inside quotes: a record across lines. */
        int spans = in->fnl > 0;
        if (e < in->len) return spans ? recut(in, take(in, e, 1), at_eof) : take(in, e, 1);
        in->scan = in->len;
        if (in->eof) {
            if (in->pos == in->len) return 0;
            if (spans && shoal_csv_frame_quoted(in->fst)) return cut_first_line(in, at_eof);
            *at_eof = 1;
            return spans ? recut(in, take(in, in->len, 0), at_eof) : take(in, in->len, 0);
        }
        /* + 1 leaves room for the '\r' of a CRLF record of exactly the limit. */
        if (in->len - in->pos > (size_t)SHOAL_MAX_RECORD + 1) {
            if (in->fnl > 0) return cut_first_line(in, at_eof);
            return skip(in, err);
        }
        if (in->pos > 0) {
            memmove(in->buf, in->buf + in->pos, in->len - in->pos);
            in->len -= in->pos;
            in->scan -= in->pos;
            in->pos = 0;
        }
        int rc = fill(in, err);
        if (rc < 0) return rc;
    }
}

static int is_blank(shoal_str s)
{
    for (uint32_t i = 0; i < s.len; i++)
        if (s.ptr[i] != ' ' && s.ptr[i] != '\t' && s.ptr[i] != '\r') return 0;
    return 1;
}

static int oversized(shoal_input *in, shoal_err *err)
{
    return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "%s too long (more than %u bytes)",
                         in->format != SHOAL_FMT_NDJSON ? "record" : "line", SHOAL_MAX_RECORD);
}

static int open_common(shoal_input *in, const char *name, int format, shoal_input **out, shoal_err *err)
{
    int rc, at_eof;
    size_t n = strlen(name);

    if (format == SHOAL_FMT_AUTO)
        format = n >= 4 && !strcasecmp(name + n - 4, ".csv") ? SHOAL_FMT_CSV : SHOAL_FMT_NDJSON;
    in->format = format;
    in->line = 1;
    in->name = shoal_malloc(n + 1);
    in->cap = (size_t)SHOAL_MAX_RECORD + 2 + in->chunk;
    /* Bytes in memory never need more room than they take (plus the probe for the
     * end); the fuzzer opens thousands of small inputs a second. */
    if (in->mem && in->n_mem + 2 < in->cap) in->cap = in->n_mem + 2;
    in->buf = shoal_malloc(in->cap);
    if (!in->name || !in->buf) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    memcpy(in->name, name, n + 1);

    if (format == SHOAL_FMT_CSV) {
        /* The header is the first non-blank record. An empty input has none and
         * simply yields no events. */
        while ((rc = next_record(in, &at_eof, err)) == 1 && is_blank(in->raw)) {}
        if (rc < 0) goto fail;
        if (rc == 2) {
            rc = shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "header too long (more than %u bytes)",
                               SHOAL_MAX_RECORD);
            goto fail;
        }
        if (rc == 1 && (rc = shoal_csv_new(in->raw.ptr, in->raw.len, &in->csv, err))) goto fail;
    }
    *out = in;
    return SHOAL_OK;

fail:
    shoal_input_close(in);
    return rc;
}

static shoal_input *input_new(size_t chunk)
{
    shoal_input *in = shoal_malloc(sizeof *in);
    if (!in) return NULL;
    memset(in, 0, sizeof *in);
    in->fd = -1;
    in->chunk = chunk ? chunk : CHUNK;
    return in;
}

int shoal_input_open(const char *path, int format, shoal_input **out, shoal_err *err)
{
    int stdin_ = !strcmp(path, "-");
    shoal_input *in = input_new(0);

    *out = NULL;
    if (!in) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    if (stdin_) {
        in->fd = 0;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            int e = errno, had = err && err->code;
            int rc = shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot open %s: %s", path, strerror(e));
            if (err && !had) err->sys = e;
            shoal_free(in);
            return rc;
        }
        in->own_fd = 1;
        (void)posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    return open_common(in, stdin_ ? "<stdin>" : path, format, out, err);
}

int shoal_input_open_mem(const char *name, const void *p, size_t n, int format, size_t chunk, shoal_input **out,
                         shoal_err *err)
{
    shoal_input *in = input_new(chunk);
    *out = NULL;
    if (!in) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    /* A non-NULL pointer even for no bytes, so that fill knows the source. */
    in->mem = p ? p : (const void *)"";
    in->n_mem = p ? n : 0;
    return open_common(in, name, format, out, err);
}

void shoal_input_close(shoal_input *in)
{
    if (!in) return;
    if (in->own_fd) close(in->fd);
    shoal_csv_free(in->csv);
    shoal_free(in->buf);
    shoal_free(in->name);
    shoal_free(in);
}

int shoal_input_next(shoal_input *in, shoal_arena *a, shoal_event *ev, shoal_err *err)
{
    int rc, at_eof;

    /* err describes this record only: a rejected record before it must not hide
     * this one's reason behind first-error-wins. */
    shoal_err_clear(err);
    for (;;) {
        rc = next_record(in, &at_eof, err);
        if (rc <= 0) return rc;
        if (rc == 2) return oversized(in, err);
        if (is_blank(in->raw)) continue;
        if (in->format == SHOAL_FMT_CSV) {
            if (!in->csv) return 0;
            rc = shoal_csv_parse(in->csv, in->raw.ptr, in->raw.len, at_eof, a, ev, err);
        } else {
            rc = shoal_ndjson_parse(in->raw.ptr, in->raw.len, a, ev, err);
        }
        return rc ? rc : 1;
    }
}

int shoal_input_next_fields(shoal_input *in, shoal_arena *a, shoal_str *f, uint32_t max, uint32_t *n_f,
                            shoal_err *err)
{
    int rc, at_eof;

    assert(in->format == SHOAL_FMT_CSV_FIELDS);
    shoal_err_clear(err);
    for (;;) {
        rc = next_record(in, &at_eof, err);
        if (rc <= 0) return rc;
        if (rc == 2) return oversized(in, err);
        if (is_blank(in->raw)) continue;
        rc = shoal_csv_fields(in->raw.ptr, in->raw.len, at_eof, a, f, max, n_f, err);
        return rc ? rc : 1;
    }
}

shoal_str shoal_input_raw(const shoal_input *in) { return in->raw; }

uint64_t shoal_input_line(const shoal_input *in) { return in->rec_line; }

uint64_t shoal_input_bytes(const shoal_input *in) { return in->n_read - (in->len - in->pos); }

const char *shoal_input_name(const shoal_input *in) { return in->name; }

int shoal_input_is_file(const shoal_input *in, const char *path)
{
    struct stat a, b;
    if (in->mem || in->fd < 0 || fstat(in->fd, &a) != 0 || stat(path, &b) != 0) return 0;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
