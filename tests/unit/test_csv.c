/* test_csv.c — the CSV reader (ingest/csv.c through shoal_input): the header, RFC 4180
 * quoting, type inference, line numbers of records that span lines, chunk boundaries
 * anywhere, and every rejection with its message. */
#include "unit.h"
#include "input.h"
#include "shoal_int.h"

#include <stdint.h>

static shoal_arena *A;
static shoal_err E;

static int eq(shoal_str s, const char *want)
{
    return s.len == strlen(want) && (s.len == 0 || memcmp(s.ptr, want, s.len) == 0);
}

static const shoal_prop *prop(const shoal_event *ev, const char *key)
{
    for (uint32_t i = 0; i < ev->n_props; i++)
        if (eq(ev->props[i].key, key)) return &ev->props[i];
    return NULL;
}

static shoal_input *open_csv(const char *text, size_t chunk)
{
    shoal_input *in = NULL;
    shoal_err_clear(&E);
    int rc = shoal_input_open_mem("t.csv", text, strlen(text), SHOAL_FMT_AUTO, chunk, &in, &E);
    if (rc) printf("  open: %s\n", E.msg);
    return in;
}

static int next(shoal_input *in, shoal_event *ev) { return shoal_input_next(in, A, ev, &E); }

/* The single data row of header + "\n" + row is rejected with want in the message. */
static int row_rejects(const char *header, const char *row, const char *want)
{
    char text[4096];
    snprintf(text, sizeof text, "%s\n%s\n", header, row);
    shoal_input *in = open_csv(text, 0);
    shoal_event ev;
    if (!in) return 0;
    int rc = next(in, &ev);
    size_t m = strlen(E.msg);
    int ok = rc == SHOAL_EFORMAT && strstr(E.msg, want) && m && E.msg[m - 1] != '.' && shoal_input_line(in) == 2 &&
             next(in, &ev) == 0;
    if (!ok) printf("  row %s: rc %d msg \"%s\", want \"%s\"\n", row, rc, E.msg, want);
    shoal_input_close(in);
    return ok;
}

static int header_rejects(const char *text, const char *want)
{
    shoal_input *in = NULL;
    shoal_err_clear(&E);
    int rc = shoal_input_open_mem("t.csv", text, strlen(text), SHOAL_FMT_CSV, 0, &in, &E);
    int ok = rc == SHOAL_EFORMAT && in == NULL && strstr(E.msg, want);
    if (!ok) printf("  header %s: rc %d msg \"%s\", want \"%s\"\n", text, rc, E.msg, want);
    shoal_input_close(in);
    return ok;
}

#define HDR "id,ts,member,type,group,original,words,title"

TEST(basic_rows)
{
    shoal_input *in = open_csv(HDR "\n"
                                   "e-1,2025-03-04T09:00:12+08:00,m-77,post,g-3,true,640,hello\n"
                                   ",1741050012000,m-78,like,,false,2.5,\n",
                               0);
    shoal_event ev;
    CHECK(in != NULL);
    if (!in) return;
    CHECK_RC(next(in, &ev), 1);
    CHECK(ev.has_id && eq(ev.id, "e-1") && ev.ts == 1741050012000LL && eq(ev.member, "m-77") && eq(ev.type, "post") &&
          eq(ev.group, "g-3"));
    CHECK(ev.n_props == 3);
    CHECK(prop(&ev, "original") && prop(&ev, "original")->kind == SHOAL_VAL_BOOL && prop(&ev, "original")->v.b == 1);
    CHECK(prop(&ev, "words") && prop(&ev, "words")->kind == SHOAL_VAL_INT && prop(&ev, "words")->v.i == 640);
    CHECK(prop(&ev, "title") && prop(&ev, "title")->kind == SHOAL_VAL_STR && eq(prop(&ev, "title")->v.s, "hello"));
    CHECK_RC(shoal_event_check(&ev, NULL), SHOAL_OK);
    CHECK(shoal_input_line(in) == 2);
    CHECK_RC(next(in, &ev), 1);
    CHECK(!ev.has_id && ev.group.ptr == NULL && ev.ts == 1741050012000LL);
    CHECK(ev.n_props == 2 && prop(&ev, "original")->v.b == 0 && prop(&ev, "words")->kind == SHOAL_VAL_NUM &&
          prop(&ev, "words")->v.d == 2.5 && !prop(&ev, "title"));
    CHECK(shoal_input_line(in) == 3);
    CHECK(eq(shoal_input_raw(in), ",1741050012000,m-78,like,,false,2.5,"));
    CHECK_RC(next(in, &ev), 0);
    shoal_input_close(in);
}

