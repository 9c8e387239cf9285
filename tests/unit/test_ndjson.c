/* test_ndjson.c — the NDJSON line parser (ingest/ndjson.c): fields, properties and
 * their flattening, the JSON grammar (escapes, numbers, literals), canonical numbers,
 * and every rejection with its message; hostile input must be rejected, never crash. */
#include "unit.h"
#include "input.h"
#include "shoal_int.h"

#include <math.h>
#include <stdint.h>

static shoal_arena *A;
static shoal_err E;

static int parse_n(const char *s, size_t n, shoal_event *ev)
{
    shoal_err_clear(&E);
    return shoal_ndjson_parse(s, n, A, ev, &E);
}

static int parse(const char *s, shoal_event *ev) { return parse_n(s, strlen(s), ev); }

static int eq(shoal_str s, const char *want)
{
    return s.len == strlen(want) && (s.len == 0 || memcmp(s.ptr, want, s.len) == 0);
}

static const shoal_prop *prop(const shoal_event *ev, const char *key)
{
    for (uint32_t i = 0; i < ev->n_props; i++)
        if (eq(ev->props[i].key, key)) return &ev->props[i];
    return NULL;
}

/* The line is rejected with EFORMAT and a message containing want, in house style:
 * lowercase start, no trailing period. */
static int rejects_n(const char *line, size_t n, const char *want)
{
    shoal_event ev;
    int rc = parse_n(line, n, &ev);
    size_t m = strlen(E.msg);
    if (rc != SHOAL_EFORMAT || E.code != SHOAL_EFORMAT || !strstr(E.msg, want) || m == 0 ||
        E.msg[m - 1] == '.' || (E.msg[0] >= 'A' && E.msg[0] <= 'Z')) {
        printf("  line %.60s: rc %d msg \"%s\", want \"%s\"\n", line, rc, E.msg, want);
        return 0;
    }
    return 1;
}

static int rejects(const char *line, const char *want) { return rejects_n(line, strlen(line), want); }

#define BASE "\"ts\":\"2025-03-04T09:00:12+08:00\",\"member\":\"m-77\",\"type\":\"post\""

TEST(typical_event)
{
    shoal_event ev;
    const char *line = "{\"id\":\"e-1009\",\"ts\":\"2025-03-04T09:00:12+08:00\",\"member\":\"m-77\",\"type\":\"post\","
                       "\"group\":\"g-3\",\"original\":true,\"words\":640,\"score\":0.25,\"title\":\"hi\",\"gone\":null}";
    CHECK_RC(parse(line, &ev), SHOAL_OK);
    CHECK(ev.has_id && eq(ev.id, "e-1009"));
    CHECK(ev.ts == 1741050012000LL);
    CHECK(eq(ev.member, "m-77") && eq(ev.type, "post") && eq(ev.group, "g-3"));
    CHECK(ev.n_props == 4);
    const shoal_prop *p = prop(&ev, "original");
    CHECK(p && p->kind == SHOAL_VAL_BOOL && p->v.b == 1);
    p = prop(&ev, "words");
    CHECK(p && p->kind == SHOAL_VAL_INT && p->v.i == 640);
    p = prop(&ev, "score");
    CHECK(p && p->kind == SHOAL_VAL_NUM && p->v.d == 0.25);
    p = prop(&ev, "title");
    CHECK(p && p->kind == SHOAL_VAL_STR && eq(p->v.s, "hi"));
    CHECK(prop(&ev, "gone") == NULL);
    /* The event passes the engine's gate as it comes out of the reader. */
    CHECK_RC(shoal_event_check(&ev, NULL), SHOAL_OK);
}

TEST(strings_are_copied)
{
    char line[] = "{\"ts\":0,\"member\":\"abc\",\"type\":\"t\",\"k\":\"vvv\"}";
    shoal_event ev;
    CHECK_RC(parse(line, &ev), SHOAL_OK);
    memset(line, 'x', sizeof line - 1);
    CHECK(eq(ev.member, "abc") && eq(ev.type, "t") && ev.n_props == 1 && eq(ev.props[0].key, "k") &&
          eq(ev.props[0].v.s, "vvv"));
    CHECK(!ev.has_id && ev.group.ptr == NULL && ev.ts == 0);
}

TEST(whitespace)
{
    shoal_event ev;
    CHECK_RC(parse(" \t{ \"ts\" :\t0 , \"member\" : \"m\" ,\r\n\"type\":\"t\" , \"props\" : { \"a\" : 1 } }\t \r", &ev),
             SHOAL_OK);
    CHECK(eq(ev.member, "m") && ev.n_props == 1 && prop(&ev, "a") && prop(&ev, "a")->v.i == 1);
}

TEST(escapes)
{
    shoal_event ev;
    CHECK_RC(parse("{" BASE ",\"s\":\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t.\"}", &ev), SHOAL_OK);
    CHECK(prop(&ev, "s") && eq(prop(&ev, "s")->v.s, "q\"b\\s/b\bf\fn\nr\rt\t."));
    CHECK_RC(parse("{" BASE ",\"u\":\"\\u0041\\u00e9\\u00C9\\u20ac\\ud83d\\ude00\\uFFFF!\"}", &ev), SHOAL_OK);
    CHECK(prop(&ev, "u") && eq(prop(&ev, "u")->v.s, "A\xc3\xa9\xc3\x89\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf!"));
    /* Largest code point through a surrogate pair. */
    CHECK_RC(parse("{" BASE ",\"u\":\"\\udbff\\udfff\"}", &ev), SHOAL_OK);
    CHECK(prop(&ev, "u") && eq(prop(&ev, "u")->v.s, "\xf4\x8f\xbf\xbf"));
    /* Escapes in keys: this key is the member field. */
    CHECK_RC(parse("{\"ts\":0,\"mem\\u0062er\":\"x\\u0079\",\"type\":\"t\",\"k\\n\":1}", &ev), SHOAL_OK);
    CHECK(eq(ev.member, "xy") && ev.n_props == 1 && eq(ev.props[0].key, "k\n"));
    /* Many escaped strings in one event all fit the string block. */
    CHECK_RC(parse("{\"ts\":0,\"member\":\"\\u00e9\\u00e9\\u00e9\",\"type\":\"\\ud83d\\ude00\",\"group\":\"\\n\","
                   "\"\\u00e9\":\"\\u20ac\\u20ac\",\"\\t\":\"\\\\\"}",
                   &ev),
             SHOAL_OK);
    CHECK(eq(ev.member, "\xc3\xa9\xc3\xa9\xc3\xa9") && eq(ev.type, "\xf0\x9f\x98\x80") && eq(ev.group, "\n"));
    CHECK(prop(&ev, "\xc3\xa9") && eq(prop(&ev, "\xc3\xa9")->v.s, "\xe2\x82\xac\xe2\x82\xac"));
    CHECK(prop(&ev, "\t") && eq(prop(&ev, "\t")->v.s, "\\"));
    CHECK_RC(shoal_event_check(&ev, NULL), SHOAL_OK);
}

