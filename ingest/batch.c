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
 *
 * A batch's rejects are kept with it (in its pending buffer, bounded with its arena)
 * and written to the reject file by whoever commits it, just before the append. So
 * with the pipeline (shoal_batch_run: a reading thread fills batches and queues them,
 * the calling thread commits them in order) the reject file, the callbacks and the
 * database get exactly what one thread doing both gives: batches end at the same
 * records, and every write of the database, the reject file and the caller's counts
 * happens on the committing thread.
 */
#include "batch.h"
#include "shoal_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

/* 16384 events amortise the commit (an fsync) to well under a microsecond each while
 * keeping a batch's memory around 8 MiB for typical events. */
#define DEFAULT_BATCH 16384
/* With views, a batch rewrites every bucket and chunk its events dirtied (a month's
 * bucket of a counters series holds every member active that month): eight times the
 * events per batch take that cost eight times less often. At 10M events with the demo
 * views: 12.0 s of CPU (user + system) with 65536 against 17.5 s with 16384 (one run
 * each, on a loaded machine); with every demo view 13.9 s with 131072 against 16.1 s
 * with 65536, peak RSS 956 MB against 891 MB (docs/ARCHITECTURE.md, "Views' upkeep in
 * ingest"). A batch of typical events is then about MAX_BATCH_BYTES. */
#define DEFAULT_BATCH_VIEWS 131072
/* A batch of unusually large events commits early, at this much arena. */
#define MAX_BATCH_BYTES ((size_t)64 << 20)
/* Input names remembered for conflict reports: a dump import reads seven files. */
#define MAX_NAMES 16

/* Batches in flight with the pipeline: one filling, one queued, one committing. */
#define N_PEND 3

/* One batch: its events (strings in its arena), their input lines and names, its
 * rejects in the order they came, and its keys once made. */
typedef struct pend {
    shoal_arena *a;
    shoal_event *evs;
    size_t n;
    uint64_t *lines;      /* per event: its input line, for conflict reports */
    unsigned char *srcs;  /* per event: which of names it came from */
    uint64_t last_line;   /* line of the last record added or rejected */
    char *rej;            /* rejects: (u32 name len, name, u64 line, u32 reason len, reason, u32 raw len, raw)… */
    size_t rej_len, rej_cap;
    uint64_t n_records, n_rejected;   /* the reader's counts when this batch was closed */
    shoal_logkeys keys;
} pend;

/* A buffer of name records, for the names handed to the reader. */
typedef struct names_buf {
    unsigned char *p;
    size_t len, cap;
} names_buf;

struct shoal_batch {
    shoal_db *db;
    const shoal_ingest_opts *opts;
    shoal_ingest_stats *st;    /* the caller's: written by the committing thread only */
    shoal_ingest_stats rst;    /* the reader's counts (n_records, n_rejected) with the pipeline */
    char rejects_path[4096];
    char fallback_path[4096];   /* tried when rejects_path's directory is not writable */
    FILE *rejects;
    bool rejects_dirty;   /* rejects written since the last flush */
    bool rejects_failed;  /* the reject file failed: nothing more may be committed */
    size_t cap;
    pend pends[N_PEND];
    pend *fill;           /* the batch being filled */
    pend *committing;     /* the batch whose append is running (conflict reports) */
    char names[MAX_NAMES][1024];   /* input names given to shoal_batch_set_name */
    unsigned n_names, cur_name;
    /* The pipeline (shoal_batch_run with threads): full batches queue from the reader
     * to the committer, empty ones go back. */
    bool piped;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pend *queue[N_PEND], *spare[N_PEND];
    size_t q_head, q_n, n_spare;
    bool reader_done;
    bool commit_done;     /* the committer has committed what it will: the reader may end */
    atomic_int failed;    /* the committer failed: the reader stops */
    int crc;              /* the committer's error */
    shoal_err cerr;
    /* Committed names handed from the committer to the reader (records: u8 ns, u32
     * id, u32 len, bytes), so that the reader resolves the names it knows and the
     * append skips their lookups: stage is the committer's, feed is shared (under
     * mu), rfeed the reader's, swapped with feed at each hand-over. known is the
     * reader's cache of them. */
    names_buf stage, feed, rfeed;
    shoal_dict *known;
    bool resolve;         /* the reader resolves its next batch's names */
    bool starved;         /* the committer waited for a batch since the last hand-over */
};

