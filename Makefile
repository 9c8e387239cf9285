# shoal — one non-recursive Makefile.
#   make [MODE=release|debug|sanitize]   build build/$(MODE)/shoal and libshoal.a
#   make test        unit, language and end-to-end tests (prints "N passed, N failed")
#   make sanitize    the whole test suite under AddressSanitizer + UBSan
#   make fuzz        libFuzzer harnesses for every parser (FUZZ_SECONDS each), and random
#                    statements against sqlite3 (tests/e2e/sqlite_diff.sh) as long
#   make demo        deps, build, generate demo data, ingest it, print a summary
#   make bench       figures against DuckDB and SQLite (bench/run)
#   make deps        install missing Debian packages (apt-get, as root): the build's
#                    libraries and tools, and sqlite3, python3, script and chromium
#                    (a headless browser for the dashboard's test) for the tests
#   make case-study  rerun docs/CASE-STUDY.md's statements and paste their outputs

MODE ?= release
BUILD := build/$(MODE)
CC ?= cc

CSTD := -std=c11 -D_DEFAULT_SOURCE
WARN := -Wall -Wextra -Werror
ifeq ($(MODE),debug)
  OPT := -O0 -g3
else ifeq ($(MODE),sanitize)
  OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  SAN_LDFLAGS := -fsanitize=address,undefined
else
  OPT := -O2 -g
endif

CPPFLAGS := -Iengine -Iingest -Iquery -I$(BUILD)/gen
CFLAGS := $(CSTD) $(WARN) $(OPT) -MMD -MP
LDFLAGS := $(SAN_LDFLAGS)
LDLIBS := -llmdb -lxxhash -lreadline -lexpat -lm -lpthread
# The shoal binary links its libraries statically where their archives are installed:
# each shared library costs a `shoal query` process its loading and relocation at every
# start (some 0.3 ms of the 2.4 ms a `SELECT 1` process takes; issue 17). The libraries
# that a static link would not find stay shared.
STATIC_ARCHIVES := $(foreach l,lmdb xxhash readline tinfo expat,$(if $(filter /%,$(shell $(CC) -print-file-name=lib$(l).a)),$(l)))
SHARED_LIBS := $(foreach l,lmdb xxhash readline expat,$(if $(filter $(l),$(STATIC_ARCHIVES)),,-l$(l))) \
               $(if $(filter readline,$(STATIC_ARCHIVES)),$(if $(filter tinfo,$(STATIC_ARCHIVES)),,-ltinfo))
BIN_LDLIBS := -Wl,-Bstatic $(STATIC_ARCHIVES:%=-l%) -Wl,-Bdynamic $(SHARED_LIBS) -lm -lpthread
# The release binary goes further where every library has its archive and the C library
# links as a static PIE: the dynamic loader, mapping libc and libm and relocating them,
# was 0.25 ms of the 1 ms of CPU a `SELECT 1` process takes and some 100 of its 135 page
# faults (issue 17, docs/ARCHITECTURE.md "The cold process"). The link names readline's
# lookups of users (~user in file names, never reached: the REPL completes by itself),
# answered from /etc/passwd by cli/passwd.c in that binary (glibc's own would pull its
# name service switch, and the link would warn). Sanitizers need the dynamic one.
ifeq ($(MODE),release)
  ifeq ($(strip $(SHARED_LIBS)),)
    ifeq ($(shell printf 'int main(void){return 0;}' | $(CC) -static-pie -x c - -o /dev/null 2>/dev/null && echo y),y)
      BIN_LDFLAGS := -static-pie
      BIN_LDLIBS := $(STATIC_ARCHIVES:%=-l%) -lm -lpthread
      STATIC_PIE := 1
    endif
  endif
endif

# ---------------------------------------------------------------- sources

