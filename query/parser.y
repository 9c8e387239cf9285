/* parser.y — the grammar of the query language: a pure bison parser over the reentrant
 * scanner in lexer.l, building the syntax tree of ast.h in the statement's arena.
 * Actions only call shoal_ast_* constructors with the rule's byte span; all meaning
 * (names, types, windows, settings) is checked later by resolve.c. The first error
 * wins and parsing stops there: there are no error-recovery rules.
 */
%require "3.6"
%define api.pure full
%define api.prefix {shoal_yy}
%define api.location.type {shoal_loc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0

%code requires {
#include "ast.h"
typedef void *yyscan_t;
/* A nonterminal spans from its first to its last symbol; an empty one sits, with
 * length 0, right after what precedes it. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                               \
    do {                                                                          \
        if (N) {                                                                  \
            (Cur).off = YYRHSLOC(Rhs, 1).off;                                     \
            (Cur).len = YYRHSLOC(Rhs, N).off + YYRHSLOC(Rhs, N).len - (Cur).off;  \
        } else {                                                                  \
            (Cur).off = YYRHSLOC(Rhs, 0).off + YYRHSLOC(Rhs, 0).len;              \
            (Cur).len = 0;                                                        \
        }                                                                         \
    } while (0)
}

%code provides {
int shoal_yylex(SHOAL_YYSTYPE *yylval, shoal_loc *yylloc, yyscan_t scanner);
}

%code {
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CK(e) do { if (!(e)) YYNOMEM; } while (0)

static void shoal_yyerror(shoal_loc *loc, yyscan_t scanner, shoal_parse_ctx *ctx, const char *msg)
{
    (void)scanner;
    /* bison's only other message: its stack (YYMAXDEPTH) is full. */
    if (!strcmp(msg, "memory exhausted")) msg = "the statement is nested too deeply";
    shoal_err_set(ctx->err, SHOAL_ESYNTAX, loc->off, loc->len, "%s", msg);
}

/* SQL's words for a join, which a bare alias after a source cannot be. */
static int join_word(const char *s)
{
    static const char *const w[] = {"join", "inner", "left", "right", "full", "cross", "natural", "lateral"};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (!strcasecmp(s, w[i])) return 1;
    return 0;
}

static shoal_loc loc_of(shoal_loc a, shoal_loc b)
{
    shoal_loc l = {a.off, b.off + b.len - a.off};
    return l;
}

/* A window's frame from frame_opt's pair of bounds (ROWS n PRECEDING: the second is
 * CURRENT ROW): 1, or 0 with the error when it starts after it ends or at UNBOUNDED
 * FOLLOWING, or ends at UNBOUNDED PRECEDING. */
static int set_frame(shoal_parse_ctx *ctx, shoal_over *o, shoal_node *f, shoal_loc loc)
{
    if (!f) return 1;
    shoal_node *a = f, *b = f->next;
    if (!(b->flags & SHOAL_AST_F_NOT)) b->i = 0, b->flags = 0;   /* ROWS n PRECEDING */
    o->frame = 1;
    o->frame_off = loc.off;
    o->frame_len = loc.len;
    o->range = (a->flags & SHOAL_AST_F_RANGE) != 0;
    o->groups = (a->flags & SHOAL_AST_F_GROUPS) != 0;
    o->lo_unb = (a->flags & SHOAL_AST_F_STAR) != 0;
    o->hi_unb = (b->flags & SHOAL_AST_F_STAR) != 0;
    o->lo = a->i;
    o->hi = b->i;
    o->lo_d = a->flags & SHOAL_AST_F_FRAC ? a->d : (double)a->i;
    o->hi_d = b->flags & SHOAL_AST_F_FRAC ? b->d : (double)b->i;
    o->lo_unit = a->s;
    o->hi_unit = b->s;
    const shoal_node *u = a->s ? a : b->s ? b : NULL;
    if (u && !o->range) {
        shoal_err_set(ctx->err, SHOAL_ESYNTAX, u->s2_off, u->s2_len, "a frame of %s counts %s: its bounds take no unit "
                      "(RANGE BETWEEN 7 DAYS PRECEDING AND … measures the ORDER BY value)",
                      o->groups ? "GROUPS" : "ROWS", o->groups ? "groups of peers" : "rows");
        return 0;
    }
    const shoal_node *fr = a->flags & SHOAL_AST_F_FRAC ? a : b->flags & SHOAL_AST_F_FRAC ? b : NULL;
    if (fr && !o->range) {
        shoal_err_set(ctx->err, SHOAL_ESYNTAX, fr->off, fr->len, "a frame of %s counts %s: its offsets are whole numbers "
                      "(RANGE measures the ORDER BY value by any number)",
                      o->groups ? "GROUPS" : "ROWS", o->groups ? "groups of peers" : "rows");
        return 0;
    }
    int same_unit = (!a->s && !b->s) || (a->s && b->s && !strcasecmp(a->s, b->s));
    if ((o->lo_unb && a->i > 0) || (o->hi_unb && b->i < 0) || (!o->lo_unb && !o->hi_unb && same_unit && o->lo_d > o->hi_d)) {
        shoal_err_set(ctx->err, SHOAL_ESYNTAX, loc.off, loc.len, "%s",
                      "a frame runs from its start to its end: UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, n FOLLOWING, "
                      "UNBOUNDED FOLLOWING, in that order");
        return 0;
    }
    return 1;
}

/* NULLS FIRST (1) or NULLS LAST (2); 0 with the error for any other word */
static int nulls_word(shoal_parse_ctx *ctx, const char *w, shoal_loc loc)
{
    if (!strcasecmp(w, "first")) return 1;
    if (!strcasecmp(w, "last")) return 2;
    shoal_err_set(ctx->err, SHOAL_ESYNTAX, loc.off, loc.len, "expected FIRST or LAST after NULLS but found \"%s\"", w);
    return 0;
}
}

%param {yyscan_t scanner}
%parse-param {shoal_parse_ctx *ctx}

%union {
    struct { const char *s; int n; int64_t i; double d; } tok;
    shoal_node *node;
    shoal_nlist *list;
    shoal_window *win;
    shoal_stmt *stmt;
    shoal_item *item;
    shoal_retention *ret;
    shoal_cte *cte;
    shoal_exp_clause *clause;
    shoal_join *join;
    shoal_over *over;
}

%token <tok> IDENT "name" STRING "string" INT "integer" NUM "number" TSLIT "date"
%token <tok> AND "AND" AS "AS" ASC "ASC" BETWEEN "BETWEEN" BY "BY" CASE "CASE" CREATE "CREATE" DROP "DROP" HALF_LIFE "HALF_LIFE"
%token <tok> DESC "DESC" DISTINCT "DISTINCT" DURING "DURING" ELSE "ELSE" END "END" EVALUATE "EVALUATE"
%token <tok> EXPLAIN "EXPLAIN" FALSE_ "FALSE" FROM "FROM" GROUP "GROUP" HAVING "HAVING"
%token <tok> IN "IN" IS "IS" LIKE "LIKE" LIMIT "LIMIT" NOT "NOT" NULL_ "NULL" OF "OF"
%token <tok> OFFSET "OFFSET" OR "OR" ORDER "ORDER" PER "PER" SELECT "SELECT" SET "SET" SHOW "SHOW"
%token <tok> THEN "THEN" TRUE_ "TRUE" WHEN "WHEN" WHERE "WHERE" WITHIN "WITHIN"
%token <tok> LE "<=" GE ">=" NE "!="
%token <tok> OVER "OVER" FILTER "FILTER" NULLS "NULLS" WITH "WITH" TIES "TIES" CONCAT "||"
%token <tok> ROWS "ROWS"
%token <tok> JOIN_ "JOIN" LEFT_ "LEFT" INNER_ "INNER" OUTER_ "OUTER" ON_ "ON"
%token <tok> RANGE "RANGE" WINDOW "WINDOW" GROUPS_ "GROUPS"

%type <node> expr pred aexpr primary call literal set_value datelit limit_opt source
%type <list> expr_list when_list type_list
%type <win> window during_opt
%type <stmt> stmt select create evaluate
%type <item> items item group_opt group_list order_opt order_list order_item tiers tier arms arm metrics metric
%type <ret> ret_opts
%type <stmt> subselect
%type <cte> ctes
%type <node> src_as
%type <item> part_opt
%type <node> frame_opt frame_bound
%type <over> window_opt wdefs wdef
%type <clause> exp_clauses exp_clause
%type <node> mvalue dir_opt
%type <node> from_src
%type <join> joins join

