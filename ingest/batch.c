/* batch.c — the batcher: checked events gathered in an arena and appended in write
 * transactions, bad records written to the reject file (see batch.h).
 *
 * A batch ends at a record count or at an arena size, whichever comes first, so
 * memory stays flat for any input.
 *
 * What is acknowledged. The lines of a batch, good and rejected, are acknowledged
 * together when the batch's commit returns (acked_line). The rejects of those lines
 * are written, flushed and (unless the database is open with SHOAL_OPEN_NOSYNC)
 * fsynced before that commit is attempted, so "committed up to line N" always implies
 * "the reasons for every rejected line before N are on disk". When the reject file
 * cannot be opened, written, flushed or synced (a full disk, /dev/full, a read-only
 * directory), the batch in progress is not committed: some of its rejects may be
 * missing from the file, so its good lines cannot be acknowledged either. The error
 * names the reject file and the system's reason, and acked_line still says what is in.
 */
#include "batch.h"
#include "shoal_int.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

/* 16384 events amortise the commit (an fsync) to well under a microsecond each while
 * keeping a batch's memory around 8 MiB for typical events. */
#define DEFAULT_BATCH 16384
/* A batch of unusually large events commits early, at this much arena. */
#define MAX_BATCH_BYTES ((size_t)64 << 20)
/* Input names remembered for conflict reports: a dump import reads seven files. */
#define MAX_NAMES 16

struct shoal_batch {
    shoal_db *db;
    const shoal_ingest_opts *opts;
    shoal_ingest_stats *st;
    char rejects_path[4096];
    char fallback_path[4096];   /* tried when rejects_path's directory is not writable */
    FILE *rejects;
    bool rejects_dirty;   /* rejects written since the last flush */
    bool rejects_failed;  /* the reject file failed: nothing more may be committed */
    shoal_arena *a;
    shoal_event *evs;
    size_t n, cap;
    uint64_t last_line;   /* line of the last record added or rejected */
    uint64_t *lines;      /* per pending event: its input line, for conflict reports */
    unsigned char *srcs;  /* per pending event: which of names it came from */
    char names[MAX_NAMES][1024];   /* input names given to shoal_batch_set_name */
    unsigned n_names, cur_name;
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
    if (!(b->a = shoal_arena_new()) || !(b->evs = shoal_malloc(b->cap * sizeof *b->evs)) ||
        !(b->lines = shoal_malloc(b->cap * sizeof *b->lines)) || !(b->srcs = shoal_malloc(b->cap))) {
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
    shoal_free(b->lines);
    shoal_free(b->srcs);
    shoal_arena_free(b->a);
    shoal_free(b);
}

void shoal_batch_set_fallback(shoal_batch *b, const char *path)
{
    snprintf(b->fallback_path, sizeof b->fallback_path, "%s", path ? path : "");
}

void shoal_batch_set_name(shoal_batch *b, const char *name)
{
    for (unsigned i = 0; i < b->n_names; i++)
        if (strcmp(b->names[i], name) == 0) {
            b->cur_name = i;
            return;
        }
    /* Past MAX_NAMES inputs the last slot is reused: only a name in a conflict report
     * could then be wrong, and no caller reads that many. */
    unsigned i = b->n_names < MAX_NAMES ? b->n_names++ : MAX_NAMES - 1;
    snprintf(b->names[i], sizeof b->names[i], "%s", name);
    b->cur_name = i;
}

shoal_arena *shoal_batch_arena(shoal_batch *b) { return b->a; }

/* The reject file failed with errno e: remember it (the batch in progress must not
 * be committed) and say which file and why. */
static int rejects_error(shoal_batch *b, int e, shoal_err *err)
{
    b->rejects_failed = true;
    const char *path = b->st->rejects_path[0] ? b->st->rejects_path : b->rejects_path;
    int had = err && err->code;
    shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot write rejects to \"%s\": %s", path, strerror(e ? e : EIO));
    if (err && !had) err->sys = e ? e : EIO;
    return SHOAL_EIO;
}

/* Puts the rejects written so far on disk: flushed, and fsynced like the commit they
 * precede (not with SHOAL_OPEN_NOSYNC; not for a pipe or a device, which cannot). */
