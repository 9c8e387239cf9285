/* ast.h — the syntax tree of the query language, built by parser.y in the statement's
 * arena, and the internal interfaces between the query stages (parse → resolve/plan →
 * exec → format). Every node keeps the byte span of the text it came from, so later
 * stages can point at it in an error. Nothing here is freed on its own: the arena is.
 */
#ifndef SHOAL_AST_H
#define SHOAL_AST_H

#include "shoal.h"

/* A byte span in the source text: bison's location type. */
typedef struct shoal_loc {
    int off, len;
} shoal_loc;

/* Expression node kinds. */
enum {
    SHOAL_AST_INT = 1,   /* i */
    SHOAL_AST_NUM,       /* d */
    SHOAL_AST_STR,       /* s, n (unescaped) */
    SHOAL_AST_TSLIT,     /* s: a bare 2025-03-04[T…] literal, converted by resolve */
    SHOAL_AST_BOOL,      /* i */
    SHOAL_AST_NULL,
    SHOAL_AST_NAME,      /* s: a column, property, event type or alias */
    SHOAL_AST_DOT,       /* s . s2: TYPE.prop */
    SHOAL_AST_STAR,      /* * */
    SHOAL_AST_DURATION,  /* i units of s (unit word) */
    SHOAL_AST_BINOP,     /* op, a, b */
    SHOAL_AST_NOT,       /* a */
    SHOAL_AST_NEG,       /* a */
    SHOAL_AST_IN,        /* a IN (list); flags & SHOAL_AST_F_NOT */
    SHOAL_AST_BETWEEN,   /* a BETWEEN b AND c */
    SHOAL_AST_LIKE,      /* a LIKE b */
    SHOAL_AST_ISNULL,    /* a IS [NOT] NULL */
    SHOAL_AST_CASE,      /* a (operand or NULL), list (WHEN pairs: a=cond, b=result), c (ELSE) */
    SHOAL_AST_WHEN,
    SHOAL_AST_CALL,      /* s(list) [WHERE filter] [DURING win | WITHIN anc]; flags STAR/DISTINCT */
    SHOAL_AST_INLAYER,   /* a IN s (a layer's name at s2_off, s2_len); flags & SHOAL_AST_F_NOT */
    SHOAL_AST_SUBQ,      /* (SELECT …): sub, a scalar subquery */
    SHOAL_AST_INSUB      /* a IN (SELECT …): sub; flags & SHOAL_AST_F_NOT */
};

/* Binary operators (node->op). */
enum {
    SHOAL_OP_ADD = 1, SHOAL_OP_SUB, SHOAL_OP_MUL, SHOAL_OP_DIV, SHOAL_OP_MOD,
    SHOAL_OP_EQ, SHOAL_OP_NE, SHOAL_OP_LT, SHOAL_OP_LE, SHOAL_OP_GT, SHOAL_OP_GE,
    SHOAL_OP_AND, SHOAL_OP_OR,
    SHOAL_OP_CONCAT      /* a || b */
};

#define SHOAL_AST_F_NOT 0x1       /* NOT IN, NOT BETWEEN, NOT LIKE, IS NOT NULL */
#define SHOAL_AST_F_STAR 0x2      /* count(*) */
#define SHOAL_AST_F_DISTINCT 0x4  /* count(DISTINCT x) */
#define SHOAL_AST_F_DESC 0x8      /* ORDER BY … DESC */
#define SHOAL_AST_F_TIES 0x10     /* LIMIT n WITH TIES (on the limit's INT node) */
#define SHOAL_AST_F_RANGE 0x20    /* RANGE … (on a frame's first bound) */
#define SHOAL_AST_F_EXISTS 0x40   /* EXISTS (SELECT …), on a SUBQ node */
#define SHOAL_AST_F_GROUPS 0x80   /* GROUPS … (on a frame's first bound) */
#define SHOAL_AST_F_FRAC 0x100    /* a frame's offset that is not whole: d, not i */

