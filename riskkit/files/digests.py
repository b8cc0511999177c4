"""SHA-1 and SHA-256, without loading OpenSSL.

Importing ``hashlib`` loads OpenSSL's libcrypto: 12M instructions and 200 pages of memory,
a twentieth of what a small register's ``validate`` adds to start-up, for a few short
digests (the cache's checksums, a pinned runbook's SHA-256). CPython ships its own
implementations of both, which give the same digests; a Python built without them gets
hashlib's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # checked as hashlib's: the same constructors and objects
    from hashlib import sha1, sha256
else:
    try:
        from _sha1 import sha1
    except ImportError:  # pragma: no cover - a Python built without its own hashes
        from hashlib import sha1
    try:
        from _sha256 import sha256  # Python 3.10 and 3.11
    except ImportError:  # pragma: no cover - depends on the Python
        try:
            from _sha2 import sha256  # Python 3.12 and later
        except ImportError:
            from hashlib import sha256

__all__ = ["sha1", "sha256"]
