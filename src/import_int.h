/* import_int.h - private to the importer (csvread.c, import.c, encoding.c)
 *
 * The reader state shared by the CSV reader (csvread.c: libcsv callbacks,
 * record buffers, positions) and the importer proper (import.c: matching
 * the header to the definition, typing cells, keys, texts), and the few
 * helpers one calls in the other. Not part of any public interface. */
#ifndef GAIYO_IMPORT_INT_H
#define GAIYO_IMPORT_INT_H

#include "gaiyo/import.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct field {
    size_t off;        /* in the reader's record buffer */
    unsigned line;
} field;

/* An open-addressing set of 32-bit values filed under 32-bit hashes (hash
 * and value side by side: one cache miss per probe); value 0 is an empty
 * slot. Two of them while a file is imported: rows by key (hset_put; value
 * row + 1) and texts by content (intern; value an offset in t->tx). */
typedef struct hslot {
    uint32_t hash;     /* the low half of the hash (the slot comes from it) */
    uint32_t v;        /* 0 = empty */
} hslot;

typedef struct hset {
    hslot *s;
    size_t cap, n;
} hset;

enum { TX_OK = 0, TX_NOMEM, TX_FULL };

typedef struct reader {
    const gy_tabledef *def;
    const char *path;
    gy_diags *d;
    gy_table *t;
    /* current record: its fields' texts one after another in rb */
    field *f;
    char **fp;             /* the fields' texts (pointers into rb, set per record) */
    size_t nf, capf;
    char *rb;
    size_t rbn, rbcap;
    unsigned field_line;   /* line where the current field started */
    unsigned rec_line;     /* line where the current record started */
    bool need_start;
    /* header */
    bool have_header;
    int *map;              /* csv column → def column, -1 */
    size_t nhdr;
    unsigned hdr_line;
    hset keys;
    hset strs;             /* the table's texts (intern) */
    const char **ts;       /* per definition column: the text of this record hashed ahead, */
    size_t *tl;            /*   its length */
    uint64_t *th;          /*   and its tx_hash (gy_data_record) */
    int *absent;           /* definition columns the file does not have */
    size_t nabsent;
    bool keycheck;         /* rows must have distinct keys */
    bool fykey;            /* a key column is a fiscal year (hashed by its value, once parsed) */
    bool fatal;
    bool oom;
    size_t nerr0;
} reader;

/* the text of field i of the current record */
static inline char *fld(reader *r, size_t i)
{
    return r->rb + r->f[i].off;
}

/* encoding.c: whether a file's first line ends in a CR alone (an old Mac
 * file), where CR, LF and CRLF all end lines */
bool gy_cr_file(const char *s, size_t len);

/* import.c: room for n more bytes in t->tx (TX_OK, TX_NOMEM, TX_FULL) */
int gy_tx_room(gy_table *t, size_t n);
/* import.c: free a set's slots */
void gy_hset_free(hset *h);
/* import.c: the header record (the current record of r) matched to the
 * definition, the columns' storage allocated */
void gy_header_record(reader *r);
/* import.c: a data record (the current record of r) typed into a new row */
void gy_data_record(reader *r);

#endif