typedef struct shoal_node shoal_node;
typedef struct shoal_nlist shoal_nlist;
typedef struct shoal_window shoal_window;

typedef struct shoal_anchor shoal_anchor;
typedef struct shoal_over shoal_over;

/* A window anchored on each member's own event: count(post) WITHIN 7 DAYS AFTER
 * first(join). dir is the word between (AFTER, BEFORE or OF), call the anchor. */
struct shoal_anchor {
    int off, len;           /* from WITHIN to the anchor's end */
    int64_t n;              /* 7 */
    const char *unit;       /* DAYS, … */
    int unit_off, unit_len;
    const char *dir;        /* after, before, of */
    int dir_off, dir_len;
    shoal_node *call;       /* first(join WHERE …) */
    const char *of;         /* … OF to: the property naming the member whose anchor it is, else NULL */
    int of_off, of_len;
};

/* A window: DURING today | this_week | … | last N DAYS | BETWEEN 'd1' AND 'd2'. */
struct shoal_window {
    int off, len;
    const char *word;       /* today, this_week, …, or "last" */
    int word_off, word_len;
    int64_t n;              /* last N … */
    const char *unit;       /* days, weeks, … */
    int unit_off, unit_len;
    const char *d1, *d2;    /* BETWEEN (NULL otherwise) */
    int d1_off, d1_len, d2_off, d2_len;
};

struct shoal_node {
    int kind;
    int op;
    unsigned flags;
    int off, len;
    const char *s;        /* NUL-terminated */
    int n;                /* bytes in s */
    const char *s2;       /* DOT: the property */
    int s2_off, s2_len;
    int64_t i;
    double d;
    shoal_node *a, *b, *c;
    shoal_nlist *list;
    shoal_node *filter;   /* CALL: count(x WHERE filter) */
    shoal_window *win;    /* CALL: … DURING win */
    shoal_anchor *anc;    /* CALL: … WITHIN N UNIT AFTER|BEFORE|OF anchor */
    shoal_over *over;     /* CALL: … OVER (PARTITION BY … ORDER BY …): a window function */
    shoal_node *fwhere;   /* CALL: … FILTER (WHERE fwhere), on an aggregate over rows */
    shoal_node *next;     /* in a list */
    int depth;            /* levels of nodes from here down (shoal_ast_check_depth) */
    shoal_node *made;     /* the node made after this one: children come before parents */
    struct shoal_stmt *sub;   /* SUBQ, INSUB: the SELECT in parentheses */
    struct shoal_join *joins; /* a FROM's source: the sources joined to it (parser.y) */
};

struct shoal_nlist {
    shoal_node *head, *tail;
    int n;
};

/* Statements. */
enum {
    SHOAL_STMT_SELECT = 1,
    SHOAL_STMT_EXPLAIN,
    SHOAL_STMT_SET,
    SHOAL_STMT_SHOW,
    SHOAL_STMT_CREATE,   /* name: the kind word; vname; cols: the definition (CREATE TIERS: one
                          * item per tier, alias the tier, expr its condition); opt/value: HALF_LIFE … */
    SHOAL_STMT_DROP,     /* name: VIEW, COUNTERS, SCORE or LAYER; vname */
    SHOAL_STMT_EXPLAIN_MEMBER   /* EXPLAIN MEMBER 'm' IN layer: name: the word MEMBER; value: STR; vname */
};

typedef struct shoal_stmt shoal_stmt;

/* FROM a [AS] x [LEFT] JOIN b [AS] y ON cond …: one joined source, in the order written
 * (join.c). src is what `source` makes (a NAME: s the source, s2 its argument, sub a
 * derived table, b its alias or AS OF). */
typedef struct shoal_join {
    int left;                  /* LEFT [OUTER] JOIN: 1 */
    int off, len;              /* from the join's first word to the end of ON's condition */
    int word_off, word_len;    /* its words: [LEFT|INNER] JOIN */
    shoal_node *src;
    shoal_node *on;
    struct shoal_join *next;
} shoal_join;

