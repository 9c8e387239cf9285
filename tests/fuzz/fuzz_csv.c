/* fuzz_csv.c — libFuzzer harness for the CSV reader: the first byte picks the chunk
 * size the bytes reach the framer in, the rest is the file (header and records).
 * Every event and rejection must meet fuzz_check.h, and the whole input is consumed. */
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static shoal_arena *a;
    shoal_input *in = NULL;
    shoal_event ev;
    shoal_err e;
    if (!a) a = shoal_arena_new();
    if (size == 0) return 0;

    size_t chunk = data[0] & 0x80 ? 0 : 1 + data[0] % 64;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    shoal_err_clear(&e);
    int rc = shoal_input_open_mem("f.csv", p, n, SHOAL_FMT_AUTO, chunk, &in, &e);
    if (rc) {
        FUZZ_REQUIRE(rc == SHOAL_EFORMAT && e.code == rc && e.msg[0] && in == NULL);
        return 0;
    }
    uint64_t last = 0;
    while ((rc = shoal_input_next(in, a, &ev, &e)) != 0) {
        shoal_str raw = shoal_input_raw(in);
        FUZZ_REQUIRE(shoal_input_line(in) > last);
        FUZZ_REQUIRE(raw.len <= n);
        last = shoal_input_line(in);
        if (rc == 1) fuzz_check_event(&ev);
        else fuzz_check_reject(rc, &e, raw.len);
    }
    FUZZ_REQUIRE(shoal_input_bytes(in) == n);
    shoal_input_close(in);
    shoal_arena_reset(a);
    return 0;
}
