/* repl.c — `shoal repl`, the interactive query shell (after redis-cli, psql and the
 * DuckDB shell): GNU readline with history in ~/.shoal_history (only on a terminal; a
 * statement of several lines is one entry, its newlines kept as \x01 in the file, as
 * psql does), tab completion that knows where it is (event types after `type =` and
 * `type IN (`, sources after FROM, else keywords, functions, types, properties and
 * views), statements that run when a line ends them with ';', and backslash commands
 * from a table (with psql's and DuckDB's words for leaving and help: quit, exit,
 * .quit, \q, help, \?). A table on a terminal shows its first 40 rows (\maxrows).
 * Ctrl-C cancels the running query (or the statement being typed) and keeps the
 * session; errors never end it. On a non-terminal stdin it reads statements without
 * prompts, so `echo 'SELECT …;' | shoal repl` works. Statements run through
 * shoal_query_run, like `shoal query`.
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
    "Type help (or \\?) for the backslash commands, quit (or \\q, Ctrl-D) to leave.\n"
    "Ctrl-C cancels the running query. A table on a terminal shows its first 40\n"
    "rows (\\maxrows N changes it). Without a terminal, reads statements from stdin.\n";

#define HISTORY_FILE ".shoal_history"
#define HISTORY_MAX 2000
/* Rows a table shows on a terminal: a screenful, as the DuckDB shell shows. */
#define MAX_ROWS 40
#define MAX_ROWS_HINT "\\maxrows N shows more, \\maxrows 0 all; or LIMIT"
/* A statement's newlines in the history file, which holds an entry a line (psql's
 * NL_IN_HISTORY). */
#define HISTORY_NL '\x01'

typedef struct repl {
    shoal_cli_query q;
    char *buf;          /* the statement being typed */
    size_t n, cap;
    int quit;
    int tty;
    char *history_path;
    struct names {
        char **v;
        size_t n;
    } names, types, views;   /* completion: everything besides keywords; event types
                              * (after `type =`); views, layers and tiers (`tiers(`) */
    uint64_t max_rows;  /* \maxrows: the cap while output goes to the terminal */
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
        printf("time zone is %s\n", shoal_session_timezone(r->q.s));
        return 0;
    }
    snprintf(stmt, sizeof stmt, "SET TIMEZONE = '%s'", arg);
    if (strchr(arg, '\'')) {
        fprintf(stderr, "\\tz: invalid time zone name\n");
        return 1;
    }
    int quiet = r->q.quiet;
    r->q.quiet = 1;   /* the line below says it */
    int rc = shoal_cli_query_exec(&r->q, "query", stmt, strlen(stmt));
    r->q.quiet = quiet;
    if (rc) return 1;
    printf("time zone is %s\n", shoal_session_timezone(r->q.s));
    return 0;
}

/* The cap on a table's rows (40 when stdout is a terminal, else none until \maxrows
 * sets one) applies while output goes to stdout, not while \o writes a file. */
static void apply_max_rows(repl *r)
{
    shoal_session_set_max_rows(r->q.s, r->q.out ? 0 : r->max_rows, MAX_ROWS_HINT);
}

static int bs_maxrows(repl *r, const char *arg)
{
    if (*arg) {
        char *end;
        unsigned long long n = strtoull(arg, &end, 10);
        if (*end || arg[0] == '-') {
            fprintf(stderr, "\\maxrows takes a number of rows (0: all)\n");
            return 1;
        }
        r->max_rows = n;
        apply_max_rows(r);
    }
    if (r->max_rows) printf("tables show up to %llu row%s\n", (unsigned long long)r->max_rows, r->max_rows == 1 ? "" : "s");
    else printf("tables show every row\n");
    return 0;
}

