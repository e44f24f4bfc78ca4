"""Atomic file writes: a crash leaves either the old file or the new one, never half of one."""
import os
import tempfile


def write_bytes(path: str, content: bytes) -> None:
    """Writes `content` to `path` via a temporary file in the same directory, fsync and rename."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise


def write_text(path: str, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
