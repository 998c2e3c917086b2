/* A partition's log: appends with offset assignment, segment rolling,
 * fetch reads and timestamp lookups. Loop thread only. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "records/byte_order.h"
#include "records/control_batch.h"
#include "records/record_batch.h"
#include "storage/storage_internal.h"

kelp_partition *kelp_partition_new(kelp_storage *s, kelp_topic *t, int32_t index)
{
    kelp_partition *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->storage = s;
    p->topic = t;
    p->index = index;
    kelp_producer_state_init(&p->producers);
    if (kelp_layout_partition_dir(p->dir, sizeof(p->dir), t->name, index) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

void kelp_partition_free(kelp_partition *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->segment_count; i++)
        kelp_segment_close(p->storage->fs, p->segments[i]);
    free(p->segments);
    free(p->dirty_segments);
    kelp_producer_state_free(&p->producers);
    free(p);
}

int kelp_partition_add_segment(kelp_partition *p, kelp_segment *seg)
{
    if (p->segment_count == p->segment_cap) {
        size_t cap = p->segment_cap ? p->segment_cap * 2 : 4;
        kelp_segment **n = realloc(p->segments, cap * sizeof(*n));
        if (!n)
            return KELP_STORAGE_ERR_NO_MEMORY;
        p->segments = n;
        p->segment_cap = cap;
    }
    p->segments[p->segment_count++] = seg;
    return KELP_STORAGE_OK;
}

static kelp_segment *active_segment(kelp_partition *p) { return p->segments[p->segment_count - 1]; }

int kelp_partition_roll(kelp_partition *p)
{
    if (p->segment_count > 0) {
        /* The final time index entry must reach the disk with the rest. */
        kelp_segment_seal(p->storage, active_segment(p));
        int mr = kelp_sync_mark_dirty(p, active_segment(p), false);
        if (mr != 0)
            return mr;
    }
    p->inherited_active = false;
    kelp_segment *seg;
    int rc = kelp_segment_open(p, p->log_end, &seg);
    if (rc != 0)
        return rc;
    /* A leftover file at this base (from a crash) holds nothing we keep. */
    if (seg->size > 0) {
        rc = p->storage->fs->ops->truncate(seg->log, 0);
        if (rc != 0) {
            kelp_segment_close(p->storage->fs, seg);
            return KELP_STORAGE_ERR_IO;
        }
        seg->size = 0;
    }
    rc = kelp_partition_add_segment(p, seg);
    if (rc != 0) {
        kelp_segment_close(p->storage->fs, seg);
        return rc;
    }
    return kelp_sync_mark_dirty(p, seg, true);
}

/* Checks the payload's batch framing before anything is written. */
static int count_batches(const uint8_t *p, size_t len, int64_t *records)
{
    size_t pos = 0;
    *records = 0;
    while (pos < len) {
        if (len - pos < KELP_BATCH_HEADER_SIZE || p[pos + KELP_BATCH_OFF_MAGIC] != 2)
            return -1;
        int32_t blen = (int32_t)kelp_be32(p + pos + KELP_BATCH_OFF_LENGTH);
        int32_t delta = (int32_t)kelp_be32(p + pos + KELP_BATCH_OFF_LAST_OFFSET_DELTA);
        if (blen < KELP_BATCH_HEADER_SIZE - KELP_BATCH_LOG_OVERHEAD ||
            (size_t)blen > len - pos - KELP_BATCH_LOG_OVERHEAD || delta < 0)
            return -1;
        *records += (int64_t)delta + 1;
        pos += KELP_BATCH_LOG_OVERHEAD + (size_t)blen;
    }
    return len > 0 ? 0 : -1;
}