static int bs_output(repl *r, const char *arg)
{
    if (r->q.out) {
        if (fclose(r->q.out)) fprintf(stderr, "\\o: cannot write the output file: %s\n", strerror(errno));
        r->q.out = NULL;
    }
    if (*arg) {
        if (!(r->q.out = fopen(arg, "w"))) {
            fprintf(stderr, "\\o: cannot open %s: %s\n", arg, strerror(errno));
            apply_max_rows(r);
            return 1;
        }
    }
    apply_max_rows(r);
    return 0;
}

/* \i FILE: the file's statements, as `shoal query -f FILE` runs them (parsed whole
 * first; an error is shown at its line and column in the file). */
static int bs_include(repl *r, const char *arg)
{
    if (!*arg) {
        fprintf(stderr, "\\i takes a file\n");
        return 1;
    }
    FILE *f = fopen(arg, "rb");
    if (!f) {
        fprintf(stderr, "\\i: cannot open %s: %s\n", arg, strerror(errno));
        return 1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        fprintf(stderr, "\\i: cannot read %s\n", arg);
        return 1;
    }
    int rc = shoal_cli_query_exec(&r->q, arg, buf, n);
    free(buf);
    return rc != 0;
}

static const bs_cmd bs_cmds[] = {
    {"help", bs_help, "this list (also: help)"},
    {"?", bs_help, "this list"},
    {"q", bs_quit, "leave the shell (also: quit, exit, .quit, Ctrl-D)"},
    {"quit", bs_quit, "leave the shell"},
    {"timing", bs_timing, "on|off: print each statement's time"},
    {"format", bs_format, "table|csv|json|ndjson|markdown: the output format"},
    {"tz", bs_tz, "[Area/City]: show or set this session's time zone"},
    {"o", bs_output, "[FILE]: results to FILE; alone, back to the terminal"},
    {"i", bs_include, "FILE: run the statements of FILE"},
    {"maxrows", bs_maxrows, "[N]: rows a table shows on the terminal (0: all)"},
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

/* A list of names: what completion offers in one context. */
typedef struct names names;

static void names_free(names *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void names_add(names *l, const char *s, size_t n)
{
    char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv) return;
    l->v = nv;
    char *c = malloc(n + 1);
    if (!c) return;
    memcpy(c, s, n);
    c[n] = 0;
    l->v[l->n++] = c;
}

static void free_names(repl *r)
{
    names_free(&r->names);
    names_free(&r->types);
    names_free(&r->views);
}

static void add_view_name(void *ctx, const char *name, size_t n)
{
    repl *r = ctx;
    /* an experiment's own view (experiment:NAME) is no name a statement can give: the
     * experiment's name comes with the definitions */
    if (memchr(name, ':', n)) return;
    names_add(&r->names, name, n);
    names_add(&r->views, name, n);
}

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
                                        "dormant", "experiment", "evaluate", "arms", "salt", "metrics", "exposure",
                                        "units", "diff_lo", "diff_hi", "rel_diff", "srm_p", "decision_ready",
                                        "two_arms", "firstlast", "lifecycle_state", "churned", "guardrails", "covariate",
                                        "unit", "correction", "better", "p_one_sided", "p_adjusted", "chance_to_win",
                                        "risk", "risk_control", "seq_lo", "seq_hi", "seq_p", "cuped_reduction", "harm",
                                        "verdict", "confidence", "one_sided", "two_sided", "prior", "normal", NULL};
    free_names(r);
    for (const char *const *w = words; *w; w++) names_add(&r->names, *w, strlen(*w));
    for (const char *const *f = shoal_query_functions(); *f; f++) names_add(&r->names, *f, strlen(*f));
    shoal_reader *rd;
    if (shoal_reader_open(r->q.db, &rd, NULL) != SHOAL_OK) return;
    static const int nss[] = {SHOAL_NS_TYPE, SHOAL_NS_PROP};
    for (int k = 0; k < 2; k++) {
        uint32_t n = shoal_dict_count(rd, nss[k]);
        for (uint32_t id = 1; id <= n && id <= 10000; id++) {
            shoal_str s;
            if (shoal_dict_str(rd, nss[k], id, &s, NULL) == SHOAL_OK && s.ptr) {
                names_add(&r->names, s.ptr, s.len);
                if (nss[k] == SHOAL_NS_TYPE) names_add(&r->types, s.ptr, s.len);
            }
        }
    }
    shoal_view_names(rd, add_view_name, r, NULL);
    shoal_reader_close(rd);
}

