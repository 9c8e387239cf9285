/* repl.c — `shoal repl`, the interactive query shell (after redis-cli): GNU readline
 * with history in ~/.shoal_history (only on a terminal), tab completion of keywords,
 * functions, event types, properties and window words, statements that run when a
 * line ends them with ';', and backslash commands from a table. Ctrl-C cancels the
 * running query (or the statement being typed) and keeps the session; errors never
 * end it. On a non-terminal stdin it reads statements without prompts, so
 * `echo 'SELECT …;' | shoal repl` works. Statements run through shoal_query_run,
 * like `shoal query`.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli.h"

const char shoal_cmd_repl_usage[] =
    "usage: shoal repl [--format F] [--timing]\n"
    "\n"
    "An interactive shell for the query language. End a statement with ';'.\n"
    "Type \\help for the backslash commands, \\q (or Ctrl-D) to leave. Ctrl-C\n"
    "cancels the running query. Without a terminal, reads statements from stdin.\n";

#define HISTORY_FILE ".shoal_history"
#define HISTORY_MAX 2000

typedef struct repl {
    shoal_cli_query q;
    char *buf;          /* the statement being typed */
    size_t n, cap;
    int quit;
    int tty;
    char *history_path;
    char **names;       /* completion candidates besides keywords */
    size_t n_names;
} repl;

static repl *the_repl;   /* for readline's callbacks, which take no context */
static volatile sig_atomic_t got_sigint;

/* ---------------------------------------------------------------- backslash commands */

typedef struct bs_cmd {
    const char *name;
    int (*fn)(repl *r, const char *arg);
    const char *help;
} bs_cmd;

static int bs_help(repl *r, const char *arg);

static int bs_quit(repl *r, const char *arg)
{
    (void)arg;
    r->quit = 1;
    return 0;
}

static int bs_timing(repl *r, const char *arg)
{
    if (!*arg) shoal_session_set_timing(r->q.s, !shoal_session_timing(r->q.s));
    else if (!strcasecmp(arg, "on")) shoal_session_set_timing(r->q.s, 1);
    else if (!strcasecmp(arg, "off")) shoal_session_set_timing(r->q.s, 0);
    else {
        fprintf(stderr, "\\timing takes on or off\n");
        return 1;
    }
    printf("timing is %s\n", shoal_session_timing(r->q.s) ? "on" : "off");
    return 0;
}

static int bs_format(repl *r, const char *arg)
{
    if (!*arg) {
        printf("format is %s\n", shoal_query_format_name(shoal_session_format(r->q.s)));
        return 0;
    }
    int f = shoal_query_format_parse(arg);
    if (!f) {
        fprintf(stderr, "\\format takes table, csv, json, ndjson or markdown\n");
        return 1;
    }
    shoal_session_set_format(r->q.s, f);
    printf("format is %s\n", shoal_query_format_name(f));
    return 0;
}

static int bs_tz(repl *r, const char *arg)
{
    char stmt[256];
    if (!*arg) {
        char name[128];
        if (shoal_db_setting_get(r->q.db, "timezone", name, sizeof name, NULL) != SHOAL_OK) snprintf(name, sizeof name, "UTC");
        printf("time zone is %s\n", name);
        return 0;
    }
    snprintf(stmt, sizeof stmt, "SET TIMEZONE = '%s'", arg);
    if (strchr(arg, '\'')) {
        fprintf(stderr, "\\tz: invalid time zone name\n");
        return 1;
    }
    if (shoal_cli_query_exec(&r->q, "query", stmt, strlen(stmt))) return 1;
    printf("time zone is %s\n", arg);
    return 0;
}

static const bs_cmd bs_cmds[] = {
    {"help", bs_help, "this list"},
    {"?", bs_help, "this list"},
    {"q", bs_quit, "leave the shell"},
    {"quit", bs_quit, "leave the shell"},
    {"timing", bs_timing, "on|off: print each statement's time"},
    {"format", bs_format, "table|csv|json|ndjson|markdown: the output format"},
    {"tz", bs_tz, "[Area/City]: show or set the database's time zone"},
};

static int bs_help(repl *r, const char *arg)
{
    (void)r, (void)arg;
    printf("Statements end with ';' and may span lines. Commands:\n");
    for (size_t i = 0; i < sizeof bs_cmds / sizeof bs_cmds[0]; i++)
        if (strcmp(bs_cmds[i].name, "?") && strcmp(bs_cmds[i].name, "quit"))
            printf("  \\%-8s %s\n", bs_cmds[i].name, bs_cmds[i].help);
    printf("See docs/LANGUAGE.md for the language; SHOW TYPES lists the event types.\n");
    return 0;
}

