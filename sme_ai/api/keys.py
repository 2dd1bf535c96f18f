"""API keys: each belongs to a tenant (its own knowledge base) and may be an admin key.

The file (`Settings.keys_path`, JSON, mode 0600) keeps only the sha256 of each secret, with a short key id that
`sme-ai keys list` shows and `keys revoke` takes. A key reads `sme-<id>-<secret>`: the id finds the record, the
hash of the whole key is compared in constant time. The full key is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sme_ai.api.errors import KeyNotFoundError, TenantNameError

TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
PREFIX = "sme-"


def check_tenant(name: str) -> str:
    """A tenant name is also a folder name: lower-case letters, digits, '-' and '_' only."""
    if not isinstance(name, str) or not TENANT_NAME.match(name):
        raise TenantNameError(str(name))
    return name


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    id: str
    tenant: str
    admin: bool
    sha256: str
    created: str
    revoked: bool = False

    def public(self) -> dict:
        """What `keys list` shows: never the hash."""
        return {"id": self.id, "tenant": self.tenant, "admin": self.admin, "created": self.created,
                "revoked": self.revoked}


class KeyStore:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: tuple[float, dict[str, ApiKey]] | None = None

    def _read(self) -> dict[str, ApiKey]:
        """Re-read when the file changed (keys created or revoked by `sme-ai keys` while the server runs)."""
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache and self._cache[0] == mtime:
            return self._cache[1]
        data = json.loads(self.path.read_text(encoding="utf-8"))
        keys = {k["id"]: ApiKey(**k) for k in data.get("keys", [])}
        self._cache = (mtime, keys)
        return keys

    def _write(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"format": 1, "keys": [asdict(k) for k in keys.values()]}, f, indent=1)
        os.replace(tmp, self.path)
        self._cache = None

    def _locked(self):
        from filelock import FileLock

        return FileLock(str(self.path) + ".lock")

    def create(self, tenant: str, admin: bool = False) -> tuple[ApiKey, str]:
        """A new key for `tenant`: (its record, the full key; shown once, never stored)."""
        check_tenant(tenant)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._locked():
            keys = dict(self._read())
            key_id = secrets.token_hex(4)
            while key_id in keys:
                key_id = secrets.token_hex(4)
            full = f"{PREFIX}{key_id}-{secrets.token_urlsafe(32)}"
            record = ApiKey(id=key_id, tenant=tenant, admin=admin, sha256=_digest(full),
                            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            keys[key_id] = record
            self._write(keys)
        return record, full

    def list(self) -> list[ApiKey]:
        return sorted(self._read().values(), key=lambda k: k.created)

    def revoke(self, key_id: str) -> ApiKey:
        with self._lock, self._locked():
            keys = dict(self._read())
            if key_id not in keys:
                raise KeyNotFoundError(key_id)
            keys[key_id] = record = ApiKey(**{**asdict(keys[key_id]), "revoked": True})
            self._write(keys)
        return record

    def verify(self, key: str) -> ApiKey | None:
        """The live record of a full key, or None (unknown, wrong secret or revoked)."""
        if not key.startswith(PREFIX) or key.count("-") < 2:
            return None
        key_id = key[len(PREFIX):].split("-", 1)[0]
        record = self._read().get(key_id)
        if record is None or record.revoked or not hmac.compare_digest(record.sha256, _digest(key)):
            return None
        return record

    def tenants(self) -> list[str]:
        return sorted({k.tenant for k in self._read().values() if not k.revoked})