/* What may come at the cursor, from the words before it (rl_line_buffer[0..start)). */
enum { CTX_ANY, CTX_TYPE, CTX_SOURCE, CTX_VIEW };

static int word_char(char c)
{
    return c == '_' || ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9');
}

/* s[0..n) ends with the word w (any case), not with a longer word. */
static int ends_with_word(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && !strncasecmp(s + n - k, w, k) && (n == k || !word_char(s[n - k - 1]));
}

static size_t trim_blanks(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n')) n--;
    return n;
}

static int completion_context(const char *line, size_t n)
{
    n = trim_blanks(line, n);
    if (n && line[n - 1] == '\'') n = trim_blanks(line, n - 1);   /* type = 'po */
    if (ends_with_word(line, n, "from")) return CTX_SOURCE;
    if (n && line[n - 1] == '(') {
        size_t k = trim_blanks(line, n - 1);
        if (ends_with_word(line, k, "tiers") || ends_with_word(line, k, "flow") || ends_with_word(line, k, "transitions"))
            return CTX_VIEW;
        /* count(po…: a per-member aggregate's event type (not pow(), a function) */
        if (ends_with_word(line, k, "count") || ends_with_word(line, k, "first") || ends_with_word(line, k, "last"))
            return CTX_TYPE;
    }
    /* type = | type != | type IN ( | type IN ('a', | type NOT IN (… */
    size_t k = n;
    if (k && line[k - 1] == '=') {
        k = trim_blanks(line, k - 1);
        if (k && line[k - 1] == '!') k = trim_blanks(line, k - 1);
        return ends_with_word(line, k, "type") ? CTX_TYPE : CTX_ANY;
    }
    if (k && (line[k - 1] == '(' || line[k - 1] == ',')) {
        /* back to the open parenthesis, past quoted types and commas */
        size_t j = k;
        while (j && line[j - 1] != '(') {
            char c = line[j - 1];
            if (c == ')' || c == ';' || c == '=') return CTX_ANY;
            j--;
        }
        if (!j) return CTX_ANY;
        j = trim_blanks(line, j - 1);
        if (!ends_with_word(line, j, "in")) return CTX_ANY;
        j = trim_blanks(line, j - 2);
        if (ends_with_word(line, j, "not")) j = trim_blanks(line, j - 3);
        return ends_with_word(line, j, "type") ? CTX_TYPE : CTX_ANY;
    }
    return CTX_ANY;
}

static int complete_ctx;