static void run_backslash(repl *r, const char *line)
{
    char name[32];
    size_t k = 0;
    const char *p = line + 1;
    while (*p && *p != ' ' && *p != '\t' && k < sizeof name - 1) name[k++] = *p++;
    name[k] = 0;
    while (*p == ' ' || *p == '\t') p++;
    char arg[256];
    snprintf(arg, sizeof arg, "%s", p);
    for (size_t n = strlen(arg); n && (arg[n - 1] == ' ' || arg[n - 1] == ';' || arg[n - 1] == '\t');) arg[--n] = 0;
    for (size_t i = 0; i < sizeof bs_cmds / sizeof bs_cmds[0]; i++)
        if (!strcmp(bs_cmds[i].name, name)) {
            if (bs_cmds[i].fn(r, arg)) r->q.any_error = 1;
            fflush(stdout);
            return;
        }
    fprintf(stderr, "unknown command \\%s (try \\help)\n", name);
    r->q.any_error = 1;
}

/* ---------------------------------------------------------------- completion */

static void free_names(repl *r)
{
    for (size_t i = 0; i < r->n_names; i++) free(r->names[i]);
    free(r->names);
    r->names = NULL;
    r->n_names = 0;
}

static void add_name(repl *r, const char *s, size_t n)
{
    char **nn = realloc(r->names, (r->n_names + 1) * sizeof *nn);
    if (!nn) return;
    r->names = nn;
    char *c = malloc(n + 1);
    if (!c) return;
    memcpy(c, s, n);
    c[n] = 0;
    r->names[r->n_names++] = c;
}

static void add_view_name(void *ctx, const char *name, size_t n) { add_name(ctx, name, n); }

/* Event types and properties from the dictionary and the names of views, layers and
 * tiers, refreshed after each statement (an ingest or a CREATE may have added some),
 * plus the fixed words of the language. */
static void load_names(repl *r)
{
    static const char *const words[] = {"members", "events", "today", "yesterday", "this_week", "last_week",
                                        "this_month", "last_month", "this_year", "last_year", "last", "days",
                                        "weeks", "hours", "seq", "ts", "member", "type", "types", "properties",
                                        "settings", "timezone", "now", "format", "timing", "views", "layer",
                                        "tiers", "counters", "score", "half_life", "otherwise", "flow",
                                        "transitions", "period", "from_tier",
                                        "to_tier", "move", "retention", "activity", "lifecycle", "cohort",
                                        "cohort_size", "active", "rate", "after", "before", "each", "unbounded",
                                        "least", "dau", "wau", "mau", "stickiness", "returning", "resurrecting",
                                        "dormant", NULL};
    free_names(r);
    for (const char *const *w = words; *w; w++) add_name(r, *w, strlen(*w));
    for (const char *const *f = shoal_query_functions(); *f; f++) add_name(r, *f, strlen(*f));
    shoal_reader *rd;
    if (shoal_reader_open(r->q.db, &rd, NULL) != SHOAL_OK) return;
    static const int nss[] = {SHOAL_NS_TYPE, SHOAL_NS_PROP};
    for (int k = 0; k < 2; k++) {
        uint32_t n = shoal_dict_count(rd, nss[k]);
        for (uint32_t id = 1; id <= n && id <= 10000; id++) {
            shoal_str s;
            if (shoal_dict_str(rd, nss[k], id, &s, NULL) == SHOAL_OK && s.ptr) add_name(r, s.ptr, s.len);
        }
    }
    shoal_view_names(rd, add_view_name, r, NULL);
    shoal_reader_close(rd);
}

static char *complete_gen(const char *text, int state)
{
    static size_t kw_i, name_i, bs_i;
    static size_t len;
    repl *r = the_repl;
    if (!state) {
        kw_i = name_i = bs_i = 0;
        len = strlen(text);
    }
    if (text[0] == '\\') {
        while (bs_i < sizeof bs_cmds / sizeof bs_cmds[0]) {
            const char *n = bs_cmds[bs_i++].name;
            if (!strncmp(n, text + 1, len - 1)) {
                char *s = malloc(strlen(n) + 2);
                if (s) sprintf(s, "\\%s", n);
                return s;
            }
        }
        return NULL;
    }
    const char *const *kws = shoal_query_keywords();
    while (kws[kw_i]) {
        const char *k = kws[kw_i++];
        if (!strncasecmp(k, text, len)) {
            char *s = strdup(k);
            /* Keep the case the user types in. */
            if (s && len && text[0] >= 'a' && text[0] <= 'z')
                for (char *p = s; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
            return s;
        }
    }
    while (name_i < r->n_names) {
        const char *n = r->names[name_i++];
        if (!strncmp(n, text, len)) return strdup(n);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)start, (void)end;
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, complete_gen);
}

/* ---------------------------------------------------------------- lines */

static void reset_buf(repl *r) { r->n = 0; }

static int append(repl *r, const char *line)
{
    size_t k = strlen(line);
    if (r->n + k + 2 > r->cap) {
        size_t nc = (r->n + k + 2) * 2;
        char *nb = realloc(r->buf, nc);
        if (!nb) return -1;
        r->buf = nb;
        r->cap = nc;
    }
    if (r->n) r->buf[r->n++] = '\n';
    memcpy(r->buf + r->n, line, k);
    r->n += k;
    r->buf[r->n] = 0;
    return 0;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return 0;
    return 1;
}