static int pend_init(pend *p, size_t cap)
{
    memset(p, 0, sizeof *p);
    if (!(p->a = shoal_arena_new()) || !(p->evs = shoal_malloc(cap * sizeof *p->evs)) ||
        !(p->lines = shoal_malloc(cap * sizeof *p->lines)) || !(p->srcs = shoal_malloc(cap)))
        return SHOAL_ENOMEM;
    return SHOAL_OK;
}

static void pend_free(pend *p)
{
    shoal_free(p->evs);
    shoal_free(p->lines);
    shoal_free(p->srcs);
    shoal_free(p->rej);
    shoal_arena_free(p->a);
    shoal_logkeys_free(&p->keys);
}

/* Empties p for the batch after prev (whose last line it starts from). */
static void pend_reset(pend *p, const pend *prev)
{
    p->n = 0;
    p->rej_len = 0;
    p->last_line = prev->last_line;
    shoal_arena_reset(p->a);
}

/* Are views kept on db? 1, 0, or an error. */
static int has_views(shoal_db *db, shoal_err *err)
{
    shoal_reader *r;
    int rc = shoal_reader_open(db, &r, err);
    if (rc) return rc;
    shoal_arena *a = shoal_arena_new();
    shoal_viewinfo *vi;
    int n = 0;
    rc = a ? shoal_view_list(r, a, &vi, &n, err) : shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    shoal_arena_free(a);
    shoal_reader_close(r);
    return rc ? rc : n > 0;
}

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
    if (!opts->batch) {
        int has = has_views(db, err);
        if (has < 0) {
            shoal_batch_free(b);
            return has;
        }
        if (has) b->cap = DEFAULT_BATCH_VIEWS;
    }
    snprintf(b->rejects_path, sizeof b->rejects_path, "%s", rejects_path);
    b->fill = &b->pends[0];
    if (pend_init(b->fill, b->cap)) {
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
    for (int i = 0; i < N_PEND; i++) pend_free(&b->pends[i]);
    shoal_free(b->stage.p);
    shoal_free(b->feed.p);
    shoal_free(b->rfeed.p);
    shoal_dict_free(b->known);
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

shoal_arena *shoal_batch_arena(shoal_batch *b) { return b->fill->a; }

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

shoal_event *shoal_batch_slot(shoal_batch *b) { return &b->fill->evs[b->fill->n]; }

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
    const pend *p = b->committing;
    const shoal_event *ev = &p->evs[idx];
    if (b->rejects_failed) return rejects_error(b, EIO, err);
    char reason[400], qb[200];
    snprintf(reason, sizeof reason, "conflicting duplicate: id \"%s\" is in the log (seq %llu) with different content",
             shoal_err_quote(qb, sizeof qb, ev->id.ptr, ev->id.len), (unsigned long long)seq);
    int rc = rejects_open(b, err);
    if (rc) return rc;
    const char *name = b->names[p->srcs[idx]];
    errno = 0;
    fprintf(b->rejects, "%s:%llu: %s\n", name, (unsigned long long)p->lines[idx], reason);
    put_event(b->rejects, ev);
    fputc('\n', b->rejects);
    b->rejects_dirty = true;
    if (ferror(b->rejects)) return rejects_error(b, errno, err);
    b->st->n_conflict++;
    if (b->opts->on_reject) b->opts->on_reject(b->opts->ctx, name, p->lines[idx], reason);
    return SHOAL_OK;
}

static int on_conflicts_done(void *ctx, shoal_err *err) { return rejects_sync(ctx, err); }

