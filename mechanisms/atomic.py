"""Replace a file atomically: a reader (another process, a CI step) never sees half of it."""

import os
import tempfile


def replace(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename."""
    with tempfile.NamedTemporaryFile(
        "w", dir=os.path.dirname(path) or ".", prefix=".tmp-", delete=False, encoding="utf-8"
    ) as fh:
        try:
            fh.write(text)
            fh.flush()
        except BaseException:
            fh.close()
            os.unlink(fh.name)  # a full disk leaves no temporary file behind
            raise
    try:
        os.chmod(fh.name, 0o666 & ~_umask())  # as open() would create it (temporary files are 0600)
        os.replace(fh.name, path)
    except BaseException:
        os.unlink(fh.name)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
