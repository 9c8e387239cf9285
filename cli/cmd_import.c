/* cmd_import.c — `shoal import SOURCE DIR`: append the events of a data dump through
 * an ingest adapter. SOURCE names the adapter; the only one is stackexchange.
 *
 * Exit status as for ingest: 0 all rows went in, 1 some rows were rejected, 2 the
 * import could not be done (no such directory, a file that is not well-formed, a
 * database error), 130 interrupted. What was committed stays committed, and running
 * the same import again adds only what is missing.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

const char shoal_cmd_import_usage[] =
    "usage: shoal import stackexchange [OPTIONS] DIR\n"
    "\n"
    "Imports a Stack Exchange data dump: DIR holds Users.xml and Posts.xml (or a\n"
    "Posts.csv conversion with the dump's column names), and, when present, Votes.xml,\n"
    "Comments.xml, Badges.xml and PostLinks.xml. Members are \"u-<user id>\"; event ids\n"
    "come from the dump's ids, so importing twice adds nothing (an id whose content\n"
    "changed since, as in a newer dump, is counted as conflicting and reported like a\n"
    "reject; the log keeps the first version). Rows that are malformed\n"
    "or cannot be placed (a deleted author, a post not in the dump) are written with\n"
    "file:line and the reason to the reject file; the rest go in. docs/FORMATS.md\n"
    "describes the mapping.\n"
    "\n"
    "options:\n"
    "  --rejects FILE   where rejected rows go (default: <basename of DIR>.rejects)\n"
    "  --nosync         do not fsync each batch: much faster, but a power loss or OS\n"
    "                   crash may lose the last batches (a killed process loses nothing)\n"
    "  -q, --quiet      print nothing but errors\n"
    "\n"
    "exit status: 0 all accepted, 1 some rejected or conflicting, 2 failed, 130 interrupted\n";

int shoal_cmd_import(const char *db_path, int argc, char **argv)
{
    static const struct option longopts[] = {{"rejects", required_argument, 0, 'r'},
                                             {"nosync", no_argument, 0, 's'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {0, 0, 0, 0}};
    shoal_ingest_opts opts = {0};
    unsigned flags = SHOAL_OPEN_CREATE;
    shoal_cli_feedback fb = {0};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': opts.rejects_path = optarg; break;
        case 's': flags |= SHOAL_OPEN_NOSYNC; break;
        case 'q': fb.quiet = 1; break;
        default:
            fprintf(stderr, "shoal import: error: unknown option \"%s\"\n%s", argv[optind - 1],
                    shoal_cmd_import_usage);
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "shoal import: error: expected a source and a directory\n%s", shoal_cmd_import_usage);
        return 2;
    }
    const char *source = argv[optind], *dir = argv[optind + 1];
    if (strcmp(source, "stackexchange") != 0) {
        fprintf(stderr, "shoal import: error: unknown source \"%s\" (the only one is stackexchange)\n", source);
        return 2;
    }
    shoal_db *db;
    int status = shoal_cli_open(db_path, flags, 0, &db);
    if (status) return status;

    shoal_cli_feedback_start(&fb, &opts);
    shoal_ingest_stats st;
    shoal_err err;
    shoal_err_clear(&err);
    int rc = shoal_import_stackexchange(db, dir, &opts, &st, &err);
    shoal_cli_feedback_input_done(&fb, &st);
    double el = shoal_cli_feedback_stop(&fb);
    if (rc && rc != SHOAL_ECANCEL)
        fprintf(stderr, "shoal import: error: %s\n", err.msg[0] ? err.msg : shoal_strerror(rc));
    if (!fb.quiet && (rc == SHOAL_OK || st.n_records)) {
        printf("%s: %llu rows read, %llu events added, %llu duplicates, %llu rows rejected", dir,
               (unsigned long long)st.n_records, (unsigned long long)st.n_added, (unsigned long long)st.n_dup,
               (unsigned long long)st.n_rejected);
        int rejects_failed = rc && strncmp(err.msg, "cannot write rejects", 20) == 0;
        if (st.n_conflict)
            printf(", %llu conflicting (same id, different content)", (unsigned long long)st.n_conflict);
        if ((st.n_rejected || st.n_conflict) && st.rejects_path[0] && !rejects_failed)
            printf(" (see %s)", st.rejects_path);
        putchar('\n');
        uint64_t n_log = 0;
        fprintf(stderr, "%.2f s, %.1f MB/s; ", el, el > 0 ? (double)st.bytes / el / 1e6 : 0.0);
        if (shoal_cli_log_count(db, &n_log) == 0)
            fprintf(stderr, "the log now holds %llu events\n", (unsigned long long)n_log);
        else
            fputc('\n', stderr);
    }
    if (rc == SHOAL_ECANCEL && !fb.quiet)
        fprintf(stderr, "shoal import: interrupted: run it again to add the rest\n");
    else if (rc && st.n_added)
        fprintf(stderr, "shoal import: the rows read before the error are committed; a re-run skips them\n");
    shoal_db_close(db);
    if (rc == SHOAL_ECANCEL) return 130;
    if (rc) return 2;
    return st.n_rejected || st.n_conflict ? 1 : 0;
}
