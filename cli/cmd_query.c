/* cmd_query.c — `shoal query 'SELECT …'` and `shoal query -f file.shoal`: runs the
 * statements through shoal_query_run and prints rows to stdout, errors (with line,
 * column and caret) to stderr. Also the helpers the REPL shares.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char shoal_cmd_query_usage[] =
    "usage: shoal query [--format F] [--timing] 'STATEMENT; …'\n"
    "       shoal query [--format F] [--timing] -f FILE.shoal   (FILE may be - for stdin)\n"
    "\n"
    "Runs statements of the query language (see docs/LANGUAGE.md) and prints their\n"
    "results. Stops at the first error, printing where it is, with exit status 1.\n"
    "\n"
    "  --format F   table, csv, json, ndjson or markdown (default: table on a\n"
    "               terminal, csv otherwise)\n"
    "  --timing     print each statement's time after its table\n";

/* Set by SIGINT handlers (here and in repl.c); the running statement sees it. */
volatile int shoal_cli_cancel;

static void on_sigint(int sig)
{
    (void)sig;
    shoal_cli_cancel = 1;
}

static int write_stdout(void *ctx, const char *buf, size_t n)
{
    (void)ctx;
    return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

int shoal_cli_query_open(const char *db_path, int format, shoal_cli_query *q)
{
    memset(q, 0, sizeof *q);
    /* With --readonly, statements that write (CREATE, DROP, SET TIMEZONE) are refused
     * by the engine. */
    int rc = shoal_cli_open(db_path, shoal_cli_readonly ? SHOAL_OPEN_RDONLY : 0, 0, &q->db);
    if (rc) return rc;
    shoal_cli_progress_on_tty(q->db);
    shoal_err err;
    shoal_err_clear(&err);
    if (shoal_session_new(q->db, &q->s, &err)) {
        shoal_cli_error(&err, SHOAL_ENOMEM);
        shoal_db_close(q->db);
        return 2;
    }
    shoal_session_set_output(q->s, write_stdout, NULL);
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
        fprintf(stderr, "shoal: error: cannot open %s: %s\n", path, strerror(errno));
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
        fprintf(stderr, "shoal: error: cannot read %s\n", path);
        return 2;
    }
    *out = buf;
    *n = len;
    return 0;
}

int shoal_cmd_query(const char *db_path, int argc, char **argv)
{
    int format = 0, timing = 0;
    const char *file = NULL, *text = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--format") || !strcmp(a, "-F")) {
            if (i + 1 >= argc || !(format = shoal_query_format_parse(argv[++i]))) {
                fprintf(stderr, "shoal query: --format needs table, csv, json, ndjson or markdown\n");
                return 2;
            }
        } else if (!strncmp(a, "--format=", 9)) {
            if (!(format = shoal_query_format_parse(a + 9))) {
                fprintf(stderr, "shoal query: --format needs table, csv, json, ndjson or markdown\n");
                return 2;
            }
        } else if (!strcmp(a, "--timing")) {
            timing = 1;
        } else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "shoal query: -f needs a file\n");
                return 2;
            }
            file = argv[++i];
        } else if (a[0] == '-' && a[1] && strcmp(a, "--") != 0) {
            fprintf(stderr, "shoal query: unknown option %s\n%s", a, shoal_cmd_query_usage);
            return 2;
        } else if (!strcmp(a, "--")) {
            if (i + 1 < argc) text = argv[++i];
        } else if (!text) {
            text = a;
        } else {
            fprintf(stderr, "shoal query: one query text at a time (quote it)\n");
            return 2;
        }
    }
    if (!!file == !!text) {
        fputs(shoal_cmd_query_usage, stderr);
        return 2;
    }
    char *buf = NULL;
    size_t n = 0;
    if (file) {
        int rc = read_all(file, &buf, &n);
        if (rc) return rc;
    }
    shoal_cli_query q;
    int rc = shoal_cli_query_open(db_path, format, &q);
    if (rc) {
        free(buf);
        return rc;
    }
    shoal_session_set_timing(q.s, timing);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    const char *name = file ? (strcmp(file, "-") ? file : "<stdin>") : "query";
    rc = shoal_cli_query_exec(&q, name, file ? buf : text, file ? n : strlen(text));
    shoal_cli_query_close(&q);
    free(buf);
    return rc ? (rc == SHOAL_ECANCEL ? 130 : 1) : 0;
}