static void run_buffer(repl *r)
{
    if (blank(r->buf, r->n)) {
        reset_buf(r);
        return;
    }
    if (r->tty) {
        add_history(r->buf);
        if (r->history_path) append_history(1, r->history_path);
    }
    shoal_cli_query_exec(&r->q, "query", r->buf, r->n);
    reset_buf(r);
    if (r->tty) load_names(r);
}

/* One line typed or read: a backslash command when nothing is pending, else part of
 * the statement, which runs once a ';' ends it. */
static void on_line(repl *r, const char *line)
{
    if (r->n == 0) {
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '\\') {
            if (r->tty) {
                add_history(line);
                if (r->history_path) append_history(1, r->history_path);
            }
            run_backslash(r, p);
            return;
        }
        if (!*p) return;
    }
    if (append(r, line)) {
        fprintf(stderr, "shoal: error: out of memory\n");
        reset_buf(r);
        return;
    }
    if (shoal_query_complete(r->buf, r->n)) run_buffer(r);
}

static const char *prompt(repl *r) { return r->n ? "   ...> " : "shoal> "; }

static void rl_on_line(char *line)
{
    repl *r = the_repl;
    if (!line) {
        r->quit = 1;
        putchar('\n');
        return;
    }
    /* Queries run inside this callback; Ctrl-C while they run sets the cancel flag. */
    rl_callback_handler_remove();
    on_line(r, line);
    free(line);
    if (!r->quit) rl_callback_handler_install(prompt(r), rl_on_line);
}

static void on_sigint(int sig)
{
    (void)sig;
    got_sigint = 1;
    shoal_cli_cancel = 1;
}

static int interactive(repl *r)
{
    const char *home = getenv("HOME");
    if (home && *home) {
        size_t n = strlen(home) + sizeof HISTORY_FILE + 2;
        r->history_path = malloc(n);
        if (r->history_path) {
            snprintf(r->history_path, n, "%s/%s", home, HISTORY_FILE);
            read_history(r->history_path);
            FILE *f = fopen(r->history_path, "a");   /* make sure it exists for append_history */
            if (f) fclose(f);
        }
    }
    stifle_history(HISTORY_MAX);
    rl_readline_name = "shoal";
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{(,.)*+-/%";
    rl_catch_signals = 0;
    load_names(r);
    printf("shoal %s — type \\help for help, \\q to quit; end statements with ';'\n", SHOAL_VERSION);
    rl_callback_handler_install(prompt(r), rl_on_line);
    while (!r->quit) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(0, &fds);
        int k = select(1, &fds, NULL, NULL, NULL);
        if (k < 0 && errno == EINTR) {
            if (got_sigint) {
                /* Ctrl-C at the prompt drops what was typed. */
                got_sigint = 0;
                shoal_cli_cancel = 0;
                reset_buf(r);
                rl_free_line_state();
                rl_callback_sigcleanup();
                rl_replace_line("", 0);
                printf("^C\n");
                rl_callback_handler_remove();
                rl_callback_handler_install(prompt(r), rl_on_line);
            }
            continue;
        }
        if (k > 0) rl_callback_read_char();
        if (got_sigint && !r->quit) {
            /* Interrupt that cancelled a query: already reported. */
            got_sigint = 0;
        }
    }
    rl_callback_handler_remove();
    if (r->history_path) history_truncate_file(r->history_path, HISTORY_MAX);
    free(r->history_path);
    return 0;
}

static int batch(repl *r)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t k;
    while (!r->quit && (k = getline(&line, &cap, stdin)) >= 0) {
        if (k && line[k - 1] == '\n') line[--k] = 0;
        if (k && line[k - 1] == '\r') line[--k] = 0;
        on_line(r, line);
    }
    free(line);
    /* A last statement without ';' still runs. */
    if (!r->quit && r->n && !blank(r->buf, r->n)) run_buffer(r);
    return r->q.any_error ? 1 : 0;
}

int shoal_cmd_repl(const char *db_path, int argc, char **argv)
{
    int format = 0, timing = 0;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-F")) && i + 1 < argc) {
            if (!(format = shoal_query_format_parse(argv[++i]))) {
                fprintf(stderr, "shoal repl: --format needs table, csv, json, ndjson or markdown\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--timing")) {
            timing = 1;
        } else {
            fputs(shoal_cmd_repl_usage, stderr);
            return 2;
        }
    }
    repl r;
    memset(&r, 0, sizeof r);
    r.tty = isatty(0) && isatty(1);
    int rc = shoal_cli_query_open(db_path, format ? format : r.tty ? SHOAL_OUT_TABLE : 0, &r.q);
    if (rc) return rc;
    shoal_session_set_timing(r.q.s, timing);
    the_repl = &r;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;   /* no SA_RESTART: select returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    rc = r.tty ? interactive(&r) : batch(&r);
    free_names(&r);
    free(r.buf);
    shoal_cli_query_close(&r.q);
    the_repl = NULL;
    return rc;
}
