/* query_cmds.h — the query subcommands (cmd_query.c, repl.c), for main.c's table. */
#ifndef SHOAL_QUERY_CMDS_H
#define SHOAL_QUERY_CMDS_H

int shoal_cmd_query(const char *db_path, int argc, char **argv);
int shoal_cmd_repl(const char *db_path, int argc, char **argv);
extern const char shoal_cmd_query_usage[], shoal_cmd_repl_usage[];

/* Shared by both: opens the database and a session writing to stdout with the format
 * named by --format (or the default: table on a terminal, csv otherwise). */
#include "query.h"
typedef struct shoal_cli_query {
    shoal_db *db;
    shoal_session *s;
    int any_error;
} shoal_cli_query;
/* Set to 1 by a SIGINT handler to cancel the running statement. */
extern volatile int shoal_cli_cancel;
int shoal_cli_query_open(const char *db_path, int format, shoal_cli_query *q);
void shoal_cli_query_close(shoal_cli_query *q);
/* Runs src, printing a rendered error (named name) to stderr. Returns the rc. */
int shoal_cli_query_exec(shoal_cli_query *q, const char *name, const char *src, size_t n);

#endif
