"""What the DOCX and the XLSX share: the notice's date for their metadata, and a ZIP written the same way every time.

python-docx and openpyxl stamp every ZIP entry with the wall clock, so two renders of one notice differ in their bytes
although not in their content. Rewriting the archive with the notice's own date makes a frozen final's hash
reproducible (pure).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

from services.reporter.document import NoticeDocument

# The earliest date a ZIP entry can carry; only used when the signing date cannot be read (it always can today).
ZIP_EPOCH = datetime(1980, 1, 1)


def issued_at(doc: NoticeDocument) -> datetime:
    """The signing date (成文日期, 「2022 年 10 月 7 日」) at midnight: the date offices read in a file's properties."""
    numbers = [int(n) for n in re.findall(r"\d+", doc.signed_on)]
    try:
        return datetime(numbers[0], numbers[1], numbers[2])
    except (IndexError, ValueError):
        return ZIP_EPOCH


def repack(data: bytes, at: datetime) -> bytes:
    """The same archive, its entries in the same order, every entry stamped `at` with the same attributes."""
    stamp = max(at, ZIP_EPOCH).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # the same on every platform (zipfile would say 0 on Windows)
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename), compresslevel=6)
    return out.getvalue()