/* Writes p's rejects to the reject file, in the order they came, telling on_reject. */
static int write_rejects(shoal_batch *b, pend *p, shoal_err *err)
{
    size_t off = 0;
    while (off < p->rej_len) {
        uint32_t nl, rl, wl;
        uint64_t line;
        const char *name, *reason, *raw;
        memcpy(&nl, p->rej + off, 4), name = p->rej + off + 4, off += 4 + nl;
        memcpy(&line, p->rej + off, 8), off += 8;
        memcpy(&rl, p->rej + off, 4), reason = p->rej + off + 4, off += 4 + rl;
        memcpy(&wl, p->rej + off, 4), raw = p->rej + off + 4, off += 4 + wl;
        if (b->rejects_failed) return rejects_error(b, EIO, err);
        int rc = rejects_open(b, err);
        if (rc) return rc;
        errno = 0;
        fprintf(b->rejects, "%.*s:%llu: %.*s\n", (int)nl, name, (unsigned long long)line, (int)rl, reason);
        fwrite(raw, 1, wl, b->rejects);
        fputc('\n', b->rejects);
        b->rejects_dirty = true;
        if (ferror(b->rejects)) return rejects_error(b, errno, err);
        if (b->opts->on_reject) {
            char nm[1024], why[512];
            snprintf(nm, sizeof nm, "%.*s", (int)nl, name);
            snprintf(why, sizeof why, "%.*s", (int)rl, reason);
            b->opts->on_reject(b->opts->ctx, nm, line, why);
        }
    }
    return SHOAL_OK;
}

/* Appends a committed name to the committer's stage (shoal_dict_each_new's fn). A
 * name that does not fit is left out: the reader then does not know it, which only
 * leaves its lookup to the append. */
static int stage_name(void *ctx, int ns, uint32_t id, const char *s, uint32_t len)
{
    names_buf *nb = ctx;
    size_t need = nb->len + 9 + len;
    if (need > nb->cap) {
        size_t cap = nb->cap ? nb->cap * 2 : 65536;
        while (cap < need) cap *= 2;
        unsigned char *p = shoal_realloc(nb->p, cap);
        if (!p) return SHOAL_ENOMEM;
        nb->p = p;
        nb->cap = cap;
    }
    unsigned char *q = nb->p + nb->len;
    q[0] = (unsigned char)ns;
    memcpy(q + 1, &id, 4);
    memcpy(q + 5, &len, 4);
    memcpy(q + 9, s, len);
    nb->len = need;
    return SHOAL_OK;
}

/* Moves src's records to the end of dst (src emptied). */
static void names_move(names_buf *dst, names_buf *src)
{
    if (!dst->len) {
        names_buf t = *dst;
        *dst = *src;
        *src = t;
    } else if (src->len) {
        size_t len = src->len;
        src->len = 0;
        if (dst->len + len > dst->cap) {
            unsigned char *p = shoal_realloc(dst->p, dst->len + len);
            if (!p) return;   /* dropped: the reader just does not learn them */
            dst->p = p;
            dst->cap = dst->len + len;
        }
        memcpy(dst->p + dst->len, src->p, len);
        dst->len += len;
    }
    src->len = 0;
}

/* The reader takes the names in nb into its cache (nb emptied). */
static void names_absorb(shoal_dict *names, names_buf *nb)
{
    for (size_t o = 0; o + 9 <= nb->len;) {
        const unsigned char *q = nb->p + o;
        uint32_t id, len;
        memcpy(&id, q + 1, 4);
        memcpy(&len, q + 5, 4);
        const char *s = (const char *)q + 9;
        if (shoal_dict_cache_put(names, q[0], s, len, id, shoal_dict_hash(q[0], s, len))) break;
        o += 9 + len;
    }
    nb->len = 0;
}

/* Commits batch p: its rejects on disk, then its events in one append. On the
 * committing thread. */
