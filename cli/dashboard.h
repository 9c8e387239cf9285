/* dashboard.h — a batch job's results as tables of typed cells, and the one
 * self-contained HTML page that shows them (dashboard.c). Charts are data shapes: each
 * kind says which columns it reads (docs/DASHBOARDS.md), and AUTO picks one from the
 * result's columns. The writer is deterministic: the same results give the same bytes.
 */
#ifndef SHOAL_DASHBOARD_H
#define SHOAL_DASHBOARD_H

#include <stdint.h>
#include <stdio.h>

enum {
    SHOAL_DASH_AUTO = 0,
    SHOAL_DASH_NUMBER,    /* one row: each column a headline number */
    SHOAL_DASH_BAR,       /* x, then numbers (a series each), or x, series, number */
    SHOAL_DASH_LINE,      /* the same shapes, x in order (periods, days) */
    SHOAL_DASH_TABLE,     /* any shape */
    SHOAL_DASH_HEATMAP,   /* row label, column label, number (e.g. cohort, period, retained) */
    SHOAL_DASH_FOREST     /* label, estimate, low, high [, note] (e.g. lifts with CIs) */
};

enum { SHOAL_DASH_NULL, SHOAL_DASH_NUM, SHOAL_DASH_STR, SHOAL_DASH_BOOL };

typedef struct shoal_dash_cell {
    const char *s;   /* the value's text as the query rendered it, NUL-terminated */
    int kind;        /* SHOAL_DASH_* */
    double v;        /* NUM: the number; BOOL: 0 or 1 */
} shoal_dash_cell;

typedef struct shoal_dash_table {
    int n_cols;
    char **names;
    size_t n_rows;
    shoal_dash_cell *cells;   /* n_rows * n_cols, row by row */
    char *text;               /* owns every string above */
} shoal_dash_table;

/* Builds t from one result in two formats: its CSV (the column names) and its JSON
 * (the typed values), as shoal query writes them. Returns 0, or -1 when they do not
 * parse (t is then empty). Free with shoal_dash_table_free. */
int shoal_dash_table_parse(const char *csv, size_t n_csv, const char *json, size_t n_json, shoal_dash_table *t);
void shoal_dash_table_free(shoal_dash_table *t);

typedef struct shoal_dash_panel {
    char *name;      /* the files' name: name.csv, name.json */
    char *title;
    int chart;       /* SHOAL_DASH_*, AUTO until chosen */
    char *unit;      /* the value axis' unit, or NULL */
    char *percent;   /* comma-separated columns holding fractions shown as percentages */
    char *mark;      /* a boolean column: rows where it is true are marked */
    int line;        /* the statement's line in the script */
    shoal_dash_table t;
} shoal_dash_panel;

typedef struct shoal_dash_page {
    const char *title;
    const char *as_of;     /* the instant the results are as of, ISO 8601 */
    const char *tz;        /* the database's time zone */
    uint64_t seq;          /* the log sequence of the snapshot */
    const char *script;    /* the script's name */
    const char *version;   /* shoal's */
    shoal_dash_panel *panels;
    int n_panels;
} shoal_dash_page;

/* SHOAL_DASH_* for a chart's name ("bar", …), or -1. */
int shoal_dash_chart_parse(const char *name, size_t n);
const char *shoal_dash_chart_name(int chart);

/* The chart AUTO becomes for this table (a panel's chart when it says none). */
int shoal_dash_choose(const shoal_dash_panel *p);

/* Writes the page to f. Returns 0, or -1 when f failed. */
int shoal_dash_write(FILE *f, const shoal_dash_page *page);

#endif
