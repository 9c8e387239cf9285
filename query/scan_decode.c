/* scan_decode.c — the scan's record decoder (scan.h) with the processor's help where
 * it has it: AVX2 looks at the 32 bytes in one load, BMI1 finds the varints' ends
 * (blsr, tzcnt), and BMI2's pext gathers each varint's 7-bit groups in one instruction
 * (some 60 fewer a record than the shifts of scan_decode_sw), and bzhi's mask of none
 * reads an absent group or id length as 0 without a branch. scan_decode_fast calls it
 * when the processor has all three; it takes and refuses the records scan_decode_sw
 * does, with the same fields (tests/unit/test_scan.c). */
#include "scan.h"

_Atomic int shoal_scan_hw = -1;

#if defined(SCAN_FAST_DECODE) && SCAN_FAST_DECODE && defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#if defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define SCAN_GLIBC_FEATURES 1
#endif
#endif
#ifndef SCAN_GLIBC_FEATURES
#include <cpuid.h>
#endif

/* AVX2 (with the system saving the YMM registers), BMI1 and BMI2, once a process and
 * only in a process that decodes the log. glibc (2.33 on) has asked the processor at
 * start already and says what it found (CPU_FEATURE_ACTIVE: present and usable), at
 * no cost; else three cpuid and an xgetbv (OSXSAVE, and XCR0's SSE and AVX state),
 * each cpuid a trip out of a virtual machine (some 10 µs apiece here). Threads that
 * race here store the same answer. */
int shoal_scan_hw_probe(void)
{
    int ok = 0;
#ifdef SCAN_GLIBC_FEATURES
    ok = CPU_FEATURE_ACTIVE(AVX2) && CPU_FEATURE_ACTIVE(BMI1) && CPU_FEATURE_ACTIVE(BMI2);
#else
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid(1, a, b, c, d);
        if ((c & bit_OSXSAVE) && (c & bit_AVX)) {
            unsigned lo, hi;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            (void)hi;
            __cpuid_count(7, 0, a, b, c, d);
            ok = (lo & 6) == 6 && (b & bit_AVX2) && (b & bit_BMI) && (b & bit_BMI2);
        }
    }
#endif
    atomic_store_explicit(&shoal_scan_hw, ok, memory_order_relaxed);
    return ok;
}

/* record v of n bytes whose first 32 are at p (v, or a copy) and whose flags byte is
 * flags (p[0]: a constant where decode_bmi2 calls it for the common flags) */
