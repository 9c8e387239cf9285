/* test_input.c — the input object (ingest/input.c) over real files and stdin: line
 * numbers, CRLF, blank lines, a final line without newline, oversized records rejected
 * without losing the next one, the format by file name, and I/O errors. */
#include "unit.h"
#include "input.h"
#include "shoal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static shoal_arena *A;
static shoal_err E;
static char dir[64];

static int eq(shoal_str s, const char *want)
{
    return s.len == strlen(want) && (s.len == 0 || memcmp(s.ptr, want, s.len) == 0);
}

static const char *path_of(const char *name)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static const char *write_file(const char *name, const char *data, size_t n)
{
    const char *p = path_of(name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f)) abort();
    return p;
}

static shoal_input *open_path(const char *p, int format)
{
    shoal_input *in = NULL;
    shoal_err_clear(&E);
    if (shoal_input_open(p, format, &in, &E)) printf("  open %s: %s\n", p, E.msg);
    return in;
}

static int next(shoal_input *in, shoal_event *ev) { return shoal_input_next(in, A, ev, &E); }

#define EV(m) "{\"ts\":0,\"member\":\"" m "\",\"type\":\"t\"}"

TEST(lines_crlf_blank)
{
    const char text[] = EV("a") "\r\n"
                                "\n"
                                "   \t\r\n" EV("b") "\n"
                                                    "{\"ts\":0}\r\n" EV("c") "\r\n" EV("d");
    const char *p = write_file("a.ndjson", text, sizeof text - 1);
    shoal_input *in = open_path(p, SHOAL_FMT_AUTO);
    shoal_event ev;
    if (!in) return;
    CHECK(!strcmp(shoal_input_name(in), p));
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "a") && shoal_input_line(in) == 1 && eq(shoal_input_raw(in), EV("a")));
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "b") && shoal_input_line(in) == 4);
    CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
    CHECK(shoal_input_line(in) == 5 && strstr(E.msg, "missing \"member\"") && eq(shoal_input_raw(in), "{\"ts\":0}"));
    /* The reason of the next rejection is not hidden by the previous one. */
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "c") && shoal_input_line(in) == 6 && E.code == 0);
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.member, "d") && shoal_input_line(in) == 7 && eq(shoal_input_raw(in), EV("d")));
    CHECK_RC(next(in, &ev), 0);
    CHECK_RC(next(in, &ev), 0);
    CHECK(shoal_input_bytes(in) == sizeof text - 1);
    shoal_input_close(in);
}

TEST(oversized_line)
{
    /* A 2 MiB line between two good ones: rejected, cut for the reject file, and the
     * line after it still read with the right number. */
    size_t big = (size_t)2 << 20;
    char *text = malloc(big + 200);
    size_t o = 0;
    o += (size_t)sprintf(text + o, EV("a") "\n");
    o += (size_t)sprintf(text + o, "{\"ts\":0,\"member\":\"m\",\"type\":\"t\",\"s\":\"");
    memset(text + o, 'x', big);
    o += big;
    o += (size_t)sprintf(text + o, "\"}\n" EV("b") "\n");
    const char *p = write_file("big.ndjson", text, o);
    shoal_input *in = open_path(p, SHOAL_FMT_NDJSON);
    shoal_event ev;
    if (in) {
        CHECK_RC(next(in, &ev), 1);
        CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
        CHECK(!strcmp(E.msg, "line too long (more than 1048576 bytes)"));
        CHECK(shoal_input_line(in) == 2);
        shoal_str raw = shoal_input_raw(in);
        CHECK(raw.len == SHOAL_MAX_RECORD && !memcmp(raw.ptr, "{\"ts\":0,", 8) && raw.ptr[raw.len - 1] == 'x');
        CHECK_RC(next(in, &ev), 1);
        CHECK(eq(ev.member, "b") && shoal_input_line(in) == 3);
        CHECK_RC(next(in, &ev), 0);
        CHECK(shoal_input_bytes(in) == o);
        shoal_input_close(in);
    }
    /* The same as the last line, without a newline. */
    p = write_file("big2.ndjson", text, o - strlen(EV("b")) - 2);
    in = open_path(p, SHOAL_FMT_NDJSON);
    if (in) {
        CHECK_RC(next(in, &ev), 1);
        CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
        CHECK(strstr(E.msg, "line too long") && shoal_input_line(in) == 2);
        CHECK_RC(next(in, &ev), 0);
        shoal_input_close(in);
    }
    free(text);
}