TEST(raw_utf8)
{
    shoal_event ev;
    CHECK_RC(parse("{" BASE ",\"名字\":\"héllo wörld 😀\"}", &ev), SHOAL_OK);
    CHECK(prop(&ev, "名字") && eq(prop(&ev, "名字")->v.s, "héllo wörld 😀"));
    /* Raw UTF-8 next to escapes (the slow path validates too). */
    CHECK_RC(parse("{" BASE ",\"s\":\"é\\né\"}", &ev), SHOAL_OK);
    CHECK(prop(&ev, "s") && eq(prop(&ev, "s")->v.s, "é\né"));
}

TEST(invalid_utf8)
{
    static const char *bad[] = {
        "\xff", "\xc0\xaf", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "a\xc3", "\xf8\x88\x80\x80\x80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[200];
        snprintf(line, sizeof line, "{" BASE ",\"s\":\"%s\"}", bad[i]);
        CHECK(rejects(line, "invalid UTF-8 in string"));
        snprintf(line, sizeof line, "{" BASE ",\"s\":\"\\n%s\"}", bad[i]);
        CHECK(rejects(line, "invalid UTF-8 in string"));
        snprintf(line, sizeof line, "{" BASE ",\"%s\":1}", bad[i]);
        CHECK(rejects(line, "invalid UTF-8 in string"));
        snprintf(line, sizeof line, "{\"ts\":0,\"member\":\"%s\",\"type\":\"t\"}", bad[i]);
        CHECK(rejects(line, "invalid UTF-8 in string"));
    }
    /* A raw lead byte completed by an escape is still invalid. */
    CHECK(rejects("{" BASE ",\"s\":\"\xc3\\u00a9\"}", "invalid UTF-8 in string"));
}

TEST(bad_escapes)
{
    CHECK(rejects("{" BASE ",\"s\":\"a\\x41\"}", "invalid escape \"\\\\x\" in string"));
    CHECK(rejects("{" BASE ",\"s\":\"a\\'\"}", "invalid escape"));
    CHECK(rejects("{" BASE ",\"s\":\"\\u12\"}", "invalid escape \"\\\\u12\\\"}\""));
    CHECK(rejects("{" BASE ",\"s\":\"\\u12g4\"}", "invalid escape \"\\\\u12g4\""));
    CHECK(rejects("{" BASE ",\"s\":\"\\U0041\"}", "invalid escape"));
    CHECK(rejects("{" BASE ",\"s\":\"\\ud800\"}", "unpaired surrogate"));
    CHECK(rejects("{" BASE ",\"s\":\"\\ud800x\"}", "unpaired surrogate"));
    CHECK(rejects("{" BASE ",\"s\":\"\\ud800\\u0041\"}", "unpaired surrogate"));
    CHECK(rejects("{" BASE ",\"s\":\"\\ud800\\ud800\"}", "unpaired surrogate"));
    CHECK(rejects("{" BASE ",\"s\":\"\\udc00\"}", "invalid escape \"\\\\udc00\" in string: unpaired surrogate"));
    CHECK(rejects("{" BASE ",\"s\":\"\\ude00\\ud83d\"}", "unpaired surrogate"));
    CHECK(rejects("{" BASE ",\"s\":\"\\u0000\"}", "NUL is not allowed"));
    CHECK(rejects("{" BASE ",\"s\":\"\\", "unterminated string"));
    CHECK(rejects("{" BASE ",\"s\":\"\\u", "invalid escape"));
    CHECK(rejects("{" BASE ",\"s\":\"\\ud83d\\ude0", "unpaired surrogate"));
}

TEST(unterminated_and_control)
{
    CHECK(rejects("{" BASE ",\"s\":\"abc", "unterminated string"));
    CHECK(rejects("{" BASE ",\"s\":\"abc\\\"}", "unterminated string"));
    CHECK(rejects("{\"ts\":0,\"memb", "unterminated string"));
    CHECK(rejects("{" BASE ",\"s\":\"a\tb\"}", "control character 0x09 must be escaped in a string"));
    CHECK(rejects("{" BASE ",\"s\":\"a\\nb\x01\"}", "control character 0x01"));
    /* An embedded NUL byte is a control character, not the end of the line. */
    CHECK(rejects_n("{" BASE ",\"s\":\"a\0b\"}", sizeof("{" BASE ",\"s\":\"a\0b\"}") - 1, "control character 0x00"));
}

static int num_is(const char *text, int kind, int64_t i, double d)
{
    char line[512];
    shoal_event ev;
    snprintf(line, sizeof line, "{" BASE ",\"n\":%s}", text);
    if (parse(line, &ev) != 0 || ev.n_props != 1 || ev.props[0].kind != kind ||
        (kind == SHOAL_VAL_INT && ev.props[0].v.i != i) || (kind == SHOAL_VAL_NUM && ev.props[0].v.d != d)) {
        printf("  number %s: %s kind %d\n", text, E.msg, ev.n_props ? ev.props[0].kind : -1);
        return 0;
    }
    return 1;
}

TEST(numbers)
{
    CHECK(num_is("0", SHOAL_VAL_INT, 0, 0));
    CHECK(num_is("-0", SHOAL_VAL_INT, 0, 0));
    CHECK(num_is("42", SHOAL_VAL_INT, 42, 0));
    CHECK(num_is("-17", SHOAL_VAL_INT, -17, 0));
    CHECK(num_is("9223372036854775807", SHOAL_VAL_INT, INT64_MAX, 0));
    CHECK(num_is("-9223372036854775808", SHOAL_VAL_INT, INT64_MIN, 0));
    CHECK(num_is("9007199254740993", SHOAL_VAL_INT, 9007199254740993LL, 0));
    CHECK(num_is("9223372036854775808", SHOAL_VAL_NUM, 0, 9223372036854775808.0));
    /* Past int64 the double is taken, and that double (-2^63) is an int64 again. */
    CHECK(num_is("-9223372036854775809", SHOAL_VAL_INT, INT64_MIN, 0));
    CHECK(num_is("123456789012345678901234567890", SHOAL_VAL_NUM, 0, 1.2345678901234568e29));
    /* Canonical: integral doubles are integers. */
    CHECK(num_is("2.0", SHOAL_VAL_INT, 2, 0));
    CHECK(num_is("-2.000", SHOAL_VAL_INT, -2, 0));
    CHECK(num_is("1e3", SHOAL_VAL_INT, 1000, 0));
    CHECK(num_is("1E+3", SHOAL_VAL_INT, 1000, 0));
    CHECK(num_is("12.5e1", SHOAL_VAL_INT, 125, 0));
    CHECK(num_is("-0.0", SHOAL_VAL_INT, 0, 0));
    CHECK(num_is("1.741050012e12", SHOAL_VAL_INT, 1741050012000LL, 0));
    CHECK(num_is("100000000000000000000e-2", SHOAL_VAL_INT, 1000000000000000000LL, 0));
    CHECK(num_is("1e18", SHOAL_VAL_INT, 1000000000000000000LL, 0));
    CHECK(num_is("1e308", SHOAL_VAL_NUM, 0, 1e308));
    CHECK(num_is("1.5", SHOAL_VAL_NUM, 0, 1.5));
    CHECK(num_is("-0.25", SHOAL_VAL_NUM, 0, -0.25));
    CHECK(num_is("0.1", SHOAL_VAL_NUM, 0, 0.1));
    CHECK(num_is("1E-2", SHOAL_VAL_NUM, 0, 0.01));
    CHECK(num_is("0.000123", SHOAL_VAL_NUM, 0, 0.000123));
    CHECK(num_is("3.14159265358979323846264338327950288", SHOAL_VAL_NUM, 0, 3.141592653589793));
    CHECK(num_is("2.2250738585072014e-308", SHOAL_VAL_NUM, 0, 2.2250738585072014e-308));
    CHECK(num_is("4.9e-324", SHOAL_VAL_NUM, 0, 4.9e-324));
    CHECK(num_is("1.7976931348623157e308", SHOAL_VAL_NUM, 0, 1.7976931348623157e308));
    /* Underflow is not overflow: the value is the nearest double, zero. */
    CHECK(num_is("1e-400", SHOAL_VAL_INT, 0, 0));
}

