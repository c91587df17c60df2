/* target.c - one libFuzzer binary per entry of entry.h: FUZZ_TARGET names
 * it ("import", "value", "tabledef"); built by fuzz/meson.build. */
#include "entry.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name an entry of entry.h"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gy_fuzz_fn entry;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("GAIYO_TABLES");
    if (gy_fuzz_init(dir ? dir : GAIYO_TABLES_DIR) != 0) {
        fprintf(stderr, "fuzz: cannot load the definitions of %s\n", dir ? dir : GAIYO_TABLES_DIR);
        abort();
    }
    if (getenv("GAIYO_FUZZ_LIST")) { /* for scripts/fuzz-seeds.py */
        gy_fuzz_list(stdout);
        exit(0);
    }
    entry = gy_fuzz_find(FUZZ_TARGET);
    if (!entry) {
        fprintf(stderr, "fuzz: no entry named %s\n", FUZZ_TARGET);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    entry(data, size, NULL);
    return 0;
}
