#!/usr/bin/env python3
"""Self-test of fake_filer.py: starts it on ephemeral ports with temporary
roots and checks the filer behaviour the storage tests rely on.
Exit status 0 when every check passes."""

import base64
import email
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "fake_filer.py")
DIR_BIT = 1 << 31


class Failure(Exception):
    pass


def check(cond, msg, *detail):
    if not cond:
        raise Failure(msg + ("" if not detail else ": " + " ".join(repr(d) for d in detail)))


def eq(got, want, msg):
    if got != want:
        raise Failure("%s: got %r, want %r" % (msg, got, want))


class Res:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:200])


class Filer:
    """One fake_filer.py process."""

    def __init__(self, root, *extra, port=0, meta=None):
        self.root, self.extra, self.meta = root, list(extra), meta
        self.start(port)

    def start(self, port=0):
        args = [sys.executable, SERVER, "--root", self.root, "--port", str(port),
                "--port-file", self.root + ".port"] + self.extra
        if self.meta:
            args += ["--meta", self.meta]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("fake-filer listening on 127.0.0.1:"):
            self.proc.kill()
            raise Failure("server did not start: %r %r" % (line, self.proc.stderr.read()))
        self.port = int(line.rsplit(":", 1)[1])
        with open(self.root + ".port") as f:
            eq(int(f.read()), self.port, "--port-file")
        self.conn = None

    def stop(self, sig=signal.SIGTERM):
        if self.conn:
            self.conn.close()
            self.conn = None
        self.proc.send_signal(sig)
        rc = self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc

    def restart(self, sig=signal.SIGTERM, same_port=True):
        port = self.port
        rc = self.stop(sig)
        self.start(port if same_port else 0)
        return rc

    def req(self, method, path, body=None, headers=None, conn=None):
        """A request on the kept-alive connection (or on conn)."""
        c = conn
        if c is None:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
            c = self.conn
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
        except Exception:
            c.close()
            if conn is None:
                self.conn = None
            raise
        return Res(r.status, r.headers, data)

    def fresh(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            return self.req(method, path, body, headers, conn=c)
        finally:
            c.close()

    def fault(self, obj):
        r = self.req("POST", "/__fault__", json.dumps(obj).encode())
        eq(r.status, 200, "POST /__fault__ %r" % obj)
        return r.json()

    def stats(self, path=None):
        q = "?path=" + urllib.parse.quote(path) if path else ""
        return self.req("GET", "/__stats__" + q).json()

    def entry(self, path):
        return self.stats(path)["entry"]

    def meta_json(self, path):
        r = self.req("GET", path + "?metadata=true")
        eq(r.status, 200, "metadata of " + path)
        return r.json()

    def listing(self, path, **params):
        q = urllib.parse.urlencode(params)
        r = self.req("GET", path + ("?" + q if q else ""), headers={"Accept": "application/json"})
        return r

    def disk(self, path):
        with open(os.path.join(self.root, path.lstrip("/")), "rb") as f:
            return f.read()

    def exists(self, path):
        return os.path.exists(os.path.join(self.root, path.lstrip("/")))


def multipart(parts):
    """parts: (field, filename or None, content type or None, data)."""
    b = "xYzBoundary" + os.urandom(6).hex()
    out = []
    for name, fn, ct, data in parts:
        h = '--%s\r\nContent-Disposition: form-data; name="%s"' % (b, name)
        if fn is not None:
            h += '; filename="%s"' % fn
        h += "\r\n"
        if ct:
            h += "Content-Type: %s\r\n" % ct
        out.append(h.encode() + b"\r\n" + data + b"\r\n")
    out.append(("--%s--\r\n" % b).encode())
    return b"".join(out), {"Content-Type": "multipart/form-data; boundary=" + b}


def put(f, path, data, headers=None):
    r = f.req("PUT", path, data, headers)
    eq(r.status, 201, "PUT " + path)
    return r


def append(f, path, data, method="PUT"):
    """PUT carries the raw body; a POST must be multipart (a raw POST is refused)."""
    if method == "POST":
        body, h = multipart([("file", None, None, data)])
        r = f.req("POST", path + "?op=append", body, h)
    else:
        r = f.req("PUT", path + "?op=append", data)
    eq(r.status, 201, "append to " + path)
    return r


def hs256(key, claims):
    def enc(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    h = enc(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    p = enc(json.dumps(claims).encode())
    s = enc(hmac.new(key.encode(), (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + s


def raw_exchange(port, data, expect_continue_then=None):
    """Sends raw bytes; with expect_continue_then, waits for 100 Continue first."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(data)
        buf = b""
        if expect_continue_then is not None:
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            check(buf.startswith(b"HTTP/1.1 100"), "100 Continue expected", buf)
            buf = buf.split(b"\r\n\r\n", 1)[1]
            s.sendall(expect_continue_then)
        resp = http.client.HTTPResponse(_Prebuffered(s, buf))
        resp.begin()
        return Res(resp.status, resp.headers, resp.read())
    finally:
        s.close()


class _Prebuffered:
    """A socket look-alike whose makefile() starts with already-read bytes."""

    def __init__(self, sock, buf):
        self.sock, self.buf = sock, buf

    def makefile(self, mode):
        import io

        class R(io.RawIOBase):
            def __init__(s):
                s.pre = self.buf

            def readable(s):
                return True

            def readinto(s, b):
                if s.pre:
                    n = min(len(b), len(s.pre))
                    b[:n] = s.pre[:n]
                    s.pre = s.pre[n:]
                    return n
                data = self.sock.recv(len(b))
                b[:len(data)] = data
                return len(data)
        return io.BufferedReader(R())


# ---------------------------------------------------------------- the tests

def t_put_get(f):
    r = put(f, "/w/a.log", b"hello world")
    eq(r.json(), {"name": "a.log", "size": 11}, "PUT reply")
    eq(r.headers["Content-MD5"], base64.b64encode(hashlib.md5(b"hello world").digest()).decode(),
       "Content-MD5 of the reply")
    eq(f.disk("/w/a.log"), b"hello world", "file on disk")
    g = f.req("GET", "/w/a.log")
    eq((g.status, g.body), (200, b"hello world"), "GET")
    eq(g.headers["ETag"], '"%s"' % hashlib.md5(b"hello world").hexdigest(), "ETag")
    eq(g.headers["Accept-Ranges"], "bytes", "Accept-Ranges")
    crtime = f.meta_json("/w/a.log")["Crtime"]
    put(f, "/w/a.log", b"bye")
    eq(f.disk("/w/a.log"), b"bye", "overwrite")
    eq(f.meta_json("/w/a.log")["Crtime"], crtime, "overwrite keeps Crtime")
    eq(f.req("GET", "/w/missing").status, 404, "GET missing")
    eq(put(f, "/w/empty", b"").json(), {"name": "empty"}, "empty file reply (size omitted)")
    eq(f.disk("/w/empty"), b"", "empty file on disk")
    put(f, "/w/%C3%A9t%C3%A9%20x", b"u")
    eq(f.disk("/w/\u00e9t\u00e9 x"), b"u", "percent-decoded name on disk")
    names = [e["FullPath"] for e in f.listing("/w/").json()["Entries"]]
    check("/w/\u00e9t\u00e9 x" in names, "unicode name listed", names)
    etag = f.req("HEAD", "/w/a.log").headers["ETag"]
    eq(f.req("GET", "/w/a.log", headers={"If-None-Match": etag}).status, 304, "If-None-Match")
    eq(f.req("GET", "/w/a.log", headers={"If-Match": '"nope"'}).status, 412, "If-Match")


def t_parents_and_conflicts(f):
    put(f, "/p/q/r/s.bin", b"x")
    check(os.path.isdir(os.path.join(f.root, "p/q/r")), "parents created")
    eq(f.meta_json("/p/q")["Mode"], DIR_BIT | 0o771, "auto-created parent mode")
    r = f.req("PUT", "/p/q/r/s.bin/t", b"y")
    eq(r.status, 409, "write through a file")
    check("is a file" in r.json()["error"], "409 message", r)
    check(not os.path.isdir(os.path.join(f.root, "p/q/r/s.bin")), "no directory made")
    eq(f.req("POST", "/p/q/r/s.bin/sub/").status, 409, "mkdir through a file")
    # SeaweedFS puts a PUT onto a directory inside it, as dir/<basename>
    r = f.req("PUT", "/p/q", b"nested")
    eq(r.status, 201, "PUT onto a directory")
    eq(f.disk("/p/q/q"), b"nested", "file nested in the directory")
    body, h = multipart([("file", None, None, b"z")])
    eq(f.req("POST", "/p/q", body, h).status, 500, "unnamed multipart onto a directory")
    eq(f.req("PUT", "/p/q/", b"v").status, 201, "PUT to dir/")
    eq(f.disk("/p/q/q"), b"v", "PUT dir/ writes dir/<basename>")


def t_multipart(f):
    body, h = multipart([("file", "m.txt", "text/plain", b"multi\r\npart"), ("x", None, None, b"ignored")])
    r = f.req("POST", "/mp/one", body, h)
    eq(r.status, 201, "multipart POST")
    eq(r.json(), {"name": "m.txt", "size": 11}, "multipart reply")
    eq(f.disk("/mp/one"), b"multi\r\npart", "first part stored")
    eq(f.meta_json("/mp/one")["Mime"], "text/plain", "part Content-Type kept")
    r = f.req("POST", "/mp/", body, h)
    eq(r.status, 201, "multipart into dir/")
    eq(f.disk("/mp/m.txt"), b"multi\r\npart", "dir/ + filename")
    r = f.req("POST", "/mp/raw", b"raw", {"Content-Type": "application/octet-stream"})
    eq(r.status, 500, "non-multipart POST refused")
    check(not f.exists("/mp/raw"), "nothing written")
    eq(f.req("POST", "/mp/raw2", b"raw").status, 500, "POST without Content-Type refused")
    body, h = multipart([("file", "s", None, b"small")])
    r = f.req("POST", "/mp/inline?saveInside=true", body, h)
    eq(r.status, 201, "saveInside POST")
    check("Content-MD5" not in r.headers, "no Content-MD5 for inline content")
    e = f.entry("/mp/inline")
    check(e["inline"] and e["chunks"] == 0, "inline entry", e)
    m = f.meta_json("/mp/inline")
    eq(base64.b64decode(m["Content"]), b"small", "inline Content in metadata")
    eq(m["Md5"], None, "inline entries carry no Md5")
    eq(f.disk("/mp/inline"), b"small", "inline content on disk")
    r = f.req("PUT", "/mp/inline?op=append", b"more")
    eq(r.status, 500, "append to inline refused")
    body2, h2 = multipart([("file", "s", None, b"more")])
    r = f.req("POST", "/mp/inline?op=append", body2, h2)
    eq(r.status, 500, "multipart append to inline refused")
    eq(r.json()["error"], "append to small file is not supported yet", "message")
    eq(f.disk("/mp/inline"), b"small", "inline file untouched")


def t_append(f):
    stats0 = f.stats()
    r = append(f, "/ap/x.log", b"aaa")
    eq(r.json(), {"name": "x.log", "size": 3}, "append creates")
    eq(f.req("POST", "/ap/x.log?op=append", b"raw").status, 500, "raw-body POST append refused")
    append(f, "/ap/x.log", b"bbbb", "POST")
    r = append(f, "/ap/x.log", b"cc")
    eq(r.json()["size"], 9, "size after appends")
    eq(f.disk("/ap/x.log"), b"aaabbbbcc", "appended content")
    e = f.entry("/ap/x.log")
    eq((e["chunks"], e["appends"], e["inline"]), (3, 3, False), "one chunk per append")
    m = f.meta_json("/ap/x.log")
    eq(m["Md5"], None, "Md5 cleared by an append")
    eq([c.get("offset", 0) for c in m["chunks"]], [0, 3, 7], "chunk offsets")
    etag = f.req("HEAD", "/ap/x.log").headers["ETag"]
    check(etag.endswith('-3"'), "multi-chunk ETag", etag)
    s = f.stats()
    eq(s["appends"] - stats0["appends"], 3, "appends counter")
    eq(s["bytes_appended"] - stats0["bytes_appended"], 9, "bytes appended")
    r = f.req("PUT", "/ap/x.log?op=append", b"")
    eq((r.status, f.entry("/ap/x.log")["chunks"]), (201, 3), "empty append adds no chunk")
    eq(f.req("PUT", "/ap/x.log?op=append&offset=3", b"z").status, 500, "offset with append")


def t_md5(f):
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    r = f.req("PUT", "/md5/f", b"data", {"Content-MD5": good})
    eq(r.status, 201, "matching Content-MD5")
    r = f.req("PUT", "/md5/g", b"data", {"Content-MD5": hashlib.md5(b"data").hexdigest()})
    eq(r.status, 201, "hex Content-MD5 accepted")
    r = f.req("PUT", "/md5/f", b"other", {"Content-MD5": good})
    eq(r.status, 400, "Content-MD5 mismatch")
    eq(r.json()["error"], "The Content-Md5 you specified did not match what we received.", "message")
    eq(f.disk("/md5/f"), b"data", "mismatch writes nothing")
    r = f.req("PUT", "/md5/f?op=append", b"more", {"Content-MD5": good})
    eq(r.status, 400, "append with a bad Content-MD5")
    eq(f.disk("/md5/f"), b"data", "nothing appended")


def t_params(f):
    r = f.req("PUT", "/prm/f?fsync=true&skipCheckParentDir=true&collection=c&replication=001&ttl=1h&mode=0644",
              b"p", {"Seaweed-Kelp-Epoch": "7", "Cache-Control": "no-cache"})
    eq(r.status, 201, "PUT with parameters")
    m = f.meta_json("/prm/f")
    eq((m["TtlSec"], m["Mode"]), (3600, 0o644), "ttl and mode")
    eq(base64.b64decode(m["Extended"]["Seaweed-Kelp-Epoch"]), b"7", "Extended kept")
    h = f.req("HEAD", "/prm/f")
    eq((h.status, h.headers["Content-Length"], h.body), (200, "1", b""), "HEAD")
    eq(h.headers["Seaweed-Kelp-Epoch"], "7", "Seaweed-* attribute on HEAD")
    eq(h.headers["Cache-Control"], "no-cache", "Cache-Control kept")
    eq(f.req("GET", "/prm/f").headers["Seaweed-Kelp-Epoch"], "7", "Seaweed-* attribute on GET")
    eq(f.req("HEAD", "/prm/none").status, 404, "HEAD missing")
    eq(f.req("GET", "/prm/none?metadata=true").status, 404, "metadata of missing")
    append(f, "/prm/f", b"q")
    eq(f.req("HEAD", "/prm/f").headers["Seaweed-Kelp-Epoch"], "7", "append keeps attributes")


def t_ranges(f):
    data = bytes(range(256)) * 4
    put(f, "/rg/f", data)

    def rng(spec):
        return f.req("GET", "/rg/f", headers={"Range": spec})
    r = rng("bytes=10-19")
    eq((r.status, r.body, r.headers["Content-Range"]), (206, data[10:20], "bytes 10-19/1024"), "a-b")
    r = rng("bytes=1000-")
    eq((r.status, r.body, r.headers["Content-Range"]), (206, data[1000:], "bytes 1000-1023/1024"), "a-")
    r = rng("bytes=-5")
    eq((r.status, r.body, r.headers["Content-Range"]), (206, data[-5:], "bytes 1019-1023/1024"), "-n")
    r = rng("bytes=1000-5000")
    eq((r.status, r.body), (206, data[1000:]), "end clamped")
    r = rng("bytes=1024-")
    eq((r.status, r.body, r.headers["Content-Range"]), (206, b"", "bytes 1024-1023/1024"),
       "start == size (SeaweedFS answers 206, empty)")
    eq(rng("bytes=1025-").status, 416, "start past the end")
    eq(rng("bytes=20-10").status, 416, "end before start")
    eq(rng("items=1-2").status, 416, "not bytes=")
    r = rng("bytes=0-1,10-12,-2")
    eq(r.status, 206, "multi-range")
    ctype = r.headers["Content-Type"]
    check(ctype.startswith("multipart/byteranges; boundary="), "multipart/byteranges", ctype)
    eq(int(r.headers["Content-Length"]), len(r.body), "multi-range Content-Length")
    msg = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + r.body)
    parts = [(p["Content-Range"], p.get_payload(decode=True)) for p in msg.get_payload()]
    eq(parts, [("bytes 0-1/1024", data[0:2]), ("bytes 10-12/1024", data[10:13]),
               ("bytes 1022-1023/1024", data[-2:])], "multi-range parts")
    r = rng("bytes=0-1023,0-10")
    eq((r.status, r.body), (200, b""), "ranges larger than the file: 200, empty (as SeaweedFS)")
    h = f.req("HEAD", "/rg/f", headers={"Range": "bytes=0-1"})
    eq((h.status, h.headers["Content-Length"]), (200, "1024"), "HEAD ignores Range")


def t_listing(f):
    for n in ["b", "a", "c.log", "d.log", "e.idx"]:
        put(f, "/ls/" + n, n.encode())
    f.req("POST", "/ls/sub/")
    r = f.listing("/ls/")
    eq(r.status, 200, "listing")
    j = r.json()
    names = [e["FullPath"] for e in j["Entries"]]
    eq(names, ["/ls/a", "/ls/b", "/ls/c.log", "/ls/d.log", "/ls/e.idx", "/ls/sub"], "sorted entries")
    eq((j["Path"], j["Limit"], j["LastFileName"], j["ShouldDisplayLoadMore"], j["EmptyFolder"]),
       ("/ls", 100000, "sub", False, False), "listing fields")
    modes = {e["FullPath"]: e["Mode"] for e in j["Entries"]}
    check(modes["/ls/sub"] & DIR_BIT and not modes["/ls/a"] & DIR_BIT, "directory Mode bit", modes)
    e = j["Entries"][0]
    for k in ("FullPath", "Mtime", "Crtime", "Mode", "FileSize", "Md5", "Extended", "chunks"):
        check(k in e, "entry field " + k, e)
    eq(e["FileSize"], 1, "FileSize")
    eq(f.listing("/ls").json()["Path"], "/ls", "listing without trailing slash")
    eq(f.listing("/nodir/").status, 404, "missing directory")
    p1 = f.listing("/ls/", limit=2).json()
    eq(([e["FullPath"] for e in p1["Entries"]], p1["LastFileName"], p1["ShouldDisplayLoadMore"]),
       (["/ls/a", "/ls/b"], "b", True), "page 1")
    p2 = f.listing("/ls/", limit=2, lastFileName="b").json()
    eq([e["FullPath"] for e in p2["Entries"]], ["/ls/c.log", "/ls/d.log"], "page 2 (exclusive cursor)")
    p3 = f.listing("/ls/", limit=2, lastFileName="e.idx").json()
    eq(([e["FullPath"] for e in p3["Entries"]], p3["ShouldDisplayLoadMore"]), (["/ls/sub"], False), "last page")
    p4 = f.listing("/ls/", limit=2, lastFileName="sub").json()
    eq((p4["Entries"], p4["EmptyFolder"], p4["LastFileName"]), (None, True, "sub"), "past the end")
    g = f.listing("/ls/", namePattern="*.log").json()
    eq([e["FullPath"] for e in g["Entries"]], ["/ls/c.log", "/ls/d.log"], "namePattern")
    g = f.listing("/ls/", namePattern="?.l[o]g", limit=1).json()
    eq(([e["FullPath"] for e in g["Entries"]], g["ShouldDisplayLoadMore"]), (["/ls/c.log"], True),
       "namePattern with limit")
    g = f.listing("/ls/", namePattern="a").json()
    eq(len(g["Entries"]), 6, "namePattern without a wildcard filters nothing (as SeaweedFS)")
    g = f.listing("/ls/", namePatternExclude="*.log").json()
    eq(len(g["Entries"]), 4, "namePatternExclude")
    eq(f.listing("/ls/sub/").json()["EmptyFolder"], True, "empty directory")
    check(f.req("GET", "/ls/").body.startswith(b"<html"), "listing without Accept is HTML")
    eq(f.listing("/").json()["Path"], "", "root listing Path")


def t_max_list(tmp):
    root = os.path.join(tmp, "maxlist")
    f = Filer(root, "--max-list", "3")
    try:
        for i in range(10):
            put(f, "/big/f%02d" % i, b"x")
        seen, last, pages = [], "", 0
        while True:
            j = f.listing("/big/", lastFileName=last).json()
            pages += 1
            eq(j["Limit"], 3, "capped Limit")
            seen += [e["FullPath"] for e in j["Entries"] or []]
            last = j["LastFileName"]
            if not j["ShouldDisplayLoadMore"]:
                break
            check(pages < 10, "pagination ends")
        eq(seen, ["/big/f%02d" % i for i in range(10)], "all entries over pages")
        eq(pages, 4, "pages of 3")
        eq(len(f.listing("/big/", limit=2).json()["Entries"]), 2, "smaller limit honoured")
    finally:
        f.stop()


def t_mkdir(f):
    r = f.req("POST", "/mk/new/")
    eq(r.status, 201, "mkdir")
    eq(r.json(), {"name": "new"}, "mkdir reply")
    check(os.path.isdir(os.path.join(f.root, "mk/new")), "directory on disk")
    eq(f.meta_json("/mk/new")["Mode"], DIR_BIT | 0o660, "mkdir mode")
    eq(f.req("POST", "/mk/new/").status, 409, "mkdir of an existing directory")
    r = f.req("POST", "/mk/deep/er/")
    eq(r.status, 201, "mkdir with parents")
    check(os.path.isdir(os.path.join(f.root, "mk/deep/er")), "nested mkdir")


def t_delete(f):
    put(f, "/del/f", b"1")
    eq(f.req("DELETE", "/del/f").status, 204, "delete file")
    check(not f.exists("/del/f"), "file gone")
    eq(f.req("DELETE", "/del/f").status, 204, "delete missing")
    eq(f.req("DELETE", "/del/no/such/thing").status, 204, "delete missing path")
    put(f, "/del/d/x/y", b"1")
    put(f, "/del/d/z", b"2")
    r = f.req("DELETE", "/del/d")
    eq(r.status, 500, "non-empty directory without recursive")
    check("fail to delete non-empty folder" in r.json()["error"], "message", r)
    check(f.exists("/del/d/x/y"), "still there")
    eq(f.req("DELETE", "/del/d?recursive=true&ignoreRecursiveError=true").status, 204, "recursive")
    check(not f.exists("/del/d"), "tree gone")
    eq(f.listing("/del/").json()["Entries"], None, "nothing listed")
    f.req("POST", "/del/empty/")
    eq(f.req("DELETE", "/del/empty/").status, 204, "empty directory")
    check(not f.exists("/del/empty"), "empty directory gone")
    eq(f.req("DELETE", "/").status, 204, "DELETE /")
    check(os.path.isdir(f.root) and os.listdir(f.root), "DELETE / removes nothing")


def t_rename(f):
    body, h = multipart([("file", "i", None, b"inline!")])
    f.req("POST", "/mv/src/meta?saveInside=true", body, h)
    append(f, "/mv/src/data.log", b"1")
    append(f, "/mv/src/data.log", b"2", "PUT")
    put(f, "/mv/src/deep/x", b"x", {"Seaweed-A": "b"})
    eq(f.req("POST", "/mv/dst?mv.from=/mv/src").status, 204, "rename a directory")
    check(not f.exists("/mv/src") and f.disk("/mv/dst/deep/x") == b"x", "moved on disk")
    e = f.entry("/mv/dst/meta")
    check(e["inline"], "inline flag follows the rename", e)
    eq(f.entry("/mv/dst/data.log")["chunks"], 2, "chunks follow the rename")
    eq(f.req("HEAD", "/mv/dst/deep/x").headers["Seaweed-A"], "b", "attributes follow")
    eq(f.req("GET", "/mv/src/meta").status, 404, "old path gone")
    r = f.req("POST", "/mv/x?mv.from=/mv/nothing")
    eq(r.status, 400, "rename of a missing source")
    eq(f.req("POST", "/mv/dst/deep/in?mv.from=/mv/dst").status, 400, "into itself")
    put(f, "/mv/p/b", b"b")
    r = f.req("POST", "/mv/p/bc/x?mv.from=/mv/p/b")
    eq(r.status, 400, "the filer's string-prefix check refuses /a/b -> /a/bc/x")
    put(f, "/mv/f1", b"one")
    put(f, "/mv/f2", b"two")
    eq(f.req("POST", "/mv/f2?mv.from=/mv/f1").status, 204, "file onto a file")
    eq((f.disk("/mv/f2"), f.exists("/mv/f1")), (b"one", False), "target replaced")
    eq(f.req("POST", "/mv/dst?mv.from=/mv/f2").status, 400, "file onto a directory")
    eq(f.req("POST", "/mv/dst/?mv.from=/mv/f2").status, 204, "file into dir/")
    eq(f.disk("/mv/dst/f2"), b"one", "moved into the directory")
    eq(f.req("POST", "/mv/dst/f2?mv.from=/mv/dst").status, 400, "directory onto a file")
    f.req("POST", "/mv/emptydir/")
    f.req("POST", "/mv/d2/")
    eq(f.req("POST", "/mv/emptydir?mv.from=/mv/d2").status, 204, "directory onto an empty one")
    eq(f.req("POST", "/mv/q/r?mv.from=/mv/dst/deep/x").status, 204, "rename creates parents")
    eq(f.disk("/mv/q/r"), b"x", "moved with new parents")


def t_copy(f):
    put(f, "/cp/a", b"copy me", {"Seaweed-K": "v"})
    eq(f.req("POST", "/cp/b?cp.from=/cp/a").status, 204, "copy")
    eq((f.disk("/cp/a"), f.disk("/cp/b")), (b"copy me", b"copy me"), "both present")
    eq(f.req("HEAD", "/cp/b").headers["Seaweed-K"], "v", "attributes copied")
    eq(f.req("POST", "/cp/b?cp.from=/cp/a").status, 409, "copy onto an existing file")
    put(f, "/cp/c", b"new")
    eq(f.req("POST", "/cp/b?cp.from=/cp/c&overwrite=true").status, 204, "overwrite=true")
    eq(f.disk("/cp/b"), b"new", "overwritten")
    f.req("POST", "/cp/dir/")
    eq(f.req("POST", "/cp/dir?cp.from=/cp/a").status, 204, "copy into a directory")
    eq(f.disk("/cp/dir/a"), b"copy me", "copied into the directory")
    eq(f.req("POST", "/cp/z?cp.from=/cp/dir").status, 400, "directory copy refused")
    eq(f.req("POST", "/cp/z?cp.from=/cp/none").status, 400, "missing source")


def t_http(f):
    c0 = f.stats()["connections"]
    conn = http.client.HTTPConnection("127.0.0.1", f.port, timeout=10)
    for i in range(5):
        r = f.req("PUT", "/ka/%d" % i, b"k", conn=conn)
        eq(r.status, 201, "PUT on a kept-alive connection")
    conn.close()
    eq(f.stats()["connections"] - c0, 1, "one connection for five requests")

    def gen():
        yield b"chunked "
        yield b"body"
    c = http.client.HTTPConnection("127.0.0.1", f.port, timeout=10)
    c.request("PUT", "/ka/chunked", body=gen(), encode_chunked=True)
    r = c.getresponse()
    r.read()
    eq(r.status, 201, "chunked PUT")
    c.request("GET", "/ka/chunked")
    eq(c.getresponse().read(), b"chunked body", "chunked body stored; connection reused")
    c.close()
    r = raw_exchange(f.port, b"PUT /ka/expect HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n"
                     b"Expect: 100-continue\r\n\r\n", expect_continue_then=b"expect")
    eq(r.status, 201, "Expect: 100-continue")
    eq(f.disk("/ka/expect"), b"expect", "body after 100 Continue")
    r = raw_exchange(f.port, b"PUT /ka/ce?op=append HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Expect: 100-continue\r\n\r\n",
                     expect_continue_then=b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n")
    eq((r.status, f.disk("/ka/ce")), (201, b"abcde"), "chunked + Expect append")
    r = f.req("GET", "/ka/../ka/0")
    eq((r.status, r.headers["Location"]), (301, "/ka/0"), "unclean path redirected like ServeMux")
    eq(f.req("PATCH", "/ka/0").status, 405, "unknown method")
    eq(f.req("GET", "/healthz").status, 200, "/healthz")


def t_jwt(tmp):
    root = os.path.join(tmp, "jwt")
    f = Filer(root, "--jwt", "sekrit", "--jwt-key", "signkey")
    try:
        r = f.req("PUT", "/j/f", b"x")
        eq((r.status, r.json()), (401, {"error": "wrong jwt"}), "no token")
        eq(f.req("GET", "/j/f").status, 401, "GET needs the token too")
        eq(f.req("PUT", "/j/f", b"x", {"Authorization": "Bearer wrong"}).status, 401, "wrong token")
        eq(f.req("PUT", "/j/f", b"x", {"Authorization": "Bearer sekrit"}).status, 201, "Bearer")
        eq(f.req("GET", "/j/f?jwt=sekrit").status, 200, "?jwt=")
        good = hs256("signkey", {"exp": int(time.time()) + 60})
        eq(f.req("GET", "/j/f", headers={"Authorization": "Bearer " + good}).status, 200, "HS256 token")
        old = hs256("signkey", {"exp": int(time.time()) - 5})
        eq(f.req("GET", "/j/f", headers={"Authorization": "Bearer " + old}).status, 401, "expired")
        bad = hs256("otherkey", {})
        eq(f.req("GET", "/j/f", headers={"Authorization": "Bearer " + bad}).status, 401, "bad signature")
        eq(f.req("GET", "/__stats__").status, 200, "control endpoints need no token")
    finally:
        f.stop()


def t_faults(f):
    f.fault({"reset": True})
    f.fault({"delay_ms": 300})
    t0 = time.time()
    put(f, "/flt/slow", b"s")
    check(time.time() - t0 >= 0.3, "delay_ms applied")
    eq(f.fault({"delay_ms": 0})["delay_ms"], 0, "delay cleared")

    d = f.fault({"fail": {"status": 503, "count": 2, "methods": ["POST", "PUT"], "path_prefix": "/topics/"}})
    eq(len(d["rules"]), 1, "rule listed")
    eq(f.req("GET", "/__fault__").json()["rules"][0]["remaining"], 2, "GET /__fault__")
    eq(f.req("PUT", "/flt/outside", b"o").status, 201, "other paths unaffected")
    eq(f.req("GET", "/topics/none").status, 404, "other methods unaffected")
    eq(f.req("PUT", "/topics/t1", b"1").status, 503, "first failure")
    eq(f.req("POST", "/topics/t1?op=append", b"1").status, 503, "second failure")
    check(not f.exists("/topics/t1"), "failed requests did nothing")
    eq(f.req("PUT", "/topics/t1", b"1").status, 201, "count exhausted")
    eq(f.req("GET", "/__fault__").json()["rules"], [], "rule used up")

    f.fault({"fail": {"status": 500, "query": {"op": "append"}, "skip": 1}})
    append(f, "/flt/sk", b"a")
    eq(f.req("PUT", "/flt/sk?op=append", b"b").status, 500, "query matcher + skip")
    eq(f.disk("/flt/sk"), b"a", "skipped then failed")

    f.fault({"fail": {"status": 503, "after_apply": True}})
    eq(f.req("PUT", "/flt/sk?op=append", b"c").status, 503, "fail after apply")
    eq(f.disk("/flt/sk"), b"ac", "applied although 503")

    f.fault({"drop": {"count": 1}})
    try:
        f.req("PUT", "/flt/sk?op=append", b"d")
        raise Failure("drop before apply: an answer came")
    except (http.client.RemoteDisconnected, ConnectionError):
        pass
    eq(f.disk("/flt/sk"), b"ac", "dropped before applying")

    f.fault({"drop": {"count": 1, "after_apply": True}})
    try:
        f.req("PUT", "/flt/sk?op=append", b"e")
        raise Failure("drop after apply: an answer came")
    except (http.client.RemoteDisconnected, ConnectionError):
        pass
    eq(f.disk("/flt/sk"), b"ace", "lost answer, write applied")
    eq(f.entry("/flt/sk")["chunks"], 3, "chunks of the applied append")

    put(f, "/flt/big", b"0123456789" * 100)
    f.fault({"drop": {"count": 1, "partial": True, "methods": ["GET"]}})
    try:
        f.req("GET", "/flt/big")
        raise Failure("partial drop: whole answer came")
    except http.client.IncompleteRead as e:
        eq(len(e.partial), 500, "half the body")

    f.fault({"drop": {"count": 1, "rst": True}})
    try:
        f.req("GET", "/flt/big")
        raise Failure("rst drop: an answer came")
    except (http.client.RemoteDisconnected, ConnectionError):
        pass

    f.fault({"delay": {"ms": 200, "count": 1, "methods": ["GET"]}, "fail": {"status": 507, "count": -1,
                                                                         "path_prefix": "/ro/"}})
    t0 = time.time()
    eq(f.req("GET", "/flt/big").status, 200, "delay rule")
    check(time.time() - t0 >= 0.2, "delay rule applied")
    for _ in range(3):
        eq(f.req("PUT", "/ro/x", b"x").status, 507, "unlimited rule")
    eq(f.fault({"reset": True}), {"delay_ms": 0, "rules": []}, "reset")
    eq(f.req("PUT", "/ro/x", b"x").status, 201, "after reset")
    r = f.req("POST", "/__fault__", b'{"bogus": 1}')
    eq(r.status, 400, "unknown fault refused")
    s = f.stats()
    check(s["faults"]["fail"] >= 6 and s["faults"]["drop"] >= 4 and s["faults"]["delay"] >= 2,
          "fault counters", s["faults"])
    check(s["requests"].get("PUT", 0) > 0 and s["requests"].get("GET", 0) > 0, "per-method counters", s)


def t_restart(tmp):
    root = os.path.join(tmp, "restart")
    f = Filer(root)
    try:
        body, h = multipart([("file", "o", None, b'{"type":"offset","value":5}')])
        f.req("POST", "/rs/off?saveInside=true", body, h)
        for i in range(4):
            append(f, "/rs/seg.log", b"rec%d;" % i)
        put(f, "/rs/attr", b"a", {"Seaweed-X": "1"})
        f.req("PUT", "/rs/ttl?ttl=5d&mode=0600", b"t")
        before = {p: f.meta_json(p) for p in ("/rs/off", "/rs/seg.log", "/rs/attr", "/rs/ttl")}
        eq(f.restart(signal.SIGTERM), 0, "clean exit on SIGTERM")
        after = {p: f.meta_json(p) for p in before}
        eq(after, before, "metadata kept across a restart")
        eq(f.entry("/rs/off")["inline"], True, "inline kept")
        eq(f.req("PUT", "/rs/off?op=append", b"x").status, 500, "still refused after restart")
        eq(f.req("GET", "/rs/seg.log").body, b"rec0;rec1;rec2;rec3;", "content kept")
        eq(f.restart(signal.SIGKILL), -signal.SIGKILL, "SIGKILL")
        eq({p: f.meta_json(p) for p in before}, before, "metadata kept across SIGKILL")
        append(f, "/rs/seg.log", b"rec4;")
        eq(f.entry("/rs/seg.log")["chunks"], 5, "appends continue after restart")

        # changes made to the tree while the server is down: the file wins
        f.stop()
        with open(os.path.join(root, "rs/seg.log"), "ab") as fh:
            fh.write(b"tail;")
        with open(os.path.join(root, "rs/attr.new"), "wb") as fh:
            fh.write(b"replaced")
        os.replace(os.path.join(root, "rs/attr.new"), os.path.join(root, "rs/attr"))
        with open(os.path.join(root, "rs/seeded"), "wb") as fh:
            fh.write(b"seed")
        os.rename(os.path.join(root, "rs"), os.path.join(root, "rs2"))
        f.start()
        eq(f.req("GET", "/rs/seg.log").status, 404, "old path gone")
        e = f.entry("/rs2/seg.log")
        eq((e["size"], e["chunks"]), (30, 6), "grown file: size and a tail chunk")
        eq(f.entry("/rs2/off")["inline"], True, "metadata followed the renamed directory")
        m = f.meta_json("/rs2/attr")
        eq((m["FileSize"], m["Md5"], m["Extended"]),
           (8, base64.b64encode(hashlib.md5(b"replaced").digest()).decode(), None),
           "replaced file: metadata rebuilt")
        eq(f.req("GET", "/rs2/seeded").body, b"seed", "file placed in the tree is served")
        eq(f.meta_json("/rs2/ttl")["TtlSec"], 5 * 86400, "ttl followed the rename")

        # an append cut short by a crash is undone; a complete one is kept
        f.stop()
        db = sqlite3.connect(root + ".meta.sqlite3")
        for name, n in (("rs2/seg.log", 100), ("rs2/seeded", 3)):
            db.execute("INSERT INTO pending (path, data) VALUES (?, ?)",
                       (("/" + name).encode(), json.dumps({"old": os.path.getsize(os.path.join(root, name)),
                                                           "n": n, "existed": True})))
        db.commit()
        db.close()
        with open(os.path.join(root, "rs2/seg.log"), "ab") as fh:
            fh.write(b"half")
        with open(os.path.join(root, "rs2/seeded"), "ab") as fh:
            fh.write(b"abc")
        f.start()
        eq(f.req("GET", "/rs2/seg.log").body, b"rec0;rec1;rec2;rec3;rec4;tail;", "partial append undone")
        eq(f.req("GET", "/rs2/seeded").body, b"seedabc", "complete append kept")

        # an entry past its ttl is gone (the filer checks ttl on lookup)
        f.stop()
        db = sqlite3.connect(root + ".meta.sqlite3")
        (data,), = db.execute("SELECT data FROM entries WHERE path = ?", (b"/rs2/ttl",))
        row = json.loads(data)
        row["crtime"] -= 6 * 86400
        db.execute("UPDATE entries SET data = ? WHERE path = ?", (json.dumps(row), b"/rs2/ttl"))
        db.commit()
        db.close()
        f.start()
        eq(f.req("GET", "/rs2/ttl").status, 404, "expired entry")
        check(not os.path.exists(os.path.join(root, "rs2/ttl")), "expired file removed")

        # a byte changed in place keeps the metadata; so does a cp -a copy
        f.stop()
        with open(os.path.join(root, "rs2/seg.log"), "r+b") as fh:
            fh.write(b"X")
        f.start()
        eq(f.entry("/rs2/seg.log")["chunks"], 6, "in-place edit keeps the chunks")
        eq(f.req("GET", "/rs2/seg.log").body[:2], b"Xe", "edited bytes served")
        f.stop()
        import shutil
        copy = os.path.join(tmp, "restored")
        shutil.copytree(root, copy)
        for suffix in (".meta.sqlite3", ".meta.sqlite3-wal", ".meta.sqlite3-shm"):
            if os.path.exists(root + suffix):
                shutil.copy2(root + suffix, copy + suffix)
        g = Filer(copy)
        try:
            eq((g.entry("/rs2/off")["inline"], g.entry("/rs2/seg.log")["chunks"]), (True, 6),
               "metadata of a cp -a copy of the tree")
        finally:
            g.stop()
        f.start()
    finally:
        f.stop()


def t_concurrency(f):
    """Appends from many connections at once: none lost, one chunk each."""
    rec, per, nthreads = 32, 40, 8
    errors = []

    def worker(k):
        c = http.client.HTTPConnection("127.0.0.1", f.port, timeout=20)
        try:
            for i in range(per):
                c.request("PUT", "/cc/seg?op=append", b"%02d-%028d\n" % (k, i))
                r = c.getresponse()
                r.read()
                if r.status != 201:
                    errors.append(r.status)
        finally:
            c.close()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(nthreads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    eq(errors, [], "statuses")
    data = f.req("GET", "/cc/seg").body
    eq(len(data), rec * per * nthreads, "size")
    recs = [data[i:i + rec] for i in range(0, len(data), rec)]
    for k in range(nthreads):
        mine = [int(r[3:]) for r in recs if r.startswith(b"%02d-" % k)]
        eq(mine, list(range(per)), "records of writer %d in order" % k)
    eq(f.entry("/cc/seg")["chunks"], per * nthreads, "one chunk per append")


def t_kill_during_appends(tmp):
    """SIGKILL while appends stream in: no half record, metadata agrees with the file."""
    root = os.path.join(tmp, "kill")
    f = Filer(root)
    rec = 64
    acked = []

    def writer(base, stop):
        c = http.client.HTTPConnection("127.0.0.1", f.port, timeout=10)
        i = base
        while not stop.is_set():
            try:
                c.request("PUT", "/k/seg.log?op=append", b"%063d\n" % i)
                c.getresponse().read()
            except Exception:
                return
            acked.append(i)
            i += 1
    try:
        base = 0
        for round_ in range(3):
            stop = threading.Event()
            t = threading.Thread(target=writer, args=(base, stop))
            t.start()
            time.sleep(0.3 + 0.1 * round_)
            f.proc.send_signal(signal.SIGKILL)
            f.proc.wait(10)
            stop.set()
            t.join(10)
            f.proc.stdout.close()
            f.proc.stderr.close()
            f.start(f.port)
            data = f.req("GET", "/k/seg.log").body
            check(len(data) % rec == 0, "whole records only", len(data))
            nums = [int(data[i:i + rec]) for i in range(0, len(data), rec)]
            eq(nums, list(range(len(nums))), "records in order, none lost or doubled")
            e = f.entry("/k/seg.log")
            eq(e["size"], len(data), "metadata size agrees with the file")
            if len(nums) < 1000:      # past that the filer merges small chunks
                eq(e["chunks"], len(nums), "one chunk per record")
            check(acked and len(nums) >= acked[-1] + 1, "every acknowledged append is there",
                  len(nums), acked[-1:])
            base = len(nums)
    finally:
        f.stop()


def t_offset_and_small(tmp):
    root = os.path.join(tmp, "small")
    f = Filer(root, "--save-to-filer-limit", "10", "--max-mb", "1")
    try:
        put(f, "/s/tiny", b"abc")
        e = f.entry("/s/tiny")
        check(e["inline"] and e["md5"], "small PUT stored inline with md5", e)
        eq(f.req("PUT", "/s/tiny?op=append", b"d").status, 500, "append to small inline file")
        big = os.urandom(2 * 1024 * 1024 + 5)
        put(f, "/s/big", big)
        eq(f.entry("/s/big")["chunks"], 3, "split at maxMB")
        eq(f.req("GET", "/s/big").body, big, "big content")
        put(f, "/s/o", b"0123456789abcdef")
        eq(f.req("PUT", "/s/o?offset=4", b"XY").status, 201, "offset write")
        eq(f.disk("/s/o"), b"0123XY6789abcdef", "offset write applied")
        eq(f.entry("/s/o")["chunks"], 2, "offset write adds a chunk")
        eq(f.req("PUT", "/s/o?offset=-1", b"XY").status, 500, "bad offset")
    finally:
        f.stop()


def t_merge(tmp):
    """Past 1000 small chunks the filer merges them (few appends are slow here)."""
    root = os.path.join(tmp, "merge")
    f = Filer(root)
    try:
        c = http.client.HTTPConnection("127.0.0.1", f.port, timeout=20)
        for i in range(1000):
            c.request("PUT", "/m/seg?op=append", b"r%04d" % i)
            r = c.getresponse()
            r.read()
            check(r.status == 201, "append %d" % i)
        c.close()
        e = f.entry("/m/seg")
        eq((e["chunks"], e["size"]), (1, 5000), "1000 small chunks merged into one")
        eq(f.req("GET", "/m/seg").body[-5:], b"r0999", "merged content")
        eq(f.stats()["merges"], 1, "merge counted")
    finally:
        f.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="fake-filer-test.")
    failures = []
    main_root = os.path.join(tmp, "main")
    f = Filer(main_root)
    shared = [t_put_get, t_parents_and_conflicts, t_multipart, t_append, t_md5, t_params, t_ranges,
              t_listing, t_mkdir, t_delete, t_rename, t_copy, t_http, t_faults, t_concurrency]
    alone = [t_max_list, t_jwt, t_restart, t_kill_during_appends, t_offset_and_small, t_merge]
    try:
        for t in shared + alone:
            t0 = time.time()
            try:
                t(f) if t in shared else t(tmp)
                print("ok - %s (%.1fs)" % (t.__name__[2:], time.time() - t0), flush=True)
            except Exception as e:
                failures.append(t.__name__)
                print("FAIL - %s: %s" % (t.__name__[2:], e), flush=True)
                if not isinstance(e, Failure):
                    traceback.print_exc()
                f.fault({"reset": True}) if f.proc.poll() is None else None
    finally:
        rc = f.stop()
        if rc != 0:
            failures.append("exit status %d on SIGTERM" % rc)
        import shutil
        if not failures:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("left %s for inspection" % tmp)
    if failures:
        print("%d failure(s): %s" % (len(failures), ", ".join(failures)))
        return 1
    print("all fake filer checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
