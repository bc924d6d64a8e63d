#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets (fuzz/corpus/<target>/, not committed) from
#  - the binlogs and packet captures of ../shared/corpus (events split out, TABLE_MAP + rows
#    pairs, transaction payloads, PREVIOUS_GTIDS sets, server byte streams of the captures);
#  - binlogs that a throwaway MariaDB (the binary the test harness uses) writes for a script
#    covering every column type, JSON, and compressed events (log_bin_compress=ON);
#  - a few small synthesized inputs (result sets, JSON documents, zlib frames, GTID texts).
# Usage: scripts/fuzz-seeds.sh [--no-server]   (SHARED=/path/to/shared overrides ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared}
[ -d "$SHARED/corpus" ] || SHARED=/work/shared
OUT=$ROOT/fuzz/corpus
mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- binlogs from a throwaway MariaDB ------------------------------------------------------
if [ "${1:-}" != "--no-server" ] && command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null; then
    echo "==> starting a throwaway MariaDB for seed binlogs"
    user_arg=()
    [ "$(id -u)" = 0 ] && user_arg=(--user=root)
    mkdir -p "$WORK/data" "$WORK/tmp"
    mariadb-install-db --no-defaults --datadir="$WORK/data" --tmpdir="$WORK/tmp" \
        --auth-root-authentication-method=normal --skip-test-db "${user_arg[@]}" >"$WORK/install.log" 2>&1
    mariadbd --no-defaults --datadir="$WORK/data" --tmpdir="$WORK/tmp" --socket="$WORK/sock" \
        --skip-networking --server-id=1 --log-bin=seed-bin --binlog-format=ROW \
        --binlog-row-metadata=FULL --binlog-checksum=CRC32 --innodb-buffer-pool-size=32M \
        --log-error="$WORK/error.log" "${user_arg[@]}" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        mariadb --no-defaults --socket="$WORK/sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
        sleep 0.2
    done
    mariadb --no-defaults --socket="$WORK/sock" -uroot <<'SQL'
CREATE DATABASE seed;
USE seed;
CREATE TABLE t (
  id INT PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT, bi BIGINT UNSIGNED,
  f FLOAT, d DOUBLE, de DECIMAL(20,6), bt BIT(13), y YEAR, dt DATE, tm TIME(3),
  dtm DATETIME(6), ts TIMESTAMP(2) NULL, c CHAR(10), vc VARCHAR(300), bn BINARY(4),
  vb VARBINARY(20), tx TEXT, bl BLOB, e ENUM('a','b','c'), st SET('x','y','z'), j JSON,
  g GEOMETRY NULL, u CHAR(100) CHARACTER SET utf8mb4
);
INSERT INTO t VALUES
  (1, -1, 65535, -8388608, 18446744073709551615, 1.5, -2.25e300, -12345678901234.123456,
   b'1010101010101', 2024, '2024-02-29', '-838:59:59.999', '2024-01-02 03:04:05.123456',
   '2024-01-02 03:04:05.12', 'abc', REPEAT('v', 300), 'bin', 'varbin', 'text', 'blob',
   'b', 'x,z', '{"a": [1, 2.5, "s", null, true, {"b": {}}], "c": "\\u00e9"}',
   ST_GeomFromText('POINT(1 2)'), 'ünïcödé'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, '[]', NULL, NULL);
UPDATE t SET vc = 'updated', j = JSON_SET(j, '$.a[0]', 42) WHERE id = 1;
DELETE FROM t WHERE id = 2;
SET SESSION binlog_format = STATEMENT;
INSERT INTO t (id, c) VALUES (3, 'stmt');
SET SESSION binlog_format = ROW;
SET GLOBAL log_bin_compress = ON;
SET GLOBAL log_bin_compress_min_len = 10;
INSERT INTO t (id, vc, tx) VALUES (4, REPEAT('compressed ', 20), REPEAT('text ', 50));
UPDATE t SET tx = REPEAT('more ', 40) WHERE id = 4;
SET SESSION binlog_format = STATEMENT;
INSERT INTO t (id, vc) VALUES (5, REPEAT('compressed statement ', 10));
SET SESSION binlog_format = ROW;
DELETE FROM t WHERE id = 4;
FLUSH BINARY LOGS;
SQL
    mkdir -p "$WORK/binlogs"
    cp "$WORK"/data/seed-bin.0* "$WORK/binlogs/"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
