/* cmd_check.c — `shoal check`: proves the stored state consistent, or says where not. */
#include "cli.h"

#include <string.h>

const char shoal_cmd_check_usage[] =
    "usage: shoal check\n"
    "\n"
    "Verifies that the log, the id index and the dictionary agree: sequences are\n"
    "dense, every record decodes, every event's key maps back to it, and every\n"
    "interned string resolves both ways; then rebuilds every view from the log in\n"
    "memory and compares it with the view's stored state. Before that, the file is\n"
    "checked against its meta page (truncation, a damaged meta page), LMDB's B-trees\n"
    "are walked (each page read directly, so that damage inside one is found before\n"
    "LMDB trips on it) and its pages accounted for (each is a table's, free, or a meta\n"
    "page). Exit status 0 when sound, 1 when a problem or damage is found, 2 when the\n"
    "check could not run (no database, no permission). A view an earlier build made in\n"
    "a layout this shoal does not keep is not read and not compared: a note says what\n"
    "to run (exit 0).\n";

int shoal_cmd_check(const char *db_path, int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "shoal check: error: unexpected argument \"%s\"\n%s", argv[1], shoal_cmd_check_usage);
        return 2;
    }
    shoal_db *db;
    shoal_err err;
    shoal_err_clear(&err);
    /* Damage is what check is for: it is reported as a problem found (exit 1), also
     * when it stops the database from opening; a SIGBUS on a page past the end of the
     * file exits 1 too (shoal_cli_on_damage). */
    shoal_cli_damage_status = 1;
    int rc = shoal_db_open(db_path, SHOAL_OPEN_RDONLY | shoal_cli_open_flags(), 0, &db, &err);
    if (rc == SHOAL_ECORRUPT) {
        printf("FAILED: %s\n", err.msg);
        return 1;
    }
    if (rc) {
        shoal_cli_open_error(&err, rc, SHOAL_OPEN_RDONLY);
        return 2;
    }
    shoal_cli_on_damage(db_path);
    shoal_check_report rep;
    rc = shoal_db_check(db, &rep, &err);
    shoal_db_close(db);
    /* Damage met on the way stops the check: what it found is still the answer. */
    if (rc && rep.n_problems) {
        printf("FAILED: %llu problems before the check stopped (%s); the first: %s\n",
               (unsigned long long)rep.n_problems, err.msg[0] ? err.msg : shoal_strerror(rc), rep.first_problem);
        return 1;
    }
    if (rc == SHOAL_ECORRUPT) {
        printf("FAILED: %s\n", err.msg);
        return 1;
    }
    if (rc) {
        shoal_cli_error(&err, rc);
        return 2;
    }
    if (!rep.pages_damaged)
        printf("log %llu records, ids %llu in %llu entries, dictionary %u members, %u types, %u groups, %u properties, "
           "%u strings, %llu views\n",
           (unsigned long long)rep.n_records, (unsigned long long)rep.n_ids,
           (unsigned long long)rep.n_id_entries, rep.n_strings[SHOAL_NS_MEMBER],
           rep.n_strings[SHOAL_NS_TYPE], rep.n_strings[SHOAL_NS_GROUP], rep.n_strings[SHOAL_NS_PROP],
           rep.n_strings[SHOAL_NS_STR], (unsigned long long)rep.n_views);
    if (rep.n_notes)
        printf("note: %s%s\n", rep.first_note, rep.n_notes > 1 ? " (the same for other views)" : "");
    if (rep.n_problems) {
        printf("FAILED: %llu problems; the first: %s\n", (unsigned long long)rep.n_problems, rep.first_problem);
        return 1;
    }
    printf("ok\n");
    return 0;
}