%precedence LOWER_THAN_AS
%precedence AS
%precedence LOWER_THAN_DURING
%precedence DURING
%left OR
%left AND
%precedence NOT
%left '+' '-'
%left '*' '/' '%'
%left CONCAT
%precedence UMINUS

%%

script:
    stmt_list
    ;

stmt_list:
    opt_stmt
  | stmt_list ';' opt_stmt
    ;

    /* EVALUATE EXPERIMENT name [AS OF …]: SELECT * FROM experiment(name) [AS OF …];
       EXPLAIN EVALUATE … says which view answers, as EXPLAIN SELECT does. */
evaluate:
    EVALUATE IDENT IDENT asof_opt       { shoal_node *n; CK(n = shoal_ast_node(ctx, SHOAL_AST_STAR, @1));
                                          CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_SELECT, @$));
                                          CK($$->cols = shoal_ast_item(ctx, n, NULL, @1));
                                          $$->from = "experiment"; $$->from_off = @2.off; $$->from_len = @2.len;
                                          $$->from_arg = $3.s; $$->from_arg_off = @3.off; $$->from_arg_len = @3.len;
                                          $$->w1 = $1.s; $$->w1_off = @1.off; $$->w1_len = @1.len;
                                          $$->w2 = $2.s; $$->w2_off = @2.off; $$->w2_len = @2.len;
                                          if ($<node>4) {
                                              shoal_node *a = $<node>4;
                                              if (a->kind == SHOAL_AST_INT) $$->asof_seq = a; else $$->asof_date = a;
                                              $$->asof_off = @4.off; $$->asof_len = @4.len;
                                          } }
    ;

opt_stmt:
    %empty
  | stmt                                { shoal_ast_add_stmt(ctx, $1); }
    ;

stmt:
    select                              { $$ = $1; }
  | EXPLAIN select                      { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_EXPLAIN, @$)); $$->inner = $2; }
    /* WITH name AS (SELECT …), … SELECT … */
  | WITH ctes select                    { $$ = $3; $$->with = $2; $$->off = @$.off; $$->len = @$.len; }
  | EXPLAIN WITH ctes select            { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_EXPLAIN, @$)); $$->inner = $4;
                                          $4->with = $3; $4->off = @2.off; $4->len = @4.off + @4.len - @2.off; }
    /* EXPLAIN MEMBER 'm-77' IN core_creator: MEMBER is a word, checked by query.c. */
  | EXPLAIN IDENT STRING IN IDENT asof_opt
                                        { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_EXPLAIN_MEMBER, @$));
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len;
                                          CK($$->value = shoal_ast_str(ctx, SHOAL_AST_STR, $3.s, $3.n, @3));
                                          $$->vname = $5.s; $$->vname_off = @5.off; $$->vname_len = @5.len;
                                          if ($<node>6) {
                                              shoal_node *a = $<node>6;
                                              if (a->kind == SHOAL_AST_INT) $$->asof_seq = a; else $$->asof_date = a;
                                              $$->asof_off = @6.off; $$->asof_len = @6.len;
                                          } }
  | SET IDENT '=' set_value             { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_SET, @$));
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len;
                                          $$->value = $4; }
    /* SET DATABASE TIMEZONE = 'Asia/Shanghai': the word is checked by query.c. */
  | SET IDENT IDENT '=' set_value       { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_SET, @$));
                                          $$->w1 = $2.s; $$->w1_off = @2.off; $$->w1_len = @2.len;
                                          $$->name = $3.s; $$->name_off = @3.off; $$->name_len = @3.len;
                                          $$->value = $5; }
  | SHOW IDENT                          { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_SHOW, @$));
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len; }
    /* CREATE COUNTERS name AS count(post), … and CREATE SCORE name AS 1*like + … HALF_LIFE 30 DAYS:
     * the kind is a word, checked by query.c, so later kinds need no grammar. */
  | create IDENT IDENT AS items         { $$ = $1;
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len;
                                          $$->vname = $3.s; $$->vname_off = @3.off; $$->vname_len = @3.len;
                                          $$->cols = $5; $$->off = @$.off; $$->len = @$.len; }
  | create IDENT IDENT AS items HALF_LIFE primary
                                        { $$ = $1;
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len;
                                          $$->vname = $3.s; $$->vname_off = @3.off; $$->vname_len = @3.len;
                                          $$->cols = $5; $$->off = @$.off; $$->len = @$.len;
                                          $$->opt = "half_life"; $$->opt_off = @6.off; $$->opt_len = @6.len; $$->value = $7; }
    /* CREATE TIERS name (core WHEN cond, …, base OTHERWISE) */
  | create IDENT IDENT '(' tiers ')'    { $$ = $1;
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len;
                                          $$->vname = $3.s; $$->vname_off = @3.off; $$->vname_len = @3.len;
                                          $$->cols = $5; $$->off = @$.off; $$->len = @$.len; }
    /* CREATE RETENTION name COHORT BY first(join) PER WEEK ACTIVE ON post, comment
     * [UNBOUNDED] [AT LEAST n] [WHERE …]: COHORT, ACTIVE, ON and the options are words, checked
     * by retention.c, so that they stay usable as names. */
  | create IDENT IDENT IDENT BY call PER IDENT IDENT IDENT type_list ret_opts where_having[w]
                                        { $$ = $1; $$->off = @$.off; $$->len = @$.len;
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len;
                                          $$->vname = $3.s; $$->vname_off = @3.off; $$->vname_len = @3.len;
                                          CK($$->cols = shoal_ast_item(ctx, $6, NULL, @6));
                                          $$->per = $8.s; $$->per_off = @8.off; $$->per_len = @8.len;
                                          $$->ret = $12;
                                          $$->ret->cohort_w = (shoal_word){$4.s, @4.off, @4.len};
                                          $$->ret->cohort = $6;
                                          $$->ret->active_w = (shoal_word){$9.s, @9.off, @9.len};
                                          $$->ret->on_w = (shoal_word){$10.s, @10.off, @10.len};
                                          $$->ret->types = $11;
                                          $$->ret->where = $<node>w; }
    /* CREATE ACTIVITY name ON post, comment [WHERE …]: ON is a word, checked by activity.c */
  | create IDENT IDENT IDENT type_list where_having[w]
                                        { $$ = $1; $$->off = @$.off; $$->len = @$.len;
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len;
                                          $$->vname = $3.s; $$->vname_off = @3.off; $$->vname_len = @3.len;
                                          CK($$->cols = shoal_ast_item(ctx, $5->head, NULL, @5));
                                          CK($$->ret = shoal_ast_retention(ctx));
                                          $$->ret->on_w = (shoal_word){$4.s, @4.off, @4.len};
                                          $$->ret->types = $5;
                                          $$->ret->where = $<node>w; }
    /* CREATE EXPERIMENT name ARMS (control 50, ritual 50) clause… EXPOSURE TYPE [WHERE …]: the
     * clauses (SALT 's', METRICS (…), GUARDRAILS (…), UNIT word, CORRECTION word, COVARIATE
     * aggregate WITHIN n unit, CONFIDENCE number, TEST word, PRIOR call) in any order; the words are checked by experiment.c. EXPOSURE
     * comes last, as its WHERE runs to the end. */
  | create IDENT IDENT IDENT '(' arms ')' exp_clauses IDENT IDENT where_having[w]
                                        { $$ = $1; $$->off = @$.off; $$->len = @$.len;
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len;
                                          $$->vname = $3.s; $$->vname_off = @3.off; $$->vname_len = @3.len;
                                          CK($$->exp = shoal_ast_experiment(ctx));
                                          $$->exp->arms_w = (shoal_word){$4.s, @4.off, @4.len};
                                          $$->exp->arms = $6;
                                          $$->exp->clauses = $8;
                                          $$->cols = $6;
                                          $$->exp->exposure_w = (shoal_word){$9.s, @9.off, @9.len};
                                          CK($$->exp->type = shoal_ast_str(ctx, SHOAL_AST_NAME, $10.s, $10.n, @10));
                                          $$->exp->where = $<node>w; }
  | evaluate                            { $$ = $1; }
  | EXPLAIN evaluate                    { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_EXPLAIN, @$)); $$->inner = $2; }
  | DROP IDENT IDENT                    { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_DROP, @$));
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len;
                                          $$->vname = $3.s; $$->vname_off = @3.off; $$->vname_len = @3.len; }
    /* DROP VIEW IF EXISTS name: the words are checked by views.c. */
  | DROP IDENT IDENT IDENT IDENT        { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_DROP, @$));
                                          $$->name = $2.s; $$->name_off = @2.off; $$->name_len = @2.len;
                                          $$->w1 = $3.s; $$->w1_off = @3.off; $$->w1_len = @3.len;
                                          $$->w2 = $4.s; $$->w2_off = @4.off; $$->w2_len = @4.len;
                                          $$->vname = $5.s; $$->vname_off = @5.off; $$->vname_len = @5.len; }
    ;

    /* CREATE, or CREATE OR REPLACE (the word is checked by views.c) */
