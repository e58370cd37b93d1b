#!/usr/bin/python3
"""Read f2o-exec's checkpoint journal as the kill tests do after each kill:
each step's state from its last records, by the format and state rules of
exec/jrecord.h (tests/tools/make_journal_fixtures.py writes the same
format). A reader of the bytes on disk, for a test that asks after each of
hundreds of kills (tests/tools/pause_kill.py --serve answers "journal"
requests with it, no process per question).

    journal_read.py JOURNAL [STEP...]

prints "STATE STEP" per step (all steps with a record when none is
named): pending (no record), in-doubt (an INTENT without RESULT), done
(RESULT ok), failed (RESULT failed). Exit 1 when the journal is refused:
a bad record followed by a CRC-valid one (damage, not a torn write at the
end), a CRC-valid record whose version, type, flags, sequence, payload or
state transition is wrong. A torn write at the end (no CRC-valid record
after the damage) ends the reading there, as f2o-exec does.
"""
import json
import struct
import sys
import zlib

MAGIC = b"F2OJ"
HEAD = 16                       # magic, version, type, flags, seq, length
TRAIL = 4                       # CRC-32
MAX_PAYLOAD = 65536              # JOURNAL_MAX_PAYLOAD
OPEN, INTENT, RESULT, NOTE = 1, 2, 3, 4
MEMBERS = {OPEN: ({"bundle", "f2o"}, set()),
           INTENT: ({"step", "attempt", "request"}, {"token"}),
           RESULT: ({"step", "status"}, {"outputs", "error"}),
           NOTE: ({"text"}, set())}


def _record_at(buf, off):
    """(type, seq, payload bytes, end offset) of a complete record with a
    good CRC at off, or None."""
    if buf[off:off + 4] != MAGIC or len(buf) - off < HEAD + TRAIL:
        return None
    _ver, rtype, _flags, seq, n = struct.unpack(">BBHII", buf[off + 4:off +
                                                              HEAD])
    end = off + HEAD + n + TRAIL
    if n < 2 or n > MAX_PAYLOAD or end > len(buf):
        return None
    crc, = struct.unpack(">I", buf[end - TRAIL:end])
    if zlib.crc32(buf[off:end - TRAIL]) != crc:
        return None
    return rtype, seq, buf[off + HEAD:end - TRAIL], end


def _good_after(buf, off):
    """Does a CRC-valid record start anywhere after offset off?"""
    i = buf.find(MAGIC, off + 1)
    while i != -1:
        if _record_at(buf, i) is not None:
            return True
        i = buf.find(MAGIC, i + 1)
    return False


def states(path):
    """{step id: state} of the journal at path; raises ValueError when the
    journal is refused (see above), OSError when it cannot be read."""
    with open(path, "rb") as f:
        buf = f.read()
    st = {}
    off, seq = 0, 0
    while off < len(buf):
        rec = _record_at(buf, off)
        if rec is None:
            if _good_after(buf, off):
                raise ValueError("record %d at offset %d: damaged, and a "
                                 "good record follows" % (seq + 1, off))
            break                               # torn write at the end
        rtype, rseq, payload, end = rec
        ver, _t, flags = struct.unpack(">BBH", buf[off + 4:off + 8])
        where = "record %d at offset %d" % (seq + 1, off)
        if ver != 1 or flags != 0 or rtype not in MEMBERS:
            raise ValueError("%s: version %d, type %d, flags %d" % (
                where, ver, rtype, flags))
        if rseq != seq + 1 or (rtype == OPEN) != (rseq == 1):
            raise ValueError("%s: sequence %d, type %d" % (where, rseq,
                                                           rtype))
        doc = json.loads(payload.decode("utf-8"))
        need, opt = MEMBERS[rtype]
        if not isinstance(doc, dict) or not need <= set(doc) or \
                set(doc) - need - opt:
            raise ValueError("%s: payload members %s" % (
                where, sorted(doc) if isinstance(doc, dict) else doc))
        sid = doc.get("step")
        if rtype == INTENT:
            if st.get(sid) in ("done", "in-doubt"):
                raise ValueError("%s: INTENT of %s, which is %s" % (
                    where, sid, st[sid]))
            st[sid] = "in-doubt"
        elif rtype == RESULT:
            if st.get(sid) != "in-doubt" or doc["status"] not in ("ok",
                                                                  "failed"):
                raise ValueError("%s: RESULT %r of %s, which is %s" % (
                    where, doc["status"], sid, st.get(sid, "pending")))
            st[sid] = "done" if doc["status"] == "ok" else "failed"
        off, seq = end, rseq
    return st


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        st = states(argv[1])
    except (OSError, ValueError) as e:
        sys.stderr.write("journal_read: %s: %s\n" % (argv[1], e))
        return 1
    for sid in argv[2:] or sorted(st):
        print("%s %s" % (st.get(sid, "pending"), sid))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
