#!/usr/bin/env python3
"""A SeaweedFS-filer-compatible HTTP server for tests (standard library only).

Every filer entry is a real file or directory at the same relative path under
--root, so tests can inspect the tree directly.  What the filer keeps besides
the bytes (inline or chunked content, chunk list, times, mode, Seaweed-*
extended attributes, md5) lives in an sqlite3 database outside the tree
(--meta, default ROOT.meta.sqlite3, whatever its name), kept across restarts;
on start the tree wins where the two disagree (size, inode), so files placed
under --root beforehand are served too.

  fake_filer.py --root DIR [--port 0] [--host 127.0.0.1] [--port-file F]
                [--meta FILE] [--jwt TOKEN] [--jwt-key KEY] [--max-list N] ...

prints "fake-filer listening on HOST:PORT" once it accepts connections and
exits 0 on SIGTERM.  The filer API follows SeaweedFS's HTTP handlers,
quirks included (see the notes at Filer.auto_chunk and Store.check_parents).

Control endpoints (no token needed, never faulted):
  POST /__fault__   a JSON object, any of
      {"delay_ms": N}          every request waits N ms first (0: off)
      {"fail": RULE}           matching requests get RULE's "status"
                               (default 503) and body {"error":"injected fault"}
      {"drop": RULE}           matching requests get no answer: the
                               connection is closed
      {"delay": RULE}          matching requests wait RULE's "ms"
      {"reset": true}          clear every fault first
    RULE (or a list of them): "count" N (default 1; -1 or null: no end),
      "skip" N (let N matching requests through first), "methods" [..],
      "path_prefix" "/..", "query" {"op": "append"} (value null: present),
      "after_apply" true (do the request, then fail / drop / delay its
      answer: a write that happened but whose answer was lost),
      fail: "status", "body" (JSON or a string), "headers" {..};
      drop: "rst" true (reset instead of FIN), "partial" true (send the
      headers and half the body of the real answer, then close).
    Answers the settings, as GET /__fault__ does.
  GET /__stats__[?path=/p]   counters: connections, requests per method,
      statuses, appends, bytes_appended, writes, bytes_written, faults,
      merges; with path, "entry": size, inline, chunks, data_chunks,
      manifest_chunks, appends, md5, mode, ttl, extended.
  POST /__stats__ {"reset": true}   zero the counters.
"""

import argparse
import base64
import email.message
import email.utils
import hashlib
import hmac
import http.server
import json
import mimetypes
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import stat
import struct
import sys
import threading
import time
import traceback
import urllib.parse

DIR_BIT = 1 << 31            # os.ModeDir as SeaweedFS reports it in "Mode"
FILE_MODE = 0o660            # default of the ?mode= parameter
MSG_NON_EMPTY = "fail to delete non-empty folder"
MSG_NOT_FOUND = "filer: no entry is found in filer store"
MSG_BAD_DIGEST = "The Content-Md5 you specified did not match what we received."
MSG_APPEND_INLINE = "append to small file is not supported yet"
MERGE_MIN_COUNT = 1000       # small chunks are merged only past this count
MANIFEST_BATCH = 10000       # data chunks folded into one manifest chunk

def pread_all(fd, off, n):
    """Up to n bytes at off, fewer only at the end of the file."""
    out = []
    while n > 0:
        b = os.pread(fd, min(n, 1 << 22), off)
        if not b:
            break
        out.append(b)
        off += len(b)
        n -= len(b)
    return b"".join(out)

CONTROL_PATHS = ("/__fault__", "/__stats__")

# Go's mime package answers these from its built-in table.
GO_MIME = {
    ".css": "text/css; charset=utf-8", ".gif": "image/gif",
    ".htm": "text/html; charset=utf-8", ".html": "text/html; charset=utf-8",
    ".jpeg": "image/jpeg", ".jpg": "image/jpeg",
    ".js": "text/javascript; charset=utf-8", ".json": "application/json",
    ".mjs": "text/javascript; charset=utf-8", ".pdf": "application/pdf",
    ".png": "image/png", ".svg": "image/svg+xml", ".wasm": "application/wasm",
    ".webp": "image/webp", ".xml": "text/xml; charset=utf-8",
}


class FilerError(Exception):
    """An answer other than success: status plus an optional {"error":..} body."""

    def __init__(self, status, message=None):
        super().__init__(message)
        self.status = status
        self.message = message


class Resp:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers=None, body=b""):
        self.status = status
        self.headers = headers if headers is not None else []
        self.body = body


