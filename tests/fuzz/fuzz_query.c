/* fuzz_query.c — libFuzzer harness for the query language: every input is run as a
 * script by shoal_query_run over a small database (parse, resolve, plan, execute,
 * format, render the error), so the whole pipeline must survive any bytes without
 * crashing, leaking or hanging. The session's cancel flag is set for an input that
 * names sleep, so that it returns at once; it stays clear otherwise, since sorts and
 * output stop at it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shoal.h"

static shoal_db *db;
static shoal_session *session;
static volatile int cancel;

static int sink(void *ctx, const char *buf, size_t n)
{
    (void)ctx, (void)buf, (void)n;
    return 0;
}

static shoal_str S(const char *s) { return (shoal_str){s, (uint32_t)strlen(s)}; }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static char dir[] = "/tmp/shoal-fuzz-query-XXXXXX";
    if (!mkdtemp(dir)) abort();
    if (shoal_db_open(dir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL)) abort();
    static const char *const members[] = {"alice", "bob", "carol"};
    static const char *const types[] = {"join", "post", "comment", "essence", "like"};
    shoal_event ev[40];
    shoal_prop props[40][3];
    memset(ev, 0, sizeof ev);
    for (int i = 0; i < 40; i++) {
        ev[i].ts = 1740000000000LL + (int64_t)i * 3600000 * 7;
        ev[i].member = S(members[i % 3]);
        ev[i].type = S(types[i % 5]);
        if (i % 4) ev[i].group = S(i % 2 ? "g1" : "g2");
        props[i][0] = (shoal_prop){S("original"), SHOAL_VAL_BOOL, {.b = i % 3 == 0}};
        props[i][1] = (shoal_prop){S("words"), SHOAL_VAL_INT, {.i = i * 37 % 700}};
        props[i][2] = (shoal_prop){S("to"), SHOAL_VAL_STR, {.s = S(members[(i + 1) % 3])}};
        ev[i].n_props = (uint32_t)(i % 4);
        if (ev[i].n_props > 3) ev[i].n_props = 3;
        ev[i].props = props[i];
    }
    if (shoal_append(db, ev, 40, NULL, NULL)) abort();
    if (shoal_session_new(db, &session, NULL)) abort();
    shoal_session_set_output(session, sink, NULL);
    shoal_session_set_cancel(session, &cancel);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    shoal_err err;
    shoal_err_clear(&err);
    shoal_session_set_format(session, (int)(size % 5) + 1);
    /* "sleep" in any case (a quoted name too) */
    cancel = 0;
    for (size_t i = 0; i + 5 <= size && !cancel; i++)
        cancel = (data[i] | 32) == 's' && (data[i + 1] | 32) == 'l' && (data[i + 2] | 32) == 'e' &&
                 (data[i + 3] | 32) == 'e' && (data[i + 4] | 32) == 'p';
    shoal_query_run(session, (const char *)data, size, &err);
    (void)shoal_query_defines((const char *)data, size);   /* the CLI's look for definitions */
    char buf[1024];
    shoal_err_render(&err, "query", (const char *)data, size, buf, sizeof buf);
    return 0;
}
