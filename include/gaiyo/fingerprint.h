/**
 * @file fingerprint.h
 * @brief Whether out/ already holds the report of these inputs: a
 *        fingerprint of input/ and templates/ and out/.gaiyo-state
 *        (src/fingerprint.c).
 */
#ifndef GAIYO_FINGERPRINT_H
#define GAIYO_FINGERPRINT_H

#include "gaiyo/util.h"

/** A fingerprint (hex) of everything a report depends on: the program's
 *  version, SOURCE_DATE_EPOCH, and the path and bytes of every file under
 *  input and templates. NULL if a file could not be read. */
char *gy_report_fingerprint(const char *input, const char *templates);

/** Whether out/ holds a complete report made from that fingerprint. */
bool gy_report_up_to_date(const char *outdir, const char *fp);

#endif
