/* arena.c — bump-pointer arenas: one per statement or per ingest batch.
 *
 * Memory is carved from chunks that double in size; nothing is freed on its own.
 * Reset keeps the largest chunk so that a steady loop (batch after batch) stops
 * allocating after its first round.
 */
#include "shoal_int.h"

#include <stdint.h>

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
} chunk;

struct shoal_arena {
    chunk *head;     /* current chunk; older ones follow */
    size_t total;    /* bytes handed out since the last reset */
};

/* 64 KiB first chunk: a statement's AST and a small batch fit without a second one. */
#define FIRST_CHUNK ((size_t)64 << 10)

shoal_arena *shoal_arena_new(void)
{
    shoal_arena *a = shoal_malloc(sizeof *a);
    if (!a) return NULL;
    a->head = NULL;
    a->total = 0;
    return a;
}

void shoal_arena_free(shoal_arena *a)
{
    if (!a) return;
    chunk *c = a->head;
    while (c) {
        chunk *next = c->next;
        shoal_free(c);
        c = next;
    }
    shoal_free(a);
}

void shoal_arena_reset(shoal_arena *a)
{
    chunk *keep = NULL, *c = a->head;
    while (c) {
        chunk *next = c->next;
        if (!keep || c->cap > keep->cap) {
            if (keep) shoal_free(keep);
            keep = c;
        } else {
            shoal_free(c);
        }
        c = next;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
    a->total = 0;
}

void *shoal_arena_alloc(shoal_arena *a, size_t n)
{
    if (n > (size_t)1 << 60) return NULL;   /* a wrapped size: the doubling below would never reach it */
    n = (n + 15) & ~(size_t)15;
    chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = c ? c->cap * 2 : FIRST_CHUNK;
        while (cap < n) cap *= 2;
        chunk *nc = shoal_malloc(sizeof *nc + cap);
        if (!nc) return NULL;
        nc->cap = cap;
        nc->used = 0;
        nc->next = c;
        a->head = c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->total += n;
    return p;
}

char *shoal_arena_strndup(shoal_arena *a, const char *s, size_t n)
{
    char *p = shoal_arena_alloc(a, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t shoal_arena_used(const shoal_arena *a) { return a->total; }