static inline __attribute__((always_inline, target("bmi,bmi2,avx2"))) int decode_bmi2_at(const unsigned char *v, size_t n,
                                                                                         shoal_rec *rec,
                                                                                         const unsigned char *p,
                                                                                         unsigned flags)
{
    uint32_t cont = (uint32_t)_mm256_movemask_epi8(_mm256_loadu_si256((const __m256i *)(const void *)p));
    uint64_t term = (uint64_t)(~cont >> 1);   /* bit i: byte 1 + i ends a varint */
    uint64_t t1 = _blsr_u64(term), t2 = _blsr_u64(t1), t3 = _blsr_u64(t2), t4 = _blsr_u64(t3);
    /* the ends (32: none) of the time, member, type, group (or id length), id length */
    unsigned e0 = (unsigned)_tzcnt_u64(term | 1ULL << 32), e1 = (unsigned)_tzcnt_u64(t1 | 1ULL << 32),
             e2 = (unsigned)_tzcnt_u64(t2 | 1ULL << 32), e3 = (unsigned)_tzcnt_u64(t3 | 1ULL << 32),
             e4 = (unsigned)_tzcnt_u64(t4 | 1ULL << 32);
    unsigned hg = flags >> 1 & 1, hid = flags & 1;
    unsigned eh = hg ? e3 : e2, ei = hg ? e4 : e3;   /* the header's last field, the id length's end */
    if ((flags & ~7u) || ((flags & 4) && !hid) || e0 > 7 || e1 - e0 > 5 || e2 - e1 > 5 || eh - e2 > 5 ||
        (hid && (ei - eh > 5 || eh > 22)))
        return 0;
    const uint64_t groups = 0x7f7f7f7f7f7f7f7fULL;
    uint64_t x = _pext_u64(scan_ld8(p + 1), _bzhi_u64(groups, 8 * (e0 + 1)));
    uint64_t m = _pext_u64(scan_ld8(p + 2 + e0), _bzhi_u64(groups, 8 * (e1 - e0)));
    uint64_t t = _pext_u64(scan_ld8(p + 2 + e1), _bzhi_u64(groups, 8 * (e2 - e1)));
    uint64_t g = _pext_u64(scan_ld8(p + 2 + e2), _bzhi_u64(groups, 8 * (e3 - e2) * hg));
    uint64_t il = _pext_u64(scan_ld8(p + 2 + eh), _bzhi_u64(groups, 8 * (ei - eh) * hid));
    size_t end = hid ? 2 + ei + il : 2 + eh;
    if (m == 0 || t == 0 || ((m | t | g) >> 32) || (hg && g == 0) || end > n) return 0;
    rec->ts = shoal_unzigzag(x);
    rec->member = (uint32_t)m;
    rec->type = (uint32_t)t;
    rec->group = (uint32_t)g;
    rec->has_id = (int)hid;
    rec->id_num = (flags & SHOAL_REC_ID_NUM) != 0;
    rec->id.ptr = hid ? (const char *)v + 2 + ei : NULL;
    rec->id.len = (uint32_t)il;
    rec->props = v + end;
    rec->end = v + n;
    return 1;
}

/* A record with an id made of a prefix and a number and a group, the flags of most of
 * a log fed by a counter (the bench's every record), goes through a copy of the decoder
 * made for those flags (the choices on them made once, at compile time), the same
 * code otherwise (tests/unit/test_scan.c makes records of every flag). */
static inline __attribute__((always_inline, target("bmi,bmi2,avx2"))) int decode_bmi2(const unsigned char *v, size_t n,
                                                                                      shoal_rec *rec)
{
    unsigned char buf[32];
    const unsigned char *p = v;
    if (n < 4) return 0;   /* (an empty value may point past its page) */
    if (((uintptr_t)v & 4095) > 4096 - 32) {   /* (as scan_decode_sw) */
        memset(buf, 0, sizeof buf);
        memcpy(buf, v, n < 32 ? n : 32);
        p = buf;
    }
    enum { COMMON = SHOAL_REC_HAS_ID | SHOAL_REC_HAS_GROUP | SHOAL_REC_ID_NUM };
    return p[0] == COMMON ? decode_bmi2_at(v, n, rec, p, COMMON) : decode_bmi2_at(v, n, rec, p, p[0]);
}

__attribute__((target("bmi,bmi2,avx2"))) int shoal_scan_decode_bmi2(const unsigned char *v, size_t n, shoal_rec *rec)
{
    return decode_bmi2(v, n, rec);
}

__attribute__((target("bmi,bmi2,avx2"))) unsigned shoal_scan_page_bmi2(const unsigned char *pg, unsigned i, unsigned n,
                                                                      unsigned ps, shoal_rec *recs, unsigned max,
                                                                      uint64_t to)
SCAN_PAGE_BODY(decode_bmi2)
#else
int shoal_scan_decode_bmi2(const unsigned char *v, size_t n, shoal_rec *rec) { return scan_decode_sw(v, n, rec); }
unsigned shoal_scan_page_bmi2(const unsigned char *pg, unsigned i, unsigned n, unsigned ps, shoal_rec *recs,
                              unsigned max, uint64_t to)
{
    return scan_page_sw(pg, i, n, ps, recs, max, to);
}
int shoal_scan_hw_probe(void)
{
    atomic_store_explicit(&shoal_scan_hw, 0, memory_order_relaxed);
    return 0;
}
#endif
