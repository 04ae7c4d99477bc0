"""Contract-wallet (EIP-1654) chains, which only a catalyst can check: it asks the wallet
contract on chain. The catalyst path is `/lambdas/crypto/validate-signature`."""

from __future__ import annotations

import logging

import httpx

from config.errors import SignedFetchError
from integrations.signed_fetch.chain import AuthLink

logger = logging.getLogger(__name__)

VALIDATE_SIGNATURE_PATH = "/lambdas/crypto/validate-signature"


class CatalystSignatureChecker:
    """Asks `{catalyst_url}/lambdas/crypto/validate-signature` whether a chain signs a payload."""

    def __init__(self, client: httpx.AsyncClient, catalyst_url: str, timeout_ms: int) -> None:
        self._client = client
        self._url = catalyst_url.rstrip("/") + VALIDATE_SIGNATURE_PATH
        self._timeout = httpx.Timeout(timeout_ms / 1000)

    async def check(self, links: list[AuthLink], payload: str) -> None:
        """Return if the catalyst vouches for the chain; raise SignedFetchError otherwise."""
        body = {"authChain": [link.as_json() for link in links], "timestamp": payload}
        try:
            response = await self._client.post(self._url, json=body, timeout=self._timeout)
            answer = response.json() if response.is_success else None
        except (httpx.HTTPError, ValueError) as error:
            logger.warning("catalyst unreachable url=%s error=%s", self._url, type(error).__name__)
            raise SignedFetchError(503, "Catalyst could not check the signature") from None

        valid = answer.get("valid") if isinstance(answer, dict) else None
        owner = answer.get("ownerAddress") if isinstance(answer, dict) else None
        if not isinstance(valid, bool) or (valid and not isinstance(owner, str)):
            status = response.status_code
            logger.warning("catalyst answer unusable url=%s status=%s", self._url, status)
            raise SignedFetchError(503, "Catalyst could not check the signature")
        if not valid or not isinstance(owner, str) or owner.lower() != links[0].payload.lower():
            raise SignedFetchError(401, "Invalid signature")
