/* kw.c — the keyword table of the query language. The lexer matches one identifier
 * rule and looks the word up here, case-insensitively (PostgreSQL's kwlist.h). Words
 * that are not listed stay identifiers: source names (members, events), window words
 * (this_month, last), setting names and time units are resolved by name later, which
 * keeps the reserved set small and lets columns be called "type" or "member".
 */
#include <string.h>
#include <strings.h>

#include "ast.h"
#include "parser.h"

typedef struct kw {
    const char *name;
    int tok;
} kw;

/* Sorted by name for bsearch. */
static const kw kws[] = {
    {"AND", AND}, {"AS", AS}, {"ASC", ASC}, {"BETWEEN", BETWEEN}, {"BY", BY},
    {"CASE", CASE}, {"CREATE", CREATE}, {"DESC", DESC}, {"DISTINCT", DISTINCT}, {"DROP", DROP}, {"DURING", DURING},
    {"ELSE", ELSE}, {"END", END}, {"EVALUATE", EVALUATE}, {"EXPLAIN", EXPLAIN}, {"FALSE", FALSE_},
    {"FILTER", FILTER}, {"FROM", FROM}, {"GROUP", GROUP}, {"HALF_LIFE", HALF_LIFE}, {"HAVING", HAVING}, {"IN", IN}, {"IS", IS},
    {"LIKE", LIKE}, {"LIMIT", LIMIT}, {"NOT", NOT}, {"NULL", NULL_}, {"NULLS", NULLS}, {"OF", OF},
    {"OFFSET", OFFSET}, {"OR", OR}, {"ORDER", ORDER}, {"OVER", OVER}, {"PER", PER}, {"RANGE", RANGE}, {"ROWS", ROWS}, {"SELECT", SELECT}, {"SET", SET},
    {"SHOW", SHOW}, {"THEN", THEN}, {"TIES", TIES}, {"TRUE", TRUE_}, {"WHEN", WHEN}, {"WHERE", WHERE},
    {"WINDOW", WINDOW}, {"WITH", WITH}, {"WITHIN", WITHIN},
};

const char *const shoal_kw_names[] = {
    "AND", "AS", "ASC", "BETWEEN", "BY", "CASE", "CREATE", "DESC", "DISTINCT", "DROP", "DURING", "ELSE",
    "END", "EVALUATE", "EXPLAIN", "FALSE", "FILTER", "FROM", "GROUP", "HALF_LIFE", "HAVING", "IN", "IS", "LIKE", "LIMIT",
    "NOT", "NULL", "NULLS", "OF", "OFFSET", "OR", "ORDER", "OVER", "PER", "RANGE", "ROWS", "SELECT", "SET", "SHOW", "THEN",
    "TIES", "TRUE", "WHEN", "WHERE", "WINDOW", "WITH", "WITHIN", NULL,
};

int shoal_kw_lookup(const char *s, size_t n)
{
    char buf[16];
    if (n == 0 || n >= sizeof buf) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        buf[i] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
    }
    buf[n] = 0;
    size_t lo = 0, hi = sizeof kws / sizeof kws[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(buf, kws[mid].name);
        if (c == 0) return kws[mid].tok;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return 0;
}
