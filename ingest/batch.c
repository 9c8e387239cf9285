/* batch.c — the batcher: checked events gathered in an arena and appended in write
 * transactions, bad records written to the reject file (see batch.h).
 *
 * A batch ends at a record count or at an arena size, whichever comes first, so
 * memory stays flat for any input. Rejects are flushed to disk before the commit
 * that acknowledges their lines is reported, so a caller that says "committed up to
 * line N" never loses the reasons for lines before N.
 */
#include "batch.h"
#include "shoal_int.h"

#include <errno.h>
#include <stdio.h>

/* 16384 events amortise the commit (an fsync) to well under a microsecond each while
 * keeping a batch's memory around 8 MiB for typical events. */
#define DEFAULT_BATCH 16384
/* A batch of unusually large events commits early, at this much arena. */
#define MAX_BATCH_BYTES ((size_t)64 << 20)

struct shoal_batch {
    shoal_db *db;
    const shoal_ingest_opts *opts;
    shoal_ingest_stats *st;
    char rejects_path[4096];
    FILE *rejects;
    shoal_arena *a;
    shoal_event *evs;
    size_t n, cap;
    uint64_t last_line;   /* line of the last record added or rejected */
};

int shoal_batch_new(shoal_db *db, const shoal_ingest_opts *opts, const char *rejects_path, shoal_ingest_stats *st,
                    shoal_batch **out, shoal_err *err)
{
    shoal_batch *b = shoal_malloc(sizeof *b);
    *out = NULL;
    if (!b) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    memset(b, 0, sizeof *b);
    b->db = db;
    b->opts = opts;
    b->st = st;
    b->cap = opts->batch ? opts->batch : DEFAULT_BATCH;
    snprintf(b->rejects_path, sizeof b->rejects_path, "%s", rejects_path);
    if (!(b->a = shoal_arena_new()) || !(b->evs = shoal_malloc(b->cap * sizeof *b->evs))) {
        shoal_batch_free(b);
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    }
    *out = b;
    return SHOAL_OK;
}

void shoal_batch_free(shoal_batch *b)
{
    if (!b) return;
    if (b->rejects) fclose(b->rejects);
    shoal_free(b->evs);
    shoal_arena_free(b->a);
    shoal_free(b);
}

shoal_arena *shoal_batch_arena(shoal_batch *b) { return b->a; }

shoal_event *shoal_batch_slot(shoal_batch *b) { return &b->evs[b->n]; }

int shoal_batch_commit(shoal_batch *b, shoal_err *err)
{
    if (b->n == 0) {
        b->st->acked_line = b->last_line;
        return SHOAL_OK;
    }
    shoal_append_stats as;
    int rc = shoal_log_append(b->db, b->evs, b->n, true, &as, err);
    if (rc) return rc;
    b->st->n_added += as.n_added;
    b->st->n_dup += as.n_dup;
    b->st->last_seq = as.last_seq ? as.last_seq : b->st->last_seq;
    b->st->acked_line = b->last_line;
    b->st->n_batches++;
    b->n = 0;
    shoal_arena_reset(b->a);
    /* Rejects of acknowledged lines are on disk before we say so. */
    if (b->rejects) fflush(b->rejects);
    if (b->opts->on_commit) b->opts->on_commit(b->opts->ctx, b->st);
    return SHOAL_OK;
}

int shoal_batch_add(shoal_batch *b, uint64_t line, shoal_err *why, shoal_err *err)
{
    b->last_line = line;
    shoal_err_clear(why);
    if (shoal_event_check(&b->evs[b->n], why)) return 1;
    if (++b->n == b->cap || shoal_arena_used(b->a) >= MAX_BATCH_BYTES) return shoal_batch_commit(b, err);
    return 0;
}

int shoal_batch_reject(shoal_batch *b, const char *name, uint64_t line, const char *reason, shoal_str raw,
                       shoal_err *err)
{
    b->last_line = line;
    b->st->n_rejected++;
    if (!b->rejects) {
        b->rejects = fopen(b->rejects_path, "w");
        if (!b->rejects) {
            int e = errno;
            shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot write rejects to \"%s\": %s", b->rejects_path, strerror(e));
            if (err) err->sys = e;
            return SHOAL_EIO;
        }
    }
    fprintf(b->rejects, "%s:%llu: %s\n", name, (unsigned long long)line, reason);
    fwrite(raw.ptr ? raw.ptr : "", 1, raw.len, b->rejects);
    fputc('\n', b->rejects);
    if (ferror(b->rejects)) {
        shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot write rejects to \"%s\"", b->rejects_path);
        return SHOAL_EIO;
    }
    if (b->opts->on_reject) b->opts->on_reject(b->opts->ctx, name, line, reason);
    return SHOAL_OK;
}

int shoal_batch_finish(shoal_batch *b, shoal_err *err)
{
    int rc = shoal_batch_commit(b, err);
    FILE *f = b->rejects;
    b->rejects = NULL;
    if (f && fclose(f) != 0 && rc == SHOAL_OK)
        rc = shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot write rejects to \"%s\"", b->rejects_path);
    return rc;
}
