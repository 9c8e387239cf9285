/* db.c — the database: one LMDB environment in one directory.
 *
 * Opens the environment and its named databases (log, ids, dict, meta), checks the
 * format version, keeps settings in meta, and grows the map. The map is only an
 * address-space reservation: without MDB_WRITEMAP the file grows with the data, so
 * doubling it costs nothing on disk. Every write path retries its whole transaction
 * after a grow (see log.c), which is why MDB_MAP_FULL never loses a batch.
 */
#include "shoal_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int open_dbis(shoal_db *db, bool create, shoal_err *err)
{
    MDB_txn *txn;
    unsigned tflags = create ? 0 : MDB_RDONLY;
    int rc = mdb_txn_begin(db->env, NULL, tflags, &txn);
    if (rc) return shoal_store_err(err, rc, "cannot begin transaction");
    unsigned dflags = create ? MDB_CREATE : 0;
    struct {
        const char *name;
        MDB_dbi *dbi;
    } dbs[] = {{"log", &db->dbi_log}, {"ids", &db->dbi_ids}, {"dict", &db->dbi_dict}, {"meta", &db->dbi_meta}};
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        rc = mdb_dbi_open(txn, dbs[i].name, dflags, dbs[i].dbi);
        if (rc == MDB_NOTFOUND) {
            mdb_txn_abort(txn);
            return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "\"%s\" is not a shoal database (no \"%s\")",
                                 db->path, dbs[i].name);
        }
        if (rc) {
            mdb_txn_abort(txn);
            return shoal_store_err(err, rc, "cannot open the database's tables");
        }
    }
    /* The zone map came after the first databases: a read-only open does without it,
     * a writable one creates it and fills it from the log once; likewise a map from
     * before the blocks' bitmaps (its entries of 16 bytes still hold, but skip less). */
    rc = mdb_dbi_open(txn, "zones", dflags, &db->dbi_zones);
    if (rc == 0) {
        db->has_zones = true;
        MDB_stat zs;
        uint64_t last = 0;
        if (create && mdb_stat(txn, db->dbi_zones, &zs) == 0 && (zs.ms_entries == 0 || shoal_zone_legacy(db, txn)) &&
            shoal_log_last_seq(db, txn, &last, NULL) == 0 && last > 0 && (rc = shoal_zone_rebuild(db, txn, err))) {
            mdb_txn_abort(txn);
            return rc;
        }
    } else if (rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return shoal_store_err(err, rc, "cannot open the zone map");
    }
    MDB_val v;
    rc = shoal_meta_get(db, txn, "format", &v);
    if (rc == MDB_NOTFOUND) {
        if (create) {
            char buf[16];
            int n = snprintf(buf, sizeof buf, "%d", SHOAL_FORMAT_VERSION);
            if ((rc = shoal_meta_put(db, txn, "format", buf, (size_t)n, err))) {
                mdb_txn_abort(txn);
                return rc;
            }
        }
    } else if (rc) {
        mdb_txn_abort(txn);
        return shoal_store_err(err, rc, "cannot read the format version");
    } else {
        char buf[16] = {0};
        memcpy(buf, v.mv_data, v.mv_size < 15 ? v.mv_size : 15);
        int version = atoi(buf);
        if (version > SHOAL_FORMAT_VERSION) {
            mdb_txn_abort(txn);
            return shoal_err_set(err, SHOAL_EVERSION, -1, -1,
                                 "\"%s\" has format version %d, newer than this shoal (%s) reads (%d): "
                                 "upgrade shoal",
                                 db->path, version, SHOAL_VERSION, SHOAL_FORMAT_VERSION);
        }
    }
    /* Commit even a read-only transaction: LMDB closes the handles opened in one that
     * is aborted. */
    rc = mdb_txn_commit(txn);
    if (rc) return shoal_store_err(err, rc, "cannot commit the database's tables");
    return SHOAL_OK;
}