TEST(numbers_match_strtod)
{
    /* The fast path (Clinger) and the strtod path must agree bit for bit with strtod
     * on every shape of decimal. */
    uint64_t x = 88172645463325252ull;
    int bad = 0;
    for (int k = 0; k < 20000; k++) {
        char txt[64];
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int ndig = 1 + (int)(x % 20), dot = (int)(x >> 8) % (ndig + 1), e = (int)((x >> 16) % 61) - 30;
        size_t o = 0;
        if (x >> 40 & 1) txt[o++] = '-';
        uint64_t y = x;
        for (int j = 0; j < ndig; j++) {
            if (j == dot && j) txt[o++] = '.';
            y = y * 6364136223846793005ull + 1442695040888963407ull;
            txt[o++] = (char)('0' + (j == 0 ? 1 + (y >> 60) % 9 : (y >> 59) % 10));
        }
        if (x >> 41 & 1) o += (size_t)snprintf(txt + o, sizeof txt - o, "e%d", e);
        txt[o] = 0;
        int kind;
        int64_t iv;
        double dv, want = strtod(txt, NULL);
        if (shoal_ndjson_number(txt, o, &kind, &iv, &dv) != 1) {
            bad++;
            continue;
        }
        double got = kind == SHOAL_VAL_INT ? (double)iv : dv;
        if (kind == SHOAL_VAL_INT && !(want == floor(want) && fabs(want) < 9.3e18)) bad++;
        if (memcmp(&got, &want, sizeof got) != 0 && !(got == 0 && want == 0)) {
            if (bad < 5) printf("  %s: got %.17g want %.17g\n", txt, got, want);
            bad++;
        }
    }
    CHECK(bad == 0);
}

TEST(number_helper)
{
    int kind;
    int64_t i;
    double d;
    CHECK(shoal_ndjson_number("12", 2, &kind, &i, &d) == 1 && kind == SHOAL_VAL_INT && i == 12);
    CHECK(shoal_ndjson_number("1.25", 4, &kind, &i, &d) == 1 && kind == SHOAL_VAL_NUM && d == 1.25);
    CHECK(shoal_ndjson_number("1.25x", 5, &kind, &i, &d) == 0);
    CHECK(shoal_ndjson_number("12", 1, &kind, &i, &d) == 1 && i == 1);
    CHECK(shoal_ndjson_number("", 0, &kind, &i, &d) == 0);
    CHECK(shoal_ndjson_number("abc", 3, &kind, &i, &d) == 0);
    CHECK(shoal_ndjson_number(" 1", 2, &kind, &i, &d) == 0);
    CHECK(shoal_ndjson_number("1 ", 2, &kind, &i, &d) == 0);
    CHECK(shoal_ndjson_number("1e999", 5, &kind, &i, &d) == SHOAL_ERANGE);
}

TEST(bad_numbers)
{
    static const char *bad[] = {"01", "-01", "-", "1.", "1e", "1e+", "1E-", "1.5.2", "12abc", "0x10",
                                "1.e5", "-.5", "00", "1ee5", "1e5.5", "2-3", "1+", "-a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[200], want[64];
        snprintf(line, sizeof line, "{" BASE ",\"n\":%s}", bad[i]);
        snprintf(want, sizeof want, "invalid number \"%s\"", bad[i]);
        CHECK(rejects(line, want));
    }
    CHECK(rejects("{" BASE ",\"n\":.5}", "property \"n\": invalid value \".5\""));
    CHECK(rejects("{" BASE ",\"n\":+1}", "property \"n\": invalid value \"+1\""));
    CHECK(rejects("{" BASE ",\"n\":NaN}", "property \"n\": invalid value \"NaN\""));
    CHECK(rejects("{" BASE ",\"n\":Infinity}", "invalid value \"Infinity\""));
    CHECK(rejects("{" BASE ",\"n\":1e309}", "number \"1e309\" is out of range"));
    CHECK(rejects("{" BASE ",\"n\":-1e309}", "number \"-1e309\" is out of range"));
    CHECK(rejects("{" BASE ",\"n\":1 2}", "expected ',' or '}' but found \"2\""));
    /* The error points at the number. */
    const char *line = "{" BASE ",\"n\":01}";
    CHECK(rejects(line, "invalid number"));
    CHECK(E.off == (int)(strstr(line, "01") - line) && E.len == 2);
    /* A number of 10000 digits takes the heap path and is still right. */
    char *big = malloc(10100);
    int o = snprintf(big, 10100, "{" BASE ",\"n\":0.");
    memset(big + o, '0', 9990);
    snprintf(big + o + 9990, 10100 - (size_t)o - 9990, "5}");
    shoal_event ev;
    CHECK_RC(parse(big, &ev), SHOAL_OK);
    CHECK(ev.n_props == 1 && ev.props[0].kind == SHOAL_VAL_INT && ev.props[0].v.i == 0);
    free(big);
}

TEST(literals)
{
    shoal_event ev;
    CHECK_RC(parse("{" BASE ",\"a\":true,\"b\":false,\"c\":null}", &ev), SHOAL_OK);
    CHECK(ev.n_props == 2 && prop(&ev, "a")->v.b == 1 && prop(&ev, "b")->kind == SHOAL_VAL_BOOL &&
          prop(&ev, "b")->v.b == 0);
    CHECK(rejects("{" BASE ",\"a\":tru}", "property \"a\": invalid value \"tru\""));
    CHECK(rejects("{" BASE ",\"a\":trueish}", "invalid value \"trueish\""));
    CHECK(rejects("{" BASE ",\"a\":True}", "invalid value \"True\""));
    CHECK(rejects("{" BASE ",\"a\":nul", "invalid value \"nul\""));
    CHECK(rejects("{" BASE ",\"a\":'x'}", "invalid value \"'x'\""));
    CHECK(rejects("{" BASE ",\"a\":}", "invalid value \"}\""));
    CHECK(rejects("{" BASE ",\"a\":", "property \"a\": expected a value but found end of line"));
}

