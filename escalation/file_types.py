"""What a file is, by its content, not its name: the types people may attach as evidence.

A small sniffer over the standard library (no libmagic: python-magic needs the C library,
which a fresh machine may not have, and we need only nine types). Each type is told by its
signature, and the containers by what is inside them:

- PDF `%PDF-`, PNG `\\x89PNG…`, JPEG `\\xff\\xd8\\xff` at the start;
- DOCX, XLSX and ODT are zip files: their table of contents (never their contents) says which
  (`word/document.xml`, `xl/workbook.xml`, or an ODF `mimetype` of a text document); one that
  says it unpacks to far more than its size (a "zip bomb") or holds macros is refused;
- MSG (Outlook) is an OLE2 compound file holding `__substg1.0_` streams (a legacy .doc or .xls
  is OLE2 too, and is refused);
- EML and TXT are text (UTF-8, or Windows-1252 as Notepad saves it) without control bytes: an
  e-mail starts with mail headers; anything that starts as markup (HTML, SVG, XML) or carries
  script is refused, so a web page renamed `.txt` or `.png` is never stored.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile

from django.db import models


class FileType(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word document"
    XLSX = "xlsx", "Excel spreadsheet"
    ODT = "odt", "OpenDocument text"
    PNG = "png", "PNG image"
    JPEG = "jpeg", "JPEG image"
    TXT = "txt", "Text file"
    EML = "eml", "E-mail"
    MSG = "msg", "Outlook e-mail"


CONTENT_TYPES = {
    FileType.PDF: "application/pdf",
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileType.ODT: "application/vnd.oasis.opendocument.text",
    FileType.PNG: "image/png",
    FileType.JPEG: "image/jpeg",
    FileType.TXT: "text/plain; charset=utf-8",
    FileType.EML: "message/rfc822",
    FileType.MSG: "application/vnd.ms-outlook",
}
EXTENSIONS = {
    FileType.PDF: ".pdf",
    FileType.DOCX: ".docx",
    FileType.XLSX: ".xlsx",
    FileType.ODT: ".odt",
    FileType.PNG: ".png",
    FileType.JPEG: ".jpg",
    FileType.TXT: ".txt",
    FileType.EML: ".eml",
    FileType.MSG: ".msg",
}
ALLOWED_IN_WORDS = "a PDF, DOCX, XLSX, ODT, PNG, JPEG, TXT, EML or MSG"

NOT_ALLOWED = f"The selected file must be {ALLOWED_IN_WORDS}"
DAMAGED = "The selected file is damaged or not what its name says. Save it again and try again"
MARKUP = "The selected file is a web page or image code (HTML, SVG or XML), which cannot be attached. Save it as a PDF"
BOMB = "The selected file unpacks to far more than its size, so it cannot be attached. Save it as a PDF"
MACROS = "The selected file contains macros, which cannot be attached. Save it without macros or as a PDF"
FOLDERS = "The file name must not contain “/” or “\\”. Rename the file and try again"

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MSG_STREAM = "__substg1.0_".encode("utf-16-le")
ODF_TEXT = b"application/vnd.oasis.opendocument.text"
# A zip file's own table of contents may say anything; beyond these we do not believe it.
ZIP_MAX_ENTRIES = 5_000
ZIP_MAX_UNPACKED = 250 * 1024 * 1024
ZIP_MAX_RATIO = 100
MAIL_HEADERS = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "received",
    "mime-version",
    "return-path",
    "sender",
}
HEADER_LINE = re.compile(r"^([A-Za-z0-9-]+):[ \t]")
SCRIPT_OR_MARKUP = re.compile(r"<\s*/?\s*(script|svg|html|iframe|object|embed|body)\b|javascript:", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class Refused(Exception):
    """The file cannot be attached; the message is written for the person who chose it."""


def sniff(upload) -> FileType:
    """The file's type by its content; Refused when it is none of the allowed types."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return FileType.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileType.JPEG
    if head.startswith(b"PK\x03\x04"):
        return _zipped(upload)
    if head.startswith(OLE2):
        return _ole2(upload)
    return _text(upload)


def _zipped(upload) -> FileType:
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                raise Refused(BOMB)
            unpacked = sum(e.file_size for e in entries)
            packed = sum(e.compress_size for e in entries) or 1
            if unpacked > ZIP_MAX_UNPACKED or (unpacked > 10 * 1024 * 1024 and unpacked > ZIP_MAX_RATIO * packed):
                raise Refused(BOMB)
            names = {e.filename for e in entries}
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise Refused(MACROS)
            mimetype = archive.getinfo("mimetype") if "mimetype" in names else None
            if mimetype is not None and mimetype.file_size < 200 and archive.read(mimetype).strip() == ODF_TEXT:
                return FileType.ODT
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return FileType.DOCX
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                return FileType.XLSX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        raise Refused(DAMAGED) from exc
    finally:
        upload.seek(0)
    raise Refused(NOT_ALLOWED)


def _ole2(upload) -> FileType:
    data = upload.read()
    upload.seek(0)
    if MSG_STREAM in data:
        return FileType.MSG
    raise Refused(NOT_ALLOWED)


def _decoded(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _text(upload) -> FileType:
    data = upload.read()
    upload.seek(0)
    text = _decoded(data)
    if text is None or CONTROL.search(text):
        raise Refused(NOT_ALLOWED)
    start = text.lstrip()
    if start.startswith("<"):
        raise Refused(MARKUP)
    if _looks_like_mail(text):
        return FileType.EML
    if SCRIPT_OR_MARKUP.search(text):
        raise Refused(MARKUP)
    return FileType.TXT


def _looks_like_mail(text: str) -> bool:
    """Mail headers from the first line to the first blank one, with at least two of the usual."""
    names = set()
    for line in text.splitlines():
        if not line.strip():
            break
        if line[:1] in " \t":  # a folded header continues
            continue
        match = HEADER_LINE.match(line)
        if match is None:
            return False
        names.add(match.group(1).lower())
    return len(names & MAIL_HEADERS) >= 2


def limit_in_words(size: int) -> str:
    """A size limit as GOV.UK writes it: "20MB", "512KB"."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{round(size / factor, 1):g}{unit}"
    return f"{size} bytes"


def clean_name(raw: str, file_type: FileType) -> str:
    """The name to show and to download as: the person's words, tidied, with the extension
    of what the file really is. Refused if it names folders (the browser sends only a name;
    Django already drops a path, so a slash left here was disguised, e.g. as "／" or "%2F")."""
    name = unicodedata.normalize("NFKC", raw or "")
    if re.search(r"[/\\]|%2f|%5c", name, re.IGNORECASE):
        raise Refused(FOLDERS)
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    stem = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C")
    stem = re.sub(r"[^\w ()&',+-]", "_", stem)
    stem = re.sub(r"\s+", " ", stem).strip(" _")[:100].strip() or "attachment"
    return stem + EXTENSIONS[file_type]