TEST(record_size_limit)
{
    /* Exactly SHOAL_MAX_RECORD bytes (plus a CR) is not oversized; one more is. */
    size_t n = SHOAL_MAX_RECORD;
    char *text = malloc(2 * n + 100);
    const char *head = "{\"ts\":0,\"member\":\"m\",\"type\":\"t\",\"s\":\"";
    size_t h = strlen(head);
    memcpy(text, head, h);
    memset(text + h, 'y', n - h - 2);
    memcpy(text + n - 2, "\"}\r\n", 4);
    memcpy(text + n + 2, head, h);
    memset(text + n + 2 + h, 'y', n - h - 1);
    memcpy(text + 2 * n + 1, "\"}\n", 3);
    const char *p = write_file("limit.ndjson", text, 2 * n + 4);
    shoal_input *in = open_path(p, SHOAL_FMT_NDJSON);
    shoal_event ev;
    if (in) {
        CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
        CHECK(strstr(E.msg, "string longer than 65536 bytes") && shoal_input_raw(in).len == n);
        CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
        CHECK(strstr(E.msg, "line too long") && shoal_input_line(in) == 2 && shoal_input_raw(in).len == n);
        CHECK_RC(next(in, &ev), 0);
        shoal_input_close(in);
    }
    free(text);
}

TEST(oversized_csv_record)
{
    /* A quoted field of 2 MiB spanning many lines: past the record limit, it is taken
     * for a stray quote, so its first line is rejected alone and every line after it
     * read as a record of its own (rejected here: too few fields), and the line count
     * stays right. */
    size_t big = (size_t)2 << 20;
    char *text = malloc(big + 200);
    size_t o = (size_t)sprintf(text, "ts,member,type,note\n0,a,t,x\n0,m,t,\"");
    for (size_t i = 0; i < big; i++) text[o + i] = i % 1000 == 999 ? '\n' : (i % 1000 == 500 ? ',' : 'z');
    o += big;
    o += (size_t)sprintf(text + o, "\"\n0,b,t,y\n");
    const char *p = write_file("big.csv", text, o);
    shoal_input *in = open_path(p, SHOAL_FMT_AUTO);
    shoal_event ev;
    if (in) {
        CHECK_RC(next(in, &ev), 1);
        CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
        CHECK(strstr(E.msg, "unterminated quoted field: this line alone is rejected") && shoal_input_line(in) == 3);
        uint64_t n_rej = 0, last = 3;
        int rc;
        while ((rc = next(in, &ev)) == SHOAL_EFORMAT) {
            n_rej++;
            CHECK(shoal_input_line(in) == last + 1);
            last = shoal_input_line(in);
        }
        CHECK_RC(rc, 1);
        CHECK(n_rej == big / 1000);
        CHECK(eq(ev.member, "b") && shoal_input_line(in) == 3 + big / 1000 + 1);
        CHECK_RC(next(in, &ev), 0);
        shoal_input_close(in);
    }
    free(text);
}

TEST(csv_file)
{
    const char text[] = "id,ts,member,type,group,note\r\n"
                        "e1,2025-03-04T09:00:12+08:00,m-1,post,g,\"multi\r\nline\"\r\n"
                        "\r\n"
                        "e2,1741050012000,m-2,like,,\r\n";
    const char *p = write_file("ev.csv", text, sizeof text - 1);
    shoal_input *in = open_path(p, SHOAL_FMT_AUTO);
    shoal_event ev;
    if (!in) return;
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.id, "e1") && ev.ts == 1741050012000LL && ev.n_props == 1 && eq(ev.props[0].v.s, "multi\r\nline"));
    CHECK(shoal_input_line(in) == 2);
    CHECK_RC(next(in, &ev), 1);
    CHECK(eq(ev.id, "e2") && ev.group.ptr == NULL && ev.n_props == 0 && shoal_input_line(in) == 5);
    CHECK_RC(next(in, &ev), 0);
    shoal_input_close(in);
    /* The same file read as NDJSON, by explicit format, rejects every line. */
    in = open_path(p, SHOAL_FMT_NDJSON);
    if (in) {
        CHECK_RC(next(in, &ev), SHOAL_EFORMAT);
        CHECK(strstr(E.msg, "expected a JSON object"));
        shoal_input_close(in);
    }
    /* The suffix is matched in any case. */
    p = write_file("EV.CSV", text, sizeof text - 1);
    in = open_path(p, SHOAL_FMT_AUTO);
    if (in) {
        CHECK_RC(next(in, &ev), 1);
        CHECK(eq(ev.id, "e1"));
        shoal_input_close(in);
    }
    /* A bad header fails the open. */
    p = write_file("bad.csv", "ts,member\n0,m\n", 14);
    shoal_input *bad = NULL;
    shoal_err_clear(&E);
    CHECK_RC(shoal_input_open(p, SHOAL_FMT_AUTO, &bad, &E), SHOAL_EFORMAT);
    CHECK(bad == NULL && strstr(E.msg, "header has no \"type\" column"));
}