static int rejects_sync(shoal_batch *b, shoal_err *err)
{
    if (b->rejects_failed) return rejects_error(b, EIO, err);
    if (!b->rejects || !b->rejects_dirty) return SHOAL_OK;
    errno = 0;
    if (fflush(b->rejects) != 0 || ferror(b->rejects)) return rejects_error(b, errno, err);
    if (!(b->db->flags & SHOAL_OPEN_NOSYNC) && fsync(fileno(b->rejects)) != 0 && errno != EINVAL &&
        errno != EROFS && errno != ENOTSUP)
        return rejects_error(b, errno, err);
    b->rejects_dirty = false;
    return SHOAL_OK;
}

shoal_event *shoal_batch_slot(shoal_batch *b) { return &b->evs[b->n]; }

/* Opens the reject file at the first reject, or its fallback (see
 * shoal_batch_set_fallback). */
static int rejects_open(shoal_batch *b, shoal_err *err)
{
    if (!b->rejects) {
        const char *path = b->rejects_path;
        b->rejects = fopen(path, "w");
        int e = errno;
        /* The default beside the input, in a directory we may not write: the fallback
         * the caller chose (the working directory), said in the summary. */
        if (!b->rejects && b->fallback_path[0] && (e == EACCES || e == EPERM || e == EROFS)) {
            path = b->fallback_path;
            b->rejects = fopen(path, "w");
            if (!b->rejects) {
                snprintf(b->st->rejects_path, sizeof b->st->rejects_path, "%s", b->rejects_path);
                int e2 = errno;
                b->rejects_failed = true;
                int had = err && err->code;
                shoal_err_set(err, SHOAL_EIO, -1, -1,
                              "cannot write rejects to \"%s\": %s, nor to \"%s\": %s (pass --rejects FILE)",
                              b->rejects_path, strerror(e), b->fallback_path, strerror(e2));
                if (err && !had) err->sys = e;
                return SHOAL_EIO;
            }
        }
        snprintf(b->st->rejects_path, sizeof b->st->rejects_path, "%s", path);
        if (!b->rejects && (e == EACCES || e == EPERM || e == EROFS)) {
            b->rejects_failed = true;
            int had = err && err->code;
            shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot write rejects to \"%s\": %s (pass --rejects FILE)", path,
                          strerror(e));
            if (err && !had) err->sys = e;
            return SHOAL_EIO;
        }
        if (!b->rejects) return rejects_error(b, e, err);
    }
    return SHOAL_OK;
}

/* The event as NDJSON, on one line, for the reject file: a conflict's record is
 * known only as parsed (its text is gone once it was added to the batch). */
static void put_json_str(FILE *f, shoal_str s)
{
    putc('"', f);
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else putc(c, f);
    }
    putc('"', f);
}

static void put_event(FILE *f, const shoal_event *ev)
{
    char ts[40];
    size_t n = shoal_ts_format(ev->ts, ts);
    fputs("{\"id\":", f);
    put_json_str(f, ev->id);
    fprintf(f, ",\"ts\":\"%.*s\",\"member\":", (int)n, ts);
    put_json_str(f, ev->member);
    fputs(",\"type\":", f);
    put_json_str(f, ev->type);
    if (ev->group.ptr) {
        fputs(",\"group\":", f);
        put_json_str(f, ev->group);
    }
    for (uint32_t i = 0; i < ev->n_props; i++) {
        const shoal_prop *p = &ev->props[i];
        putc(',', f);
        put_json_str(f, p->key);
        putc(':', f);
        switch (p->kind) {
        case SHOAL_VAL_BOOL: fputs(p->v.b ? "true" : "false", f); break;
        case SHOAL_VAL_INT: fprintf(f, "%lld", (long long)p->v.i); break;
        case SHOAL_VAL_NUM: fprintf(f, "%.17g", p->v.d); break;
        default: put_json_str(f, p->v.s); break;
        }
    }
    fputs("}", f);
}

/* A conflict (same id, different content) goes to the reject file like a reject,
 * with the event as read, and is flushed before the commit it is part of. */
