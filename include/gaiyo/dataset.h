/**
 * @file dataset.h
 * @brief The tables read from an input folder: one per definition and year.
 *
 * A gy_dataset is what gy_dataset_load or the year reader gy_years
 * (import.h) makes of an input folder; the writers (workbook, charts, checks, report) only read it,
 * through this header and table.h. Ownership: a dataset owns its tables
 * and strings; gy_dataset_free frees them all.
 */
#ifndef GAIYO_DATASET_H
#define GAIYO_DATASET_H

#include "gaiyo/table.h"

#include <stddef.h>

/** Everything read from an input folder: one table per definition and
 *  fiscal-year folder found. */
typedef struct gy_dataset {
    gy_table **v;
    size_t n;
    char **missing;   /**< "R6/xxx.csv" for definitions with no file, owned */
    size_t nmissing;
    char **empty;     /**< paths of the files read that have a header and no
                           data row (0-row tables: the commands warn), owned */
    size_t nempty;
    const gy_tabledef **filed; /**< the definitions with a file in some
                           year folder, known before any file is read (a
                           check made while the years are read, before a
                           later one, knows what it holds), owned array */
    size_t nfiled;
} gy_dataset;

/** Free a dataset. Accepts NULL. */
void gy_dataset_free(gy_dataset *ds);

/** Find the table of a definition id for a western fiscal year (0 = the
 *  latest year present), or NULL. */
const gy_table *gy_dataset_find(const gy_dataset *ds, const char *id, int western);

/** Whether some year folder of the input has a file of definition id: a
 *  table of ds, or a file the load listed (filed) before reading any —
 *  the same answer before the later years are read as after. */
bool gy_dataset_has_file(const gy_dataset *ds, const char *id);

#endif