int kelp_partition_append(kelp_partition *p, uint8_t *batches, size_t len, int64_t *base_offset, int64_t *last_offset)
{
    kelp_storage *s = p->storage;
    if (p->failed)
        return KELP_STORAGE_ERR_IO;
    int64_t records;
    if (count_batches(batches, len, &records) != 0)
        return KELP_STORAGE_ERR_INVALID;
    kelp_segment *seg = active_segment(p);
    bool offsets_overflow = p->log_end + records - seg->base_offset > (int64_t)UINT32_MAX;
    /* The topic's segment.bytes, else the store's. */
    const kelp_topic_config *tc = &p->topic->config;
    int64_t segment_bytes = tc->set & (1u << KELP_TC_SEGMENT_BYTES) ? tc->value[KELP_TC_SEGMENT_BYTES]
                                                                    : s->opt.segment_bytes;
    /* segment.ms compares record time with the segment's first batch, as
     * Kafka does, so old timestamps replayed together do not roll per batch. */
    int64_t segment_ms = kelp_topic_config_value(p->topic, KELP_TC_SEGMENT_MS);
    int64_t incoming_ts = (int64_t)kelp_be64(batches + KELP_BATCH_OFF_MAX_TIMESTAMP);
    bool aged = seg->first_timestamp >= 0 && incoming_ts > seg->first_timestamp &&
                (uint64_t)incoming_ts - (uint64_t)seg->first_timestamp > (uint64_t)segment_ms;
    if (seg->size > 0 &&
        (p->inherited_active || seg->size + len > (uint64_t)segment_bytes || offsets_overflow || aged)) {
        int rc = kelp_partition_roll(p);
        if (rc != 0)
            return rc;
        seg = active_segment(p);
    }
    /* Offsets and leader epoch sit outside the CRC-covered range. */
    int64_t next = p->log_end;
    for (size_t pos = 0; pos < len;) {
        kelp_put_be64(batches + pos, (uint64_t)next);
        kelp_put_be32(batches + pos + KELP_BATCH_OFF_LEADER_EPOCH, 0);
        next += (int64_t)kelp_be32(batches + pos + KELP_BATCH_OFF_LAST_OFFSET_DELTA) + 1;
        pos += KELP_BATCH_LOG_OVERHEAD + kelp_be32(batches + pos + KELP_BATCH_OFF_LENGTH);
    }
    struct iovec iov = {batches, len};
    int rc = s->fs->ops->append(seg->log, &iov, 1);
    if (rc != 0) {
        KELP_ERROR(STORAGE_LOG, "append to %s failed: %s", p->dir, strerror(-rc));
        /* Drop a partial write so the log stays whole batches. */
        if (s->fs->ops->truncate(seg->log, seg->size) != 0) {
            KELP_ERROR(STORAGE_LOG, "%s cannot be repaired; refusing further appends", p->dir);
            p->failed = true;
        }
        return KELP_STORAGE_ERR_IO;
    }
    for (size_t pos = 0; pos < len;) {
        uint64_t total = KELP_BATCH_LOG_OVERHEAD + kelp_be32(batches + pos + KELP_BATCH_OFF_LENGTH);
        kelp_segment_index_batch(s, seg, seg->size + pos, (int64_t)kelp_be64(batches + pos), total,
                                 (int64_t)kelp_be64(batches + pos + KELP_BATCH_OFF_MAX_TIMESTAMP), false);
        kelp_partition_track_producer(p, batches + pos, (size_t)total);
        pos += total;
    }
    seg->size += len;
    seg->next_offset = next;
    *base_offset = p->log_end;
    *last_offset = next - 1;
    p->log_end = next;
    return kelp_sync_mark_dirty(p, seg, false);
}

/* Index of the segment holding offset: the last one whose base is <= offset. */
static size_t segment_index_for(kelp_partition *p, int64_t offset)
{
    size_t lo = 0, hi = p->segment_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->segments[mid]->base_offset <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0 : lo - 1;
}

/* Position of the batch containing offset (or the first one after it);
 * 0 with *pos set, -1 when the segment has none. */
