/* rowsrc.h — row sources: `FROM name(arg) [PER unit]` sources that make rows of their
 * own (flow, transitions, retention), as opposed to scanning events or members. The
 * planner finds a source by name in one table (rowsrc.c) and calls its plan, which
 * checks the statement and declares the rows' columns; the executor calls its rows,
 * which pushes each row into the common WHERE, grouping, ordering and output through
 * the sink (exec.c). A new source is one file in query/ and one row in the table.
 * Internal to query/.
 */
#ifndef SHOAL_ROWSRC_H
#define SHOAL_ROWSRC_H

#include <strings.h>

#include "caltime.h"
#include "plan.h"

typedef struct shoal_rowsrc {
    const char *name;   /* the word after FROM, matched case-insensitively */
    /* Checks the source's argument, PER and the rest of st (errors at st's positions,
     * x->r open, the statement's AS OF already in p->max_seq, p->cut_ts and x->now),
     * and sets the rows' columns (p->n_src, src_names, src_rt, src_ns) and its state
     * (p->rs_state, in x->a). 0 or the error's code. */
    int (*plan)(exec *x, const shoal_stmt *st, plan *p);
    /* Makes the rows (x->r open) and hands each to shoal_exec_sink_push, stopping when
     * shoal_exec_sink_full says so. Honours x->cancel. 0 or an error (in x->err). */
    int (*rows)(exec *x, plan *p, shoal_rowsink *sink);
    /* What rows will do, as lines in x->a, for EXPLAIN. */
    int (*explain)(exec *x, const plan *p, char ***lines, int *n_lines);
} shoal_rowsrc;

/* The periods of PER DAY|WEEK|MONTH. A period is a number, the value of day(), week()
 * or month(): the local day, the Monday that starts the week, year * 12 + month - 1. */
enum { SHOAL_PER_DAY = 1, SHOAL_PER_WEEK, SHOAL_PER_MONTH };

/* The unit a word names (DAY, WEEK, MONTH), or 0. */
static inline int shoal_per_unit(const char *s)
{
    if (!strcasecmp(s, "day")) return SHOAL_PER_DAY;
    if (!strcasecmp(s, "week")) return SHOAL_PER_WEEK;
    if (!strcasecmp(s, "month")) return SHOAL_PER_MONTH;
    return 0;
}

/* The period of local day day. */
static inline int64_t shoal_per_of(int unit, int64_t day)
{
    return unit == SHOAL_PER_DAY ? day : unit == SHOAL_PER_WEEK ? shoal_cal_week_start(day) : shoal_cal_month_of_day(day);
}

/* The first local day of period p, and the period after it. */
static inline int64_t shoal_per_first_day(int unit, int64_t p) { return unit == SHOAL_PER_MONTH ? shoal_cal_month_start(p) : p; }
static inline int64_t shoal_per_next(int unit, int64_t p) { return unit == SHOAL_PER_WEEK ? p + 7 : p + 1; }

/* The source called name, or NULL. */
const shoal_rowsrc *shoal_rowsrc_find(const char *name);
/* exec_spill.c: bytes of the arrays a source makes its rows with (per member, per
 * period) weighed against the statement's memory budget, as what cannot spill is: 0,
 * or the error at FROM naming SET MEMORY_LIMIT. Given back when the rows are made. */
int shoal_exec_hold_src(exec *x, const plan *p, uint64_t bytes);
/* The sources' names, for messages: "flow, transitions, retention". */
extern const char shoal_rowsrc_names[];

/* WHERE's conditions on members. A condition of a SELECT over a row source that is
 * about members (it names `member`, a layer or a per-member aggregate, and none of the
 * rows' columns names[0..n_names) nor a select alias), AND-ed with the rest, is taken
 * by the source: plan splits st's WHERE, leaves the rest in p->where_ast and plans
 * `SELECT member FROM members WHERE <them>` with st's AS OF (out->plan NULL when
 * none); run gives the members it keeps as bits in only (n_members / 8 + 1 bytes,
 * zeroed by the caller); explain appends its lines, saying what it restricts. */
