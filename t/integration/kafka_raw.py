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