create:
    CREATE                              { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_CREATE, @$)); }
  | CREATE OR IDENT                     { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_CREATE, @$));
                                          $$->w1 = $3.s; $$->w1_off = @3.off; $$->w1_len = @3.len; }
    ;

    /* event type names: "like" is a keyword too */
type_list:
    IDENT                               { shoal_node *n; CK(n = shoal_ast_str(ctx, SHOAL_AST_NAME, $1.s, $1.n, @1));
                                          CK($$ = shoal_ast_list(ctx, NULL, n)); }
  | LIKE                                { shoal_node *n; CK(n = shoal_ast_str(ctx, SHOAL_AST_NAME, "like", 4, @1));
                                          CK($$ = shoal_ast_list(ctx, NULL, n)); }
  | type_list ',' IDENT                 { shoal_node *n; CK(n = shoal_ast_str(ctx, SHOAL_AST_NAME, $3.s, $3.n, @3));
                                          CK($$ = shoal_ast_list(ctx, $1, n)); }
  | type_list ',' LIKE                  { shoal_node *n; CK(n = shoal_ast_str(ctx, SHOAL_AST_NAME, "like", 4, @3));
                                          CK($$ = shoal_ast_list(ctx, $1, n)); }
    ;

ret_opts:
    %empty                              { CK($$ = shoal_ast_retention(ctx)); }
  | IDENT                               { CK($$ = shoal_ast_retention(ctx)); $$->mode = (shoal_word){$1.s, @1.off, @1.len}; }
  | IDENT IDENT INT                     { CK($$ = shoal_ast_retention(ctx));
                                          $$->at_w = (shoal_word){$1.s, @1.off, @1.len}; $$->least_w = (shoal_word){$2.s, @2.off, @2.len};
                                          $$->least = $3.i; $$->least_off = @3.off; $$->least_len = @3.len; }
  | IDENT IDENT INT IDENT               { CK($$ = shoal_ast_retention(ctx));
                                          $$->at_w = (shoal_word){$1.s, @1.off, @1.len}; $$->least_w = (shoal_word){$2.s, @2.off, @2.len};
                                          $$->least = $3.i; $$->least_off = @3.off; $$->least_len = @3.len;
                                          $$->mode = (shoal_word){$4.s, @4.off, @4.len}; }
  | IDENT IDENT IDENT INT               { CK($$ = shoal_ast_retention(ctx)); $$->mode = (shoal_word){$1.s, @1.off, @1.len};
                                          $$->at_w = (shoal_word){$2.s, @2.off, @2.len}; $$->least_w = (shoal_word){$3.s, @3.off, @3.len};
                                          $$->least = $4.i; $$->least_off = @4.off; $$->least_len = @4.len; }
    ;

arms:
    arm                                 { $$ = $1; }
  | arms ',' arm                        { $$ = shoal_ast_items($1, $3); }
    ;

arm:
    IDENT INT                           { shoal_node *w; CK(w = shoal_ast_node(ctx, SHOAL_AST_INT, @2)); w->i = $2.i;
                                          CK($$ = shoal_ast_item(ctx, w, $1.s, @1)); }
    ;

exp_clauses:
    exp_clause                          { $$ = $1; }
  | exp_clauses exp_clause              { shoal_exp_clause *c = $1; while (c->next) c = c->next; c->next = $2; $$ = $1; }
    ;

exp_clause:
    IDENT STRING                        { CK($$ = shoal_ast_exp_clause(ctx, @$)); $$->w = (shoal_word){$1.s, @1.off, @1.len};
                                          CK($$->str = shoal_ast_str(ctx, SHOAL_AST_STR, $2.s, $2.n, @2)); }
  | IDENT '(' metrics ')'               { CK($$ = shoal_ast_exp_clause(ctx, @$)); $$->w = (shoal_word){$1.s, @1.off, @1.len};
                                          $$->items = $3; }
  | IDENT IDENT                         { CK($$ = shoal_ast_exp_clause(ctx, @$)); $$->w = (shoal_word){$1.s, @1.off, @1.len};
                                          $$->arg = (shoal_word){$2.s, @2.off, @2.len}; }
    /* UNIT group: GROUP is a keyword */
  | IDENT GROUP                         { CK($$ = shoal_ast_exp_clause(ctx, @$)); $$->w = (shoal_word){$1.s, @1.off, @1.len};
                                          $$->arg = (shoal_word){"group", @2.off, @2.len}; }
    /* CONFIDENCE 0.90 (an INT too, for experiment.c to refuse at it) */
  | IDENT NUM                           { CK($$ = shoal_ast_exp_clause(ctx, @$)); $$->w = (shoal_word){$1.s, @1.off, @1.len};
                                          CK($$->num = shoal_ast_node(ctx, SHOAL_AST_NUM, @2)); $$->num->d = $2.d; }
  | IDENT INT                           { CK($$ = shoal_ast_exp_clause(ctx, @$)); $$->w = (shoal_word){$1.s, @1.off, @1.len};
                                          CK($$->num = shoal_ast_node(ctx, SHOAL_AST_INT, @2)); $$->num->i = $2.i; }
    /* PRIOR normal(mean, sd) */
  | IDENT call                          { CK($$ = shoal_ast_exp_clause(ctx, @$)); $$->w = (shoal_word){$1.s, @1.off, @1.len};
                                          $$->fn = $2; }
  | IDENT call WITHIN INT IDENT         { CK($$ = shoal_ast_exp_clause(ctx, @$)); $$->w = (shoal_word){$1.s, @1.off, @1.len};
                                          CK($2->anc = shoal_ast_anchor(ctx, loc_of(@3, @5))); $2->anc->n = $4.i;
                                          $2->anc->unit = $5.s; $2->anc->unit_off = @5.off; $2->anc->unit_len = @5.len;
                                          $2->len = @5.off + @5.len - $2->off;
                                          $$->call = $2; }
    ;

metrics:
    metric                              { $$ = $1; }
  | metrics ',' metric                  { $$ = shoal_ast_items($1, $3); }
    ;

    /* posts = count(post) WITHIN 7 DAYS, posted = count(post) WITHIN 7 DAYS > 0,
     * aov = sum(purchase.amount) / count(purchase) WITHIN 7 DAYS, … LOWER IS BETTER */
metric:
    IDENT '=' mvalue WITHIN INT IDENT dir_opt
                                        { shoal_anchor *an; CK(an = shoal_ast_anchor(ctx, loc_of(@4, @6))); an->n = $5.i;
                                          an->unit = $6.s; an->unit_off = @6.off; an->unit_len = @6.len;
                                          if ($3->kind == SHOAL_AST_CALL) { $3->anc = an; $3->len = @6.off + @6.len - $3->off; }
                                          else { $3->a->anc = an; $3->b->anc = an; $3->len = @6.off + @6.len - $3->off; }
                                          CK($$ = shoal_ast_item(ctx, $3, $1.s, @1)); $$->dir = $7; }
  | IDENT '=' mvalue WITHIN INT IDENT '>' INT dir_opt
                                        { shoal_anchor *an; CK(an = shoal_ast_anchor(ctx, loc_of(@4, @6))); an->n = $5.i;
                                          an->unit = $6.s; an->unit_off = @6.off; an->unit_len = @6.len;
                                          if ($3->kind == SHOAL_AST_CALL) { $3->anc = an; $3->len = @6.off + @6.len - $3->off; }
                                          else { $3->a->anc = an; $3->b->anc = an; $3->len = @6.off + @6.len - $3->off; }
                                          shoal_node *k; CK(k = shoal_ast_node(ctx, SHOAL_AST_INT, @8)); k->i = $8.i;
                                          shoal_node *gt; CK(gt = shoal_ast_binop(ctx, SHOAL_OP_GT, $3, k, loc_of(@3, @8)));
                                          CK($$ = shoal_ast_item(ctx, gt, $1.s, @1)); $$->dir = $9; }
    ;

    /* a metric's value: an aggregate, or a ratio of two */
