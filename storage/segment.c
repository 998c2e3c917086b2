/* Segments: a .log file plus its sparse offset and time indexes, which are
 * also kept in memory so lookups never touch the index files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "records/byte_order.h"
#include "records/record_batch.h"
#include "storage/storage_internal.h"

static int segment_path(const kelp_partition *p, int64_t base, const char *suffix, char *out)
{
    return kelp_layout_segment_file(out, KELP_LAYOUT_PATH_MAX, p->dir, base, suffix);
}

static int open_file(kelp_fs *fs, const kelp_partition *p, int64_t base, const char *suffix, kelp_fs_file **out)
{
    char path[KELP_LAYOUT_PATH_MAX];
    if (segment_path(p, base, suffix, path) != 0)
        return KELP_STORAGE_ERR_INVALID;
    int rc = fs->ops->open_append(fs, path, out);
    if (rc != 0) {
        KELP_ERROR(STORAGE_LOG, "cannot open %s: %s", path, strerror(-rc));
        return KELP_STORAGE_ERR_IO;
    }
    return KELP_STORAGE_OK;
}

int kelp_segment_open(kelp_partition *p, int64_t base, kelp_segment **out)
{
    kelp_fs *fs = p->storage->fs;
    kelp_segment *seg = calloc(1, sizeof(*seg));
    if (!seg)
        return KELP_STORAGE_ERR_NO_MEMORY;
    atomic_init(&seg->refs, 1);
    seg->base_offset = base;
    seg->partition = p;
    seg->next_offset = base;
    seg->max_timestamp = -1;
    seg->first_timestamp = -1;
    seg->max_timestamp_batch = base;
    kelp_buf_init(&seg->offset_entries);
    kelp_buf_init(&seg->time_entries);
    int rc = open_file(fs, p, base, KELP_LAYOUT_LOG_SUFFIX, &seg->log);
    if (rc == 0) {
        int64_t size = fs->ops->size(seg->log);
        if (size < 0)
            rc = KELP_STORAGE_ERR_IO;
        else
            seg->size = (uint64_t)size;
    }
    if (rc != 0) {
        kelp_segment_close(fs, seg);
        return rc;
    }
    *out = seg;
    return KELP_STORAGE_OK;
}

void kelp_segment_retain(kelp_segment *seg) { atomic_fetch_add(&seg->refs, 1); }

void kelp_segment_close(kelp_fs *fs, kelp_segment *seg)
{
    /* The cleaner may still be reading it; the last holder closes it. */
    if (!seg || atomic_fetch_sub(&seg->refs, 1) > 1)
        return;
    if (seg->log)
        fs->ops->close(seg->log);
    if (seg->index)
        fs->ops->close(seg->index);
    if (seg->timeindex)
        fs->ops->close(seg->timeindex);
    kelp_buf_free(&seg->offset_entries);
    kelp_buf_free(&seg->time_entries);
    free(seg);
}

static size_t offset_count(const kelp_segment *seg) { return seg->offset_entries.len / KELP_LAYOUT_OFFSET_ENTRY; }
static size_t time_count(const kelp_segment *seg) { return seg->time_entries.len / KELP_LAYOUT_TIME_ENTRY; }
static uint32_t offset_rel(const kelp_segment *seg, size_t i) { return kelp_be32(seg->offset_entries.data + i * 8); }
static uint32_t offset_pos(const kelp_segment *seg, size_t i) { return kelp_be32(seg->offset_entries.data + i * 8 + 4); }
static int64_t time_ts(const kelp_segment *seg, size_t i) { return (int64_t)kelp_be64(seg->time_entries.data + i * 12); }
static uint32_t time_rel(const kelp_segment *seg, size_t i) { return kelp_be32(seg->time_entries.data + i * 12 + 8); }

/* Index files are rebuilt from the log when damaged, so a failed index
 * write is logged and otherwise ignored. */