TEST(type_inference)
{
    shoal_input *in = open_csv("ts,member,type,a,b,c,d,e,f,g,h\n"
                               "0,m,t,2.0,1e3,-0.25,0x10, 42,TRUE,-,007\n",
                               0);
    shoal_event ev;
    if (!in) return;
    CHECK_RC(next(in, &ev), 1);
    CHECK(prop(&ev, "a")->kind == SHOAL_VAL_INT && prop(&ev, "a")->v.i == 2);
    CHECK(prop(&ev, "b")->kind == SHOAL_VAL_INT && prop(&ev, "b")->v.i == 1000);
    CHECK(prop(&ev, "c")->kind == SHOAL_VAL_NUM && prop(&ev, "c")->v.d == -0.25);
    CHECK(prop(&ev, "d")->kind == SHOAL_VAL_STR && eq(prop(&ev, "d")->v.s, "0x10"));
    CHECK(prop(&ev, "e")->kind == SHOAL_VAL_STR && eq(prop(&ev, "e")->v.s, " 42"));
    CHECK(prop(&ev, "f")->kind == SHOAL_VAL_STR && eq(prop(&ev, "f")->v.s, "TRUE"));
    CHECK(prop(&ev, "g")->kind == SHOAL_VAL_STR && eq(prop(&ev, "g")->v.s, "-"));
    CHECK(prop(&ev, "h")->kind == SHOAL_VAL_STR && eq(prop(&ev, "h")->v.s, "007"));
    CHECK(row_rejects("ts,member,type,n", "0,m,t,1e999", "column \"n\": number \"1e999\" is out of range"));
    shoal_input_close(in);
}

TEST(quoting)
{
    shoal_input *in = open_csv("ts,\"member\",type,note,n\r\n"
                               "0,\"m,1\",t,\"say \"\"hi\"\"\",\"5\"\r\n"
                               "0,m,t,\"two\nlines\r\nthree\",\"\"\r\n"
                               "0,m,t,\"\"\"\",x\r\n",
                               0);
    shoal_event ev;
    if (!in) return;
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "m,1") && prop(&ev, "note") && eq(prop(&ev, "note")->v.s, "say \"hi\""));
    /* Quoting does not make a number a string. */
    CHECK(prop(&ev, "n") && prop(&ev, "n")->kind == SHOAL_VAL_INT && prop(&ev, "n")->v.i == 5);
    CHECK(shoal_input_line(in) == 2);
    CHECK_RC(next(in, &ev), 1);
    CHECK(prop(&ev, "note") && eq(prop(&ev, "note")->v.s, "two\nlines\r\nthree") && !prop(&ev, "n"));
    CHECK(shoal_input_line(in) == 3);
    CHECK_RC(next(in, &ev), 1);
    CHECK(prop(&ev, "note") && eq(prop(&ev, "note")->v.s, "\"") && eq(prop(&ev, "n")->v.s, "x"));
    CHECK(shoal_input_line(in) == 6);
    CHECK_RC(next(in, &ev), 0);
    shoal_input_close(in);
}

TEST(line_numbers_across_quoted_newlines)
{
    shoal_input *in = open_csv("ts,member,type,note\n"
                               "\n"
                               "0,a,t,\"x\n\ny\"\n"
                               "0,b,t,z\n"
                               "  \n"
                               "0,c,t,\"\n\"\n"
                               "bad,c,t,\"\n\"\n"
                               "0,d,t,w",
                               0);
    shoal_event ev;
    if (!in) return;
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "a") && shoal_input_line(in) == 3);
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "b") && shoal_input_line(in) == 6);
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "c") && shoal_input_line(in) == 8);
    CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
    CHECK(shoal_input_line(in) == 10 && strstr(E.msg, "invalid timestamp \"bad\""));
    CHECK(eq(shoal_input_raw(in), "bad,c,t,\"\n\""));
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "d") && shoal_input_line(in) == 12);
    CHECK_RC(next(in, &ev), 0);
    shoal_input_close(in);
}

