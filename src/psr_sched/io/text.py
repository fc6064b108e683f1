"""The one reader of a user's text files: UTF-8 or a one-line error naming the file.

Every command and loader that reads a file a user gives (a problem, a schedule, a scenario
file, a fee schedule, intake files) goes through :func:`read_text` or :func:`decode_text`,
so a binary file, a Latin-1 export or a missing file gets the same clear message everywhere
and never a traceback.  A leading byte-order mark (as spreadsheet programs write) is dropped.
"""

from __future__ import annotations

import os
from pathlib import Path

from psr_sched.errors import ProblemError

__all__ = ["decode_text", "read_text"]


def decode_text(data: bytes, label: str, *, error: type[ProblemError] = ProblemError) -> str:
    """Bytes as UTF-8 text (a leading byte-order mark dropped).

    Parameters
    ----------
    data : bytes
        The file's content.
    label : str
        How the message names the source (a path, or "271 file X").
    error : type, optional
        The :class:`ProblemError` subclass to raise (default ``ProblemError``).

    Raises
    ------
    ProblemError
        ``"<label>: the file is not UTF-8 text"``; the bytes are never echoed.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{label}: the file is not UTF-8 text") from None


def read_text(
    path: str | os.PathLike[str],
    *,
    label: str | None = None,
    error: type[ProblemError] = ProblemError,
) -> str:
    """A user's file as UTF-8 text, or one clear error naming it.

    Parameters
    ----------
    path : str or path-like
        The file.
    label : str, optional
        How messages name the file; default the path as given.
    error : type, optional
        The :class:`ProblemError` subclass to raise (default ``ProblemError``).

    Raises
    ------
    ProblemError
        ``"cannot read <label>: <reason>"`` when the file is missing, a folder or not
        readable, ``"<label>: the file is not UTF-8 text"`` when it is not text.
    """
    path = Path(path)
    name = str(path) if label is None else label
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise error(f"cannot read {name}: {reason.lower()}") from None
    return decode_text(data, name, error=error)