typedef struct shoal_rowsrc_members {
    plan *plan;
    const shoal_node *cond;
} shoal_rowsrc_members;
/* A statement a source makes for itself (a SELECT over members: a definition's
 * aggregates, the members a condition keeps) is nested in the outer one: plan_inner
 * plans it, run_inner runs it with its rows handed to on_row(ctx); both put back the
 * executor's state the outer statement relies on (its plan, now, row, row sink). */
int shoal_rowsrc_plan_inner(exec *x, const shoal_stmt *q, plan **out);
int shoal_rowsrc_run_inner(exec *x, plan *ip, int (*on_row)(exec *, const qval *, int, void *), void *ctx);
/* count(TYPE, … [WHERE …]) over a definition's ON types and filter (retention's
 * ACTIVE ON, activity's ON), positioned over them in the definition's text. */
/* l AND r in x->a, either of which may be NULL (then the other); NULL and x->err set when
 * out of memory */
shoal_node *shoal_rowsrc_and(exec *x, shoal_node *l, shoal_node *r);
shoal_node *shoal_rowsrc_count_node(exec *x, shoal_nlist *types, shoal_node *where);

int shoal_rowsrc_members_plan(exec *x, const shoal_stmt *st, plan *p, const char *const *names, int n_names,
                              shoal_rowsrc_members *out);
int shoal_rowsrc_members_run(exec *x, const shoal_rowsrc_members *m, uint8_t *only);
int shoal_rowsrc_members_explain(exec *x, const shoal_rowsrc_members *m, const char *what, char ***lines, int *n_lines);

/* exec.c: a row source hands each of its rows (p->n_src values, borrowed for the call)
 * to the SELECT over it: WHERE, grouping, sorting, output. 0 or an error (in x->err);
 * shoal_exec_sink_full is 1 once a LIMIT needs no more rows. */
int shoal_exec_sink_push(shoal_rowsink *s, const qval *row);
int shoal_exec_sink_full(const shoal_rowsink *s);

/* flow.c: FROM flow(name) PER unit and FROM transitions(name) [PER unit] — tiers
 * evaluated at the end of each period and compared. */
int shoal_flow_plan(exec *x, const shoal_stmt *st, plan *p);
int shoal_flow_rows(exec *x, plan *p, shoal_rowsink *sink);
int shoal_flow_explain(exec *x, const plan *p, char ***lines, int *n_lines);

/* retention.c: FROM retention(name) — cohorts by a first event, active members per
 * period since; and CREATE RETENTION (checked, then kept as a view, or as its text, by
 * views.c). */
int shoal_retention_plan(exec *x, const shoal_stmt *st, plan *p);
int shoal_retention_rows(exec *x, plan *p, shoal_rowsink *sink);
int shoal_retention_explain(exec *x, const plan *p, char ***lines, int *n_lines);
int shoal_retention_create(exec *x, const shoal_stmt *st);
/* The retention view CREATE RETENTION st keeps (strings in x->a): 0 with *def filled,
 * 1 when no view can keep it (why says what), or an error. */
int shoal_retention_viewdef(exec *x, const shoal_stmt *st, shoal_viewdef *def, char *why, size_t n_why);

/* activity.c: FROM activity(name) [PER unit] — members active per period, DAU, WAU,
 * MAU and stickiness; and CREATE ACTIVITY (checked, then kept as a view, or as its
 * text). */
int shoal_activity_plan(exec *x, const shoal_stmt *st, plan *p);
int shoal_activity_rows(exec *x, plan *p, shoal_rowsink *sink);
int shoal_activity_explain(exec *x, const plan *p, char ***lines, int *n_lines);
int shoal_activity_create(exec *x, const shoal_stmt *st);
/* The activity view CREATE ACTIVITY st keeps (strings in x->a): 0 with *def filled,
 * 1 when no view can keep it (why says what), or an error. */
