"""Chat models in one place: which LLM plans the film, and how it is reached.

``--llm offline`` is the rule-based director (no network); ``--llm openai:MODEL`` is
LangChain's ``ChatOpenAI``, so OpenAI or any OpenAI-compatible server (Ollama, vLLM,
llama.cpp) works by base URL. Settings come from flags, then the environment, then
``director.toml`` (or ``director.json``) in the project folder, then defaults.

The API key is read only from ``OPENAI_API_KEY``, as the OpenAI client reads it; it is
never stored in the project folder, printed or logged (see :func:`redact`), and never
sent to a server that only the project's config file names (a shared project folder must
not be able to collect the user's key).

Retries are ours, not the OpenAI client's (:func:`call_with_retries`), so that every wait,
``Retry-After`` included, stays inside the planning budget (``--llm-timeout``).
"""

from __future__ import annotations

import datetime
import email.utils
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from storyboard.errors import UserError

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 reads director.json only
    tomllib = None

CONFIG_NAMES = ("director.toml", "director.json")
ENV_LLM = "DIRECTOR_LLM"
ENV_LLM_TIMEOUT = "DIRECTOR_LLM_TIMEOUT"
LOCAL_SERVER_KEY = "unused-local-key"  # local servers ignore the key; the client needs one
RETRY_STATUSES = (408, 409, 429)
"""HTTP statuses retried (as the OpenAI client retries them), besides every 5xx"""
MAX_BACKOFF_SECONDS = 8.0

log = logging.getLogger(__name__)
R = TypeVar("R")


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
    """retries of one request on 429, 5xx, timeouts and lost connections, with backoff;
    every try and wait within ``llm_timeout``"""
    max_attempts: int = 3
    """answers asked for per planning step, the first included, before giving up on it"""
    base_url: str | None = None
    """an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (else OPENAI_BASE_URL)"""
    temperature: float = 0.2
    structured_output: str = "json_schema"
    """how the schema is sent: 'json_schema' (response_format), 'function_calling' or
    'json_mode', for servers that support only one of them"""
    base_url_from_config: bool = False
    """``base_url`` came from the project's config file alone: it never gets OPENAI_API_KEY"""

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
RENDER_KEYS = frozenset({"executor", "ray_address", "ray_actors"})
"""settings of the same file that ``director.execution_settings`` reads, not the planner"""
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
        unknown = sorted(set(table) - _KEYS - RENDER_KEYS)
        if unknown:
            raise UserError(f"{str(path)!r}: unknown setting(s) {', '.join(unknown)};"
                            f" known: {', '.join(sorted(_KEYS | RENDER_KEYS))}")
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
        if key in RENDER_KEYS:
            continue
        values[key] = _number(key, value, "the project's director.toml") if key in _NUMBERS \
            else value
    values["base_url_from_config"] = bool(values.get("base_url"))
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
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in _KEYS - {"llm", "llm_timeout"}:
            raise UserError(f"unknown LLM setting {key!r}; known: {', '.join(sorted(_KEYS))}")
        values[key] = _number(key, value, "the settings") if key in _NUMBERS else value
    if values.get("base_url") in (env.get("OPENAI_BASE_URL"), overrides.get("base_url")):
        values["base_url_from_config"] = False  # the flag or environment named it too
    for key in ("llm", "base_url", "structured_output"):
        if values.get(key) is not None and not isinstance(values[key], str):
            raise UserError(f"{key} must be text; got {values[key]!r}")
    settings = replace(LLMSettings(), **values)
    _check(settings)
    return settings


