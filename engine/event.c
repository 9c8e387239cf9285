/* event.c — rules every event obeys before it may enter the log, and its key.
 *
 * Readers produce events in string form; shoal_event_check is the one gate that
 * enforces the limits and field rules, whatever the input format, and
 * shoal_event_key gives the idempotency key that the id index stores.
 */
#include "shoal_int.h"

#include <math.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Whether s[0..n) is ASCII alone: its bytes or'ed a word at a time, the last word (or
 * half or quarter word, or three bytes: first, middle, last) overlapping the ones
 * before, so that every byte is read and no branch is taken a byte. Names and ids are
 * mostly a few ASCII bytes, which a loop took a byte a turn (300 instructions an
 * event, 8% of the reading thread's, at 1M events of `shoal gen`), and a word, half,
 * quarter word and byte in turn 25 a name. */
static inline bool ascii_only(const unsigned char *s, size_t n)
{
    uint64_t acc, w8, v8;
    uint32_t w4, v4;
    if (n >= 8) {
        acc = 0;
        for (size_t i = 0; n - i > 8; i += 8) memcpy(&w8, s + i, 8), acc |= w8;
        memcpy(&v8, s + n - 8, 8);
        acc |= v8;
    } else if (n >= 4) {
        memcpy(&w4, s, 4), memcpy(&v4, s + n - 4, 4);
        acc = w4 | v4;
    } else {
        acc = n ? s[0] | s[n / 2] | s[n - 1] : 0;
    }
    return !(acc & 0x8080808080808080ULL);
}

bool shoal_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + n;
    if (ascii_only(s, n)) return true;
    while (s < end) {
        /* ASCII runs are the common case: take them 8 bytes at a time. */
        while (end - s >= 8) {
            uint64_t w;
            memcpy(&w, s, 8);
            if (w & 0x8080808080808080ULL) break;
            s += 8;
        }
        if (s >= end) break;
        unsigned c = *s;
        if (c < 0x80) {
            s++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1; cp = c & 0x1F; min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2; cp = c & 0x0F; min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3; cp = c & 0x07; min = 0x10000;
        } else {
            return false;
        }
        if ((size_t)(end - s) <= k) return false;
        for (size_t i = 1; i <= k; i++) {
            if ((s[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        s += k + 1;
    }
    return true;
}

bool shoal_num_is_int(double d, int64_t *out)
{
    /* 2^63 itself does not fit; every integral double below it in magnitude does. */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
    if (d != floor(d)) return false;
    *out = (int64_t)d;
    return true;
}

/* Names an input record gives to event fields, and the columns the language reads
 * from every event (query/plan.c, event_column: `seq` is the log sequence). The
 * language matches its columns in any case, so a property "Type" or "SEQ" could be
 * stored but never read back: all of these are refused as property names, the
 * language's columns in any case. */
/* exact: "id", "props", "properties"; in any case (ASCII): "seq", "ts", "member",
 * "type", "group". */

/* Whether s[0..n) is lower (lowercase ASCII letters) in any case: a byte | 0x20 is a
 * lowercase letter only when it is that letter in either case. */
static bool any_case(const char *s, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] | 0x20) != (unsigned char)lower[i]) return false;
    return true;
}

/* By length first: called twice for every property of every event read (ndjson.c and
 * shoal_event_check), the loops over the names with strlen and strncasecmp were 5% of
 * the reading thread's instructions. test_engine's reserved_names compares it with the
 * names' list. */
bool shoal_prop_reserved(const char *s, size_t n)
{
    switch (n) {
    case 2: return (s[0] == 'i' && s[1] == 'd') || any_case(s, "ts", 2);
    case 3: return any_case(s, "seq", 3);
    case 4: return any_case(s, "type", 4);
    case 5: return memcmp(s, "props", 5) == 0 || any_case(s, "group", 5);
    case 6: return any_case(s, "member", 6);
    case 10: return memcmp(s, "properties", 10) == 0;
    default: return false;
    }
}

static bool is_reserved(shoal_str k) { return shoal_prop_reserved(k.ptr, k.len); }

static int check_name(const char *what, shoal_str s, shoal_err *err)
{
    if (s.len == 0) return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "empty \"%s\"", what);
    if (s.len > SHOAL_MAX_NAME)
        return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "\"%s\" is longer than %d bytes", what, SHOAL_MAX_NAME);
    if (!shoal_utf8_valid(s.ptr, s.len))
        return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "invalid UTF-8 in \"%s\"", what);
    return SHOAL_OK;
}

/* Whether s has 1 to max bytes, all ASCII: a name every check below passes. */
static inline bool plain_name(shoal_str s, uint32_t max)
{
    return s.len - 1 < max && ascii_only((const unsigned char *)s.ptr, s.len);
}

