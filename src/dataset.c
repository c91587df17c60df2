/* dataset.c - the tables read from an input folder (gy_dataset)
 *
 * Freeing a dataset and finding the table of a definition for a fiscal
 * year: what every writer needs of the data, declared in gaiyo/dataset.h.
 * Datasets are filled by gy_dataset_load (import.c). Tested through
 * tests/unit/test_import.c. Moved out of import.c (issue 17). */
#include "gaiyo/dataset.h"

#include <stdlib.h>
#include <string.h>

void gy_dataset_free(gy_dataset *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->n; i++)
        gy_table_free(ds->v[i]);
    free(ds->v);
    for (size_t i = 0; i < ds->nmissing; i++)
        free(ds->missing[i]);
    free(ds->missing);
    for (size_t i = 0; i < ds->nempty; i++)
        free(ds->empty[i]);
    free(ds->empty);
    free(ds->filed);
    ds->filed = NULL;
    ds->nfiled = 0;
    ds->v = NULL;
    ds->missing = NULL;
    ds->empty = NULL;
    ds->n = ds->nmissing = ds->nempty = 0;
}

const gy_table *gy_dataset_find(const gy_dataset *ds, const char *id, int western)
{
    const gy_table *best = NULL;
    for (size_t i = 0; i < ds->n; i++) {
        const gy_table *t = ds->v[i];
        if (strcmp(t->def->id, id))
            continue;
        if (western ? t->fy.western == western : (!best || t->fy.western > best->fy.western))
            best = t;
    }
    return best;
}

bool gy_dataset_has_file(const gy_dataset *ds, const char *id)
{
    for (size_t i = 0; i < ds->n; i++)
        if (!strcmp(ds->v[i]->def->id, id))
            return true;
    for (size_t i = 0; i < ds->nfiled; i++)
        if (!strcmp(ds->filed[i]->id, id))
            return true;
    return false;
}
