/* JSON Schema validation of record payloads (valijson behind a C API). */
#ifndef KELP_SCHEMA_VALIDATE_JSON_H
#define KELP_SCHEMA_VALIDATE_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kelp_json_checker kelp_json_checker;

/* Parses a registered JSON Schema (drafts 4 to 7 as valijson reads them);
 * NULL with a reason when it cannot be used. */
kelp_json_checker *kelp_json_checker_new(const char *schema, size_t len, char *why, size_t whylen);
/* 0 when doc is JSON that the schema accepts, -1 with a reason otherwise. */
int kelp_json_checker_check(const kelp_json_checker *c, const uint8_t *doc, size_t len, char *why, size_t whylen);
void kelp_json_checker_free(kelp_json_checker *c);

#ifdef __cplusplus
}
#endif

#endif