mvalue:
    call                                { $$ = $1; }
  | call '/' call                       { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_DIV, $1, $3, @$)); }
    ;

    /* LOWER IS BETTER, HIGHER IS BETTER: the words are checked by experiment.c */
dir_opt:
    %empty                              { $$ = NULL; }
  | IDENT IS IDENT                      { CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, $1.s, $1.n, @$));
                                          $$->s2 = $3.s; $$->s2_off = @3.off; $$->s2_len = @3.len; }
    ;

tiers:
    tier                                { $$ = $1; }
  | tiers ',' tier                      { $$ = shoal_ast_items($1, $3); }
    ;

tier:
    IDENT WHEN expr                     { CK($$ = shoal_ast_item(ctx, $3, $1.s, @1)); }
  | IDENT IDENT                         { shoal_node *w; CK(w = shoal_ast_str(ctx, SHOAL_AST_NAME, $2.s, $2.n, @2));
                                          CK($$ = shoal_ast_item(ctx, w, $1.s, @1)); $$->word = 1; }
    ;

source:
    IDENT src_as                        { CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, $1.s, $1.n, @1)); $$->b = $2; }
  | IDENT '(' IDENT ')' src_as          { CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, $1.s, $1.n, @1));
                                          $$->s2 = $3.s; $$->s2_off = @3.off; $$->s2_len = @3.len; $$->b = $5; }
    /* FROM lifecycle(name, n): churned after n idle periods */
  | IDENT '(' IDENT ',' INT ')' src_as  { CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, $1.s, $1.n, @1));
                                          $$->s2 = $3.s; $$->s2_off = @3.off; $$->s2_len = @3.len;
                                          CK($$->a = shoal_ast_node(ctx, SHOAL_AST_INT, @5)); $$->a->i = $5.i; $$->b = $7; }
    /* FROM (SELECT …) [AS] t: a derived table, named "subquery" when unnamed */
  | '(' subselect ')' src_as            { shoal_node *al = $4 && $4->kind == SHOAL_AST_NAME ? $4 : NULL;
                                          CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, al ? al->s : "subquery", al ? al->n : 8, loc_of(@1, @3)));
                                          $$->sub = $2; $$->i = al != NULL; $$->b = $4; }
    ;

    /* what may follow a source's name: [AS] alias, or the statement's AS OF when nothing
     * else comes between (AS after a name is taken for either) */
src_as:
    %empty %prec LOWER_THAN_AS          { $$ = NULL; }
  | IDENT                               { if (join_word($1.s)) {
                                              shoal_err_set(ctx->err, SHOAL_ESYNTAX, @1.off, @1.len, "%s",
                                                            "a join is written `[LEFT] JOIN source [AS] name ON condition` "
                                                            "(source: a name, tiers(name) or (SELECT …)); only JOIN, "
                                                            "INNER JOIN and LEFT [OUTER] JOIN are supported");
                                              YYERROR;
                                          }
                                          CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, $1.s, $1.n, @1)); }
  | AS IDENT                            { CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, $2.s, $2.n, @2)); }
  | AS OF datelit                       { CK($$ = shoal_ast_node(ctx, SHOAL_AST_NULL, @$)); $$->a = $3; }
  | AS OF IDENT INT                     { CK($$ = shoal_ast_node(ctx, SHOAL_AST_NULL, @$));
                                          CK($$->a = shoal_ast_node(ctx, SHOAL_AST_INT, @4)); $$->a->i = $4.i;
                                          $$->a->s = $3.s; $$->a->s2_off = @3.off; $$->a->s2_len = @3.len; }
    ;

    /* a SELECT in parentheses: a derived table, a WITH query, a subquery */
subselect:
    select                              { $$ = $1; }
  | WITH ctes select                    { $$ = $3; $$->with = $2; $$->off = @$.off; $$->len = @$.len; }
    ;

ctes:
    IDENT AS '(' subselect ')'          { CK($$ = shoal_arena_alloc(ctx->arena, sizeof *$$)); memset($$, 0, sizeof *$$);
                                          $$->name = $1.s; $$->name_off = @1.off; $$->name_len = @1.len; $$->q = $4; }
  | ctes ',' IDENT AS '(' subselect ')' { shoal_cte *c; CK(c = shoal_arena_alloc(ctx->arena, sizeof *c)); memset(c, 0, sizeof *c);
                                          c->name = $3.s; c->name_off = @3.off; c->name_len = @3.len; c->q = $6;
                                          shoal_cte *t = $1; while (t->next) t = t->next; t->next = c; $$ = $1; }
    ;

set_value:
    STRING                              { CK($$ = shoal_ast_str(ctx, SHOAL_AST_STR, $1.s, $1.n, @1)); }
  | TSLIT                               { CK($$ = shoal_ast_str(ctx, SHOAL_AST_TSLIT, $1.s, $1.n, @1)); }
  | IDENT                               { CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, $1.s, $1.n, @1)); }
  | INT                                 { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, @1)); $$->i = $1.i; }
    ;

select:
    SELECT items                        { CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_SELECT, @$)); $$->cols = $2; }
  | SELECT items FROM from_src per_opt where_having[w] during_opt group_opt having_opt window_opt[wins] order_opt[ord] limit_opt[lim] asof_opt[asof]
        {
            CK($$ = shoal_ast_stmt(ctx, SHOAL_STMT_SELECT, @$));
            $$->cols = $2;
            $$->from = $4->s; $$->from_off = $4->off; $$->from_len = $4->len;
            $$->from_arg = $4->s2; $$->from_arg_off = $4->s2_off; $$->from_arg_len = $4->s2_len;
            $$->from_n = $4->a;
            $$->from_sub = $4->sub; $$->from_alias = (int)$4->i;
            $$->joins = $4->joins;
            if ($4->b && $4->b->kind == SHOAL_AST_NAME) {
                $$->alias = $4->b->s; $$->alias_off = $4->b->off; $$->alias_len = $4->b->len;
            } else if ($4->b) {
                /* FROM x AS OF …: the statement's AS OF, when no clause follows it */
                if ($4->joins || $<node>5 || $<node>w || $7 || $8 || $<node>9 || $wins || $ord || $lim || $<node>asof) {
                    shoal_err_set(ctx->err, SHOAL_ESYNTAX, $4->b->off, $4->b->len, "%s",
                                  "AS OF comes last in a SELECT, after its other clauses");
                    YYERROR;
                }
                shoal_node *a = $4->b->a;
                if (a->kind == SHOAL_AST_INT) $$->asof_seq = a; else $$->asof_date = a;
                $$->asof_off = $4->b->off; $$->asof_len = $4->b->len;
            }
            if ($<node>5) { $$->per = $<node>5->s; $$->per_off = $<node>5->off; $$->per_len = $<node>5->len; }
            $$->where = $<node>w;
            $$->during = $7;
            $$->group = $8;
            $$->having = $<node>9;
            $$->windows = $wins;
            $$->order = $ord;
            $$->limit = $lim;
            $$->offset = $lim ? $lim->next : NULL;
            if ($<node>asof) {
                shoal_node *a = $<node>asof;
                if (a->kind == SHOAL_AST_INT) $$->asof_seq = a; else $$->asof_date = a;
                $$->asof_off = @asof.off; $$->asof_len = @asof.len;
            }
        }
    ;

    /* FROM events e JOIN (SELECT …) m ON e.to = m.member LEFT JOIN …: join.c */
from_src:
    source joins                        { $$ = $1; $$->joins = $2; }
    ;

joins:
    %empty                              { $$ = NULL; }
  | joins join                          { if (!$1) $$ = $2;
                                          else { shoal_join *j = $1; while (j->next) j = j->next; j->next = $2; $$ = $1; } }
    ;

join:
    join_kind JOIN_ source ON_ expr     { CK($$ = shoal_arena_alloc(ctx->arena, sizeof *$$)); memset($$, 0, sizeof *$$);
                                          $$->left = $<tok>1.i; $$->src = $3; $$->on = $5;
                                          $$->off = @$.off; $$->len = @$.len;
                                          $$->word_off = @1.len ? @1.off : @2.off;
                                          $$->word_len = @2.off + @2.len - $$->word_off; }
    ;