else
    echo "==> no MariaDB (or --no-server): seeds from the shared corpus only"
    mkdir -p "$WORK/binlogs"
fi

# --- split everything into per-target seeds ----------------------------------------------
python3 - "$SHARED/corpus" "$WORK/binlogs" "$OUT" <<'PY'
import hashlib, os, struct, sys, zlib

corpus, server_binlogs, out = sys.argv[1:4]
MAX = 64 * 1024
counts = {}

def seed(target, data):
    if not data or len(data) > MAX:
        return
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(d, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1

def lenenc(buf, pos):
    b = buf[pos]
    if b < 251: return b, pos + 1
    if b == 0xfc: return struct.unpack_from("<H", buf, pos + 1)[0], pos + 3
    if b == 0xfd: return int.from_bytes(buf[pos + 1:pos + 4], "little"), pos + 4
    return struct.unpack_from("<Q", buf, pos + 1)[0], pos + 9

def events(data):
    """(type, event bytes) of a v4 binlog, plus whether events carry a CRC32."""
    pos, evs, crc = 4, [], False
    while pos + 19 <= len(data):
        size = struct.unpack_from("<I", data, pos + 9)[0]
        if size < 19 or pos + size > len(data):
            break
        ev = data[pos:pos + size]
        if ev[4] == 15 and len(ev) > 19 + 57:
            version = ev[21:71].split(b"\0")[0].decode("latin1")
            parts = [int(p) if p.isdigit() else 0 for p in version.split("-")[0].split(".")[:3]]
            has_footer = "MariaDB" in version and parts >= [5, 3] or parts >= [5, 6, 1]
            crc = has_footer and ev[-5] == 1
        evs.append((ev[4], ev))
        pos += size
    return evs, crc

def flavour_selector(evs):
    for t, ev in evs:
        if t == 15:
            version = ev[21:71].split(b"\0")[0]
            crc = ev[-5] == 1
            if b"a_drop" in version: return 5
            if b"MariaDB" in version: return 2 if crc else 3
            if version.startswith(b"5.") and not version.startswith(b"5.6") and not version.startswith(b"5.7"): return 4
            return 0 if crc else 1
    return 1

def binlog(path):
    data = open(path, "rb").read()
    if data[:4] != b"\xfebin":
        return
    seed("binlog_events", b"\x00" + data[4:4 + MAX - 1])
    evs, crc = events(data)
    sel = flavour_selector(evs)
    strip = 4 if crc else 0
    body_evs = [ev[:len(ev) - strip] if strip and t != 15 else ev for t, ev in evs]
    # event_decoder: the events after the FORMAT_DESCRIPTION, trailers removed (the target
    # computes them), in runs of up to 16.
    run = [ev for (t, _), ev in zip(evs, body_evs) if t != 15]
    for i in range(0, len(run), 16):
        seed("event_decoder", bytes([sel]) + b"".join(run[i:i + 16]))
    for (t, ev), body_ev in zip(evs, body_evs):
        seed("binlog_events", bytes([1 if crc else 0]) + ev)
    # table_map_rows: TABLE_MAP body (post-header 8) + the rows event after it, minus table id.
    rows_types = [20, 21, 22, 23, 24, 25, 30, 31, 32, 39, 166, 167, 168, 169, 170, 171]
    for i, (t, ev) in enumerate(evs):
        if t != 19 or i + 1 >= len(evs):
            continue
        nt, nev = evs[i + 1]
        if nt not in rows_types:
            continue
        map_body = body_evs[i][19:]
        if len(map_body) % 2 or len(map_body) > 510:
            continue
        rows_body = body_evs[i + 1][19 + 6:]
        seed("table_map_rows", bytes([rows_types.index(nt), len(map_body) // 2]) + map_body + rows_body)
    for (t, ev), body_ev in zip(evs, body_evs):
        body = body_ev[19:]
        if t == 40:  # TRANSACTION_PAYLOAD: TLV fields, then the zstd frame
            pos, fields = 0, {}
            try:
                while pos < len(body):
                    ty, pos = lenenc(body, pos)
                    if ty == 0: break
                    ln, pos = lenenc(body, pos)
                    val, _ = lenenc(body, pos)
                    fields[ty] = val
                    pos += ln
                declared = fields.get(3, 0)
                if declared < 2 ** 32:
                    seed("zstd_payload", b"\x20" + struct.pack("<I", declared) + body[pos:])
            except (IndexError, struct.error):
                pass
        if t in (165, 166, 167, 168, 169, 170, 171):
            seed("mariadb_zlib", bytes([2 | ((t - 165) << 2)]) + body)
            # the compressed part alone: after the post-header (13 + status vars + db for
            # QUERY; 10 or 8 + width + bitmaps for rows): find the 0x8n header byte instead.
            for j, b in enumerate(body):
                if b & 0xf8 == 0x80 and 1 <= b & 7 <= 4 and j + 1 + (b & 7) < len(body) and body[j + 1 + (b & 7)] == 0x78:
                    seed("mariadb_zlib", b"\x00" + body[j:])
                    break
        if t == 35:  # PREVIOUS_GTIDS
            seed("gtid_sets", body)
        if t == 163:  # MariaDB GTID_LIST: count, then (domain, server, seq)
            try:
                n = struct.unpack_from("<I", body)[0] & 0x0fffffff
                items = [struct.unpack_from("<IIQ", body, 4 + 16 * k) for k in range(n)]
                seed("gtid_sets", ",".join(f"{d}-{s}-{q}" for d, s, q in items).encode())
            except struct.error:
                pass

def pcap_streams(path):
    """TCP payloads of port 3306 conversations: (server->client, client->server) bytes."""
    data = open(path, "rb").read()
    packets = []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        linktype = struct.unpack_from("<I", data, 20)[0]
        pos = 24
        while pos + 16 <= len(data):
            incl = struct.unpack_from("<I", data, pos + 8)[0]
            packets.append((linktype, data[pos + 16:pos + 16 + incl]))
            pos += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        pos, links = 0, []
        while pos + 12 <= len(data):
            btype, blen = struct.unpack_from("<II", data, pos)
            if blen < 12: break
            if btype == 1:
                links.append(struct.unpack_from("<H", data, pos + 8)[0])
            elif btype == 6:
                iface, _, _, caplen = struct.unpack_from("<IIII", data, pos + 8)
                packets.append((links[iface] if iface < len(links) else 1, data[pos + 28:pos + 28 + caplen]))
            pos += blen
    server, client = bytearray(), bytearray()
    for link, frame in packets:
        if link == 1:
            if len(frame) < 14: continue
            ethertype, ip = struct.unpack_from(">H", frame, 12)[0], frame[14:]
            if ethertype == 0x8100: ethertype, ip = struct.unpack_from(">H", frame, 16)[0], frame[18:]
            if ethertype != 0x0800: continue
        elif link in (101, 228):
            ip = frame
        elif link == 113:
            ip = frame[16:]
        else:
            continue
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6: continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack_from(">H", ip, 2)[0]
        tcp = ip[ihl:total]
        if len(tcp) < 20: continue
        sport, dport = struct.unpack_from(">HH", tcp)
        payload = tcp[(tcp[12] >> 4) * 4:]
        if sport == 3306: server += payload
        elif dport == 3306: client += payload
    return bytes(server), bytes(client)

for root, _, files in os.walk(corpus):
    for name in sorted(files):
        path = os.path.join(root, name)
        with open(path, "rb") as f:
            head = f.read(4)
        if head == b"\xfebin":
            binlog(path)
        elif name.endswith((".pcap", ".pcapng")):
            server, client = pcap_streams(path)
            for stream in (server, client):
                seed("packet_framing", b"\x07" + stream[:MAX - 1])
            for mode in (0, 1, 2):
                seed("connection_handshake", bytes([mode]) + server[:MAX - 1])
                seed("session_server_bytes", bytes([mode << 1]) + server[:MAX - 1])
for name in sorted(os.listdir(server_binlogs)):
    binlog(os.path.join(server_binlogs, name))

# --- synthesized -------------------------------------------------------------------------
def lenenc_str(s):
    assert len(s) < 251
    return bytes([len(s)]) + s

def column(name):
    return b"".join(lenenc_str(s) for s in [b"def", b"db", b"t", b"t", name, name]) + \
        bytes([0x0c, 45, 0, 0x40, 0, 0, 0, 253, 0, 0, 0, 0, 0])

def structured(payloads):
    return b"".join(bytes([len(p)]) + p for p in payloads)

for deprecate_eof in (0, 1):
    eof = bytes([0xfe, 0, 0, 2, 0, 0, 0]) if deprecate_eof else bytes([0xfe, 0, 0, 2, 0])
    rows = [b"\x011\x03abc", b"\xfb\x00", b"\x0299" + lenenc_str(b"x" * 200)]
    payloads = [b"\x02", column(b"a"), column(b"bb")] + ([] if deprecate_eof else [eof]) + rows + [eof]
    seed("text_resultset", bytes([deprecate_eof | 2]) + structured(payloads))
    seed("text_resultset", bytes([deprecate_eof | 2]) + structured([b"\x00\x01\x00\x02\x00\x00\x00"]))
    seed("text_resultset", bytes([deprecate_eof | 2]) + structured([b"\xff\x28\x04#42000Syntax error"]))
    raw = b"".join(len(p).to_bytes(3, "little") + bytes([1 + i]) + p for i, p in enumerate(payloads))
    seed("text_resultset", bytes([deprecate_eof]) + raw)

# Binary JSON: type byte, then the value (small object/array format: u16 counts/offsets).
def jscalar(v):
    if v is None: return 4, b"\x00"
    if v is True: return 4, b"\x01"
    if v is False: return 4, b"\x02"
    if isinstance(v, int): return 7, struct.pack("<i", v)
    if isinstance(v, float): return 11, struct.pack("<d", v)
    s = v.encode()
    return 12, bytes([len(s)]) + s
def jcontainer(v):
    obj = isinstance(v, dict)
    items = list(v.items()) if obj else [(None, x) for x in v]
    n = len(items)
    header = 4 + (4 * n if obj else 0) + 3 * n
    keys = b"".join(k.encode() for k, _ in items) if obj else b""
    key_entries, pos = b"", header
    if obj:
        for k, _ in items:
            key_entries += struct.pack("<HH", pos, len(k.encode())); pos += len(k.encode())
    values, value_entries = b"", b""
    for _, x in items:
        ty, data = jvalue(x)
        if ty == 4:
            value_entries += bytes([4]) + data + b"\x00"
        elif ty == 7 and -32768 <= x <= 32767:
            value_entries += bytes([5]) + struct.pack("<h", x)
        else:
            value_entries += bytes([ty]) + struct.pack("<H", pos + len(values)); values += data
    body = key_entries + value_entries + keys + values
    return (0 if obj else 2), struct.pack("<HH", n, 4 + len(body)) + body
def jvalue(v):
    return jcontainer(v) if isinstance(v, (dict, list)) else jscalar(v)
for doc in [None, True, 7, -5, 2.5, "text", [], {}, [1, "a", None, 2.5e10, [True]],
            {"k": 1, "nested": {"a": [1, 2, {"b": "c"}]}, "s": "é"}]:
    ty, data = jvalue(doc)
    seed("json_binary", bytes([ty]) + data)

for data in [b"", b"x", b"INSERT INTO t VALUES (1)" * 10, bytes(range(256))]:
    frame = bytes([0x84]) + struct.pack(">I", len(data)) + zlib.compress(data)
    seed("mariadb_zlib", b"\x01" + frame)
    seed("mariadb_zlib", b"\x00" + bytes([0x81, len(data) & 0xff]) + zlib.compress(data))

for text in [b"3E11FA47-71CA-11E1-9E33-C80AA9429562:23",
             b"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11-18,2174B383-5441-11E8-B90A-C80AA9429562:1-27",
             b"3e11fa47-71ca-11e1-9e33-c80aa9429562:tag_1:1-3:5",
             b"0-1-100,1-2-200", b"", b"0-1-1"]:
    seed("gtid_sets", text)
seed("gtid_sets", struct.pack("<Q", 1) + bytes(range(16)) + struct.pack("<Qqq", 1, 1, 10))

for target, n in sorted(counts.items()):
    print(f"{target}: {n} new seeds")
PY
echo "==> seeds in $OUT"
