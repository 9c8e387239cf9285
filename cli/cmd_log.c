/* cmd_log.c — `shoal log`: events back out as NDJSON, in log order.
 * The output ingests back to the same log: ingest → log → ingest round-trips. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

const char shoal_cmd_log_usage[] =
    "usage: shoal log [--from SEQ] [--limit N] [--member M] [--type T] [--group G] [--seq]\n"
    "\n"
    "Prints events as NDJSON in log order, in the form ingest reads.\n"
    "\n"
    "options:\n"
    "  --from SEQ    start at log sequence SEQ (default 1)\n"
    "  --limit N     print at most N events\n"
    "  --member M    only the events of member M\n"
    "  --type T      only events of type T\n"
    "  --group G     only events in group G\n"
    "  --seq         add each event's log sequence as \"seq\" (not ingestible as is:\n"
    "                seq is a reserved name)\n"
    "\n"
    "A member, type or group that the log has never seen is an error (exit status 2),\n"
    "with the closest name the log has, if one is close.\n";

/* Says that name is not in namespace ns, with the closest name that is, if any.
 * Returns 2, the exit status. */
static int unknown_name(shoal_reader *r, int ns, const char *what, const char *opt, const char *name)
{
    shoal_closest c;
    shoal_closest_init(&c, name);
    shoal_str s;
    uint32_t count = shoal_dict_count(r, ns);
    for (uint32_t id = 1; id <= count; id++)
        if (shoal_dict_str(r, ns, id, &s, NULL) == SHOAL_OK && shoal_closest_offer(&c, s.ptr, s.len)) break;
    const char *found = shoal_closest_get(&c);
    if (found) shoal_cli_fail("%s: no %s \"%s\" in the log (did you mean \"%s\"?)", opt, what, name, found);
    else shoal_cli_fail("%s: no %s \"%s\" in the log", opt, what, name);
    return 2;
}

static void print_event(FILE *f, const shoal_event *ev, uint64_t seq, int with_seq)
{
    char ts[32];
    putc('{', f);
    if (with_seq) fprintf(f, "\"seq\":%llu,", (unsigned long long)seq);
    if (ev->has_id) {
        fputs("\"id\":", f);
        shoal_cli_json_str(f, ev->id.ptr, ev->id.len);
        putc(',', f);
    }
    size_t n = shoal_ts_format(ev->ts, ts);
    fputs("\"ts\":", f);
    shoal_cli_json_str(f, ts, n);
    fputs(",\"member\":", f);
    shoal_cli_json_str(f, ev->member.ptr, ev->member.len);
    fputs(",\"type\":", f);
    shoal_cli_json_str(f, ev->type.ptr, ev->type.len);
    if (ev->group.ptr) {
        fputs(",\"group\":", f);
        shoal_cli_json_str(f, ev->group.ptr, ev->group.len);
    }
    for (uint32_t i = 0; i < ev->n_props; i++) {
        const shoal_prop *p = &ev->props[i];
        putc(',', f);
        shoal_cli_json_str(f, p->key.ptr, p->key.len);
        putc(':', f);
        switch (p->kind) {
        case SHOAL_VAL_BOOL: fputs(p->v.b ? "true" : "false", f); break;
        case SHOAL_VAL_INT: fprintf(f, "%lld", (long long)p->v.i); break;
        case SHOAL_VAL_NUM: shoal_cli_num(f, p->v.d); break;
        default: shoal_cli_json_str(f, p->v.s.ptr, p->v.s.len); break;
        }
    }
    fputs("}\n", f);
}

static int parse_u64(const char *opt, const char *s, uint64_t *out)
{
    char *end;
    *out = strtoull(s, &end, 10);
    if (!*s || *end || s[0] == '-') {
        fprintf(stderr, "shoal log: error: %s takes a whole number, not \"%s\"\n", opt, s);
        return 2;
    }
    return 0;
}

int shoal_cmd_log(const char *db_path, int argc, char **argv)
{
    static const struct option longopts[] = {{"from", required_argument, 0, 'f'},
                                             {"limit", required_argument, 0, 'l'},
                                             {"member", required_argument, 0, 'm'},
                                             {"type", required_argument, 0, 't'},
                                             {"group", required_argument, 0, 'g'},
                                             {"seq", no_argument, 0, 's'},
                                             {0, 0, 0, 0}};
    uint64_t from = 1, limit = UINT64_MAX;
    const char *member = NULL, *type = NULL, *group = NULL;
    int with_seq = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': if (parse_u64("--from", optarg, &from)) return 2; break;
        case 'l': if (parse_u64("--limit", optarg, &limit)) return 2; break;
        case 'm': member = optarg; break;
        case 't': type = optarg; break;
        case 'g': group = optarg; break;
        case 's': with_seq = 1; break;
        default:
            fprintf(stderr, "shoal log: error: unknown option \"%s\"\n%s", argv[optind - 1], shoal_cmd_log_usage);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "shoal log: error: unexpected argument \"%s\"\n%s", argv[optind], shoal_cmd_log_usage);
        return 2;
    }
    shoal_db *db;
    int status = shoal_cli_open(db_path, SHOAL_OPEN_RDONLY, 0, &db);
    if (status) return status;
    shoal_err err;
    shoal_err_clear(&err);
    shoal_reader *r = NULL;
    shoal_logcur *cur = NULL;
    shoal_arena *a = shoal_arena_new();
    int rc = a ? shoal_reader_open(db, &r, &err) : shoal_err_set(&err, SHOAL_ENOMEM, -1, -1, "out of memory");
    if (rc) goto done;
    uint32_t member_id = 0, type_id = 0, group_id = 0;
    /* A name the log has never seen is most likely a typo (the language refuses an
     * unknown type too): say so rather than print nothing. */
    if (member && shoal_dict_id(r, SHOAL_NS_MEMBER, member, strlen(member), &member_id, &err) == SHOAL_ENOTFOUND) {
        status = unknown_name(r, SHOAL_NS_MEMBER, "member", "--member", member);
        goto done;
    }
    if (type && shoal_dict_id(r, SHOAL_NS_TYPE, type, strlen(type), &type_id, &err) == SHOAL_ENOTFOUND) {
        status = unknown_name(r, SHOAL_NS_TYPE, "event type", "--type", type);
        goto done;
    }
    if (group && shoal_dict_id(r, SHOAL_NS_GROUP, group, strlen(group), &group_id, &err) == SHOAL_ENOTFOUND) {
        status = unknown_name(r, SHOAL_NS_GROUP, "group", "--group", group);
        goto done;
    }
    if ((rc = shoal_logcur_open(r, from, &cur, &err))) goto done;
    shoal_rec rec;
    uint64_t printed = 0;
    while (printed < limit && (rc = shoal_logcur_next(cur, &rec, &err)) == 1) {
        if ((member_id && rec.member != member_id) || (type_id && rec.type != type_id) ||
            (group_id && rec.group != group_id))
            continue;
        shoal_event ev;
        if ((rc = shoal_rec_event(r, &rec, a, &ev, &err))) break;
        print_event(stdout, &ev, rec.seq, with_seq);
        printed++;
        if (shoal_arena_used(a) > (1u << 20)) shoal_arena_reset(a);
    }
    if (rc > 0) rc = 0;
done:
    shoal_logcur_close(cur);
    shoal_reader_close(r);
    shoal_arena_free(a);
    shoal_db_close(db);
    if (status) return status;
    if (rc < 0) {
        shoal_cli_error(&err, rc);
        return 2;
    }
    return 0;
}