/* WITH name AS (SELECT …), …: one named query, in the order written. */
typedef struct shoal_cte {
    const char *name;
    int name_off, name_len;
    shoal_stmt *q;
    struct shoal_cte *next;
} shoal_cte;

/* A word the grammar takes as a name, checked later (COHORT, ACTIVE, ON, …). */
typedef struct shoal_word {
    const char *s;
    int off, len;
} shoal_word;

/* CREATE RETENTION name COHORT BY first(join [WHERE …]) PER WEEK ACTIVE ON post, …
 * [UNBOUNDED] [AT LEAST n] [WHERE …]: the clauses after the name (the unit is the statement's per;
 * the cohort call is also its one select item). retention.c checks the words. */
typedef struct shoal_retention {
    shoal_word cohort_w, active_w, on_w;   /* COHORT, ACTIVE, ON */
    shoal_node *cohort;                    /* first(join [WHERE …]) */
    shoal_nlist *types;                    /* ACTIVE ON post, comment */
    shoal_node *where;                     /* … WHERE filter on the active events */
    shoal_word mode;                       /* UNBOUNDED, BOUNDED (s NULL: none) */
    shoal_word at_w, least_w;              /* AT LEAST (s NULL: none) */
    int64_t least;                         /* n */
    int least_off, least_len;
} shoal_retention;

/* One clause of CREATE EXPERIMENT between ARMS (…) and EXPOSURE (experiment.c checks
 * the words and which clauses may come): SALT 's', METRICS (…), GUARDRAILS (…), UNIT
 * word, CORRECTION word, COVARIATE aggregate WITHIN n unit. */
typedef struct shoal_exp_clause {
    shoal_word w;                  /* the clause's word */
    shoal_node *str;               /* SALT 's': STR */
    struct shoal_item *items;      /* METRICS (…), GUARDRAILS (…): as the metrics below */
    shoal_word arg;                /* UNIT group, CORRECTION bh */
    shoal_node *call;              /* COVARIATE: the call, its anc holding n and unit */
    shoal_node *num;               /* CONFIDENCE 0.9: NUM (or INT) */
    shoal_node *fn;                /* PRIOR normal(0, 0.3): the call, no window */
    int off, len;
    struct shoal_exp_clause *next;
} shoal_exp_clause;

/* CREATE EXPERIMENT name ARMS (control 50, ritual 50) clause… EXPOSURE TYPE [WHERE …]:
 * the clauses after the name. An arm is an item (alias the arm, expr its INT weight); a
 * metric too (alias the metric; expr the call, DIV of two calls for a ratio, or GT over
 * either for a 0/1 conversion, each call's anc holding the window's n and unit, dir
 * and call NULL; dir the words of LOWER|HIGHER IS BETTER, else NULL). */
typedef struct shoal_experiment {
    shoal_word arms_w, exposure_w;                      /* ARMS, EXPOSURE */
    struct shoal_item *arms;
    shoal_exp_clause *clauses;                          /* in their order */
    shoal_node *type;                                   /* NAME: the exposure's type */
    shoal_node *where;                                  /* the exposures' filter, or NULL */
} shoal_experiment;

/* A select item, an ORDER BY item and a GROUP BY item are nodes too; a select item's
 * alias sits in a node of kind NAME hung on ->b of the item wrapper below. */
typedef struct shoal_item {
    shoal_node *expr;
    const char *alias;   /* NULL when none */
    int alias_off, alias_len;
    int desc;            /* ORDER BY */
    int nulls;           /* ORDER BY … NULLS FIRST (1) or NULLS LAST (2); 0: the default */
    int word;            /* CREATE TIERS: "name WORD" (OTHERWISE): the word is expr, a NAME */
    struct shoal_item *next;
    shoal_node *dir;     /* CREATE EXPERIMENT metric: LOWER|HIGHER IS BETTER (s the first word,
                          * s2 the last), else NULL */
} shoal_item;