static int find_batch(kelp_partition *p, kelp_segment *seg, int64_t offset, uint64_t *pos, uint8_t hdr[61])
{
    uint64_t at = kelp_segment_lookup_position(seg, offset);
    while (kelp_segment_read_header(p->storage, seg, at, hdr) == 0) {
        int64_t last = (int64_t)kelp_be64(hdr) + (int32_t)kelp_be32(hdr + KELP_BATCH_OFF_LAST_OFFSET_DELTA);
        if (last >= offset) {
            *pos = at;
            return 0;
        }
        at += KELP_BATCH_LOG_OVERHEAD + kelp_be32(hdr + KELP_BATCH_OFF_LENGTH);
    }
    return -1;
}

int64_t kelp_partition_read(kelp_partition *p, int64_t offset, size_t max_bytes, kelp_buf *out)
{
    return kelp_partition_read_until(p, offset, p->high_watermark, max_bytes, out);
}

/* Adds to out the whole batches of seg from the one at start (its header
 * in hdr) that begin below limit and fit in budget; the first one even when
 * larger, if whole_first. *at_end: the slice reached the segment's end. */
static void slice_segment(kelp_partition *p, kelp_segment *seg, uint64_t start, const uint8_t *hdr, int64_t limit,
                          size_t budget, bool whole_first, kelp_log_slice *out, bool *at_end)
{
    kelp_storage *s = p->storage;
    *at_end = false;
    int64_t base = (int64_t)kelp_be64(hdr);
    uint64_t first = KELP_BATCH_LOG_OVERHEAD + kelp_be32(hdr + KELP_BATCH_OFF_LENGTH);
    if (base >= limit || (first > budget && !whole_first))
        return;
    /* Where the batches at or past limit begin: found through the index,
     * so a slice costs a few header reads however long it is. */
    uint64_t stop = seg->size;
    int64_t stop_next = seg->next_offset;
    uint8_t h[KELP_BATCH_HEADER_SIZE];
    if (limit < seg->next_offset) {
        uint64_t pos;
        if (find_batch(p, seg, limit, &pos, h) == 0) {
            int64_t b = (int64_t)kelp_be64(h);
            if (b < limit) { /* a batch across limit is kept whole */
                pos += KELP_BATCH_LOG_OVERHEAD + kelp_be32(h + KELP_BATCH_OFF_LENGTH);
                b += (int32_t)kelp_be32(h + KELP_BATCH_OFF_LAST_OFFSET_DELTA) + 1;
            }
            stop = pos;
            stop_next = b;
        }
    }
    uint64_t end = stop;
    int64_t next = stop_next;
    uint64_t room = budget > first ? budget : first;
    if (stop - start > room) {
        /* Cut at the last batch that ends within room, scanning from the
         * nearest indexed batch before the cut. */
        uint64_t cut = start + room;
        end = start + first;
        next = base + (int32_t)kelp_be32(hdr + KELP_BATCH_OFF_LAST_OFFSET_DELTA) + 1;
        uint64_t from = kelp_segment_batch_at_or_before(seg, cut);
        if (from > end) {
            if (kelp_segment_read_header(s, seg, from, h) == 0) {
                end = from;
                next = (int64_t)kelp_be64(h);
            }
        }
        while (kelp_segment_read_header(s, seg, end, h) == 0) {
            uint64_t total = KELP_BATCH_LOG_OVERHEAD + kelp_be32(h + KELP_BATCH_OFF_LENGTH);
            if (end + total > cut)
                break;
            end += total;
            next = (int64_t)kelp_be64(h) + (int32_t)kelp_be32(h + KELP_BATCH_OFF_LAST_OFFSET_DELTA) + 1;
        }
    }
    out->range[out->count++] = (kelp_log_range){.file = seg->log, .pos = start, .len = (size_t)(end - start)};
    out->bytes += (size_t)(end - start);
    out->next_offset = next;
    *at_end = end == seg->size;
}

