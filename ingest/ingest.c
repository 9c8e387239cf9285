/* ingest.c — the ingest driver: records from an input, in batches, into the log.
 *
 * Reads records with shoal_input and hands each to the batcher (batch.h), which
 * checks it, keeps the good ones of a batch in one arena, writes bad ones to the
 * reject file just before their batch, and appends each full batch in one write
 * transaction (on two threads: shoal_batch_run). On cancel or a read error what was read is still committed, so the caller can say
 * exactly which lines are acknowledged.
 */
#include "shoal_int.h"
#include "batch.h"
#include "input.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int shoal_ingest_is_db_file(shoal_db *db, const char *path)
{
    static const char *const files[] = {"data.mdb", "lock.mdb"};
    struct stat a, b;
    if (stat(path, &a) != 0) return 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", shoal_db_path(db), files[i]);
        if (stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) return 1;
    }
    return 0;
}

typedef struct reading {
    shoal_input *in;
    const shoal_ingest_opts *opts;
    const char *name;
} reading;

/* The reading side: records into the batcher until the end, Ctrl-C or a read error
 * (on the pipeline's reading thread, see shoal_batch_run). */
static int read_all(void *ctx, shoal_batch *b, shoal_err *err)
{
    reading *rd = ctx;
    shoal_input *in = rd->in;
    shoal_ingest_stats *st = shoal_batch_counts(b);
    int rc;
    for (;;) {
        if (rd->opts->cancel && *rd->opts->cancel) {
            rc = shoal_batch_commit(b, err);
            return rc ? rc : shoal_err_set(err, SHOAL_ECANCEL, -1, -1, "interrupted");
        }
        shoal_err e;
        shoal_err_clear(&e);
        rc = shoal_input_next(in, shoal_batch_arena(b), shoal_batch_slot(b), &e);
        if (rc == 0) break;
        if (rc == 1) {
            st->n_records++;
            rc = shoal_batch_add(b, shoal_input_line(in), &e, err);
            if (rc == 1) rc = shoal_batch_reject(b, rd->name, shoal_input_line(in), e.msg, shoal_input_raw(in), err);
            if (rc) return rc;
            continue;
        }
        if (rc == SHOAL_EFORMAT) {
            st->n_records++;
            if ((rc = shoal_batch_reject(b, rd->name, shoal_input_line(in), e.msg, shoal_input_raw(in), err))) return rc;
            continue;
        }
        /* A read error or no memory: keep what is good, then report. */
        int frc = shoal_batch_commit(b, NULL);
        (void)frc;
        shoal_err_set(err, e.code ? e.code : rc, -1, -1, "%s", e.msg[0] ? e.msg : shoal_strerror(rc));
        if (err) err->sys = e.sys;
        return rc;
    }
    return shoal_batch_commit(b, err);
}

/* Threads for an ingest: opts->threads, or by default two (one reading and parsing,
 * this one writing) where the machine has two cores or more. */
static int ingest_threads(const shoal_ingest_opts *opts)
{
    if (opts->threads) return opts->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 2 ? 2 : 1;
}

int shoal_ingest_file(shoal_db *db, const char *path, const shoal_ingest_opts *opts, shoal_ingest_stats *st,
                      shoal_err *err)
{
    static const shoal_ingest_opts defaults;
    shoal_ingest_stats local;
    char rejects_path[4096];
    if (!opts) opts = &defaults;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    /* The default reject file sits beside the input; when that directory cannot be
     * written, the same name in the working directory. */
    char fallback[4096] = "";
    if (opts->rejects_path) {
        snprintf(rejects_path, sizeof rejects_path, "%s", opts->rejects_path);
    } else {
        snprintf(rejects_path, sizeof rejects_path, "%s.rejects", strcmp(path, "-") == 0 ? "stdin" : path);
        const char *base = strrchr(rejects_path, '/');
        if (base) snprintf(fallback, sizeof fallback, "%s", base + 1);
    }
    shoal_input *in = NULL;
    shoal_batch *b = NULL;
    int rc = shoal_input_open(path, opts->format, &in, err);
    if (rc) return rc;
    const char *name = shoal_input_name(in);
    /* The reject file is created (truncated) at the first reject: it must not be the
     * input, whatever name or link leads to it. */
    if (shoal_input_is_file(in, rejects_path) || (fallback[0] && shoal_input_is_file(in, fallback))) {
        rc = shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the reject file \"%s\" is the input itself",
                           shoal_input_is_file(in, rejects_path) ? rejects_path : fallback);
        goto done;
    }
    if (shoal_ingest_is_db_file(db, rejects_path)) {
        rc = shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the reject file \"%s\" is a file of the database",
                           rejects_path);
        goto done;
    }
    if ((rc = shoal_batch_new(db, opts, rejects_path, st, &b, err))) goto done;
    shoal_batch_set_fallback(b, fallback);
    shoal_batch_set_name(b, name);
    reading rd = {in, opts, name};
    rc = shoal_batch_run(b, read_all, &rd, ingest_threads(opts), err);
done:
    st->bytes = in ? shoal_input_bytes(in) : 0;
    shoal_batch_free(b);
    shoal_input_close(in);
    return rc;
}