TEST(ts_field)
{
    shoal_event ev;
    CHECK_RC(parse("{\"ts\":1741050012000,\"member\":\"m\",\"type\":\"t\"}", &ev), SHOAL_OK);
    CHECK(ev.ts == 1741050012000LL);
    CHECK_RC(parse("{\"ts\":-2208988800000,\"member\":\"m\",\"type\":\"t\"}", &ev), SHOAL_OK);
    CHECK(ev.ts == SHOAL_TS_MIN);
    CHECK_RC(parse("{\"ts\":1.741050012e12,\"member\":\"m\",\"type\":\"t\"}", &ev), SHOAL_OK);
    CHECK(ev.ts == 1741050012000LL);
    CHECK_RC(parse("{\"member\":\"m\",\"type\":\"t\",\"ts\":\"2025-03-04\"}", &ev), SHOAL_OK);
    CHECK(ev.ts == 1741046400000LL);
    CHECK_RC(parse("{\"ts\":\"2025-03-04T09:00:12\\u002b08:00\",\"member\":\"m\",\"type\":\"t\"}", &ev), SHOAL_OK);
    CHECK(ev.ts == 1741050012000LL);
    CHECK(rejects("{\"ts\":1.5,\"member\":\"m\",\"type\":\"t\"}", "\"ts\" must be whole epoch milliseconds, not \"1.5\""));
    CHECK(rejects("{\"ts\":7258118400000,\"member\":\"m\",\"type\":\"t\"}", "timestamp out of range: \"7258118400000\""));
    CHECK(rejects("{\"ts\":-2208988800001,\"member\":\"m\",\"type\":\"t\"}", "timestamp out of range"));
    CHECK(rejects("{\"ts\":99999999999999999999,\"member\":\"m\",\"type\":\"t\"}", "must be whole epoch milliseconds"));
    CHECK(rejects("{\"ts\":\"2200-01-01\",\"member\":\"m\",\"type\":\"t\"}", "timestamp out of range: \"2200-01-01\""));
    CHECK(rejects("{\"ts\":\"2025-02-30\",\"member\":\"m\",\"type\":\"t\"}",
                  "invalid timestamp \"2025-02-30\": day 30 out of range for 2025-02"));
    CHECK(rejects("{\"ts\":\"yesterday\",\"member\":\"m\",\"type\":\"t\"}", "invalid timestamp \"yesterday\""));
    CHECK(rejects("{\"ts\":true,\"member\":\"m\",\"type\":\"t\"}", "\"ts\" must be an ISO-8601 string or epoch milliseconds"));
    CHECK(rejects("{\"ts\":null,\"member\":\"m\",\"type\":\"t\"}", "\"ts\" must be"));
    CHECK(rejects("{\"ts\":[1],\"member\":\"m\",\"type\":\"t\"}", "\"ts\" must be"));
    /* The offset of a timestamp error is the string in the line. */
    const char *line = "{\"member\":\"m\",\"type\":\"t\",\"ts\":\"2025-13-01\"}";
    CHECK(rejects(line, "month 13 out of range"));
    CHECK(E.off == (int)(strstr(line, "\"2025") - line) && E.len == 12);
}

TEST(id_field)
{
    shoal_event ev;
    CHECK_RC(parse("{\"id\":null," BASE "}", &ev), SHOAL_OK);
    CHECK(!ev.has_id);
    CHECK_RC(parse("{\"id\":\"\"," BASE "}", &ev), SHOAL_OK);
    CHECK(!ev.has_id);
    CHECK_RC(parse("{\"id\":42," BASE "}", &ev), SHOAL_OK);
    CHECK(ev.has_id && eq(ev.id, "42"));
    CHECK_RC(parse("{\"id\":-9223372036854775808," BASE "}", &ev), SHOAL_OK);
    CHECK(ev.has_id && eq(ev.id, "-9223372036854775808"));
    CHECK_RC(parse("{\"id\":1e18," BASE "}", &ev), SHOAL_OK);
    CHECK(ev.has_id && eq(ev.id, "1000000000000000000"));
    CHECK_RC(parse("{\"id\":\"e\\u00e9\"," BASE "}", &ev), SHOAL_OK);
    CHECK(ev.has_id && eq(ev.id, "e\xc3\xa9"));
    CHECK(rejects("{\"id\":1.5," BASE "}", "\"id\" must be a string, an integer or null"));
    CHECK(rejects("{\"id\":true," BASE "}", "\"id\" must be a string, an integer or null"));
    CHECK(rejects("{\"id\":{}," BASE "}", "\"id\" must be a string, an integer or null"));
    char line[700];
    char id[300];
    memset(id, 'i', 255);
    id[255] = 0;
    snprintf(line, sizeof line, "{\"id\":\"%s\"," BASE "}", id);
    CHECK_RC(parse(line, &ev), SHOAL_OK);
    CHECK(ev.id.len == 255);
    id[255] = 'i';
    id[256] = 0;
    snprintf(line, sizeof line, "{\"id\":\"%s\"," BASE "}", id);
    CHECK(rejects(line, "\"id\" is longer than 255 bytes"));
}

