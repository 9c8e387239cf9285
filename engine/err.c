/* err.c — return codes, the first-error-wins setter, and the one renderer.
 *
 * Positions are byte offsets into the source; line and column are computed here,
 * only when an error is shown, so that nothing upstream tracks lines.
 */
#include "shoal_int.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
    int rc;
    const char *text;
} errtab[] = {
    {SHOAL_OK, "SHOAL_OK: success"},
    {SHOAL_ESYNTAX, "SHOAL_ESYNTAX: syntax error"},
    {SHOAL_ESEMANTIC, "SHOAL_ESEMANTIC: invalid statement"},
    {SHOAL_ENOMEM, "SHOAL_ENOMEM: out of memory"},
    {SHOAL_EIO, "SHOAL_EIO: input/output error"},
    {SHOAL_ESTORE, "SHOAL_ESTORE: storage error"},
    {SHOAL_EFORMAT, "SHOAL_EFORMAT: malformed input"},
    {SHOAL_ECANCEL, "SHOAL_ECANCEL: cancelled"},
    {SHOAL_EVERSION, "SHOAL_EVERSION: database format too new"},
    {SHOAL_ENOTFOUND, "SHOAL_ENOTFOUND: not found"},
    {SHOAL_EINVAL, "SHOAL_EINVAL: invalid argument"},
    {SHOAL_ECORRUPT, "SHOAL_ECORRUPT: database is inconsistent"},
    {SHOAL_ERANGE, "SHOAL_ERANGE: value out of range"},
};

const char *shoal_strerror(int rc)
{
    for (size_t i = 0; i < sizeof errtab / sizeof errtab[0]; i++)
        if (errtab[i].rc == rc) return errtab[i].text;
    return "SHOAL_E?: unknown error code";
}

void shoal_err_clear(shoal_err *err)
{
    if (!err) return;
    err->code = SHOAL_OK;
    err->sys = 0;
    err->off = err->len = -1;
    err->msg[0] = '\0';
}

int shoal_err_set(shoal_err *err, int code, int off, int len, const char *fmt, ...)
{
    if (!err || err->code != SHOAL_OK) return code;
    err->code = code;
    err->off = off;
    err->len = len;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

/* Escapes anything but printable ASCII, so that hostile input cannot garble a
 * terminal, and cuts long text with "...". */
const char *shoal_err_quote(char *buf, size_t n_buf, const char *s, size_t len)
{
    size_t o = 0, i;
    size_t lim = len > 40 ? 40 : len;
    for (i = 0; i < lim && o + 8 < n_buf; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c >= 0x20 && c < 0x7f) {
            buf[o++] = (char)c;
        } else {
            o += (size_t)snprintf(buf + o, n_buf - o, "\\x%02x", c);
        }
    }
    if (i < len && o + 4 <= n_buf) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = 0;
    return buf;
}

int shoal_store_err(shoal_err *err, int rc, const char *what)
{
    if (err && err->code == SHOAL_OK) err->sys = rc;
    /* What LMDB finds wrong inside its pages is damage, not a failure to read. */
    if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND)
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "%s: the database is damaged (%s)", what, mdb_strerror(rc));
    return shoal_err_set(err, SHOAL_ESTORE, -1, -1, "%s: %s", what, mdb_strerror(rc));
}

/* Appends to buf without overflowing; tracks the length that was needed. */
typedef struct {
    char *buf;
    size_t n, len;
} sink;

static void put(sink *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = s->len < s->n ? s->n - s->len : 0;
    int k = vsnprintf(room ? s->buf + s->len : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0) s->len += (size_t)k;
}

size_t shoal_err_render(const shoal_err *err, const char *name, const char *src, size_t n_src,
                        char *buf, size_t n)
{
    sink s = {buf, n, 0};
    if (n) buf[0] = '\0';
    const char *msg = err && err->msg[0] ? err->msg : shoal_strerror(err ? err->code : SHOAL_EINVAL);
    if (!err || !src || err->off < 0 || (size_t)err->off > n_src) {
        put(&s, "%s: error: %s\n", name ? name : "shoal", msg);
        return s.len;
    }
    size_t off = (size_t)err->off, line = 1, bol = 0;
    for (size_t i = 0; i < off; i++)
        if (src[i] == '\n') {
            line++;
            bol = i + 1;
        }
    size_t eol = bol;
    while (eol < n_src && src[eol] != '\n') eol++;
    /* Columns count characters, not bytes: skip UTF-8 continuation bytes. */
    size_t col = 1;
    for (size_t i = bol; i < off; i++)
        if (((unsigned char)src[i] & 0xC0) != 0x80) col++;
    put(&s, "%s:%zu:%zu: error: %s\n", name ? name : "query", line, col, msg);
    put(&s, "%.*s\n", (int)(eol - bol), src + bol);
    for (size_t i = bol; i < off; i++) {
        if (((unsigned char)src[i] & 0xC0) == 0x80) continue;
        put(&s, "%c", src[i] == '\t' ? '\t' : ' ');
    }
    put(&s, "^");
    size_t span = err->len > 1 ? (size_t)err->len : 1;
    if (off + span > eol) span = eol > off ? eol - off : 1;
    for (size_t i = off + 1; i < off + span; i++)
        if (((unsigned char)src[i] & 0xC0) != 0x80) put(&s, "~");
    put(&s, "\n");
    return s.len;
}