static int commit_pend(shoal_batch *b, pend *p, shoal_err *err)
{
    if (b->piped) {
        b->st->n_records = p->n_records;
        b->st->n_rejected = p->n_rejected;
    }
    /* The rejects of the lines this commit acknowledges go to disk first. */
    int rc = write_rejects(b, p, err);
    if (!rc) rc = rejects_sync(b, err);
    if (rc) return rc;
    p->rej_len = 0;
    if (p->n == 0) {
        b->st->acked_line = p->last_line;
        return SHOAL_OK;
    }
    shoal_append_stats as;
    uint64_t n_conflict = b->st->n_conflict;
    shoal_conflicts cf = {on_conflict, on_conflicts_done, b};
    b->committing = p;
    /* The keys are made by the reader with the pipeline, here without. */
    if (!b->piped && shoal_logkeys_make(b->db, p->evs, p->n, &p->keys))
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    uint32_t before[SHOAL_NS_COUNT];
    if (b->piped) shoal_dict_saved(b->db, before);
    rc = shoal_log_append_keyed(b->db, p->evs, p->n, &p->keys, &cf, &as, err);
    b->committing = NULL;
    if (rc) {
        b->st->n_conflict = n_conflict;
        return rc;
    }
    /* The names this commit made are the reader's to know from now on. */
    if (b->piped) shoal_dict_each_new(b->db, before, stage_name, &b->stage);
    b->st->n_added += as.n_added;
    b->st->n_dup += as.n_dup;
    b->st->last_seq = as.last_seq ? as.last_seq : b->st->last_seq;
    b->st->acked_line = p->last_line;
    b->st->n_batches++;
    p->n = 0;
    shoal_arena_reset(p->a);
    if (b->opts->on_commit) b->opts->on_commit(b->opts->ctx, b->st);
    return SHOAL_OK;
}

/* The reading thread, b->mu held, while it waits for the committer: runs the views'
 * prepares the committer posted (shoal_view_help, the lock dropped), else sleeps until
 * the committer wakes it. The caller tests its own condition again after each call. */
static void help_or_wait(shoal_batch *b)
{
    if (atomic_load(&b->db->prep_posted)) {
        pthread_mutex_unlock(&b->mu);
        shoal_view_help(b->db);
        pthread_mutex_lock(&b->mu);
        return;
    }
    pthread_cond_wait(&b->cv, &b->mu);
}

/* The reader's side of the pipeline: queues the filled batch (its keys made here,
 * off the committing thread) and takes an empty one, waiting while all are in use.
 * Returns the committer's error once it has failed. */