join_kind:
    %empty                              { $<tok>$.i = 0; }
  | INNER_                              { $<tok>$.i = 0; }
  | LEFT_                               { $<tok>$.i = 1; }
  | LEFT_ OUTER_                        { $<tok>$.i = 1; }
    ;

    /* FROM flow(name) PER MONTH: the unit is a word, checked by flow.c. */
per_opt:
    %empty                              { $<node>$ = NULL; }
  | PER IDENT                           { CK($<node>$ = shoal_ast_str(ctx, SHOAL_AST_NAME, $2.s, $2.n, @2)); }
    ;

where_having:
    %empty                              { $<node>$ = NULL; }
  | WHERE expr                          { $<node>$ = $2; }
    ;

during_opt:
    %empty                              { $$ = NULL; }
  | DURING window                       { $$ = $2; }
    ;

group_opt:
    %empty                              { $$ = NULL; }
  | GROUP BY group_list                 { $$ = $3; }
    ;

group_list:
    expr                                { CK($$ = shoal_ast_item(ctx, $1, NULL, @1)); }
  | group_list ',' expr                 { shoal_item *it; CK(it = shoal_ast_item(ctx, $3, NULL, @3)); $$ = shoal_ast_items($1, it); }
    ;

having_opt:
    %empty                              { $<node>$ = NULL; }
  | HAVING expr                         { $<node>$ = $2; }
    ;

order_opt:
    %empty                              { $$ = NULL; }
  | ORDER BY order_list                 { $$ = $3; }
    ;

order_list:
    order_item                          { $$ = $1; }
  | order_list ',' order_item           { $$ = shoal_ast_items($1, $3); }
    ;

order_item:
    expr                                { CK($$ = shoal_ast_item(ctx, $1, NULL, @1)); }
  | expr ASC                            { CK($$ = shoal_ast_item(ctx, $1, NULL, @1)); }
  | expr DESC                           { CK($$ = shoal_ast_item(ctx, $1, NULL, @1)); $$->desc = 1; }
    /* … NULLS FIRST|LAST: the word is checked here (FIRST and LAST are function names) */
  | expr NULLS IDENT                    { CK($$ = shoal_ast_item(ctx, $1, NULL, @1));
                                          if (!($$->nulls = nulls_word(ctx, $3.s, @3))) YYABORT; }
  | expr ASC NULLS IDENT                { CK($$ = shoal_ast_item(ctx, $1, NULL, @1));
                                          if (!($$->nulls = nulls_word(ctx, $4.s, @4))) YYABORT; }
  | expr DESC NULLS IDENT               { CK($$ = shoal_ast_item(ctx, $1, NULL, @1)); $$->desc = 1;
                                          if (!($$->nulls = nulls_word(ctx, $4.s, @4))) YYABORT; }
    ;

limit_opt:
    %empty                              { $$ = NULL; }
  | LIMIT INT                           { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, @2)); $$->i = $2.i; }
  | LIMIT INT OFFSET INT                { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, @2)); $$->i = $2.i;
                                          CK($$->next = shoal_ast_node(ctx, SHOAL_AST_INT, @4)); $$->next->i = $4.i; }
    /* LIMIT n WITH TIES [OFFSET m]: the rows that tie with the last one kept come too; the
     * node spans WITH TIES, for an error about it */
  | LIMIT INT WITH TIES                 { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, loc_of(@3, @4))); $$->i = $2.i;
                                          $$->flags |= SHOAL_AST_F_TIES; }
  | LIMIT INT WITH TIES OFFSET INT      { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, loc_of(@3, @4))); $$->i = $2.i;
                                          $$->flags |= SHOAL_AST_F_TIES;
                                          CK($$->next = shoal_ast_node(ctx, SHOAL_AST_INT, @6)); $$->next->i = $6.i; }
  | LIMIT INT OFFSET INT WITH TIES      { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, loc_of(@5, @6))); $$->i = $2.i;
                                          $$->flags |= SHOAL_AST_F_TIES;
                                          CK($$->next = shoal_ast_node(ctx, SHOAL_AST_INT, @4)); $$->next->i = $4.i; }
    ;

    /* ROWS n PRECEDING | ROWS BETWEEN bound AND bound: a window's frame, as a pair of
     * INT nodes (a, next); the words are checked here. RANGE …: the same, marked */
frame_opt:
    %empty                              { $$ = NULL; }
  | ROWS frame_bound                    { $$ = $2; CK($$->next = shoal_ast_node(ctx, SHOAL_AST_INT, @2)); }
  | ROWS BETWEEN frame_bound AND frame_bound
                                        { $$ = $3; $$->next = $5; $$->next->flags |= SHOAL_AST_F_NOT; }
  | RANGE frame_bound                   { $$ = $2; CK($$->next = shoal_ast_node(ctx, SHOAL_AST_INT, @2));
                                          $$->flags |= SHOAL_AST_F_RANGE; }
  | GROUPS_ frame_bound                 { $$ = $2; CK($$->next = shoal_ast_node(ctx, SHOAL_AST_INT, @2));
                                          $$->flags |= SHOAL_AST_F_GROUPS; }
  | GROUPS_ BETWEEN frame_bound AND frame_bound
                                        { $$ = $3; $$->next = $5; $$->next->flags |= SHOAL_AST_F_NOT;
                                          $$->flags |= SHOAL_AST_F_GROUPS; }
  | RANGE BETWEEN frame_bound AND frame_bound
                                        { $$ = $3; $$->next = $5; $$->next->flags |= SHOAL_AST_F_NOT;
                                          $$->flags |= SHOAL_AST_F_RANGE; }
    ;

    /* WINDOW w AS (PARTITION BY … ORDER BY … frame), …: windows that OVER w names */
window_opt:
    %empty                              { $$ = NULL; }
  | WINDOW wdefs                        { $$ = $2; }
    ;

wdefs:
    wdef                                { $$ = $1; }
  | wdefs ',' wdef                      { shoal_over *t = $1; while (t->next) t = t->next; t->next = $3; $$ = $1; }
    ;

wdef:
    IDENT AS '(' part_opt order_opt frame_opt ')'
                                        { CK($$ = shoal_ast_over(ctx, loc_of(@3, @7)));
                                          $$->name = $1.s; $$->name_off = @1.off; $$->name_len = @1.len;
                                          $$->part = $4; $$->order = $5;
                                          if (!set_frame(ctx, $$, $6, @6)) YYABORT; }
    ;

    /* UNBOUNDED PRECEDING|FOLLOWING, CURRENT ROW, n PRECEDING|FOLLOWING: i the rows from
     * the current one, flags SHOAL_AST_F_STAR for UNBOUNDED */
frame_bound:
    IDENT IDENT                         { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, @$));
                                          if (!strcasecmp($1.s, "current") && !strcasecmp($2.s, "row")) $$->i = 0;
                                          else if (!strcasecmp($1.s, "unbounded") && !strcasecmp($2.s, "preceding")) $$->flags |= SHOAL_AST_F_STAR, $$->i = -1;
                                          else if (!strcasecmp($1.s, "unbounded") && !strcasecmp($2.s, "following")) $$->flags |= SHOAL_AST_F_STAR, $$->i = 1;
                                          else {
                                              shoal_err_set(ctx->err, SHOAL_ESYNTAX, @$.off, @$.len, "expected UNBOUNDED PRECEDING, "
                                                            "n PRECEDING, CURRENT ROW, n FOLLOWING or UNBOUNDED FOLLOWING but found \"%s %s\"", $1.s, $2.s);
                                              YYABORT;
                                          } }
  | INT IDENT                           { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, @$));
                                          if (!strcasecmp($2.s, "preceding")) $$->i = -$1.i;
                                          else if (!strcasecmp($2.s, "following")) $$->i = $1.i;
                                          else {
                                              shoal_err_set(ctx->err, SHOAL_ESYNTAX, @2.off, @2.len,
                                                            "expected PRECEDING or FOLLOWING but found \"%s\"", $2.s);
                                              YYABORT;
                                          } }
    /* RANGE BETWEEN 0.5 PRECEDING …, 1.5 HOURS …: d the offset, SHOAL_AST_F_FRAC */
  | NUM IDENT                           { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, @$)); $$->flags |= SHOAL_AST_F_FRAC;
                                          if (!strcasecmp($2.s, "preceding")) $$->d = -$1.d;
                                          else if (!strcasecmp($2.s, "following")) $$->d = $1.d;
                                          else {
                                              shoal_err_set(ctx->err, SHOAL_ESYNTAX, @2.off, @2.len,
                                                            "expected PRECEDING or FOLLOWING but found \"%s\"", $2.s);
                                              YYABORT;
                                          } }
  | NUM IDENT IDENT                     { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, @$)); $$->flags |= SHOAL_AST_F_FRAC;
                                          $$->s = $2.s; $$->s2_off = @2.off; $$->s2_len = @2.len;
                                          if (!strcasecmp($3.s, "preceding")) $$->d = -$1.d;
                                          else if (!strcasecmp($3.s, "following")) $$->d = $1.d;
                                          else {
                                              shoal_err_set(ctx->err, SHOAL_ESYNTAX, @3.off, @3.len,
                                                            "expected PRECEDING or FOLLOWING but found \"%s\"", $3.s);
                                              YYABORT;
                                          } }
    /* RANGE BETWEEN 7 DAYS PRECEDING …: s the unit, checked by plan.c */
  | INT IDENT IDENT                     { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, @$));
                                          $$->s = $2.s; $$->s2_off = @2.off; $$->s2_len = @2.len;
                                          if (!strcasecmp($3.s, "preceding")) $$->i = -$1.i;
                                          else if (!strcasecmp($3.s, "following")) $$->i = $1.i;
                                          else {
                                              shoal_err_set(ctx->err, SHOAL_ESYNTAX, @3.off, @3.len,
                                                            "expected PRECEDING or FOLLOWING but found \"%s\"", $3.s);
                                              YYABORT;
                                          } }
    ;

    /* a window function's PARTITION BY (the word is checked here) */