int kelp_partition_slice(kelp_partition *p, int64_t offset, int64_t limit, size_t max_bytes, bool whole_first,
                         kelp_log_slice *out)
{
    out->count = 0;
    out->bytes = 0;
    out->next_offset = offset;
    if (offset < p->log_start || offset > p->high_watermark)
        return KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE;
    if (limit > p->high_watermark)
        limit = p->high_watermark;
    /* A slice that reaches a segment's end goes on into the next while room
     * is left: a small segment (one a restart on the filer rolled, say)
     * costs the consumer no extra round trip. */
    while (offset < limit && out->count < KELP_SLICE_MAX_RANGES && (out->count == 0 || out->bytes < max_bytes)) {
        /* Compaction can leave a segment's tail (or a whole segment) without
         * the offsets it once held: the next batch may be in a later segment. */
        uint8_t hdr[KELP_BATCH_HEADER_SIZE];
        uint64_t start = 0;
        kelp_segment *seg = NULL;
        for (size_t i = segment_index_for(p, offset); i < p->segment_count && !seg; i++)
            if (find_batch(p, p->segments[i], offset, &start, hdr) == 0)
                seg = p->segments[i];
        if (!seg)
            break;
        int before = out->count;
        bool at_end;
        size_t budget = max_bytes > out->bytes ? max_bytes - out->bytes : 0;
        slice_segment(p, seg, start, hdr, limit, budget, whole_first && before == 0, out, &at_end);
        if (out->count == before || !at_end)
            break;
        offset = out->next_offset;
    }
    return KELP_STORAGE_OK;
}

int kelp_partition_slice_read(kelp_partition *p, const kelp_log_slice *slice, kelp_buf *out)
{
    size_t at = out->len;
    for (int i = 0; i < slice->count; i++) {
        const kelp_log_range *r = &slice->range[i];
        uint8_t *dst = kelp_buf_extend(out, r->len);
        if (!dst) {
            out->len = at;
            return KELP_STORAGE_ERR_NO_MEMORY;
        }
        if (p->storage->fs->ops->pread(r->file, dst, r->len, r->pos) != (ssize_t)r->len) {
            out->len = at;
            return KELP_STORAGE_ERR_IO;
        }
    }
    return KELP_STORAGE_OK;
}

int kelp_partition_slice_fd(kelp_partition *p, const kelp_log_range *r)
{
    const kelp_fs_ops *ops = p->storage->fs->ops;
    int fd = ops->os_fd ? ops->os_fd(r->file) : -1;
    return fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
}

int64_t kelp_partition_read_until(kelp_partition *p, int64_t offset, int64_t limit, size_t max_bytes, kelp_buf *out)
{
    kelp_log_slice slice;
    int rc = kelp_partition_slice(p, offset, limit, max_bytes, true, &slice);
    if (rc == KELP_STORAGE_OK)
        rc = kelp_partition_slice_read(p, &slice, out);
    return rc == KELP_STORAGE_OK ? (int64_t)slice.bytes : rc;
}

/* Reads the whole batch at pos into the storage scratch buffer. */
static const uint8_t *read_batch(kelp_partition *p, kelp_segment *seg, uint64_t pos, const uint8_t hdr[61],
                                 size_t *len)
{
    kelp_storage *s = p->storage;
    *len = KELP_BATCH_LOG_OVERHEAD + kelp_be32(hdr + KELP_BATCH_OFF_LENGTH);
    kelp_buf_clear(&s->scratch);
    uint8_t *dst = kelp_buf_extend(&s->scratch, *len);
    if (!dst || s->fs->ops->pread(seg->log, dst, *len, pos) != (ssize_t)*len)
        return NULL;
    return dst;
}

int kelp_partition_offset_for_timestamp(kelp_partition *p, int64_t ts, int64_t *offset, int64_t *found_ts)
{
    for (size_t i = 0; i < p->segment_count; i++) {
        kelp_segment *seg = p->segments[i];
        if (seg->max_timestamp < ts || seg->base_offset >= p->high_watermark)
            continue;
        int64_t from = kelp_segment_lookup_time(seg, ts);
        if (from < p->log_start)
            from = p->log_start;
        uint8_t hdr[KELP_BATCH_HEADER_SIZE];
        uint64_t pos;
        if (find_batch(p, seg, from, &pos, hdr) != 0)
            continue;
        do {
            int64_t base = (int64_t)kelp_be64(hdr);
            if (base >= p->high_watermark)
                return 0;
            if ((int64_t)kelp_be64(hdr + KELP_BATCH_OFF_MAX_TIMESTAMP) >= ts) {
                size_t len;
                const uint8_t *batch = read_batch(p, seg, pos, hdr, &len);
                int64_t off, t;
                if (batch && kelp_batch_find_timestamp(batch, len, ts, p->log_start, &off, &t) == 1) {
                    *offset = off;
                    *found_ts = t;
                    return 1;
                }
            }
            pos += KELP_BATCH_LOG_OVERHEAD + kelp_be32(hdr + KELP_BATCH_OFF_LENGTH);
        } while (kelp_segment_read_header(p->storage, seg, pos, hdr) == 0);
    }
    return 0;
}

