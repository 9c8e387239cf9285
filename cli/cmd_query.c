/* cmd_query.c — `shoal query 'SELECT …'`, `shoal query -f file.shoal` and `… | shoal
 * query`: runs the statements through shoal_query_run and prints rows to stdout, errors
 * (with line, column and caret) and status lines (what a CREATE did, timing) to stderr
 * (status lines to stdout in table format). Also the helpers the REPL shares.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char shoal_cmd_query_usage[] =
    "usage: shoal query [OPTIONS] 'STATEMENT; …'\n"
    "       shoal query [OPTIONS] -f FILE.shoal\n"
    "       shoal query [OPTIONS] -             (or no statement, stdin not a terminal)\n"
    "\n"
    "Runs statements of the query language (see docs/LANGUAGE.md) and prints their\n"
    "results. Stops at the first error, printing where it is, with exit status 1.\n"
    "`-` (or `-f -`) reads the statements from standard input.\n"
    "\n"
    "  --format F   table, csv, json, ndjson or markdown (default: table on a\n"
    "               terminal, csv otherwise)\n"
    "  --timing     print each statement's time (\"Time: 1.234 ms\") on stderr, or\n"
    "               after its table in table format\n"
    "  -q, --quiet  do not print what CREATE, DROP and SET did (table format)\n"
    "  --maxrows N  rows a table shows (default: 40 on a terminal, else all; 0: all)\n"
    "  --memory SIZE  the memory budget of a statement's groups and sorted rows,\n"
    "               such as 256MB or 2GB (default: half of the machine's memory);\n"
    "               past it, they spill to temporary files in $TMPDIR (SET MEMORY_LIMIT)\n"
    "\n"
    "SHOAL_THREADS=N (environment): threads a grouped scan over events, or the\n"
    "scan that feeds per-member aggregates, runs on (default: the processors\n"
    "online; 1: one thread).\n";

static int write_out(void *ctx, const char *buf, size_t n)
{
    shoal_cli_query *q = ctx;
    return fwrite(buf, 1, n, q->out ? q->out : stdout) == n ? 0 : -1;
}

/* A statement's status line: beside a table it reads like psql's command tags and
 * "Time:", so it goes after the table on stdout; every other format is data a program
 * reads, so timing goes to stderr and never into it. */
static void on_status(void *ctx, int kind, const char *line)
{
    shoal_cli_query *q = ctx;
    int table = shoal_session_format(q->s) == SHOAL_OUT_TABLE;
    /* What a CREATE, DROP or SET did shows beside tables only: a script that reads
     * CSV or JSON (often with 2>&1) gets its data and nothing else. */
    if (kind == SHOAL_STATUS_TAG && (q->quiet || !table)) return;
    if (kind == SHOAL_STATUS_WARN) {   /* on stderr, in every format */
        fflush(stdout);
        fprintf(stderr, "%s\n", line);
        fflush(stderr);
        return;
    }
    if (table) {
        fprintf(q->out ? q->out : stdout, "%s\n", line);
        return;
    }
    fflush(stdout);
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
}

int shoal_cli_query_open(const char *db_path, int format, int create, shoal_cli_query *q)
{
    memset(q, 0, sizeof *q);
    /* With --readonly, statements that write (CREATE, DROP, SET DATABASE TIMEZONE) are refused
     * by the engine. create (statements that define something): a missing database is
     * made, as an ingest makes it, in a new or empty directory only. */
    unsigned flags = shoal_cli_readonly ? SHOAL_OPEN_RDONLY : create ? SHOAL_OPEN_CREATE : 0;
    int rc = shoal_cli_open(db_path, flags, 0, &q->db);
    if (rc) return rc;
    shoal_cli_progress_on_tty(q->db);
    shoal_err err;
    shoal_err_clear(&err);
    if (shoal_session_new(q->db, &q->s, &err)) {
        shoal_cli_error(&err, SHOAL_ENOMEM);
        shoal_db_close(q->db);
        return 2;
    }
    shoal_session_set_output(q->s, write_out, q);
    shoal_session_set_status(q->s, on_status, q);
    shoal_session_set_format(q->s, format ? format : isatty(1) ? SHOAL_OUT_TABLE : SHOAL_OUT_CSV);
    shoal_session_set_cancel(q->s, &shoal_cli_cancel);
    return 0;
}

void shoal_cli_query_close(shoal_cli_query *q)
{
    shoal_session_free(q->s);
    shoal_db_close(q->db);
}

int shoal_cli_query_exec(shoal_cli_query *q, const char *name, const char *src, size_t n)
{
    shoal_err err;
    shoal_err_clear(&err);
    shoal_cli_cancel = 0;
    int rc = shoal_query_run(q->s, src, n, &err);
    if (q->out) fflush(q->out);
    fflush(stdout);
    if (rc) {
        q->any_error = 1;
        if (rc == SHOAL_ECANCEL) {
            fprintf(stderr, "cancelled\n");
        } else {
            char buf[2048];
            shoal_err_render(&err, name, src, n, buf, sizeof buf);
            fputs(buf, stderr);
        }
        fflush(stderr);
    }
    return rc;
}

