"""Stored records deflated against a preset dictionary (schema 11 on).

Whoosh keeps a chunk's stored fields as one record: its dict pickled, then deflated
(zlib) on its own.  Most of a short paragraph's record is the same from one record to
the next (the field names, the language, the format, the date's type), which deflating
one record at a time cannot share: records of a few hundred bytes were written
undeflated, half of them field names.  Deflated against :data:`RECORD_DICTIONARY` (a
typical record, whose field names and common values a record can then refer to), all
of Reuters-21578's records take under half the bytes.

Each record is an ordinary zlib stream that names the dictionary it needs (by its
Adler-32, in the stream's header); :func:`inflate` gives it that dictionary, and
inflates records deflated without one (an older index) as Whoosh does.  The dictionary
can never change without a new schema version: a test holds its checksum.
"""

from __future__ import annotations

import zlib

from . import _whoosh

__all__ = ["RECORD_DICTIONARY", "deflate", "inflate", "install"]

# A first chunk's record with every stored field, common format names, and a later
# chunk's record (zlib finds the last bytes of its dictionary most cheaply).
RECORD_DICTIONARY = (
    b"\x80\x05\x95Z\x02\x00\x00\x00\x00\x00\x00}\x94(\x8c\x08chunk_id\x94\x8c\x05doc:1\x94"
    b"\x8c\x06doc_id\x94\x8c\x03doc\x94\x8c\x04path\x94\x8c\x10/home/notes/a.md"
    b"\x94\x8c\tparagraph\x94K\x01\x8c\x04part\x94K\x01\x8c\x03seq\x94K\x01\x8c\x05start"
    b"\x94K\x00\x8c\x03end\x94Kd\x8c\x08language\x94\x8c\x02en\x94\x8c\x05title\x94\x8c\x05"
    b"Title\x94\x8c\x04text\x94\x8c\x04Text\x94\x8c\x06author\x94\x8c\tA. Author"
    b"\x94\x8c\x07authors\x94]\x94h\x13a\x8c\tpublished\x94\x8c\x08datetime\x94\x8c"
    b"\x08datetime\x94\x93\x94C\n\x07\xd0\x01\x01\x00\x00\x00\x00\x00\x00\x94h\x17\x8c\x08t"
    b"imezone\x94\x93\x94h\x17\x8c\ttimedelta\x94\x93\x94K\x00K\x00K\x00\x87\x94R\x94\x85"
    b"\x94R\x94\x86\x94R\x94\x8c\nsource_url\x94\x8c\x18https://www.exampl"
    b"e.org/\x94\x8c\x06domain\x94\x8c\x0bexample.org\x94\x8c\x0brecord_l"
    b"ine\x94K\x01\x8c\x04page\x94K\x01\x8c\x07chapter\x94\x8c\x011\x94\x8c\x04code\x94]"
    b"\x94]\x94(K\x00K\x01ea\x8c\rrelative_path\x94\x8c\x04a.md\x94\x8c\x06forma"
    b"t\x94\x8c\x08markdown\x94\x8c\nparagraphs\x94K\n\x8c\x06chunks\x94K\n\x8c"
    b"\x0ccontent_hash\x94\x8c\x100123456789abcdef\x94\x8c\x04size\x94"
    b"M\xe8\x03\x8c\x08mtime_ns\x94\x8a\x08\x00\x00*6\xfe\x9c\x97\x17\x8c\x0efile_documents"
    b"\x94K\x01\x8c\ndisclaimer\x94\x8c\x00\x94\x8c\x08encoding\x94\x8c\x05utf-8\x94u."
    b"plain text html pdf jsonl epub office ma"
    b"il latin-1 \x80\x05\x95\x16\x01\x00\x00\x00\x00\x00\x00}\x94(\x8c\x08chunk_id\x94\x8c"
    b"\x05doc:2\x94\x8c\x06doc_id\x94\x8c\x03doc\x94\x8c\x04path\x94\x8c\x10/home/not"
    b"es/a.md\x94\x8c\tparagraph\x94K\x02\x8c\x04part\x94K\x01\x8c\x03seq\x94K\x02\x8c"
    b"\x05start\x94Kf\x8c\x03end\x94M,\x01\x8c\x08language\x94\x8c\x02en\x94\x8c\x05titl"
    b"e\x94\x8c\x05Title\x94\x8c\x04text\x94\x8c\x1aThe text of the parag"
    b"raph.\x94\x8c\tpublished\x94\x8c\x08datetime\x94\x8c\x08datetime\x94"
    b"\x93\x94C\n\x07\xd0\x01\x01\x00\x00\x00\x00\x00\x00\x94\x85\x94R\x94\x8c\rrelative_pa"
    b"th\x94\x8c\x04a.md\x94\x8c\x06format\x94\x8c\x07article\x94u."
)
# zlib's fastest level: a record takes 10-20 µs; the slower levels save 1-2% more.
LEVEL = 1
_FDICT = 0x20  # the zlib header flag of a stream deflated against a dictionary


def deflate(data: bytes, level: int = LEVEL) -> bytes:
    """``data`` (a pickled record) deflated against :data:`RECORD_DICTIONARY`.

    ``level`` is what Whoosh's column writer passes (its own setting): ignored, records
    are always deflated at :data:`LEVEL`.
    """
    packer = zlib.compressobj(
        LEVEL, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, RECORD_DICTIONARY
    )
    return packer.compress(data) + packer.flush()


def inflate(data: bytes) -> bytes:
    """A record :func:`deflate` (or plain ``zlib.compress``) made, inflated; raises
    ``zlib.error`` when it is not one."""
    if len(data) < 2 or not data[1] & _FDICT:
        return zlib.decompress(data)
    unpacker = zlib.decompressobj(zdict=RECORD_DICTIONARY)
    out = unpacker.decompress(data)
    if not unpacker.eof or unpacker.unused_data:
        raise zlib.error("a stored record ends early or has bytes after its end")
    return out


def install() -> None:
    """Make every reader of stored records Whoosh opens inflate with :func:`inflate`.
    Idempotent."""
    _whoosh.inflate_records_with(inflate)
