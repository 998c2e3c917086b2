#!/usr/bin/env python3
"""Writes t/unit/vectors/protocol_vectors.inc: byte vectors for every API
version Kelp advertises, built field by field from the Kafka protocol guide's
per-version BNF (kafka.apache.org/protocol), with a C check for each field.

This script is deliberately independent of protocol/gen: the message layouts
below are transcribed by hand (field order, types, versions, nullability and
tags as the guide lists them per version), and the encoding rules (INT16 and
INT32 lengths, COMPACT_* lengths as UNSIGNED_VARINT of length+1, nullable
markers, tagged field sections) are implemented here from the guide, so that
a mistake in the generator shows up as a byte mismatch instead of being
repeated. Values are distinct and never a field's default: every third
integer is negative, every fifth string is longer than 127 bytes, and arrays
near the top have two elements.

    python3 t/unit/vectors/make_vectors.py > t/unit/vectors/protocol_vectors.inc

Layout notation, one field per line, nesting by two spaces:
    name TYPE [vA | vA+ | vA-B] [null | null=vA+ | null=vA-B] [tag=N] [val=X] [classic]
TYPE is INT8 INT16 INT32 INT64 BOOL UUID STRING BYTES RECORDS, [T] for an
array of a primitive T, [] for an array of the structs indented below, {} for
a struct indented below. A field without versions is in every version.
"classic" keeps a string's INT16 length in flexible versions too.
"""
import struct
import sys

# ---------------------------------------------------------------------------
# Encoding rules (protocol guide, "Protocol Primitive Types").


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def enc_len(n, flexible, int16):
    """Length prefix of a string/bytes/array; n = -1 for null."""
    if flexible:
        return uvarint(n + 1)
    return struct.pack(">h" if int16 else ">i", n)


def enc_prim(t, v, flexible):
    if t == "INT8":
        return struct.pack(">b", v)
    if t == "INT16":
        return struct.pack(">h", v)
    if t == "INT32":
        return struct.pack(">i", v)
    if t == "INT64":
        return struct.pack(">q", v)
    if t == "BOOL":
        return b"\x01" if v else b"\x00"
    if t == "UUID":
        return bytes(v)
    if t == "STRING":
        if v is None:
            return enc_len(-1, flexible, True)
        raw = v.encode()
        return enc_len(len(raw), flexible, True) + raw
    if t in ("BYTES", "RECORDS"):
        if v is None:
            return enc_len(-1, flexible, False)
        return enc_len(len(v), flexible, False) + bytes(v)
    raise ValueError(t)


# ---------------------------------------------------------------------------
# Layout parsing.


class Field:
    def __init__(self, name, typ, vmin, vmax, nmin, nmax, tag, val, classic=False):
        self.name, self.typ = name, typ
        self.classic = classic
        self.vmin, self.vmax = vmin, vmax
        self.nmin, self.nmax = nmin, nmax
        self.tag, self.val = tag, val
        self.children = []

    def present(self, v):
        return self.vmin <= v <= self.vmax

    def nullable(self, v):
        return self.nmin is not None and self.nmin <= v <= self.nmax


def parse_range(s):
    s = s.lstrip("v")
    if s.endswith("+"):
        return int(s[:-1]), 999
    if "-" in s:
        a, b = s.split("-")
        return int(a), int(b)
    return int(s), int(s)


def parse(text):
    root = Field("<root>", "{}", 0, 999, None, None, None, None)
    stack = [(-1, root)]
    for line in text.strip("\n").splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        parts = line.split()
        name, typ = parts[0], parts[1]
        vmin, vmax, nmin, nmax, tag, val = 0, 999, None, None, None, None
        classic = False
        for p in parts[2:]:
            if p == "classic":
                classic = True
            elif p.startswith("val="):
                val = p[4:]
            elif p.startswith("v"):
                vmin, vmax = parse_range(p)
            elif p == "null":
                nmin, nmax = 0, 999
            elif p.startswith("null="):
                nmin, nmax = parse_range(p[5:])
            elif p.startswith("tag="):
                tag = int(p[4:])
            else:
                raise ValueError(line)
        f = Field(name, typ, vmin, vmax, nmin, nmax, tag, val, classic)
        while stack[-1][0] >= depth:
            stack.pop()
        stack[-1][1].children.append(f)
        stack.append((depth, f))
    return root


