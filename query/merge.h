/* merge.h — a SELECT over a derived table or a WITH query merged into one flat SELECT
 * (merge.c), so that it is planned as if written flat. Internal to query/.
 */
#ifndef SHOAL_MERGE_H
#define SHOAL_MERGE_H

#include "plan.h"

/* st, a SELECT whose FROM is a derived table or a WITH query in sight (x->scope): *out
 * the one SELECT over the inner SELECT's source that gives the same rows (in x->a,
 * sharing st's and the inner's nodes), or NULL with *why saying why it cannot be (for
 * EXPLAIN); *what names the inner SELECT ("WITH query \"t\""). For any other st, *out
 * and *what are NULL. Returns 0 or SHOAL_ENOMEM. */
int shoal_merge_select(exec *x, const shoal_stmt *st, const shoal_stmt **out, const char **what, const char **why);

#endif
