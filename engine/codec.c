/* codec.c — the packed form of a log record, and its lazy decoder.
 *
 * A record is: flags byte; zigzag varint ts; varint member, type, [group];
 * [varint id length, id bytes]; then properties to the end, each a varint
 * (key_id << 3 | tag) followed by its value, sorted by key id. Header decoding is all
 * a scan pays for; properties are decoded only when a query asks for one.
 */
#include "shoal_int.h"

size_t shoal_codec_bound(const shoal_ievent *ev)
{
    size_t n = 1 + 10 + 5 * 3 + 5 + 10 + ev->id.len;   /* 10: a numeric id's difference */
    for (uint32_t i = 0; i < ev->n_props; i++) {
        const shoal_rprop *p = &ev->props[i];
        n += 10 + 10;
        if (p->kind == SHOAL_VAL_STR && p->v.s.id == 0) n += p->v.s.inl.len;
    }
    return n;
}

size_t shoal_codec_encode(const shoal_ievent *ev, unsigned char *p)
{
    unsigned char *s = p;
    uint32_t pre = 0;
    uint64_t num = 0;
    bool id_num = false;
    if (ev->has_id && ev->id_seq) {
        const unsigned char *k = ev->id_key;
        if (!k) {
            id_num = shoal_id_number(ev->id, &pre, &num);
        } else if (ev->id_klen >= 2 && k[0] > SHOAL_IDKEY_NUM && k[0] - SHOAL_IDKEY_NUM <= 8 &&
                   (uint32_t)(k[0] - SHOAL_IDKEY_NUM) < ev->id_klen) {
            /* a numeric key: its byte, the id's prefix, the number's b bytes (event.c) */
            unsigned b = k[0] - SHOAL_IDKEY_NUM;
            pre = ev->id_klen - 1 - b;
            for (uint32_t i = 1 + pre; i < ev->id_klen; i++) num = num << 8 | k[i];
            id_num = true;
        }
    }
    *p++ = (unsigned char)((ev->has_id ? SHOAL_REC_HAS_ID : 0) | (ev->group ? SHOAL_REC_HAS_GROUP : 0) |
                           (id_num ? SHOAL_REC_ID_NUM : 0));
    p += shoal_varint_put(p, shoal_zigzag(ev->ts));
    p += shoal_varint_put(p, ev->member);
    p += shoal_varint_put(p, ev->type);
    if (ev->group) p += shoal_varint_put(p, ev->group);
    if (id_num) {
        /* "e-1234567" at sequence 1234567: 4 bytes, not 10. */
        unsigned char d[10];
        size_t nd = shoal_varint_put(d, shoal_zigzag((int64_t)(num - ev->id_seq)));
        p += shoal_varint_put(p, nd + pre);
        memcpy(p, d, nd);
        memcpy(p + nd, ev->id.ptr, pre);
        p += nd + pre;
    } else if (ev->has_id) {
        p += shoal_varint_put(p, ev->id.len);
        memcpy(p, ev->id.ptr, ev->id.len);
        p += ev->id.len;
    }
    for (uint32_t i = 0; i < ev->n_props; i++) {
        const shoal_rprop *q = &ev->props[i];
        uint64_t key = (uint64_t)q->key << 3;
        switch (q->kind) {
        case SHOAL_VAL_BOOL:
            p += shoal_varint_put(p, key | (q->v.b ? SHOAL_TAG_TRUE : SHOAL_TAG_FALSE));
            break;
        case SHOAL_VAL_INT:
            p += shoal_varint_put(p, key | SHOAL_TAG_INT);
            p += shoal_varint_put(p, shoal_zigzag(q->v.i));
            break;
        case SHOAL_VAL_NUM:
            p += shoal_varint_put(p, key | SHOAL_TAG_NUM);
            memcpy(p, &q->v.d, 8);
            p += 8;
            break;
        default:
            if (q->v.s.id) {
                p += shoal_varint_put(p, key | SHOAL_TAG_STRID);
                p += shoal_varint_put(p, q->v.s.id);
            } else {
                p += shoal_varint_put(p, key | SHOAL_TAG_STRINL);
                p += shoal_varint_put(p, q->v.s.inl.len);
                memcpy(p, q->v.s.inl.ptr, q->v.s.inl.len);
                p += q->v.s.inl.len;
            }
            break;
        }
    }
    return (size_t)(p - s);
}

/* Decodes the property at *pp; returns false when the record is malformed. */
static bool next_prop(const unsigned char **pp, const unsigned char *end, shoal_rprop *out)
{
    const unsigned char *p = *pp;
    uint64_t v, w;
    size_t k;
    if (!(k = shoal_varint_get(p, end, &v))) return false;
    p += k;
    uint64_t key = v >> 3;
    if (key == 0 || key > UINT32_MAX) return false;
    out->key = (uint32_t)key;
    switch (v & 7) {
    case SHOAL_TAG_FALSE:
    case SHOAL_TAG_TRUE:
        out->kind = SHOAL_VAL_BOOL;
        out->v.b = (v & 7) == SHOAL_TAG_TRUE;
        break;
    case SHOAL_TAG_INT:
        if (!(k = shoal_varint_get(p, end, &w))) return false;
        p += k;
        out->kind = SHOAL_VAL_INT;
        out->v.i = shoal_unzigzag(w);
        break;
    case SHOAL_TAG_NUM:
        if (end - p < 8) return false;
        out->kind = SHOAL_VAL_NUM;
        memcpy(&out->v.d, p, 8);
        p += 8;
        break;
    case SHOAL_TAG_STRID:
        if (!(k = shoal_varint_get(p, end, &w)) || w == 0 || w > UINT32_MAX) return false;
        p += k;
        out->kind = SHOAL_VAL_STR;
        out->v.s.id = (uint32_t)w;
        out->v.s.inl.ptr = NULL;
        out->v.s.inl.len = 0;
        break;
    case SHOAL_TAG_STRINL:
        if (!(k = shoal_varint_get(p, end, &w)) || w > (uint64_t)(end - p - k)) return false;
        p += k;
        out->kind = SHOAL_VAL_STR;
        out->v.s.id = 0;
        out->v.s.inl.ptr = (const char *)p;
        out->v.s.inl.len = (uint32_t)w;
        p += w;
        break;
    default:
        return false;
    }
    *pp = p;
    return true;
}

int shoal_rec_props(const shoal_rec *rec, shoal_rprop *out, int max)
{
    const unsigned char *p = rec->props;
    int n = 0;
    while (p < rec->end) {
        shoal_rprop tmp;
        if (!next_prop(&p, rec->end, n < max ? &out[n] : &tmp)) return SHOAL_ECORRUPT;
        n++;
    }
    return n;
}

int shoal_rec_prop(const shoal_rec *rec, uint32_t key, shoal_rprop *out)
{
    const unsigned char *p = rec->props;
    while (p < rec->end) {
        if (!next_prop(&p, rec->end, out)) return SHOAL_ECORRUPT;
        if (out->key == key) return 1;
        if (out->key > key) return 0;   /* sorted by key id */
    }
    return 0;
}
