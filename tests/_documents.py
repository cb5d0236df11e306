"""Small PDF, DOCX, ODT, EPUB and e-mail files, written by hand for the tests and benchmarks.

Each writer takes paragraphs (a PDF: pages of paragraphs; an EPUB: chapters) and metadata
and returns the file's bytes, so a test builds exactly the file it needs.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Sequence
from xml.sax.saxutils import escape

__all__ = [
    "BOMB_XML",
    "docx_bytes",
    "encrypted_pdf_bytes",
    "entity_bomb_epub_bytes",
    "epub_bytes",
    "eml_bytes",
    "odt_bytes",
    "pdf_bytes",
]

# A "billion laughs" document: nine levels of entities, each ten of the one below.
BOMB_XML = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<w:document xmlns:w="urn:w"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
    b"</w:body></w:document>"
)


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf_bytes(
    pages: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    author: str | None = None,
    date: str | None = None,
    xmp: bytes | None = None,
    compress: bool = True,
    page_stream: bytes | None = None,
    shared: bool = False,
) -> bytes:
    """A PDF with one text object (``BT``..``ET``) a paragraph, in Helvetica.

    ``date`` is a PDF date (``D:20240301093000``); ``xmp`` an XMP packet to attach;
    ``page_stream`` replaces the first page's content stream (for hostile cases);
    ``shared``: every page shows the first page's content stream.  A page with no
    paragraphs has no text at all, as a scanned page.
    """
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    pages_id = len(objects) + 1 + len(pages) * 2 + (1 if xmp else 0) + 1
    kids = []
    first = 0  # the first page's stream, when ``shared``
    for n, paragraphs in enumerate(pages):
        ops = []
        y = 760
        for para in paragraphs:
            ops.append(f"BT /F1 11 Tf 72 {y} Td {_pdf_string(para)} Tj ET")
            y -= 30
        raw = "\n".join(ops).encode("latin-1")
        if n == 0 and page_stream is not None:
            raw = page_stream
        if compress:
            data = zlib.compress(raw)
            stream = add(
                b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data)
                + data
                + b"\nendstream"
            )
        else:
            stream = add(b"<< /Length %d >>\nstream\n" % len(raw) + raw + b"\nendstream")
        if shared:  # this page's stream stays, unused: the object numbers hold
            first = first or stream
            stream = first
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_id, font, stream)
            )
        )
    meta = None
    if xmp:
        meta = add(
            b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(xmp)
            + xmp
            + b"\nendstream"
        )
    info_parts = []
    for key, value in (("Title", title), ("Author", author), ("CreationDate", date)):
        if value is not None:
            info_parts.append(f"/{key} {_pdf_string(value)}")
    info = add(("<< " + " ".join(info_parts) + " >>").encode("latin-1"))
    assert len(objects) + 1 == pages_id
    kid_refs = b" ".join(b"%d 0 R" % k for k in kids)
    add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kid_refs, len(kids)))
    catalog = add(
        b"<< /Type /Catalog /Pages %d 0 R%s >>"
        % (pages_id, b" /Metadata %d 0 R" % meta if meta else b"")
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, catalog, info, xref)
    )
    return out.getvalue()


def encrypted_pdf_bytes(password: str) -> bytes:
    """A small PDF encrypted with ``password`` as its user password (needs pypdf)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([["hidden words"]]))))
    writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def entity_bomb_epub_bytes() -> bytes:
    """An EPUB whose package file (``content.opf``) is :data:`BOMB_XML`."""
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(epub_bytes([("C", ["words"])], title="T"))) as src,
        zipfile.ZipFile(buf, "w") as out,
    ):
        for info in src.infolist():
            body = src.read(info)
            out.writestr(info.filename, BOMB_XML if info.filename.endswith(".opf") else body)
    return buf.getvalue()


def _zip(members: Sequence[tuple[str, bytes | str]], stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (name, data) in enumerate(members):
            kind = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            z.writestr(name, data, compress_type=kind)
    return out.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(
    paragraphs: Sequence[tuple[str, str] | str],
    *,
    title: str | None = None,
    author: str | None = None,
    created: str | None = None,
    document_xml: bytes | None = None,
) -> bytes:
    """A DOCX; a paragraph given as ``(style, text)`` has that style (``Heading1``)."""
    body = []
    for p in paragraphs:
        style, text = p if isinstance(p, tuple) else ("", p)
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        words = escape(text).split(" ", 1)
        gap = [" "] * (len(words) - 1) + [""]
        runs = "".join(
            f'<w:r><w:t xml:space="preserve">{w}{g}</w:t></w:r>'
            for w, g in zip(words, gap, strict=True)
        )
        body.append(f"<w:p>{ppr}{runs}</w:p>")
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{_W}"><w:body>{"".join(body)}</w:body></w:document>'
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + (f"<dc:title>{escape(title)}</dc:title>" if title else "")
        + (f"<dc:creator>{escape(author)}</dc:creator>" if author else "")
        + (
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
            if created
            else ""
        )
        + "</cp:coreProperties>"
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/></Types>'
    )
    return _zip(
        [
            ("[Content_Types].xml", types),
            ("word/document.xml", document_xml if document_xml is not None else document),
            ("docProps/core.xml", core),
        ]
    )