static int read_all(const char *path, char **out, size_t *n)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        shoal_cli_fail("cannot open %s: %s", path, strerror(errno));
        return 2;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (len < cap) break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (!buf || bad) {
        free(buf);
        shoal_cli_fail("cannot read %s", strcmp(path, "-") ? path : "standard input");
        return 2;
    }
    *out = buf;
    *n = len;
    return 0;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return 0;
    return 1;
}

int shoal_cmd_query(const char *db_path, int argc, char **argv)
{
    int format = 0, timing = 0, quiet = 0;
    uint64_t memory = 0;
    long long max_rows = -1;   /* -1: 40 on a terminal, else all */
    const char *file = NULL, *text = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--format") || !strcmp(a, "-F")) {
            if (i + 1 >= argc || !(format = shoal_query_format_parse(argv[++i]))) {
                shoal_cli_fail("--format needs table, csv, json, ndjson or markdown");
                return 2;
            }
        } else if (!strncmp(a, "--format=", 9)) {
            if (!(format = shoal_query_format_parse(a + 9))) {
                shoal_cli_fail("--format needs table, csv, json, ndjson or markdown");
                return 2;
            }
        } else if (!strcmp(a, "--timing")) {
            timing = 1;
        } else if (!strcmp(a, "--maxrows")) {
            char *end = NULL;
            if (i + 1 < argc) max_rows = strtoll(argv[++i], &end, 10);
            if (!end || *end || end == argv[i] || max_rows < 0) {
                shoal_cli_fail("--maxrows takes a number of rows (0: all)");
                return 2;
            }
        } else if (!strcmp(a, "--memory") || !strncmp(a, "--memory=", 9)) {
            const char *v = a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;
            if (!v || shoal_query_size_parse(v, &memory)) {
                shoal_cli_fail("--memory takes a size such as 256MB or 2GB");
                return 2;
            }
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
            if (i + 1 >= argc) {
                shoal_cli_fail("-f needs a file");
                return 2;
            }
            file = argv[++i];
        } else if (!strcmp(a, "-")) {
            if (file || text) {
                shoal_cli_fail("one query text at a time (quote it)");
                return 2;
            }
            file = "-";
        } else if (a[0] == '-' && a[1] && strcmp(a, "--") != 0 && !strpbrk(a, " \t\r\n")) {
            /* An option never holds white space; a text that does and starts with
             * "--" is a statement opening with a comment. */
            shoal_cli_fail("unknown option \"%s\"\n%s", a, shoal_cmd_query_usage);
            return 2;
        } else if (!strcmp(a, "--")) {
            if (i + 1 < argc) text = argv[++i];
        } else if (!text) {
            text = a;
        } else {
            shoal_cli_fail("one query text at a time (quote it)");
            return 2;
        }
    }
    /* No statement and stdin not a terminal: the statements come from stdin, as with
     * psql and sqlite3 (`echo 'SELECT 1' | shoal query`). */
    int implicit = !file && !text && !isatty(0);
    if (implicit) file = "-";
    if (!!file == !!text) {
        fputs(shoal_cmd_query_usage, stderr);
        return 2;
    }
    char *buf = NULL;
    size_t n = 0;
    if (file) {
        int rc = read_all(file, &buf, &n);
        if (rc) return rc;
        if (implicit && blank(buf, n)) {
            free(buf);
            shoal_cli_fail("no statement: give one as an argument, with -f FILE, or on standard input");
            return 2;
        }
    }
    shoal_cli_query q;
    /* A file of definitions (views, layers, …) may come before any event: it creates the
     * database, where a text that only reads says there is none. */
    const char *src = file ? buf : text;
    size_t src_n = file ? n : strlen(text);
    int rc = shoal_cli_query_open(db_path, format, shoal_query_defines(src, src_n), &q);
    if (rc) {
        free(buf);
        return rc;
    }
    q.quiet = quiet;
    shoal_session_set_timing(q.s, timing);
    shoal_session_set_memory_limit(q.s, memory);
    /* A screenful of a table on a terminal, as the DuckDB shell shows: a result of
     * millions of rows would otherwise be held whole to size its columns. */
    if (max_rows < 0) max_rows = isatty(1) ? 40 : 0;
    shoal_session_set_max_rows(q.s, (uint64_t)max_rows, "--maxrows N shows more, --maxrows 0 all; or LIMIT");
    shoal_cli_catch_sigint(NULL);
    shoal_cli_grow_stdout_pipe();
    const char *name = file ? (strcmp(file, "-") ? file : "<stdin>") : "query";
    rc = shoal_cli_query_exec(&q, name, src, src_n);
    shoal_cli_query_close(&q);
    free(buf);
    return rc ? (rc == SHOAL_ECANCEL ? 130 : 1) : 0;
}