int kelp_partition_max_timestamp(kelp_partition *p, int64_t *offset, int64_t *ts)
{
    kelp_segment *best = NULL;
    for (size_t i = 0; i < p->segment_count; i++)
        if (p->segments[i]->max_timestamp >= 0 && (!best || p->segments[i]->max_timestamp > best->max_timestamp))
            best = p->segments[i];
    if (!best || p->log_end == p->log_start)
        return 0;
    uint8_t hdr[KELP_BATCH_HEADER_SIZE];
    uint64_t pos;
    if (find_batch(p, best, best->max_timestamp_batch, &pos, hdr) != 0)
        return 0;
    size_t len;
    const uint8_t *batch = read_batch(p, best, pos, hdr, &len);
    if (!batch || kelp_batch_max_timestamp_offset(batch, len, offset, ts) != 1)
        return 0;
    return 1;
}

kelp_topic *kelp_partition_topic(kelp_partition *p) { return p->topic; }
int32_t kelp_partition_index(const kelp_partition *p) { return p->index; }
int64_t kelp_partition_log_start_offset(const kelp_partition *p) { return p->log_start; }

int64_t kelp_partition_size_bytes(const kelp_partition *p)
{
    int64_t total = 0;
    for (size_t i = 0; i < p->segment_count; i++)
        total += (int64_t)p->segments[i]->size;
    return total;
}
int64_t kelp_partition_high_watermark(const kelp_partition *p) { return p->high_watermark; }
int64_t kelp_partition_log_end_offset(const kelp_partition *p) { return p->log_end; }

void kelp_partition_track_producer(kelp_partition *p, const uint8_t *batch, size_t len)
{
    kelp_batch_header h;
    if (kelp_batch_header_parse(batch, len, &h) != 0 || h.producer_id < 0)
        return;
    int rc;
    if (h.attributes & KELP_BATCH_ATTR_CONTROL) {
        int32_t coordinator_epoch;
        int type = kelp_control_batch_parse(batch, len, &coordinator_epoch);
        rc = kelp_producer_state_apply_marker(&p->producers, &h, h.base_offset, type, coordinator_epoch);
    } else {
        rc = kelp_producer_state_apply(&p->producers, &h, h.base_offset, -1);
    }
    if (rc != 0)
        KELP_ERROR(STORAGE_LOG, "%s: out of memory tracking producer %lld", p->dir, (long long)h.producer_id);
}

kelp_producer_state *kelp_partition_producers(kelp_partition *p) { return &p->producers; }

int64_t kelp_partition_last_stable_offset(kelp_partition *p)
{
    return kelp_producer_state_lso(&p->producers, p->high_watermark);
}

int kelp_partition_append_marker(kelp_partition *p, int64_t producer_id, int16_t producer_epoch, int type,
                                 int32_t coordinator_epoch, int64_t timestamp_ms, int64_t *offset)
{
    uint8_t batch[KELP_CONTROL_BATCH_SIZE];
    kelp_control_batch_build(batch, producer_id, producer_epoch,
                             type == KELP_CONTROL_COMMIT ? KELP_CONTROL_COMMIT : KELP_CONTROL_ABORT, coordinator_epoch,
                             timestamp_ms);
    int64_t last;
    return kelp_partition_append(p, batch, sizeof(batch), offset, &last);
}
