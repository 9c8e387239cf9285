/* ingest/batch.h — the one batching and reject mechanism of ingest, shared by the
 * file driver (ingest.c) and the dump adapters (stackexchange.c).
 *
 * A reader fills the event slot the batcher hands out, with strings in the batcher's
 * arena, and adds it: the event is checked with shoal_event_check, kept, and the
 * batch appended in one write transaction when it is full. Bad records are kept with
 * their batch and go to the reject file ("name:line: reason", then the record) just
 * before it is appended. The arena is reset only after its batch commits: until then
 * the events are what shoal_append replays when it has to grow the map. Internal to ingest/: cli/ uses shoal.h only.
 */
#ifndef SHOAL_BATCH_H
#define SHOAL_BATCH_H

#include "shoal.h"

typedef struct shoal_batch shoal_batch;

/* Creates a batcher appending to db.
 * [in]  opts          borrowed until free; batch size, callbacks (may not be NULL).
 * [in]  rejects_path  copied; the file is created (truncated) at the first reject.
 * [out] st            borrowed until free; n_added, n_dup, n_rejected, acked_line,
 *                     last_seq and n_batches are kept up to date here (the caller
 *                     counts n_records and bytes).
 * Returns owned; free with shoal_batch_free. Returns: SHOAL_OK, SHOAL_ENOMEM. */
int shoal_batch_new(shoal_db *db, const shoal_ingest_opts *opts, const char *rejects_path, shoal_ingest_stats *st,
                    shoal_batch **out, shoal_err *err);

/* A second place for the reject file, tried when rejects_path cannot be created for
 * lack of permission (EACCES, EPERM, EROFS). path is copied; NULL or "" for none.
 * Whichever is written is named in st->rejects_path. */
void shoal_batch_set_fallback(shoal_batch *b, const char *path);

/* The input name that the events added from now on are reported under when they
 * turn out to conflict with the log (same id, different content): such an event goes
 * to the reject file as "name:line: conflicting duplicate: …", then the event as
 * NDJSON (its text is not kept), just before the commit that skips it, and is counted
 * in st->n_conflict. name is copied. */
void shoal_batch_set_name(shoal_batch *b, const char *name);

/* Frees the batcher, dropping (not appending) pending events and closing the reject
 * file without reporting. Call shoal_batch_finish first to keep them. b may be NULL. */
void shoal_batch_free(shoal_batch *b);

/* The arena for the strings of pending events; reset after each commit, so anything
 * allocated in it is valid until the next shoal_batch_add or shoal_batch_commit. */
shoal_arena *shoal_batch_arena(shoal_batch *b);

/* The slot for the next event: fill it, then call shoal_batch_add. Valid until then. */
shoal_event *shoal_batch_slot(shoal_batch *b);

/* Checks the event in the slot, read at input line `line`. A good event is kept and
 * the batch committed when full (a record count or an arena size); a bad one is not
 * kept and why->msg says what is wrong: the caller passes it to shoal_batch_reject
 * with the record's text.
 * Returns: 0 kept, 1 refused, or a commit error (SHOAL_ESTORE, SHOAL_ENOMEM) after
 * which the batcher must not be used except to free it. */
int shoal_batch_add(shoal_batch *b, uint64_t line, shoal_err *why, shoal_err *err);

/* Writes a reject: "name:line: reason", then raw and a newline, to the reject file,
 * counts it and calls opts->on_reject. raw is borrowed for the call.
 * Returns: SHOAL_OK, SHOAL_EIO (the reject file cannot be written: err names it and
 * the reason; the batch in progress will not be committed, see batch.c). */
int shoal_batch_reject(shoal_batch *b, const char *name, uint64_t line, const char *reason, shoal_str raw,
                       shoal_err *err);

/* Puts the rejects written so far on disk (flush, fsync), then appends the pending
 * events (nothing when there are none) and resets the arena. After it, acked_line is
 * the line of the last record added or rejected.
 * Returns: SHOAL_OK, SHOAL_EIO (the reject file cannot be written: nothing is
 * committed), SHOAL_ESTORE, SHOAL_ENOMEM. */
int shoal_batch_commit(shoal_batch *b, shoal_err *err);

/* Commits what is pending and closes the reject file, reporting a failed close.
 * Returns: as shoal_batch_commit, or SHOAL_EIO. */
int shoal_batch_finish(shoal_batch *b, shoal_err *err);

/* The counts the reading side keeps up to date (n_records, which the reader counts
 * itself, and n_rejected): the caller's stats without the pipeline, the reader's own
 * with it (copied to the caller's as batches commit, and at the end). */
shoal_ingest_stats *shoal_batch_counts(shoal_batch *b);

/* Runs read(ctx, b, err), which adds and rejects records and ends with
 * shoal_batch_commit (the last batch), and commits every batch. With threads >= 2,
 * read runs on a thread of its own, filling batches (and making their keys) while
 * this thread commits the ones before, in order: the database, the reject file and
 * the callbacks get what threads = 1 gives, and every commit, reject file write and
 * callback happens on this thread. A commit error stops the reader (its add or
 * commit returns that error) and the batches not yet committed are dropped. When
 * read returns SHOAL_OK the reject file is closed as by shoal_batch_finish.
 * Returns: read's error (a read error before a commit error; a commit error before
 * SHOAL_ECANCEL), else as shoal_batch_finish. */
int shoal_batch_run(shoal_batch *b, int (*read)(void *ctx, shoal_batch *b, shoal_err *err), void *ctx, int threads,
                    shoal_err *err);

/* 1 when path names one of the database's own files (data.mdb, lock.mdb), by any name
 * or link: a reject file there would overwrite the database. */
int shoal_ingest_is_db_file(shoal_db *db, const char *path);

#endif /* SHOAL_BATCH_H */