# ---------------------------------------------------------------------------
# Values: every field gets its own non-default value, chosen so that each
# byte of an integer is non-zero and no two fields share a value, which makes
# a swapped field order or a wrong width visible in the bytes.


class Values:
    def __init__(self):
        self.k = 0

    def next(self):
        self.k += 1
        return self.k

    def prim(self, t, f):
        k = self.next()
        if f is not None and f.val is not None:
            if t == "BOOL":
                return f.val == "true"
            return int(f.val, 0)
        # Every third integer is negative, to catch a lost sign extension.
        sign = -1 if k % 3 == 0 else 1
        if t == "INT8":
            return sign * (0x20 + k % 90)
        if t == "INT16":
            return sign * (0x1200 + k)
        if t == "INT32":
            return sign * (0x21324300 + k)
        if t == "INT64":
            return sign * (0x0102030405060700 + k)
        if t == "BOOL":
            return True
        if t == "UUID":
            return [(0x10 + k + i) & 0xFF or 1 for i in range(16)]
        if t == "STRING":
            if k % 5 == 0:
                # Past 127 bytes a compact length takes two varint bytes.
                base = "%s-%d-" % (f.name if f else "s", k)
                return (base * (140 // len(base) + 1))[:130 + k % 7]
            return "%s-%d" % (f.name if f else "s", k)
        if t == "BYTES":
            return [0xB0 + k % 64, 0x01, 0x7F, 0x80]
        if t == "RECORDS":
            return [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A, 0xC0 + k % 64]
        raise ValueError(t)


def c_int(v):
    return "-%#x" % -v if v < 0 else "%#x" % v


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def c_bytes(b):
    return '"' + "".join("\\x%02x" % x for x in b) + '"'


class Builder:
    """Encodes one message at one version and writes the C checks for it."""

    def __init__(self, version, flex_min, nulls):
        self.v = version
        self.flexible = flex_min is not None and version >= flex_min
        self.nulls = nulls
        self.values = Values()
        self.checks = []

    def chk(self, s):
        self.checks.append("    " + s)

    def struct_body(self, fields, path):
        out = bytearray()
        tagged = []
        for f in fields:
            if not f.present(self.v):
                continue
            if f.tag is not None:
                if not self.flexible:
                    continue
                data = self.field(f, path)
                if data is not None:
                    tagged.append((f.tag, data))
                continue
            out += self.field(f, path)
        if self.flexible:
            tagged.sort()
            out += uvarint(len(tagged))
            for tag, data in tagged:
                out += uvarint(tag) + uvarint(len(data)) + data
        return bytes(out)

    def want_null(self, f):
        return self.nulls and f.nullable(self.v)

    def field(self, f, path):
        """Bytes of one field; None for a tagged field left at its default."""
        p = path + f.name
        t = f.typ
        fl = self.flexible and not f.classic
        if t == "{}":
            if f.nmin is not None:
                # A nullable struct: INT8 -1 for null, 1 before its fields.
                if self.want_null(f):
                    self.chk("ck_assert(%s_is_null);" % p)
                    return struct.pack(">b", -1)
                self.chk("ck_assert(!%s_is_null);" % p)
                return struct.pack(">b", 1) + self.struct_body(f.children, p + ".")
            return self.struct_body(f.children, p + ".")
        if t == "[]":
            if self.want_null(f):
                self.chk("ck_assert_int_eq(%s_count, -1);" % p)
                return None if f.tag is not None else enc_len(-1, fl, False)
            # Two elements near the top (a loop that repeats or skips one
            # shows), one deeper down to keep the vectors small.
            n = 2 if p.count("[") < 2 else 1
            self.chk("ck_assert_int_eq(%s_count, %d);" % (p, n))
            out = enc_len(n, fl, False)
            for i in range(n):
                out += self.struct_body(f.children, "%s[%d]." % (p, i))
            return out
        if t.startswith("["):
            et = t[1:-1]
            if self.want_null(f):
                self.chk("ck_assert_int_eq(%s_count, -1);" % p)
                return None if f.tag is not None else enc_len(-1, fl, False)
            self.chk("ck_assert_int_eq(%s_count, 2);" % p)
            out = enc_len(2, fl, False)
            for i in range(2):
                v = self.values.prim(et, None)
                out += enc_prim(et, v, fl)
                self.check_prim(et, "%s[%d]" % (p, i), v)
            return out
        if self.want_null(f):
            self.check_prim(t, p, None)
            if f.tag is not None:
                return None
            return enc_prim(t, None, fl)
        v = self.values.prim(t, f)
        self.check_prim(t, p, v)
        return enc_prim(t, v, fl)

    def check_prim(self, t, p, v):
        if t in ("INT8", "INT16", "INT32"):
            self.chk("ck_assert_int_eq(%s, %s);" % (p, c_int(v)))
        elif t == "INT64":
            self.chk("ck_assert(%s == INT64_C(%s));" % (p, c_int(v)))
        elif t == "BOOL":
            self.chk("ck_assert(%s%s);" % ("" if v else "!", p))
        elif t == "UUID":
            self.chk("ck_assert(memcmp(%s.b, %s, 16) == 0);" % (p, c_bytes(v)))
        elif t == "STRING":
            if v is None:
                self.chk("ck_assert_int_eq(%s.len, -1);" % p)
            else:
                self.chk("ck_assert(kw_str_eq(%s, %s));" % (p, c_str(v)))
        elif t in ("BYTES", "RECORDS"):
            if v is None:
                self.chk("ck_assert_int_eq(%s.len, -1);" % p)
            else:
                self.chk("ck_assert_int_eq(%s.len, %d);" % (p, len(v)))
                self.chk("ck_assert(memcmp(%s.ptr, %s, %d) == 0);" % (p, c_bytes(v), len(v)))
        else:
            raise ValueError(t)


def has_nullable(fields, v):
    for f in fields:
        if f.present(v) and (f.nullable(v) or has_nullable(f.children, v)):
            return True
    return False


# ---------------------------------------------------------------------------
# Message layouts, transcribed from the protocol guide's BNF. Each entry:
# (api name, api key, C type stem, first flexible version or None,
#  advertised min, advertised max, request layout, response layout).

APIS = []


def api(name, key, flex, vmin, vmax, req, resp, stem=None):
    APIS.append((name, key, stem or name, flex, vmin, vmax, parse(req), parse(resp)))


api("Produce", 0, 9, 3, 12, """
transactional_id STRING v3+ null
acks INT16
timeout_ms INT32
topic_data []
  name STRING
  partition_data []
    index INT32
    records RECORDS null
""", """
responses []
  name STRING
  partition_responses []
    index INT32
    error_code INT16
    base_offset INT64
    log_append_time_ms INT64 v2+
    log_start_offset INT64 v5+
    record_errors [] v8+
      batch_index INT32
      batch_index_error_message STRING null
    error_message STRING v8+ null
    current_leader {} v10+ tag=0
      leader_id INT32
      leader_epoch INT32
throttle_time_ms INT32 v1+
node_endpoints [] v10+ tag=0
  node_id INT32
  host STRING
  port INT32
  rack STRING null
""")

api("Fetch", 1, 12, 4, 17, """
cluster_id STRING v12+ null tag=0
replica_id INT32 v0-14
replica_state {} v15+ tag=1
  replica_id INT32
  replica_epoch INT64
max_wait_ms INT32
min_bytes INT32
max_bytes INT32 v3+
isolation_level INT8 v4+
session_id INT32 v7+
session_epoch INT32 v7+
topics []
  topic STRING v0-12
  topic_id UUID v13+
  partitions []
    partition INT32
    current_leader_epoch INT32 v9+
    fetch_offset INT64
    last_fetched_epoch INT32 v12+
    log_start_offset INT64 v5+
    partition_max_bytes INT32
    replica_directory_id UUID v17+ tag=0
forgotten_topics_data [] v7+
  topic STRING v7-12
  topic_id UUID v13+
  partitions [INT32]
rack_id STRING v11+
""", """
throttle_time_ms INT32 v1+
error_code INT16 v7+
session_id INT32 v7+
responses []
  topic STRING v0-12
  topic_id UUID v13+
  partitions []
    partition_index INT32
    error_code INT16
    high_watermark INT64
    last_stable_offset INT64 v4+
    log_start_offset INT64 v5+
    diverging_epoch {} v12+ tag=0
      epoch INT32
      end_offset INT64
    current_leader {} v12+ tag=1
      leader_id INT32
      leader_epoch INT32
    snapshot_id {} v12+ tag=2
      end_offset INT64
      epoch INT32
    aborted_transactions [] v4+ null
      producer_id INT64
      first_offset INT64
    preferred_read_replica INT32 v11+
    records RECORDS null
node_endpoints [] v16+ tag=0
  node_id INT32
  host STRING
  port INT32
  rack STRING null
""")

api("ListOffsets", 2, 6, 1, 10, """
replica_id INT32
isolation_level INT8 v2+
topics []
  name STRING
  partitions []
    partition_index INT32
    current_leader_epoch INT32 v4+
    timestamp INT64
timeout_ms INT32 v10+
""", """
throttle_time_ms INT32 v2+
topics []
  name STRING
  partitions []
    partition_index INT32
    error_code INT16
    timestamp INT64 v1+
    offset INT64 v1+
    leader_epoch INT32 v4+
""")

api("Metadata", 3, 9, 0, 13, """
topics [] null=v1+
  topic_id UUID v10+
  name STRING null=v10+
allow_auto_topic_creation BOOL v4+ val=false
include_cluster_authorized_operations BOOL v8-10
include_topic_authorized_operations BOOL v8+
""", """
throttle_time_ms INT32 v3+
brokers []
  node_id INT32
  host STRING
  port INT32
  rack STRING v1+ null
cluster_id STRING v2+ null
controller_id INT32 v1+
topics []
  error_code INT16
  name STRING null=v12+
  topic_id UUID v10+
  is_internal BOOL v1+
  partitions []
    error_code INT16
    partition_index INT32
    leader_id INT32
    leader_epoch INT32 v7+
    replica_nodes [INT32]
    isr_nodes [INT32]
    offline_replicas [INT32] v5+
  topic_authorized_operations INT32 v8+
cluster_authorized_operations INT32 v8-10
error_code INT16 v13+
""")

api("ApiVersions", 18, 3, 0, 4, """
client_software_name STRING v3+
client_software_version STRING v3+
""", """
error_code INT16
api_keys []
  api_key INT16
  min_version INT16
  max_version INT16
throttle_time_ms INT32 v1+
supported_features [] v3+ tag=0
  name STRING
  min_version INT16
  max_version INT16
finalized_features_epoch INT64 v3+ tag=1
finalized_features [] v3+ tag=2
  name STRING
  max_version_level INT16
  min_version_level INT16
zk_migration_ready BOOL v3+ tag=3
""")

api("OffsetCommit", 8, 8, 2, 9, """
group_id STRING
generation_id_or_member_epoch INT32 v1+
member_id STRING v1+
group_instance_id STRING v7+ null
retention_time_ms INT64 v2-4
topics []
  name STRING
  partitions []
    partition_index INT32
    committed_offset INT64
    committed_leader_epoch INT32 v6+
    commit_timestamp INT64 v1
    committed_metadata STRING null
""", """
throttle_time_ms INT32 v3+
topics []
  name STRING
  partitions []
    partition_index INT32
    error_code INT16
""")

api("OffsetFetch", 9, 6, 1, 9, """
group_id STRING v0-7
topics [] v0-7 null=v2-7
  name STRING
  partition_indexes [INT32]
groups [] v8+
  group_id STRING
  member_id STRING v9+ null
  member_epoch INT32 v9+
  topics [] null
    name STRING
    partition_indexes [INT32]
require_stable BOOL v7+
""", """
throttle_time_ms INT32 v3+
topics [] v0-7
  name STRING
  partitions []
    partition_index INT32
    committed_offset INT64
    committed_leader_epoch INT32 v5+
    metadata STRING null
    error_code INT16
error_code INT16 v2-7
groups [] v8+
  group_id STRING
  topics []
    name STRING
    partitions []
      partition_index INT32
      committed_offset INT64
      committed_leader_epoch INT32
      metadata STRING null
      error_code INT16
  error_code INT16
""")

api("FindCoordinator", 10, 3, 0, 6, """
key STRING v0-3
key_type INT8 v1+
coordinator_keys [STRING] v4+
""", """
throttle_time_ms INT32 v1+
error_code INT16 v0-3
error_message STRING v1-3 null
node_id INT32 v0-3
host STRING v0-3
port INT32 v0-3
coordinators [] v4+
  key STRING
  node_id INT32
  host STRING
  port INT32
  error_code INT16
  error_message STRING null
""")

api("JoinGroup", 11, 6, 0, 9, """
group_id STRING
session_timeout_ms INT32
rebalance_timeout_ms INT32 v1+
member_id STRING
group_instance_id STRING v5+ null
protocol_type STRING
protocols []
  name STRING
  metadata BYTES
reason STRING v8+ null
""", """
throttle_time_ms INT32 v2+
error_code INT16
generation_id INT32
protocol_type STRING v7+ null
protocol_name STRING null=v7+
leader STRING
skip_assignment BOOL v9+
member_id STRING
members []
  member_id STRING
  group_instance_id STRING v5+ null
  metadata BYTES
""")

api("Heartbeat", 12, 4, 0, 4, """
group_id STRING
generation_id INT32
member_id STRING
group_instance_id STRING v3+ null
""", """
throttle_time_ms INT32 v1+
error_code INT16
""")

api("LeaveGroup", 13, 4, 0, 5, """
group_id STRING
member_id STRING v0-2
members [] v3+
  member_id STRING
  group_instance_id STRING null
  reason STRING v5+ null
""", """
throttle_time_ms INT32 v1+
error_code INT16
members [] v3+
  member_id STRING
  group_instance_id STRING null
  error_code INT16
""")

api("SyncGroup", 14, 4, 0, 5, """
group_id STRING
generation_id INT32
member_id STRING
group_instance_id STRING v3+ null
protocol_type STRING v5+ null
protocol_name STRING v5+ null
assignments []
  member_id STRING
  assignment BYTES
""", """
throttle_time_ms INT32 v1+
error_code INT16
protocol_type STRING v5+ null
protocol_name STRING v5+ null
assignment BYTES
""")

api("DescribeGroups", 15, 5, 0, 6, """
groups [STRING]
include_authorized_operations BOOL v3+
""", """
throttle_time_ms INT32 v1+
groups []
  error_code INT16
  error_message STRING v6+ null
  group_id STRING
  group_state STRING
  protocol_type STRING
  protocol_data STRING
  members []
    member_id STRING
    group_instance_id STRING v4+ null
    client_id STRING
    client_host STRING
    member_metadata BYTES
    member_assignment BYTES
  authorized_operations INT32 v3+
""")

api("ListGroups", 16, 3, 0, 5, """
states_filter [STRING] v4+
types_filter [STRING] v5+
""", """
throttle_time_ms INT32 v1+
error_code INT16
groups []
  group_id STRING
  protocol_type STRING
  group_state STRING v4+
  group_type STRING v5+
""")

api("DeleteGroups", 42, 2, 0, 2, """
groups_names [STRING]
""", """
throttle_time_ms INT32
results []
  group_id STRING
  error_code INT16
""")

api("OffsetDelete", 47, None, 0, 0, """
group_id STRING
topics []
  name STRING
  partitions []
    partition_index INT32
""", """
error_code INT16
throttle_time_ms INT32
topics []
  name STRING
  partitions []
    partition_index INT32
    error_code INT16
""")

api("CreateTopics", 19, 5, 2, 7, """
topics []
  name STRING
  num_partitions INT32
  replication_factor INT16
  assignments []
    partition_index INT32
    broker_ids [INT32]
  configs []
    name STRING
    value STRING null
timeout_ms INT32
validate_only BOOL v1+
""", """
throttle_time_ms INT32 v2+
topics []
  name STRING
  topic_id UUID v7+
  error_code INT16
  error_message STRING v1+ null
  topic_config_error_code INT16 v5+ tag=0
  num_partitions INT32 v5+
  replication_factor INT16 v5+
  configs [] v5+ null
    name STRING
    value STRING null
    read_only BOOL
    config_source INT8
    is_sensitive BOOL
""")

api("CreatePartitions", 37, 2, 0, 3, """
topics []
  name STRING
  count INT32
  assignments [] null
    broker_ids [INT32]
timeout_ms INT32
validate_only BOOL
""", """
throttle_time_ms INT32
results []
  name STRING
  error_code INT16
  error_message STRING null
""")

api("DeleteTopics", 20, 4, 1, 6, """
topics [] v6+
  name STRING null
  topic_id UUID
topic_names [STRING] v0-5
timeout_ms INT32
""", """
throttle_time_ms INT32 v1+
responses []
  name STRING null=v6+
  topic_id UUID v6+
  error_code INT16
  error_message STRING v5+ null
""")

api("DeleteRecords", 21, 2, 0, 2, """
topics []
  name STRING
  partitions []
    partition_index INT32
    offset INT64
timeout_ms INT32
""", """
throttle_time_ms INT32
topics []
  name STRING
  partitions []
    partition_index INT32
    low_watermark INT64
    error_code INT16
""")

api("DescribeLogDirs", 35, 2, 1, 4, """
topics [] null
  topic STRING
  partitions [INT32]
""", """
throttle_time_ms INT32
error_code INT16 v3+
results []
  error_code INT16
  log_dir STRING
  topics []
    name STRING
    partitions []
      partition_index INT32
      partition_size INT64
      offset_lag INT64
      is_future_key BOOL
  total_bytes INT64 v4+
  usable_bytes INT64 v4+
""")

api("DescribeTopicPartitions", 75, 0, 0, 0, """
topics []
  name STRING
response_partition_limit INT32
cursor {} null
  topic_name STRING
  partition_index INT32
""", """
throttle_time_ms INT32
topics []
  error_code INT16
  name STRING null
  topic_id UUID
  is_internal BOOL
  partitions []
    error_code INT16
    partition_index INT32
    leader_id INT32
    leader_epoch INT32
    replica_nodes [INT32]
    isr_nodes [INT32]
    eligible_leader_replicas [INT32] null
    last_known_elr [INT32] null
    offline_replicas [INT32]
  topic_authorized_operations INT32
next_cursor {} null
  topic_name STRING
  partition_index INT32
""")

api("OffsetForLeaderEpoch", 23, 4, 2, 4, """
replica_id INT32 v3+
topics []
  topic STRING
  partitions []
    partition INT32
    current_leader_epoch INT32 v2+
    leader_epoch INT32
""", """
throttle_time_ms INT32 v2+
topics []
  topic STRING
  partitions []
    error_code INT16
    partition INT32
    leader_epoch INT32 v1+
    end_offset INT64
""")

api("DescribeCluster", 60, 0, 0, 2, """
include_cluster_authorized_operations BOOL
endpoint_type INT8 v1+
include_fenced_brokers BOOL v2+
""", """
throttle_time_ms INT32
error_code INT16
error_message STRING null
endpoint_type INT8 v1+
cluster_id STRING
controller_id INT32
brokers []
  broker_id INT32
  host STRING
  port INT32
  rack STRING null
  is_fenced BOOL v2+
cluster_authorized_operations INT32
""")

api("DescribeConfigs", 32, 4, 1, 4, """
resources []
  resource_type INT8
  resource_name STRING
  configuration_keys [STRING] null
include_synonyms BOOL v1+
include_documentation BOOL v3+
""", """
throttle_time_ms INT32
results []
  error_code INT16
  error_message STRING null
  resource_type INT8
  resource_name STRING
  configs []
    name STRING
    value STRING null
    read_only BOOL
    is_default BOOL v0
    config_source INT8 v1+
    is_sensitive BOOL
    synonyms [] v1+
      name STRING
      value STRING null
      source INT8
    config_type INT8 v3+
    documentation STRING v3+ null
""")

api("AlterConfigs", 33, 2, 0, 2, """
resources []
  resource_type INT8
  resource_name STRING
  configs []
    name STRING
    value STRING null
validate_only BOOL
""", """
throttle_time_ms INT32
responses []
  error_code INT16
  error_message STRING null
  resource_type INT8
  resource_name STRING
""")

api("IncrementalAlterConfigs", 44, 1, 0, 1, """
resources []
  resource_type INT8
  resource_name STRING
  configs []
    name STRING
    config_operation INT8
    value STRING null
validate_only BOOL
""", """
throttle_time_ms INT32
responses []
  error_code INT16
  error_message STRING null
  resource_type INT8
  resource_name STRING
""")

api("InitProducerId", 22, 2, 0, 5, """
transactional_id STRING null
transaction_timeout_ms INT32
producer_id INT64 v3+
producer_epoch INT16 v3+
""", """
throttle_time_ms INT32
error_code INT16
producer_id INT64
producer_epoch INT16
""")

api("AddPartitionsToTxn", 24, 3, 0, 5, """
transactions [] v4+
  transactional_id STRING
  producer_id INT64
  producer_epoch INT16
  verify_only BOOL
  topics []
    name STRING
    partitions [INT32]
v3_and_below_transactional_id STRING v0-3
v3_and_below_producer_id INT64 v0-3
v3_and_below_producer_epoch INT16 v0-3
v3_and_below_topics [] v0-3
  name STRING
  partitions [INT32]
""", """
throttle_time_ms INT32
error_code INT16 v4+
results_by_transaction [] v4+
  transactional_id STRING
  topic_results []
    name STRING
    results_by_partition []
      partition_index INT32
      partition_error_code INT16
results_by_topic_v3_and_below [] v0-3
  name STRING
  results_by_partition []
    partition_index INT32
    partition_error_code INT16
""")

api("AddOffsetsToTxn", 25, 3, 0, 4, """
transactional_id STRING
producer_id INT64
producer_epoch INT16
group_id STRING
""", """
throttle_time_ms INT32
error_code INT16
""")

api("EndTxn", 26, 3, 0, 5, """
transactional_id STRING
producer_id INT64
producer_epoch INT16
committed BOOL
""", """
throttle_time_ms INT32
error_code INT16
producer_id INT64 v5+
producer_epoch INT16 v5+
""")

api("TxnOffsetCommit", 28, 3, 0, 5, """
transactional_id STRING
group_id STRING
producer_id INT64
producer_epoch INT16
generation_id INT32 v3+
member_id STRING v3+
group_instance_id STRING v3+ null
topics []
  name STRING
  partitions []
    partition_index INT32
    committed_offset INT64
    committed_leader_epoch INT32 v2+
    committed_metadata STRING null
""", """
throttle_time_ms INT32
topics []
  name STRING
  partitions []
    partition_index INT32
    error_code INT16
""")

api("DescribeProducers", 61, 0, 0, 0, """
topics []
  name STRING
  partition_indexes [INT32]
""", """
throttle_time_ms INT32
topics []
  name STRING
  partitions []
    partition_index INT32
    error_code INT16
    error_message STRING null
    active_producers []
      producer_id INT64
      producer_epoch INT32
      last_sequence INT32
      last_timestamp INT64
      coordinator_epoch INT32
      current_txn_start_offset INT64
""")

api("DescribeTransactions", 65, 0, 0, 0, """
transactional_ids [STRING]
""", """
throttle_time_ms INT32
transaction_states []
  error_code INT16
  transactional_id STRING
  transaction_state STRING
  transaction_timeout_ms INT32
  transaction_start_time_ms INT64
  producer_id INT64
  producer_epoch INT16
  topics []
    topic STRING
    partitions [INT32]
""")

api("ListTransactions", 66, 0, 0, 1, """
state_filters [STRING]
producer_id_filters [INT64]
duration_filter INT64 v1+
""", """
throttle_time_ms INT32
error_code INT16
unknown_state_filters [STRING]
transaction_states []
  transactional_id STRING
  producer_id INT64
  transaction_state STRING
""")

api("SaslHandshake", 17, None, 0, 1, """
mechanism STRING
""", """
error_code INT16
mechanisms [STRING]
""")

api("SaslAuthenticate", 36, 2, 0, 2, """
auth_bytes BYTES
""", """
error_code INT16
error_message STRING null
auth_bytes BYTES
session_lifetime_ms INT64 v1+
""")

api("DescribeUserScramCredentials", 50, 0, 0, 0, """
users [] null
  name STRING
""", """
throttle_time_ms INT32
error_code INT16
error_message STRING null
results []
  user STRING
  error_code INT16
  error_message STRING null
  credential_infos []
    mechanism INT8
    iterations INT32
""")

api("AlterUserScramCredentials", 51, 0, 0, 0, """
deletions []
  name STRING
  mechanism INT8
upsertions []
  name STRING
  mechanism INT8
  iterations INT32
  salt BYTES
  salted_password BYTES
""", """
throttle_time_ms INT32
results []
  user STRING
  error_code INT16
  error_message STRING null
""")

api("DescribeAcls", 29, 2, 1, 3, """
resource_type_filter INT8
resource_name_filter STRING null
pattern_type_filter INT8 v1+
principal_filter STRING null
host_filter STRING null
operation INT8
permission_type INT8
""", """
throttle_time_ms INT32
error_code INT16
error_message STRING null
resources []
  resource_type INT8
  resource_name STRING
  pattern_type INT8 v1+
  acls []
    principal STRING
    host STRING
    operation INT8
    permission_type INT8
""")

api("CreateAcls", 30, 2, 1, 3, """
creations []
  resource_type INT8
  resource_name STRING
  resource_pattern_type INT8 v1+
  principal STRING
  host STRING
  operation INT8
  permission_type INT8
""", """
throttle_time_ms INT32
results []
  error_code INT16
  error_message STRING null
""")

api("DeleteAcls", 31, 2, 1, 3, """
filters []
  resource_type_filter INT8
  resource_name_filter STRING null
  pattern_type_filter INT8 v1+
  principal_filter STRING null
  host_filter STRING null
  operation INT8
  permission_type INT8
""", """
throttle_time_ms INT32
filter_results []
  error_code INT16
  error_message STRING null
  matching_acls []
    error_code INT16
    error_message STRING null
    resource_type INT8
    resource_name STRING
    pattern_type INT8 v1+
    principal STRING
    host STRING
    operation INT8
    permission_type INT8
""")

# Headers (protocol guide, "Headers"): request header v1 adds client_id, v2
# adds a tag section but keeps client_id a classic NULLABLE_STRING (INT16
# length); response header v1 adds a tag section.
REQUEST_HEADER = parse("""
request_api_key INT16
request_api_version INT16
correlation_id INT32
client_id STRING v1+ null classic
""")
RESPONSE_HEADER = parse("""
correlation_id INT32
""")


# ---------------------------------------------------------------------------
# Output.


class Out:
    def __init__(self):
        self.lines = []
        self.table = []
        self.n = 0

    def vector(self, label, ctype, version, data, checks):
        n = self.n
        self.n += 1
        w = self.lines.append
        w("/* %s */" % label)
        w("static const uint8_t vec_%d[] = {" % n)
        for i in range(0, len(data), 12):
            w("    " + ", ".join("0x%02x" % b for b in data[i:i + 12]) + ",")
        if not data:
            w("    0x00, /* unused */")
        w("};")
        w("static void check_%d(const kafka_%s *d)" % (n, ctype))
        w("{")
        if not checks:
            w("    (void)d;")
        w("\n".join(checks))
        w("}")
        w("VECTOR_RUNNER(%d, %s, %d, %d)" % (n, ctype, version, len(data)))
        w("")
        self.table.append('    {%s, run_%d},' % (c_str(label), n))

    def emit(self, f):
        f.write("/* Written by t/unit/vectors/make_vectors.py; do not edit. */\n\n")
        f.write("\n".join(self.lines))
        f.write("\nstatic const protocol_vector vectors[] = {\n")
        f.write("\n".join(self.table))
        f.write("\n};\n")


def build(layout, version, flex_min, nulls):
    b = Builder(version, flex_min, nulls)
    data = b.struct_body(layout.children, "d->")
    return data, b.checks


def main():
    out = Out()
    hdr_rows = []
    for name, key, stem, flex, vmin, vmax, req, resp in APIS:
        for v in range(vmin, vmax + 1):
            flexible = flex is not None and v >= flex
            hdr_rows.append("    {%d, %d, %d, %d}," % (key, v, 2 if flexible else 1,
                                                      0 if key == 18 or not flexible else 1))
            for kind, layout in (("Request", req), ("Response", resp)):
                variants = [False]
                if has_nullable(layout.children, v):
                    variants.append(True)
                for nulls in variants:
                    data, checks = build(layout, v, flex, nulls)
                    label = "%s %s v%d%s" % (name, kind, v, " (nulls)" if nulls else "")
                    out.vector(label, stem + kind, v, data, checks)
    # Request header v0-v2 and response header v0-v1: v2 (and v1 on the
    # response) is the flexible one.
    for v in range(0, 3):
        for nulls in ((False, True) if v >= 1 else (False,)):
            data, checks = build(REQUEST_HEADER, v, 2, nulls)
            out.vector("RequestHeader v%d%s" % (v, " (nulls)" if nulls else ""),
                       "RequestHeader", v, data, checks)
    for v in range(0, 2):
        data, checks = build(RESPONSE_HEADER, v, 1, False)
        out.vector("ResponseHeader v%d" % v, "ResponseHeader", v, data, checks)
    out.emit(sys.stdout)
    sys.stdout.write("\nstatic const header_version_row header_versions[] = {\n")
    sys.stdout.write("\n".join(hdr_rows))
    sys.stdout.write("\n};\n")


if __name__ == "__main__":
    main()
