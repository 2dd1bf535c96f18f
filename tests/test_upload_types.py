"""Upload types of the web app and the API: every one can be loaded, and the binary ones are checked by magic bytes."""

import pytest

from sme_ai.ingest.loaders import supported_suffixes
from sme_ai.uploads import UPLOAD_TYPES, UploadRejectedError, check_upload


def test_every_upload_type_has_a_loader():
    assert set(UPLOAD_TYPES) <= set(supported_suffixes())
    assert {".png", ".jpg", ".jpeg", ".pptx", ".xlsx", ".csv"} <= set(UPLOAD_TYPES)


@pytest.mark.parametrize("name,good", [
    ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 20),
    ("photo.jpeg", b"\xff\xd8\xff\xe1" + b"\0" * 20),
    ("deck.pptx", b"PK\x03\x04" + b"\0" * 20),
    ("sheet.xlsx", b"PK\x03\x04" + b"\0" * 20),
])
def test_magic_bytes(tmp_path, name, good):
    p = tmp_path / "upload.bin"
    p.write_bytes(good)
    check_upload(p, name, allowed=UPLOAD_TYPES, max_bytes=1 << 20)
    p.write_bytes(b"<html>not really</html>")
    with pytest.raises(UploadRejectedError):
        check_upload(p, name, allowed=UPLOAD_TYPES, max_bytes=1 << 20)