def go_json(obj, pretty=False):
    """json.Marshal look-alike: compact, UTF-8, HTML characters escaped."""
    if pretty:
        s = json.dumps(obj, ensure_ascii=False, indent=2)
    else:
        s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    s = (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
         .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return s.encode("utf-8", "replace")


def json_resp(status, obj, pretty=False):
    return Resp(status, [("Content-Type", "application/json"),
                         ("X-Content-Type-Options", "nosniff")], go_json(obj, pretty))


def error_resp(status, message):
    return json_resp(status, {"error": message})


def text_error(status, message):
    # net/http's http.Error
    return Resp(status, [("Content-Type", "text/plain; charset=utf-8"),
                         ("X-Content-Type-Options", "nosniff")],
                (message + "\n").encode())


def b64(data):
    return base64.b64encode(data).decode("ascii")


def out_str(s):
    # names may carry undecodable bytes (surrogateescape); JSON gets U+FFFD
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def go_time(ns):
    """time.Time as encoding/json writes it (RFC 3339, local zone)."""
    if ns is None:
        return "0001-01-01T00:00:00Z"
    secs, frac = divmod(int(ns), 10 ** 9)
    lt = time.localtime(secs)
    s = time.strftime("%Y-%m-%dT%H:%M:%S", lt)
    if frac:
        s += ("." + "%09d" % frac).rstrip("0")
    off = lt.tm_gmtoff or 0
    if off == 0:
        return s + "Z"
    sign = "+" if off > 0 else "-"
    off = abs(off) // 60
    return s + "%s%02d:%02d" % (sign, off // 60, off % 60)


def go_clean(p):
    """path.Clean for rooted paths."""
    out = []
    for part in p.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/" + "/".join(out)


def mux_clean(p):
    """The path net/http's ServeMux redirects to (keeps a trailing slash)."""
    if p == "":
        return "/"
    if p[0] != "/":
        p = "/" + p
    np = go_clean(p)
    if p.endswith("/") and np != "/":
        np += "/"
    return np


def clear_name(name):
    """The mv.from / cp.from clean-up: path.Clean keeping a trailing slash."""
    if not name.startswith("/"):
        raise FilerError(400, "invalid argument")
    slashed = name.endswith("/")
    name = go_clean(name)
    if slashed and not name.endswith("/"):
        name += "/"
    return name


def dir_and_name(fp):
    """util.FullPath.DirAndName."""
    i = fp.rfind("/")
    d, name = fp[:i + 1], fp[i + 1:]
    if d == "/":
        return d, name
    if not d:
        return "/", ""
    return d[:-1], name


def child_of(d, name):
    return ("/" if d == "/" else d + "/") + name


def go_base(p):
    """path.Base."""
    if p == "":
        return "."
    p = p.rstrip("/")
    if p == "":
        return "/"
    return p[p.rfind("/") + 1:]


def canonical_header(k):
    """textproto.CanonicalMIMEHeaderKey."""
    if not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", k):
        return k
    return "-".join(w[:1].upper() + w[1:].lower() for w in k.split("-"))


def go_atoi(s):
    if s is None or not re.fullmatch(r"[+-]?[0-9]+", s):
        return None
    return int(s)


def parse_mode(s):
    if s and re.fullmatch(r"[0-7]+", s) and int(s, 8) < 2 ** 32:
        return int(s, 8)
    return FILE_MODE


def ttl_seconds(s):
    """needle.ReadTTL + fitTtlCount, then rounded down to minutes as the filer does."""
    if not s:
        return 0
    unit, count = s[-1], s[:-1]
    if unit.isdigit():
        unit, count = "m", s
    if not re.fullmatch(r"[+-]?[0-9]+", count or "x"):
        return 0
    n = int(count)
    per = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400,
           "M": 30 * 86400, "y": 365 * 86400}.get(unit, 0)
    secs = n * per
    if secs <= 0:
        return 0
    units = [365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600]
    for u in units:
        if secs % u == 0 and secs // u < 256:
            return (secs // u) * u
    if secs // 60 < 256:
        return (secs // 60) * 60
    for u in reversed(units):
        if secs // u < 256:
            return (secs // u) * u
    return 0


def split_pattern(pattern):
    """The filer's namePattern split.  A pattern without '*' or '?' filters
    nothing at all: that is what SeaweedFS does, kept on purpose."""
    for ch in "*?":
        i = pattern.find(ch)
        if i >= 0:
            return pattern[:i], pattern[i:]
    return "", ""


def go_match(pattern, name):
    """filepath.Match: True/False, or None when the pattern is malformed."""
    rx, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            rx.append("[^/]*")
        elif c == "?":
            rx.append("[^/]")
        elif c == "\\":
            i += 1
            if i >= n:
                return None
            rx.append(re.escape(pattern[i]))
        elif c == "[":
            i += 1
            neg = i < n and pattern[i] == "^"
            if neg:
                i += 1
            items, count = [], 0
            while True:
                if i >= n:
                    return None
                if pattern[i] == "]" and count > 0:
                    break

                def esc(j):
                    if j >= n or pattern[j] in "-]":
                        return None, j
                    if pattern[j] == "\\":
                        j += 1
                        if j >= n:
                            return None, j
                    return pattern[j], j + 1
                lo, i = esc(i)
                if lo is None:
                    return None
                hi = lo
                if i < n and pattern[i] == "-":
                    hi, i = esc(i + 1)
                    if hi is None or hi < lo:
                        return None
                items.append((lo, hi))
                count += 1
            body = "".join(re.escape(a) if a == b else re.escape(a) + "-" + re.escape(b)
                           for a, b in items)
            rx.append(("[^/%s]" if neg else "[%s]") % body)
        else:
            rx.append(re.escape(c))
        i += 1
    return re.fullmatch("".join(rx), name, re.DOTALL) is not None


def parse_ranges(spec, size):
    """The filer's parseRange; raises ValueError for a 416."""
    if not spec.startswith("bytes="):
        raise ValueError("invalid range")
    out = []
    for ra in spec[6:].split(","):
        ra = ra.strip()
        if not ra:
            continue
        if "-" not in ra:
            raise ValueError("invalid range")
        a, b = (x.strip() for x in ra.split("-", 1))
        if a == "":
            k = go_atoi(b)
            if k is None:
                raise ValueError("invalid range")
            k = min(k, size)
            start = size - k
            out.append((start, size - start))
        else:
            start = go_atoi(a)
            if start is None or start > size or start < 0:
                raise ValueError("invalid range")
            if b == "":
                out.append((start, size - start))
            else:
                end = go_atoi(b)
                if end is None or start > end:
                    raise ValueError("invalid range")
                end = min(end, size - 1)
                out.append((start, end - start + 1))
    return out


def format_disposition(kind, filename):
    """mime.FormatMediaType(kind, {"filename": filename})."""
    if re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", filename):
        return "%s; filename=%s" % (kind, filename)
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        raw = filename.encode("utf-8", "surrogateescape")
        return "%s; filename*=utf-8''%s" % (kind, urllib.parse.quote(raw, safe="!#$&+-.^_`|~"))
    return '%s; filename="%s"' % (kind, filename.replace("\\", "\\\\").replace('"', '\\"'))


def http_date(ns):
    return email.utils.formatdate(int(ns) // 10 ** 9, usegmt=True)


def jwt_valid(token, key):
    """HS256/384/512 token signed with key, exp/nbf honoured (the filer's check)."""
    try:
        h, p, s = token.split(".")

        def dec(x):
            return base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
        header, claims = json.loads(dec(h)), json.loads(dec(p))
        algo = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
                "HS512": hashlib.sha512}.get(header.get("alg"))
        if algo is None:
            return False
        want = hmac.new(key.encode(), (h + "." + p).encode(), algo).digest()
        if not hmac.compare_digest(want, dec(s)):
            return False
        now = time.time()
        if "exp" in claims and now >= float(claims["exp"]):
            return False
        if "nbf" in claims and now < float(claims["nbf"]):
            return False
        return True
    except (ValueError, TypeError, AttributeError):
        return False


def note_file(row, st):
    """Remembers which real file the metadata describes (inode, mtime)."""
    row["ino"] = st.st_ino
    row["fmtime"] = st.st_mtime_ns


def fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    """Entries as real files under root; filer metadata in sqlite outside it.

    All mutations run under one lock.  Crash safety: content changes are
    made durable first (replace via a staging file + rename, or one write +
    fsync for appends, announced beforehand in the pending table), metadata
    afterwards; on start the tree is reconciled with the metadata (the file
    wins: size, inode)."""

    def __init__(self, root, meta, staging, max_mb, save_limit):
        self.root = root
        self.staging = staging
        self.max_mb = max_mb
        self.save_limit = save_limit
        self.lock = threading.RLock()
        self.rows = {}
        self.dirty = {}
        self.kv = {}
        self.kv_dirty = False
        self.uid, self.gid = os.getuid(), os.getgid()
        self.root_row = {"dir": True, "mode": 0o755, "mtime": time.time_ns(),
                         "crtime": int(time.time()), "atime": None, "ino": 1}
        os.makedirs(root, exist_ok=True)
        os.makedirs(staging, exist_ok=True)
        if os.stat(root).st_dev != os.stat(staging).st_dev:
            raise SystemExit("fake-filer: --staging must be on the same file system as --root")
        self.db = sqlite3.connect(meta, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS entries (path BLOB PRIMARY KEY, data TEXT NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS pending (path BLOB PRIMARY KEY, data TEXT NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        for k, v in self.db.execute("SELECT path, data FROM entries"):
            self.rows[self.dec(k)] = json.loads(v)
        for k, v in self.db.execute("SELECT k, v FROM kv"):
            self.kv[k] = json.loads(v)
        self.kv.setdefault("next_key", 1)
        with self.lock:
            self.reconcile()
            self.flush()

    # -- persistence ---------------------------------------------------------

    @staticmethod
    def enc(path):
        return path.encode("utf-8", "surrogateescape")

    @staticmethod
    def dec(blob):
        return bytes(blob).decode("utf-8", "surrogateescape")

    def put(self, path, row):
        self.rows[path] = row
        self.dirty[path] = row

    def drop(self, path):
        self.rows.pop(path, None)
        self.dirty[path] = None

    def drop_tree(self, path):
        pre = path.rstrip("/") + "/"
        for p in [p for p in self.rows if p == path or p.startswith(pre)]:
            self.drop(p)

    def flush(self):
        if not self.dirty and not self.kv_dirty:
            return
        db = self.db
        db.execute("BEGIN")
        try:
            for p, row in self.dirty.items():
                if row is None:
                    db.execute("DELETE FROM entries WHERE path = ?", (self.enc(p),))
                else:
                    db.execute("INSERT OR REPLACE INTO entries (path, data) VALUES (?, ?)",
                               (self.enc(p), json.dumps(row)))
            if self.kv_dirty:
                for k, v in self.kv.items():
                    db.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (k, json.dumps(v)))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.dirty.clear()
        self.kv_dirty = False

    def set_pending(self, path, data):
        self.db.execute("INSERT OR REPLACE INTO pending (path, data) VALUES (?, ?)",
                        (self.enc(path), json.dumps(data)))

    def clear_pending(self, path):
        self.db.execute("DELETE FROM pending WHERE path = ?", (self.enc(path),))

    # -- real files ----------------------------------------------------------

    def real(self, path):
        return self.root if path == "/" else os.path.join(self.root, path.lstrip("/"))

    def stat(self, path):
        try:
            st = os.lstat(self.real(path))
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
            return st
        return None

    def read_region(self, path, off, n):
        fd = os.open(self.real(path), os.O_RDONLY)
        try:
            return pread_all(fd, off, n)
        finally:
            os.close(fd)

    def staged(self, data, size=None, copy_from=None):
        """A fsynced staging file holding the new content; returns its path."""
        tmp = os.path.join(self.staging, "w%d-%d-%x" % (os.getpid(), threading.get_ident(),
                                                      random.getrandbits(48)))
        if copy_from is not None:
            shutil.copyfile(copy_from, tmp)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            if size is not None:
                os.ftruncate(fd, size)
            for off, chunk in data:
                view = memoryview(chunk)
                while view:
                    k = os.pwrite(fd, view, off)
                    view = view[k:]
                    off += k
            os.fsync(fd)
        finally:
            os.close(fd)
        return tmp

    def install(self, tmp, path):
        rp = self.real(path)
        os.replace(tmp, rp)
        fsync_dir(os.path.dirname(rp))
        return os.lstat(rp)

    # -- chunks --------------------------------------------------------------

    def new_fid(self):
        key = self.kv["next_key"]
        self.kv["next_key"] = key + 1
        self.kv_dirty = True
        vid = 1 + key % 7
        cookie = random.getrandbits(32)
        return "%d,%x%08x" % (vid, key, cookie), [vid, key, cookie]

    def make_chunks(self, data, base, cs, ts):
        out = []
        for i in range(0, len(data), cs):
            piece = data[i:i + cs]
            fid, _ = self.new_fid()
            out.append({"fid": fid, "off": base + i, "size": len(piece), "ts": ts,
                        "etag": b64(hashlib.md5(piece).digest())})
        return out

    def chunks_from_file(self, path, off, n, cs, ts):
        out = []
        while n > 0:
            k = min(n, cs)
            out.extend(self.make_chunks(self.read_region(path, off, k), off, cs, ts))
            off += k
            n -= k
        return out

    def settle_chunks(self, path, chunks, size, cs):
        """Merge small chunks past MERGE_MIN_COUNT and fold MANIFEST_BATCH data
        chunks into a manifest chunk, the way the filer does on each write."""
        data = [c for c in chunks if not c.get("manifest")]
        small = [c for c in data if c["size"] < (self.max_mb * 1024 * 1024) // 2]
        if len(small) >= MERGE_MIN_COUNT and len(small) >= len(data) // 2:
            start = min(c["off"] for c in small)
            kept = [c for c in chunks if c["off"] < start or c.get("manifest")]
            chunks = kept + self.chunks_from_file(path, start, size - start, cs, time.time_ns())
            self.kv["merges"] = self.kv.get("merges", 0) + 1
            self.kv_dirty = True
        data = [c for c in chunks if not c.get("manifest")]
        if len(data) < MANIFEST_BATCH:
            return chunks
        out = [c for c in chunks if c.get("manifest")]
        full = len(data) - len(data) % MANIFEST_BATCH
        for i in range(0, full, MANIFEST_BATCH):
            batch = data[i:i + MANIFEST_BATCH]
            lo = min(c["off"] for c in batch)
            hi = max(c["off"] + c["size"] for c in batch)
            fid, _ = self.new_fid()
            out.append({"fid": fid, "off": lo, "size": hi - lo, "ts": time.time_ns(),
                        "etag": b64(hashlib.md5(json.dumps(batch).encode()).digest()),
                        "manifest": len(batch)})
        return out + data[full:]

    # -- rows ----------------------------------------------------------------

    def file_row(self, now, mode=FILE_MODE, crtime=None):
        return {"dir": False, "mode": mode, "mtime": now, "atime": now,
                "crtime": crtime if crtime is not None else now // 10 ** 9,
                "mime": "", "ttl": 0, "md5": None, "ext": {}, "inline": False,
                "chunks": [], "size": 0, "ino": 0, "appends": 0}

    def dir_row(self, now, mode, ino):
        return {"dir": True, "mode": mode, "mtime": now, "atime": now,
                "crtime": now // 10 ** 9, "ttl": 0, "ext": {}, "ino": ino}

    def synth(self, path, st, crtime=None):
        """Metadata for an entry found in the tree without (valid) metadata."""
        if stat.S_ISDIR(st.st_mode):
            row = self.dir_row(st.st_mtime_ns, 0o771, st.st_ino)
        else:
            cs = self.max_mb * 1024 * 1024
            row = self.file_row(st.st_mtime_ns, crtime=crtime)
            row["chunks"] = self.chunks_from_file(path, 0, st.st_size, cs, st.st_mtime_ns)
            h = hashlib.md5()
            for off in range(0, st.st_size, cs):
                h.update(self.read_region(path, off, min(cs, st.st_size - off)))
            row["md5"] = b64(h.digest())
            row["size"] = st.st_size
            note_file(row, st)
        self.put(path, row)
        return row

    def refresh(self, path, st):
        """Reconcile one entry's metadata with its real file (the file wins)."""
        is_dir = stat.S_ISDIR(st.st_mode)
        row = self.rows.get(path)
        if row is None or row["dir"] != is_dir:
            return self.synth(path, st)
        if is_dir:
            if row.get("ino") != st.st_ino:
                row["ino"] = st.st_ino
                self.put(path, row)
            return row
        if row["ino"] != st.st_ino:
            if st.st_size != row["size"] or st.st_mtime_ns != row.get("fmtime"):
                return self.synth(path, st, crtime=row.get("crtime"))
            # the same file restored elsewhere (cp -a): keep its metadata
            note_file(row, st)
            self.put(path, row)
            return row
        if st.st_size < row["size"]:
            return self.synth(path, st, crtime=row.get("crtime"))
        if st.st_size == row["size"] and st.st_mtime_ns != row.get("fmtime"):
            # edited in place (a test corrupting bytes): metadata stays
            note_file(row, st)
            self.put(path, row)
        if st.st_size > row["size"]:
            cs = self.max_mb * 1024 * 1024
            row["chunks"] = self.settle_chunks(path, row["chunks"] + self.chunks_from_file(
                path, row["size"], st.st_size - row["size"], cs, st.st_mtime_ns), st.st_size, cs)
            row.update(size=st.st_size, mtime=st.st_mtime_ns, md5=None, inline=False)
            note_file(row, st)
            self.put(path, row)
        return row

    def expired(self, row):
        return (row.get("ttl", 0) > 0 and not row["dir"]
                and row["crtime"] + row["ttl"] < time.time())

    def lookup(self, path):
        """FindEntry: the row for path, or None (missing or TTL expired)."""
        if path == "/":
            return self.root_row
        st = self.stat(path)
        if st is None:
            if path in self.rows:
                self.drop_tree(path)
            return None
        row = self.refresh(path, st)
        if self.expired(row):
            try:
                os.unlink(self.real(path))
            except OSError:
                pass
            self.drop(path)
            return None
        return row

    def reconcile(self):
        """Start-up: finish or undo interrupted appends, follow renames by
        inode, give metadata to entries lacking it, drop metadata of entries
        that are gone."""
        for name in os.listdir(self.staging):
            try:
                os.unlink(os.path.join(self.staging, name))
            except OSError:
                pass
        for k, v in list(self.db.execute("SELECT path, data FROM pending")):
            path, p = self.dec(k), json.loads(v)
            st = self.stat(path)
            if st is not None and stat.S_ISREG(st.st_mode) and \
                    p["old"] <= st.st_size < p["old"] + p["n"]:
                # the append was cut short: undo it
                if not p["existed"] and p["old"] == 0:
                    os.unlink(self.real(path))
                else:
                    os.truncate(self.real(path), p["old"])
        self.db.execute("DELETE FROM pending")
        real = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel = os.path.relpath(dirpath, self.root)
            base = "/" if rel == "." else "/" + rel
            for name in dirnames + filenames:
                p = child_of(base, name)
                st = self.stat(p)
                if st is not None:
                    real[p] = st
        orphans = {}
        for p, row in self.rows.items():
            st = real.get(p)
            if st is None or stat.S_ISDIR(st.st_mode) != row["dir"]:
                orphans[(row["dir"], row.get("ino"))] = p
        for p in sorted(real, key=self.enc):
            st = real[p]
            row = self.rows.get(p)
            if row is None or row["dir"] != stat.S_ISDIR(st.st_mode):
                old = orphans.pop((stat.S_ISDIR(st.st_mode), st.st_ino), None)
                if old is not None and old != p:
                    # renamed before its metadata followed
                    moved = self.rows[old]
                    self.drop(old)
                    self.put(p, moved)
            self.refresh(p, st)
        for p in orphans.values():
            if p not in real:
                self.drop(p)
        for p in [p for p in self.rows if p not in real]:
            self.drop(p)

    # -- structure -----------------------------------------------------------

    def check_parents(self, path):
        """Missing parents to create (outermost first); 409 when one is a file.
        (SeaweedFS since 2026-03 turns such a file into a directory, which a
        real tree cannot hold; earlier releases answered 409.)"""
        missing = []
        d = dir_and_name(path)[0]
        while d != "/":
            try:
                st = os.lstat(self.real(d))
            except FileNotFoundError:
                missing.append(d)
            except NotADirectoryError:
                pass                    # a file further up: found on the way
            else:
                if stat.S_ISDIR(st.st_mode):
                    break
                raise FilerError(409, "%s is a file" % d)
            d = dir_and_name(d)[0]
        return list(reversed(missing))

    def make_parents(self, missing, mode):
        now = time.time_ns()
        for d in missing:
            rp = self.real(d)
            os.mkdir(rp)
            fsync_dir(os.path.dirname(rp))
            self.put(d, self.dir_row(now, (mode | 0o111) & 0o7777, os.lstat(rp).st_ino))

    def names(self, path):
        return sorted(os.listdir(self.real(path)), key=self.enc)

    # -- operations ----------------------------------------------------------

    def save_file(self, path, data, *, append, offset, inline, mode, mime, md5,
                  ext, ttl, cs, so):
        """saveMetaData: returns (row, size)."""
        with self.lock:
            try:
                return self._save_file(path, data, append, offset, inline, mode, mime,
                                       md5, ext, ttl, cs, so)
            finally:
                self.flush()

    def _save_file(self, path, data, append, offset, inline, mode, mime, md5, ext,
                   ttl, cs, so):
        now = time.time_ns()
        missing = self.check_parents(path)
        existing = self.lookup(path)
        if existing is not None and existing["dir"]:
            raise FilerError(500, "update entry %s: %s: existing entry is a directory" % (path, path))
        if inline:
            offset = 0
        small = (not inline and not append and offset == 0 and 0 < len(data) < self.save_limit)
        chunked = not inline and not small
        offset_write = chunked and offset > 0 and len(data) > 0
        if existing is not None and (append or offset_write):
            row = existing
            if row["inline"] and row["size"] > 0:
                raise FilerError(500, MSG_APPEND_INLINE)
            row["mtime"] = now
            row["md5"] = None
            row["ext"].update(ext)
            if chunked and data:
                if append:
                    old = row["size"]
                    new = self.make_chunks(data, old, cs, now)
                    self.set_pending(path, {"old": old, "n": len(data), "existed": True})
                    fd = os.open(self.real(path), os.O_WRONLY | os.O_APPEND)
                    try:
                        view = memoryview(data)
                        while view:
                            view = view[os.write(fd, view):]
                        os.fsync(fd)
                        note_file(row, os.fstat(fd))
                    finally:
                        os.close(fd)
                    row["size"] = old + len(data)
                    row["appends"] = row.get("appends", 0) + 1
                else:
                    new = self.make_chunks(data, offset, cs, now)
                    tmp = self.staged([(offset, data)], copy_from=self.real(path))
                    note_file(row, self.install(tmp, path))
                    row["size"] = max([row["size"]] + [c["off"] + c["size"] for c in new])
                row["inline"] = False
                row["chunks"] = self.settle_chunks(path, row["chunks"] + new, row["size"], cs)
            self.put(path, row)
            if append:
                self.clear_pending(path)
            return row, row["size"]
        # a new entry, or one replacing the old content entirely
        self.make_parents(missing, mode)
        row = self.file_row(now, mode, existing["crtime"] if existing else None)
        size = offset + len(data)
        tmp = self.staged([(offset, data)] if data else [], size=size)
        st = self.install(tmp, path)
        note_file(row, st)
        row.update(mime=mime, ttl=ttl, md5=md5, ext=dict(ext), size=size,
                   inline=inline or small, collection=so.get("collection", ""),
                   replication=so.get("replication", ""))
        if chunked:
            row["chunks"] = self.settle_chunks(path, self.make_chunks(data, offset, cs, now), size, cs)
            if append:
                row["appends"] = 1
        self.put(path, row)
        return row, size

    def mkdir(self, path, mode):
        with self.lock:
            try:
                if self.lookup(path) is not None:
                    raise FilerError(409, "dir %s already exists" % path)
                missing = self.check_parents(path)
                self.make_parents(missing, mode | DIR_BIT)
                rp = self.real(path)
                os.mkdir(rp)
                fsync_dir(os.path.dirname(rp))
                self.put(path, self.dir_row(time.time_ns(), mode & 0o7777, os.lstat(rp).st_ino))
            finally:
                self.flush()

    def delete(self, path, recursive):
        with self.lock:
            try:
                if path == "/":
                    return
                row = self.lookup(path)
                if row is None:
                    return
                rp = self.real(path)
                if row["dir"]:
                    if not recursive and os.listdir(rp):
                        raise FilerError(500, "delete directory %s: %s: %s"
                                         % (path, MSG_NON_EMPTY, path))
                    shutil.rmtree(rp)
                else:
                    os.unlink(rp)
                fsync_dir(os.path.dirname(rp))
                self.drop_tree(path)
            finally:
                self.flush()

    def rename(self, src, dst):
        """AtomicRenameEntry as the HTTP mv.from reaches it."""
        with self.lock:
            try:
                self._rename(src, dst)
            finally:
                self.flush()

    def _rename(self, src, dst):
        def fail(msg):
            raise FilerError(400, "failed to move entry from '%s' to '%s', err: %s" % (src, dst, msg))
        srow = self.lookup(src)
        if srow is None:
            raise FilerError(400, "failed to get src entry '%s', err: %s" % (src, MSG_NOT_FOUND))
        drow = self.lookup(dst.rstrip("/") or "/")
        if drow is not None and not drow["dir"] and srow["dir"]:
            raise FilerError(400, "move: cannot overwrite non-directory '%s' with directory '%s'"
                             % (dst, src))
        old_dir, old_name = dir_and_name(src)
        new_dir, new_name = dir_and_name(dst)
        new_name = new_name or old_name
        # the filer compares plain strings here, so /a/b -> /a/bc/x is refused too
        if new_dir.startswith(src):
            fail("mv: can not move directory to a subdirectory of itself")
        new_path = child_of(new_dir, new_name)
        if new_path == src:
            return
        prefix = "%s/%s move error: fail to move %s => %s: " % (old_dir, old_name, src, new_path)
        target = self.lookup(new_path)
        if target is not None:
            if target["dir"] and not srow["dir"]:
                fail(prefix + new_path + ": existing entry is a directory")
            if not target["dir"] and srow["dir"]:
                fail(prefix + new_path + ": existing entry is a file")
            if target["dir"] and os.listdir(self.real(new_path)):
                fail(prefix + "delete directory %s: %s: %s" % (new_path, MSG_NON_EMPTY, new_path))
        missing = self.check_parents(new_path)
        self.make_parents(missing, srow["mode"])
        rs, rd = self.real(src), self.real(new_path)
        os.rename(rs, rd)
        fsync_dir(os.path.dirname(rd))
        if os.path.dirname(rs) != os.path.dirname(rd):
            fsync_dir(os.path.dirname(rs))
        if target is not None:
            self.drop_tree(new_path)
        pre = src + "/"
        for p in [p for p in self.rows if p == src or p.startswith(pre)]:
            row = self.rows[p]
            self.drop(p)
            self.put(new_path + p[len(src):], row)

    def copy(self, src, dst, overwrite):
        with self.lock:
            try:
                self._copy(src, dst, overwrite)
            finally:
                self.flush()

    def _copy(self, src, dst, overwrite):
        srow = self.lookup(src)
        if srow is None:
            raise FilerError(400, "failed to get src entry '%s': %s" % (src, MSG_NOT_FOUND))
        if srow["dir"]:
            raise FilerError(400, "copy: directory copying not yet supported for '%s'" % src)
        old_name = dir_and_name(src)[1]
        drow = self.lookup(dst) if not dst.endswith("/") else None
        if drow is not None and drow["dir"]:
            final = child_of(dst, old_name)
        else:
            d, n = dir_and_name(dst)
            final = child_of(d, n or old_name)
        if final == src:
            raise FilerError(400, "source and destination are the same path: %s; choose a "
                             "different destination file name or directory" % final)
        existing = self.lookup(final)
        if existing is not None:
            if existing["dir"]:
                raise FilerError(409, "destination file %s is a directory" % final)
            if not overwrite:
                raise FilerError(409, "destination file %s already exists" % final)
        missing = self.check_parents(final)
        self.make_parents(missing, srow["mode"])
        now = time.time_ns()
        row = json.loads(json.dumps(srow))
        row.update(mtime=now, atime=now, crtime=existing["crtime"] if existing else now // 10 ** 9,
                   appends=0)
        for c in row["chunks"]:
            c["fid"] = self.new_fid()[0]
        note_file(row, self.install(self.staged([], copy_from=self.real(src)), final))
        self.put(final, row)

    def list_dir(self, path, start, limit, prefix, rest, exclude):
        """ListDirectoryEntries: up to limit entries after start; (entries, has_more)."""
        with self.lock:
            try:
                out = []
                skey = self.enc(start) if start else None
                for name in self.names(path):
                    if skey is not None and self.enc(name) <= skey:
                        continue
                    if prefix and not name.startswith(prefix):
                        continue
                    if exclude and go_match(exclude, name) is True:
                        continue
                    if rest and go_match(rest, name[len(prefix):]) is False:
                        continue
                    p = child_of(path, name)
                    row = self.lookup(p)
                    if row is None:
                        continue
                    out.append((p, row, self.inline_content(p, row)))
                    if len(out) >= limit + 1:
                        break
                has_more = len(out) >= limit + 1
                return out[:limit], has_more
            finally:
                self.flush()

    def inline_content(self, path, row):
        if not row["dir"] and row.get("inline") and row["size"] > 0:
            return self.read_region(path, 0, row["size"])
        return None

    def open_for_read(self, path):
        """(row copy, open fd or None): the size is fixed under the lock."""
        with self.lock:
            try:
                row = self.lookup(path)
                if row is None or row["dir"]:
                    return row, None
                return dict(row), os.open(self.real(path), os.O_RDONLY)
            finally:
                self.flush()

    def is_dir(self, path):
        with self.lock:
            try:
                row = self.lookup(path)
                return row is not None and row["dir"]
            finally:
                self.flush()

    def find(self, path):
        with self.lock:
            try:
                row = self.lookup(path)
                return None if row is None else json.loads(json.dumps(row))
            finally:
                self.flush()

    def close(self):
        with self.lock:
            self.flush()
            self.db.close()


def unquote_etag(e):
    # util.CanonicalizeETag: one quote off each end
    if e.startswith('"'):
        e = e[1:]
    return e[:-1] if e.endswith('"') else e


def etag_of(row):
    if row.get("md5"):
        return base64.b64decode(row["md5"]).hex()
    chunks = row.get("chunks") or []
    if len(chunks) == 1:
        return base64.b64decode(chunks[0]["etag"]).hex()
    joined = b"".join(base64.b64decode(c["etag"]) for c in chunks)
    return "%s-%d" % (hashlib.md5(joined).hexdigest(), len(chunks))


def entry_json(store, path, row, content=None):
    """A filer.Entry as encoding/json writes it."""
    mode = row["mode"] | (DIR_BIT if row["dir"] else 0)
    chunks = []
    for c in row.get("chunks") or []:
        vid, rest = c["fid"].split(",")
        j = {"file_id": c["fid"]}
        if c["off"]:
            j["offset"] = c["off"]
        if c["size"]:
            j["size"] = c["size"]
        j["modified_ts_ns"] = c["ts"]
        j["e_tag"] = c["etag"]
        j["fid"] = {"volume_id": int(vid), "file_key": int(rest[:-8], 16),
                    "cookie": int(rest[-8:], 16)}
        if c.get("manifest"):
            j["is_chunk_manifest"] = True
        chunks.append(j)
    ext = row.get("ext") or {}
    e = {
        "FullPath": out_str(path),
        "Mtime": go_time(row["mtime"]),
        "Crtime": go_time(row["crtime"] * 10 ** 9),
        "Ctime": go_time(row["mtime"]),
        "Atime": go_time(row.get("atime") or row["mtime"]),
        "Mode": mode,
        "Uid": store.uid,
        "Gid": store.gid,
        "Mime": row.get("mime", ""),
        "TtlSec": row.get("ttl", 0),
        "UserName": "",
        "GroupNames": None,
        "SymlinkTarget": "",
        "Md5": row.get("md5"),
        "FileSize": 0 if row["dir"] else row["size"],
        "Rdev": 0,
        "Inode": row.get("ino", 0),
        "Extended": {k: b64(v.encode("latin-1", "replace")) for k, v in sorted(ext.items())}
        if ext else None,
    }
    if chunks:
        e["chunks"] = chunks
    e.update({"HardLinkId": None, "HardLinkCounter": 0,
              "Content": b64(content) if content else None,
              "Remote": None, "Quota": 0, "WORMEnforcedAtTsNs": 0})
    return e


class Rule:
    FIELDS = {"count", "skip", "methods", "path_prefix", "query", "after_apply",
              "status", "body", "headers", "partial", "rst", "ms"}

    def __init__(self, kind, spec):
        if not isinstance(spec, dict):
            raise ValueError("%s: expected an object" % kind)
        unknown = set(spec) - self.FIELDS
        if unknown:
            raise ValueError("%s: unknown field(s) %s" % (kind, ", ".join(sorted(unknown))))
        self.kind = kind
        self.spec = dict(spec)
        self.count = spec.get("count", 1)       # null or -1: unlimited
        self.skip = int(spec.get("skip", 0))
        self.methods = [m.upper() for m in spec.get("methods") or []]
        self.prefix = spec.get("path_prefix", "")
        self.query = spec.get("query") or {}
        self.after_apply = bool(spec.get("after_apply", False))
        self.status = int(spec.get("status", 503))
        if kind == "drop" and spec.get("partial"):
            self.after_apply = True     # half of the real answer needs the answer
        self.fired = 0
        if kind == "delay" and "ms" not in spec:
            raise ValueError("delay: needs ms")

    def matches(self, method, path, query):
        if self.methods and method not in self.methods:
            return False
        if not path.startswith(self.prefix):
            return False
        for k, v in self.query.items():
            if k not in query or (v is not None and query[k][0] != str(v)):
                return False
        return True

    def live(self):
        return self.count is None or self.count < 0 or self.count > 0

    def take(self):
        """Counts one matching request; True when the fault fires for it."""
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.count is not None and self.count > 0:
            self.count -= 1
        self.fired += 1
        return True

    def describe(self):
        d = dict(self.spec)
        d.update(kind=self.kind, remaining=self.count, skip=self.skip, fired=self.fired)
        return d


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.delay_ms = 0
        self.rules = []

    def configure(self, obj):
        if not isinstance(obj, dict):
            raise ValueError("expected a JSON object")
        unknown = set(obj) - {"reset", "delay_ms", "fail", "drop", "delay"}
        if unknown:
            raise ValueError("unknown field(s) %s" % ", ".join(sorted(unknown)))
        new = []
        for kind in ("fail", "drop", "delay"):
            if kind in obj:
                specs = obj[kind] if isinstance(obj[kind], list) else [obj[kind]]
                new.extend(Rule(kind, s) for s in specs)
        with self.lock:
            if obj.get("reset"):
                self.delay_ms = 0
                self.rules = []
            if "delay_ms" in obj:
                self.delay_ms = max(0, int(obj["delay_ms"]))
            self.rules.extend(new)

    def pick(self, method, path, query):
        """(delays before, delays after, the fail/drop rule or None)."""
        before, after, hit = [], [], None
        with self.lock:
            if self.delay_ms:
                before.append(self.delay_ms)
            for r in self.rules:
                if not r.live() or not r.matches(method, path, query):
                    continue
                if r.kind == "delay":
                    if r.take():
                        (after if r.after_apply else before).append(int(r.spec["ms"]))
                elif hit is None and r.take():
                    hit = r
            self.rules = [r for r in self.rules if r.live()]
        return before, after, hit

    def describe(self):
        with self.lock:
            return {"delay_ms": self.delay_ms, "rules": [r.describe() for r in self.rules]}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.connections = 0
        self.requests = {}
        self.statuses = {}
        self.appends = 0
        self.bytes_appended = 0
        self.writes = 0
        self.bytes_written = 0
        self.faults = {"fail": 0, "drop": 0, "delay": 0}

    def add(self, field, n=1):
        with self.lock:
            setattr(self, field, getattr(self, field) + n)

    def bump(self, table, key):
        with self.lock:
            d = getattr(self, table)
            d[key] = d.get(key, 0) + 1

    def snapshot(self):
        with self.lock:
            return {"connections": self.connections, "requests": dict(self.requests),
                    "requests_total": sum(self.requests.values()),
                    "statuses": dict(self.statuses), "appends": self.appends,
                    "bytes_appended": self.bytes_appended, "writes": self.writes,
                    "bytes_written": self.bytes_written, "faults": dict(self.faults)}


class Request:
    def __init__(self, method, path, raw_path, query, headers, body):
        self.method = method
        self.path = path
        self.raw_path = raw_path
        self.query = query
        self.headers = headers
        self.body = body

    def q(self, name, default=""):
        v = self.query.get(name)
        return v[0] if v else default


class Filer:
    """The filer's HTTP semantics on top of a Store."""

    def __init__(self, store, opts, stats):
        self.store = store
        self.opts = opts
        self.stats = stats

    def handle(self, req):
        try:
            return self._handle(req)
        except FilerError as e:
            if e.message is None:
                return Resp(e.status)
            return error_resp(e.status, e.message)
        except OSError as e:
            return error_resp(500, "%s: %s" % (req.path, e.strerror or e))
        except Exception as e:
            traceback.print_exc()
            return error_resp(500, repr(e))

    def authorized(self, req):
        o = self.opts
        if not o.jwt and not o.jwt_key:
            return True
        if o.jwt_writes_only and req.method in ("GET", "HEAD"):
            return True
        token = req.q("jwt")
        if not token:
            bearer = req.headers.get("Authorization", "")
            if len(bearer) > 7 and bearer[:6].upper() == "BEARER":
                token = bearer[7:]
        if not token:
            for part in req.headers.get("Cookie", "").split(";"):
                k, _, v = part.strip().partition("=")
                if k == "AT":
                    token = v
        if not token:
            return False
        if o.jwt and hmac.compare_digest(token.encode(), o.jwt.encode()):
            return True
        return bool(o.jwt_key) and jwt_valid(token, o.jwt_key)

    def _handle(self, req):
        if req.method == "OPTIONS":
            return Resp(200, [("Access-Control-Allow-Methods", "PUT, POST, GET, DELETE, OPTIONS"),
                              ("Access-Control-Expose-Headers", "*"),
                              ("Access-Control-Allow-Headers", "*"),
                              ("Access-Control-Allow-Credentials", "true")])
        if not self.authorized(req):
            return error_resp(401, "wrong jwt")
        if req.method in ("GET", "HEAD"):
            return self.get(req)
        if req.method == "DELETE":
            return self.delete(req)
        if req.method in ("POST", "PUT"):
            return self.post(req)
        return Resp(405)

    # -- reads ---------------------------------------------------------------

    def get(self, req):
        path = req.path
        if path.endswith("/") and len(path) > 1:
            path = path[:-1]
        pretty = bool(req.q("pretty"))
        row, fd = self.store.open_for_read(path)
        if row is None:
            raise FilerError(404)
        if row["dir"]:
            if req.q("metadata") == "true":
                return json_resp(200, entry_json(self.store, path, row), pretty)
            return self.list_dir(req, path)
        try:
            if req.q("metadata") == "true":
                content = self.read(fd, 0, row["size"]) if row.get("inline") else None
                return json_resp(200, entry_json(self.store, path, row, content), pretty)
            return self.serve(req, path, row, fd)
        finally:
            os.close(fd)

    @staticmethod
    def read(fd, off, n):
        return pread_all(fd, off, n)

    def serve(self, req, path, row, fd):
        h = []
        etag = etag_of(row)
        mtime = row["mtime"]
        h.append(("Last-Modified", http_date(mtime)))
        # checkPreconditions compares a second-precision date with the
        # nanosecond mtime, as the filer does
        im, ius = req.headers.get("If-Match"), req.headers.get("If-Unmodified-Since")
        if im:
            if unquote_etag(im) != etag:
                return Resp(412, h)
        elif ius:
            t = email.utils.parsedate_to_datetime(ius) if self._is_date(ius) else None
            if t is not None and t.timestamp() * 10 ** 9 < mtime:
                return Resp(412, h)
        inm, ims = req.headers.get("If-None-Match"), req.headers.get("If-Modified-Since")
        if inm:
            if unquote_etag(inm) == etag:
                return Resp(304, h + [("ETag", '"%s"' % etag)])
        elif ims:
            t = email.utils.parsedate_to_datetime(ims) if self._is_date(ims) else None
            if t is not None and not t.timestamp() * 10 ** 9 < mtime:
                return Resp(304, h + [("ETag", '"%s"' % etag)])
        h.append(("Accept-Ranges", "bytes"))
        name = dir_and_name(path)[1]
        mime = row.get("mime") or ""
        if not mime:
            ext = os.path.splitext(name)[1].lower()
            mime = GO_MIME.get(ext) or (mimetypes.guess_type("x" + ext)[0] if ext else None) or ""
        h.append(("Content-Type", mime or "application/octet-stream"))
        ext_headers = sorted((row.get("ext") or {}).items())
        for k, v in ext_headers:
            if not k.startswith("xattr-") and not k.lower().startswith("x-seaweedfs-"):
                h.append((k, v))
        expose = sorted(k for k, _ in ext_headers if k.startswith("Seaweed-")) + ["Content-Disposition"]
        h.append(("Access-Control-Expose-Headers", ",".join(expose)))
        h.append(("ETag", '"%s"' % etag))
        if not any(k == "Content-Disposition" for k, _ in h):
            dl = req.q("dl").lower() in ("1", "t", "true")
            h.append(("Content-Disposition", format_disposition("attachment" if dl else "inline", name)))
        size = row["size"]
        if req.method == "HEAD":
            return Resp(200, h + [("Content-Length", str(size))])
        spec = req.headers.get("Range", "")
        if not spec:
            return Resp(200, h, self.read(fd, 0, size))
        try:
            ranges = parse_ranges(spec, size)
        except ValueError as e:
            r = text_error(416, str(e))
            r.headers = [x for x in h if x[0] != "Content-Type"] + r.headers
            return r
        if sum(n for _, n in ranges) > size or not ranges:
            # the filer then answers 200 with an empty body
            return Resp(200, h, b"")
        if len(ranges) == 1:
            start, n = ranges[0]
            return Resp(206, h + [("Content-Range", "bytes %d-%d/%d" % (start, start + n - 1, size))],
                        self.read(fd, start, n))
        boundary = os.urandom(30).hex()
        parts = []
        for i, (start, n) in enumerate(ranges):
            parts.append(("\r\n" if i else "") + "--%s\r\nContent-Range: bytes %d-%d/%d\r\n"
                         "Content-Type: %s\r\n\r\n" % (boundary, start, start + n - 1, size, mime))
            parts.append(self.read(fd, start, n))
        parts.append("\r\n--%s--\r\n" % boundary)
        body = b"".join(p.encode() if isinstance(p, str) else p for p in parts)
        h = [x for x in h if x[0] != "Content-Type"]
        h.append(("Content-Type", "multipart/byteranges; boundary=" + boundary))
        return Resp(206, h, body)

    @staticmethod
    def _is_date(s):
        try:
            return email.utils.parsedate_to_datetime(s) is not None
        except (TypeError, ValueError, IndexError):
            return False

    def list_dir(self, req, path):
        limit = go_atoi(req.q("limit"))
        if limit is None or limit < 0:
            limit = self.opts.dir_list_limit
        if self.opts.max_list and limit > self.opts.max_list:
            limit = self.opts.max_list
        last = req.q("lastFileName")
        prefix, rest = split_pattern(req.q("namePattern"))
        entries, more = self.store.list_dir(path, last, limit, prefix, rest,
                                            req.q("namePatternExclude"))
        if entries:
            last = dir_and_name(entries[-1][0])[1]
        out_path = "" if path == "/" else path
        if req.headers.get("Accept") == "application/json":
            return json_resp(200, {
                "Version": "fake-filer",
                "Path": out_str(out_path),
                "Entries": [entry_json(self.store, p, r, c) for p, r, c in entries] or None,
                "Limit": limit,
                "LastFileName": out_str(last),
                "ShouldDisplayLoadMore": more,
                "EmptyFolder": not entries,
            }, bool(req.q("pretty")))
        items = "".join("<li>%s%s</li>" % (out_str(dir_and_name(p)[1]), "/" if r["dir"] else "")
                        for p, r, _ in entries)
        html = "<html><body><h1>%s</h1><ul>%s</ul></body></html>" % (out_str(out_path) or "/", items)
        return Resp(200, [("Content-Type", "text/html; charset=utf-8")], html.encode())

    # -- deletes -------------------------------------------------------------

    def delete(self, req):
        path = req.path
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        recursive = req.q("recursive") == "true"
        if not recursive and self.opts.recursive_delete and req.q("recursive") != "false":
            recursive = True
        self.store.delete(path, recursive)
        return Resp(204)

    # -- writes --------------------------------------------------------------

    def post(self, req):
        o = self.opts
        if o.max_filename_length and \
                len(dir_and_name(req.path)[1].encode("utf-8", "surrogateescape")) > o.max_filename_length:
            raise FilerError(414)
        so = {"collection": req.q("collection"), "replication": req.q("replication")}
        save_inside = req.q("saveInside") == "true" or req.path.startswith("/etc")
        if "mv.from" in req.query:
            src = clear_name(req.q("mv.from")).rstrip("/")
            if src == "":
                raise FilerError(400, "invalid source '/'")
            dst = clear_name(req.path)
            self.store.rename(src, dst)
            return Resp(204)
        if "cp.from" in req.query:
            src = clear_name(req.q("cp.from")).rstrip("/")
            if src == "":
                raise FilerError(400, "invalid source '/'")
            self.store.copy(src, clear_name(req.path), req.q("overwrite") == "true")
            return Resp(204)
        return self.auto_chunk(req, so, save_inside)

    def auto_chunk(self, req, so, save_inside):
        """The filer's autoChunk.  As SeaweedFS: PUT takes the raw body, a POST
        must be multipart (a raw POST fails, with op=append too); POST dir/
        without Content-Type is mkdir; a PUT onto a directory lands inside it
        as dir/<basename>; saveInside counts for multipart POSTs only, and
        saveInside with op=append onto a chunked file keeps the old content."""
        max_mb = go_atoi(req.q("maxMB")) or 0
        cs = (max_mb if max_mb > 0 else self.opts.max_mb) * 1024 * 1024
        ctype = req.headers.get("Content-Type", "")
        if req.method == "POST" and ctype == "" and req.path.endswith("/"):
            path = req.path[:-1]
            if path == "":
                raise FilerError(409, "dir / already exists")
            self.store.mkdir(path, parse_mode(req.q("mode")) | DIR_BIT)
            return json_resp(201, {"name": out_str(dir_and_name(path)[1])})
        if req.method == "POST":
            filename, part_type, data = self.first_part(req)
            inline = save_inside
        else:
            filename, part_type, data = go_base(req.path), ctype, req.body
            inline = False
        if part_type == "application/octet-stream":
            part_type = ""
        digest = None
        if not inline:
            digest = hashlib.md5(data).digest()
            want = req.headers.get("Content-MD5", "")
            if want and want != b64(digest) and want != digest.hex():
                raise FilerError(400, MSG_BAD_DIGEST)
        path = req.path
        if path.endswith("/"):
            if filename:
                path += filename
        elif filename and self.store.is_dir(path):
            path += "/" + filename
        path = go_clean(path)
        if path == "/":
            raise FilerError(500, "invalid path /")
        append = req.q("op") == "append"
        offset = 0
        if not inline and "offset" in req.query:
            offset = go_atoi(req.q("offset"))
            if offset is None or offset < 0:
                raise FilerError(500, "invalid 'offset': '%s'" % req.q("offset"))
            if append and offset > 0:
                raise FilerError(500, "cannot set offset when op=append")
        ext = {}
        for k, v in req.headers.items():
            ck = canonical_header(k)
            if ck in ext or not v:
                continue
            if ck.startswith("Seaweed-") or ck in ("Cache-Control", "Expires", "Content-Disposition"):
                ext[ck] = v
            elif ck == "Response-Content-Disposition":
                ext["Content-Disposition"] = v
        _, size = self.store.save_file(
            path, data, append=append, offset=offset, inline=inline,
            mode=parse_mode(req.q("mode")), mime=part_type,
            md5=b64(digest) if digest is not None else None,
            ext=ext, ttl=ttl_seconds(req.q("ttl")), cs=cs, so=so)
        if append:
            self.stats.add("appends")
            self.stats.add("bytes_appended", len(data))
        else:
            self.stats.add("writes")
            self.stats.add("bytes_written", len(data))
        reply = {}
        if filename:
            reply["name"] = out_str(filename)
        if size:
            reply["size"] = size
        r = json_resp(201, reply)
        if digest is not None:
            r.headers.append(("Content-MD5", b64(digest)))
        return r

    @staticmethod
    def first_part(req):
        """(filename, content type, data) of the first multipart/form-data part."""
        msg = email.message.Message()
        msg["Content-Type"] = req.headers.get("Content-Type", "")
        if not req.headers.get("Content-Type") or msg.get_content_type() != "multipart/form-data":
            raise FilerError(500, "request Content-Type isn't multipart/form-data")
        boundary = msg.get_param("boundary")
        if not boundary:
            raise FilerError(500, "no multipart boundary param in Content-Type")
        body = req.body
        delim = b"--" + boundary.encode("latin-1")
        if body.startswith(delim):
            i = len(delim)
        else:
            j = body.find(b"\n" + delim)
            if j < 0:
                raise FilerError(500, "multipart: NextPart: EOF")
            i = j + 1 + len(delim)
        if body[i:i + 2] == b"--":
            raise FilerError(500, "EOF")
        pos = body.find(b"\n", i)
        if pos < 0:
            raise FilerError(500, "multipart: NextPart: EOF")
        pos += 1
        headers = email.message.Message()
        while True:
            e = body.find(b"\n", pos)
            if e < 0:
                raise FilerError(499, "unexpected EOF")
            line = body[pos:e].rstrip(b"\r")
            pos = e + 1
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip()] = v.strip()
        data_start = pos
        end = body.find(b"\n" + delim, data_start)
        if end < 0:
            raise FilerError(499, "unexpected EOF")
        if end > data_start and body[end - 1:end] == b"\r":
            end -= 1
        data = body[data_start:end]
        filename = ""
        if headers.get("Content-Disposition"):
            fn = headers.get_param("filename", header="content-disposition")
            if isinstance(fn, tuple):
                fn = email.utils.collapse_rfc2231_value(fn)
            if fn:
                filename = go_base(fn)
        return filename, headers.get("Content-Type", ""), data


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SeaweedFS"
    # buffered writes + TCP_NODELAY: headers and body leave together, no
    # 40 ms Nagle/delayed-ACK stall per request
    wbufsize = -1

    def version_string(self):
        return "SeaweedFS fake-filer"

    def log_message(self, fmt, *args):
        if self.server.opts.verbose:
            sys.stderr.write("fake-filer: %s %s\n" % (self.address_string(), fmt % args))

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.stats.add("connections")

    def handle_expect_100(self):
        ok = super().handle_expect_100()
        self.wfile.flush()
        return ok

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, socket.timeout):
            pass                # the client went away (timed out, killed)

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            out = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ValueError("truncated chunked body")
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while True:
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    return b"".join(out)
                data = self.rfile.read(size)
                if len(data) < size:
                    raise ValueError("truncated chunk")
                out.append(data)
                self.rfile.readline(65537)
        cl = self.headers.get("Content-Length")
        if cl:
            n = int(cl)
            if n < 0:
                raise ValueError("bad Content-Length")
            data = self.rfile.read(n)
            if len(data) < n:
                raise ValueError("truncated body")
            return data
        return b""

    def dispatch(self):
        srv = self.server
        try:
            body = self.read_body()
        except ValueError as e:
            self.close_connection = True
            self.send(text_error(400, "400 Bad Request: %s" % e))
            return
        split = urllib.parse.urlsplit(self.path)
        raw_path = split.path or "/"
        path = urllib.parse.unquote(raw_path, errors="surrogateescape")
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True,
                                      errors="surrogateescape")
        if "\x00" in path:
            self.send(text_error(400, "400 Bad Request"))
            return
        clean = mux_clean(path)
        if clean != path:
            loc = urllib.parse.quote(clean, errors="surrogateescape") + \
                ("?" + split.query if split.query else "")
            self.send(Resp(301, [("Location", loc), ("Content-Type", "text/html; charset=utf-8")],
                           ('<a href="%s">Moved Permanently</a>.\n\n' % loc).encode()))
            return
        req = Request(self.command, path, raw_path, query, self.headers, body)
        if path in CONTROL_PATHS:
            self.send(self.control(req), count=False)
            return
        if path in ("/healthz", "/readyz"):
            self.send(Resp(200), count=False)
            return
        srv.stats.bump("requests", self.command)
        before, after, rule = srv.faults.pick(self.command, path, query)
        for ms in before:
            srv.stats.bump("faults", "delay")
            time.sleep(ms / 1000.0)
        if rule is not None and not rule.after_apply:
            if self.inject(rule, None):
                return
        resp = srv.filer.handle(req)
        for ms in after:
            srv.stats.bump("faults", "delay")
            time.sleep(ms / 1000.0)
        if rule is not None and rule.after_apply:
            if self.inject(rule, resp):
                return
        self.send(resp)

    def inject(self, rule, applied):
        """Carries out a fail/drop rule; True when nothing more is to be sent."""
        srv = self.server
        srv.stats.bump("faults", rule.kind)
        if rule.kind == "fail":
            body = rule.spec.get("body", {"error": "injected fault"})
            r = (Resp(rule.status, [("Content-Type", "application/json")], go_json(body))
                 if not isinstance(body, str) else
                 Resp(rule.status, [("Content-Type", "text/plain; charset=utf-8")], body.encode()))
            for k, v in (rule.spec.get("headers") or {}).items():
                r.headers.append((k, str(v)))
            self.send(r)
            return True
        # drop: lose the answer
        if rule.spec.get("partial") and applied is not None and applied.body:
            self.send(applied, cut=len(applied.body) // 2)
        self.drop(rule.spec.get("rst", False))
        return True

    def drop(self, rst):
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            if rst:
                # linger 0: the close sends a reset instead of a FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
                self.rfile.close()
                self.wfile.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass

    def send(self, resp, cut=None, count=True):
        if count:
            self.server.stats.bump("statuses", str(resp.status))
        self.send_response(resp.status)
        names = set()
        for k, v in resp.headers:
            names.add(k.lower())
            self.send_header(k, v)
        no_body = resp.status in (204, 304) or resp.status < 200
        if not no_body and "content-length" not in names:
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD" and not no_body and resp.body:
            self.wfile.write(resp.body if cut is None else resp.body[:cut])
        self.wfile.flush()

    def control(self, req):
        srv = self.server
        if req.path == "/__fault__":
            if req.method == "POST":
                try:
                    srv.faults.configure(json.loads(req.body or b"{}"))
                except (ValueError, TypeError) as e:
                    return error_resp(400, str(e))
            elif req.method != "GET":
                return Resp(405)
            return json_resp(200, srv.faults.describe())
        if req.method == "POST":
            try:
                obj = json.loads(req.body or b"{}")
            except ValueError as e:
                return error_resp(400, str(e))
            if obj.get("reset"):
                srv.stats.reset()
        elif req.method != "GET":
            return Resp(405)
        out = srv.stats.snapshot()
        out["merges"] = srv.store.kv.get("merges", 0)
        p = req.q("path")
        if p:
            row = srv.store.find(go_clean(p))
            e = {"path": p, "exists": row is not None}
            if row is not None:
                e["is_dir"] = row["dir"]
                if not row["dir"]:
                    chunks = row.get("chunks") or []
                    e.update(size=row["size"], inline=bool(row.get("inline")),
                             chunks=len(chunks),
                             data_chunks=sum(c.get("manifest", 1) for c in chunks),
                             manifest_chunks=sum(1 for c in chunks if c.get("manifest")),
                             appends=row.get("appends", 0), md5=row.get("md5"),
                             mode=row["mode"], ttl=row.get("ttl", 0),
                             extended=row.get("ext") or {})
            out["entry"] = e
        return json_resp(200, out)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    ap = argparse.ArgumentParser(description="SeaweedFS-filer-compatible server for tests")
    ap.add_argument("--root", required=True, help="directory holding the entries")
    ap.add_argument("--port", type=int, default=0, help="0: pick a free port")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port-file", help="write the port number here once listening")
    ap.add_argument("--meta", help="metadata file (default ROOT.meta.sqlite3)")
    ap.add_argument("--staging", help="scratch directory on ROOT's file system (default ROOT.staging)")
    ap.add_argument("--jwt", help="require this exact token (Bearer, ?jwt= or cookie AT)")
    ap.add_argument("--jwt-key", help="also accept HS256 tokens signed with this key")
    ap.add_argument("--jwt-writes-only", action="store_true",
                    help="GET/HEAD need no token (a filer with only a write signing key)")
    ap.add_argument("--max-list", type=int, default=0, help="cap every listing page at N entries")
    ap.add_argument("--dir-list-limit", type=int, default=100000, help="default listing limit")
    ap.add_argument("--max-mb", type=int, default=4, help="chunk size in MiB (filer -maxMB)")
    ap.add_argument("--save-to-filer-limit", type=int, default=0,
                    help="PUT bodies smaller than this are stored inline (filer -saveToFilerLimit)")
    ap.add_argument("--max-filename-length", type=int, default=0, help="0: no limit")
    ap.add_argument("--recursive-delete", action="store_true",
                    help="DELETE is recursive unless recursive=false (filer.toml recursive_delete)")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    opts = ap.parse_args(argv)

    root = os.path.abspath(opts.root)
    store = Store(root, os.path.abspath(opts.meta or root + ".meta.sqlite3"),
                  os.path.abspath(opts.staging or root + ".staging"),
                  opts.max_mb, opts.save_to_filer_limit)
    srv = Server((opts.host, opts.port), Handler)
    srv.opts = opts
    srv.store = store
    srv.stats = Stats()
    srv.faults = Faults()
    srv.filer = Filer(store, opts, srv.stats)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    host, port = srv.server_address[:2]
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, opts.port_file)
    print("fake-filer listening on %s:%d" % (host, port), flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