/* A window function's OVER (PARTITION BY part ORDER BY order): the rows it sees are
 * its partition's, in that order (items: GROUP BY's and ORDER BY's). */
struct shoal_over {
    int off, len;
    struct shoal_item *part;
    struct shoal_item *order;
    /* ROWS BETWEEN lo AND hi: each bound rows from the current one (n PRECEDING is −n,
     * CURRENT ROW 0, n FOLLOWING n), or UNBOUNDED (lo_unb: PRECEDING, hi_unb: FOLLOWING) */
    int frame;
    int64_t lo, hi;
    int lo_unb, hi_unb;
    int frame_off, frame_len;
    /* RANGE BETWEEN …: lo and hi are offsets of the ORDER BY key's value, in lo_unit and
     * hi_unit (a duration's unit word) when given */
    int range;
    const char *lo_unit, *hi_unit;
    double lo_d, hi_d;   /* lo and hi as numbers (RANGE 0.5 PRECEDING: not whole) */
    int groups;          /* GROUPS …: lo and hi count groups of peers */
    /* WINDOW name AS (…): its name, next the clause's next window; OVER name (ref): the
     * window it names */
    const char *name;
    int name_off, name_len, ref;
    struct shoal_over *next;
};

struct shoal_stmt {
    int kind;
    int off, len;
    /* SELECT */
    shoal_item *cols;
    int n_cols;
    const char *from;          /* NULL: no FROM */
    int from_off, from_len;
    const char *from_arg;      /* FROM tiers(name): name, else NULL */
    int from_arg_off, from_arg_len;
    shoal_node *from_n;        /* FROM lifecycle(name, n): n, else NULL */
    const char *per;           /* FROM flow(name) PER MONTH: the unit word, else NULL */
    int per_off, per_len;      /* the unit word */
    shoal_node *where, *having;
    shoal_window *during;
    shoal_item *group;
    shoal_item *order;
    shoal_over *windows;       /* WINDOW name AS (…), … */
    shoal_node *limit, *offset;
    shoal_node *asof_date;     /* STR or TSLIT */
    shoal_node *asof_seq;      /* INT */
    int asof_off, asof_len;
    /* EXPLAIN */
    shoal_stmt *inner;
    /* SET, SHOW: name (and value for SET) */
    const char *name;
    int name_off, name_len;
    shoal_node *value;
    /* CREATE, DROP */
    const char *vname;
    int vname_off, vname_len;
    const char *opt;
    int opt_off, opt_len;
    shoal_retention *ret;      /* CREATE RETENTION, CREATE ACTIVITY (cohort NULL): the clauses */
    shoal_experiment *exp;     /* CREATE EXPERIMENT: the clauses */
    /* Words the grammar takes as names, checked by query.c and views.c (NULL when
     * none): CREATE OR w1 (REPLACE), DROP kind w1 w2 name (IF EXISTS), SET w1 name =
     * value (DATABASE). */
    const char *w1, *w2;
    int w1_off, w1_len, w2_off, w2_len;
    shoal_stmt *next;
    /* WITH …: the named queries this SELECT (and what it nests) may read FROM */
    shoal_cte *with;
    /* FROM (SELECT …) [AS] t: the derived table (from is then t, or "subquery") */
    shoal_stmt *from_sub;
    int from_alias;            /* 1 when the derived table is named */
    const char *alias;         /* FROM x [AS] alias: its name (t.column), else NULL */
    int alias_off, alias_len;
    /* FROM x … JOIN y … ON …: the joined sources, in order (NULL: none) */
    shoal_join *joins;
};

/* What the parser needs: the arena everything goes into, the first error, and the
 * text (for quoting tokens in messages). */
