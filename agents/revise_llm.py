"""The LLM reviser: a chat message and a compact view of the storyboard go to the chat
model (the planner's layer, ``agents.chat_models``), which answers with edit operations
through structured output (the JSON Schema of ``storyboard.edits.Edits``).

Each answer is checked by applying it to the storyboard. What is certain is repaired
without asking again (a shot named by its number, an entity or scene by its name, a colour
by its word, camera words with spaces, one operation not wrapped in a list); anything else
goes back to the model with the error, up to ``max_attempts`` answers, all within
``llm_timeout`` seconds.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from agents.chat_models import LLMSettings, call_with_retries, make_chat_model, redact
from agents.revise import ProposedEdits
from agents.revise_offline import COLOURS, SIZES
from agents.schemas import response_format_schema
from storyboard import Storyboard
from storyboard.edits import EditError, Edits, Operation, apply, parse_operations
from storyboard.errors import UserError

log = logging.getLogger(__name__)

SYSTEM = """You revise the storyboard of a short film as the person asks.
Answer with a JSON object {"operations": [...]} holding edit operations from the JSON
Schema, applied in order. Name shots, scenes and entities by their ids (in the storyboard
below). When the person says "shot 3" or "the last shot", count shots from 1 in film order.
An entity's appearance is its full fixed description: give the whole new text.
Change only what is asked. If nothing can be done with these operations, answer
{"operations": []}."""

RETRY = """That answer cannot be applied: {problem}
Answer again with the corrected JSON object only."""

SHOWN_ANSWER_CHARS = 300


def storyboard_view(board: Storyboard) -> str:
    """The compact view the model sees: ids, names, one line per shot."""
    lines = [f"title: {board.title!r}; style: {board.style.prompt!r}; "
             f"{board.format.fps} fps", "entities:"]
    lines += [f"- {e.id}: {e.name} ({e.kind}), colour {e.color}: {e.appearance!r}"
              for e in board.entities]
    number = 0
    for scene in board.scenes:
        lines.append(f"scene {scene.id}: {scene.setting!r}, {scene.time_of_day}")
        for shot in scene.shots:
            number += 1
            shows = sorted({p.entity for k in shot.keyframes for p in k.layout})
            keyframes = "; ".join(f"t={k.t:g} {k.prompt!r}" for k in shot.keyframes)
            lines.append(
                f"  shot {number} = {shot.id}: {shot.duration:g} s, {shot.camera.size}"
                f" {shot.camera.movement}, {shot.transition} in ({shot.transition_duration:g}"
                f" s), shows {', '.join(shows) or 'nothing'}, narration {shot.narration!r};"
                f" keyframes: {keyframes}")
    return "\n".join(lines)


# -- repairs where the fix is certain --------------------------------------------------


def _repairs(board: Storyboard) -> Callable[[Any, list[str]], Any]:
    shots = [s.id for _, s in board.iter_shots()]
    entity_by_name = {e.name.lower(): e.id for e in board.entities}
    scene_ids = [s.id for s in board.scenes]

    def shot(value: Any, notes: list[str]) -> Any:
        text = str(value).strip().lower().removeprefix("shot").strip()
        if value not in shots and text.isdigit() and 1 <= int(text) <= len(shots):
            notes.append(f"shot {value!r} read as shot number {text} ({shots[int(text) - 1]})")
            return shots[int(text) - 1]
        return value

    def entity(value: Any, notes: list[str]) -> Any:
        if isinstance(value, str) and value not in board.entity_map and \
                value.lower() in entity_by_name:
            notes.append(f"entity {value!r} read as its id {entity_by_name[value.lower()]!r}")
            return entity_by_name[value.lower()]
        return value

    def scene(value: Any, notes: list[str]) -> Any:
        text = str(value).strip().lower().removeprefix("scene").strip()
        if value not in scene_ids and text.isdigit() and 1 <= int(text) <= len(scene_ids):
            notes.append(f"scene {value!r} read as scene number {text}")
            return scene_ids[int(text) - 1]
        return value

    def colour(value: Any, notes: list[str]) -> Any:
        if isinstance(value, str) and value.strip().lower() in COLOURS:
            notes.append(f"colour {value!r} written as {COLOURS[value.strip().lower()]}")
            return COLOURS[value.strip().lower()]
        return value

    def size(value: Any, notes: list[str]) -> Any:
        word = re.sub(r"\s+", " ", str(value).strip().lower()).removesuffix(" shot")
        return SIZES.get(word, value)

    def movement(value: Any, notes: list[str]) -> Any:
        return re.sub(r"[\s_]+", "-", value.strip().lower()) if isinstance(value, str) else value

    fixes = {"shot": shot, "after": shot, "first": shot, "second": shot, "entity": entity,
             "scene": scene, "color": colour, "size": size, "movement": movement}

    def repair(data: Any, notes: list[str]) -> Any:
        if isinstance(data, dict) and "operations" not in data and "op" in data:
            data = {"operations": [data]}
        if isinstance(data, list):
            data = {"operations": data}
        if not isinstance(data, dict) or not isinstance(data.get("operations"), list):
            return data
        for op in data["operations"]:
            if not isinstance(op, dict):
                continue
            for key, fix in fixes.items():
                if op.get(key) is not None:
                    op[key] = fix(op[key], notes)
            if isinstance(op.get("entities"), list):
                op["entities"] = [entity(e, notes) for e in op["entities"]]
        return data

    return repair


# -- the conversation ---------------------------------------------------------------------


def _answer_text(raw: Any) -> str:
    content = getattr(raw, "content", "") or ""
    if isinstance(content, list):
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    if not str(content).strip():
        for call in getattr(raw, "tool_calls", None) or []:
            return json.dumps(call.get("args", {}))
    return str(content)


def _json_in(text: str) -> Any:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return json.loads(text[start:end + 1])
    except json.JSONDecodeError:
        return None


class _Reviser:
    def __init__(self, settings: LLMSettings, chat_model, clock: Callable[[], float]) -> None:
        self.settings, self.model, self.clock = settings, chat_model, clock
        self.deadline = clock() + settings.llm_timeout

    def _invoke(self, messages: list) -> dict[str, Any]:
        if type(self.model).__name__ != "ChatOpenAI":  # fake test models read the class
            return self.model.with_structured_output(Edits, include_raw=True).invoke(messages)
        method = self.settings.structured_output
        # the reviser does not adapt per server yet (the planner's StructuredChat does):
        # "auto" asks for json_schema; "plain" falls back to json_mode with the schema
        method = {"auto": "json_schema", "plain": "json_mode"}.get(method, method)
        schema: Any = response_format_schema(Edits)
        if method == "function_calling":
            schema = {"name": schema["name"], "description": schema["description"],
                      "parameters": schema["schema"]}
        elif method == "json_mode":
            from langchain_core.messages import SystemMessage

            messages = [SystemMessage(f"{messages[0].content}\nJSON Schema of the answer: "
                                      f"{json.dumps(Edits.model_json_schema())}"),
                        *messages[1:]]

        def call(timeout: float) -> dict[str, Any]:
            return self.model.with_structured_output(
                schema, include_raw=True, method=method, timeout=timeout).invoke(messages)

        return call_with_retries(call, self.settings, self.deadline, clock=self.clock)

    def revise(self, board: Storyboard, message: str) -> ProposedEdits:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        repair = _repairs(board)
        messages: list = [SystemMessage(SYSTEM), HumanMessage(
            f"Storyboard:\n{storyboard_view(board)}\n\nThe person asks:\n<message>\n"
            f"{message.replace('<', '&lt;')}\n</message>")]
        problem, text = "no answer", ""
        for attempt in range(1, self.settings.max_attempts + 1):
            if self.clock() >= self.deadline:
                break
            try:
                output = self._invoke(messages)
            except TimeoutError:
                break
            except Exception as error:  # noqa: BLE001 - one line a person can act on
                if "Timeout" in type(error).__name__:  # the budget capped the request
                    self.deadline = min(self.deadline, self.clock())
                    break
                raise UserError(f"the model {self.settings.llm!r} could not be asked: "
                                f"{type(error).__name__}: {redact(str(error))[:200]}"
                                f" (nothing was changed)") from None
            text = _answer_text(output.get("raw"))
            data = output.get("parsed") if output.get("parsing_error") is None else None
            if hasattr(data, "model_dump"):
                data = data.model_dump(mode="json", exclude_none=True)
            if data is None:
                data = _json_in(text)
            notes: list[str] = []
            try:
                operations = self._check(board, repair(data, notes))
                return ProposedEdits(operations, self.settings.llm, notes)
            except EditError as error:
                problem = redact(str(error))
            log.info("revision answer %d unusable: %s", attempt, problem[:300])
            messages += [AIMessage(text[:8000] or "(empty)"),
                         HumanMessage(RETRY.format(problem=problem))]
        if self.clock() >= self.deadline:
            raise UserError(f"the model {self.settings.llm!r} gave no usable revision in time"
                            f" (--llm-timeout {self.settings.llm_timeout:g} s, request_timeout"
                            f" {self.settings.request_timeout:g} s); nothing was changed")
        shown = redact(text.strip()[:SHOWN_ANSWER_CHARS]).replace("\n", " ")
        raise UserError(f"the model {self.settings.llm!r} gave no usable revision in"
                        f" {self.settings.max_attempts} answer(s): {problem}; its last answer"
                        f" began: {shown!r}. Nothing was changed; rephrase, or try"
                        f" --llm offline")

    @staticmethod
    def _check(board: Storyboard, data: Any) -> list[Operation]:
        if not isinstance(data, dict):
            raise EditError("the answer is not a JSON object {\"operations\": [...]}")
        operations = parse_operations(data)
        if not operations:
            raise UserError("the model found no edit it can make for this message; nothing"
                            " was changed")
        apply(board, operations)  # raises EditError naming the operation, field and value
        return operations


def revise_with_llm(board: Storyboard, message: str, settings: LLMSettings, *,
                    chat_model=None, clock: Callable[[], float] = time.monotonic
                    ) -> ProposedEdits:
    """Edit operations for ``message`` from the configured chat model (``chat_model``
    replaces it, e.g. in tests); UserError when no usable answer comes in time."""
    model = chat_model if chat_model is not None else make_chat_model(settings)
    return _Reviser(settings, model, clock).revise(board, message)
