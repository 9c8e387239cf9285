/* cmd_check.c — `shoal check`: proves the stored state consistent, or says where not. */
#include "cli.h"

#include <string.h>

const char shoal_cmd_check_usage[] =
    "usage: shoal check\n"
    "\n"
    "Verifies that the log, the id index and the dictionary agree: sequences are\n"
    "dense, every record decodes, every event's key maps back to it, and every\n"
    "interned string resolves both ways; then rebuilds every view from the log in\n"
    "memory and compares it with the view's stored state. Exit status 0 when sound, 1\n"
    "when a problem is found, 2 when the check could not run.\n";

int shoal_cmd_check(const char *db_path, int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "shoal check: error: unexpected argument \"%s\"\n%s", argv[1], shoal_cmd_check_usage);
        return 2;
    }
    shoal_db *db;
    int status = shoal_cli_open(db_path, SHOAL_OPEN_RDONLY, 0, &db);
    if (status) return status;
    shoal_check_report rep;
    shoal_err err;
    shoal_err_clear(&err);
    int rc = shoal_db_check(db, &rep, &err);
    shoal_db_close(db);
    if (rc) {
        shoal_cli_error(&err, rc);
        return 2;
    }
    printf("log %llu records, ids %llu entries, dictionary %u members, %u types, %u groups, %u properties, "
           "%u strings, %llu views\n",
           (unsigned long long)rep.n_records, (unsigned long long)rep.n_ids, rep.n_strings[SHOAL_NS_MEMBER],
           rep.n_strings[SHOAL_NS_TYPE], rep.n_strings[SHOAL_NS_GROUP], rep.n_strings[SHOAL_NS_PROP],
           rep.n_strings[SHOAL_NS_STR], (unsigned long long)rep.n_views);
    if (rep.n_problems) {
        printf("FAILED: %llu problems; the first: %s\n", (unsigned long long)rep.n_problems, rep.first_problem);
        return 1;
    }
    printf("ok\n");
    return 0;
}
