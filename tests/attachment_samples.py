"""Small files of each kind, made here (no binary fixtures in the repository), and hostile ones."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
TXT = "Minutes of the call on 23/12/2026 — agreed a strategy discussion. £0 cost.\n".encode()
EML = (
    b"From: Team Manager <tm@example.org>\r\nTo: Teacher <t@example.org>\r\nSubject: Referral\r\n"
    b"Date: Wed, 23 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n"
    b"<html><body><p>We will hold a strategy discussion.</p></body></html>\r\n"
)
MSG = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "__substg1.0_0037001F".encode("utf-16-le") + b"\x00" * 64
LEGACY_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le")
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
TEXT_WITH_SCRIPT = b"Nothing to see here\n<script>fetch('/escalations/')</script>\n"


def zipped(entries: dict[str, bytes], *, level=None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in entries.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if name == "mimetype" else None)
    return buffer.getvalue()


def docx() -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def docm() -> bytes:
    return zipped(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", "word/vbaProject.bin": b"\0" * 9}
    )


def xlsx() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Agreed actions"
    book.save(buffer)
    return buffer.getvalue()


def odt() -> bytes:
    return zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document/>"})


def zip_bomb() -> bytes:
    """Looks like a Word document; 50 MB of zeros packed into about 50 KB (1,000 to 1)."""
    return zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * (50 * 1024 * 1024)}, level=9)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")