int shoal_activity_viewdef(exec *x, const shoal_stmt *st, shoal_viewdef *def, char *why, size_t n_why);
/* activity.c: FROM lifecycle(name) [PER unit] — per period, the active members by
 * state (new, returning, resurrecting) and the dormant ones, over an activity. */
int shoal_lifecycle_plan(exec *x, const shoal_stmt *st, plan *p);
/* activity.c: lifecycle_state(activity, DAY|WEEK|MONTH [, n]), a member's lifecycle
 * state now (AS OF's): compiles the call into *ctx (errors at its arguments), and
 * evaluates it for the member in a[0] (x->fn_ctx; the states come from one pass over
 * the log at the first member that asks). */
int shoal_lifecycle_state_compile(exec *x, const shoal_node *call, const void **ctx);
void shoal_lifecycle_state_eval(exec *x, qval *a, int n, qval *out);
/* EXPLAIN's line for a lifecycle_state() of plan p: where its states come from. */
int shoal_lifecycle_state_explain(exec *x, const plan *p, const void *ctx, char *line, size_t n);
/* activity.c: FROM stickiness(name) [PER unit] — per period, the members active on
 * exactly d of its days, for each d. */
int shoal_stickiness_plan(exec *x, const shoal_stmt *st, plan *p);

/* experiment.c: FROM experiment(name) and EVALUATE EXPERIMENT name — per metric and
 * arm n, mean, sd and the comparison against control; and CREATE EXPERIMENT. */
int shoal_experiment_plan(exec *x, const shoal_stmt *st, plan *p);
int shoal_experiment_rows(exec *x, plan *p, shoal_rowsink *sink);
int shoal_experiment_explain(exec *x, const plan *p, char ***lines, int *n_lines);
int shoal_experiment_create(exec *x, const shoal_stmt *st);
/* The assignment hash: XXH3_64bits of the salt's bytes, one 0 byte, the member's. */
/* arm('name', member): compiles the experiment's assignment into *ctx (an error at
 * [off, len) when there is no such experiment), and evaluates it (x->fn_ctx). */
int shoal_experiment_arm_compile(exec *x, const char *name, int off, int len, const void **ctx);
void shoal_experiment_arm_eval(exec *x, qval *a, int n, qval *out);

/* rowsrc.c: the earliest event time the statement can see (the zone map's, else a
 * read of every header), INT64_MAX when none; for the sources' first period. */
int shoal_rowsrc_earliest(exec *x, const plan *p, int64_t *out);
/* A stored definition (def and its text, from shoal_plan_def_find) compiled by
 * fn(x, def, ctx) over its own text: x->src is the text and x->err a quiet one while fn
 * runs. CREATE checked the text, so only a damaged store fails; the error is reported
 * at the statement's [off, len) that names it, as `kind "name": message`, and one not of
 * the kind (is_kind 0: no CREATE ACTIVITY where an activity is named) as `its definition
 * is not a CREATE KIND`. 0 or the error's code. */
int shoal_rowsrc_def_compile(exec *x, const shoal_stmt *def, const char *text, int is_kind, const char *kind,
                             const char *name, int off, int len, int (*fn)(exec *, const shoal_stmt *, void *),
                             void *ctx);
/* Whether the view kept for source name (of kind `kind`) can answer statement p: 1, or
 * 0 with the reason in why (a definition kept as its text, views off, AS OF SEQ,
 * another time zone (`unit`: what the view's days or periods are called), a view
 * behind the log), or an error (< 0). *bytes: the view's size when there is one. */
int shoal_rowsrc_view_usable(exec *x, const plan *p, const char *name, int kind, const char *unit,
                             uint64_t *bytes, char *why, size_t why_size);

#endif