def _number(key: str, value: Any, where: str) -> float | int:
    try:
        if isinstance(value, bool) or (_NUMBERS[key] is int and isinstance(value, float)
                                       and not value.is_integer()):
            raise TypeError
        number = _NUMBERS[key](value)
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"{key} from {where} must be a number; got {value!r}") from None
    if not math.isfinite(number):
        raise UserError(f"{key} from {where} must be a finite number; got {value!r}")
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
    OpenAI itself. The client does not retry (``max_retries=0``): the planner retries
    with :func:`call_with_retries`, within its time budget. A server named only by the
    project's config file gets a placeholder key, never OPENAI_API_KEY."""
    from langchain_openai import ChatOpenAI

    if settings.is_offline:
        raise ValueError("the offline director has no chat model")
    env = os.environ if env is None else env
    api_key = env.get("OPENAI_API_KEY")
    note = key_note(settings, env)
    if note:  # the planner shows it as a note too
        log.info("%s", note)
        api_key = LOCAL_SERVER_KEY
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
        max_retries=0,
        temperature=settings.temperature,
    )


def key_note(settings: LLMSettings, env: Mapping[str, str] | None = None) -> str | None:
    """Why OPENAI_API_KEY is withheld from the server, when it is (None otherwise)."""
    env = os.environ if env is None else env
    if not (settings.base_url_from_config and env.get("OPENAI_API_KEY")):
        return None
    return (f"OPENAI_API_KEY is not sent to {settings.base_url}: that server is named only by"
            " the project's config file (project folders get shared); to send the key, set"
            " OPENAI_BASE_URL to the same URL")


def call_with_retries(call: Callable[[float], R], settings: LLMSettings, deadline: float, *,
                      clock: Callable[[], float] = time.monotonic,
                      sleep: Callable[[float], None] = time.sleep,
                      rng: random.Random | None = None) -> R:
    """``call(timeout)``, retried up to ``settings.max_retries`` times on 429, 408, 409,
    5xx, timeouts and lost connections, with exponential backoff and jitter, or the wait
    the server asks for (``Retry-After``). Each try's timeout and each wait end by
    ``deadline`` (a ``clock()`` time): a wait that would pass it is not begun, and the
    last error is raised instead. Other errors are raised at once."""
    import openai

    rng = rng or random.Random()
    tries = 0
    while True:
        remaining = deadline - clock()
        timeout = min(settings.request_timeout, remaining)
        if timeout <= 0:
            raise TimeoutError("the planning time budget is spent")
        tries += 1
        try:
            return call(timeout)
        except openai.APIStatusError as error:
            if not (error.status_code in RETRY_STATUSES or error.status_code >= 500) \
                    or tries > settings.max_retries:
                raise
            wait = _retry_after(error.response.headers)
            last: Exception = error
        except openai.APIConnectionError as error:  # timeouts included
            if tries > settings.max_retries:
                raise
            wait, last = None, error
        if wait is None:
            wait = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (tries - 1)) * rng.uniform(0.75, 1.0)
        if wait >= deadline - clock():
            log.info("not retrying: a wait of %.1f s would pass the time budget", wait)
            raise last
        log.info("retrying in %.2f s after %s", wait, type(last).__name__)
        sleep(wait)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a server asks for in ``retry-after-ms`` or ``retry-after`` (seconds or an
    HTTP date), in seconds; None when it asks for none."""
    try:
        if headers.get("retry-after-ms"):
            wait = float(headers["retry-after-ms"]) / 1000
        elif headers.get("retry-after"):
            value = headers["retry-after"]
            try:
                wait = float(value)
            except ValueError:
                when = email.utils.parsedate_to_datetime(value)
                if when.tzinfo is None:  # HTTP dates are GMT
                    when = when.replace(tzinfo=datetime.timezone.utc)
                wait = when.timestamp() - time.time()
        else:
            return None
    except (TypeError, ValueError, OverflowError):
        return None
    return wait if wait > 0 else None  # 0 or a past date: no wait asked, back off as usual


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with the API key (if it occurs) replaced by '***'."""
    env = os.environ if env is None else env
    key = env.get("OPENAI_API_KEY")
    return text.replace(key, "***") if key and len(key) >= 4 else text