part_opt:
    %empty                              { $$ = NULL; }
  | IDENT BY group_list                 { if (strcasecmp($1.s, "partition")) {
                                              shoal_err_set(ctx->err, SHOAL_ESYNTAX, @1.off, @1.len,
                                                            "expected PARTITION BY or ORDER BY but found \"%s\"", $1.s);
                                              YYABORT;
                                          }
                                          $$ = $3; }
    ;

asof_opt:
    %empty                              { $<node>$ = NULL; }
  | AS OF datelit                       { $<node>$ = $3; }
  | AS OF IDENT INT                     { CK($<node>$ = shoal_ast_node(ctx, SHOAL_AST_INT, @4)); $<node>$->i = $4.i;
                                          $<node>$->s = $3.s; $<node>$->s2_off = @3.off; $<node>$->s2_len = @3.len; }
    ;

datelit:
    STRING                              { CK($$ = shoal_ast_str(ctx, SHOAL_AST_STR, $1.s, $1.n, @1)); }
  | TSLIT                               { CK($$ = shoal_ast_str(ctx, SHOAL_AST_TSLIT, $1.s, $1.n, @1)); }
    ;

items:
    item                                { $$ = $1; }
  | items ',' item                      { $$ = shoal_ast_items($1, $3); }
    ;

item:
    expr                                { CK($$ = shoal_ast_item(ctx, $1, NULL, @1)); }
  | expr AS IDENT                       { CK($$ = shoal_ast_item(ctx, $1, $3.s, @3)); }
  | '*'                                 { shoal_node *n; CK(n = shoal_ast_node(ctx, SHOAL_AST_STAR, @1));
                                          CK($$ = shoal_ast_item(ctx, n, NULL, @1)); }
    ;

window:
    IDENT                               { CK($$ = shoal_ast_window(ctx, @$));
                                          $$->word = $1.s; $$->word_off = @1.off; $$->word_len = @1.len; }
  | IDENT INT IDENT                     { CK($$ = shoal_ast_window(ctx, @$));
                                          $$->word = $1.s; $$->word_off = @1.off; $$->word_len = @1.len;
                                          $$->n = $2.i;
                                          $$->unit = $3.s; $$->unit_off = @3.off; $$->unit_len = @3.len; }
  | BETWEEN datelit AND datelit         { CK($$ = shoal_ast_window(ctx, @$));
                                          $$->word = "between"; $$->word_off = @1.off; $$->word_len = @1.len;
                                          $$->d1 = $2->s; $$->d1_off = @2.off; $$->d1_len = @2.len;
                                          $$->d2 = $4->s; $$->d2_off = @4.off; $$->d2_len = @4.len; }
    ;

expr:
    expr OR expr                        { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_OR, $1, $3, @$)); }
  | expr AND expr                       { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_AND, $1, $3, @$)); }
  | NOT expr                            { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_NOT, $2, @$)); }
  | pred                                { $$ = $1; }
    ;

pred:
    aexpr                               { $$ = $1; }
  | aexpr '=' aexpr                     { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_EQ, $1, $3, @$)); }
  | aexpr NE aexpr                      { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_NE, $1, $3, @$)); }
  | aexpr '<' aexpr                     { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_LT, $1, $3, @$)); }
  | aexpr LE aexpr                      { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_LE, $1, $3, @$)); }
  | aexpr '>' aexpr                     { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_GT, $1, $3, @$)); }
  | aexpr GE aexpr                      { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_GE, $1, $3, @$)); }
  | aexpr IN '(' expr_list ')'          { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_IN, $1, @$)); $$->list = $4; }
  | aexpr NOT IN '(' expr_list ')'      { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_IN, $1, @$)); $$->list = $5;
                                          $$->flags |= SHOAL_AST_F_NOT; }
  | aexpr IN '(' subselect ')'          { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_INSUB, $1, @$)); $$->sub = $4; }
  | aexpr NOT IN '(' subselect ')'      { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_INSUB, $1, @$)); $$->sub = $5;
                                          $$->flags |= SHOAL_AST_F_NOT; }
  | aexpr IN IDENT                      { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_INLAYER, $1, @$));
                                          $$->s = $3.s; $$->n = $3.n; $$->s2_off = @3.off; $$->s2_len = @3.len; }
  | aexpr NOT IN IDENT                  { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_INLAYER, $1, @$));
                                          $$->s = $4.s; $$->n = $4.n; $$->s2_off = @4.off; $$->s2_len = @4.len;
                                          $$->flags |= SHOAL_AST_F_NOT; }
  | aexpr BETWEEN aexpr AND aexpr       { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_BETWEEN, $1, @$)); $$->b = $3; $$->c = $5; }
  | aexpr NOT BETWEEN aexpr AND aexpr   { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_BETWEEN, $1, @$)); $$->b = $4; $$->c = $6;
                                          $$->flags |= SHOAL_AST_F_NOT; }
  | aexpr LIKE aexpr                    { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_LIKE, $1, @$)); $$->b = $3; }
  | aexpr NOT LIKE aexpr                { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_LIKE, $1, @$)); $$->b = $4;
                                          $$->flags |= SHOAL_AST_F_NOT; }
  | aexpr IS NULL_                      { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_ISNULL, $1, @$)); }
  | aexpr IS NOT NULL_                  { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_ISNULL, $1, @$)); $$->flags |= SHOAL_AST_F_NOT; }
    ;

aexpr:
    aexpr '+' aexpr                     { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_ADD, $1, $3, @$)); }
  | aexpr '-' aexpr                     { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_SUB, $1, $3, @$)); }
  | aexpr '*' aexpr                     { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_MUL, $1, $3, @$)); }
  | aexpr '/' aexpr                     { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_DIV, $1, $3, @$)); }
  | aexpr '%' aexpr                     { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_MOD, $1, $3, @$)); }
  | aexpr CONCAT aexpr                  { CK($$ = shoal_ast_binop(ctx, SHOAL_OP_CONCAT, $1, $3, @$)); }
  | '-' aexpr %prec UMINUS              { CK($$ = shoal_ast_unop(ctx, SHOAL_AST_NEG, $2, @$)); }
  | primary                             { $$ = $1; }
    ;