/* Appends the entries not yet in the file, opening it first if need be. */
static void flush_entries(kelp_storage *s, kelp_segment *seg, const char *suffix, kelp_fs_file **f,
                          const kelp_buf *mem, size_t *on_disk)
{
    if (*on_disk >= mem->len)
        return;
    if (!*f) {
        if (!seg->partition || open_file(s->fs, seg->partition, seg->base_offset, suffix, f) != 0)
            return; /* the index is rebuilt from the log when it does not fit */
        /* Nothing of it written yet: a leftover of an earlier segment at
         * this base must not stay in front of the entries. */
        if (*on_disk == 0 && s->fs->ops->size(*f) > 0)
            s->fs->ops->truncate(*f, 0);
    }
    struct iovec iov = {mem->data + *on_disk, mem->len - *on_disk};
    int rc = s->fs->ops->append(*f, &iov, 1);
    if (rc != 0)
        KELP_WARN(STORAGE_LOG, "index write failed: %s", strerror(-rc));
    *on_disk = mem->len; /* a failed write leaves a damaged index, which is rebuilt */
}

static void append_entry(kelp_storage *s, kelp_segment *seg, const char *suffix, kelp_fs_file **f, kelp_buf *mem,
                         size_t *on_disk, const uint8_t *e, size_t n, bool write_file)
{
    if (!kelp_buf_append(mem, e, n)) {
        kelp_buf_clear(mem); /* keep a usable (if empty) index */
        mem->failed = false;
        *on_disk = 0;
        return;
    }
    if (write_file)
        flush_entries(s, seg, suffix, f, mem, on_disk);
}

static void add_time_entry(kelp_storage *s, kelp_segment *seg, bool write_file)
{
    size_t n = time_count(seg);
    if (seg->max_timestamp < 0 || (n > 0 && time_ts(seg, n - 1) >= seg->max_timestamp))
        return;
    uint8_t e[KELP_LAYOUT_TIME_ENTRY];
    kelp_put_be64(e, (uint64_t)seg->max_timestamp);
    kelp_put_be32(e + 8, (uint32_t)(seg->max_timestamp_batch - seg->base_offset));
    append_entry(s, seg, KELP_LAYOUT_TIMEINDEX_SUFFIX, &seg->timeindex, &seg->time_entries,
                 &seg->time_entries_on_disk, e, sizeof(e), write_file);
}

int kelp_segment_index_batch(kelp_storage *s, kelp_segment *seg, uint64_t pos, int64_t base, uint64_t size,
                             int64_t max_ts, bool write_files)
{
    if (max_ts > seg->max_timestamp) {
        seg->max_timestamp = max_ts;
        seg->max_timestamp_batch = base;
    }
    if (pos == 0)
        seg->first_timestamp = max_ts;
    if (seg->bytes_since_index >= (uint64_t)s->opt.index_interval_bytes) {
        uint8_t e[KELP_LAYOUT_OFFSET_ENTRY];
        kelp_put_be32(e, (uint32_t)(base - seg->base_offset));
        kelp_put_be32(e + 4, (uint32_t)pos);
        append_entry(s, seg, KELP_LAYOUT_INDEX_SUFFIX, &seg->index, &seg->offset_entries,
                     &seg->offset_entries_on_disk, e, sizeof(e), write_files);
        add_time_entry(s, seg, write_files);
        seg->bytes_since_index = 0;
    }
    seg->bytes_since_index += size;
    return KELP_STORAGE_OK;
}

void kelp_segment_flush_entries(kelp_storage *s, kelp_segment *seg)
{
    add_time_entry(s, seg, false);
    flush_entries(s, seg, KELP_LAYOUT_INDEX_SUFFIX, &seg->index, &seg->offset_entries, &seg->offset_entries_on_disk);
    flush_entries(s, seg, KELP_LAYOUT_TIMEINDEX_SUFFIX, &seg->timeindex, &seg->time_entries,
                  &seg->time_entries_on_disk);
}

