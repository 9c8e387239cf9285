/* cmd_stats.c — `shoal stats`: what the database holds, from one snapshot.
 * Counts per type and the time range come from one scan of the log. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

const char shoal_cmd_stats_usage[] =
    "usage: shoal stats [--json]\n"
    "\n"
    "Prints the number of events, members, groups and event types (with counts), the\n"
    "time range of the events, the size of the database on disk and its open readers:\n"
    "for each other process reading, how many transactions its snapshot is behind and\n"
    "how much freed space it keeps from reuse (the file grows while a reader lasts;\n"
    "a warning names a reader that keeps 1 MiB or more, or is 1000 transactions\n"
    "behind). Slots left by readers that were killed are reclaimed when the database\n"
    "opens; the count of those reclaimed is shown.\n"
    "\n"
    "options:\n"
    "  --json   one JSON object instead of the table\n";

static void human_bytes(char *buf, size_t n, uint64_t b)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* A reader that keeps this much freed space from reuse, or is this far behind, is
 * named in a warning: a stuck or forgotten reader makes the file grow. */
#define PIN_WARN_BYTES ((uint64_t)1 << 20)
#define BEHIND_WARN 1000

static void print_readers(const shoal_readers *rd)
{
    if (rd->nolock) {
        printf("readers     unknown (opened without locks: --readonly on a lock file it cannot write)\n");
        return;
    }
    printf("readers     %d other", rd->n);
    if (rd->reclaimed) printf(" (%u stale slots of killed readers reclaimed)", rd->reclaimed);
    putchar('\n');
    for (int i = 0; i < rd->n; i++) {
        char b[32];
        human_bytes(b, sizeof b, rd->slot[i].pinned_bytes);
        printf("  pid %-10ld %llu transactions behind, keeps %s from reuse\n", rd->slot[i].pid,
               (unsigned long long)rd->slot[i].behind, b);
    }
}

static void warn_readers(const shoal_readers *rd)
{
    for (int i = 0; i < rd->n; i++) {
        const shoal_reader_slot *s = &rd->slot[i];
        if (s->pinned_bytes < PIN_WARN_BYTES && s->behind < BEHIND_WARN) continue;
        char b[32];
        human_bytes(b, sizeof b, s->pinned_bytes);
        fprintf(stderr,
                "%s: warning: reader pid %ld is %llu transactions behind and keeps %s of freed pages from reuse: "
                "the database file grows while it lasts (a stuck or long-running reader?)\n",
                shoal_cli_name, s->pid, (unsigned long long)s->behind, b);
    }
}

int shoal_cmd_stats(const char *db_path, int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else {
            fprintf(stderr, "shoal stats: error: unknown argument \"%s\"\n%s", argv[i], shoal_cmd_stats_usage);
            return 2;
        }
    }
    shoal_db *db;
    int status = shoal_cli_open(db_path, SHOAL_OPEN_RDONLY, 0, &db);
    if (status) return status;
    shoal_err err;
    shoal_err_clear(&err);
    shoal_reader *r = NULL;
    shoal_logcur *c = NULL;
    uint64_t *per_type = NULL;
    shoal_readers *rd = NULL;
    int rc = shoal_reader_open(db, &r, &err);
    if (rc) goto fail;
    uint32_t n_types = shoal_dict_count(r, SHOAL_NS_TYPE);
    per_type = calloc((size_t)n_types + 1, sizeof *per_type);
    if (!per_type) {
        rc = shoal_err_set(&err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    int64_t tmin = INT64_MAX, tmax = INT64_MIN;
    uint64_t n = 0;
    if ((rc = shoal_logcur_open(r, 1, &c, &err))) goto fail;
    shoal_rec rec;
    while ((rc = shoal_logcur_next(c, &rec, &err)) == 1) {
        n++;
        if (rec.type <= n_types) per_type[rec.type]++;
        if (rec.ts < tmin) tmin = rec.ts;
        if (rec.ts > tmax) tmax = rec.ts;
    }
    if (rc < 0) goto fail;
    uint64_t disk = 0;
    if ((rc = shoal_db_disk_size(db, &disk, &err))) goto fail;
    if (!(rd = malloc(sizeof *rd))) {
        rc = shoal_err_set(&err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    if ((rc = shoal_db_readers(db, rd, &err))) goto fail;
    char from[32] = "", to[32] = "", dbuf[32];
    if (n) {
        shoal_ts_format(tmin, from);
        shoal_ts_format(tmax, to);
    }
    human_bytes(dbuf, sizeof dbuf, disk);
    uint32_t n_members = shoal_dict_count(r, SHOAL_NS_MEMBER), n_groups = shoal_dict_count(r, SHOAL_NS_GROUP),
             n_props = shoal_dict_count(r, SHOAL_NS_PROP);
    if (json) {
        printf("{\"events\":%llu,\"members\":%u,\"groups\":%u,\"properties\":%u,\"types\":{",
               (unsigned long long)n, n_members, n_groups, n_props);
        int first = 1;
        for (uint32_t t = 1; t <= n_types; t++) {
            shoal_str s;
            if ((rc = shoal_dict_str(r, SHOAL_NS_TYPE, t, &s, &err))) goto fail;
            if (!first) putchar(',');
            first = 0;
            shoal_cli_json_str(stdout, s.ptr, s.len);
            printf(":%llu", (unsigned long long)per_type[t]);
        }
        printf("},\"first\":");
        if (n) shoal_cli_json_str(stdout, from, strlen(from)); else fputs("null", stdout);
        printf(",\"last\":");
        if (n) shoal_cli_json_str(stdout, to, strlen(to)); else fputs("null", stdout);
        printf(",\"disk_bytes\":%llu,\"readers\":[", (unsigned long long)disk);
        for (int i = 0; i < rd->n; i++)
            printf("%s{\"pid\":%ld,\"txnid\":%llu,\"behind\":%llu,\"pinned_bytes\":%llu}", i ? "," : "",
                   rd->slot[i].pid, (unsigned long long)rd->slot[i].txnid, (unsigned long long)rd->slot[i].behind,
                   (unsigned long long)rd->slot[i].pinned_bytes);
        printf("],\"readers_reclaimed\":%u,\"readers_unknown\":%s}\n", rd->reclaimed, rd->nolock ? "true" : "false");
    } else {
        printf("database    %s (%s on disk)\n", db_path, dbuf);
        printf("events      %llu\n", (unsigned long long)n);
        printf("members     %u\n", n_members);
        printf("groups      %u\n", n_groups);
        printf("properties  %u\n", n_props);
        if (n) printf("time        %s .. %s\n", from, to);
        printf("types       %u\n", n_types);
        for (uint32_t t = 1; t <= n_types; t++) {
            shoal_str s;
            if ((rc = shoal_dict_str(r, SHOAL_NS_TYPE, t, &s, &err))) goto fail;
            printf("  %-16.*s %12llu\n", (int)s.len, s.ptr, (unsigned long long)per_type[t]);
        }
        print_readers(rd);
    }
    warn_readers(rd);
    rc = 0;
fail:
    free(per_type);
    free(rd);
    shoal_logcur_close(c);
    shoal_reader_close(r);
    shoal_db_close(db);
    if (rc) {
        shoal_cli_error(&err, rc);
        return 2;
    }
    return 0;
}