primary:
    literal                             { $$ = $1; }
  | IDENT                               { CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, $1.s, $1.n, @1)); }
  | GROUP                               { CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, "group", 5, @1)); }
    /* "like" is an event type of the demo vocabulary as well as an operator: where an
     * operand is expected it can only be the name. */
  | LIKE                                { CK($$ = shoal_ast_str(ctx, SHOAL_AST_NAME, "like", 4, @1)); }
  | IDENT '.' IDENT                     { CK($$ = shoal_ast_str(ctx, SHOAL_AST_DOT, $1.s, $1.n, @$));
                                          $$->s2 = $3.s; $$->s2_off = @3.off; $$->s2_len = @3.len; }
  | IDENT '.' GROUP                     { CK($$ = shoal_ast_str(ctx, SHOAL_AST_DOT, $1.s, $1.n, @$));
                                          $$->s2 = "group"; $$->s2_off = @3.off; $$->s2_len = @3.len; }
  | INT IDENT                           { CK($$ = shoal_ast_str(ctx, SHOAL_AST_DURATION, $2.s, $2.n, @$)); $$->i = $1.i;
                                          $$->s2_off = @2.off; $$->s2_len = @2.len; }
  | '(' expr ')'                        { $$ = $2; }
  | '(' subselect ')'                   { CK($$ = shoal_ast_node(ctx, SHOAL_AST_SUBQ, @$)); $$->sub = $2; }
    /* EXISTS (SELECT …): the word is not reserved (a call's name before a subquery) */
  | IDENT '(' subselect ')'             { if ($1.n != 6 || strncasecmp($1.s, "exists", 6)) {
                                              shoal_err_set(ctx->err, SHOAL_ESYNTAX, @1.off, @1.len,
                                                            "\"%.*s\" before a subquery: only EXISTS (SELECT …) takes one",
                                                            $1.n > 60 ? 60 : $1.n, $1.s);
                                              YYABORT;
                                          }
                                          CK($$ = shoal_ast_node(ctx, SHOAL_AST_SUBQ, @$)); $$->sub = $3;
                                          $$->flags |= SHOAL_AST_F_EXISTS; }
  | call %prec LOWER_THAN_DURING        { $$ = $1; }
  | call DURING window                  { $$ = $1; $$->win = $3; $$->len = @$.len; }
    /* window functions: row_number() OVER (PARTITION BY … ORDER BY …), sum(x) OVER (…) */
  | call OVER '(' part_opt order_opt frame_opt ')'
                                        { $$ = $1; $$->len = @$.len;
                                          CK($$->over = shoal_ast_over(ctx, loc_of(@2, @7)));
                                          $$->over->part = $4; $$->over->order = $5;
                                          if (!set_frame(ctx, $$->over, $6, @6)) YYABORT; }
    /* … OVER w: the window WINDOW w AS (…) defines */
  | call OVER IDENT                     { $$ = $1; $$->len = @$.len;
                                          CK($$->over = shoal_ast_over(ctx, loc_of(@2, @3)));
                                          $$->over->ref = 1; $$->over->name = $3.s;
                                          $$->over->name_off = @3.off; $$->over->name_len = @3.len; }
    /* an aggregate over rows of those rows only: count(*) FILTER (WHERE type = post) */
  | call FILTER '(' WHERE expr ')'      { $$ = $1; $$->len = @$.len; $$->fwhere = $5; }
  | call FILTER '(' WHERE expr ')' OVER IDENT
                                        { $$ = $1; $$->len = @$.len; $$->fwhere = $5;
                                          CK($$->over = shoal_ast_over(ctx, loc_of(@7, @8)));
                                          $$->over->ref = 1; $$->over->name = $8.s;
                                          $$->over->name_off = @8.off; $$->over->name_len = @8.len; }
  | call FILTER '(' WHERE expr ')' OVER '(' part_opt order_opt frame_opt ')'
                                        { $$ = $1; $$->len = @$.len; $$->fwhere = $5;
                                          CK($$->over = shoal_ast_over(ctx, loc_of(@7, @12)));
                                          $$->over->part = $9; $$->over->order = $10;
                                          if (!set_frame(ctx, $$->over, $11, @11)) YYABORT; }
    /* count(post) WITHIN 7 DAYS AFTER first(join): AFTER and BEFORE are words (checked by
     * plan.c), OF a keyword already. */
  | call WITHIN INT IDENT IDENT call    { $$ = $1; $$->len = @$.len;
                                          CK($$->anc = shoal_ast_anchor(ctx, loc_of(@2, @6)));
                                          $$->anc->n = $3.i;
                                          $$->anc->unit = $4.s; $$->anc->unit_off = @4.off; $$->anc->unit_len = @4.len;
                                          $$->anc->dir = $5.s; $$->anc->dir_off = @5.off; $$->anc->dir_len = @5.len;
                                          $$->anc->call = $6; }
    /* … OF to: the anchor of the member the event's `to` names */
  | call WITHIN INT IDENT IDENT call OF IDENT
                                        { $$ = $1; $$->len = @$.len;
                                          CK($$->anc = shoal_ast_anchor(ctx, loc_of(@2, @8)));
                                          $$->anc->n = $3.i;
                                          $$->anc->unit = $4.s; $$->anc->unit_off = @4.off; $$->anc->unit_len = @4.len;
                                          $$->anc->dir = $5.s; $$->anc->dir_off = @5.off; $$->anc->dir_len = @5.len;
                                          $$->anc->call = $6;
                                          $$->anc->of = $8.s; $$->anc->of_off = @8.off; $$->anc->of_len = @8.len; }
  | call WITHIN INT IDENT OF call OF IDENT
                                        { $$ = $1; $$->len = @$.len;
                                          CK($$->anc = shoal_ast_anchor(ctx, loc_of(@2, @8)));
                                          $$->anc->n = $3.i;
                                          $$->anc->unit = $4.s; $$->anc->unit_off = @4.off; $$->anc->unit_len = @4.len;
                                          $$->anc->dir = "of"; $$->anc->dir_off = @5.off; $$->anc->dir_len = @5.len;
                                          $$->anc->call = $6;
                                          $$->anc->of = $8.s; $$->anc->of_off = @8.off; $$->anc->of_len = @8.len; }
  | call WITHIN INT IDENT OF call       { $$ = $1; $$->len = @$.len;
                                          CK($$->anc = shoal_ast_anchor(ctx, loc_of(@2, @6)));
                                          $$->anc->n = $3.i;
                                          $$->anc->unit = $4.s; $$->anc->unit_off = @4.off; $$->anc->unit_len = @4.len;
                                          $$->anc->dir = "of"; $$->anc->dir_off = @5.off; $$->anc->dir_len = @5.len;
                                          $$->anc->call = $6; }
  | CASE when_list END                  { CK($$ = shoal_ast_node(ctx, SHOAL_AST_CASE, @$)); $$->list = $2; }
  | CASE when_list ELSE expr END        { CK($$ = shoal_ast_node(ctx, SHOAL_AST_CASE, @$)); $$->list = $2; $$->c = $4; }
  | CASE aexpr when_list END            { CK($$ = shoal_ast_node(ctx, SHOAL_AST_CASE, @$)); $$->a = $2; $$->list = $3; }
  | CASE aexpr when_list ELSE expr END  { CK($$ = shoal_ast_node(ctx, SHOAL_AST_CASE, @$)); $$->a = $2; $$->list = $3; $$->c = $5; }
    ;

when_list:
    WHEN expr THEN expr                 { shoal_node *w; CK(w = shoal_ast_binop(ctx, 0, $2, $4, @$)); w->kind = SHOAL_AST_WHEN;
                                          CK($$ = shoal_ast_list(ctx, NULL, w)); }
  | when_list WHEN expr THEN expr       { shoal_node *w; CK(w = shoal_ast_binop(ctx, 0, $3, $5, loc_of(@2, @5))); w->kind = SHOAL_AST_WHEN;
                                          CK($$ = shoal_ast_list(ctx, $1, w)); }
    ;

