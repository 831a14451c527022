"""The venue's own ids: trade uuids, transaction hashes and heartbeat ids.

Derived from the scenario's seed and one counter shared by every kind, so the same scenario and
the same requests give the same ids in the same order (a run replays bit for bit). Used by the
trade pipeline and the dead-man switch; order ids are the signed orders' hashes, not made here.
"""

from __future__ import annotations

import hashlib


class VenueIds:
    """A counter over the seed; each call draws the next id."""

    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._counter = 0

    def digest(self, kind: str) -> bytes:
        self._counter += 1
        return hashlib.sha256(f"{self._seed}:{kind}:{self._counter}".encode()).digest()

    def uuid(self, kind: str) -> str:
        h = self.digest(kind).hex()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