TEST(required_fields)
{
    shoal_event ev;
    CHECK(rejects("{\"member\":\"m\",\"type\":\"t\"}", "missing \"ts\""));
    CHECK(rejects("{\"ts\":0,\"type\":\"t\"}", "missing \"member\""));
    CHECK(rejects("{\"ts\":0,\"member\":\"m\"}", "missing \"type\""));
    CHECK(rejects("{}", "missing \"ts\""));
    CHECK(rejects("{\"ts\":0,\"member\":7,\"type\":\"t\"}", "\"member\" must be a string"));
    CHECK(rejects("{\"ts\":0,\"member\":null,\"type\":\"t\"}", "\"member\" must be a string"));
    CHECK(rejects("{\"ts\":0,\"member\":\"m\",\"type\":[\"t\"]}", "\"type\" must be a string"));
    CHECK(rejects("{\"ts\":0,\"member\":\"\",\"type\":\"t\"}", "\"member\" must not be empty"));
    CHECK(rejects("{\"ts\":0,\"member\":\"m\",\"type\":\"\"}", "\"type\" must not be empty"));
    CHECK(rejects("{\"ts\":0,\"member\":\"m\",\"type\":\"t\",\"group\":5}", "\"group\" must be a string or null"));
    CHECK_RC(parse("{\"ts\":0,\"member\":\"m\",\"type\":\"t\",\"group\":null}", &ev), SHOAL_OK);
    CHECK(ev.group.ptr == NULL);
    CHECK_RC(parse("{\"ts\":0,\"member\":\"m\",\"type\":\"t\",\"group\":\"\"}", &ev), SHOAL_OK);
    CHECK(ev.group.ptr == NULL);
    char line[800], name[300];
    memset(name, 'm', 256);
    name[256] = 0;
    snprintf(line, sizeof line, "{\"ts\":0,\"member\":\"%s\",\"type\":\"t\"}", name);
    CHECK(rejects(line, "\"member\" is longer than 255 bytes"));
    snprintf(line, sizeof line, "{\"ts\":0,\"member\":\"m\",\"type\":\"t\",\"group\":\"%s\"}", name);
    CHECK(rejects(line, "\"group\" is longer than 255 bytes"));
    snprintf(line, sizeof line, "{\"ts\":0,\"member\":\"m\",\"type\":\"t\",\"%s\":1}", name);
    CHECK(rejects(line, "is longer than 255 bytes"));
    name[255] = 0;
    snprintf(line, sizeof line, "{\"ts\":0,\"member\":\"%s\",\"type\":\"t\",\"%s\":1}", name, name);
    CHECK_RC(parse(line, &ev), SHOAL_OK);
}

TEST(props_flattening)
{
    shoal_event ev;
    CHECK_RC(parse("{" BASE ",\"a\":1,\"props\":{\"b\":\"x\",\"c\":false,\"n\":null},\"properties\":{\"d\":2.5},"
                   "\"e\":\"y\"}",
                   &ev),
             SHOAL_OK);
    CHECK(ev.n_props == 5);
    CHECK(prop(&ev, "a") && prop(&ev, "a")->v.i == 1);
    CHECK(prop(&ev, "b") && eq(prop(&ev, "b")->v.s, "x"));
    CHECK(prop(&ev, "c") && prop(&ev, "c")->kind == SHOAL_VAL_BOOL && prop(&ev, "c")->v.b == 0);
    CHECK(prop(&ev, "d") && prop(&ev, "d")->v.d == 2.5);
    CHECK(prop(&ev, "e") && eq(prop(&ev, "e")->v.s, "y"));
    CHECK(!prop(&ev, "props") && !prop(&ev, "properties") && !prop(&ev, "n"));
    CHECK_RC(shoal_event_check(&ev, NULL), SHOAL_OK);
    CHECK_RC(parse("{" BASE ",\"props\":{},\"properties\":null}", &ev), SHOAL_OK);
    CHECK(ev.n_props == 0);
    CHECK_RC(parse("{\"props\":{\"a\":1}," BASE "}", &ev), SHOAL_OK);
    CHECK(ev.n_props == 1);

    CHECK(rejects("{" BASE ",\"x\":1,\"props\":{\"x\":2}}", "property \"x\" appears both at the top level and in \"props\""));
    CHECK(rejects("{" BASE ",\"props\":{\"x\":2},\"x\":1}", "property \"x\" appears both in \"props\" and at the top level"));
    CHECK(rejects("{" BASE ",\"props\":{\"x\":2},\"properties\":{\"x\":1}}", "appears both in \"props\" and in \"properties\""));
    CHECK(rejects("{" BASE ",\"props\":{\"member\":\"z\"}}", "reserved key \"member\" in \"props\""));
    CHECK(rejects("{" BASE ",\"properties\":{\"props\":{}}}", "reserved key \"props\" in \"properties\""));
    CHECK(rejects("{" BASE ",\"props\":5}", "\"props\" must be an object"));
    CHECK(rejects("{" BASE ",\"properties\":\"a\"}", "\"properties\" must be an object"));
    CHECK(rejects("{" BASE ",\"props\":[]}", "\"props\" must be an object"));
    CHECK(rejects("{" BASE ",\"props\":{\"x\":{\"y\":1}}}", "property \"x\": nested objects are not supported"));
    CHECK(rejects("{" BASE ",\"props\":{\"x\":[1,2]}}", "property \"x\": arrays are not supported"));
    CHECK(rejects("{" BASE ",\"x\":[1]}", "property \"x\": arrays are not supported"));
    CHECK(rejects("{" BASE ",\"x\":{}}", "property \"x\": nested objects are not supported"));
    CHECK(rejects("{" BASE ",\"props\":{\"a\":1,}}", "expected a string key but found \"}\""));
    CHECK(rejects("{" BASE ",\"props\":{\"a\" 1}}", "expected ':' but found \"1\""));
    CHECK(rejects("{" BASE ",\"props\":{\"a\":1", "expected ',' or '}' but found end of line"));
    CHECK(rejects("{" BASE ",\"props\":{\"\":1}}", "empty property name"));
}

TEST(deep_nesting)
{
    /* No recursion: a hundred thousand brackets are one rejection, at the first. */
    size_t n = 200000;
    char *line = malloc(n + 100);
    int o = snprintf(line, 100, "{" BASE ",\"x\":");
    memset(line + o, '[', n);
    line[o + n] = 0;
    CHECK(rejects(line, "property \"x\": arrays are not supported"));
    o = snprintf(line, 100, "{" BASE ",\"props\":");
    for (size_t i = 0; i < n; i += 6) memcpy(line + o + i, "{\"a\":", 5), line[o + i + 5] = ' ';
    line[o + n] = 0;
    CHECK(rejects(line, "property \"a\": nested objects are not supported"));
    free(line);
}

TEST(duplicates)
{
    CHECK(rejects("{" BASE ",\"member\":\"b\"}", "duplicate key \"member\""));
    CHECK(rejects("{\"ts\":0," BASE "}", "duplicate key \"ts\""));
    CHECK(rejects("{\"id\":null,\"id\":\"x\"," BASE "}", "duplicate key \"id\""));
    CHECK(rejects("{\"group\":null,\"group\":null," BASE "}", "duplicate key \"group\""));
    CHECK(rejects("{" BASE ",\"x\":1,\"x\":2}", "duplicate key \"x\""));
    CHECK(rejects("{" BASE ",\"x\":1,\"\\u0078\":2}", "duplicate key \"x\""));
    CHECK(rejects("{" BASE ",\"props\":{\"a\":1,\"a\":1}}", "duplicate key \"a\""));
    CHECK(rejects("{" BASE ",\"props\":{},\"props\":{}}", "duplicate key \"props\""));
}

