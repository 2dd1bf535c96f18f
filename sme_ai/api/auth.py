"""Who is calling: the API key from `Authorization: Bearer KEY`, its rate limit, and the knowledge bases
(tenants) it may use. A key uses its own tenant; an admin key may also name any other tenant."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sme_ai.api.errors import AdminKeyRequiredError, AuthenticationError, KnowledgeBaseNotFoundError
from sme_ai.api.keys import ApiKey
from sme_ai.api.tenants import Tenant

DEFAULT_MODEL = "sme-ai"  # the caller's own knowledge base, for clients that need a fixed model name
bearer = HTTPBearer(auto_error=False, description="An API key from `sme-ai keys create --tenant NAME`.")


@dataclass(frozen=True)
class Caller:
    key: ApiKey
    services: object  # the app's Services (keys, tenants, limits)

    def models(self) -> list[str]:
        """The knowledge bases this key may use: its tenant's; an admin key's, every tenant's."""
        if not self.key.admin:
            return [self.key.tenant]
        s = self.services
        return sorted({self.key.tenant, *s.keys.tenants(), *s.tenants.on_disk()})

    def tenant(self, model: str | None = None) -> Tenant:
        """The tenant named by `model` (None, "" or "sme-ai": the key's own)."""
        name = self.key.tenant if model in (None, "", DEFAULT_MODEL) else model
        if name != self.key.tenant and (not self.key.admin or name not in self.models()):
            raise KnowledgeBaseNotFoundError(name, self.models())
        return self.services.tenants.get(name)

    def require_admin(self, action: str) -> None:
        if not self.key.admin:
            raise AdminKeyRequiredError(self.key.id, action)


def caller(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
    """The dependency every /v1 route takes: a valid, unrevoked key within its rate limit."""
    services = request.app.state.services
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("No API key was sent.")
    key = services.keys.verify(credentials.credentials)
    if key is None:
        raise AuthenticationError("The API key is not valid (unknown, wrong or revoked).")
    services.limits.take(key.id)
    request.state.key_id, request.state.tenant = key.id, key.tenant  # for the access log (no contents)
    return Caller(key, services)
