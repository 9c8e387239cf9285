/* fuzz_dbfile.c — libFuzzer harness for damaged database files: each input is a list of
 * damages, 5 bytes each (a little-endian u32 offset into data.mdb, taken modulo its
 * size, then a byte XORed in there; an input of 4 bytes or fewer truncates the file to
 * that u32 modulo its size instead), applied to a copy of a small database with views.
 * Opening it read-only and `shoal check` must never crash: damage is refused at open
 * (SHOAL_ECORRUPT and the like) or reported as problems (docs/ARCHITECTURE.md,
 * "Opening", and check's walk of LMDB's pages).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shoal.h"

static char base[] = "/tmp/shoal-fuzz-dbfile-XXXXXX";
static char work[sizeof base + 8];
static unsigned char *image;
static size_t n_image;

static shoal_str S(const char *s) { return (shoal_str){s, (uint32_t)strlen(s)}; }

static int sink(void *ctx, const char *buf, size_t n)
{
    (void)ctx, (void)buf, (void)n;
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (!mkdtemp(base)) abort();
    char dir[sizeof base + 8];
    snprintf(dir, sizeof dir, "%s/db", base);
    shoal_db *db;
    if (shoal_db_open(dir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL)) abort();
    static const char *const members[] = {"alice", "bob", "carol", "dave", "erin"};
    static const char *const types[] = {"join", "post", "comment", "like"};
    shoal_event ev[300];
    shoal_prop props[300];
    char ids[300][16];
    memset(ev, 0, sizeof ev);
    for (int i = 0; i < 300; i++) {
        snprintf(ids[i], sizeof ids[i], "e%d", i);
        ev[i].id = S(ids[i]);
        ev[i].ts = 1740000000000LL + (int64_t)i * 3600000;
        ev[i].member = S(members[i % 5]);
        ev[i].type = S(types[i % 4]);
        props[i] = (shoal_prop){S("words"), SHOAL_VAL_INT, {.i = i * 37 % 700}};
        ev[i].n_props = i % 2;
        ev[i].props = &props[i];
    }
    if (shoal_append(db, ev, 300, NULL, NULL)) abort();
    shoal_session *s;
    if (shoal_session_new(db, &s, NULL)) abort();
    shoal_session_set_output(s, sink, NULL);
    static const char q[] = "CREATE COUNTERS acts AS count(*), sum(post.words); "
                            "CREATE SCORE eng AS 1*like + 3*comment + 5*post HALF_LIFE 7 DAYS";
    if (shoal_query_run(s, q, sizeof q - 1, NULL)) abort();
    shoal_session_free(s);
    shoal_db_close(db);
    char file[sizeof base + 32];
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    FILE *f = fopen(file, "rb");
    struct stat st;
    if (!f || stat(file, &st)) abort();
    n_image = (size_t)st.st_size;
    if (!(image = malloc(n_image)) || fread(image, 1, n_image, f) != n_image) abort();
    fclose(f);
    snprintf(work, sizeof work, "%s/work", base);
    if (mkdir(work, 0700)) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *img = malloc(n_image);
    if (!img) return 0;
    memcpy(img, image, n_image);
    size_t n = n_image;
    if (size >= 4 && size < 5) {
        uint32_t off;
        memcpy(&off, data, 4);
        n = off % n_image;
    }
    for (size_t i = 0; i + 5 <= size; i += 5) {
        uint32_t off;
        memcpy(&off, data + i, 4);
        img[off % n_image] ^= data[i + 4];
    }
    char file[sizeof work + 16];
    snprintf(file, sizeof file, "%s/data.mdb", work);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, img, n) != (ssize_t)n) abort();
    close(fd);
    free(img);
    shoal_db *db;
    shoal_err err;
    shoal_err_clear(&err);
    if (shoal_db_open(work, SHOAL_OPEN_RDONLY, 0, &db, &err) == SHOAL_OK) {
        shoal_check_report rep;
        shoal_err_clear(&err);
        shoal_db_check(db, &rep, &err);
        shoal_db_close(db);
    }
    return 0;
}