TEST(rejections)
{
    CHECK(row_rejects("id,ts,member,type,group,x", "1,0,m,t,g", "expected 6 fields but found 5"));
    CHECK(row_rejects("id,ts,member,type,group,x", "1,0,m,t,g,x,", "expected 6 fields but found 7"));
    CHECK(row_rejects("ts,member,type,x", "0,m,t,a\"b", "field 4: quote inside an unquoted field"));
    CHECK(row_rejects("ts,member,type,x", "0,m,t,\"a\"b", "field 4: unexpected \"b\" after the closing quote"));
    CHECK(row_rejects("ts,member,type,x", "0,m,t,\"a\" ", "unexpected \" \" after the closing quote"));
    CHECK(row_rejects("ts,member,type", ",m,t", "missing \"ts\""));
    CHECK(row_rejects("ts,member,type", "0,,t", "missing \"member\""));
    CHECK(row_rejects("ts,member,type", "0,m,", "missing \"type\""));
    CHECK(row_rejects("ts,member,type", "2025-02-30,m,t", "invalid timestamp \"2025-02-30\": day 30 out of range"));
    CHECK(row_rejects("ts,member,type", "2200-01-01,m,t", "timestamp out of range: \"2200-01-01\""));
    CHECK(row_rejects("ts,member,type", "7258118400000,m,t", "timestamp out of range: \"7258118400000\""));
    CHECK(row_rejects("ts,member,type", "-99999999999999999999,m,t", "timestamp out of range"));
    CHECK(row_rejects("ts,member,type", "1.5,m,t", "invalid timestamp \"1.5\""));
    CHECK(row_rejects("ts,member,type", "0123,m,t", "invalid timestamp \"0123\""));
    CHECK(row_rejects("ts,member,type,title", "0,m,t,caf\xc3", "invalid UTF-8 in column \"title\""));
    CHECK(row_rejects("ts,member,type", "0,\xff,t", "invalid UTF-8 in column \"member\""));
    char row[700], name[300];
    memset(name, 'm', 256);
    name[256] = 0;
    snprintf(row, sizeof row, "0,%s,t", name);
    CHECK(row_rejects("ts,member,type", row, "\"member\" is longer than 255 bytes"));
    snprintf(row, sizeof row, "%s,0,m,t", name);
    CHECK(row_rejects("id,ts,member,type", row, "\"id\" is longer than 255 bytes"));
}

TEST(unterminated_quote)
{
    shoal_input *in = open_csv("ts,member,type,x\n0,m,t,ok\n0,m,t,\"never closed\n0,m,t,y\n", 0);
    shoal_event ev;
    if (!in) return;
    CHECK_RC(next(in, &ev), 1);
    CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
    /* A quote still open at the end of the file is cut at its line: the rest is read. */
    CHECK(strstr(E.msg, "unterminated quoted field: this line alone is rejected") && shoal_input_line(in) == 3);
    CHECK(eq(shoal_input_raw(in), "0,m,t,\"never closed"));
    CHECK_RC(next(in, &ev), 1);
    CHECK(shoal_input_line(in) == 4 && ev.props[0].v.s.len == 1 && ev.props[0].v.s.ptr[0] == 'y');
    CHECK_RC(next(in, &ev), 0);
    shoal_input_close(in);
    /* A stray quote closed by a later quoted field makes a malformed record: cut too,
     * so the lines between are read. */
    in = open_csv("ts,member,type,x\n0,m,t,\"stray\n0,n,t,plain\n0,o,t,\"quoted, fine\"\n0,p,t,\"a\nb\"\n", 0);
    if (!in) return;
    CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
    CHECK(strstr(E.msg, "unterminated quoted field: this line alone") && shoal_input_line(in) == 2);
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "n") && shoal_input_line(in) == 3);
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "o") && shoal_input_line(in) == 4);
    CHECK_RC(next(in, &ev), 1);  /* a well-quoted field across lines is still one record */
    CHECK(eq(ev.member, "p") && shoal_input_line(in) == 5 && ev.props[0].v.s.len == 3);
    CHECK_RC(next(in, &ev), 0);
    shoal_input_close(in);
    /* On the last line alone, it is what it was. */
    in = open_csv("ts,member,type,x\n0,m,t,\"never closed", 0);
    if (!in) return;
    CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
    CHECK(strstr(E.msg, "unterminated quoted field at end of file") && shoal_input_line(in) == 2);
    CHECK_RC(next(in, &ev), 0);
    shoal_input_close(in);
}

