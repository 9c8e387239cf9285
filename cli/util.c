/* util.c — small pieces the subcommands share: opening the database with a clear
 * message, error printing, and JSON value writers. */
#include "cli.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int shoal_cli_readonly;
int shoal_cli_damage_status = 2;
void (*shoal_cli_after_open)(void);

int shoal_cli_is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

const char *shoal_cli_name = "shoal";

void shoal_cli_fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);   /* what was printed before the error comes before it */
    fprintf(stderr, "%s: error: ", shoal_cli_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void shoal_cli_error(const shoal_err *err, int rc)
{
    shoal_cli_fail("%s", err && err->msg[0] ? err->msg : shoal_strerror(rc));
}

unsigned shoal_cli_open_flags(void) { return shoal_cli_readonly ? SHOAL_OPEN_RDONLY | SHOAL_OPEN_NOLOCK : 0; }

/* LMDB reads the database through a map: a page past the end of data.mdb (a file
 * truncated or damaged in a way the open's checks did not see, or cut while in use) is
 * SIGBUS. Say so, and exit as for any damage found, instead of dying of the signal. */
static char damage_msg[512];
static size_t damage_len;

static void on_sigbus(int sig)
{
    (void)sig;
    ssize_t w = write(2, damage_msg, damage_len);
    (void)w;
    _exit(shoal_cli_damage_status);
}

void shoal_cli_on_damage(const char *db_path)
{
    int n = snprintf(damage_msg, sizeof damage_msg,
                     "%s: error: \"%s\" is damaged, or was cut while in use: a read went past the end of its "
                     "data.mdb (SIGBUS); run `shoal check`\n",
                     shoal_cli_name, db_path);
    damage_len = n < 0 ? 0 : (size_t)n < sizeof damage_msg ? (size_t)n : sizeof damage_msg - 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
}

void shoal_cli_open_error(const shoal_err *err, int rc, unsigned flags)
{
    if (rc == SHOAL_ENOTFOUND && !(flags & SHOAL_OPEN_CREATE))
        shoal_cli_fail("%s (ingest events to create it, or choose one with --db DIR)", err->msg);
    else
        shoal_cli_error(err, rc);
}

volatile int shoal_cli_cancel;

static void on_sigint(int sig)
{
    (void)sig;
    shoal_cli_cancel = 1;
}

void shoal_cli_catch_sigint(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, old);
}

int shoal_cli_open(const char *db_path, unsigned flags, size_t map_size, shoal_db **out)
{
    *out = NULL;
    if (shoal_cli_readonly && !(flags & SHOAL_OPEN_RDONLY)) {
        shoal_cli_fail("this command writes to the database, which --readonly forbids");
        return 2;
    }
    shoal_err err;
    shoal_err_clear(&err);
    flags |= shoal_cli_open_flags();
    /* Ctrl-C while it opens stops the command, whatever the command does with SIGINT
     * afterwards (the action it inherited is back once the open is done). */
    struct sigaction old;
    shoal_cli_cancel = 0;
    shoal_cli_catch_sigint(&old);
    int rc = shoal_db_open_cancel(db_path, flags, map_size, &shoal_cli_cancel, out, &err);
    sigaction(SIGINT, &old, NULL);
    if (!rc && shoal_cli_cancel) {
        shoal_db_close(*out);
        *out = NULL;
        rc = SHOAL_ECANCEL;
    }
    if (shoal_cli_after_open) shoal_cli_after_open();
    if (rc == SHOAL_ECANCEL) {
        fprintf(stderr, "cancelled\n");
        return 130;
    }
    if (rc) {
        shoal_cli_open_error(&err, rc, flags);
        return 2;
    }
    shoal_cli_on_damage(db_path);
    return 0;
}

void shoal_cli_json_str(FILE *f, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    putc('"', f);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        fwrite(s + run, 1, i - run, f);
        run = i + 1;
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            fputs("\\u00", f);
            putc(hex[c >> 4], f);
            putc(hex[c & 15], f);
        }
    }
    fwrite(s + run, 1, n - run, f);
    putc('"', f);
}

void shoal_cli_num(FILE *f, double d)
{
    char buf[40];
    /* The shortest of %.15g..%.17g that reads back exactly: 0.1 prints as 0.1. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    fputs(buf, f);
}

/* Linux's fcntl that sizes a pipe (fcntl.h declares it with _GNU_SOURCE only). */
#if defined(__linux__) && !defined(F_SETPIPE_SZ)
#define F_SETPIPE_SZ 1031
#endif

void shoal_cli_grow_stdout_pipe(void)
{
#ifdef F_SETPIPE_SZ
    struct stat st;
    if (fstat(1, &st) || !S_ISFIFO(st.st_mode)) return;
    /* 1 MB (Linux's default most for a user), else what is allowed of 256 and 128 kB;
     * a pipe that stays at 64 kB is as it was */
    for (int sz = 1 << 20; sz >= 128 << 10; sz >>= 1)
        if (fcntl(1, F_SETPIPE_SZ, sz) >= 0) return;
#endif
}
