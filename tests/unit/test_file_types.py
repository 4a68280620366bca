"""Allowed types by content, not name: the sniffer and the file-name cleaning, without a database."""

import pytest

from escalation.file_types import (
    BOMB,
    DAMAGED,
    FOLDERS,
    MACROS,
    MARKUP,
    NOT_ALLOWED,
    FileType,
    Refused,
    clean_name,
    sniff,
)
from tests import attachment_samples as samples


@pytest.mark.parametrize(
    "content, expected",
    [
        (samples.PDF, FileType.PDF),
        (samples.PNG, FileType.PNG),
        (samples.JPEG, FileType.JPEG),
        (samples.TXT, FileType.TXT),
        ("Notes saved by Notepad: £10\r\n".encode("cp1252"), FileType.TXT),
        (samples.EML, FileType.EML),
        (samples.MSG, FileType.MSG),
        (samples.docx(), FileType.DOCX),
        (samples.xlsx(), FileType.XLSX),
        (samples.odt(), FileType.ODT),
    ],
)
def test_each_allowed_type_is_known_by_its_content_whatever_it_is_called(content, expected):
    assert sniff(samples.upload("no-extension-at-all", content)) == expected
    assert sniff(samples.upload("misleading.exe", content)) == expected


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("minutes.pdf", samples.HTML, MARKUP),
        ("photo.png", samples.SVG, MARKUP),
        ("notes.txt", samples.TEXT_WITH_SCRIPT, MARKUP),
        ("letter.docx", samples.zip_bomb(), BOMB),
        ("letter.docx", samples.docm(), MACROS),
        ("42.zip", samples.zipped({"42.zip": samples.zipped({"0.txt": b"0"})}), NOT_ALLOWED),
        ("report.doc", samples.LEGACY_DOC, NOT_ALLOWED),
        ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", NOT_ALLOWED),
        ("broken.docx", b"PK\x03\x04 this is not really a zip file", DAMAGED),
    ],
)
def test_anything_else_is_refused_with_a_reason(name, content, message):
    with pytest.raises(Refused) as refused:
        sniff(samples.upload(name, content))
    assert str(refused.value) == message


@pytest.mark.parametrize(
    "raw, file_type, cleaned",
    [
        ("Strategy meeting minutes.pdf", FileType.PDF, "Strategy meeting minutes.pdf"),
        ("letter.PDF.exe", FileType.PDF, "letter_PDF.pdf"),
        ("photo.jpeg", FileType.JPEG, "photo.jpg"),
        ("evil<script>.html", FileType.TXT, "evil_script.txt"),
        ("Zoë’s e-mail.eml", FileType.EML, "Zoë_s e-mail.eml"),
        ("tab\tand\x00null.pdf", FileType.PDF, "tabandnull.pdf"),
        ("...", FileType.PDF, "attachment.pdf"),
        ("a" * 300 + ".pdf", FileType.PDF, "a" * 100 + ".pdf"),
    ],
)
def test_names_are_cleaned_and_carry_the_extension_of_what_the_file_is(raw, file_type, cleaned):
    assert clean_name(raw, file_type) == cleaned


@pytest.mark.parametrize("raw", ["..／..／settings.pdf", "..%2F..%2Fsettings.pdf", "..\\..\\boot.ini.pdf", "a/b.pdf"])
def test_names_that_still_name_folders_are_refused(raw):
    with pytest.raises(Refused) as refused:
        clean_name(raw, FileType.PDF)
    assert str(refused.value) == FOLDERS
