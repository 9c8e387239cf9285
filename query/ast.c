/* ast.c — constructors of the syntax tree (ast.h), called by parser.y's actions and the
 * scanner. Everything lives in the statement's arena; a NULL return means the arena is
 * exhausted and the parser stops with SHOAL_ENOMEM (YYNOMEM).
 */
#include <string.h>

#include "ast.h"

static void *zalloc(shoal_parse_ctx *c, size_t n)
{
    void *p = shoal_arena_alloc(c->arena, n);
    if (p) memset(p, 0, n);
    else shoal_err_set(c->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    return p;
}

shoal_node *shoal_ast_node(shoal_parse_ctx *c, int kind, shoal_loc loc)
{
    shoal_node *n = zalloc(c, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->off = loc.off;
    n->len = loc.len;
    if (c->last_made) c->last_made->made = n;
    else c->first_made = n;
    c->last_made = n;
    return n;
}

static int deeper(int d, const shoal_node *k) { return k && k->depth > d ? k->depth : d; }

int shoal_ast_check_depth(shoal_parse_ctx *c)
{
    for (shoal_node *n = c->first_made; n; n = n->made) {
        int d = deeper(deeper(deeper(deeper(0, n->a), n->b), n->c), n->filter);
        if (n->list)
            for (const shoal_node *k = n->list->head; k; k = k->next) d = deeper(d, k);
        n->depth = d + 1;
        if (n->depth <= SHOAL_AST_MAX_DEPTH) continue;
        int off = n->off, end = n->off + n->len;
        if (n->kind == SHOAL_AST_BINOP && n->a && n->b) {
            /* the operator (after its left operand and any ')' closing it) to the end */
            off = n->a->off + n->a->len;
            while (off < end && (c->src[off] == ' ' || c->src[off] == '\t' || c->src[off] == '\n' ||
                                 c->src[off] == '\r' || c->src[off] == ')'))
                off++;
        }
        return shoal_err_set(c->err, SHOAL_ESYNTAX, off, end - off, "the statement is nested too deeply");
    }
    return 0;
}

shoal_node *shoal_ast_binop(shoal_parse_ctx *c, int op, shoal_node *a, shoal_node *b, shoal_loc loc)
{
    shoal_node *n = shoal_ast_node(c, SHOAL_AST_BINOP, loc);
    if (!n) return NULL;
    n->op = op;
    n->a = a;
    n->b = b;
    return n;
}

shoal_node *shoal_ast_unop(shoal_parse_ctx *c, int kind, shoal_node *a, shoal_loc loc)
{
    shoal_node *n = shoal_ast_node(c, kind, loc);
    if (!n) return NULL;
    n->a = a;
    return n;
}

shoal_node *shoal_ast_str(shoal_parse_ctx *c, int kind, const char *s, int len, shoal_loc loc)
{
    shoal_node *n = shoal_ast_node(c, kind, loc);
    if (!n) return NULL;
    n->s = s;
    n->n = len;
    return n;
}

shoal_nlist *shoal_ast_list(shoal_parse_ctx *c, shoal_nlist *l, shoal_node *x)
{
    if (!l) {
        l = zalloc(c, sizeof *l);
        if (!l) return NULL;
    }
    x->next = NULL;
    if (l->tail) l->tail->next = x;
    else l->head = x;
    l->tail = x;
    l->n++;
    return l;
}

shoal_item *shoal_ast_item(shoal_parse_ctx *c, shoal_node *e, const char *alias, shoal_loc aloc)
{
    shoal_item *it = zalloc(c, sizeof *it);
    if (!it) return NULL;
    it->expr = e;
    it->alias = alias;
    it->alias_off = aloc.off;
    it->alias_len = aloc.len;
    return it;
}

/* Appends x to the list that starts at l. Lists are short (select items, ORDER BY),
 * so walking to the tail is cheaper than keeping one. */
shoal_item *shoal_ast_items(shoal_item *l, shoal_item *x)
{
    shoal_item *t = l;
    while (t->next) t = t->next;
    t->next = x;
    return l;
}

shoal_window *shoal_ast_window(shoal_parse_ctx *c, shoal_loc loc)
{
    shoal_window *w = zalloc(c, sizeof *w);
    if (!w) return NULL;
    w->off = loc.off;
    w->len = loc.len;
    return w;
}

shoal_anchor *shoal_ast_anchor(shoal_parse_ctx *c, shoal_loc loc)
{
    shoal_anchor *a = zalloc(c, sizeof *a);
    if (!a) return NULL;
    a->off = loc.off;
    a->len = loc.len;
    return a;
}

shoal_retention *shoal_ast_retention(shoal_parse_ctx *c) { return zalloc(c, sizeof(shoal_retention)); }

shoal_experiment *shoal_ast_experiment(shoal_parse_ctx *c) { return zalloc(c, sizeof(shoal_experiment)); }

shoal_exp_clause *shoal_ast_exp_clause(shoal_parse_ctx *c, shoal_loc loc)
{
    shoal_exp_clause *e = zalloc(c, sizeof *e);
    if (e) e->off = loc.off, e->len = loc.len;
    return e;
}

shoal_stmt *shoal_ast_stmt(shoal_parse_ctx *c, int kind, shoal_loc loc)
{
    shoal_stmt *s = zalloc(c, sizeof *s);
    if (!s) return NULL;
    s->kind = kind;
    s->off = loc.off;
    s->len = loc.len;
    return s;
}

void shoal_ast_add_stmt(shoal_parse_ctx *c, shoal_stmt *s)
{
    if (c->tail) c->tail->next = s;
    else c->head = s;
    c->tail = s;
    c->n_stmts++;
}

char *shoal_ast_strdup(shoal_parse_ctx *c, const char *s, size_t n)
{
    char *p = shoal_arena_strndup(c->arena, s, n);
    if (!p) shoal_err_set(c->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    return p;
}

char *shoal_ast_unquote(shoal_parse_ctx *c, const char *s, size_t n, char q, int *out_n)
{
    /* s includes both quotes; a doubled quote inside stands for one. */
    char *p = shoal_arena_alloc(c->arena, n);
    if (!p) {
        shoal_err_set(c->err, SHOAL_ENOMEM, -1, -1, "out of memory");
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        p[k++] = s[i];
        if (s[i] == q) i++;
    }
    p[k] = 0;
    *out_n = (int)k;
    return p;
}
