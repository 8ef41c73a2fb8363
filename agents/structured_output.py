"""One structured-output step with a chat model: a schema asked for, a JSON answer back.

:class:`StructuredChat` is what the planner (and any other agent) asks through. For an
OpenAI-compatible server it sends the request itself through the OpenAI client that
LangChain's ``ChatOpenAI`` holds, because three things need the raw stream:

- **the request format adapts** (``structured_output = "auto"``): ``json_schema``, and
  when the server refuses that request format (HTTP 400/422/500 naming
  ``response_format``, ``json_schema`` or ``tools``) ``json_mode``, then function calling,
  then plain JSON with the schema in the instructions. What worked is kept per server for
  the rest of the run (:data:`WORKED`) and said once in a note.
- **answers are bounded**: each request carries the step's token limit in ``max_tokens``
  (what llama.cpp, llama-cpp-python, Ollama and LM Studio read) and
  ``max_completion_tokens`` (what OpenAI's newer models and vLLM read; OpenAI itself gets
  only this one). The answer is streamed and reading stops as soon as the JSON value
  closes, or at the limit when a server ignores it. An answer cut at the limit is read as
  far as it goes (``agents.json_stream``).
- **time is bounded**: each step has its own deadline inside the plan's budget, checked
  between streamed chunks, and the waiting is reported (tokens received) to ``progress``.

Other LangChain chat models (the fakes in tests) go through ``with_structured_output``.
Problems with an answer go back to the model with the errors, up to ``max_attempts``
answers; an answer cut at the limit is asked for once more, shorter.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agents import prompts
from agents.chat_models import LLMSettings, call_with_retries, key_note, redact
from agents.json_stream import JsonScanner, parse_cut
from agents.schemas import response_format_schema
from storyboard.errors import StoryboardError, UserError
from storyboard.validation import problems_from

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

AUTO_METHODS = ("json_schema", "json_mode", "function_calling", "plain")
"""the order ``structured_output = "auto"`` tries request formats in"""
WORKED: dict[str, str] = {}
"""server -> the request format that worked there, for the rest of the run"""
NO_COMPLETION_FIELD: set[str] = set()
"""servers that refused ``max_completion_tokens``: they get ``max_tokens`` alone"""
REFUSAL_STATUSES = (400, 422, 500)
REFUSAL_WORDS = ("response_format", "json_schema", "json_object", "tools", "tool_choice")
SHOWN_ANSWER_CHARS = 200
CHARS_PER_TOKEN = 4
"""what a streamed chunk is counted as when a server ignores the token limit"""

Progress = Callable[[str, int, float], None]
"""(step label, tokens received so far, seconds waited on this step)"""


class ModelUnavailable(UserError):
    """The model server did not answer (no connection, HTTP error, request timeout)."""


class UnusableAnswer(UserError):
    """The model kept answering with something that cannot be made into the step's
    result; the message shows (the start of) its last answer."""


class OutOfTime(UserError):
    """The step's share of the time budget ran out before a usable answer came."""


@dataclass
class Answer:
    """One streamed answer."""

    text: str
    data: Any
    """the JSON value read from it (as far as it goes when it broke off); None if none"""
    other_readings: list[Any] = field(default_factory=list)
    """for an answer that broke off: less sure readings, each dropping more (json_stream)"""
    cut: bool = False
    """the answer reached the token limit before its JSON value closed"""
    late: bool = False
    """the step's share of the time ran out before its JSON value closed"""
    tokens: int = 0


def stderr_progress(first_after: float = 3.0, every: float = 5.0) -> Progress:
    """Progress for a person waiting on a slow model: a line on stderr once a step has
    taken ``first_after`` seconds, then every ``every`` seconds."""
    shown: dict[str, float] = {}

    def report(label: str, tokens: int, waited: float) -> None:
        if waited < first_after or waited - shown.get(label, -every) < every:
            return
        shown[label] = waited
        print(f"planning: {label}: {tokens} tokens received in {waited:.0f} s",
              file=sys.stderr, flush=True)
    return report


def refuses_format(error: Exception) -> bool:
    """Whether ``error`` is a server refusing the request format itself (not the answer)."""
    import openai

    if not isinstance(error, openai.APIStatusError) or \
            error.status_code not in REFUSAL_STATUSES:
        return False
    text = f"{error.message} {getattr(error, 'body', '')}".lower()
    return any(word in text for word in REFUSAL_WORDS)


