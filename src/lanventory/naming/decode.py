"""Reading a naming file's bytes as text, and the error for a file refused as a whole."""

from __future__ import annotations

_BOM = "\ufeff"


class FileError(ValueError):
    """A file that cannot be read at all (not UTF-8, not CSV or JSON, columns missing);
    nothing of it is applied. The message says what is wrong."""


def decode_text(data: bytes) -> str:
    """UTF-8 text without its byte order mark (spreadsheets often write one).

    >>> decode_text(b"\\xef\\xbb\\xbfnetwork,mac\\r\\n")
    'network,mac\\r\\n'
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileError(
            f"the file is not UTF-8 text (byte {error.start} is not valid UTF-8): "
            "save it as UTF-8 (in a spreadsheet, 'CSV UTF-8' or 'Unicode (UTF-8)')"
        ) from None
    return text.removeprefix(_BOM)
