/* testhooks.c - the GAIYO_TEST_* environment hooks (testhooks.h). Built
 * twice: without GAIYO_TEST_HOOKS into what ships (every hook off, no
 * variable read), with it into gaiyo-test, the binary the test suites run.
 * Covered by the cli suite (cli_test.sh: "the shipped gaiyo ignores the
 * test hooks"). */
#include "gaiyo/testhooks.h"

#include <stdlib.h>

const char *gy_test_hook_str(const char *name)
{
#ifdef GAIYO_TEST_HOOKS
    const char *v = getenv(name);
    return v && *v ? v : NULL;
#else
    (void)name;
    return NULL;
#endif
}

size_t gy_test_hook(const char *name)
{
    const char *v = gy_test_hook_str(name);
    return v ? (size_t)strtoull(v, NULL, 10) : 0;
}