int shoal_event_check(const shoal_event *ev, shoal_err *err)
{
    int rc;
    /* The usual event's fields (an id and names of ASCII alone within their limits, the
     * time in range) pass every check of them, here at once without the calls (the
     * checks one by one were 275 instructions an event of the reading thread, 9% of
     * it); any other goes through them for its message. */
    if (ev->has_id && plain_name(ev->id, SHOAL_MAX_ID) && ev->ts >= SHOAL_TS_MIN && ev->ts < SHOAL_TS_MAX &&
        plain_name(ev->member, SHOAL_MAX_NAME) && plain_name(ev->type, SHOAL_MAX_NAME) &&
        (!ev->group.ptr || plain_name(ev->group, SHOAL_MAX_NAME)))
        goto props;
    if (ev->has_id) {
        if (ev->id.len == 0) return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "empty \"id\"");
        if (ev->id.len > SHOAL_MAX_ID)
            return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "\"id\" is longer than %d bytes", SHOAL_MAX_ID);
        if (!shoal_utf8_valid(ev->id.ptr, ev->id.len))
            return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "invalid UTF-8 in \"id\"");
    }
    if (ev->ts < SHOAL_TS_MIN || ev->ts >= SHOAL_TS_MAX)
        return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "timestamp out of range (1900 to 2199)");
    if ((rc = check_name("member", ev->member, err))) return rc;
    if ((rc = check_name("type", ev->type, err))) return rc;
    if (ev->group.ptr && (rc = check_name("group", ev->group, err))) return rc;
props:
    if (ev->n_props > SHOAL_MAX_PROPS)
        return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "too many properties (%u, at most %d)", ev->n_props,
                             SHOAL_MAX_PROPS);
    for (uint32_t i = 0; i < ev->n_props; i++) {
        const shoal_prop *p = &ev->props[i];
        if ((rc = check_name("property name", p->key, err))) return rc;
        if (is_reserved(p->key))
            return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "property \"%.*s\" is a reserved name", (int)p->key.len,
                                 p->key.ptr);
        for (uint32_t j = 0; j < i; j++)
            if (ev->props[j].key.len == p->key.len && memcmp(ev->props[j].key.ptr, p->key.ptr, p->key.len) == 0)
                return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "duplicate property \"%.*s\"", (int)p->key.len,
                                     p->key.ptr);
        switch (p->kind) {
        case SHOAL_VAL_BOOL:
        case SHOAL_VAL_INT:
            break;
        case SHOAL_VAL_NUM:
            if (!isfinite(p->v.d))
                return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "property \"%.*s\" is not a finite number",
                                     (int)p->key.len, p->key.ptr);
            break;
        case SHOAL_VAL_STR:
            if (p->v.s.len > SHOAL_MAX_STRVAL)
                return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "property \"%.*s\" is longer than %d bytes",
                                     (int)p->key.len, p->key.ptr, SHOAL_MAX_STRVAL);
            if (!shoal_utf8_valid(p->v.s.ptr, p->v.s.len))
                return shoal_err_set(err, SHOAL_EFORMAT, -1, -1, "invalid UTF-8 in property \"%.*s\"",
                                     (int)p->key.len, p->key.ptr);
            break;
        default:
            return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "property \"%.*s\" has an unknown kind %d",
                                 (int)p->key.len, p->key.ptr, p->kind);
        }
    }
    return SHOAL_OK;
}