int shoal_db_open(const char *path, unsigned flags, size_t map_size, shoal_db **out, shoal_err *err)
{
    *out = NULL;
    struct stat st;
    char file[4096];
    if (snprintf(file, sizeof file, "%s/data.mdb", path) >= (int)sizeof file)
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "database path is too long");
    bool exists = stat(file, &st) == 0;
    if (!exists) {
        if (!(flags & SHOAL_OPEN_CREATE) || (flags & SHOAL_OPEN_RDONLY))
            return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "no database at \"%s\"", path);
        if (mkdir(path, 0775) != 0 && errno != EEXIST) {
            int e = errno;
            shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot create \"%s\": %s", path, strerror(e));
            if (err) err->sys = e;
            return SHOAL_EIO;
        }
    }
    shoal_db *db = shoal_malloc(sizeof *db);
    if (!db) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    memset(db, 0, sizeof *db);
    db->flags = flags;
    int rc;
    size_t n = strlen(path);
    if (!(db->path = shoal_malloc(n + 1)) || shoal_dict_new(&db->dict)) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    memcpy(db->path, path, n + 1);
    if ((rc = mdb_env_create(&db->env))) {
        rc = shoal_store_err(err, rc, "cannot create the environment");
        goto fail;
    }
    /* Room for the four core tables and the views of later stages. */
    mdb_env_set_maxdbs(db->env, 64);
    db->map_size = map_size ? map_size : SHOAL_DEFAULT_MAP_SIZE;
    mdb_env_set_mapsize(db->env, db->map_size);
    unsigned eflags = MDB_NOTLS;
    if (flags & SHOAL_OPEN_RDONLY) eflags |= MDB_RDONLY;
    if (flags & SHOAL_OPEN_NOSYNC) eflags |= MDB_NOSYNC;
    if ((rc = mdb_env_open(db->env, path, eflags, 0664))) {
        if (rc == EACCES || rc == ENOENT || rc == EROFS) {
            shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot open \"%s\": %s", path, strerror(rc));
            if (err) err->sys = rc;
            rc = SHOAL_EIO;
        } else {
            rc = shoal_store_err(err, rc, "cannot open the environment");
        }
        goto fail;
    }
    /* The file may already be larger than asked for: adopt its size. */
    MDB_envinfo info;
    mdb_env_info(db->env, &info);
    db->map_size = info.me_mapsize;
    if ((rc = open_dbis(db, !(flags & SHOAL_OPEN_RDONLY), err))) goto fail;
    *out = db;
    return SHOAL_OK;
fail:
    shoal_db_close(db);
    return rc;
}

void shoal_db_close(shoal_db *db)
{
    if (!db) return;
    shoal_view_registry_free(db);
    if (db->env) mdb_env_close(db->env);
    shoal_dict_free(db->dict);
    shoal_free(db->scratch);
    shoal_free(db->path);
    shoal_free(db);
}

const char *shoal_db_path(const shoal_db *db) { return db->path; }

void shoal_db_set_progress(shoal_db *db, shoal_progress_fn fn, void *ctx)
{
    db->progress = fn;
    db->progress_ctx = ctx;
}

size_t shoal_db_map_size(const shoal_db *db) { return db->map_size; }

int shoal_db_disk_size(const shoal_db *db, uint64_t *out, shoal_err *err)
{
    static const char *const files[] = {"data.mdb", "lock.mdb"};
    *out = 0;
    for (size_t i = 0; i < 2; i++) {
        char file[4096];
        snprintf(file, sizeof file, "%s/%s", db->path, files[i]);
        struct stat st;
        if (stat(file, &st) != 0) {
            int e = errno;
            shoal_err_set(err, SHOAL_EIO, -1, -1, "cannot stat \"%s\": %s", file, strerror(e));
            return SHOAL_EIO;
        }
        *out += (uint64_t)st.st_blocks * 512;
    }
    return SHOAL_OK;
}

