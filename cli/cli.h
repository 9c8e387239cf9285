/* cli.h — what the shoal command's files share: the subcommand signature, opening
 * the database the user named, and output helpers. Only cli/ prints or exits. */
#ifndef SHOAL_CLI_H
#define SHOAL_CLI_H

#include <signal.h>
#include <stdio.h>

#include "shoal.h"

/* A subcommand: db_path is the database chosen by --db, SHOAL_DB or the default;
 * argv[0] is the subcommand's name. Returns the process exit status. */
typedef int (*shoal_cmd_fn)(const char *db_path, int argc, char **argv);

int shoal_cmd_ingest(const char *db_path, int argc, char **argv);
int shoal_cmd_import(const char *db_path, int argc, char **argv);
int shoal_cmd_stats(const char *db_path, int argc, char **argv);
int shoal_cmd_log(const char *db_path, int argc, char **argv);
int shoal_cmd_check(const char *db_path, int argc, char **argv);
int shoal_cmd_rebuild(const char *db_path, int argc, char **argv);
int shoal_cmd_query(const char *db_path, int argc, char **argv);
int shoal_cmd_repl(const char *db_path, int argc, char **argv);
int shoal_cmd_batch(const char *db_path, int argc, char **argv);
extern const char shoal_cmd_batch_usage[];
extern const char shoal_cmd_ingest_usage[], shoal_cmd_import_usage[], shoal_cmd_stats_usage[],
    shoal_cmd_log_usage[], shoal_cmd_check_usage[], shoal_cmd_rebuild_usage[], shoal_cmd_query_usage[],
    shoal_cmd_repl_usage[];

/* cmd_gen.c needs no database. */
int shoal_cmd_gen(int argc, char **argv);
extern const char shoal_cmd_gen_usage[];

/* Shared by the query commands (cmd_query.c, repl.c): opens the database and a session writing to stdout with the format
 * named by --format (or the default: table on a terminal, csv otherwise). */
typedef struct shoal_cli_query {
    shoal_db *db;
    shoal_session *s;
    int any_error;
    int quiet;   /* no status lines from CREATE, DROP and SET (timing still shows) */
    FILE *out;   /* where results go: NULL for stdout (the REPL's \o FILE) */
} shoal_cli_query;
/* Set to 1 by a SIGINT handler to cancel the running statement, and the database's
 * cancel flag (shoal_db_open_cancel): its back-fills and rebuilds stop at it too. */
extern volatile int shoal_cli_cancel;
/* Makes SIGINT set shoal_cli_cancel (no SA_RESTART); the old action into old (may be NULL). */
void shoal_cli_catch_sigint(struct sigaction *old);
int shoal_cli_query_open(const char *db_path, int format, int create, shoal_cli_query *q);
void shoal_cli_query_close(shoal_cli_query *q);
/* Runs src, printing a rendered error (named name) to stderr. Returns the rc. */
int shoal_cli_query_exec(shoal_cli_query *q, const char *name, const char *src, size_t n);

/* Every diagnostic of the command starts "shoal COMMAND: error: " (just "shoal: error: "
 * before a command is known): main sets the name, "shoal query" and so on. */
extern const char *shoal_cli_name;

/* Prints "shoal COMMAND: error: " and the message (a newline added) to stderr. */
void shoal_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens db_path, printing "shoal COMMAND: error: …" on failure. Returns 0 or exit status
 * 2, or 130 after "cancelled" when Ctrl-C came during the open (its walk of a short
 * data.mdb may take seconds). The handle's cancel flag is shoal_cli_cancel.
 * With --readonly (shoal_cli_readonly) a command that reads opens read-only, falling
 * back to no locking when the lock file cannot be written (shoal_cli_open_flags), and
 * a command that writes (flags without SHOAL_OPEN_RDONLY) is refused. */
int shoal_cli_open(const char *db_path, unsigned flags, size_t map_size, shoal_db **out);
/* Called by shoal_cli_open once the open is done, when set (main.c: the commands that
 * run statements keep the heap, set after LMDB's open allocated its buffers). */
extern void (*shoal_cli_after_open)(void);
/* --readonly (global option, main.c). */
extern int shoal_cli_readonly;
/* The flags --readonly adds: SHOAL_OPEN_RDONLY | SHOAL_OPEN_NOLOCK, or 0. */
unsigned shoal_cli_open_flags(void);
/* Prints the error of a failed shoal_db_open (with a hint when there is no database). */
void shoal_cli_open_error(const shoal_err *err, int rc, unsigned flags);
/* Makes a SIGBUS (a read past the end of a damaged data.mdb) print a clear message
 * naming db_path and exit with shoal_cli_damage_status (2; check sets 1). */
void shoal_cli_on_damage(const char *db_path);
extern int shoal_cli_damage_status;

/* Prints "shoal COMMAND: error: MSG" for err (or rc when err has no message) to stderr. */
void shoal_cli_error(const shoal_err *err, int rc);

/* True when the argument is -h or --help. */
int shoal_cli_is_help(const char *arg);

/* Seconds on a monotonic clock. */
double shoal_cli_now(void);

/* The number of events in the log now (its last sequence), read in a snapshot of its
 * own, for the closing line of ingest and import. Returns 0, or an SHOAL_E* code. */
int shoal_cli_log_count(shoal_db *db, uint64_t *n);

/* For atexit: flushes and closes stdout and, when any write to it failed, says so
 * and ends the process with status 2. */
void shoal_cli_close_stdout(void);
/* stdout, when it is a pipe, given room for 1 MB (Linux; else as it was): a statement
 * whose output passes the 64 kB a pipe holds by default waited for its reader to be
 * scheduled and read (issue 17: core creator's 80 kB table, 0.2-0.4 ms of a
 * statement's time in `shoal query --timing | sed` on a busy machine), where now its
 * output is written and the reader reads it while the next statement runs. */
void shoal_cli_grow_stdout_pipe(void);

/* Feedback while events go in (feedback.c): set verbose and quiet, then start, which
 * fills opts' callbacks and cancel flag and makes Ctrl-C stop the ingest cleanly. */
typedef struct shoal_cli_feedback {
    int verbose, quiet;   /* set by the caller */
    int tty;
    double t0, last;
    uint64_t base_records, base_bytes;   /* totals of the inputs already done */
    unsigned n_shown_rejects;
    struct sigaction old_sigint;
} shoal_cli_feedback;

void shoal_cli_feedback_start(shoal_cli_feedback *f, shoal_ingest_opts *opts);
/* Clears the progress line and adds st to the totals, after each input. */
void shoal_cli_feedback_input_done(shoal_cli_feedback *f, const shoal_ingest_stats *st);
/* Restores Ctrl-C. Returns the seconds since start. */
double shoal_cli_feedback_stop(shoal_cli_feedback *f);

/* Shows the progress of views' back-fills and rebuilds on stderr when it is a terminal. */
void shoal_cli_progress_on_tty(shoal_db *db);

/* Writes s as a JSON string literal (quotes included) to f. */
void shoal_cli_json_str(FILE *f, const char *s, size_t n);

/* The SHA-256 of data[0..n) as 64 lowercase hex digits and a NUL (sha256.c). */
void shoal_cli_sha256(const void *data, size_t n, char hex[65]);

/* Writes a finite double in the shortest form that reads back to the same value. */
void shoal_cli_num(FILE *f, double d);

#endif
