/* cmd_rebuild.c — `shoal rebuild [VIEW]`: replays the log into views and swaps them in. */
#include "cli.h"

#include <string.h>

const char shoal_cmd_rebuild_usage[] =
    "usage: shoal rebuild [VIEW]\n"
    "\n"
    "Rebuilds VIEW (every view when none is named) from the log: the log is replayed\n"
    "into memory from a snapshot while ingest goes on, then the result, caught up with\n"
    "the events appended meanwhile, replaces the view's stored state in one write\n"
    "transaction. Exit status 0 when done, 2 on error, 130 on Ctrl-C (the views done\n"
    "stay rebuilt, the one under way is left as it was).\n";

int shoal_cmd_rebuild(const char *db_path, int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "shoal rebuild: error: unexpected argument \"%s\"\n%s", argv[2], shoal_cmd_rebuild_usage);
        return 2;
    }
    shoal_db *db;
    int status = shoal_cli_open(db_path, 0, 0, &db);
    if (status) return status;
    shoal_cli_progress_on_tty(db);
    shoal_err err;
    shoal_err_clear(&err);
    uint64_t n = 0;
    double t0 = shoal_cli_now();
    /* Ctrl-C stops the view being rebuilt (left as it was); those done stay done. */
    shoal_cli_catch_sigint(NULL);
    int rc = shoal_view_rebuild(db, argc > 1 ? argv[1] : NULL, &n, &err);
    shoal_db_close(db);
    if (rc == SHOAL_ECANCEL) {
        fprintf(stderr, "cancelled after %llu view%s rebuilt\n", (unsigned long long)n, n == 1 ? "" : "s");
        return 130;
    }
    if (rc) {
        shoal_cli_error(&err, rc);
        return 2;
    }
    printf("rebuilt %llu view%s in %.2f s\n", (unsigned long long)n, n == 1 ? "" : "s", shoal_cli_now() - t0);
    return 0;
}