static char *complete_gen(const char *text, int state)
{
    static size_t kw_i, name_i, bs_i;
    static size_t len;
    static const char *const sources[] = {"members", "events", "tiers(", "flow(", "transitions(", NULL};
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
    if (complete_ctx == CTX_SOURCE) {
        while (sources[name_i]) {
            const char *n = sources[name_i++];
            if (!strncasecmp(n, text, len)) return strdup(n);
        }
        return NULL;
    }
    if (complete_ctx == CTX_TYPE || complete_ctx == CTX_VIEW) {
        const names *l = complete_ctx == CTX_TYPE ? &r->types : &r->views;
        while (name_i < l->n) {
            const char *n = l->v[name_i++];
            if (!strncmp(n, text, len)) return strdup(n);
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
    while (name_i < r->names.n) {
        const char *n = r->names.v[name_i++];
        if (!strncmp(n, text, len)) return strdup(n);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;
    complete_ctx = completion_context(rl_line_buffer, (size_t)start);
    /* "tiers(" and the like go on without a space after them. */
    if (complete_ctx == CTX_SOURCE) rl_completion_append_character = ' ';
    char **m = rl_completion_matches(text, complete_gen);
    if (complete_ctx == CTX_SOURCE && m && m[0] && !m[1] && m[0][strlen(m[0]) - 1] == '(') rl_completion_append_character = 0;
    return m;
}

/* ---------------------------------------------------------------- lines */

static void reset_buf(repl *r) { r->n = 0; }

/* ---------------------------------------------------------------- history */

/* Adds entry to the history and to the file, where it takes one line: its newlines
 * are written as HISTORY_NL and turned back by load_history, so that a statement of
 * several lines comes back as one entry after a restart. */
static void remember(repl *r, const char *entry)
{
    add_history(entry);
    if (!r->history_path) return;
    FILE *f = fopen(r->history_path, "a");
    if (!f) return;
    for (const char *p = entry; *p; p++) putc(*p == '\n' ? HISTORY_NL : *p, f);
    putc('\n', f);
    fclose(f);
}

static void load_history(repl *r)
{
    read_history(r->history_path);
    for (int i = 0; i < history_length; i++) {
        HIST_ENTRY *h = history_get(history_base + i);
        if (!h || !strchr(h->line, HISTORY_NL)) continue;
        for (char *p = h->line; *p; p++)
            if (*p == HISTORY_NL) *p = '\n';
    }
}

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
    if (r->tty) remember(r, r->buf);
    shoal_cli_query_exec(&r->q, "query", r->buf, r->n);
    reset_buf(r);
    if (r->tty) load_names(r);
}

/* The word that makes a whole line a shell command when nothing is pending, as in
 * psql and the DuckDB shell: quit, exit, .quit, .exit (leave), help, .help (help);
 * case and a trailing ';' do not matter. NULL when the line is something else. */
static const char *shell_word(const char *p)
{
    static const char *const words[][2] = {{"quit", "\\q"}, {"exit", "\\q"}, {".quit", "\\q"}, {".exit", "\\q"},
                                           {"help", "\\help"}, {".help", "\\help"}};
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == ';')) n--;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i][0]) == n && !strncasecmp(p, words[i][0], n)) return words[i][1];
    return NULL;
}

/* One line typed or read: a backslash command (or quit, exit, help) when nothing is
 * pending, else part of the statement, which runs once a ';' ends it. */
static void on_line(repl *r, const char *line)
{
    if (r->n == 0) {
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        const char *word = shell_word(p);
        if (*p == '\\' || word) {
            if (r->tty) remember(r, line);
            run_backslash(r, word ? word : p);
            return;
        }
        if (!*p) return;
    }
    if (append(r, line)) {
        shoal_cli_fail("out of memory");
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
            load_history(r);
        }
    }
    stifle_history(HISTORY_MAX);
    rl_readline_name = "shoal";
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{(,.)*+-/%";
    rl_catch_signals = 0;
    load_names(r);
    printf("shoal %s — type help (or \\?) for help, quit (or \\q) to leave; end statements with ';'\n", SHOAL_VERSION);
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
                shoal_cli_fail("--format needs table, csv, json, ndjson or markdown");
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
    int rc = shoal_cli_query_open(db_path, format ? format : r.tty ? SHOAL_OUT_TABLE : 0, 0, &r.q);
    if (rc) return rc;
    shoal_session_set_timing(r.q.s, timing);
    r.max_rows = isatty(1) ? MAX_ROWS : 0;
    apply_max_rows(&r);
    the_repl = &r;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;   /* no SA_RESTART: select returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    rc = r.tty ? interactive(&r) : batch(&r);
    free_names(&r);
    free(r.buf);
    if (r.q.out) fclose(r.q.out);
    shoal_cli_query_close(&r.q);
    the_repl = NULL;
    return rc;
}