LIB_SRC := $(wildcard engine/*.c ingest/*.c query/*.c)
LEX_SRC := $(wildcard query/lexer.l)
YACC_SRC := $(wildcard query/parser.y)
GEN_C := $(if $(YACC_SRC),$(BUILD)/gen/parser.c) $(if $(LEX_SRC),$(BUILD)/gen/lexer.c)
GEN_H := $(if $(YACC_SRC),$(BUILD)/gen/parser.h) $(if $(LEX_SRC),$(BUILD)/gen/lexer.h)
CLI_SRC := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_C:%.c=%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Tools the end-to-end scripts use beside shoal (tests/tools/): built next to the units.
TOOL_BIN := $(BUILD)/tests/dbpoke

LIB := $(BUILD)/libshoal.a
BIN := $(BUILD)/shoal

.PHONY: all test sanitize fuzz demo bench deps clean case-study
.DEFAULT_GOAL := all

all: $(BIN) $(LIB)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

ifeq ($(STATIC_PIE),1)
$(BUILD)/cli/passwd.o: CPPFLAGS += -DSHOAL_STATIC_PIE
endif

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $(BIN_LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(BIN_LDLIBS)

# Objects depend on the generated headers so that the parser exists before anything
# that includes it is compiled.
$(BUILD)/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Generated sources: flex/bison output is not ours to keep warning-free. The rules
# below have two outputs each, hence grouped targets (&:), so -j runs them once.
GEN_CFLAGS := $(CSTD) -Wall -Wextra -Werror -Wno-unused-function -Wno-sign-compare -Wno-unused-parameter $(OPT) -MMD -MP
$(BUILD)/gen/%.o: $(BUILD)/gen/%.c $(GEN_H)
	$(CC) $(CPPFLAGS) $(GEN_CFLAGS) -c -o $@ $<

$(BUILD)/gen/parser.c $(BUILD)/gen/parser.h &: query/parser.y
	@mkdir -p $(dir $@)
	bison -Wall -Werror -d -o $(BUILD)/gen/parser.c $<

$(BUILD)/gen/lexer.c $(BUILD)/gen/lexer.h &: query/lexer.l $(BUILD)/gen/parser.h
	@mkdir -p $(dir $@)
	flex --header-file=$(BUILD)/gen/lexer.h -o $(BUILD)/gen/lexer.c $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/dbpoke: tests/tools/dbpoke.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -llmdb

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# ---------------------------------------------------------------- tests

test: $(BIN) $(UNIT_BIN) $(TOOL_BIN)
	SHOAL=$(abspath $(BIN)) UNIT_DIR=$(abspath $(BUILD)/tests) bash tests/run

sanitize:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(MAKE) MODE=sanitize test

FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
fuzz: $(BIN)
	@echo "== sqlite_diff for $(FUZZ_SECONDS)s (random statements against sqlite3, seeds from 1000)"
	SHOAL=$(abspath $(BIN)) SQLITE_DIFF_SEEDS=1000 SQLITE_DIFF_SECONDS=$(FUZZ_SECONDS) bash tests/e2e/sqlite_diff.sh
	@command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)"; exit 2; }
	$(MAKE) MODE=fuzz CC=clang OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
	    SAN_LDFLAGS="-fsanitize=address,undefined" build/fuzz/libshoal.a
	@mkdir -p build/fuzz/bin build/fuzz/corpus
	@set -e; for f in $(FUZZ_SRC); do \
	    n=$$(basename $$f .c); \
	    clang $(CPPFLAGS) -Ibuild/fuzz/gen $(CSTD) -O1 -g -fsanitize=fuzzer,address,undefined \
	        -o build/fuzz/bin/$$n $$f build/fuzz/libshoal.a $(LDLIBS); \
	    mkdir -p build/fuzz/corpus/$$n; \
	    seeds=tests/fuzz/seeds/$$n; [ -d $$seeds ] || seeds=; \
	    echo "== $$n for $(FUZZ_SECONDS)s"; \
	    st=0; build/fuzz/bin/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -artifact_prefix=build/fuzz/ \
	        build/fuzz/corpus/$$n $$seeds > build/fuzz/$$n.log 2>&1 || st=$$?; \
	    tail -n 3 build/fuzz/$$n.log; \
	    if [ $$st -ne 0 ]; then echo "$$n found a failure (exit $$st): build/fuzz/$$n.log, its input in build/fuzz/"; exit 1; fi; \
	done

# ---------------------------------------------------------------- demo, bench

DEMO_EVENTS ?= 200000
DEMO_DB := build/demo/shoal.db
DEMO_NOW := SET NOW = '2025-06-30T12:00:00Z';
demo: deps all
	@mkdir -p build/demo
	$(BIN) gen --events $(DEMO_EVENTS) --seed 7 > build/demo/events.ndjson
	@rm -rf $(DEMO_DB)
	$(BIN) --db $(DEMO_DB) ingest build/demo/events.ndjson
	$(BIN) --db $(DEMO_DB) stats
	@echo
	@echo "-- views, kept by every later ingest in the same transaction as the events"
	$(BIN) --db $(DEMO_DB) query "CREATE COUNTERS activity AS count(post WHERE original), count(essence); \
	    CREATE SCORE engagement AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS"
	$(BIN) --db $(DEMO_DB) query --format table "SHOW VIEWS"
	@echo "-- members eligible for core creator this month (3+ original posts, or 100+ essence)"
	$(BIN) --db $(DEMO_DB) query --format table "$(DEMO_NOW) SELECT member, \
	    count(post WHERE original) DURING this_month AS originals, count(essence) AS essence \
	    FROM members WHERE count(post WHERE original) DURING this_month >= 3 OR count(essence) >= 100 \
	    ORDER BY originals DESC LIMIT 10"
	@echo "-- the same rule as a named layer, and why one member is in it"
	$(BIN) --db $(DEMO_DB) query --format table "$(DEMO_NOW) CREATE LAYER core_creator AS \
	    count(post WHERE original) DURING this_month >= 3 OR count(essence) >= 100; \
	    SELECT count(*) AS core_creators FROM members WHERE member IN core_creator; \
	    EXPLAIN MEMBER 'm-82' IN core_creator"
	@echo "-- this season's most engaged members (decayed score, from the view)"
	$(BIN) --db $(DEMO_DB) query --format table "$(DEMO_NOW) SELECT member, round(engagement, 1) AS engagement \
	    FROM members ORDER BY engagement DESC LIMIT 5"
	@echo "-- the community pyramid: tiers, first match wins"
	$(BIN) --db $(DEMO_DB) query --format table "$(DEMO_NOW) CREATE TIERS pyramid (core WHEN member IN core_creator \
	    OR engagement >= 200, backbone WHEN count(*) DURING last 30 days >= 10, \
	    base WHEN count(*) DURING last 30 days >= 1, silent OTHERWISE); \
	    SELECT tier, count(*) AS members FROM tiers(pyramid) GROUP BY tier ORDER BY members"
	@echo "-- how members moved between tiers, month over month (the last two months)"
	$(BIN) --db $(DEMO_DB) query --format table "$(DEMO_NOW) SELECT period, move, sum(members) AS members \
	    FROM flow(pyramid) PER MONTH DURING BETWEEN '2025-05-01' AND '2025-06-30' GROUP BY period, move ORDER BY period, move"
	@echo "-- who became core this month"
	$(BIN) --db $(DEMO_DB) query --format table "$(DEMO_NOW) SELECT member, period AS since, from_tier \
	    FROM transitions(pyramid) PER DAY WHERE to_tier = 'core' DURING this_month ORDER BY since, member LIMIT 5"
	@echo "-- this week's rising stars: the largest rise of the engagement score"
	$(BIN) --db $(DEMO_DB) query --format table "$(DEMO_NOW) SELECT member, round(rise(engagement) DURING last 7 days, 1) AS rise, \
	    round(engagement, 1) AS engagement FROM members ORDER BY rise DESC LIMIT 5"
	@echo "-- the liveliest groups of the last 30 days"
	$(BIN) --db $(DEMO_DB) query --format table "$(DEMO_NOW) SELECT group, \
	    count(DISTINCT member) AS speakers, count(*) AS messages FROM events \
	    WHERE type IN (post, comment, reply) DURING last 30 days \
	    GROUP BY group ORDER BY speakers DESC LIMIT 5"
	@echo "-- retention by monthly join cohort, and active members per month"
	$(BIN) --db $(DEMO_DB) query --format table "$(DEMO_NOW) CREATE RETENTION monthly_retention COHORT BY first(join) \
	    PER MONTH ACTIVE ON post, comment, reply, checkin; CREATE ACTIVITY daily_activity ON post, comment, reply, checkin, like; \
	    SELECT cohort, cohort_size, k, active, round(rate, 3) AS rate FROM retention(monthly_retention) \
	    WHERE cohort = '2025-01' ORDER BY k"
	@echo "-- the welcome ritual experiment: each arm against control, 7 days after first exposure"
	$(BIN) --db $(DEMO_DB) query --format table "$(DEMO_NOW) CREATE EXPERIMENT welcome_ritual ARMS (control 50, ritual 50) \
	    METRICS (posts = count(post) WITHIN 7 DAYS, spoke = count(post, comment, reply) WITHIN 7 DAYS > 0) EXPOSURE exposure; \
	    SELECT metric, arm, units, round(mean, 3) AS mean, round(rel_diff, 3) AS lift, round(p, 3) AS p, decision_ready \
	    FROM experiment(welcome_ritual) ORDER BY metric, arm"
	@echo "-- the community dashboard: dashboards/community.shoal run on one snapshot (shoal batch)"
	$(BIN) --db $(DEMO_DB) batch dashboards/community.shoal --out build/demo/dashboard --as-of 2025-06-30T23:59:59Z --quiet
	@echo
	@echo "The demo database is $(DEMO_DB); ask it more with"
	@echo "  $(BIN) --db $(DEMO_DB) repl"
	@echo "The dashboard (open it in a browser; its CSV and JSON files are beside it):"
	@echo "  $(abspath build/demo/dashboard/index.html)"

bench: all
	bash bench/run $(BENCH_SIZES)

# Reruns the statements of docs/CASE-STUDY.md over the History Meta dump and pastes
# their outputs (needs ../shared/data/history-meta-stackexchange and `shoal query`).
case-study: all
	CASE_STUDY_UPDATE=1 SHOAL=$(abspath $(BIN)) SHOAL_TESTS=$(abspath tests) bash tests/e2e/case_study.sh

# ---------------------------------------------------------------- deps

deps:
	@missing=""; \
	[ -f /usr/include/lmdb.h ] || missing="$$missing liblmdb-dev"; \
	[ -f /usr/include/xxhash.h ] || missing="$$missing libxxhash-dev"; \
	command -v xxhsum >/dev/null || missing="$$missing xxhash"; \
	[ -f /usr/include/readline/readline.h ] || missing="$$missing libreadline-dev"; \
	[ -f /usr/include/expat.h ] || missing="$$missing libexpat1-dev"; \
	command -v flex >/dev/null || missing="$$missing flex"; \
	command -v bison >/dev/null || missing="$$missing bison"; \
	command -v sqlite3 >/dev/null || missing="$$missing sqlite3"; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	command -v script >/dev/null || missing="$$missing bsdutils"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf build
