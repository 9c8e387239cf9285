/* ingest.c — the ingest driver: records from an input, in batches, into the log.
 *
 * Reads records with shoal_input, keeps the good ones of a batch in one arena, writes
 * bad ones to the reject file as they come, and appends each full batch in one write
 * transaction. The arena is reset only after its batch commits: until then the events
 * are what shoal_append replays when it has to grow the map. A batch ends at a record
 * count or at an arena size, whichever comes first, so memory stays flat for any
 * input; on cancel or a read error what was read is still committed, so the caller can
 * say exactly which lines are acknowledged.
 */
#include "shoal_int.h"
#include "input.h"

#include <errno.h>
#include <stdio.h>

/* 16384 events amortise the commit (an fsync) to well under a microsecond each while
 * keeping a batch's memory around 8 MiB for typical events. */
#define DEFAULT_BATCH 16384
/* A batch of unusually large events commits early, at this much arena. */
#define MAX_BATCH_BYTES ((size_t)64 << 20)

typedef struct ingest {
    shoal_db *db;
    const shoal_ingest_opts *opts;
    shoal_ingest_stats *st;
    const char *name;
    char rejects_path[4096];
    FILE *rejects;
    shoal_event *evs;
    size_t n, cap;
    uint64_t last_line;   /* line of the last record read */
} ingest;

static int write_reject(ingest *g, shoal_input *in, const char *reason, shoal_err *err)
{
    uint64_t line = shoal_input_line(in);
    g->st->n_rejected++;
    if (!g->rejects) {
        g->rejects = fopen(g->rejects_path, "w");
        if (!g->rejects) {
            int e = errno;
            shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot write rejects to \"%s\": %s", g->rejects_path, strerror(e));
            if (err) err->sys = e;
            return SHOAL_EIO;
        }
    }
    shoal_str raw = shoal_input_raw(in);
    fprintf(g->rejects, "%s:%llu: %s\n", g->name, (unsigned long long)line, reason);
    fwrite(raw.ptr ? raw.ptr : "", 1, raw.len, g->rejects);
    fputc('\n', g->rejects);
    if (ferror(g->rejects)) {
        shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot write rejects to \"%s\"", g->rejects_path);
        return SHOAL_EIO;
    }
    if (g->opts->on_reject) g->opts->on_reject(g->opts->ctx, g->name, line, reason);
    return SHOAL_OK;
}

static int flush(ingest *g, shoal_arena *a, shoal_err *err)
{
    shoal_append_stats as;
    int rc = shoal_log_append(g->db, g->evs, g->n, true, &as, err);
    if (rc) return rc;
    g->st->n_added += as.n_added;
    g->st->n_dup += as.n_dup;
    g->st->last_seq = as.last_seq ? as.last_seq : g->st->last_seq;
    g->st->acked_line = g->last_line;
    g->st->n_batches++;
    g->n = 0;
    shoal_arena_reset(a);
    /* Rejects of acknowledged lines are on disk before we say so. */
    if (g->rejects) fflush(g->rejects);
    if (g->opts->on_commit) g->opts->on_commit(g->opts->ctx, g->st);
    return SHOAL_OK;
}

int shoal_ingest_file(shoal_db *db, const char *path, const shoal_ingest_opts *opts, shoal_ingest_stats *st,
                      shoal_err *err)
{
    static const shoal_ingest_opts defaults;
    shoal_ingest_stats local;
    if (!opts) opts = &defaults;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    ingest g = {.db = db, .opts = opts, .st = st};
    g.cap = opts->batch ? opts->batch : DEFAULT_BATCH;
    if (opts->rejects_path) {
        snprintf(g.rejects_path, sizeof g.rejects_path, "%s", opts->rejects_path);
    } else {
        snprintf(g.rejects_path, sizeof g.rejects_path, "%s.rejects", strcmp(path, "-") == 0 ? "stdin" : path);
    }
    shoal_input *in = NULL;
    shoal_arena *a = NULL;
    int rc = shoal_input_open(path, opts->format, &in, err);
    if (rc) return rc;
    g.name = shoal_input_name(in);
    if (!(a = shoal_arena_new()) || !(g.evs = shoal_malloc(g.cap * sizeof *g.evs))) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto done;
    }
    for (;;) {
        if (opts->cancel && *opts->cancel) {
            rc = g.n ? flush(&g, a, err) : SHOAL_OK;
            if (!rc) rc = shoal_err_set(err, SHOAL_ECANCEL, -1, -1, "interrupted");
            goto done;
        }
        shoal_err e;
        shoal_err_clear(&e);
        shoal_event *ev = &g.evs[g.n];
        rc = shoal_input_next(in, a, ev, &e);
        if (rc == 0) break;
        if (rc == 1) {
            st->n_records++;
            g.last_line = shoal_input_line(in);
            shoal_err_clear(&e);
            if (shoal_event_check(ev, &e)) {
                if ((rc = write_reject(&g, in, e.msg, err))) goto done;
            } else if (++g.n == g.cap || shoal_arena_used(a) >= MAX_BATCH_BYTES) {
                if ((rc = flush(&g, a, err))) goto done;
            }
            continue;
        }
        if (rc == SHOAL_EFORMAT) {
            st->n_records++;
            g.last_line = shoal_input_line(in);
            if ((rc = write_reject(&g, in, e.msg, err))) goto done;
            continue;
        }
        /* A read error or no memory: keep what is good, then report. */
        int frc = g.n ? flush(&g, a, NULL) : SHOAL_OK;
        (void)frc;
        shoal_err_set(err, e.code ? e.code : rc, -1, -1, "%s", e.msg[0] ? e.msg : shoal_strerror(rc));
        if (err) err->sys = e.sys;
        goto done;
    }
    if (g.n) rc = flush(&g, a, err);
    else {
        rc = SHOAL_OK;
        st->acked_line = g.last_line;
    }
done:
    st->bytes = in ? shoal_input_bytes(in) : 0;
    if (g.rejects && fclose(g.rejects) != 0 && rc == SHOAL_OK)
        rc = shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot write rejects to \"%s\"", g.rejects_path);
    shoal_free(g.evs);
    shoal_arena_free(a);
    shoal_input_close(in);
    return rc;
}
