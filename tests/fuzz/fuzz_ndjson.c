/* fuzz_ndjson.c — libFuzzer harness for the NDJSON reader: the bytes as one line for
 * shoal_ndjson_parse, the same bytes as a timestamp and a number, then as a whole
 * NDJSON input framed in small chunks. Every result must meet fuzz_check.h. */
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
