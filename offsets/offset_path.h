/* Where committed offsets and group metadata live on the filer, in the
 * layout the SeaweedFS Go gateway uses:
 *   topics/kafka/.meta/consumer_offsets/<group>/<topic>/<partition>/offset
 *   topics/kafka/.meta/consumer_groups/<group>/group.json
 * A group id is any string, so it is encoded into one safe path component:
 * bytes outside [A-Za-z0-9._-] (and the whole ids "." and "..") become %XX;
 * the empty id is "%". Ids made of safe bytes, the usual case, keep their
 * name, which is what the Go gateway writes. */
#ifndef KELP_OFFSETS_OFFSET_PATH_H
#define KELP_OFFSETS_OFFSET_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KELP_OFFSETS_ROOT "topics/kafka/.meta/consumer_offsets"
#define KELP_GROUPS_ROOT "topics/kafka/.meta/consumer_groups"
#define KELP_OFFSET_FILE "offset"
#define KELP_GROUP_FILE "group.json"

/* The longest encoded group id: one file-name component. */
#define KELP_GROUP_DIR_MAX 255

/* Encodes a group id; -1 when the encoding exceeds KELP_GROUP_DIR_MAX. */
int kelp_group_dir_encode(const char *group, size_t len, char out[KELP_GROUP_DIR_MAX + 1]);
/* Decodes a directory name into out (cap bytes, NUL-terminated); the
 * decoded length goes to *len. false for a name this encoding never makes. */
bool kelp_group_dir_decode(const char *name, char *out, size_t cap, size_t *len);

/* Paths; each returns 0, or -1 when the id cannot be encoded or the path
 * does not fit. */
int kelp_offset_file_path(char *out, size_t cap, const char *group, size_t glen, const char *topic,
                          int32_t partition);
int kelp_offset_partition_dir(char *out, size_t cap, const char *group, size_t glen, const char *topic,
                              int32_t partition);
int kelp_offset_group_dir(char *out, size_t cap, const char *group, size_t glen);
int kelp_group_metadata_path(char *out, size_t cap, const char *group, size_t glen);
int kelp_group_metadata_dir(char *out, size_t cap, const char *group, size_t glen);

#endif
