"""A small CBOR (RFC 8949) encoder and decoder for the Smithy RPC v2 CBOR
protocol the AWS CLI (botocore >= 1.37) speaks to CloudWatch: unsigned and
negative integers, byte and text strings (definite and indefinite
length), arrays, maps, tag 1 (epoch-seconds timestamps), false, true,
null, undefined, half/single/double floats. Standard library only.

    encode(value) -> bytes     (Timestamp(epoch) is written as tag 1)
    decode(data) -> value      (tag 1 -> Timestamp; raises CborError)
"""
import math
import struct

MAX_DEPTH = 64
MAX_ITEMS = 1 << 20


class CborError(ValueError):
    pass


class Timestamp(float):
    """Epoch seconds, written as CBOR tag 1."""


class Tagged:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value

    def __eq__(self, other):
        return isinstance(other, Tagged) and \
            (self.tag, self.value) == (other.tag, other.value)

    def __repr__(self):
        return "Tagged(%d, %r)" % (self.tag, self.value)


def _head(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    for ai, fmt, lim in ((24, ">B", 0xff), (25, ">H", 0xffff),
                         (26, ">I", 0xffffffff),
                         (27, ">Q", 0xffffffffffffffff)):
        if n <= lim:
            return bytes([(major << 5) | ai]) + struct.pack(fmt, n)
    raise CborError("integer too large for CBOR: %d" % n)


def encode(v):
    out = bytearray()
    _enc(out, v, 0)
    return bytes(out)


def _enc(out, v, depth):
    if depth > MAX_DEPTH:
        raise CborError("nesting too deep")
    if v is None:
        out.append(0xf6)
    elif v is True:
        out.append(0xf5)
    elif v is False:
        out.append(0xf4)
    elif isinstance(v, Timestamp):
        out += _head(6, 1)
        f = float(v)
        if f == int(f) and abs(f) < 2 ** 63:
            _enc(out, int(f), depth + 1)
        else:
            out.append(0xfb)
            out += struct.pack(">d", f)
    elif isinstance(v, Tagged):
        out += _head(6, v.tag)
        _enc(out, v.value, depth + 1)
    elif isinstance(v, int):
        out += _head(0, v) if v >= 0 else _head(1, -1 - v)
    elif isinstance(v, float):
        out.append(0xfb)
        out += struct.pack(">d", v)
    elif isinstance(v, (bytes, bytearray)):
        out += _head(2, len(v)) + bytes(v)
    elif isinstance(v, str):
        b = v.encode("utf-8")
        out += _head(3, len(b)) + b
    elif isinstance(v, (list, tuple)):
        out += _head(4, len(v))
        for x in v:
            _enc(out, x, depth + 1)
    elif isinstance(v, dict):
        out += _head(5, len(v))
        for k, x in v.items():
            _enc(out, k, depth + 1)
            _enc(out, x, depth + 1)
    else:
        raise CborError("cannot encode %s" % type(v).__name__)


class _Reader:
    def __init__(self, data):
        self.d = bytes(data)
        self.i = 0

    def take(self, n):
        if n < 0 or self.i + n > len(self.d):
            raise CborError("truncated CBOR data at byte %d" % self.i)
        b = self.d[self.i:self.i + n]
        self.i += n
        return b


_BREAK = object()


def _half(h):
    e, m = (h >> 10) & 0x1f, h & 0x3ff
    s = -1.0 if h & 0x8000 else 1.0
    if e == 0:
        return s * m * 2.0 ** -24
    if e == 31:
        return s * math.inf if m == 0 else math.nan
    return s * (1 + m / 1024.0) * 2.0 ** (e - 15)


def _arg(r, ai):
    if ai < 24:
        return ai
    if ai == 24:
        return r.take(1)[0]
    if ai == 25:
        return struct.unpack(">H", r.take(2))[0]
    if ai == 26:
        return struct.unpack(">I", r.take(4))[0]
    if ai == 27:
        return struct.unpack(">Q", r.take(8))[0]
    raise CborError("reserved additional information %d" % ai)


def _item(r, depth):
    if depth > MAX_DEPTH:
        raise CborError("nesting too deep")
    ib = r.take(1)[0]
    major, ai = ib >> 5, ib & 0x1f
    if major == 7:
        if ai == 20:
            return False
        if ai == 21:
            return True
        if ai in (22, 23):
            return None
        if ai == 25:
            return _half(struct.unpack(">H", r.take(2))[0])
        if ai == 26:
            return struct.unpack(">f", r.take(4))[0]
        if ai == 27:
            return struct.unpack(">d", r.take(8))[0]
        if ai == 31:
            return _BREAK
        raise CborError("unsupported simple value %d" % ai)
    if ai == 31:
        if major in (2, 3):
            parts = []
            while True:
                x = _item(r, depth + 1)
                if x is _BREAK:
                    break
                if major == 2 and not isinstance(x, bytes) or \
                        major == 3 and not isinstance(x, str):
                    raise CborError("bad chunk in an indefinite string")
                parts.append(x)
            return b"".join(parts) if major == 2 else "".join(parts)
        if major == 4:
            out = []
            while len(out) <= MAX_ITEMS:
                x = _item(r, depth + 1)
                if x is _BREAK:
                    return out
                out.append(x)
            raise CborError("too many items")
        if major == 5:
            out = {}
            while len(out) <= MAX_ITEMS:
                k = _item(r, depth + 1)
                if k is _BREAK:
                    return out
                out[_key(k)] = _value(r, depth)
            raise CborError("too many items")
        raise CborError("indefinite length for major type %d" % major)
    n = _arg(r, ai)
    if major == 0:
        return n
    if major == 1:
        return -1 - n
    if major == 2:
        return r.take(n)
    if major == 3:
        try:
            return r.take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise CborError("text string is not UTF-8")
    if n > MAX_ITEMS:
        raise CborError("too many items")
    if major == 4:
        return [_value(r, depth) for _ in range(n)]
    if major == 5:
        out = {}
        for _ in range(n):
            k = _key(_value(r, depth))
            out[k] = _value(r, depth)
        return out
    v = _value(r, depth)        # major 6: a tag
    if n == 1:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise CborError("tag 1 needs a number")
        return Timestamp(v)
    return Tagged(n, v)


def _value(r, depth):
    v = _item(r, depth + 1)
    if v is _BREAK:
        raise CborError("unexpected break")
    return v


def _key(k):
    if isinstance(k, (list, dict)):
        raise CborError("a map key must be a scalar")
    return k


def decode(data):
    r = _Reader(data)
    v = _value(r, 0)
    if r.i != len(r.d):
        raise CborError("%d trailing bytes" % (len(r.d) - r.i))
    return v