static int hand_over(shoal_batch *b, shoal_err *err)
{
    pend *p = b->fill;
    if (p->n && shoal_logkeys_make(b->db, p->evs, p->n, &p->keys))
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    shoal_view_help(b->db);
    /* The names committed so far join the reader's cache; unless the committer had
     * to wait for the reader since the last hand-over, the reader has the time to
     * resolve this batch's names itself (off the committing thread, the pipeline's
     * bound). */
    if (b->resolve) {
        pthread_mutex_lock(&b->mu);
        names_move(&b->rfeed, &b->feed);
        pthread_mutex_unlock(&b->mu);
    }
    names_absorb(b->known, &b->rfeed);
    if (p->n && b->resolve) {
        shoal_view_help(b->db);
        shoal_logkeys_resolve(b->known, p->evs, p->n, &p->keys);
    }
    p->n_records = b->rst.n_records;
    p->n_rejected = b->rst.n_rejected;
    pthread_mutex_lock(&b->mu);
    b->queue[(b->q_head + b->q_n++) % N_PEND] = p;
    pthread_cond_broadcast(&b->cv);
    names_move(&b->rfeed, &b->feed);
    b->resolve = !b->n_spare || !b->starved;
    b->starved = false;
    /* waiting for the committer: its views' prepares meanwhile (helper_wake) */
    while (!b->n_spare && !b->crc) help_or_wait(b);
    int rc = b->crc;
    if (!rc) {
        b->fill = b->spare[--b->n_spare];
        pend_reset(b->fill, p);
    } else if (err) {
        *err = b->cerr;
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

/* The committer's error, for the reader to stop with. */
static int committer_failed(shoal_batch *b, shoal_err *err)
{
    pthread_mutex_lock(&b->mu);
    int rc = b->crc;
    if (err) *err = b->cerr;
    pthread_mutex_unlock(&b->mu);
    return rc;
}

int shoal_batch_commit(shoal_batch *b, shoal_err *err)
{
    if (b->piped && atomic_load_explicit(&b->failed, memory_order_relaxed)) return committer_failed(b, err);
    if (b->piped) return hand_over(b, err);
    return commit_pend(b, b->fill, err);
}

/* The batch is full when it holds cap events or its arena and rejects reach the
 * byte limit. */
static int maybe_close(shoal_batch *b, shoal_err *err)
{
    pend *p = b->fill;
    if (p->n == b->cap || shoal_arena_used(p->a) + p->rej_len >= MAX_BATCH_BYTES) return shoal_batch_commit(b, err);
    return 0;
}

int shoal_batch_add(shoal_batch *b, uint64_t line, shoal_err *why, shoal_err *err)
{
    pend *p = b->fill;
    p->last_line = line;
    shoal_err_clear(why);
    if (b->piped) {
        if (atomic_load_explicit(&b->failed, memory_order_relaxed)) return committer_failed(b, err);
        shoal_view_help(b->db);   /* the committer's views' prepares, when posted */
    }
    if (shoal_event_check(&p->evs[p->n], why)) return 1;
    p->lines[p->n] = line;
    p->srcs[p->n] = (unsigned char)b->cur_name;
    p->n++;
    return maybe_close(b, err);
}

static int rej_put(pend *p, const void *x, size_t n)
{
    if (n == 0) return SHOAL_OK;
    if (p->rej_len + n > p->rej_cap) {
        size_t cap = p->rej_cap ? p->rej_cap : 4096;
        while (cap < p->rej_len + n) cap *= 2;
        char *r = shoal_realloc(p->rej, cap);
        if (!r) return SHOAL_ENOMEM;
        p->rej = r;
        p->rej_cap = cap;
    }
    memcpy(p->rej + p->rej_len, x, n);
    p->rej_len += n;
    return SHOAL_OK;
}

int shoal_batch_reject(shoal_batch *b, const char *name, uint64_t line, const char *reason, shoal_str raw,
                       shoal_err *err)
{
    pend *p = b->fill;
    p->last_line = line;
    if (b->piped) b->rst.n_rejected++;
    else b->st->n_rejected++;
    uint32_t nl = (uint32_t)strlen(name), rl = (uint32_t)strlen(reason), wl = raw.ptr ? raw.len : 0;
    if (rej_put(p, &nl, 4) || rej_put(p, name, nl) || rej_put(p, &line, 8) || rej_put(p, &rl, 4) ||
        rej_put(p, reason, rl) || rej_put(p, &wl, 4) || rej_put(p, raw.ptr, wl))
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    return maybe_close(b, err);
}

shoal_ingest_stats *shoal_batch_counts(shoal_batch *b) { return b->piped ? &b->rst : b->st; }

/* Closes the reject file, reporting a failed close. */
static int close_rejects(shoal_batch *b, shoal_err *err)
{
    FILE *f = b->rejects;
    b->rejects = NULL;
    errno = 0;
    if (f && fclose(f) != 0) return rejects_error(b, errno, err);
    return SHOAL_OK;
}

int shoal_batch_finish(shoal_batch *b, shoal_err *err)
{
    int rc = shoal_batch_commit(b, err);
    int crc = close_rejects(b, rc ? NULL : err);
    return rc ? rc : crc;
}

typedef struct reader_run {
    shoal_batch *b;
    int (*read)(void *ctx, shoal_batch *b, shoal_err *err);
    void *ctx;
    int rc;
    shoal_err err;
} reader_run;

/* The committer's views' prepares are posted (view.c): the reader, perhaps waiting
 * for a free batch, runs them. */
static void wake_reader(void *ctx)
{
    shoal_batch *b = ctx;
    pthread_mutex_lock(&b->mu);
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

/* The reading thread: reads, then runs the committer's views' prepares until the
 * committer is done (with views, the batches still queued when the input ends are one
 * or two of 131072 events, whose prepares the committer ran itself, beside nothing). */
static void *reader_main(void *arg)
{
    reader_run *r = arg;
    shoal_batch *b = r->b;
    shoal_err_clear(&r->err);
    r->rc = r->read(r->ctx, b, &r->err);
    pthread_mutex_lock(&b->mu);
    b->reader_done = true;
    pthread_cond_broadcast(&b->cv);
    while (!b->commit_done) help_or_wait(b);
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

int shoal_batch_run(shoal_batch *b, int (*read)(void *ctx, shoal_batch *b, shoal_err *err), void *ctx, int threads,
                    shoal_err *err)
{
    if (threads < 2) {
        int rc = read(ctx, b, err);
        if (rc == SHOAL_OK) rc = close_rejects(b, err);
        return rc;
    }
    for (int i = 1; i < N_PEND; i++)
        if (pend_init(&b->pends[i], b->cap)) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    if (!b->known && shoal_dict_new_fwd(&b->known)) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    reader_run r = {b, read, ctx, 0, {0}};
    pthread_t th;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->piped = true;
    b->q_head = b->q_n = 0;
    b->n_spare = 0;
    for (int i = 1; i < N_PEND; i++) b->spare[b->n_spare++] = &b->pends[i];
    b->reader_done = false;
    b->commit_done = false;
    b->starved = false;
    b->crc = 0;
    atomic_store(&b->failed, 0);
    shoal_err_clear(&b->cerr);
    b->rst = *b->st;
    if (pthread_create(&th, NULL, reader_main, &r)) {
        b->piped = false;
        pthread_cond_destroy(&b->cv);
        pthread_mutex_destroy(&b->mu);
        int rc = read(ctx, b, err);
        if (rc == SHOAL_OK) rc = close_rejects(b, err);
        return rc;
    }
    /* The committer: batches in the order they were filled. After a failure the
     * rest are dropped, not committed, and the reader is told to stop. While the
     * reader reads, it runs the views' prepares of each append (shoal_view_help, in
     * shoal_batch_add and hand_over): it runs on the other core; a thread made per
     * batch while both were busy shared the committer's core half the time. */
    shoal_db_set_helper(b->db, wake_reader, b);
    pthread_mutex_lock(&b->mu);
    for (;;) {
        if (!b->q_n && !b->reader_done) b->starved = true;
        while (!b->q_n && !b->reader_done) pthread_cond_wait(&b->cv, &b->mu);
        if (!b->q_n) break;
        pend *p = b->queue[b->q_head];
        b->q_head = (b->q_head + 1) % N_PEND;
        b->q_n--;
        bool failed = b->crc != 0;
        pthread_mutex_unlock(&b->mu);
        shoal_err e;
        shoal_err_clear(&e);
        int rc = failed ? 0 : commit_pend(b, p, &e);
        pthread_mutex_lock(&b->mu);
        names_move(&b->feed, &b->stage);
        if (rc) {
            b->crc = rc;
            b->cerr = e;
            atomic_store(&b->failed, 1);
        }
        b->spare[b->n_spare++] = p;
        pthread_cond_broadcast(&b->cv);
    }
    shoal_db_set_helper(b->db, NULL, NULL);
    b->commit_done = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(th, NULL);
    b->piped = false;
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    /* Counts as the reader left them (rejects of a batch not committed included, as
     * without the pipeline). */
    b->st->n_records = b->rst.n_records;
    b->st->n_rejected = b->rst.n_rejected;
    int rc = r.rc;
    /* The reader's own failure (a read error) is what happened first, unless it only
     * passed the committer's on; a commit error wins over an interruption. */
    if ((rc == SHOAL_OK || rc == SHOAL_ECANCEL || b->crc == rc) && b->crc) {
        if (err) *err = b->cerr;
        return b->crc;
    }
    if (rc && err) *err = r.err;
    if (rc == SHOAL_OK) rc = close_rejects(b, err);
    return rc;
}
