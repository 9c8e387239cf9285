/* main.c — the shoal command: global options, then one subcommand from a table.
 *
 * The database is chosen by --db DIR (anywhere before "--"), else $SHOAL_DB, else
 * ./shoal.db. Every subcommand is a function in cmd_<name>.c with its usage text.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

typedef struct command {
    const char *name;
    shoal_cmd_fn fn;
    const char *usage;
    const char *summary;
    int statements;   /* runs statements one after another (see keep_heap) */
} command;

static int cmd_help(const char *db_path, int argc, char **argv);

static int cmd_gen(const char *db_path, int argc, char **argv)
{
    (void)db_path;
    return shoal_cmd_gen(argc, argv);
}

static const command commands[] = {
    {"ingest", shoal_cmd_ingest, shoal_cmd_ingest_usage, "append events from NDJSON or CSV files", 0},
    {"stats", shoal_cmd_stats, shoal_cmd_stats_usage, "events, members, types and time range", 0},
    {"log", shoal_cmd_log, shoal_cmd_log_usage, "print events back out as NDJSON", 0},
    {"import", shoal_cmd_import, shoal_cmd_import_usage, "import a data dump (stackexchange DIR)", 0},
    {"query", shoal_cmd_query, shoal_cmd_query_usage, "run statements of the query language", 1},
    {"batch", shoal_cmd_batch, shoal_cmd_batch_usage, "run a script into CSV, JSON and an HTML dashboard", 1},
    {"repl", shoal_cmd_repl, shoal_cmd_repl_usage, "ask questions interactively", 1},
    {"gen", cmd_gen, shoal_cmd_gen_usage, "generate realistic, deterministic community events", 0},
    {"check", shoal_cmd_check, shoal_cmd_check_usage, "verify that the log, id index, dictionary and views agree", 0},
    {"rebuild", shoal_cmd_rebuild, shoal_cmd_rebuild_usage, "rebuild views from the log", 0},
    {"help", cmd_help, "usage: shoal help [COMMAND]\n", "show help for shoal or a command", 0},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *f)
{
    fprintf(f,
            "shoal %s — an event-sourced analytics engine for community operations\n\n"
            "usage: shoal [--db DIR] [--readonly] COMMAND [ARGS…]\n\n"
            "commands:\n",
            SHOAL_VERSION);
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\noptions:\n"
            "  --db DIR      the database directory (default: $SHOAL_DB, else ./shoal.db)\n"
            "  --readonly    open the database read-only, for the commands that only read\n"
            "                (query, log, stats, check, repl), also where you cannot write;\n"
            "                when its lock file cannot be written it reads without locks,\n"
            "                which is safe only while nobody writes the database\n"
            "  --version     print the version\n"
            "  -h, --help    this help\n"
            "\n"
            "`shoal help COMMAND` (or `shoal COMMAND --help`) shows a command's options.\n");
}

/* The command called name, or NULL after saying on stderr that there is none. */
static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    if (name[0] == '-') shoal_cli_fail("unknown option \"%s\" (see `shoal help`)", name);
    else shoal_cli_fail("unknown command \"%s\" (see `shoal help`)", name);
    return NULL;
}

static int cmd_help(const char *db_path, int argc, char **argv)
{
    (void)db_path;
    if (argc < 2) {
        print_usage(stdout);
        return 0;
    }
    const command *c = find_command(argv[1]);
    if (!c) return 2;
    fputs(c->usage, stdout);
    return 0;
}

/* Statements one after another (a file, the REPL) free and allocate the same
 * temporaries: glibc would hand the heap's top back to the kernel after each and fault
 * it in again for the next, some hundred pages a statement (a tenth of a millisecond on
 * a view-backed question), so those commands keep up to 64 MiB of it. Setting that
 * also fixes glibc's mmap threshold at 128 KiB, which made every larger temporary a
 * fresh mapping (a view's back-fill by CREATE was 25% slower): it goes to 32 MiB, the
 * most its own adjustment reaches. Ingest keeps glibc's defaults. It is set once the
 * database is open (shoal_cli_after_open): LMDB's open allocates a writer's page lists
 * (1 MiB and 2 MiB, the second by calloc) that a query never touches, which as fresh
 * mappings cost nothing, while from the heap calloc zeroed the heap's top for them (33
 * page faults of every `shoal query`). */
static void keep_heap(void)
{
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}

int main(int argc, char **argv)
{
    atexit(shoal_cli_close_stdout);
    const char *db_path = getenv("SHOAL_DB");
    if (!db_path || !*db_path) db_path = "shoal.db";
    /* Take --db out of argv wherever it stands, so that it works before or after the
     * command's name. */
    int n = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc) argv[n++] = argv[i++];
            break;
        }
        if (strcmp(argv[i], "--db") == 0) {
            if (i + 1 >= argc) {
                shoal_cli_fail("--db needs a directory");
                return 2;
            }
            db_path = argv[++i];
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            db_path = argv[i] + 5;
        } else if (strcmp(argv[i], "--readonly") == 0) {
            shoal_cli_readonly = 1;
        } else {
            argv[n++] = argv[i];
        }
    }
    argc = n;
    argv[argc] = NULL;
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("shoal %s\n", SHOAL_VERSION);
        return 0;
    }
    if (shoal_cli_is_help(argv[1])) {
        print_usage(stdout);
        return 0;
    }
    const command *c = find_command(argv[1]);
    if (!c) return 2;
    for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (shoal_cli_is_help(argv[i])) {
            fputs(c->usage, stdout);
            return 0;
        }
    if (c->statements) shoal_cli_after_open = keep_heap;
    static char name[32];
    snprintf(name, sizeof name, "shoal %s", c->name);
    shoal_cli_name = name;
    return c->fn(db_path, argc - 1, argv + 1);
}
