/* Protobuf validation of record payloads (libprotobuf behind a C API). */
#ifndef KELP_SCHEMA_VALIDATE_PROTOBUF_H
#define KELP_SCHEMA_VALIDATE_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

#include "schema/references.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kelp_proto_checker kelp_proto_checker;

/* Builds the descriptors of a registered schema: .proto text, or the
 * base64 of a serialized FileDescriptorProto (what some clients register).
 * Imports resolve only to the well-known types libprotobuf carries. NULL
 * with a reason when the schema cannot be built. */
kelp_proto_checker *kelp_proto_checker_new(const char *schema, size_t len, char *why, size_t whylen);
/* The same with the files it imports (references, dependencies first). */
kelp_proto_checker *kelp_proto_checker_new_deps(const char *schema, size_t len, const kelp_schema_deps *deps,
                                                char *why, size_t whylen);
/* 0 when indexes (the framing's message-index path) name a message of the
 * file and payload parses as it; -1 with a reason otherwise. */
int kelp_proto_checker_check(kelp_proto_checker *c, const int32_t *indexes, size_t n_indexes, const uint8_t *payload,
                             size_t len, char *why, size_t whylen);
void kelp_proto_checker_free(kelp_proto_checker *c);

#ifdef __cplusplus
}
#endif

#endif
