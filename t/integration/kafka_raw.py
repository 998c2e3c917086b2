"""Kafka wire encoding for tests of APIs no packaged client sends: request
framing (header v1, or v2 for flexible versions) and a response reader."""

import socket
import struct


def uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def i8(v):
    return struct.pack(">b", v)


def i16(v):
    return struct.pack(">h", v)


def i32(v):
    return struct.pack(">i", v)


def i64(v):
    return struct.pack(">q", v)


def string(s, flexible):
    if s is None:
        return uvarint(0) if flexible else i16(-1)
    b = s.encode()
    return (uvarint(len(b) + 1) if flexible else i16(len(b))) + b


def array(items, flexible):
    """items: a list of already encoded elements, or None for a null array."""
    if items is None:
        return uvarint(0) if flexible else i32(-1)
    return (uvarint(len(items) + 1) if flexible else i32(len(items))) + b"".join(items)


TAGS = uvarint(0)  # no tagged fields


class Reader:
    def __init__(self, data, flexible):
        self.d, self.pos, self.flexible = data, 0, flexible

    def take(self, n):
        if self.pos + n > len(self.d):
            raise ValueError("response too short")
        b = self.d[self.pos:self.pos + n]
        self.pos += n
        return b

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def string(self):
        n = self.uvarint() - 1 if self.flexible else self.i16()
        return None if n < 0 else self.take(n).decode()

    def array(self, element):
        n = self.uvarint() - 1 if self.flexible else self.i32()
        return None if n < 0 else [element(self) for _ in range(n)]

    def tags(self):
        if self.flexible:
            for _ in range(self.uvarint()):
                self.uvarint()
                self.take(self.uvarint())

    def struct(self, *fields):
        """The fields (Reader methods, in order) of one struct, then its tags."""
        v = tuple(f(self) for f in fields)
        self.tags()
        return v

    def topic_partition_errors(self):
        """[topic name, [(partition, error code)]] of a response, each struct
        followed by its tags, as most per-partition answers are."""
        return self.array(lambda t: t.struct(Reader.string,
                                             lambda t: t.array(lambda p: p.struct(Reader.i32, Reader.i16))))

    def done(self):
        if self.pos != len(self.d):
            raise ValueError("%d bytes left over" % (len(self.d) - self.pos))


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def call(bootstrap, api_key, version, body, flexible, correlation=7):
    """Sends one request and returns a Reader positioned after the response header."""
    header = struct.pack(">hhi", api_key, version, correlation) + string("kelp-raw-test", False)
    if flexible:
        header += TAGS
    frame = header + body
    host, port = bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(i32(len(frame)) + frame)
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        resp = recv_exact(s, size)
    r = Reader(resp, flexible)
    if r.i32() != correlation:
        raise ValueError("wrong correlation id")
    r.tags()
    return r


def api_versions(bootstrap):
    """{api_key: (min, max)} from ApiVersions v0."""
    r = call(bootstrap, 18, 0, b"", False)
    err = r.i16()
    if err:
        raise ValueError("ApiVersions error %d" % err)
    return {k: (lo, hi) for k, lo, hi in r.array(lambda x: (x.i16(), x.i16(), x.i16()))}


# ---- record batches (magic 2) -------------------------------------------

def varint(n):
    """A signed (zigzag) varint, as record fields use."""
    return uvarint((n << 1) ^ (n >> 63))


def nbytes(b, flexible):
    """Nullable bytes: compact (length + 1) when flexible, else int32 length."""
    if b is None:
        return uvarint(0) if flexible else i32(-1)
    return (uvarint(len(b) + 1) if flexible else i32(len(b))) + b


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    """CRC-32C (Castagnoli), the checksum of record batches."""
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


ATTR_TRANSACTIONAL = 0x10
ATTR_CONTROL = 0x20


def record_batch(records, base_timestamp, producer_id=-1, producer_epoch=-1, base_sequence=-1,
                 attributes=0, base_offset=0, partition_leader_epoch=-1):
    """An uncompressed batch. records: [(key, value, [(name, value)])] with
    bytes or None; record n has timestamp base_timestamp + n."""
    body = b""
    for n, (key, value, headers) in enumerate(records):
        rec = i8(0) + varint(n) + varint(n)  # attributes, timestamp delta, offset delta
        rec += varint(-1) if key is None else varint(len(key)) + key
        rec += varint(-1) if value is None else varint(len(value)) + value
        rec += varint(len(headers))
        for name, hvalue in headers:
            rec += varint(len(name)) + name
            rec += varint(-1) if hvalue is None else varint(len(hvalue)) + hvalue
        body += varint(len(rec)) + rec
    after_crc = (i16(attributes) + i32(len(records) - 1) + i64(base_timestamp)
                 + i64(base_timestamp + len(records) - 1) + i64(producer_id) + i16(producer_epoch)
                 + i32(base_sequence) + i32(len(records)) + body)
    tail = i32(partition_leader_epoch) + i8(2) + struct.pack(">I", crc32c(after_crc)) + after_crc
    return i64(base_offset) + i32(len(tail)) + tail


def _read_varint(data, pos):
    shift = value = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return (value >> 1) ^ -(value & 1), pos
        shift += 7


def parse_batches(data):
    """The whole batches in a Records field (a trailing partial one is
    left out): dicts of the header fields, 'raw' bytes and 'records'
    [(offset delta, key, value)]."""
    batches, pos = [], 0
    while pos + 12 <= len(data):
        length = struct.unpack(">i", data[pos + 8:pos + 12])[0]
        if pos + 12 + length > len(data):
            break
        raw = data[pos:pos + 12 + length]
        (base_offset, _, leader_epoch, magic, crc, attributes, last_delta, base_ts, max_ts, pid, epoch,
         base_seq, count) = struct.unpack(">qiibIhiqqqhii", raw[:61])
        records, rpos = [], 61
        for _ in range(count):
            size, rpos = _read_varint(raw, rpos)
            end = rpos + size
            rpos += 1  # attributes
            _, rpos = _read_varint(raw, rpos)  # timestamp delta
            delta, rpos = _read_varint(raw, rpos)
            klen, rpos = _read_varint(raw, rpos)
            key = None if klen < 0 else raw[rpos:rpos + klen]
            rpos += max(klen, 0)
            vlen, rpos = _read_varint(raw, rpos)
            value = None if vlen < 0 else raw[rpos:rpos + vlen]
            records.append((delta, key, value))
            rpos = end
        batches.append({"base_offset": base_offset, "leader_epoch": leader_epoch, "magic": magic, "crc": crc,
                        "crc_ok": crc == crc32c(raw[21:]), "attributes": attributes,
                        "last_offset_delta": last_delta, "base_timestamp": base_ts, "max_timestamp": max_ts,
                        "producer_id": pid, "producer_epoch": epoch, "base_sequence": base_seq,
                        "count": count, "raw": raw, "records": records})
        pos += 12 + length
    return batches


def read_nbytes(r):
    """Nullable bytes from a Reader (compact when it is flexible)."""
    n = r.uvarint() - 1 if r.flexible else r.i32()
    return None if n < 0 else r.take(n)