TEST(too_many_props)
{
    char line[4096];
    shoal_event ev;
    int o = snprintf(line, sizeof line, "{" BASE);
    for (int i = 0; i < SHOAL_MAX_PROPS; i++) o += snprintf(line + o, sizeof line - (size_t)o, ",\"p%d\":%d", i, i);
    /* Nulls are absent, so they do not count. */
    o += snprintf(line + o, sizeof line - (size_t)o, ",\"z\":null}");
    CHECK_RC(parse(line, &ev), SHOAL_OK);
    CHECK(ev.n_props == SHOAL_MAX_PROPS && prop(&ev, "p63") && prop(&ev, "p63")->v.i == 63);
    CHECK_RC(shoal_event_check(&ev, NULL), SHOAL_OK);
    line[o - 5] = '1';
    line[o - 4] = '}';
    line[o - 3] = 0;
    CHECK(rejects(line, "too many properties (more than 64)"));
}

TEST(structure)
{
    CHECK(rejects("", "expected a JSON object but found end of line"));
    CHECK(rejects("   ", "expected a JSON object but found end of line"));
    CHECK(rejects("[1,2]", "expected a JSON object but found \"[1\""));
    CHECK(rejects("\"str\"", "expected a JSON object"));
    CHECK(rejects("42", "expected a JSON object but found \"42\""));
    CHECK(rejects("null", "expected a JSON object but found \"null\""));
    CHECK(rejects("not json", "expected a JSON object but found \"not\""));
    CHECK(rejects("{", "expected a string key but found end of line"));
    CHECK(rejects("{\"a\"", "expected ':' but found end of line"));
    CHECK(rejects("{\"ts\":0", "expected ',' or '}' but found end of line"));
    CHECK(rejects("{\"ts\":0,", "expected a string key but found end of line"));
    CHECK(rejects("{\"ts\":0,}", "expected a string key but found \"}\""));
    CHECK(rejects("{ts:0}", "expected a string key but found \"ts\""));
    CHECK(rejects("{'ts':0}", "expected a string key"));
    CHECK(rejects("{\"ts\":0;\"a\":1}", "expected ',' or '}' but found \";\""));
    CHECK(rejects("{" BASE "} x", "trailing characters after the object: \"x\""));
    CHECK(rejects("{" BASE "}{" BASE "}", "trailing characters after the object"));
    CHECK(rejects("{" BASE "},", "trailing characters after the object: \",\""));
    CHECK(rejects("\xef\xbb\xbf{" BASE "}", "expected a JSON object"));
}

TEST(truncated_lines)
{
    /* Every proper prefix of a valid line is rejected (and none crashes). */
    const char *line = "{\"id\":\"e\\u00e9\",\"ts\":\"2025-03-04T09:00:12+08:00\",\"member\":\"m\",\"type\":\"t\","
                       "\"props\":{\"a\":-1.5e3,\"s\":\"\\ud83d\\ude00\"},\"b\":true,\"c\":null}";
    size_t n = strlen(line);
    int bad = 0;
    shoal_event ev;
    for (size_t k = 0; k < n; k++) {
        /* A copy of exactly k bytes, so ASan sees any read past the end. */
        char *cut = malloc(k ? k : 1);
        memcpy(cut, line, k);
        if (parse_n(cut, k, &ev) != SHOAL_EFORMAT || E.msg[0] == 0) bad++;
        free(cut);
    }
    CHECK(bad == 0);
    CHECK_RC(parse_n(line, n, &ev), SHOAL_OK);
}

TEST(huge_strings)
{
    size_t n = SHOAL_MAX_STRVAL + 200;
    char *line = malloc(n + 100);
    shoal_event ev;
    int o = snprintf(line, 100, "{" BASE ",\"s\":\"");
    memset(line + o, 'a', SHOAL_MAX_STRVAL);
    strcpy(line + o + SHOAL_MAX_STRVAL, "\"}");
    CHECK_RC(parse(line, &ev), SHOAL_OK);
    CHECK(ev.n_props == 1 && ev.props[0].v.s.len == SHOAL_MAX_STRVAL);
    line[o] = 'b';
    strcpy(line + o + SHOAL_MAX_STRVAL, "a\"}");
    CHECK(rejects(line, "property \"s\": string longer than 65536 bytes"));
    /* The same through escapes: the decoded length is what counts. */
    for (int i = 0; i < SHOAL_MAX_STRVAL / 6; i++) memcpy(line + o + 6 * i, "\\u00e9", 6);
    strcpy(line + o + 6 * (SHOAL_MAX_STRVAL / 6), "\"}");
    CHECK_RC(parse(line, &ev), SHOAL_OK);
    CHECK(ev.n_props == 1 && ev.props[0].v.s.len == 2 * (SHOAL_MAX_STRVAL / 6));
    free(line);
}

TEST(out_of_memory)
{
    shoal_arena *a = shoal_arena_new();
    shoal_event ev;
    const char *line = "{" BASE ",\"a\":1}";
    shoal_mem_fail_after(0);
    shoal_err_clear(&E);
    int rc = shoal_ndjson_parse(line, strlen(line), a, &ev, &E);
    shoal_mem_fail_after(-1);
    CHECK_RC(rc, SHOAL_ENOMEM);
    CHECK(E.code == SHOAL_ENOMEM);
    shoal_err_clear(&E);
    CHECK_RC(shoal_ndjson_parse(line, strlen(line), a, &ev, &E), SHOAL_OK);
    shoal_arena_free(a);
}

/* A string's scan (read_str: 16 bytes at a time, then 8, then one) stops at the first
 * quote, backslash or control byte and notes a non-ASCII byte before it, wherever they
 * lie in a block: a member of every length to 40, ASCII, or with an escaped quote, a
 * control byte, a two-byte UTF-8 letter or a bad byte at each place, the line ending
 * right after the string or 20 bytes later. */
TEST(string_scan_every_place)
{
    char v[64], want[64], line[256];
    for (int tail = 0; tail < 2; tail++)
        for (int n = 0; n <= 40; n++)
            for (int k = -1; k < n; k++)
                for (int kind = 0; kind < 4; kind++) {
                    if (k < 0 && kind) continue;
                    int vn = 0, wn = 0;
                    for (int i = 0; i < n; i++) {
                        if (i == k && kind == 0) {   /* an escaped quote */
                            v[vn++] = '\\', v[vn++] = '"', want[wn++] = '"';
                        } else if (i == k && kind == 1) {   /* a control byte */
                            v[vn++] = 0x01;
                        } else if (i == k && kind == 2) {   /* a two-byte letter */
                            v[vn++] = (char)0xc3, v[vn++] = (char)0xa9, want[wn++] = (char)0xc3, want[wn++] = (char)0xa9;
                        } else if (i == k && kind == 3) {   /* a byte that is not UTF-8 */
                            v[vn++] = (char)0xff;
                        } else {
                            v[vn++] = want[wn++] = (char)('a' + i % 26);
                        }
                    }
                    int ln = snprintf(line, sizeof line, "{\"ts\":\"2025-03-04T09:00:12Z\",\"type\":\"t\",\"member\":\"%.*s\"%s}",
                                      vn, v, tail ? ",\"x\":\"0123456789\"" : "");
                    shoal_event ev;
                    int rc = parse_n(line, (size_t)ln, &ev);
                    if (k >= 0 && kind == 1) CHECK(rc == SHOAL_EFORMAT && strstr(E.msg, "control character"));
                    else if (k >= 0 && kind == 3) CHECK(rc == SHOAL_EFORMAT && strstr(E.msg, "invalid UTF-8"));
                    else if (n == 0) CHECK(rc == SHOAL_EFORMAT);   /* an empty member */
                    else CHECK(rc == SHOAL_OK && ev.member.len == (uint32_t)wn && memcmp(ev.member.ptr, want, wn) == 0);
                }
}