static int on_conflict(void *ctx, size_t idx, uint64_t seq, shoal_err *err)
{
    shoal_batch *b = ctx;
    const shoal_event *ev = &b->evs[idx];
    if (b->rejects_failed) return rejects_error(b, EIO, err);
    char reason[400], qb[200];
    snprintf(reason, sizeof reason, "conflicting duplicate: id \"%s\" is in the log (seq %llu) with different content",
             shoal_err_quote(qb, sizeof qb, ev->id.ptr, ev->id.len), (unsigned long long)seq);
    int rc = rejects_open(b, err);
    if (rc) return rc;
    const char *name = b->names[b->srcs[idx]];
    errno = 0;
    fprintf(b->rejects, "%s:%llu: %s\n", name, (unsigned long long)b->lines[idx], reason);
    put_event(b->rejects, ev);
    fputc('\n', b->rejects);
    b->rejects_dirty = true;
    if (ferror(b->rejects)) return rejects_error(b, errno, err);
    b->st->n_conflict++;
    if (b->opts->on_reject) b->opts->on_reject(b->opts->ctx, name, b->lines[idx], reason);
    return SHOAL_OK;
}

static int on_conflicts_done(void *ctx, shoal_err *err) { return rejects_sync(ctx, err); }

int shoal_batch_commit(shoal_batch *b, shoal_err *err)
{
    /* The rejects of the lines this commit acknowledges go to disk first. */
    int rc = rejects_sync(b, err);
    if (rc) return rc;
    if (b->n == 0) {
        b->st->acked_line = b->last_line;
        return SHOAL_OK;
    }
    shoal_append_stats as;
    uint64_t n_conflict = b->st->n_conflict;
    shoal_conflicts cf = {on_conflict, on_conflicts_done, b};
    rc = shoal_log_append(b->db, b->evs, b->n, true, &cf, &as, err);
    if (rc) {
        b->st->n_conflict = n_conflict;
        return rc;
    }
    b->st->n_added += as.n_added;
    b->st->n_dup += as.n_dup;
    b->st->last_seq = as.last_seq ? as.last_seq : b->st->last_seq;
    b->st->acked_line = b->last_line;
    b->st->n_batches++;
    b->n = 0;
    shoal_arena_reset(b->a);
    if (b->opts->on_commit) b->opts->on_commit(b->opts->ctx, b->st);
    return SHOAL_OK;
}

int shoal_batch_add(shoal_batch *b, uint64_t line, shoal_err *why, shoal_err *err)
{
    b->last_line = line;
    shoal_err_clear(why);
    if (shoal_event_check(&b->evs[b->n], why)) return 1;
    b->lines[b->n] = line;
    b->srcs[b->n] = (unsigned char)b->cur_name;
    if (++b->n == b->cap || shoal_arena_used(b->a) >= MAX_BATCH_BYTES) return shoal_batch_commit(b, err);
    return 0;
}

int shoal_batch_reject(shoal_batch *b, const char *name, uint64_t line, const char *reason, shoal_str raw,
                       shoal_err *err)
{
    b->last_line = line;
    b->st->n_rejected++;
    if (b->rejects_failed) return rejects_error(b, EIO, err);
    int rc = rejects_open(b, err);
    if (rc) return rc;
    errno = 0;
    fprintf(b->rejects, "%s:%llu: %s\n", name, (unsigned long long)line, reason);
    fwrite(raw.ptr ? raw.ptr : "", 1, raw.len, b->rejects);
    fputc('\n', b->rejects);
    b->rejects_dirty = true;
    if (ferror(b->rejects)) return rejects_error(b, errno, err);
    if (b->opts->on_reject) b->opts->on_reject(b->opts->ctx, name, line, reason);
    return SHOAL_OK;
}

int shoal_batch_finish(shoal_batch *b, shoal_err *err)
{
    int rc = shoal_batch_commit(b, err);
    FILE *f = b->rejects;
    b->rejects = NULL;
    errno = 0;
    if (f && fclose(f) != 0 && rc == SHOAL_OK) rc = rejects_error(b, errno, err);
    return rc;
}
