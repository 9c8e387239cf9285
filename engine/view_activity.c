/* view_activity.c — the activity kind (CREATE ACTIVITY, query/activity.c): per member, the
 * set of local days they were active on the declared types (one series, its filter),
 * so that activity(name), lifecycle(name) and stickiness(name) read a calendar instead
 * of the log. A late event sets one bit; the state is a function of the set of events.
 *
 * The state, table and check are the retention kind's with no cohort series and days
 * as periods (view_retention.c keeps both: parameters [0] = 1, day; [1] = 1, bits),
 * so that one layout, one codec and one compare serve both: key [0x00][chunk BE u32] →
 * per member with an active day, varint id delta, flag byte 2, then the set of days as
 * zigzag varint word lo, varint n and n little-endian words (bit d − 64·w of word w
 * for local day d, days numbered from 1970-01-01 in the view's zone).
 */
#include "shoal_int.h"

static int new_state(shoal_view *v, void **out, shoal_err *err) { return shoal_view_retention.new_state(v, out, err); }
static void free_state(void *st) { shoal_view_retention.free_state(st); }
static void reset(void *st) { shoal_view_retention.reset(st); }
static int load(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err) { return shoal_view_retention.load(v, txn, dbi, err); }

static int apply(shoal_view *v, const shoal_ievent *ev, uint64_t mask, shoal_err *err)
{
    return shoal_view_retention.apply(v, ev, mask, err);
}

static int flush(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err)
{
    return shoal_view_retention.flush(v, txn, dbi, all, err);
}

static int prepare(shoal_view *v, shoal_err *err) { return shoal_view_retention.prepare(v, err); }

static int compare(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                   shoal_err *err)
{
    return shoal_view_retention.compare(v, txn, dbi, problem, ctx, err);
}

const shoal_view_kind shoal_view_activity = {"activity", new_state, free_state, reset, load, apply, flush, compare, NULL, prepare, NULL, NULL};