TEST(stdin)
{
    const char text[] = EV("s") "\n";
    const char *p = write_file("stdin.ndjson", text, sizeof text - 1);
    int saved = dup(0), fd = open(p, O_RDONLY);
    CHECK(saved >= 0 && fd >= 0 && dup2(fd, 0) == 0);
    close(fd);
    shoal_input *in = open_path("-", SHOAL_FMT_AUTO);
    shoal_event ev;
    if (in) {
        CHECK(!strcmp(shoal_input_name(in), "<stdin>"));
        CHECK_RC(next(in, &ev), 1);
        CHECK(eq(ev.member, "s"));
        CHECK_RC(next(in, &ev), 0);
        shoal_input_close(in);
    }
    /* stdin stays open after close: it is not the input's to close. */
    CHECK(fcntl(0, F_GETFD) != -1);
    dup2(saved, 0);
    close(saved);
}

TEST(io_errors)
{
    shoal_input *in = NULL;
    shoal_err_clear(&E);
    CHECK_RC(shoal_input_open(path_of("missing.ndjson"), SHOAL_FMT_AUTO, &in, &E), SHOAL_EIO);
    CHECK(in == NULL && E.sys == ENOENT && strstr(E.msg, "cannot open") && strstr(E.msg, "missing.ndjson"));
    /* A directory opens but cannot be read. */
    in = open_path(dir, SHOAL_FMT_NDJSON);
    shoal_event ev;
    if (in) {
        CHECK_RC(next(in, &ev), SHOAL_EIO);
        CHECK(E.sys == EISDIR && strstr(E.msg, "cannot read"));
        shoal_input_close(in);
    }
    shoal_err_clear(&E);
    CHECK_RC(shoal_input_open(dir, SHOAL_FMT_CSV, &in, &E), SHOAL_EIO);
    CHECK(E.sys == EISDIR);
}

TEST(memory_stays_flat)
{
    /* 48 MiB of events read with the arena reset per batch: the process grows by the
     * input's fixed buffer, not by the file. */
    const char *p = path_of("flat.ndjson");
    FILE *f = fopen(p, "wb");
    char line[256];
    size_t total = 0;
    for (int i = 0; total < ((size_t)48 << 20); i++) {
        int n = snprintf(line, sizeof line,
                         "{\"id\":\"e-%d\",\"ts\":%d,\"member\":\"m-%d\",\"type\":\"post\",\"words\":%d,"
                         "\"pad\":\"%060d\"}\n", i, i, i % 1000, i, i);
        fwrite(line, 1, (size_t)n, f);
        total += (size_t)n;
    }
    fclose(f);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long before = ru.ru_maxrss;
    shoal_input *in = open_path(p, SHOAL_FMT_AUTO);
    shoal_arena *a = shoal_arena_new();
    shoal_event ev;
    size_t n_ev = 0;
    int rc;
    if (in) {
        while ((rc = shoal_input_next(in, a, &ev, &E)) == 1)
            if (++n_ev % 16384 == 0) shoal_arena_reset(a);
        CHECK_RC(rc, 0);
        CHECK(shoal_input_bytes(in) == total && n_ev > 300000);
        shoal_input_close(in);
    }
    shoal_arena_free(a);
    getrusage(RUSAGE_SELF, &ru);
    /* KiB on Linux: the 2 MiB buffer, arena chunks for one batch, and slack. */
    CHECK(ru.ru_maxrss - before < 16 * 1024);
    if (ru.ru_maxrss - before >= 16 * 1024) printf("  grew by %ld KiB\n", ru.ru_maxrss - before);
}

TEST(out_of_memory)
{
    /* Every allocation of open and of the first records fails in turn; each failure
     * is SHOAL_ENOMEM and leaks nothing (ASan checks the leaks). */
    const char text[] = "ts,member,type,a\n0,m,t,1\n0,m,t,x\n";
    int seen_ok = 0, bad = 0;
    for (long k = 0; k < 20; k++) {
        shoal_input *in = NULL;
        shoal_arena *a = shoal_arena_new();
        shoal_event ev;
        shoal_err e;
        shoal_err_clear(&e);
        shoal_mem_fail_after(k);
        int rc = shoal_input_open_mem("m.csv", text, sizeof text - 1, SHOAL_FMT_AUTO, 0, &in, &e);
        if (rc == 0) {
            while ((rc = shoal_input_next(in, a, &ev, &e)) == 1) {}
        }
        shoal_mem_fail_after(-1);
        if (rc == 0) seen_ok = 1;
        else if (rc != SHOAL_ENOMEM || e.code != SHOAL_ENOMEM) bad++;
        shoal_input_close(in);
        shoal_arena_free(a);
    }
    CHECK(bad == 0 && seen_ok);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/shoal-input-XXXXXX");
    if (!mkdtemp(dir)) abort();
    A = shoal_arena_new();
    RUN(lines_crlf_blank);
    RUN(oversized_line);
    RUN(record_size_limit);
    RUN(oversized_csv_record);
    RUN(csv_file);
    RUN(stdin);
    RUN(io_errors);
    RUN(memory_stays_flat);
    RUN(out_of_memory);
    shoal_arena_free(A);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    UNIT_EXIT();
}
