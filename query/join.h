/* join.h — FROM a [AS] x [LEFT] JOIN b [AS] y ON x.k = y.k …: a SELECT over the rows of
 * several sources, each joined source's rows hashed by its key and looked up from the
 * rows before it (join.c). Internal to query/.
 */
#ifndef SHOAL_JOIN_H
#define SHOAL_JOIN_H

#include "plan.h"

/* The row source of a statement with JOINs (not in rowsrc.c's table: the planner picks
 * it when st->joins is set). Its columns are every source's, in order, each with its
 * source's name in p->src_qual. */
extern const struct shoal_rowsrc shoal_join_source;

/* The value v is matched as: text as its bytes (a member's id and a property's string
 * alike), an integer as the number; returns 1, or 0 for NULL (it matches nothing), or
 * -1 with the error set. Text may be borrowed from the dictionary. */
int shoal_join_key(exec *x, const qval *v, qval *out);

#endif