def _refuses_completion_field(error: Exception) -> bool:
    import openai

    return isinstance(error, openai.APIStatusError) and error.status_code in \
        REFUSAL_STATUSES and "max_completion_tokens" in f"{error.message} {error.body}"


@dataclass
class StructuredChat:
    """Asks a chat model for one schema at a time within one deadline for all steps
    (``settings.llm_timeout`` from creation). ``notes``: what the person should know
    (the request format that the server took)."""

    model: Any
    settings: LLMSettings
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    progress: Progress | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.deadline = self.clock() + self.settings.llm_timeout
        self.is_openai = type(self.model).__name__ == "ChatOpenAI"
        self.server = self.settings.base_url or "the OpenAI API"

    @property
    def remaining(self) -> float:
        return self.deadline - self.clock()

    def ask(self, step: str, system: str, user: str, schema: type[T],
            build: Callable[[T], R], *, max_tokens: int | None = None,
            seconds: float | None = None, shorter: str = "", label: str = "") -> R:
        """``build(answer)`` for the model's answer in ``schema``. Problems go back to
        the model, up to ``max_attempts`` answers; an answer cut at ``max_tokens`` is read
        as far as it goes and, if that is not usable, asked for once more with
        ``shorter`` (how to make it shorter). ``seconds``: this step's share of the time
        left (all of it when None). Raises ModelUnavailable, UnusableAnswer or
        OutOfTime."""
        deadline = self.deadline if seconds is None else min(self.deadline,
                                                             self.clock() + seconds)
        messages: list[tuple[str, str]] = [("system", system), ("user", user)]
        text, problems, shortened = "", ["no answer"], False
        attempt, answers, late = 0, 0, ""
        while attempt < self.settings.max_attempts:
            attempt += 1
            try:
                answer = self._answer(step, label or step, messages, schema, max_tokens,
                                      deadline)
            except OutOfTime:
                if not answers:
                    raise
                late = "; its share of --llm-timeout ran out before it answered again"
                break
            answers += 1
            text = answer.text
            built, problems = _build(answer.data, schema, build)
            for reading in answer.other_readings if problems else ():
                built, more = _build(reading, schema, build)
                if not more:
                    problems = []
                    break
            if not problems:
                if answer.late:
                    self.notes.append(f"{step}: the answer was still coming when its share of"
                                      f" --llm-timeout ran out ({answer.tokens} tokens); its"
                                      " complete part was used")
                elif answer.cut:
                    self.notes.append(f"{step}: the answer reached its token limit"
                                      f" ({max_tokens or answer.tokens}); its complete part"
                                      " was used")
                return built
            problems = [redact(p) for p in problems]
            log.info("%s: answer %d unusable: %s", step, attempt, "; ".join(problems)[:500])
            if answer.late:
                log.debug("%s: the late answer: %s", step, redact(text)[:4000])
                if answers == 1:
                    raise self._out_of_time(step, deadline)
                late = "; its share of --llm-timeout ran out while it answered again"
                break
            if answer.cut and not shortened:
                shortened = True
                attempt -= 1  # the shorter request is the one extra try
                retry = prompts.SHORTER.format(tokens=max_tokens or answer.tokens,
                                               shorter=shorter or "keep every text short")
            else:
                retry = prompts.RETRY.format(problems="\n".join(f"- {p}" for p in problems[:20]))
            messages += [("assistant", text[:8000] or "(empty)"), ("user", retry)]
        shown = redact(text.strip()[:SHOWN_ANSWER_CHARS]).replace("\n", " ")
        more = f" (first {SHOWN_ANSWER_CHARS} characters)" if len(text.strip()) > \
            SHOWN_ANSWER_CHARS else ""
        raise UnusableAnswer(
            f"the model {self.settings.llm!r} gave no usable {step} in"
            f" {answers} answer(s): {problems[0]}"
            f"{f' (and {len(problems) - 1} more)' if len(problems) > 1 else ''}{late};"
            f" its last answer began: {shown!r}{more}. Try a stronger model, or --llm offline"
        )

    # -- one answer ----------------------------------------------------------------------
    def _answer(self, step: str, label: str, messages: list[tuple[str, str]],
                schema: type[BaseModel], max_tokens: int | None, deadline: float) -> Answer:
        if deadline - self.clock() <= 0:
            raise self._out_of_time(step, deadline)
        if not self.is_openai:
            return self._langchain_answer(step, messages, schema)
        import openai

        methods = [WORKED[self.server]] if self.server in WORKED else (
            list(AUTO_METHODS) if self.settings.structured_output == "auto"
            else [self.settings.structured_output])
        refused: list[str] = []
        for method in methods:
            try:
                answer = call_with_retries(
                    lambda timeout, method=method: self._stream(
                        label, messages, schema, method, max_tokens, timeout, deadline),
                    self.settings, deadline, clock=self.clock, sleep=self.sleep,
                    give_up=lambda e: refuses_format(e) or _refuses_completion_field(e))
            except (TimeoutError, OutOfTime, openai.APITimeoutError):
                raise self._out_of_time(step, deadline) from None  # reachable, but slow
            except Exception as error:  # noqa: BLE001 - sorted into messages a person can act on
                if _refuses_completion_field(error) and self.server not in NO_COMPLETION_FIELD:
                    NO_COMPLETION_FIELD.add(self.server)
                    return self._answer(step, label, messages, schema, max_tokens, deadline)
                if refuses_format(error) and method != methods[-1]:
                    refused.append(f"{method} (HTTP {error.status_code})")
                    log.info("%s refused %s: %s", self.server, method, redact(error.message))
                    continue
                if refuses_format(error):
                    raise ModelUnavailable(
                        f"the model server at {self.server} refused the request format"
                        f" {_METHOD_NAMES[method]} (HTTP {error.status_code}):"
                        f" {_one_line(error.message)}; set structured_output = \"auto\" to"
                        " let the planner find one it takes") from None
                raise ModelUnavailable(self._describe(error, step)) from None
            if self.server not in WORKED:
                WORKED[self.server] = method
                if refused:
                    self.notes.append(
                        f"the server at {self.server} refused the request format"
                        f" {', '.join(refused)}; planning used {_METHOD_NAMES[method]} for"
                        " the rest of the run (set structured_output to skip the tries)")
            return answer
        raise AssertionError("unreachable: the last method raises")  # pragma: no cover

    def _stream(self, label: str, messages: list[tuple[str, str]], schema: type[BaseModel],
                method: str, max_tokens: int | None, timeout: float, deadline: float) -> Answer:
        """One streamed request; reading stops when the JSON value closes, at
        ``max_tokens`` tokens (counted from the chunks, for servers that ignore the
        limit), or at ``deadline`` (an answer that is ``late``: read as far as it goes)."""
        format_schema = response_format_schema(schema)
        system = messages[0][1]
        options: dict[str, Any] = {}
        if method == "json_schema":
            options["response_format"] = {"type": "json_schema", "json_schema": format_schema}
        elif method == "function_calling":
            options["tools"] = [{"type": "function", "function": {
                "name": format_schema["name"], "description": format_schema["description"],
                "parameters": format_schema["schema"]}}]
            options["tool_choice"] = {"type": "function",
                                      "function": {"name": format_schema["name"]}}
        else:  # json_mode and plain JSON: the schema goes in the instructions
            if method == "json_mode":  # llama.cpp's servers hold the answer to a schema sent so
                options["response_format"] = {"type": "json_object"} | (
                    {"schema": format_schema["schema"]} if self.settings.base_url else {})
            system += f"\nJSON Schema of the answer: {json.dumps(format_schema['schema'])}"
        if max_tokens:
            if self.settings.base_url is not None:  # OpenAI refuses the older field
                options["max_tokens"] = max_tokens
            if self.server not in NO_COMPLETION_FIELD:
                options["max_completion_tokens"] = max_tokens
        client = self.model.root_client
        start = self.clock()
        stream = client.chat.completions.create(
            model=self.settings.model_name, stream=True, timeout=timeout,
            temperature=self.settings.temperature,
            messages=[{"role": role, "content": text}
                      for role, text in [("system", system), *messages[1:]]],
            **options)
        scanner, tokens, finish = JsonScanner(), 0, None
        closed, late = None, False
        with stream:
            for chunk in stream:
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                finish = choice.finish_reason or finish
                delta = choice.delta
                piece = (delta.content or "") if delta else ""
                for call in (delta.tool_calls or []) if delta else []:
                    piece += (call.function.arguments or "") if call.function else ""
                if piece:  # a chunk is a token or more: about 4 characters a token
                    tokens += max(1, round(len(piece) / CHARS_PER_TOKEN))
                    closed = scanner.feed(piece)
                if self.progress is not None:
                    self.progress(label, tokens, self.clock() - start)
                if closed is not None or (max_tokens and tokens >= max_tokens):
                    break
                if self.clock() >= deadline:
                    late = True
                    break
        text = scanner.text
        if closed is not None:
            try:
                return Answer(text, json.loads(text[scanner.start:closed]), tokens=tokens)
            except json.JSONDecodeError:
                return Answer(text, None, tokens=tokens)
        cut = finish == "length" or bool(max_tokens and tokens >= max_tokens)
        readings = parse_cut(scanner.value_text, scanner.open) if scanner.start is not None \
            else []
        return Answer(text, readings[0] if readings else None, readings[1:],
                      cut=cut and bool(readings), late=late, tokens=tokens)

    def _langchain_answer(self, step: str, messages: list[tuple[str, str]],
                          schema: type[BaseModel]) -> Answer:
        """Through LangChain's ``with_structured_output`` (chat models other than
        ChatOpenAI: they read the pydantic class)."""
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        try:
            output = self.model.with_structured_output(schema, include_raw=True).invoke(
                [kinds[role](text) for role, text in messages])
        except Exception as error:  # noqa: BLE001 - sorted into messages a person can act on
            raise ModelUnavailable(self._describe(error, step)) from None
        text = _answer_text(output["raw"])
        data = output["parsed"] if output.get("parsing_error") is None else None
        if isinstance(data, BaseModel):
            data = data.model_dump()
        if data is None:
            scanner = JsonScanner()
            closed = scanner.feed(text)
            try:
                data = json.loads(text[scanner.start:closed]) if closed else None
            except json.JSONDecodeError:
                data = None
        return Answer(text, data)

    # -- messages a person can act on -----------------------------------------------------
    def _out_of_time(self, step: str, deadline: float) -> OutOfTime:
        whole = deadline >= self.deadline
        return OutOfTime(
            f"the model gave no usable {step} in time: within"
            f" {'the' if whole else 'its share of the'} time budget"
            f" ({self.settings.llm_timeout:g} s, --llm-timeout); raise --llm-timeout for a"
            " slow model")

    def _describe(self, error: Exception, step: str) -> str:
        import openai

        where = self.server
        retries = f"with up to {self.settings.max_retries} retries within --llm-timeout"
        if isinstance(error, openai.APITimeoutError):
            return (f"the model server at {where} gave no {step} in time ({retries};"
                    " raise request_timeout or --llm-timeout for slow local models)")
        if isinstance(error, openai.AuthenticationError):
            withheld = key_note(self.settings)
            return (f"the model server at {where} refused the request (HTTP 401): "
                    + (withheld if withheld else "check OPENAI_API_KEY"))
        if isinstance(error, openai.NotFoundError):
            return (f"the model server at {where} does not know model"
                    f" {self.settings.model_name!r} or the chat-completions path (HTTP 404)")
        if isinstance(error, openai.APIStatusError):
            body = _one_line(error.message)
            return (f"the model server at {where} answered HTTP {error.status_code} {retries}:"
                    f" {body}")
        if isinstance(error, openai.APIConnectionError):
            return f"cannot reach the model server at {where} ({retries}): is it running?"
        return f"the model call failed: {type(error).__name__}: {redact(str(error))[:200]}"


def _build(data: Any, schema: type[T], build: Callable[[T], R]) -> tuple[R | None, list[str]]:
    """(``build`` of ``data`` read as ``schema``, []) or (None, the problems)."""
    if not isinstance(data, dict):
        return None, ["the answer is not a JSON object"]
    try:
        return build(schema.model_validate(data)), []
    except ValidationError as error:
        return None, [str(p) for p in problems_from(error)] or ["invalid answer"]
    except StoryboardError as error:
        return None, [str(p) for p in error.problems] or ["invalid answer"]


_METHOD_NAMES = {"json_schema": "json_schema", "json_mode": "json_mode",
                 "function_calling": "function calling",
                 "plain": "plain JSON with the schema in the instructions"}


def _one_line(text: Any, limit: int = 200) -> str:
    return " ".join(redact(str(text)).split())[:limit]


def _answer_text(raw: Any) -> str:
    """The text of a LangChain answer, or its tool-call arguments when it called the
    schema."""
    content = getattr(raw, "content", "") or ""
    if isinstance(content, list):
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    if not content.strip():
        for call in getattr(raw, "tool_calls", None) or []:
            return json.dumps(call.get("args", {}))
    return str(content)
