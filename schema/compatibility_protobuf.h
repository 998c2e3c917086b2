/* Protobuf compatibility with the rules of Confluent's Protobuf schema diff
 * (libprotobuf behind a C API). */
#ifndef KELP_SCHEMA_COMPATIBILITY_PROTOBUF_H
#define KELP_SCHEMA_COMPATIBILITY_PROTOBUF_H

#include <stddef.h>

#include "schema/references.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether a reader with schema reader reads what a writer with schema writer
 * wrote (each .proto text or a base64 FileDescriptorProto). 1 compatible,
 * 0 not (why names the first difference that breaks it), -1 when the check
 * cannot be made: unusable schema, imports outside google/protobuf/
 * (references to other subjects), extensions or groups. */
int kelp_protobuf_can_read(const char *reader, const char *writer, char *why, size_t whylen);
/* The same with the files each imports (references; NULL: none): other
 * imports than those and google/protobuf/ ones cannot be checked. */
int kelp_protobuf_can_read_deps(const char *reader, const kelp_schema_deps *reader_deps, const char *writer,
                                const kelp_schema_deps *writer_deps, char *why, size_t whylen);

#ifdef __cplusplus
}
#endif

#endif
