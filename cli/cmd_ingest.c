/* cmd_ingest.c — `shoal ingest FILE…`: append events, report what went in.
 *
 * Exit status: 0 all accepted, 1 some records rejected, 2 something could not be done
 * at all (unreadable input, database error), 130 interrupted. What was committed
 * before an error or Ctrl-C stays committed, and the summary says up to which line.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char shoal_cmd_ingest_usage[] =
    "usage: shoal ingest [OPTIONS] FILE…    (FILE may be - for standard input)\n"
    "\n"
    "Appends the events in each FILE (NDJSON, or CSV with a header) to the log. Events\n"
    "whose id is already in the log are skipped and counted as duplicates, so ingesting\n"
    "a file twice adds nothing; an id that is in the log with different content is a\n"
    "conflict (a producer's bug): skipped, counted apart and reported like a reject.\n"
    "Bad records are written with their line number and reason to FILE.rejects, and\n"
    "the rest still go in. A batch's rejects are on disk before its lines are\n"
    "committed: if the reject file cannot be written, ingest stops (exit 2) without\n"
    "committing that batch, and says up to which line the input is in.\n"
    "\n"
    "options:\n"
    "  --format ndjson|csv   input format (default: by file name, *.csv is CSV)\n"
    "  --rejects FILE        where rejected records go (default FILE.rejects, or the\n"
    "                        same name in the working directory when FILE's directory\n"
    "                        cannot be written; stdin.rejects for -); never the input\n"
    "  --nosync              do not fsync each batch: much faster bulk loads, but a\n"
    "                        power loss or OS crash may lose the last batches\n"
    "                        (a killed process loses nothing)\n"
    "  --batch N             events per transaction (default 16384; 131072 when the\n"
    "                        database has views, whose upkeep is paid per batch)\n"
    "  --threads 1|2         2 (the default on two cores or more): one thread reads\n"
    "                        and parses while another writes; the database is the\n"
    "                        same either way\n"
    "  --map-size BYTES      initial map size of a new database (grows when full)\n"
    "  -v, --verbose         print a line for every committed batch\n"
    "  -q, --quiet           print nothing but errors\n"
    "\n"
    "exit status: 0 all accepted, 1 some rejected or conflicting, 2 failed, 130 interrupted\n"
    "(docs/FORMATS.md: the formats, every reject reason, the reject file)\n";

int shoal_cmd_ingest(const char *db_path, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'}, {"rejects", required_argument, 0, 'r'},
        {"nosync", no_argument, 0, 's'},       {"batch", required_argument, 0, 'b'},
        {"map-size", required_argument, 0, 'm'}, {"verbose", no_argument, 0, 'v'},
        {"quiet", no_argument, 0, 'q'},        {"threads", required_argument, 0, 't'},
        {0, 0, 0, 0}};
    shoal_ingest_opts opts = {0};
    shoal_cli_feedback prog = {0};
    unsigned flags = SHOAL_OPEN_CREATE;
    size_t map_size = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vq", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'f':
            if (strcmp(optarg, "ndjson") == 0 || strcmp(optarg, "json") == 0) opts.format = SHOAL_FMT_NDJSON;
            else if (strcmp(optarg, "csv") == 0) opts.format = SHOAL_FMT_CSV;
            else {
                fprintf(stderr, "shoal ingest: error: unknown format \"%s\" (ndjson or csv)\n", optarg);
                return 2;
            }
            break;
        case 'r': opts.rejects_path = optarg; break;
        case 's': flags |= SHOAL_OPEN_NOSYNC; break;
        case 'b':
            opts.batch = strtoul(optarg, &end, 10);
            if (*end || opts.batch == 0 || opts.batch > 10000000) {
                fprintf(stderr, "shoal ingest: error: --batch takes a count from 1 to 10000000\n");
                return 2;
            }
            break;
        case 'm':
            map_size = strtoull(optarg, &end, 10);
            if (*end || map_size < 65536) {
                fprintf(stderr, "shoal ingest: error: --map-size takes a byte count of at least 65536\n");
                return 2;
            }
            break;
        case 't':
            if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0) {
                fprintf(stderr, "shoal ingest: error: --threads takes 1 or 2\n");
                return 2;
            }
            opts.threads = optarg[0] - '0';
            break;
        case 'v': prog.verbose = 1; break;
        case 'q': prog.quiet = 1; break;
        default:
            fprintf(stderr, "shoal ingest: error: unknown option \"%s\"\n%s", argv[optind - 1],
                    shoal_cmd_ingest_usage);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "shoal ingest: error: no input files\n%s", shoal_cmd_ingest_usage);
        return 2;
    }
    if (opts.rejects_path && argc - optind > 1) {
        fprintf(stderr, "shoal ingest: error: --rejects names one file, so give one input\n");
        return 2;
    }
    /* The library refuses a reject file that is the input too; here it is refused
     * before the database is opened (or created) for writing. */
    if (opts.rejects_path) {
        struct stat in_st, rej_st;
        int fd_ok = strcmp(argv[optind], "-") == 0 ? fstat(0, &in_st) == 0 : stat(argv[optind], &in_st) == 0;
        if (fd_ok && stat(opts.rejects_path, &rej_st) == 0 && in_st.st_dev == rej_st.st_dev &&
            in_st.st_ino == rej_st.st_ino) {
            shoal_cli_fail("the reject file \"%s\" is the input itself", opts.rejects_path);
            return 2;
        }
    }
    shoal_db *db;
    int status = shoal_cli_open(db_path, flags, map_size, &db);
    if (status) return status;
    if ((flags & SHOAL_OPEN_NOSYNC) && !prog.quiet)
        fprintf(stderr, "shoal ingest: --nosync: batches are not fsynced; a power loss may lose the last ones\n");

    shoal_cli_feedback_start(&prog, &opts);

    shoal_ingest_stats tot = {0};
    int any_failed = 0, any_rejected = 0, interrupted = 0;
    for (int i = optind; i < argc && !interrupted; i++) {
        shoal_ingest_stats st;
        shoal_err err;
        shoal_err_clear(&err);
        int rc = shoal_ingest_file(db, argv[i], &opts, &st, &err);
        shoal_cli_feedback_input_done(&prog, &st);
        const char *name = strcmp(argv[i], "-") == 0 ? "<stdin>" : argv[i];
        if (rc == SHOAL_ECANCEL) interrupted = 1;
        else if (rc) {
            any_failed = 1;
            fprintf(stderr, "shoal ingest: error: %s: %s\n", name, err.msg[0] ? err.msg : shoal_strerror(rc));
            if (st.n_records)
                fprintf(stderr, "shoal ingest: %s: lines up to %llu are committed\n", name,
                        (unsigned long long)st.acked_line);
        }
        if (st.n_rejected || st.n_conflict) any_rejected = 1;
        /* After a failure of the reject file itself, it holds only the rejects of the
         * committed lines: the error said so, the summary does not point there. */
        int rejects_failed = rc && strncmp(err.msg, "cannot write rejects", 20) == 0;
        if (!prog.quiet && (rc == SHOAL_OK || rc == SHOAL_ECANCEL || st.n_records)) {
            printf("%s: %llu read, %llu added, %llu duplicates, ", name, (unsigned long long)st.n_records,
                   (unsigned long long)st.n_added, (unsigned long long)st.n_dup);
            if (st.n_conflict)
                printf("%llu conflicting (same id, different content), ", (unsigned long long)st.n_conflict);
            printf("%llu rejected", (unsigned long long)st.n_rejected);
            if ((st.n_rejected || st.n_conflict) && st.rejects_path[0] && !rejects_failed) {
                char def[4200];
                snprintf(def, sizeof def, "%s.rejects", strcmp(argv[i], "-") == 0 ? "stdin" : argv[i]);
                if (!opts.rejects_path && strcmp(def, st.rejects_path) != 0)
                    printf(" (see %s in the working directory: \"%s\" cannot be written)", st.rejects_path, def);
                else
                    printf(" (see %s)", st.rejects_path);
            }
            putchar('\n');
        }
        tot.n_records += st.n_records;
        tot.n_added += st.n_added;
        tot.n_dup += st.n_dup;
        tot.n_rejected += st.n_rejected;
        tot.n_conflict += st.n_conflict;
        tot.bytes += st.bytes;
    }
    double el = shoal_cli_feedback_stop(&prog);
    if (!prog.quiet) {
        if (argc - optind > 1) {
            printf("total: %llu read, %llu added, %llu duplicates, ", (unsigned long long)tot.n_records,
                   (unsigned long long)tot.n_added, (unsigned long long)tot.n_dup);
            if (tot.n_conflict)
                printf("%llu conflicting (same id, different content), ", (unsigned long long)tot.n_conflict);
            printf("%llu rejected\n", (unsigned long long)tot.n_rejected);
        }
        fprintf(stderr, "%.2f s, %.0f events/s, %.1f MB/s; ", el, el > 0 ? (double)tot.n_records / el : 0.0,
                el > 0 ? (double)tot.bytes / el / 1e6 : 0.0);
        uint64_t n_log = 0;
        if (shoal_cli_log_count(db, &n_log) == 0)
            fprintf(stderr, "the log now holds %llu events\n", (unsigned long long)n_log);
        else
            fputc('\n', stderr);
    }
    shoal_db_close(db);
    if (interrupted) return 130;
    if (any_failed) return 2;
    return any_rejected ? 1 : 0;
}
