/* scan_decode.c — the scan's record decoder (scan.h) with BMI2's pext gathering each
 * varint's 7-bit groups in one instruction (about 60 fewer a record than the shifts of
 * scan_decode_sw); scan_decode_fast calls it when the processor has BMI2. */
#include "scan.h"

#if defined(SCAN_FAST_DECODE) && SCAN_FAST_DECODE && defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define PEXT8(x) _pext_u64((x), 0x7f7f7f7f7f7f7f7fULL)

__attribute__((target("bmi2"))) int shoal_scan_decode_bmi2(const unsigned char *v, size_t n, shoal_rec *rec)
SCAN_DECODE_BODY(PEXT8, PEXT8)
#else
int shoal_scan_decode_bmi2(const unsigned char *v, size_t n, shoal_rec *rec) { return scan_decode_sw(v, n, rec); }
#endif