def odt_bytes(
    paragraphs: Sequence[tuple[str, str] | str],
    *,
    title: str | None = None,
    author: str | None = None,
    created: str | None = None,
    body_xml: str | None = None,
) -> bytes:
    """An ODT; a paragraph given as ``("h", text)`` is a heading; ``body_xml`` (the
    ``office:text`` element's inside, ``text:`` and ``office:`` prefixes declared)
    replaces the paragraphs."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"'
    )
    body = []
    for p in paragraphs:
        kind, text = p if isinstance(p, tuple) else ("p", p)
        first, _, rest = escape(text).partition(" ")
        inner = f"<text:span>{first}</text:span><text:s/>{rest}" if rest else first
        if kind == "h":
            body.append(f'<text:h text:outline-level="1">{inner}</text:h>')
        else:
            body.append(f"<text:p>{inner}</text:p>")
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}>'
        f"<office:body><office:text>{body_xml or ''.join(body)}</office:text></office:body>"
        "</office:document-content>"
    )
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ns}><office:meta>'
        + (f"<dc:title>{escape(title)}</dc:title>" if title else "")
        + (f"<meta:initial-creator>{escape(author)}</meta:initial-creator>" if author else "")
        + (f"<meta:creation-date>{created}</meta:creation-date>" if created else "")
        + "</office:meta></office:document-meta>"
    )
    return _zip(
        [
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            ("content.xml", content),
            ("meta.xml", meta),
        ],
        stored_first=True,
    )


def epub_bytes(
    chapters: Sequence[tuple[str, Sequence[str]]],
    *,
    title: str,
    author: str | None = None,
    date: str | None = None,
    spine: Sequence[int] | None = None,
    chapter_html: bytes | None = None,
) -> bytes:
    """An EPUB 3 of ``(heading, paragraphs)`` chapters; ``spine`` orders them (indexes
    into ``chapters``), so the reading order can differ from the manifest's."""
    order = list(spine) if spine is not None else list(range(len(chapters)))
    files = []
    for i, (heading, paras) in enumerate(chapters):
        html = (
            '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>'
            f"{escape(title)}</title></head><body><h1>{escape(heading)}</h1>"
            + "".join(f"<p>{escape(p)}</p>" for p in paras)
            + "</body></html>"
        ).encode()
        if i == 0 and chapter_html is not None:
            html = chapter_html
        files.append((f"OEBPS/text/ch{i + 1}.xhtml", html))
    manifest = "".join(
        f'<item id="c{i + 1}" href="text/ch{i + 1}.xhtml" media-type="application/xhtml+xml"/>'
        for i in range(len(chapters))
    )
    itemrefs = "".join(f'<itemref idref="c{i + 1}"/>' for i in order)
    opf = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="id">urn:test</dc:identifier><dc:title>{escape(title)}</dc:title>'
        + (f"<dc:creator>{escape(author)}</dc:creator>" if author else "")
        + (f"<dc:date>{date}</dc:date>" if date else "")
        + f"</metadata><manifest>{manifest}</manifest><spine>{itemrefs}</spine></package>"
    )
    container = (
        '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    return _zip(
        [
            ("mimetype", "application/epub+zip"),
            ("META-INF/container.xml", container),
            ("OEBPS/content.opf", opf),
            *files,
        ],
        stored_first=True,
    )


def eml_bytes(
    subject: str,
    sender: str,
    date: str,
    body: str,
    *,
    html: str | None = None,
    attachment: tuple[str, bytes] | None = None,
    message_id: str | None = None,
) -> bytes:
    """An e-mail: a plain body (or, with ``html`` and an empty ``body``, an HTML one),
    perhaps with an attachment."""
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = "reader@example.org"
    msg["Date"] = date
    if message_id:
        msg["Message-ID"] = message_id
    if body:
        msg.set_content(body)
        if html:
            msg.add_alternative(html, subtype="html")
    elif html:
        msg.set_content(html, subtype="html")
    if attachment:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()