int shoal_db_txn_begin(shoal_db *db, unsigned flags, MDB_txn **out, shoal_err *err)
{
    int rc = mdb_txn_begin(db->env, NULL, flags, out);
    if (rc == MDB_MAP_RESIZED) {
        /* Another process grew the map: adopt its size and try again. */
        mdb_env_set_mapsize(db->env, 0);
        MDB_envinfo info;
        mdb_env_info(db->env, &info);
        db->map_size = info.me_mapsize;
        rc = mdb_txn_begin(db->env, NULL, flags, out);
    }
    if (rc) return shoal_store_err(err, rc, "cannot begin transaction");
    return SHOAL_OK;
}

int shoal_db_grow(shoal_db *db, shoal_err *err)
{
    size_t want = db->map_size * 2;
    int rc = mdb_env_set_mapsize(db->env, want);
    if (rc) return shoal_store_err(err, rc, "cannot grow the map");
    MDB_envinfo info;
    mdb_env_info(db->env, &info);
    db->map_size = info.me_mapsize;
    return SHOAL_OK;
}

int shoal_meta_get(shoal_db *db, MDB_txn *txn, const char *key, MDB_val *out)
{
    MDB_val k = {strlen(key), (void *)key};
    return mdb_get(txn, db->dbi_meta, &k, out);
}

int shoal_meta_put(shoal_db *db, MDB_txn *txn, const char *key, const void *val, size_t n, shoal_err *err)
{
    MDB_val k = {strlen(key), (void *)key}, v = {n, (void *)val};
    int rc = mdb_put(txn, db->dbi_meta, &k, &v, 0);
    if (rc) return shoal_store_err(err, rc, "cannot write meta");
    return SHOAL_OK;
}

/* Settings live in meta under "set.<key>" so that they never collide with the
 * engine's own entries. */
static int setting_key(const char *key, char *buf, size_t n, shoal_err *err)
{
    if (!*key || snprintf(buf, n, "set.%s", key) >= (int)n)
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "invalid setting name \"%s\"", key);
    return SHOAL_OK;
}

int shoal_db_setting_get(shoal_db *db, const char *key, char *buf, size_t n, shoal_err *err)
{
    char mk[128];
    int rc;
    if ((rc = setting_key(key, mk, sizeof mk, err))) return rc;
    MDB_txn *txn;
    if ((rc = shoal_db_txn_begin(db, MDB_RDONLY, &txn, err))) return rc;
    MDB_val v;
    rc = shoal_meta_get(db, txn, mk, &v);
    if (rc == MDB_NOTFOUND) {
        rc = SHOAL_ENOTFOUND;
    } else if (rc) {
        rc = shoal_store_err(err, rc, "cannot read a setting");
    } else if (v.mv_size >= n) {
        rc = shoal_err_set(err, SHOAL_ERANGE, -1, -1, "setting \"%s\" is too long", key);
    } else {
        memcpy(buf, v.mv_data, v.mv_size);
        buf[v.mv_size] = '\0';
    }
    mdb_txn_abort(txn);
    return rc;
}

int shoal_db_setting_set(shoal_db *db, const char *key, const char *val, shoal_err *err)
{
    char mk[128];
    int rc;
    if (db->flags & SHOAL_OPEN_RDONLY)
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the database is open read-only");
    if ((rc = setting_key(key, mk, sizeof mk, err))) return rc;
    for (;;) {
        MDB_txn *txn;
        if ((rc = shoal_db_txn_begin(db, 0, &txn, err))) return rc;
        MDB_val k = {strlen(mk), mk}, v = {strlen(val), (void *)val};
        rc = mdb_put(txn, db->dbi_meta, &k, &v, 0);
        if (!rc) rc = mdb_txn_commit(txn);
        else mdb_txn_abort(txn);
        if (rc == MDB_MAP_FULL) {
            if ((rc = shoal_db_grow(db, err))) return rc;
            continue;
        }
        if (rc) return shoal_store_err(err, rc, "cannot write a setting");
        return SHOAL_OK;
    }
}