TEST(header)
{
    CHECK(header_rejects("member,type\n0,m\n", "header has no \"ts\" column"));
    CHECK(header_rejects("ts,type\n", "header has no \"member\" column"));
    CHECK(header_rejects("ts,member\n", "header has no \"type\" column"));
    CHECK(header_rejects("ts,member,type,x,x\n", "duplicate column \"x\" in header"));
    CHECK(header_rejects("ts,member,type,member\n", "duplicate column \"member\" in header"));
    CHECK(header_rejects("ts,member,type,\"x\",x\n", "duplicate column \"x\" in header"));
    CHECK(header_rejects("ts,member,,type\n", "empty column name in header (column 3)"));
    CHECK(header_rejects("ts,member,type,\n", "empty column name in header (column 4)"));
    CHECK(header_rejects("ts,member,type,props\n", "column name \"props\" is reserved"));
    CHECK(header_rejects("ts,member,type,properties\n", "column name \"properties\" is reserved"));
    CHECK(header_rejects("ts,member,type,\xc3\n", "invalid UTF-8 in header (column 4)"));
    CHECK(header_rejects("ts,member,type,a\"b\n", "field 4: quote inside an unquoted field"));
    CHECK(header_rejects("ts,member,\"type\n", "unterminated quoted field"));
    char big[400];
    memset(big, 'k', 300);
    strcpy(big + 300, ",ts,member,type\n");
    CHECK(header_rejects(big, "is longer than 255 bytes"));

    /* Blank lines before the header, a byte order mark, quoted names. */
    shoal_input *in = open_csv("\xef\xbb\xbf\"id\",ts,member,type,\"a b\"\n1,0,m,t,v\n", 0);
    shoal_event ev;
    if (in) {
        CHECK_RC(next(in, &ev), 1);
        CHECK(ev.has_id && eq(ev.id, "1") && prop(&ev, "a b") && eq(prop(&ev, "a b")->v.s, "v"));
        shoal_input_close(in);
    }
    in = open_csv("\n\r\nts,member,type\n0,m,t\n", 0);
    if (in) {
        CHECK_RC(next(in, &ev), 1);
        CHECK(shoal_input_line(in) == 4);
        shoal_input_close(in);
    }
    /* No header at all: no events, no error. */
    in = open_csv("", 0);
    CHECK(in != NULL);
    if (in) {
        CHECK_RC(next(in, &ev), 0);
        shoal_input_close(in);
    }
    in = open_csv("ts,member,type\n", 0);
    CHECK(in != NULL);
    if (in) {
        CHECK_RC(next(in, &ev), 0);
        shoal_input_close(in);
    }
}

TEST(property_limits)
{
    char hdr[2048], row[2048];
    int o = snprintf(hdr, sizeof hdr, "ts,member,type");
    int r = snprintf(row, sizeof row, "0,m,t");
    for (int i = 0; i < 70; i++) {
        o += snprintf(hdr + o, sizeof hdr - (size_t)o, ",p%d", i);
        r += snprintf(row + r, sizeof row - (size_t)r, ",%s", i < SHOAL_MAX_PROPS ? "1" : "");
    }
    char text[sizeof hdr + sizeof row + 4];
    snprintf(text, sizeof text, "%s\n%s\n", hdr, row);
    shoal_input *in = open_csv(text, 0);
    shoal_event ev;
    if (in) {
        /* Empty cells are absent: 64 filled of 70 columns is fine. */
        CHECK_RC(next(in, &ev), 1);
        CHECK(ev.n_props == SHOAL_MAX_PROPS);
        CHECK_RC(shoal_event_check(&ev, NULL), SHOAL_OK);
        shoal_input_close(in);
    }
    row[r] = '1';
    row[r + 1] = 0;
    CHECK(row_rejects(hdr, row, "too many properties (more than 64)"));

    size_t n = SHOAL_MAX_STRVAL + 100;
    char *big = malloc(n + 100);
    o = snprintf(big, 100, "ts,member,type,s\n0,m,t,");
    memset(big + o, 's', SHOAL_MAX_STRVAL + 1);
    strcpy(big + o + SHOAL_MAX_STRVAL + 1, "\n");
    in = open_csv(big, 0);
    if (in) {
        CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
        CHECK(strstr(E.msg, "column \"s\": string longer than 65536 bytes"));
        shoal_input_close(in);
    }
    free(big);
}