int kelp_segment_seal(kelp_storage *s, kelp_segment *seg)
{
    atomic_store(&seg->sealed, true);
    kelp_segment_flush_entries(s, seg);
    return KELP_STORAGE_OK;
}

void kelp_segment_seal_entries(kelp_storage *s, kelp_segment *seg) { add_time_entry(s, seg, false); }

uint64_t kelp_segment_lookup_position(const kelp_segment *seg, int64_t offset)
{
    if (offset <= seg->base_offset)
        return 0;
    uint64_t rel = (uint64_t)(offset - seg->base_offset);
    size_t lo = 0, hi = offset_count(seg); /* first entry with rel_e > rel */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (offset_rel(seg, mid) <= rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0 : offset_pos(seg, lo - 1);
}

uint64_t kelp_segment_batch_at_or_before(const kelp_segment *seg, uint64_t pos)
{
    size_t lo = 0, hi = offset_count(seg); /* first entry past pos */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (offset_pos(seg, mid) <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0 : offset_pos(seg, lo - 1);
}

int64_t kelp_segment_lookup_time(const kelp_segment *seg, int64_t ts)
{
    /* Entries are (max timestamp so far, batch holding it): everything up to
     * and including that batch is older than ts when the entry is. */
    size_t lo = 0, hi = time_count(seg); /* first entry with ts_e >= ts */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (time_ts(seg, mid) < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? seg->base_offset : seg->base_offset + time_rel(seg, lo - 1);
}

int kelp_segment_read_header(kelp_storage *s, kelp_segment *seg, uint64_t pos, uint8_t hdr[61])
{
    if (pos + KELP_BATCH_HEADER_SIZE > seg->size)
        return -1;
    ssize_t n = s->fs->ops->pread(seg->log, hdr, KELP_BATCH_HEADER_SIZE, pos);
    if (n != KELP_BATCH_HEADER_SIZE || hdr[KELP_BATCH_OFF_MAGIC] != 2)
        return -1;
    int32_t len = (int32_t)kelp_be32(hdr + KELP_BATCH_OFF_LENGTH);
    if (len < KELP_BATCH_HEADER_SIZE - KELP_BATCH_LOG_OVERHEAD ||
        pos + KELP_BATCH_LOG_OVERHEAD + (uint64_t)len > seg->size)
        return -1;
    if ((int32_t)kelp_be32(hdr + KELP_BATCH_OFF_LAST_OFFSET_DELTA) < 0)
        return -1;
    return 0;
}

int kelp_segment_rebuild(kelp_storage *s, kelp_segment *seg, bool check_crc, uint64_t *valid_end)
{
    kelp_buf_clear(&seg->offset_entries);
    kelp_buf_clear(&seg->time_entries);
    seg->offset_entries_on_disk = seg->time_entries_on_disk = 0; /* the callers replace the files */
    seg->bytes_since_index = 0;
    seg->max_timestamp = -1;
    seg->first_timestamp = -1;
    seg->max_timestamp_batch = seg->base_offset;
    int64_t next = seg->base_offset;
    uint64_t pos = 0;
    uint8_t hdr[KELP_BATCH_HEADER_SIZE];
    while (kelp_segment_read_header(s, seg, pos, hdr) == 0) {
        int64_t base = (int64_t)kelp_be64(hdr);
        uint64_t total = KELP_BATCH_LOG_OVERHEAD + (uint64_t)kelp_be32(hdr + KELP_BATCH_OFF_LENGTH);
        int32_t last_delta = (int32_t)kelp_be32(hdr + KELP_BATCH_OFF_LAST_OFFSET_DELTA);
        if (base != next || base - seg->base_offset + last_delta > (int64_t)UINT32_MAX)
            break;
        if (check_crc) {
            kelp_buf_clear(&s->scratch);
            uint8_t *dst = kelp_buf_extend(&s->scratch, (size_t)total);
            if (!dst)
                return KELP_STORAGE_ERR_NO_MEMORY;
            if (s->fs->ops->pread(seg->log, dst, (size_t)total, pos) != (ssize_t)total ||
                kelp_batch_check_crc(dst, (size_t)total) != KELP_BATCH_OK)
                break;
        }
        kelp_segment_index_batch(s, seg, pos, base, total, (int64_t)kelp_be64(hdr + KELP_BATCH_OFF_MAX_TIMESTAMP),
                                 false);
        next = base + last_delta + 1;
        pos += total;
    }
    seg->next_offset = next;
    *valid_end = pos;
    return KELP_STORAGE_OK;
}

static int replace_index_file(kelp_storage *s, kelp_partition *p, kelp_segment *seg, const char *suffix,
                              const kelp_buf *mem, kelp_fs_file **f)
{
    char path[KELP_LAYOUT_PATH_MAX];
    if (segment_path(p, seg->base_offset, suffix, path) != 0)
        return KELP_STORAGE_ERR_INVALID;
    int rc = s->fs->ops->write_file_atomic(s->fs, path, mem->data, mem->len);
    if (rc != 0) {
        KELP_ERROR(STORAGE_LOG, "cannot write %s: %s", path, strerror(-rc));
        return KELP_STORAGE_ERR_IO;
    }
    /* The old handle refers to the replaced file; a new one is opened
     * when entries are next written. */
    if (*f)
        s->fs->ops->close(*f);
    *f = NULL;
    return KELP_STORAGE_OK;
}

int kelp_segment_write_indexes(kelp_storage *s, kelp_partition *p, kelp_segment *seg)
{
    int rc = replace_index_file(s, p, seg, KELP_LAYOUT_INDEX_SUFFIX, &seg->offset_entries, &seg->index);
    if (rc == 0)
        rc = replace_index_file(s, p, seg, KELP_LAYOUT_TIMEINDEX_SUFFIX, &seg->time_entries, &seg->timeindex);
    if (rc == 0) {
        seg->offset_entries_on_disk = seg->offset_entries.len;
        seg->time_entries_on_disk = seg->time_entries.len;
    }
    return rc;
}

/* 0, or -1; with missing_is_empty a file that does not exist reads as no
 * entries (an active segment's index files appear when it is sealed). */
static int read_index(kelp_storage *s, kelp_partition *p, kelp_segment *seg, const char *suffix, kelp_buf *mem,
                      bool missing_is_empty)
{
    char path[KELP_LAYOUT_PATH_MAX];
    if (segment_path(p, seg->base_offset, suffix, path) != 0)
        return -1;
    kelp_buf_clear(mem);
    int rc = s->fs->ops->read_file(s->fs, path, mem);
    return rc == 0 || (rc == -ENOENT && missing_is_empty) ? 0 : -1;
}

static int load_indexes(kelp_storage *s, kelp_partition *p, kelp_segment *seg, int64_t next_offset, bool active);

int kelp_segment_load_active(kelp_storage *s, kelp_partition *p, kelp_segment *seg)
{
    /* Relative offsets are 32-bit: the widest span a segment may hold. A
     * missing index file is one that never had an entry; the walk below
     * checks that none was due. */
    if (load_indexes(s, p, seg, seg->base_offset + (int64_t)UINT32_MAX, true) != 0)
        return -1;
    size_t n = offset_count(seg);
    uint64_t pos = n > 0 ? offset_pos(seg, n - 1) : 0;
    int64_t next = n > 0 ? seg->base_offset + offset_rel(seg, n - 1) : seg->base_offset;
    uint8_t hdr[KELP_BATCH_HEADER_SIZE];
    seg->first_timestamp = -1;
    if (seg->size > 0) {
        if (kelp_segment_read_header(s, seg, 0, hdr) != 0)
            return -1;
        seg->first_timestamp = (int64_t)kelp_be64(hdr + KELP_BATCH_OFF_MAX_TIMESTAMP);
    }
    /* The batches after the last entry must follow each other to the end,
     * and none may lie where an entry is due (an index cut short). */
    uint64_t since = 0;
    while (pos < seg->size) {
        if (kelp_segment_read_header(s, seg, pos, hdr) != 0 || (int64_t)kelp_be64(hdr) != next ||
            since >= (uint64_t)s->opt.index_interval_bytes)
            return -1;
        int64_t ts = (int64_t)kelp_be64(hdr + KELP_BATCH_OFF_MAX_TIMESTAMP);
        if (ts > seg->max_timestamp) {
            seg->max_timestamp = ts;
            seg->max_timestamp_batch = next;
        }
        next += (int32_t)kelp_be32(hdr + KELP_BATCH_OFF_LAST_OFFSET_DELTA) + 1;
        uint64_t total = KELP_BATCH_LOG_OVERHEAD + kelp_be32(hdr + KELP_BATCH_OFF_LENGTH);
        pos += total;
        since += total;
    }
    if (pos != seg->size)
        return -1;
    seg->next_offset = next;
    seg->bytes_since_index = since;
    return 0;
}

void kelp_segment_limit(kelp_segment *seg, uint64_t size)
{
    seg->size = size;
    size_t n = offset_count(seg);
    while (n > 0 && offset_pos(seg, n - 1) >= size)
        n--;
    seg->offset_entries.len = n * KELP_LAYOUT_OFFSET_ENTRY;
    if (seg->offset_entries_on_disk > seg->offset_entries.len)
        seg->offset_entries_on_disk = seg->offset_entries.len;
}

static int load_indexes(kelp_storage *s, kelp_partition *p, kelp_segment *seg, int64_t next_offset, bool active)
{
    seg->next_offset = next_offset;
    int64_t span = next_offset - seg->base_offset;
    if (read_index(s, p, seg, KELP_LAYOUT_INDEX_SUFFIX, &seg->offset_entries, active) != 0 ||
        read_index(s, p, seg, KELP_LAYOUT_TIMEINDEX_SUFFIX, &seg->time_entries, active) != 0)
        return -1;
    seg->offset_entries_on_disk = seg->offset_entries.len;
    seg->time_entries_on_disk = seg->time_entries.len;
    if (seg->offset_entries.len % KELP_LAYOUT_OFFSET_ENTRY || seg->time_entries.len % KELP_LAYOUT_TIME_ENTRY)
        return -1;
    size_t n = offset_count(seg);
    for (size_t i = 0; i < n; i++) {
        if (offset_rel(seg, i) >= span || offset_pos(seg, i) >= seg->size)
            return -1;
        if (i > 0 && (offset_rel(seg, i) <= offset_rel(seg, i - 1) || offset_pos(seg, i) <= offset_pos(seg, i - 1)))
            return -1;
    }
    if (n > 0) { /* the last entry must point at the batch it names */
        uint8_t hdr[KELP_BATCH_HEADER_SIZE];
        if (kelp_segment_read_header(s, seg, offset_pos(seg, n - 1), hdr) != 0 ||
            (int64_t)kelp_be64(hdr) != seg->base_offset + offset_rel(seg, n - 1))
            return -1;
    }
    size_t m = time_count(seg);
    for (size_t i = 0; i < m; i++) {
        if (time_rel(seg, i) >= span)
            return -1;
        if (i > 0 && (time_ts(seg, i) <= time_ts(seg, i - 1) || time_rel(seg, i) < time_rel(seg, i - 1)))
            return -1;
    }
    if (seg->size > 0 && m == 0)
        return -1; /* sealed segments always end with their maximum */
    if (m > 0) {
        seg->max_timestamp = time_ts(seg, m - 1);
        seg->max_timestamp_batch = seg->base_offset + time_rel(seg, m - 1);
    }
    return 0;
}

int kelp_segment_load_indexes(kelp_storage *s, kelp_partition *p, kelp_segment *seg, int64_t next_offset)
{
    return load_indexes(s, p, seg, next_offset, false);
}