/* ---------------------------------------------------------------- the fast path */

static int str_same(shoal_str a, shoal_str b)
{
    return (a.ptr == NULL) == (b.ptr == NULL) && a.len == b.len && (a.len == 0 || !memcmp(a.ptr, b.ptr, a.len));
}

/* Whether s lies outside line[0..n): an event's strings are copies, the line is reused. */
static int outside(shoal_str s, const char *line, size_t n)
{
    return !s.ptr || s.ptr + s.len <= line || s.ptr >= line + n;
}

/* Whether shoal_ndjson_parse (with the fast path for the usual key order) and
 * shoal_ndjson_parse_general give the same for line[0..n): the return code, the
 * error's code, span and message, or the event field by field. Prints the line
 * when not. */
static int fast_same(const char *line, size_t n)
{
    shoal_event a, b;
    shoal_err ea, eb;
    shoal_err_clear(&ea);
    shoal_err_clear(&eb);
    int ra = shoal_ndjson_parse(line, n, A, &a, &ea), rb = shoal_ndjson_parse_general(line, n, A, &b, &eb);
    int same = ra == rb && ea.code == eb.code && ea.off == eb.off && ea.len == eb.len && !strcmp(ea.msg, eb.msg);
    if (same && ra == SHOAL_OK) {
        same = a.has_id == b.has_id && (!a.has_id || str_same(a.id, b.id)) && a.ts == b.ts &&
               str_same(a.member, b.member) && str_same(a.type, b.type) && str_same(a.group, b.group) &&
               a.n_props == b.n_props && outside(a.id, line, n) && outside(a.member, line, n) &&
               outside(a.type, line, n) && outside(a.group, line, n);
        for (uint32_t i = 0; same && i < a.n_props; i++) {
            const shoal_prop *p = &a.props[i], *q = &b.props[i];
            same = str_same(p->key, q->key) && p->kind == q->kind &&
                   (p->kind == SHOAL_VAL_STR    ? str_same(p->v.s, q->v.s)
                    : p->kind == SHOAL_VAL_BOOL ? p->v.b == q->v.b
                    : p->kind == SHOAL_VAL_INT  ? p->v.i == q->v.i
                                                : !memcmp(&p->v.d, &q->v.d, sizeof p->v.d));
        }
    }
    if (!same) {
        printf("  fast and general differ on %.*s\n", (int)(n > 300 ? 300 : n), line);
        printf("    fast rc %d off %d len %d \"%s\"; general rc %d off %d len %d \"%s\"\n", ra, ea.off, ea.len,
               ea.msg, rb, eb.off, eb.len, eb.msg);
    }
    shoal_arena_reset(A);
    return same;
}

/* The values each field takes in the lines below: the usual plain strings first, then
 * what the fast path must leave to the general parse (escapes, UTF-8, empty and too
 * long strings, numbers, numbers as strings, null, other timestamp forms, bad ones). */
static const char *const id_vals[] = {"\"e-1\"", "\"e-1234567\"", "\"\"", "\"e\\u002d1\"", "\"\xc3\xa9-1\"", "123",
                                      "-7", "1.5", "null", "true", "\"e\\\"1\"", "\"\xff\"", "\"e-1", "{}", "\"@255\"",
                                      "\"@256\""};
static const char *const ts_vals[] = {"\"2024-07-01T00:18:16.943Z\"", "\"2024-07-01T00:18:16.943+02:00\"",
                                      "\"2024-07-01\"", "1719792000000", "\"1719792000000\"",
                                      "\"2024-02-30T00:00:00.000Z\"", "\"2024-07-01T24:00:00.000Z\"",
                                      "\"2024-07-01T00:18:16\\u002e943Z\"", "\"\"", "null", "\"2024-07-01t00:18:16.943Z\"",
                                      "\"2400-01-01T00:00:00.000Z\"", "1.5", "\"2024-07-01T00:18:16.943Z"};
static const char *const name_vals[] = {"\"m-1\"", "\"join\"", "\"\"", "\"m\\u00e9\"", "\"m\xc3\xa9\"", "\"@255\"",
                                        "\"@256\"", "12", "null", "\"m\\n\"", "\"m\x01\"", "\"m\xc3\"", "true", "[1]",
                                        "\"m-1"};
static const char *const extra[] = {"\"to\":\"m-11\"", "\"props\":{\"a\":1,\"b\":\"x\"}", "\"id\":\"e-2\"",
                                    "\"x\":1.5", "\"ts\":\"2024-07-01T00:00:00.000Z\"", "\"group\":null",
                                    "\"properties\":{\"a\":2}", "\"a\":1", "\"member\":\"m-2\"", "\"Type\":\"x\""};
static const char *const keys[5] = {"id", "ts", "member", "type", "group"};

/* Appends v to the line at *o, "@N" standing for N bytes of 'x'. */
static void put_val(char **o, const char *v)
{
    if (v[0] == '"' && v[1] == '@') {
        int k = atoi(v + 2);
        *(*o)++ = '"';
        memset(*o, 'x', (size_t)k);
        *o += k;
        *(*o)++ = '"';
        return;
    }
    size_t n = strlen(v);
    memcpy(*o, v, n);
    *o += n;
}

/* A line of the fields order[0..n_order) (indices into keys) with the values vals[],
 * extra key e (or -1) before field at (or at the end), sep between members and colon
 * between key and value. Returns its length. */
static size_t make_line(char *line, const int *order, int n_order, const char *const *vals, int e, int at,
                        const char *sep, const char *colon)
{
    char *o = line;
    *o++ = '{';
    int first = 1;
    for (int i = 0; i <= n_order; i++) {
        if (e >= 0 && at == i) {
            if (!first) o += sprintf(o, "%s", sep);
            o += sprintf(o, "%s", extra[e]);
            first = 0;
        }
        if (i == n_order) break;
        if (!first) o += sprintf(o, "%s", sep);
        o += sprintf(o, "\"%s\"%s", keys[order[i]], colon);
        put_val(&o, vals[order[i]]);
        first = 0;
    }
    *o++ = '}';
    *o = 0;
    return (size_t)(o - line);
}

/* The fast path for the usual key order (ndjson.c, fast_fields) gives exactly what the
 * general parse gives, event or error, for lines in every key order, with keys
 * missing, repeated or added, every field's unusual values, blanks, and each usual
 * line mutated at every byte (changed to each of a few telling bytes, dropped, cut
 * there, a blank or a backslash put before it), then 200k random mixes of all that. */