call:
    IDENT '(' ')'                       { CK($$ = shoal_ast_str(ctx, SHOAL_AST_CALL, $1.s, $1.n, @$)); }
  | IDENT '(' '*' ')'                   { CK($$ = shoal_ast_str(ctx, SHOAL_AST_CALL, $1.s, $1.n, @$)); $$->flags |= SHOAL_AST_F_STAR; }
  | IDENT '(' '*' WHERE expr ')'        { CK($$ = shoal_ast_str(ctx, SHOAL_AST_CALL, $1.s, $1.n, @$)); $$->flags |= SHOAL_AST_F_STAR;
                                          $$->filter = $5; }
  | IDENT '(' DISTINCT expr ')'         { CK($$ = shoal_ast_str(ctx, SHOAL_AST_CALL, $1.s, $1.n, @$)); $$->flags |= SHOAL_AST_F_DISTINCT;
                                          CK($$->list = shoal_ast_list(ctx, NULL, $4)); }
  | IDENT '(' expr_list ')'             { CK($$ = shoal_ast_str(ctx, SHOAL_AST_CALL, $1.s, $1.n, @$)); $$->list = $3; }
  | IDENT '(' expr_list WHERE expr ')'  { CK($$ = shoal_ast_str(ctx, SHOAL_AST_CALL, $1.s, $1.n, @$)); $$->list = $3; $$->filter = $5; }
    /* count(DISTINCT to WHERE type = comment): a member's distinct values of an event's column */
  | IDENT '(' DISTINCT expr WHERE expr ')'
                                        { CK($$ = shoal_ast_str(ctx, SHOAL_AST_CALL, $1.s, $1.n, @$)); $$->flags |= SHOAL_AST_F_DISTINCT;
                                          CK($$->list = shoal_ast_list(ctx, NULL, $4)); $$->filter = $6; }
    /* CAST(x AS type): the type word is s2, checked by plan.c */
  | IDENT '(' expr AS IDENT ')'         { CK($$ = shoal_ast_str(ctx, SHOAL_AST_CALL, $1.s, $1.n, @$));
                                          CK($$->list = shoal_ast_list(ctx, NULL, $3));
                                          $$->s2 = $5.s; $$->s2_off = @5.off; $$->s2_len = @5.len; }
    ;

expr_list:
    expr                                { CK($$ = shoal_ast_list(ctx, NULL, $1)); }
  | expr_list ',' expr                  { CK($$ = shoal_ast_list(ctx, $1, $3)); }
    ;

literal:
    INT                                 { CK($$ = shoal_ast_node(ctx, SHOAL_AST_INT, @1)); $$->i = $1.i; }
  | NUM                                 { CK($$ = shoal_ast_node(ctx, SHOAL_AST_NUM, @1)); $$->d = $1.d; }
  | STRING                              { CK($$ = shoal_ast_str(ctx, SHOAL_AST_STR, $1.s, $1.n, @1)); }
  | TSLIT                               { CK($$ = shoal_ast_str(ctx, SHOAL_AST_TSLIT, $1.s, $1.n, @1)); }
  | TRUE_                               { CK($$ = shoal_ast_node(ctx, SHOAL_AST_BOOL, @1)); $$->i = 1; }
  | FALSE_                              { CK($$ = shoal_ast_node(ctx, SHOAL_AST_BOOL, @1)); $$->i = 0; }
  | NULL_                               { CK($$ = shoal_ast_node(ctx, SHOAL_AST_NULL, @1)); }
    ;

%%

/* Token kinds that carry text: a message quotes what the user wrote. */
static int has_text(yysymbol_kind_t k)
{
    return k == YYSYMBOL_IDENT || k == YYSYMBOL_STRING || k == YYSYMBOL_INT || k == YYSYMBOL_NUM
           || k == YYSYMBOL_TSLIT;
}

/* Tokens that can start an expression; when most of them are expected the message
 * says "an expression" instead of listing them all. */
static int starts_expr(yysymbol_kind_t k)
{
    return has_text(k) || k == YYSYMBOL_TRUE_ || k == YYSYMBOL_FALSE_ || k == YYSYMBOL_NULL_
           || k == YYSYMBOL_CASE || k == YYSYMBOL_NOT || k == YYSYMBOL_GROUP || k == YYSYMBOL_LIKE
           || !strcmp(yysymbol_name(k), "'('") || !strcmp(yysymbol_name(k), "'-'");
}

/* Operators that may continue an expression: left out of the expected list when
 * something else is expected too, so that "(1 + 2" says it wants ')'. */
static int continues_expr(yysymbol_kind_t k)
{
    static const char *const ops[] = {"'+'", "'-'", "'*'", "'/'", "'%'", "'='", "'<'", "'>'",
                                      "\"<=\"", "\">=\"", "\"!=\"", "AND", "OR", "IN", "IS",
                                      "LIKE", "BETWEEN", "NOT", "DURING", "WITHIN", "'.'", "'('", "OVER", "FILTER", "\"OVER\"",
                                      "\"FILTER\"", "\"||\"", "||",
                                      "\"AND\"", "\"OR\"", "\"IN\"", "\"IS\"", "\"LIKE\"",
                                      "\"BETWEEN\"", "\"NOT\"", "\"DURING\"", "\"WITHIN\"", "<=", ">=", "!="};
    const char *n = yysymbol_name(k);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(n, ops[i])) return 1;
    return 0;
}

/* The name of a token in a message: words and operators in double quotes, single
 * characters in single quotes (as bison spells them), classes of tokens in words. */
static const char *token_name(yysymbol_kind_t k, char *buf, size_t n)
{
    switch (k) {
    case YYSYMBOL_IDENT: return "a name";
    case YYSYMBOL_STRING: return "a string";
    case YYSYMBOL_INT: return "an integer";
    case YYSYMBOL_NUM: return "a number";
    case YYSYMBOL_TSLIT: return "a date";
    case YYSYMBOL_YYEOF: return "end of input";
    default: break;
    }
    const char *s = yysymbol_name(k);
    if (s[0] == '\'' || s[0] == '"') return s;
    snprintf(buf, n, "\"%s\"", s);
    return buf;
}

/* Builds "expected A, B or C but found X" (the message style of STYLE.md). */
static int yyreport_syntax_error(const yypcontext_t *pctx, yyscan_t scanner, shoal_parse_ctx *ctx)
{
    (void)scanner;
    enum { MAX_EXP = 48 };
    yysymbol_kind_t exp[MAX_EXP];
    int n = yypcontext_expected_tokens(pctx, exp, MAX_EXP);
    if (n < 0) n = 0;
    yysymbol_kind_t tok = yypcontext_token(pctx);
    const shoal_loc *loc = yypcontext_location(pctx);
    char found[80];
    if (tok == YYSYMBOL_YYEOF) {
        snprintf(found, sizeof found, "end of input");
    } else if (has_text(tok) && loc->off >= 0 && (size_t)loc->off + (size_t)loc->len <= ctx->n_src) {
        int len = loc->len > 40 ? 40 : loc->len;
        const char *p = ctx->src + loc->off;
        if (tok == YYSYMBOL_STRING) snprintf(found, sizeof found, "%.*s%s", len, p, len < loc->len ? "…" : "");
        else snprintf(found, sizeof found, "\"%.*s%s\"", len, p, len < loc->len ? "…" : "");
    } else {
        char tmp[40];
        snprintf(found, sizeof found, "%s", token_name(tok, tmp, sizeof tmp));
    }

    int n_expr = 0;
    for (int i = 0; i < n; i++) n_expr += starts_expr(exp[i]);
    /* In the middle of an expression (few expression starts expected), list only what
     * would end or continue the clause, not every operator that could extend it. */
    int n_other = 0;
    for (int i = 0; i < n; i++) n_other += !continues_expr(exp[i]) && !starts_expr(exp[i]);
    const char *names[MAX_EXP + 1];
    char bufs[MAX_EXP][24];
    int k = 0, has_eof = 0;
    if (n_expr >= 5) names[k++] = "an expression";
    for (int i = 0; i < n; i++) {
        if (n_expr >= 5 && starts_expr(exp[i])) continue;
        /* where an expression may come, so may a subquery: "an expression" says it */
        if (n_expr >= 5 && (exp[i] == YYSYMBOL_SELECT || exp[i] == YYSYMBOL_WITH)) continue;
        if (n_expr < 5 && n_other > 0 && (continues_expr(exp[i]) || starts_expr(exp[i]))) continue;
        if (exp[i] == YYSYMBOL_YYEOF) { has_eof = 1; continue; }
        names[k++] = token_name(exp[i], bufs[i], sizeof bufs[i]);
    }
    if (has_eof) names[k++] = "end of input";

    char msg[256];
    if (k == 0 || k > 10) {
        snprintf(msg, sizeof msg, "unexpected %s", found);
    } else {
        size_t off = (size_t)snprintf(msg, sizeof msg, "expected ");
        for (int i = 0; i < k && off < sizeof msg; i++) {
            const char *sep = i == 0 ? "" : (i == k - 1 ? " or " : ", ");
            off += (size_t)snprintf(msg + off, sizeof msg - off, "%s%s", sep, names[i]);
        }
        if (off < sizeof msg) snprintf(msg + off, sizeof msg - off, " but found %s", found);
    }
    shoal_err_set(ctx->err, SHOAL_ESYNTAX, loc->off, loc->len, "%s", msg);
    return 0;
}
