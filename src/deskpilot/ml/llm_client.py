"""An optional client for any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server).

Off unless `DESKPILOT_LLM_BASE_URL` and `DESKPILOT_LLM_MODEL` are set. Every failure becomes a
`ProviderError` whose `retryable` says whether trying again may help (timeouts, 429, 5xx).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from deskpilot.config import Settings
from deskpilot.errors import ProviderError


@dataclass(frozen=True)
class ChatMessage:
    role: str
    content: str


class LlmClient:
    """POSTs to `{base_url}/chat/completions` and returns the first choice's text."""

    def __init__(self, *, base_url: str, model: str, api_key: str = "", timeout_seconds: float = 30.0) -> None:
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> LlmClient | None:
        """The configured client, or None when no endpoint is configured (the default)."""
        if not settings.llm_base_url or not settings.llm_model:
            return None
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_seconds=settings.llm_timeout_seconds,
        )

    def close(self) -> None:
        self._client.close()

    def complete(self, messages: list[ChatMessage], *, max_tokens: int = 400, temperature: float = 0.0) -> str:
        """The model's reply to a chat; raises ProviderError on any transport or protocol failure."""
        payload = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        try:
            response = self._client.post("/chat/completions", json=payload)
        except httpx.TimeoutException as exc:
            raise ProviderError("The language model did not answer in time.", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"The language model is unreachable ({exc}).", retryable=True) from exc
        if response.status_code >= 400:
            retryable = response.status_code == 429 or response.status_code >= 500
            raise ProviderError(
                f"The language model refused the request (HTTP {response.status_code}).", retryable=retryable
            )
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError("The language model answered in an unexpected format.") from exc
        if not isinstance(content, str):
            raise ProviderError("The language model answered in an unexpected format.")
        return content
