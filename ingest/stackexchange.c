/* stackexchange.c — the Stack Exchange dump adapter: a dump directory (Users, Posts,
 * Comments, Votes, Badges, PostLinks) into events, first pipeline stage beside the
 * NDJSON and CSV readers; the events go through the same batcher (batch.h).
 *
 * XML files are streamed with expat (one <row .../> element per source row); Posts
 * is Posts.xml when present, else a CSV conversion with the dump's column names.
 * Every source row becomes at most a few events whose ids derive from the dump's own
 * ids ("se-post-123"), so importing twice adds nothing. A row that is malformed, or
 * whose event cannot be placed (no member, a post not in the dump), is rejected with
 * file:line and a reason. docs/FORMATS.md documents every mapping decision.
 */
#include "shoal_int.h"
#include "batch.h"
#include "input.h"

#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* No dump id is this: the empty slot of the id maps, and "no user" in post owners. */
#define NONE INT64_MIN
/* The Community bot's user id in every Stack Exchange dump. */
#define COMMUNITY (-1)
/* A question's owner is a newcomer when they joined at most this long before asking
 * (the brief's "N days"; 30 matches the engine's "last 30 days" window). */
#define NEWCOMER_MS (30LL * 86400000)
/* Columns of a Posts CSV row we look at are among its first few dozen; more is an
 * export we do not know, and the row is rejected for its field count anyway. */
#define MAX_CSV_COLS 64
/* Expat reads in pieces of this size; like input.c's chunk. */
#define XML_CHUNK (1 << 20)

/* ---------------------------------------------------------------- id maps */

/* Open addressing from a dump id to an index into an array; linear probing at a load
 * factor of at most 1/2. Dumps number users and posts densely enough that a
 * multiplicative hash spreads them well. */
typedef struct imap {
    int64_t *keys;
    uint32_t *vals;
    size_t cap, n;
} imap;

static size_t imap_slot(const imap *h, int64_t k)
{
    uint64_t x = (uint64_t)k * 0x9e3779b97f4a7c15ULL;
    size_t i = (size_t)(x >> 17) & (h->cap - 1);
    while (h->keys[i] != NONE && h->keys[i] != k) i = (i + 1) & (h->cap - 1);
    return i;
}

static uint32_t *imap_get(const imap *h, int64_t k)
{
    /* NONE is the key of every empty slot: looking it up (an answer without a
     * ParentId) must find nothing, not an empty slot's garbage value. */
    if (!h->cap || k == NONE) return NULL;
    size_t i = imap_slot(h, k);
    return h->keys[i] == k ? &h->vals[i] : NULL;
}

static int imap_put(imap *h, int64_t k, uint32_t v)
{
    if (2 * (h->n + 1) > h->cap) {
        imap o = *h;
        size_t cap = o.cap ? 2 * o.cap : 4096;
        h->keys = shoal_malloc(cap * sizeof *h->keys);
        h->vals = shoal_malloc(cap * sizeof *h->vals);
        if (!h->keys || !h->vals) {
            shoal_free(h->keys);
            shoal_free(h->vals);
            *h = o;
            return SHOAL_ENOMEM;
        }
        h->cap = cap;
        h->n = 0;
        for (size_t i = 0; i < cap; i++) h->keys[i] = NONE;
        for (size_t i = 0; i < o.cap; i++)
            if (o.keys[i] != NONE) {
                size_t j = imap_slot(h, o.keys[i]);
                h->keys[j] = o.keys[i];
                h->vals[j] = o.vals[i];
                h->n++;
            }
        shoal_free(o.keys);
        shoal_free(o.vals);
    }
    size_t i = imap_slot(h, k);
    if (h->keys[i] != k) h->n++;
    h->keys[i] = k;
    h->vals[i] = v;
    return SHOAL_OK;
}

static void imap_free(imap *h)
{
    shoal_free(h->keys);
    shoal_free(h->vals);
}

/* ---------------------------------------------------------------- state */

typedef struct user {
    int64_t join;         /* Users.xml CreationDate, NONE when not in Users.xml */
    int64_t first_ts;     /* earliest question or answer, NONE when none */
    int64_t first_id;     /* its post id */
} user;

typedef struct post {
    int64_t id, ts, owner, parent, accepted;
    int64_t accept_ts;    /* day of the AcceptedByOriginator vote on this answer, or NONE */
    uint32_t tag_off, tag_len;   /* first tag, in imp.tags (questions) */
    int type;
} post;

/* One source row, from XML attributes or CSV fields. */
typedef struct row {
    uint64_t line;
    const char **attrs;        /* XML: name, value, …, NULL */
    const shoal_str *f;        /* CSV fields, named by hdr */
    const shoal_str *hdr;
    uint32_t n_f;
    shoal_str raw;             /* CSV: the record's text */
} row;

typedef struct imp imp;
typedef int (*row_fn)(imp *m, const row *r);

struct imp {
    shoal_db *db;
    const shoal_ingest_opts *opts;
    shoal_ingest_stats *st;
    shoal_batch *b;
    shoal_err *err;
    char name[4096];           /* path of the file being read, for rejects */
    int counting;              /* this pass counts rows and bytes (not the index pass) */
    imap uix, pix;
    user *users;
    size_t n_users, cap_users;
    post *posts;
    size_t n_posts, cap_posts;
    char *tags;
    size_t n_tags, cap_tags;
    char *raw;                 /* scratch: an XML row rebuilt for the reject file */
    size_t cap_raw;
    XML_Parser xp;
    row_fn fn;
    int rc;                    /* first error raised inside an expat callback */
};

