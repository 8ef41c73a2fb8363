"""Chat models in one place: which LLM plans the film, and how it is reached.

``--llm offline`` is the rule-based director (no network); ``--llm openai:MODEL`` is
LangChain's ``ChatOpenAI``, so OpenAI or any OpenAI-compatible server (Ollama, vLLM,
llama.cpp) works by base URL. Settings come from flags, then the environment, then
``director.toml`` (or ``director.json``) in the project folder, then defaults.

The API key is read only from ``OPENAI_API_KEY``, as the OpenAI client reads it; it is
never stored in the project folder, printed or logged (see :func:`redact`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from storyboard.errors import UserError

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 reads director.json only
    tomllib = None

CONFIG_NAMES = ("director.toml", "director.json")
ENV_LLM = "DIRECTOR_LLM"
ENV_LLM_TIMEOUT = "DIRECTOR_LLM_TIMEOUT"
LOCAL_SERVER_KEY = "unused-local-key"  # local servers ignore the key; the client needs one


@dataclass(frozen=True)
class LLMSettings:
    """How the planner reaches its chat model. Times are seconds."""

    llm: str = "offline"
    """'offline' or 'openai:MODEL'"""
    llm_timeout: float = 600.0
    """the whole planning budget: every request, retry and repair together"""
    request_timeout: float = 120.0
    """one HTTP request (the OpenAI client's ``timeout``)"""
    max_retries: int = 2
    """retries of one request on 429, 5xx, timeouts and lost connections, with backoff"""
    max_attempts: int = 3
    """answers asked for per planning step, the first included, before giving up on it"""
    base_url: str | None = None
    """an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (else OPENAI_BASE_URL)"""
    temperature: float = 0.2
    structured_output: str = "json_schema"
    """how the schema is sent: 'json_schema' (response_format), 'function_calling' or
    'json_mode', for servers that support only one of them"""

    @property
    def is_offline(self) -> bool:
        return self.llm == "offline"

    @property
    def model_name(self) -> str:
        """MODEL of 'openai:MODEL'."""
        return self.llm.split(":", 1)[1]


_NUMBERS = {"llm_timeout": float, "request_timeout": float, "max_retries": int,
            "max_attempts": int, "temperature": float}
_KEYS = {"llm", "base_url", "structured_output", *_NUMBERS}
STRUCTURED_OUTPUT_METHODS = ("json_schema", "function_calling", "json_mode")


def read_config(project: str | os.PathLike | None) -> dict[str, Any]:
    """The settings of ``<project>/director.toml`` (or ``.json``); {} when there is none."""
    if project is None:
        return {}
    folder = Path(project)
    for name in CONFIG_NAMES:
        path = folder / name
        if not path.is_file():
            continue
        if path.suffix == ".toml" and tomllib is None:  # pragma: no cover
            raise UserError(f"reading {str(path)!r} needs Python 3.11; use director.json")
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise UserError(f"cannot read the settings in {str(path)!r}: {error}") from None
        if not isinstance(data, dict):
            raise UserError(f"{str(path)!r} must hold a table of settings")
        table = data.get("director", data)  # a [director] table or top-level keys
        if any("key" in k.lower() for k in table):
            raise UserError(
                f"{str(path)!r} holds an API key: remove it (project folders get shared)"
                " and set the environment variable OPENAI_API_KEY instead"
            )
        unknown = sorted(set(table) - _KEYS)
        if unknown:
            raise UserError(f"{str(path)!r}: unknown setting(s) {', '.join(unknown)};"
                            f" known: {', '.join(sorted(_KEYS))}")
        return dict(table)
    return {}


def resolve_settings(
    llm: str | None = None,
    *,
    llm_timeout: float | None = None,
    project: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> LLMSettings:
    """Settings from flags (the arguments), else the environment (DIRECTOR_LLM,
    DIRECTOR_LLM_TIMEOUT, OPENAI_BASE_URL), else the project's config file, else
    defaults. ``overrides`` set any other field of :class:`LLMSettings`."""
    env = os.environ if env is None else env
    config = read_config(project)
    values: dict[str, Any] = {}
    for key, value in config.items():
        values[key] = _number(key, value, "the project's director.toml") if key in _NUMBERS \
            else value
    if env.get("OPENAI_BASE_URL"):
        values["base_url"] = env["OPENAI_BASE_URL"]
    if env.get(ENV_LLM):
        values["llm"] = env[ENV_LLM]
    if env.get(ENV_LLM_TIMEOUT):
        values["llm_timeout"] = _number("llm_timeout", env[ENV_LLM_TIMEOUT], ENV_LLM_TIMEOUT)
    if llm is not None:
        values["llm"] = llm
    if llm_timeout is not None:
        values["llm_timeout"] = _number("llm_timeout", llm_timeout, "--llm-timeout")
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = replace(LLMSettings(), **values)
    _check(settings)
    return settings


def _number(key: str, value: Any, where: str) -> float | int:
    try:
        number = _NUMBERS[key](value)
    except (TypeError, ValueError):
        raise UserError(f"{key} from {where} must be a number; got {value!r}") from None
    if number < 0 or (key in ("llm_timeout", "request_timeout") and number == 0):
        raise UserError(f"{key} from {where} must be positive; got {value!r}")
    return number


def _check(settings: LLMSettings) -> None:
    llm = settings.llm
    if llm == "offline":
        return
    if not llm.startswith("openai:") or not llm.split(":", 1)[1].strip():
        raise UserError(f"unknown --llm {llm!r}: use 'offline' or 'openai:MODEL'"
                        " (e.g. openai:gpt-4o-mini, or openai:llama3.1 with OPENAI_BASE_URL"
                        " pointing at a local server)")
    if settings.structured_output not in STRUCTURED_OUTPUT_METHODS:
        raise UserError(f"structured_output must be one of {', '.join(STRUCTURED_OUTPUT_METHODS)};"
                        f" got {settings.structured_output!r}")
    if settings.max_attempts < 1:
        raise UserError("max_attempts must be at least 1")


def make_chat_model(settings: LLMSettings, env: Mapping[str, str] | None = None):
    """LangChain's ChatOpenAI for 'openai:MODEL' settings; UserError without a key for
    OpenAI itself. Retries (429, 5xx, timeouts) and backoff are the OpenAI client's."""
    from langchain_openai import ChatOpenAI

    if settings.is_offline:
        raise ValueError("the offline director has no chat model")
    env = os.environ if env is None else env
    api_key = env.get("OPENAI_API_KEY")
    if not api_key:
        if not settings.base_url:
            raise UserError(
                f"--llm {settings.llm} needs an API key: set OPENAI_API_KEY (or set"
                " OPENAI_BASE_URL to a local OpenAI-compatible server, which needs none)"
            )
        api_key = LOCAL_SERVER_KEY
    return ChatOpenAI(
        model=settings.model_name,
        api_key=api_key,
        base_url=settings.base_url,
        timeout=settings.request_timeout,
        max_retries=settings.max_retries,
        temperature=settings.temperature,
    )


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with the API key (if it occurs) replaced by '***'."""
    env = os.environ if env is None else env
    key = env.get("OPENAI_API_KEY")
    return text.replace(key, "***") if key and len(key) >= 4 else text
