/* main.c — the shoal command: global options, then one subcommand from a table.
 *
 * The database is chosen by --db DIR (anywhere before "--"), else $SHOAL_DB, else
 * ./shoal.db. Every subcommand is a function in cmd_<name>.c with its usage text.
 */
#include "cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
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
static void huge_heap(void);
static int heap_skip(void);

static void keep_heap(void)
{
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    huge_heap();
    shoal_mem_set_heap_hint(heap_skip);
#endif
}

/* The heap in huge pages past its first 2 MiB (issue 17). A page the process touches
 * first costs some 2.5 µs on the VM the bench runs on (the kernel's work on a fault, not
 * the trap: taking the pages in one madvise(MADV_POPULATE_WRITE) saves a fourth), a
 * 2 MiB huge page some 0.17 ms, the price of 70 small ones: worth it where a process
 * touches most of each. THP is asked for by madvise on most systems
 * (transparent_hugepage/enabled [madvise]), and glibc's heap grows by brk 132 KB at a
 * time, each growth a mapping of its own that no advice reached (glibc's hugetlb tunable
 * does it only when set in the environment before the process starts). So once a
 * statement command has opened its database, its heap is grown by HEAP_PAD at once
 * (one malloc of the top's size and more, freed: glibc adds its top pad, and the new
 * top's header lands below the boundary), untouched, and what lies past the first 2 MiB
 * boundary HEAP_SMALL or more from the heap's start is advised MADV_HUGEPAGE: what the
 * open and a small question allocate stays below it in small pages (2 to 4 MiB of them:
 * the heap's start is where the break was, which a static glibc's start moved by a
 * malloc before main). Not before the open: LMDB's writer lists (1 MiB, 2 MiB by
 * calloc) would come from the large top and calloc would zero them (two huge pages a
 * process; as it is they are fresh mappings never touched). HEAP_SMALL is 2 MiB since the view-backed
 * questions' heaps stay under it once their per-member arrays come from the cache's
 * slabs (engine/mem.c): with 768 KB, a heap of 0.8 to 1.2 MB paid a huge page for a
 * dozen faults; a scan's heap takes them (who answers newcomers: 23489 faults to 17032).
 * The heap is not trimmed below 64 MiB (keep_heap), so the advised mapping stays. Where
 * any step does not go as planned (no glibc, a sanitizer's allocator, the break moved by
 * someone else, a kernel without THP), nothing is advised and the heap is as it was.
 *
 * A statement that keeps per-member state of many members (the engine says so:
 * shoal_mem_heap_hint, query/exec.c) touches 100 to 160 fresh pages of heap past what
 * the open freed (its tail's shares, the rows it keeps, its sort's), some 2 µs apiece
 * on this VM against 60-130 µs for a huge page (the kernel zeroing 2 MiB): so the
 * top's part below the advised boundary is taken then by one block (heap_gap: never
 * touched but for its header, so no page of memory; kept till exit), and what the
 * statement allocates from the top begins in a huge page (heap_skip); its arrays of
 * 256 KB to 1 MB then come from the heap too (engine/mem.c), in that huge page, where
 * the cache's slabs were one more (core creator's and the tiers' narrow counts). Done at the open,
 * every process would pay a huge page: `SELECT 1` and the small questions (A/B,
 * retention, DAU/MAU: 5 to 45 fresh pages) 0.1-0.3 ms more CPU. SHOAL_NO_HUGE_HEAP=1
 * in the environment leaves the heap as glibc has it (tests/e2e/huge_heap.sh). */
/* glibc 2.33 on (mallinfo2), not under a sanitizer's allocator */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33) && defined(M_TOP_PAD) && defined(MADV_HUGEPAGE) && \
    !defined(__SANITIZE_ADDRESS__)
#define HUGE_HEAP 1
#else
#define HUGE_HEAP 0
#endif
#define HEAP_SMALL ((uintptr_t)2 << 20)
#define HEAP_HUGE ((uintptr_t)2 << 20)
#define HEAP_PAD ((size_t)32 << 20)
#define PAGE_GAP ((uintptr_t)8 << 10)   /* room left for the top's header below the boundary */

#if HUGE_HEAP
static uintptr_t heap_huge, heap_huge_end;   /* the advised part, [0, 0) when none */
static void *heap_gap;        /* the top's part below it, taken by heap_skip */
#endif

static void huge_heap(void)
{
#if HUGE_HEAP
    static int done;   /* once a process */
    if (done++ || getenv("SHOAL_NO_HUGE_HEAP")) return;
    struct mallinfo2 mi = mallinfo2();
    void *b = sbrk(0);
    if (b == (void *)-1 || !mi.arena || mi.keepcost > mi.arena || mi.arena > (size_t)b) return;
    /* the heap's start (glibc's main arena is one run of the break), the first boundary
     * HEAP_SMALL past it and past the break */
    uintptr_t brk0 = (uintptr_t)b, top = brk0 - mi.keepcost, base = brk0 - mi.arena;
    uintptr_t from = base + HEAP_SMALL > brk0 + PAGE_GAP ? base + HEAP_SMALL : brk0 + PAGE_GAP;
    uintptr_t huge = (from + HEAP_HUGE - 1) & ~(HEAP_HUGE - 1);
    /* a block from the top up to just below the boundary: the heap grows (past the top),
     * and the top's new header is written below the boundary, in a small page */
    size_t req = (size_t)(huge - top) - 128;
    mallopt(M_TOP_PAD, (int)HEAP_PAD);
    void *volatile p = malloc(req);
    mallopt(M_TOP_PAD, 128 << 10);   /* glibc's default */
    if (!p) return;
    uintptr_t end = (uintptr_t)p + malloc_usable_size(p), brk1 = (uintptr_t)sbrk(0);
    free(p);
    if (end + 64 > huge || brk1 == (uintptr_t)-1 || brk1 < huge + HEAP_HUGE) return;
    if (!madvise((void *)huge, (brk1 & ~(HEAP_HUGE - 1)) - huge, MADV_HUGEPAGE))   /* EINVAL without THP */
        heap_huge = huge, heap_huge_end = brk1 & ~(HEAP_HUGE - 1);
#endif
}

static int heap_skip(void)
{
#if HUGE_HEAP
    static int done;   /* the gap taken, or tried, once a process */
    if (!heap_huge) return 0;
    struct mallinfo2 mi = mallinfo2();
    void *b = sbrk(0);
    if (b == (void *)-1 || mi.keepcost > (size_t)b || (uintptr_t)b < heap_huge_end) return 0;
    uintptr_t top = (uintptr_t)b - mi.keepcost;
    /* (in the advised part already, room left: a session's later statement) */
    if (top + PAGE_GAP > heap_huge) return top + HEAP_HUGE <= heap_huge_end;
    if (done++ || heap_huge - top > 2 * HEAP_SMALL + PAGE_GAP) return 0;   /* (not where it was left) */
    void *p = malloc((size_t)(heap_huge - top) - 128);
    if (!p) return 0;
    uintptr_t end = (uintptr_t)p + malloc_usable_size(p);
    if ((uintptr_t)p < top || end + 64 > heap_huge || end + 4096 < heap_huge) {   /* not from the top */
        free(p);
        return 0;
    }
    heap_gap = p;
    return 1;
#else
    return 0;
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
