/* fuzz_ndjson.c — libFuzzer harness for the NDJSON reader: the bytes as one line for
 * shoal_ndjson_parse (which must give what shoal_ndjson_parse_general gives: its fast
 * path for the usual key order changes nothing), the same bytes as a timestamp and a
 * number, then as a whole NDJSON input framed in small chunks. Every result must meet
 * fuzz_check.h. */
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int str_same(shoal_str a, shoal_str b)
{
    return (a.ptr == NULL) == (b.ptr == NULL) && a.len == b.len && (a.len == 0 || !memcmp(a.ptr, b.ptr, a.len));
}

/* The fast path's result (rc, ea, a) is the general parse's of the same line. */
static void same_as_general(const char *p, size_t size, shoal_arena *ar, int rc, const shoal_err *ea,
                            const shoal_event *a)
{
    shoal_event b;
    shoal_err eb;
    shoal_err_clear(&eb);
    int rb = shoal_ndjson_parse_general(p, size, ar, &b, &eb);
    FUZZ_REQUIRE(rc == rb && ea->code == eb.code && ea->off == eb.off && ea->len == eb.len);
    FUZZ_REQUIRE(strcmp(ea->msg, eb.msg) == 0);
    if (rc) return;
    FUZZ_REQUIRE(a->has_id == b.has_id && (!a->has_id || str_same(a->id, b.id)) && a->ts == b.ts);
    FUZZ_REQUIRE(str_same(a->member, b.member) && str_same(a->type, b.type) && str_same(a->group, b.group));
    FUZZ_REQUIRE(a->n_props == b.n_props);
    for (uint32_t i = 0; i < a->n_props; i++) {
        const shoal_prop *x = &a->props[i], *y = &b.props[i];
        FUZZ_REQUIRE(str_same(x->key, y->key) && x->kind == y->kind);
        if (x->kind == SHOAL_VAL_STR) FUZZ_REQUIRE(str_same(x->v.s, y->v.s));
        else if (x->kind == SHOAL_VAL_BOOL) FUZZ_REQUIRE(x->v.b == y->v.b);
        else if (x->kind == SHOAL_VAL_INT) FUZZ_REQUIRE(x->v.i == y->v.i);
        else FUZZ_REQUIRE(memcmp(&x->v.d, &y->v.d, sizeof x->v.d) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static shoal_arena *a;
    const char *p = (const char *)data;
    shoal_event ev;
    shoal_err e;
    if (!a) a = shoal_arena_new();

    shoal_err_clear(&e);
    int rc = shoal_ndjson_parse(p, size, a, &ev, &e);
    if (rc == 0) fuzz_check_event(&ev);
    else fuzz_check_reject(rc, &e, size);
    same_as_general(p, size, a, rc, &e, &ev);

    int64_t ms;
    shoal_err_clear(&e);
    rc = shoal_ts_parse(p, size, &ms, &e);
    if (rc == 0) {
        char buf[32];
        int64_t back = 0;
        FUZZ_REQUIRE(ms >= SHOAL_TS_MIN && ms < SHOAL_TS_MAX);
        size_t n = shoal_ts_format(ms, buf);
        FUZZ_REQUIRE(shoal_ts_parse(buf, n, &back, NULL) == 0 && back == ms);
    } else {
        FUZZ_REQUIRE((rc == SHOAL_EFORMAT || rc == SHOAL_ERANGE) && e.code == rc && e.msg[0]);
    }

    int kind;
    int64_t iv;
    double dv;
    rc = shoal_ndjson_number(p, size, &kind, &iv, &dv);
    FUZZ_REQUIRE(rc == 0 || rc == SHOAL_ERANGE || (rc == 1 && (kind == SHOAL_VAL_INT || (kind == SHOAL_VAL_NUM && isfinite(dv)))));

    shoal_input *in = NULL;
    size_t chunk = 1 + size % 13;
    if (shoal_input_open_mem("f.ndjson", p, size, SHOAL_FMT_NDJSON, chunk, &in, NULL) == 0) {
        uint64_t last = 0;
        while ((rc = shoal_input_next(in, a, &ev, &e)) != 0) {
            shoal_str raw = shoal_input_raw(in);
            FUZZ_REQUIRE(shoal_input_line(in) > last);
            FUZZ_REQUIRE(raw.len <= SHOAL_MAX_RECORD);
            last = shoal_input_line(in);
            if (rc == 1) fuzz_check_event(&ev);
            else fuzz_check_reject(rc, &e, raw.len);
        }
        FUZZ_REQUIRE(shoal_input_bytes(in) == size);
        shoal_input_close(in);
    }
    shoal_arena_reset(a);
    return 0;
}