/* A digest of everything next returns, to compare readings of one text. */
static uint64_t digest(const char *text, size_t chunk, int format)
{
    shoal_input *in = NULL;
    shoal_event ev;
    uint64_t h = 1469598103934665603ull;
#define MIX(p, n)                                                                                  \
    do {                                                                                           \
        const unsigned char *p_ = (const unsigned char *)(p);                                      \
        for (size_t k_ = 0; k_ < (size_t)(n); k_++) h = (h ^ p_[k_]) * 1099511628211ull;           \
    } while (0)
    if (shoal_input_open_mem("x", text, strlen(text), format, chunk, &in, NULL)) return 0;
    int rc;
    while ((rc = next(in, &ev)) != 0) {
        uint64_t line = shoal_input_line(in);
        shoal_str raw = shoal_input_raw(in);
        MIX(&rc, sizeof rc);
        MIX(&line, sizeof line);
        MIX(raw.ptr, raw.len);
        if (rc == 1) {
            MIX(&ev.ts, sizeof ev.ts);
            MIX(ev.member.ptr, ev.member.len);
            for (uint32_t i = 0; i < ev.n_props; i++) {
                MIX(ev.props[i].key.ptr, ev.props[i].key.len);
                if (ev.props[i].kind == SHOAL_VAL_STR) MIX(ev.props[i].v.s.ptr, ev.props[i].v.s.len);
            }
        } else {
            MIX(E.msg, strlen(E.msg));
        }
        if (rc < 0 && rc != SHOAL_EFORMAT) break;
    }
    uint64_t b = shoal_input_bytes(in);
    MIX(&b, sizeof b);
    shoal_input_close(in);
    return h;
}

TEST(chunk_boundaries)
{
    /* Every chunk size from 1 byte up reads the same records, lines and errors. */
    const char *text = "\xef\xbb\xbfts,member,type,note\r\n"
                       "0,a,t,\"x,\"\"y\"\"\r\nz\"\r\n"
                       "\r\n"
                       "0,b,t,plain\r\n"
                       "0,c,t,\"\"\r\n"
                       "x,d,t,bad\n"
                       "0,e,t,a\"b\n"
                       "0,f,t,\"unterminated\n";
    uint64_t want = digest(text, 0, SHOAL_FMT_CSV);
    int bad = 0;
    for (size_t chunk = 1; chunk < 40; chunk++)
        if (digest(text, chunk, SHOAL_FMT_CSV) != want) bad++;
    CHECK(bad == 0);
    const char *nd = "{\"ts\":0,\"member\":\"a\",\"type\":\"t\"}\r\n\n  \n{\"ts\":0,\"member\":\"b\",\"type\":\"t\",\"s\":\"\\n\"}\n"
                     "garbage\n{\"ts\":0,\"member\":\"c\",\"type\":\"t\"}";
    want = digest(nd, 0, SHOAL_FMT_NDJSON);
    for (size_t chunk = 1; chunk < 40; chunk++)
        if (digest(nd, chunk, SHOAL_FMT_NDJSON) != want) bad++;
    CHECK(bad == 0);
}

TEST(framing)
{
    int st = 0;
    uint64_t nl = 0;
    CHECK(shoal_csv_frame("a,b\nc", 5, &st, &nl) == 3 && st == 0 && nl == 0);
    CHECK(shoal_csv_frame("a,\"b\nc\"\nd", 10, &st, &nl) == 7 && nl == 1);
    /* Resumable: the quote state survives a split anywhere. */
    st = 0, nl = 0;
    CHECK(shoal_csv_frame("a,\"b\n", 5, &st, &nl) == 5 && nl == 1);
    CHECK(shoal_csv_frame("\"", 1, &st, &nl) == 1);
    CHECK(shoal_csv_frame("\"\n\",x\ny", 7, &st, &nl) == 5 && nl == 2);
    /* A quote inside an unquoted field opens nothing. */
    st = 0, nl = 0;
    CHECK(shoal_csv_frame("a\"b\nc", 5, &st, &nl) == 3 && nl == 0);
}

int main(void)
{
    A = shoal_arena_new();
    RUN(basic_rows);
    RUN(type_inference);
    RUN(quoting);
    RUN(line_numbers_across_quoted_newlines);
    RUN(rejections);
    RUN(unterminated_quote);
    RUN(header);
    RUN(property_limits);
    RUN(chunk_boundaries);
    RUN(framing);
    shoal_arena_free(A);
    UNIT_EXIT();
}