typedef struct shoal_parse_ctx {
    shoal_arena *arena;
    shoal_err *err;
    const char *src;
    size_t n_src;
    shoal_stmt *head, *tail;   /* the statements, in order */
    int n_stmts;
    shoal_node *first_made, *last_made;   /* every node, in the order made */
} shoal_parse_ctx;

/* The scanner's extra state (yyextra). */
struct shoal_lex {
    int off;                   /* byte offset of the next token */
    int comment_off;           /* where the open comment began */
    int pending_on;            /* JOINs whose ON is still to come: "on" is then the word ON */
    shoal_parse_ctx *ctx;
};

/* ---------------------------------------------------------------- ast.c */

shoal_node *shoal_ast_node(shoal_parse_ctx *c, int kind, shoal_loc loc);
shoal_node *shoal_ast_binop(shoal_parse_ctx *c, int op, shoal_node *a, shoal_node *b, shoal_loc loc);
shoal_node *shoal_ast_unop(shoal_parse_ctx *c, int kind, shoal_node *a, shoal_loc loc);
shoal_node *shoal_ast_str(shoal_parse_ctx *c, int kind, const char *s, int n, shoal_loc loc);
shoal_nlist *shoal_ast_list(shoal_parse_ctx *c, shoal_nlist *l, shoal_node *x);
shoal_item *shoal_ast_item(shoal_parse_ctx *c, shoal_node *e, const char *alias, shoal_loc aloc);
shoal_item *shoal_ast_items(shoal_item *l, shoal_item *x);
shoal_window *shoal_ast_window(shoal_parse_ctx *c, shoal_loc loc);
shoal_anchor *shoal_ast_anchor(shoal_parse_ctx *c, shoal_loc loc);
shoal_over *shoal_ast_over(shoal_parse_ctx *c, shoal_loc loc);
shoal_retention *shoal_ast_retention(shoal_parse_ctx *c);
shoal_experiment *shoal_ast_experiment(shoal_parse_ctx *c);
shoal_exp_clause *shoal_ast_exp_clause(shoal_parse_ctx *c, shoal_loc loc);
shoal_stmt *shoal_ast_stmt(shoal_parse_ctx *c, int kind, shoal_loc loc);
void shoal_ast_add_stmt(shoal_parse_ctx *c, shoal_stmt *s);
/* Lexer helpers: copy a token's text into the arena, unescaping '' in strings. */
char *shoal_ast_strdup(shoal_parse_ctx *c, const char *s, size_t n);
char *shoal_ast_unquote(shoal_parse_ctx *c, const char *s, size_t n, char q, int *out_n);

/* The deepest expression a statement may hold (SQLite's SQLITE_MAX_EXPR_DEPTH): every
 * later stage (resolve, plan, evaluation, EXPLAIN, layers) walks expressions by
 * recursion, so a deeper one (a chain of 30,000 '+' or OR) is refused here, with the
 * message bison gives a full stack, instead of overflowing the C stack there. */
#define SHOAL_AST_MAX_DEPTH 1000

/* Measures every node's depth, once parsing is done (the nodes in the order they were
 * made: a node's children are made before it). Returns 0, or SHOAL_ESYNTAX with "the
 * statement is nested too deeply" at the first node past SHOAL_AST_MAX_DEPTH: for an
 * operator, its operator and right operand. */
int shoal_ast_check_depth(shoal_parse_ctx *c);

/* Parses src into c->head… (all statements). Returns SHOAL_OK, SHOAL_ESYNTAX or
 * SHOAL_ENOMEM with the first error in c->err. */
int shoal_ast_parse(shoal_parse_ctx *c);

/* ---------------------------------------------------------------- kw.c */

/* Looks up a word case-insensitively. Returns the parser's token number, or 0. */
int shoal_kw_lookup(const char *s, size_t n);
/* The keywords, for completion: NULL-terminated, upper case. */
extern const char *const shoal_kw_names[];

#endif
