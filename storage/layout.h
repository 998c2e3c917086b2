/* Where everything lives under the filer root.
 *
 *   <root>/topics/kafka/
 *       .meta/                             reserved for the gateway (consumer
 *                                          offsets and more); never a topic
 *       <topic>/topic.json                 {"name", "id" (22-char base64url
 *                                          UUID as Kafka prints it),
 *                                          "partitions", "created_ms",
 *                                          "configs": {}}; written last and
 *                                          atomically: the topic exists iff
 *                                          this file does
 *       <topic>/<partition>/               partition number in decimal
 *           <base>.log                     record batches exactly as stored;
 *                                          <base> is the segment's first
 *                                          offset as 20 decimal digits
 *           <base>.index                   sparse offset index: 8-byte entries,
 *                                          relative offset (uint32 BE) of a
 *                                          batch's first record + its file
 *                                          position (uint32 BE), one per
 *                                          index_interval_bytes of log
 *           <base>.timeindex               12-byte entries: max timestamp so
 *                                          far (int64 BE) + relative offset
 *                                          (uint32 BE) of the batch holding it,
 *                                          added with offset index entries when
 *                                          the maximum grew, and once more when
 *                                          the segment is rolled
 *           log-start-offset               optional checkpoint (decimal text)
 *                                          raising the log start offset
 *
 * Index files can always be rebuilt from the .log they describe. */
#ifndef KELP_STORAGE_LAYOUT_H
#define KELP_STORAGE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define KELP_LAYOUT_TOPICS_DIR "topics/kafka"
#define KELP_LAYOUT_META_DIR ".meta"
#define KELP_LAYOUT_TOPIC_FILE "topic.json"
#define KELP_LAYOUT_LOG_START_FILE "log-start-offset"
#define KELP_LAYOUT_CLEAN_SHUTDOWN_FILE "clean-shutdown" /* in META_DIR under TOPICS_DIR */
/* Deleted topics wait here for their files to be removed. */
#define KELP_LAYOUT_TRASH_DIR "topics/kafka/.meta/deleted"
#define KELP_LAYOUT_LOG_SUFFIX ".log"
#define KELP_LAYOUT_INDEX_SUFFIX ".index"
#define KELP_LAYOUT_TIMEINDEX_SUFFIX ".timeindex"
#define KELP_LAYOUT_BASE_DIGITS 20

#define KELP_LAYOUT_OFFSET_ENTRY 8
#define KELP_LAYOUT_TIME_ENTRY 12

/* Long enough for any path built from a valid topic name, and for a
 * committed offset's path (an encoded group id of up to 255 bytes, a topic
 * and a partition). */
#define KELP_LAYOUT_PATH_MAX 1024

/* Each returns 0, or -1 when the result would not fit. */
int kelp_layout_topic_dir(char *out, size_t cap, const char *topic);
int kelp_layout_topic_file(char *out, size_t cap, const char *topic);
int kelp_layout_partition_dir(char *out, size_t cap, const char *topic, int32_t partition);
/* <partition dir>/<20-digit base><suffix> */
int kelp_layout_segment_file(char *out, size_t cap, const char *partition_dir, int64_t base, const char *suffix);
/* Parses "<20 digits>.log"; 0 with *base set, -1 for any other name. */
int kelp_layout_parse_segment_name(const char *name, int64_t *base);

#endif