static int cmp_str(shoal_str a, shoal_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

static void hash_str(XXH3_state_t *st, shoal_str s)
{
    uint32_t n = s.len;
    XXH3_128bits_update(st, &n, sizeof n);
    if (n) XXH3_128bits_update(st, s.ptr, n);
}

/* The canonical form hashed for an event without id: every field length-prefixed,
 * properties sorted by name and numbers canonical (2.0 hashes as the integer 2),
 * so that the same event read from NDJSON, CSV or `shoal log` has the same key.
 * The timestamp leads the key, big-endian with the sign bit flipped so that keys sort
 * by time, and the 128-bit hash makes a collision of distinct events at the same
 * millisecond negligible (about 2^-64 even for billions of them). */
size_t shoal_event_key(const shoal_event *ev, unsigned char *out)
{
    XXH128_hash_t h;
    if (ev->has_id) {
        out[0] = 'i';
        memcpy(out + 1, ev->id.ptr, ev->id.len);
        return 1 + ev->id.len;
    } else {
        XXH3_state_t st;
        XXH3_INITSTATE(&st);
        XXH3_128bits_reset(&st);
        XXH3_128bits_update(&st, &ev->ts, sizeof ev->ts);
        hash_str(&st, ev->member);
        hash_str(&st, ev->type);
        unsigned char g = ev->group.ptr != NULL;
        XXH3_128bits_update(&st, &g, 1);
        if (g) hash_str(&st, ev->group);
        const shoal_prop *order[SHOAL_MAX_PROPS];
        uint32_t n = ev->n_props < SHOAL_MAX_PROPS ? ev->n_props : SHOAL_MAX_PROPS;
        for (uint32_t i = 0; i < n; i++) {
            const shoal_prop *p = &ev->props[i];
            uint32_t j = i;
            while (j > 0 && cmp_str(order[j - 1]->key, p->key) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = p;
        }
        for (uint32_t i = 0; i < n; i++) {
            const shoal_prop *p = order[i];
            hash_str(&st, p->key);
            unsigned char tag;
            int64_t iv;
            switch (p->kind) {
            case SHOAL_VAL_BOOL:
                tag = p->v.b ? SHOAL_TAG_TRUE : SHOAL_TAG_FALSE;
                XXH3_128bits_update(&st, &tag, 1);
                break;
            case SHOAL_VAL_INT:
            case SHOAL_VAL_NUM:
                if (p->kind == SHOAL_VAL_INT || shoal_num_is_int(p->v.d, &iv)) {
                    if (p->kind == SHOAL_VAL_INT) iv = p->v.i;
                    tag = SHOAL_TAG_INT;
                    XXH3_128bits_update(&st, &tag, 1);
                    XXH3_128bits_update(&st, &iv, sizeof iv);
                } else {
                    tag = SHOAL_TAG_NUM;
                    XXH3_128bits_update(&st, &tag, 1);
                    XXH3_128bits_update(&st, &p->v.d, sizeof p->v.d);
                }
                break;
            default:
                tag = SHOAL_TAG_STRINL;
                XXH3_128bits_update(&st, &tag, 1);
                hash_str(&st, p->v.s);
                break;
            }
        }
        h = XXH3_128bits_digest(&st);
    }
    out[0] = 'h';
    shoal_be64_put(out + 1, (uint64_t)ev->ts ^ 0x8000000000000000ULL);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    memcpy(out + 9, c.digest, 16);
    return 25;
}

/* An id of 8 bytes or more whose trailing digits are fewer than 8, or all of it (the
 * commonest: "e-1234567"), is read from its last 8 bytes as a word: which bytes are
 * digits, and the number they make (the leading bytes taken as '0'), in a few
 * multiplies (the loops below were 134 instructions an id on the reading thread,
 * which makes the id index's key of every event). test_engine's id_numbers compares
 * it with the loops. */
static bool id_number8(const unsigned char *s, uint32_t n, uint32_t *prefix, uint64_t *num, bool *done)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, s + n - 8, 8);   /* s[n - 1] is the top byte */
    /* a byte's high nibble not 3, or its low nibble above 9: not a digit */
    uint64_t x = ((w & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL) |
                 (((w & 0x0F0F0F0F0F0F0F0FULL) + 0x0606060606060606ULL) & 0x1010101010101010ULL);
    uint64_t nd = (((x & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL) | x) & 0x8080808080808080ULL;
    uint32_t digits = nd ? (uint32_t)__builtin_clzll(nd) / 8 : 8;
    if (digits == 8 && n > 8) return false;   /* more digits before: the loops */
    *done = true;
    if (digits < 2 || s[n - digits] == '0') return false;
    uint64_t keep = ~0ULL << (8 * (8 - digits)), v = (w & keep) | (0x3030303030303030ULL & ~keep);
    v = (v & 0x0F0F0F0F0F0F0F0FULL) * 2561 >> 8;
    v = (v & 0x00FF00FF00FF00FFULL) * 6553601 >> 16;
    v = (v & 0x0000FFFF0000FFFFULL) * 42949672960001ULL >> 32;
    *prefix = n - digits;
    *num = v;
    return true;
#else
    (void)s, (void)n, (void)prefix, (void)num, (void)done;
    return false;
#endif
}

bool shoal_id_number(shoal_str id, uint32_t *prefix, uint64_t *num)
{
    const unsigned char *s = (const unsigned char *)id.ptr;
    uint32_t n = id.len, d = n;
    if (n >= 8) {
        bool done = false, r = id_number8(s, n, prefix, num, &done);
        if (done) return r;
    }
    while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9') d--;
    uint32_t digits = n - d;
    if (digits < 2 || digits > 18 || s[d] == '0') return false;
    uint64_t v = 0;
    for (uint32_t i = d; i < n; i++) v = v * 10 + (uint64_t)(s[i] - '0');
    *prefix = d;
    *num = v;
    return true;
}

size_t shoal_db_event_key(const shoal_db *db, const shoal_event *ev, unsigned char *out)
{
    uint32_t d;
    uint64_t v;
    if (!db->idkeys2 || !ev->has_id || !shoal_id_number(ev->id, &d, &v)) return shoal_event_key(ev, out);
    unsigned b = 1;
    while (b < 8 && (v >> (8 * b))) b++;
    out[0] = (unsigned char)(SHOAL_IDKEY_NUM + b);
    memcpy(out + 1, ev->id.ptr, d);
    for (unsigned i = 0; i < b; i++) out[1 + d + i] = (unsigned char)(v >> (8 * (b - 1 - i)));
    return 1 + d + b;
}
