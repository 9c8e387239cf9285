/* test_experiment.c — the assignment hash of experiments (shoal_exp_hash in
 * engine/view_experiment.c, which query/experiment.c calls too): the documented byte layout (the salt, one 0 byte, the member's name) through XXH3_64bits,
 * which is stable across machines and releases since xxHash 0.8 (its own test vector
 * for the empty input checks the library linked here). */
#include <stdint.h>
#include <string.h>
#include <xxhash.h>

#include "unit.h"

uint64_t shoal_exp_hash(const char *salt, size_t salt_len, const char *member, size_t member_len);

TEST(xxh3_vector)
{
    /* xxHash's published XXH3_64bits of the empty input (seed 0) */
    CHECK(XXH3_64bits("", 0) == 0x2D06800538D394C2ULL);
}

TEST(layout)
{
    CHECK(shoal_exp_hash("s1", 2, "alice", 5) == XXH3_64bits("s1\0alice", 8));
    CHECK(shoal_exp_hash("ritual", 6, "m-77", 4) == XXH3_64bits("ritual\0m-77", 11));
    CHECK(shoal_exp_hash("", 0, "", 0) == XXH3_64bits("\0", 1));
    /* the 0 byte keeps ("ab", "c") and ("a", "bc") apart */
    CHECK(shoal_exp_hash("ab", 2, "c", 1) != shoal_exp_hash("a", 1, "bc", 2));
}

int main(void)
{
    RUN(xxh3_vector);
    RUN(layout);
    UNIT_EXIT();
}