static int nomem(imp *m) { return shoal_err_set(m->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

/* ---------------------------------------------------------------- rows */

static shoal_str row_get(const row *r, const char *name)
{
    shoal_str s = {NULL, 0};
    if (r->attrs) {
        for (const char **a = r->attrs; a[0]; a += 2)
            if (!strcmp(a[0], name)) {
                s.ptr = a[1];
                s.len = (uint32_t)strlen(a[1]);
                break;
            }
    } else {
        size_t n = strlen(name);
        for (uint32_t k = 0; k < r->n_f; k++)
            if (r->hdr[k].len == n && !memcmp(r->hdr[k].ptr, name, n)) {
                s = r->f[k];
                break;
            }
    }
    /* Empty is absent, as in the CSV reader: the dump writes no empty attributes, and
     * its CSV conversion writes an empty field for a missing one. */
    if (s.len == 0) s.ptr = NULL;
    return s;
}

/* An integer id or count: an optional minus and at most 18 digits. */
static int parse_int(shoal_str s, int64_t *out)
{
    uint32_t i = s.len && s.ptr[0] == '-';
    int64_t v = 0;
    if (!s.ptr || i == s.len || s.len - i > 18) return 0;
    for (; i < s.len; i++) {
        unsigned d = (unsigned)(s.ptr[i] - '0');
        if (d > 9) return 0;
        v = v * 10 + d;
    }
    *out = s.ptr[0] == '-' ? -v : v;
    return 1;
}

/* Grows the raw scratch to hold at least n bytes. */
static int raw_reserve(imp *m, size_t n)
{
    if (n <= m->cap_raw) return SHOAL_OK;
    size_t cap = m->cap_raw ? m->cap_raw : 1024;
    while (cap < n) cap *= 2;
    char *p = shoal_realloc(m->raw, cap);
    if (!p) return SHOAL_ENOMEM;
    m->raw = p;
    m->cap_raw = cap;
    return SHOAL_OK;
}

/* The row's text for the reject file: the CSV record, or the XML element rebuilt from
 * its attributes (expat hands out values, not the bytes they came from). */
static int row_raw(imp *m, const row *r, shoal_str *out)
{
    if (!r->attrs) {
        *out = r->raw;
        return SHOAL_OK;
    }
    size_t need = 8;
    for (const char **a = r->attrs; a[0]; a += 2) need += strlen(a[0]) + 6 * strlen(a[1]) + 4;
    if (raw_reserve(m, need)) return nomem(m);
    char *o = m->raw;
    o += sprintf(o, "<row");
    for (const char **a = r->attrs; a[0]; a += 2) {
        o += sprintf(o, " %s=\"", a[0]);
        for (const char *c = a[1]; *c; c++) {
            switch (*c) {
            case '&': o += sprintf(o, "&amp;"); break;
            case '<': o += sprintf(o, "&lt;"); break;
            case '>': o += sprintf(o, "&gt;"); break;
            case '"': o += sprintf(o, "&quot;"); break;
            case '\n': o += sprintf(o, "&#xA;"); break;
            case '\r': o += sprintf(o, "&#xD;"); break;
            default: *o++ = *c;
            }
        }
        *o++ = '"';
    }
    o += sprintf(o, " />");
    out->ptr = m->raw;
    out->len = (uint32_t)(o - m->raw);
    return SHOAL_OK;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
reject(imp *m, const row *r, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    shoal_str raw;
    int rc = row_raw(m, r, &raw);
    if (rc) return rc;
    return shoal_batch_reject(m->b, m->name, r->line, reason, raw, m->err);
}

/* Rejects the row for a missing or malformed required attribute. */
static int reject_field(imp *m, const row *r, const char *what, const char *field, shoal_str v)
{
    char q[200];
    if (!v.ptr) return reject(m, r, "%s: missing %s", what, field);
    return reject(m, r, "%s: %s \"%s\" is not an integer", what, field, shoal_err_quote(q, sizeof q, v.ptr, v.len));
}

static int get_int(const row *r, const char *field, int64_t *out) { return parse_int(row_get(r, field), out); }

/* Parses the row's timestamp field; 0 when absent or bad, with the reason in why. */
static int get_ts(const row *r, const char *field, int64_t *out, shoal_err *why)
{
    shoal_str s = row_get(r, field);
    shoal_err_clear(why);
    if (!s.ptr) {
        shoal_err_set(why, SHOAL_EFORMAT, -1, -1, "missing %s", field);
        return 0;
    }
    /* Dump times carry no offset and are UTC by the dump's definition. */
    return shoal_ts_parse_ex(s.ptr, s.len, SHOAL_TS_NAIVE, out, NULL, why) == SHOAL_OK;
}

/* ---------------------------------------------------------------- events */

/* Starts an event in the batcher's slot: id "se-KIND-ID", member "u-MEMBER". */
static int ev_begin(imp *m, const char *kind, int64_t id, int64_t ts, int64_t member, const char *type,
                    shoal_event **out)
{
    shoal_arena *a = shoal_batch_arena(m->b);
    shoal_event *ev = shoal_batch_slot(m->b);
    char buf[64];
    memset(ev, 0, sizeof *ev);
    int n = snprintf(buf, sizeof buf, "se-%s-%lld", kind, (long long)id);
    ev->has_id = 1;
    ev->id.ptr = shoal_arena_strndup(a, buf, (size_t)n);
    ev->id.len = (uint32_t)n;
    n = snprintf(buf, sizeof buf, "u-%lld", (long long)member);
    ev->member.ptr = shoal_arena_strndup(a, buf, (size_t)n);
    ev->member.len = (uint32_t)n;
    ev->type.ptr = type;
    ev->type.len = (uint32_t)strlen(type);
    ev->ts = ts;
    ev->props = shoal_arena_alloc(a, 10 * sizeof *ev->props);
    if (!ev->id.ptr || !ev->member.ptr || !ev->props) return nomem(m);
    *out = ev;
    return SHOAL_OK;
}

static shoal_prop *prop(shoal_event *ev, const char *key, int kind)
{
    shoal_prop *p = &ev->props[ev->n_props++];
    p->key.ptr = key;
    p->key.len = (uint32_t)strlen(key);
    p->kind = kind;
    return p;
}

static void prop_int(shoal_event *ev, const char *key, int64_t v) { prop(ev, key, SHOAL_VAL_INT)->v.i = v; }
static void prop_bool(shoal_event *ev, const char *key, int v) { prop(ev, key, SHOAL_VAL_BOOL)->v.b = v; }

static int prop_str(imp *m, shoal_event *ev, const char *key, const char *s, size_t n)
{
    char *c = shoal_arena_strndup(shoal_batch_arena(m->b), s, n);
    if (!c) return nomem(m);
    shoal_prop *p = prop(ev, key, SHOAL_VAL_STR);
    p->v.s.ptr = c;
    p->v.s.len = (uint32_t)n;
    return SHOAL_OK;
}

static int prop_member(imp *m, shoal_event *ev, const char *key, int64_t uid)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "u-%lld", (long long)uid);
    return prop_str(m, ev, key, buf, (size_t)n);
}

/* Adds the event in the slot; one that fails shoal_event_check rejects its row. */
static int emit(imp *m, const row *r)
{
    shoal_err why;
    int rc = shoal_batch_add(m->b, r->line, &why, m->err);
    if (rc == 1) return reject(m, r, "%s", why.msg);
    return rc;
}

/* ---------------------------------------------------------------- lookups */

static user *user_get(imp *m, int64_t id)
{
    uint32_t *i = imap_get(&m->uix, id);
    return i ? &m->users[*i] : NULL;
}

static int user_add(imp *m, int64_t id, user **out)
{
    if ((*out = user_get(m, id))) return SHOAL_OK;
    if (m->n_users == m->cap_users) {
        size_t cap = m->cap_users ? 2 * m->cap_users : 4096;
        user *u = shoal_realloc(m->users, cap * sizeof *u);
        if (!u) return nomem(m);
        m->users = u;
        m->cap_users = cap;
    }
    if (imap_put(&m->uix, id, (uint32_t)m->n_users)) return nomem(m);
    user *u = &m->users[m->n_users++];
    u->join = u->first_ts = u->first_id = NONE;
    *out = u;
    return SHOAL_OK;
}

static post *post_get(imp *m, int64_t id)
{
    uint32_t *i = imap_get(&m->pix, id);
    return i ? &m->posts[*i] : NULL;
}

/* The group of a post's events: its question's first tag; ptr NULL when none. */
static shoal_str post_group(imp *m, const post *p)
{
    shoal_str g = {NULL, 0};
    if (p && p->type == 2) p = post_get(m, p->parent);
    if (p && p->tag_len) {
        g.ptr = m->tags + p->tag_off;
        g.len = p->tag_len;
    }
    return g;
}

static int set_group(imp *m, shoal_event *ev, const post *p)
{
    shoal_str g = post_group(m, p);
    if (!g.ptr) return SHOAL_OK;
    ev->group.ptr = shoal_arena_strndup(shoal_batch_arena(m->b), g.ptr, g.len);
    ev->group.len = g.len;
    return ev->group.ptr ? SHOAL_OK : nomem(m);
}

/* Why post p (or its absence) gives no member to hold an event, or NULL when it does. */
static const char *no_owner(const post *p)
{
    if (!p) return "is not in the dump (deleted)";
    if (p->owner == NONE) return "has no owner (deleted account)";
    if (p->owner == COMMUNITY) return "is owned by the Community bot, which is not a member";
    return NULL;
}

/* Tags: "<a><b>" in the dump until 2024, "|a|b|" since. Writes the tags separated by
 * spaces into o (n bytes suffice) and returns the length; *first_len is the length
 * of the first tag. */
static size_t tags_norm(shoal_str t, char *o, size_t *first_len)
{
    size_t k = 0;
    *first_len = 0;
    int sep = 1;
    for (uint32_t i = 0; i < t.len; i++) {
        char c = t.ptr[i];
        if (c == '<' || c == '>' || c == '|') {
            sep = 1;
            continue;
        }
        if (sep && k) {
            if (!*first_len) *first_len = k;
            o[k++] = ' ';
        }
        sep = 0;
        o[k++] = c;
    }
    if (!*first_len) *first_len = k;
    return k;
}

static const char *post_kind(const post *p) { return p->type == 1 ? "question" : "answer"; }

/* ---------------------------------------------------------------- Users */

static int on_user(imp *m, const row *r)
{
    int64_t id, ts;
    shoal_err why;
    user *u;
    if (!get_int(r, "Id", &id)) return reject_field(m, r, "user", "Id", row_get(r, "Id"));
    if (id == COMMUNITY) return SHOAL_OK;  /* the system bot is not a member */
    if (!get_ts(r, "CreationDate", &ts, &why)) return reject(m, r, "user %lld: %s", (long long)id, why.msg);
    int rc = user_add(m, id, &u);
    if (rc) return rc;
    u->join = ts;
    shoal_event *ev;
    if ((rc = ev_begin(m, "user", id, ts, id, "join", &ev))) return rc;
    return emit(m, r);
}

/* ---------------------------------------------------------------- Posts */

/* The index pass: what later rows need to know about every post. Bad rows are left
 * for the event pass to reject, so that each is reported once. */
static int on_post_index(imp *m, const row *r)
{
    int64_t id, type, ts, v;
    shoal_err why;
    if (!get_int(r, "Id", &id) || !get_int(r, "PostTypeId", &type) || !get_ts(r, "CreationDate", &ts, &why))
        return SHOAL_OK;
    if (m->n_posts == m->cap_posts) {
        size_t cap = m->cap_posts ? 2 * m->cap_posts : 4096;
        post *p = shoal_realloc(m->posts, cap * sizeof *p);
        if (!p) return nomem(m);
        m->posts = p;
        m->cap_posts = cap;
    }
    if (post_get(m, id)) return SHOAL_OK;  /* a repeated id: the first row stands */
    post *p = &m->posts[m->n_posts];
    memset(p, 0, sizeof *p);
    p->id = id;
    p->ts = ts;
    p->type = (int)type;
    p->owner = get_int(r, "OwnerUserId", &v) ? v : NONE;
    p->parent = get_int(r, "ParentId", &v) ? v : NONE;
    p->accepted = get_int(r, "AcceptedAnswerId", &v) ? v : NONE;
    p->accept_ts = NONE;
    shoal_str t = row_get(r, "Tags");
    if (t.ptr && type == 1) {
        if (m->n_tags + t.len > m->cap_tags) {
            size_t cap = m->cap_tags ? m->cap_tags : 65536;
            while (cap < m->n_tags + t.len) cap *= 2;
            char *n = shoal_realloc(m->tags, cap);
            if (!n) return nomem(m);
            m->tags = n;
            m->cap_tags = cap;
        }
        size_t first;
        tags_norm(t, m->tags + m->n_tags, &first);
        if (first > SHOAL_MAX_NAME) first = 0;  /* not a usable group name */
        p->tag_off = (uint32_t)m->n_tags;
        p->tag_len = (uint32_t)first;
        m->n_tags += first;
    }
    if (imap_put(&m->pix, id, (uint32_t)m->n_posts)) return nomem(m);
    m->n_posts++;
    if ((type == 1 || type == 2) && p->owner != NONE && p->owner != COMMUNITY) {
        user *u;
        int rc = user_add(m, p->owner, &u);
        if (rc) return rc;
        if (u->first_ts == NONE || ts < u->first_ts || (ts == u->first_ts && id < u->first_id)) {
            u->first_ts = ts;
            u->first_id = id;
        }
    }
    return SHOAL_OK;
}

/* A question's owner is a newcomer when they joined at most NEWCOMER_MS before
 * asking, or when the question is their first post in the dump. */
static int is_newcomer(imp *m, const post *q)
{
    user *u = user_get(m, q->owner);
    if (!u) return 0;
    if (u->join != NONE && q->ts - u->join <= NEWCOMER_MS) return 1;
    return u->first_id == q->id;
}

static int emit_essence(imp *m, const row *r, const post *q)
{
    post *a = post_get(m, q->accepted);
    const char *why = a ? no_owner(a) : "is not in the dump (deleted)";
    if (!why && a->type != 2) why = "is not an answer";
    if (why)
        return reject(m, r, "question %lld: accepted answer %lld %s, so no essence event", (long long)q->id,
                      (long long)q->accepted, why);
    /* The vote has the day only; the acceptance cannot precede the answer. */
    int64_t ts = a->ts;
    if (a->accept_ts != NONE && a->accept_ts > ts) ts = a->accept_ts;
    shoal_event *ev;
    int rc = ev_begin(m, "accept", q->id, ts, a->owner, "essence", &ev);
    if (rc || (rc = set_group(m, ev, q))) return rc;
    prop_int(ev, "post", a->id);
    prop_int(ev, "question", q->id);
    if (q->owner != NONE && q->owner != COMMUNITY && (rc = prop_member(m, ev, "by", q->owner))) return rc;
    const char *src = a->accept_ts != NONE ? "vote" : "answer";
    if ((rc = prop_str(m, ev, "time_from", src, strlen(src)))) return rc;
    return emit(m, r);
}

static int on_post(imp *m, const row *r)
{
    int64_t id, type, ts, v;
    shoal_err why;
    int rc;
    if (!get_int(r, "Id", &id)) return reject_field(m, r, "post", "Id", row_get(r, "Id"));
    if (!get_int(r, "PostTypeId", &type))
        return reject_field(m, r, "post", "PostTypeId", row_get(r, "PostTypeId"));
    if (!get_ts(r, "CreationDate", &ts, &why)) return reject(m, r, "post %lld: %s", (long long)id, why.msg);
    /* Wikis, tag excerpts and election nominations are site furniture, not
     * conversation (3 orphaned wiki, 4 tag excerpt, 5 tag wiki, 6 nomination, 7 wiki
     * placeholder, 8 privilege wiki). */
    if (type >= 3 && type <= 8) return SHOAL_OK;
    if (type != 1 && type != 2) return reject(m, r, "post %lld: PostTypeId %lld is not mapped", (long long)id,
                                              (long long)type);
    post *p = post_get(m, id);
    if (!p || p->ts != ts) return reject(m, r, "post %lld: repeated Id", (long long)id);
    const char *no = no_owner(p);
    if (no) {
        /* The acceptance still features the answer's owner. */
        rc = reject(m, r, "%s %lld %s", post_kind(p), (long long)id, no);
        if (!rc && type == 1 && p->accepted != NONE) rc = emit_essence(m, r, p);
        return rc;
    }
    shoal_event *ev;
    if ((rc = ev_begin(m, "post", id, ts, p->owner, type == 1 ? "post" : "reply", &ev))) return rc;
    if ((rc = set_group(m, ev, p))) return rc;
    prop_int(ev, "post", id);
    if (get_int(r, "Score", &v)) prop_int(ev, "score", v);
    if (type == 1) {
        prop_bool(ev, "original", 1);
        shoal_str t = row_get(r, "Title");
        if (t.ptr && (rc = prop_str(m, ev, "title", t.ptr, t.len))) return rc;
        t = row_get(r, "Tags");
        if (t.ptr) {
            char *o = shoal_arena_alloc(shoal_batch_arena(m->b), t.len);
            size_t first;
            if (!o) return nomem(m);
            shoal_prop *pr = prop(ev, "tags", SHOAL_VAL_STR);
            pr->v.s.ptr = o;
            pr->v.s.len = (uint32_t)tags_norm(t, o, &first);
        }
    } else {
        post *q = post_get(m, p->parent);
        if (p->parent != NONE) prop_int(ev, "question", p->parent);
        if (q && q->owner != NONE && q->owner != COMMUNITY) {
            if ((rc = prop_member(m, ev, "to", q->owner))) return rc;
            prop_bool(ev, "to_newcomer", is_newcomer(m, q));
        }
    }
    if ((rc = emit(m, r))) return rc;
    if (type == 1 && p->accepted != NONE) return emit_essence(m, r, p);
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- Votes */

static int on_vote(imp *m, const row *r)
{
    static const struct {
        int id;
        const char *type, *action;
    } map[] = {
        {2, "like_received", NULL},       {3, "dislike_received", NULL}, {6, "moderation", "close"},
        {7, "moderation", "reopen"},      {10, "moderation", "delete"},  {11, "moderation", "undelete"},
        {15, "moderation", "review"},     {16, "moderation", "approve_edit"},
    };
    int64_t id, pid, type, ts;
    shoal_err why;
    int rc;
    if (!get_int(r, "Id", &id)) return reject_field(m, r, "vote", "Id", row_get(r, "Id"));
    if (!get_int(r, "PostId", &pid)) return reject_field(m, r, "vote", "PostId", row_get(r, "PostId"));
    if (!get_int(r, "VoteTypeId", &type))
        return reject_field(m, r, "vote", "VoteTypeId", row_get(r, "VoteTypeId"));
    if (!get_ts(r, "CreationDate", &ts, &why)) return reject(m, r, "vote %lld: %s", (long long)id, why.msg);
    post *p = post_get(m, pid);
    if (type == 1) {
        /* AcceptedByOriginator: only dates the essence event of the question's
         * AcceptedAnswerId; the latest vote stands. */
        if (!p) return reject(m, r, "vote %lld: post %lld is not in the dump (deleted)", (long long)id, (long long)pid);
        if (p->accept_ts == NONE || ts > p->accept_ts) p->accept_ts = ts;
        return SHOAL_OK;
    }
    size_t k = 0;
    while (k < sizeof map / sizeof map[0] && map[k].id != type) k++;
    if (k == sizeof map / sizeof map[0])
        return reject(m, r, "vote %lld: VoteTypeId %lld is not mapped", (long long)id, (long long)type);
    const char *no = no_owner(p);
    if (no) return reject(m, r, "vote %lld: post %lld %s", (long long)id, (long long)pid, no);
    /* Votes carry their day only; one cast on the day the post was created is placed
     * at the post's creation, since it cannot precede it. */
    if (ts < p->ts) ts = p->ts;
    shoal_event *ev;
    if ((rc = ev_begin(m, "vote", id, ts, p->owner, map[k].type, &ev))) return rc;
    if ((rc = set_group(m, ev, p))) return rc;
    prop_int(ev, "post", pid);
    const char *pk = post_kind(p);
    if ((rc = prop_str(m, ev, "post_type", pk, strlen(pk)))) return rc;
    if (map[k].action && (rc = prop_str(m, ev, "action", map[k].action, strlen(map[k].action)))) return rc;
    return emit(m, r);
}

/* ---------------------------------------------------------------- Comments */

static int on_comment(imp *m, const row *r)
{
    int64_t id, pid, uid, ts, v;
    shoal_err why;
    char q[200];
    int rc;
    if (!get_int(r, "Id", &id)) return reject_field(m, r, "comment", "Id", row_get(r, "Id"));
    if (!get_int(r, "PostId", &pid)) return reject_field(m, r, "comment", "PostId", row_get(r, "PostId"));
    if (!get_ts(r, "CreationDate", &ts, &why)) return reject(m, r, "comment %lld: %s", (long long)id, why.msg);
    if (!get_int(r, "UserId", &uid)) {
        shoal_str u = row_get(r, "UserId"), dn = row_get(r, "UserDisplayName");
        if (u.ptr) return reject_field(m, r, "comment", "UserId", u);
        return reject(m, r, "comment %lld has no UserId (deleted account \"%s\")", (long long)id,
                      shoal_err_quote(q, sizeof q, dn.ptr ? dn.ptr : "", dn.len));
    }
    if (uid == COMMUNITY)
        return reject(m, r, "comment %lld is by the Community bot, which is not a member", (long long)id);
    post *p = post_get(m, pid);
    shoal_event *ev;
    if ((rc = ev_begin(m, "comment", id, ts, uid, "comment", &ev))) return rc;
    if ((rc = set_group(m, ev, p))) return rc;
    prop_int(ev, "post", pid);
    if (get_int(r, "Score", &v)) prop_int(ev, "score", v);
    if (p) {
        const char *pk = post_kind(p);
        if ((rc = prop_str(m, ev, "on", pk, strlen(pk)))) return rc;
        if (!no_owner(p) && (rc = prop_member(m, ev, "to", p->owner))) return rc;
    }
    return emit(m, r);
}

/* ---------------------------------------------------------------- Badges */

static int on_badge(imp *m, const row *r)
{
    static const char *const classes[] = {NULL, "gold", "silver", "bronze"};
    int64_t id, uid, cls, ts;
    shoal_err why;
    int rc;
    if (!get_int(r, "Id", &id)) return reject_field(m, r, "badge", "Id", row_get(r, "Id"));
    if (!get_int(r, "UserId", &uid)) return reject_field(m, r, "badge", "UserId", row_get(r, "UserId"));
    if (!get_ts(r, "Date", &ts, &why)) return reject(m, r, "badge %lld: %s", (long long)id, why.msg);
    if (uid == COMMUNITY) return reject(m, r, "badge %lld is the Community bot's, which is not a member", (long long)id);
    if (!get_int(r, "Class", &cls) || cls < 1 || cls > 3)
        return reject(m, r, "badge %lld: Class must be 1, 2 or 3 (gold, silver, bronze)", (long long)id);
    shoal_str name = row_get(r, "Name");
    if (!name.ptr) return reject(m, r, "badge %lld: missing Name", (long long)id);
    shoal_event *ev;
    if ((rc = ev_begin(m, "badge", id, ts, uid, "achievement", &ev))) return rc;
    if ((rc = prop_str(m, ev, "name", name.ptr, name.len))) return rc;
    if ((rc = prop_str(m, ev, "class", classes[cls], strlen(classes[cls])))) return rc;
    shoal_str tb = row_get(r, "TagBased");
    if (tb.ptr) prop_bool(ev, "tag_based", tb.len == 4 && !memcmp(tb.ptr, "True", 4));
    return emit(m, r);
}

/* ---------------------------------------------------------------- PostLinks */

static int on_link(imp *m, const row *r)
{
    int64_t id, pid, rid, type, ts;
    shoal_err why;
    int rc;
    if (!get_int(r, "Id", &id)) return reject_field(m, r, "link", "Id", row_get(r, "Id"));
    if (!get_int(r, "PostId", &pid)) return reject_field(m, r, "link", "PostId", row_get(r, "PostId"));
    if (!get_int(r, "RelatedPostId", &rid))
        return reject_field(m, r, "link", "RelatedPostId", row_get(r, "RelatedPostId"));
    if (!get_ts(r, "CreationDate", &ts, &why)) return reject(m, r, "link %lld: %s", (long long)id, why.msg);
    if (!get_int(r, "LinkTypeId", &type) || (type != 1 && type != 3))
        return reject(m, r, "link %lld: LinkTypeId must be 1 (linked) or 3 (duplicate)", (long long)id);
    post *p = post_get(m, pid), *rp = post_get(m, rid);
    const char *no = no_owner(p);
    if (no) return reject(m, r, "link %lld: post %lld %s", (long long)id, (long long)pid, no);
    shoal_event *ev;
    if ((rc = ev_begin(m, "link", id, ts, p->owner, "link", &ev))) return rc;
    if ((rc = set_group(m, ev, p))) return rc;
    prop_int(ev, "post", pid);
    prop_int(ev, "related", rid);
    const char *kind = type == 1 ? "linked" : "duplicate";
    if ((rc = prop_str(m, ev, "kind", kind, strlen(kind)))) return rc;
    if (!no_owner(rp) && (rc = prop_member(m, ev, "to", rp->owner))) return rc;
    return emit(m, r);
}

/* ---------------------------------------------------------------- reading */

static int row_done(imp *m, const row *r)
{
    if (m->opts->cancel && *m->opts->cancel) {
        int rc = shoal_batch_commit(m->b, m->err);
        return rc ? rc : shoal_err_set(m->err, SHOAL_ECANCEL, -1, -1, "interrupted");
    }
    if (m->counting) m->st->n_records++;
    return m->fn(m, r);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    imp *m = ud;
    if (m->rc || strcmp(name, "row") != 0) return;
    row r = {.line = (uint64_t)XML_GetCurrentLineNumber(m->xp), .attrs = attrs};
    int rc = row_done(m, &r);
    if (rc) {
        m->rc = rc;
        XML_StopParser(m->xp, XML_FALSE);
    }
}

static const XML_Memory_Handling_Suite xml_mem = {shoal_malloc, shoal_realloc, shoal_free};

/* Streams one XML file through fn. A file that is not well-formed stops at the error:
 * the rest cannot be read, so the import fails there (after a reject line, so that
 * the reject file says where). */
static int read_xml(imp *m, int fd, row_fn fn)
{
    int rc = SHOAL_OK;
    m->fn = fn;
    m->rc = SHOAL_OK;
    m->xp = XML_ParserCreate_MM(NULL, &xml_mem, NULL);
    if (!m->xp) return nomem(m);
    XML_SetUserData(m->xp, m);
    XML_SetStartElementHandler(m->xp, on_start);
    for (;;) {
        void *buf = XML_GetBuffer(m->xp, XML_CHUNK);
        if (!buf) {
            rc = nomem(m);
            break;
        }
        ssize_t n = read(fd, buf, XML_CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            rc = shoal_err_set(m->err, SHOAL_EIO, -1, -1, "cannot read %s: %s", m->name, strerror(e));
            if (m->err) m->err->sys = e;
            break;
        }
        if (m->counting) m->st->bytes += (uint64_t)n;
        if (XML_ParseBuffer(m->xp, (int)n, n == 0) == XML_STATUS_ERROR) {
            if (m->rc) {
                rc = m->rc;
                break;
            }
            if (XML_GetErrorCode(m->xp) == XML_ERROR_NO_MEMORY) {
                rc = nomem(m);
                break;
            }
            uint64_t line = (uint64_t)XML_GetCurrentLineNumber(m->xp);
            const char *msg = XML_ErrorString(XML_GetErrorCode(m->xp));
            if (m->counting) {
                char reason[300];
                snprintf(reason, sizeof reason, "not well-formed XML: %s; the rest of the file is not read", msg);
                shoal_str none = {"", 0};
                m->st->n_records++;
                if ((rc = shoal_batch_reject(m->b, m->name, line, reason, none, m->err))) break;
            }
            rc = shoal_err_set(m->err, SHOAL_EFORMAT, -1, -1, "%s:%llu: not well-formed XML: %s", m->name,
                               (unsigned long long)line, msg);
            break;
        }
        if (n == 0) break;
    }
    XML_ParserFree(m->xp);
    m->xp = NULL;
    return rc;
}

/* Streams a CSV conversion of a dump file (a header row with the dump's attribute
 * names) through fn, with the same framing and splitting as the CSV reader. */
static int read_csv(imp *m, row_fn fn)
{
    shoal_input *in = NULL;
    shoal_arena *hdr_a = shoal_arena_new(), *a = shoal_arena_new();
    shoal_str hdr[MAX_CSV_COLS], f[MAX_CSV_COLS];
    uint32_t n_hdr = 0, n_f;
    shoal_err e;
    int rc;
    m->fn = fn;
    if (!hdr_a || !a) {
        rc = nomem(m);
        goto done;
    }
    if ((rc = shoal_input_open(m->name, SHOAL_FMT_CSV_FIELDS, &in, m->err))) goto done;
    rc = shoal_input_next_fields(in, hdr_a, hdr, MAX_CSV_COLS, &n_hdr, &e);
    if (rc == 0) goto done;  /* empty: no posts */
    if (rc < 0 || n_hdr > MAX_CSV_COLS) {
        rc = shoal_err_set(m->err, rc < 0 ? rc : SHOAL_EFORMAT, -1, -1, "%s: unusable header: %s", m->name,
                           rc < 0 ? e.msg : "too many columns");
        goto done;
    }
    for (;;) {
        shoal_arena_reset(a);
        rc = shoal_input_next_fields(in, a, f, MAX_CSV_COLS, &n_f, &e);
        if (rc == 0) break;
        row r = {.line = shoal_input_line(in), .f = f, .hdr = hdr, .n_f = n_f, .raw = shoal_input_raw(in)};
        if (rc == 1 && n_f != n_hdr) {
            rc = SHOAL_EFORMAT;
            shoal_err_clear(&e);
            shoal_err_set(&e, SHOAL_EFORMAT, -1, -1, "expected %u fields but found %u", n_hdr, n_f);
        }
        if (rc == SHOAL_EFORMAT) {
            if (!m->counting) continue;
            m->st->n_records++;
            if ((rc = shoal_batch_reject(m->b, m->name, r.line, e.msg, r.raw, m->err))) goto done;
            continue;
        }
        if (rc < 0) {
            rc = shoal_err_set(m->err, rc, -1, -1, "%s", e.msg);
            goto done;
        }
        if ((rc = row_done(m, &r))) goto done;
    }
    rc = SHOAL_OK;
done:
    if (in && m->counting) m->st->bytes += shoal_input_bytes(in);
    shoal_input_close(in);
    shoal_arena_free(a);
    shoal_arena_free(hdr_a);
    return rc;
}

/* Reads DIR/file with fn; optional files that are absent are skipped. */
static int read_file(imp *m, const char *dir, const char *file, int optional, int counting, row_fn fn)
{
    snprintf(m->name, sizeof m->name, "%s/%s", dir, file);
    shoal_batch_set_name(m->b, m->name);
    m->counting = counting;
    size_t n = strlen(file);
    if (n > 4 && !strcmp(file + n - 4, ".csv")) return read_csv(m, fn);
    int fd = open(m->name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT && optional) return SHOAL_OK;
        int rc = shoal_err_set(m->err, e == ENOENT ? SHOAL_ENOTFOUND : SHOAL_EIO, -1, -1, "cannot open %s: %s",
                               m->name, strerror(e));
        if (m->err) m->err->sys = e;
        return rc;
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    int rc = read_xml(m, fd, fn);
    close(fd);
    return rc;
}

static int exists(const char *dir, const char *file)
{
    char p[4096];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return stat(p, &sb) == 0;
}

int shoal_import_stackexchange(shoal_db *db, const char *dir, const shoal_ingest_opts *opts, shoal_ingest_stats *st,
                               shoal_err *err)
{
    static const shoal_ingest_opts defaults;
    shoal_ingest_stats local;
    char rejects_path[4096];
    struct stat sb;
    int rc;

    if (!opts) opts = &defaults;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "no dump directory at \"%s\"", dir);
    const char *posts = exists(dir, "Posts.xml") ? "Posts.xml" : exists(dir, "Posts.csv") ? "Posts.csv" : NULL;
    if (!posts) return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "no Posts.xml or Posts.csv in \"%s\"", dir);
    if (!exists(dir, "Users.xml")) return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "no Users.xml in \"%s\"", dir);

    if (opts->rejects_path) {
        snprintf(rejects_path, sizeof rejects_path, "%s", opts->rejects_path);
    } else {
        /* Beside the user, not in the dump: dump directories are often read-only. */
        size_t n = strlen(dir);
        while (n > 1 && dir[n - 1] == '/') n--;
        size_t s = n;
        while (s > 0 && dir[s - 1] != '/') s--;
        snprintf(rejects_path, sizeof rejects_path, "%.*s.rejects", (int)(n - s), dir + s);
    }

    /* The reject file is created (truncated) at the first reject: it must not be one
     * of the files read, whatever name or link leads to it. */
    static const char *const inputs[] = {"Users.xml", "Posts.xml", "Posts.csv", "Votes.xml",
                                         "Comments.xml", "Badges.xml", "PostLinks.xml"};
    struct stat rs;
    if (stat(rejects_path, &rs) == 0) {
        for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
            char p[4200];
            snprintf(p, sizeof p, "%s/%s", dir, inputs[i]);
            if (stat(p, &sb) == 0 && sb.st_dev == rs.st_dev && sb.st_ino == rs.st_ino)
                return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the reject file \"%s\" is the input \"%s\"",
                                     rejects_path, p);
        }
    }

    if (shoal_ingest_is_db_file(db, rejects_path))
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the reject file \"%s\" is a file of the database",
                             rejects_path);

    imp m = {.db = db, .opts = opts, .st = st, .err = err};
    if ((rc = shoal_batch_new(db, opts, rejects_path, st, &m.b, err))) return rc;
    /* Users first (join times for the newcomer rule), then an index of Posts (owners,
     * parents, tags), then Votes (which date the acceptances), then the posts' own
     * events, then what only refers to them. */
    if ((rc = read_file(&m, dir, "Users.xml", 0, 1, on_user))) goto done;
    if ((rc = read_file(&m, dir, posts, 0, 0, on_post_index))) goto done;
    if ((rc = read_file(&m, dir, "Votes.xml", 1, 1, on_vote))) goto done;
    if ((rc = read_file(&m, dir, posts, 0, 1, on_post))) goto done;
    if ((rc = read_file(&m, dir, "Comments.xml", 1, 1, on_comment))) goto done;
    if ((rc = read_file(&m, dir, "Badges.xml", 1, 1, on_badge))) goto done;
    if ((rc = read_file(&m, dir, "PostLinks.xml", 1, 1, on_link))) goto done;
    rc = shoal_batch_finish(m.b, err);
done:
    if (rc == SHOAL_EFORMAT || rc == SHOAL_EIO || rc == SHOAL_ENOTFOUND) {
        /* An input error: keep what was read before it, which is sound (a re-run
         * skips it). After a store error the batcher is not used again. */
        int frc = shoal_batch_commit(m.b, NULL);
        (void)frc;
    }
    shoal_batch_free(m.b);
    imap_free(&m.uix);
    imap_free(&m.pix);
    shoal_free(m.users);
    shoal_free(m.posts);
    shoal_free(m.tags);
    shoal_free(m.raw);
    return rc;
}