TEST(fast_as_general)
{
    static char line[4096], mut[4096];
    const char *usual[5] = {id_vals[1], ts_vals[0], name_vals[0], name_vals[1], "\"g-97\""};
    const char *vals[5];
    int order[5];
    size_t n;

    /* every order of the five, with an extra key nowhere or at each place */
    for (int perm = 0; perm < 120; perm++) {
        int pool[5] = {0, 1, 2, 3, 4}, r = perm;
        for (int i = 0; i < 5; i++) {
            int k = r % (5 - i);
            r /= 5 - i;
            order[i] = pool[k];
            memmove(pool + k, pool + k + 1, sizeof(int) * (size_t)(4 - k));
        }
        for (int e = -1; e < (int)(sizeof extra / sizeof *extra); e++)
            for (int at = 0; at <= (e < 0 ? 0 : 5); at++) {
                n = make_line(line, order, 5, usual, e, at, ",", ":");
                CHECK(fast_same(line, n));
            }
    }
    /* the usual order, each field with each of its values, each subset of the fields */
    for (int i = 0; i < 5; i++) order[i] = i;
    for (int f = 0; f < 5; f++) {
        const char *const *vs = f == 0 ? id_vals : f == 1 ? ts_vals : name_vals;
        size_t nv = f == 0 ? sizeof id_vals / sizeof *id_vals
                  : f == 1 ? sizeof ts_vals / sizeof *ts_vals
                           : sizeof name_vals / sizeof *name_vals;
        for (size_t v = 0; v < nv; v++) {
            memcpy(vals, usual, sizeof vals);
            vals[f] = vs[v];
            for (int e = -1; e < 3; e++) {
                n = make_line(line, order, 5, vals, e, 5, ",", ":");
                CHECK(fast_same(line, n));
            }
        }
    }
    for (int mask = 0; mask < 32; mask++) {
        int sub[5], k = 0;
        for (int i = 0; i < 5; i++)
            if (mask >> i & 1) sub[k++] = i;
        n = make_line(line, sub, k, usual, -1, 0, ",", ":");
        CHECK(fast_same(line, n));
        n = make_line(line, sub, k, usual, 0, k, ",", ":");
        CHECK(fast_same(line, n));
    }
    /* blanks */
    static const char *const seps[] = {",", " ,", ", ", ",\t", " , "}, *const colons[] = {":", " :", ": ", " : "};
    for (size_t s = 0; s < 5; s++)
        for (size_t c = 0; c < 4; c++) {
            n = make_line(line, order, 5, usual, 0, 5, seps[s], colons[c]);
            CHECK(fast_same(line, n));
        }
    /* each usual line, with and without a property, mutated at every byte */
    static const char telling[] = {'"', '\\', ',', ':', '{', '}', ' ', '0', 'x', 'T', '-', (char)0x80, (char)0xc3, 0x01, 0};
    for (int e = -1; e < 2; e++) {
        size_t base = make_line(line, order, 5, usual, e, 5, ",", ":");
        CHECK(fast_same(line, base));
        for (size_t i = 0; i < base; i++) {
            for (size_t t = 0; t < sizeof telling; t++) {
                memcpy(mut, line, base);
                mut[i] = telling[t];
                CHECK(fast_same(mut, base));
            }
            memcpy(mut, line, i);   /* dropped */
            memcpy(mut + i, line + i + 1, base - i - 1);
            CHECK(fast_same(mut, base - 1));
            CHECK(fast_same(line, i));   /* cut */
            for (int t = 0; t < 2; t++) {   /* a blank or a backslash before it */
                memcpy(mut, line, i);
                mut[i] = t ? '\\' : ' ';
                memcpy(mut + i + 1, line + i, base - i);
                CHECK(fast_same(mut, base + 1));
            }
        }
    }
    /* random mixes: mostly the usual order, some fields unusual, some mutations */
    uint64_t rs = 0x9e3779b97f4a7c15ull;
    int bad = 0;
    for (int round = 0; round < 200000 && bad < 10; round++) {
        int k = 5;
        for (int i = 0; i < 5; i++) order[i] = i;
        if (unit_next64(&rs) % 4 == 0) {   /* shuffled */
            for (int i = 4; i > 0; i--) {
                int j = (int)(unit_next64(&rs) % (uint64_t)(i + 1)), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        if (unit_next64(&rs) % 8 == 0) k = (int)(unit_next64(&rs) % 5);   /* the last ones missing */
        memcpy(vals, usual, sizeof vals);
        for (int i = 0; i < 5; i++)
            if (unit_next64(&rs) % 10 == 0) {
                if (i == 0) vals[i] = id_vals[unit_next64(&rs) % (sizeof id_vals / sizeof *id_vals)];
                else if (i == 1) vals[i] = ts_vals[unit_next64(&rs) % (sizeof ts_vals / sizeof *ts_vals)];
                else vals[i] = name_vals[unit_next64(&rs) % (sizeof name_vals / sizeof *name_vals)];
            }
        int e = unit_next64(&rs) % 3 ? -1 : (int)(unit_next64(&rs) % (sizeof extra / sizeof *extra));
        int at = (int)(unit_next64(&rs) % (uint64_t)(k + 1));
        n = make_line(line, order, k, vals, e, at, unit_next64(&rs) % 20 ? "," : ", ",
                      unit_next64(&rs) % 20 ? ":" : ": ");
        int muts = unit_next64(&rs) % 3 ? 0 : 1 + (int)(unit_next64(&rs) % 3);
        for (int m = 0; m < muts && n > 1; m++) {
            size_t i = unit_next64(&rs) % n;
            switch (unit_next64(&rs) % 3) {
            case 0: line[i] = telling[unit_next64(&rs) % sizeof telling]; break;
            case 1: memmove(line + i, line + i + 1, n - i - 1), n--; break;
            default: n = i; break;
            }
        }
        if (!fast_same(line, n)) bad++;
    }
    CHECK(bad == 0);
}

int main(void)
{
    A = shoal_arena_new();
    RUN(string_scan_every_place);
    RUN(fast_as_general);
    RUN(typical_event);
    RUN(strings_are_copied);
    RUN(whitespace);
    RUN(escapes);
    RUN(raw_utf8);
    RUN(invalid_utf8);
    RUN(bad_escapes);
    RUN(unterminated_and_control);
    RUN(numbers);
    RUN(numbers_match_strtod);
    RUN(number_helper);
    RUN(bad_numbers);
    RUN(literals);
    RUN(ts_field);
    RUN(id_field);
    RUN(required_fields);
    RUN(props_flattening);
    RUN(deep_nesting);
    RUN(duplicates);
    RUN(too_many_props);
    RUN(structure);
    RUN(truncated_lines);
    RUN(huge_strings);
    RUN(out_of_memory);
    shoal_arena_free(A);
    UNIT_EXIT();
}
