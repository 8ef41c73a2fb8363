"""The LLM director: a storyboard planned in two stages, as VideoDirectorGPT plans.

1. The film: scenes, shots (description, duration, camera, transition, narration),
   entities with fixed appearance text and per-keyframe prompts. A long film is first
   outlined as scenes whose durations sum to the requested length, then each scene's
   shots are asked for in a request of their own, given the entity list so that ids
   and appearances stay the same across the film.
2. Per shot: the keyframe layouts (a box per visible entity) and scene-graph relations,
   with few-shot examples of good layouts and motion.

Every answer goes through LangChain's structured output (the JSON Schema is sent; the raw
answer is kept), then deterministic repairs (``agents.repair``), then validation. What
cannot be repaired goes back to the model with the problems, a bounded number of times
and within one time budget. A shot whose layouts never come is laid out by the offline
director; a plan that never comes is one clear error that shows what the model said.
The planner has no tools: its only output is a validated storyboard.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agents import prompts
from agents.chat_models import (
    LLMSettings,
    call_with_retries,
    key_note,
    make_chat_model,
    redact,
)
from agents.offline import DirectorConfig, find_length
from agents.repair import (
    CAMERA_MOVEMENTS,
    CAMERA_SIZES,
    FORMAT_MAX_SHOT_SECONDS,
    TRANSITIONS,
    EntityIndex,
    Repairs,
    build_entities,
    choose,
    complete_keyframes,
    fit_durations,
    frame_counts,
    keyframe_times,
    min_shot_seconds,
    placements,
    relations,
    shot_duration,
    shot_signature,
    transition_seconds,
)
from agents.schemas import (
    OutlineDraft,
    PlanDraft,
    SceneShotsDraft,
    ShotDraft,
    ShotLayoutDraft,
    response_format_schema,
)
from storyboard.errors import StoryboardError, UserError
from storyboard.models import Entity, Format, Placement, Relation, Storyboard
from storyboard.timing import round_frames
from storyboard.validation import problems_from, validate

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

LONG_FILM_SECONDS = 120.0
"""films longer than this are outlined first and planned scene by scene"""
MIN_SCENE_SECONDS = 2.0
"""a long film's scene is given at least this long (unless the film has too many scenes)"""
TRANSITION_SECONDS = 0.5
"""a crossfade or fade, unless a quarter of the shots it joins is shorter"""
SHOWN_ANSWER_CHARS = 200


@dataclass
class PlanResult:
    """A storyboard and what the person should know about how it was made."""

    storyboard: Storyboard
    notes: list[str] = field(default_factory=list)


class ModelUnavailable(UserError):
    """The model server did not answer (timeout, HTTP error, no connection)."""


class UnusableAnswer(UserError):
    """The model kept answering with something that cannot be made into the step's
    result; the message shows (the start of) its last answer."""


@dataclass
class _ShotPlan:
    description: str
    duration: float
    camera: dict[str, str]
    transition: str
    narration: str
    entities: list[str]
    keyframes: list[tuple[float, str]]


@dataclass
class _ScenePlan:
    setting: str
    time_of_day: str
    shots: list[_ShotPlan]
    summary: str = ""


# -- talking to the model --------------------------------------------------------------
class _Conversation:
    """Asks the chat model for one schema at a time, repairing and re-asking, within one
    deadline for the whole plan."""

    def __init__(self, model, settings: LLMSettings, clock: Callable[[], float],
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.model = model
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.deadline = clock() + settings.llm_timeout
        self.is_openai = type(model).__name__ == "ChatOpenAI"

    def ask(self, step: str, system: str, user: str, schema: type[T],
            build: Callable[[T], R]) -> R:
        """``build(answer)`` for the model's answer in ``schema``; problems go back to the
        model up to ``max_attempts`` answers. Raises ModelUnavailable or UnusableAnswer."""
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        messages: list = [SystemMessage(system), HumanMessage(user)]
        text, problems = "", ["no answer"]
        for attempt in range(1, self.settings.max_attempts + 1):
            output = self._invoke(step, schema, messages)
            raw = output["raw"]
            text = _answer_text(raw)
            data = output["parsed"] if output.get("parsing_error") is None else None
            if isinstance(data, BaseModel):  # models parsed by LangChain's tool parsers
                data = data.model_dump()
            if data is None:
                data = _lenient_json(text)
            if not isinstance(data, dict):
                problems = ["the answer is not a JSON object"]
            else:
                try:
                    return build(schema.model_validate(data))
                except ValidationError as error:
                    problems = [str(p) for p in problems_from(error)]
                except StoryboardError as error:
                    problems = [str(p) for p in error.problems]
            problems = [redact(p) for p in problems]
            log.info("%s: answer %d unusable: %s", step, attempt, "; ".join(problems)[:500])
            messages += [AIMessage(text[:8000] or "(empty)"), HumanMessage(
                prompts.RETRY.format(problems="\n".join(f"- {p}" for p in problems[:20])))]
        shown = redact(text.strip()[:SHOWN_ANSWER_CHARS]).replace("\n", " ")
        more = f" (first {SHOWN_ANSWER_CHARS} characters)" if len(text.strip()) > \
            SHOWN_ANSWER_CHARS else ""
        raise UnusableAnswer(
            f"the model {self.settings.llm!r} gave no usable {step} in"
            f" {self.settings.max_attempts} answer(s): {problems[0]}"
            f"{f' (and {len(problems) - 1} more)' if len(problems) > 1 else ''};"
            f" its last answer began: {shown!r}{more}. Try a stronger model, or --llm offline"
        )

    def _invoke(self, step: str, schema: type[BaseModel], messages: list) -> dict[str, Any]:
        remaining = self.deadline - self.clock()
        if remaining <= 0:
            raise self._out_of_time(step)
        if not self.is_openai:  # the fake test models read the pydantic class
            structured = self.model.with_structured_output(schema, include_raw=True)
            try:
                return structured.invoke(messages)
            except Exception as error:  # noqa: BLE001 - sorted into messages a person can act on
                raise ModelUnavailable(self._describe(error, step)) from None
        method = self.settings.structured_output
        format_schema: Any = response_format_schema(schema)
        if method == "function_calling":
            format_schema = {"name": format_schema["name"],
                             "description": format_schema["description"],
                             "parameters": format_schema["schema"]}
        elif method == "json_mode":  # the schema goes in the instructions instead
            from langchain_core.messages import SystemMessage

            messages = [SystemMessage(f"{messages[0].content}\nJSON Schema of the answer:"
                                      f" {json.dumps(schema.model_json_schema())}"),
                        *messages[1:]]

        def call(timeout: float) -> dict[str, Any]:
            # each try gets the time left of the budget, at most request_timeout
            return self.model.with_structured_output(
                format_schema, include_raw=True, method=method, timeout=timeout
            ).invoke(messages)

        try:
            return call_with_retries(call, self.settings, self.deadline, clock=self.clock,
                                     sleep=self.sleep)
        except TimeoutError:
            raise self._out_of_time(step) from None
        except Exception as error:  # noqa: BLE001 - sorted into messages a person can act on
            raise ModelUnavailable(self._describe(error, step)) from None

    def _out_of_time(self, step: str) -> ModelUnavailable:
        return ModelUnavailable(
            f"planning ran out of its time budget ({self.settings.llm_timeout:g} s,"
            " --llm-timeout) before the model gave a usable " + step)

    def _describe(self, error: Exception, step: str) -> str:
        import openai

        where = self.settings.base_url or "the OpenAI API"
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
            body = redact(str(error.message))[:200]
            return (f"the model server at {where} answered HTTP {error.status_code} {retries}:"
                    f" {body}")
        if isinstance(error, openai.APIConnectionError):
            return f"cannot reach the model server at {where} ({retries}): is it running?"
        return f"the model call failed: {type(error).__name__}: {redact(str(error))[:200]}"


def _answer_text(raw: Any) -> str:
    """The text of an answer, or its tool-call arguments when it called the schema."""
    content = getattr(raw, "content", "") or ""
    if isinstance(content, list):
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    if not content.strip():
        for call in getattr(raw, "tool_calls", None) or []:
            return json.dumps(call.get("args", {}))
        for call in (getattr(raw, "additional_kwargs", {}) or {}).get("tool_calls", []):
            return str(call.get("function", {}).get("arguments", ""))
    return str(content)


def _lenient_json(text: str) -> Any:
    """The JSON object in ``text`` when prose or fences surround it; None when none."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return json.loads(text[start:end + 1])
    except json.JSONDecodeError:
        return None


# -- requested length ------------------------------------------------------------------
def requested_seconds(request: str) -> float | None:
    """The length a request names ('a 10-minute film', 'two minutes about a fox'), if any:
    the offline director's reading, so both planners agree."""
    return find_length(request)[0]


# -- the planner -----------------------------------------------------------------------
class LLMPlanner:
    """Plans a storyboard with a chat model (see the module docstring)."""

    def __init__(self, settings: LLMSettings, chat_model=None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.model = chat_model if chat_model is not None else make_chat_model(settings)
        self.key_note = key_note(settings) if chat_model is None else None
        self.clock = clock
        self.sleep = sleep
        self.format = Format()

    def plan(self, request: str, seed: int = 0) -> PlanResult:
        """A validated storyboard and notes on what was repaired or filled in offline.
        UserError for a requested length the director does not make."""
        target = requested_seconds(request)
        _check_length(target)
        chat = _Conversation(self.model, self.settings, self.clock, self.sleep)
        repairs, notes = Repairs(), [self.key_note] if self.key_note else []
        # '<' escaped, so that the request cannot close its own <story> wrapper
        story = f"<story>\n{request.strip().replace('<', '‹')}\n</story>"
        fps = self.format.fps
        if target and target > LONG_FILM_SECONDS:
            head, scenes = self._plan_long(chat, story, target, seed, repairs, notes)
        else:
            head, scenes = chat.ask("plan", self._with_target(prompts.PLAN, target), story,
                                    PlanDraft, lambda d: self._film(d, repairs))
            _drop_duplicate_shots(scenes, repairs, set())
            if target:
                _fit_scenes(scenes, target, fps, repairs)
        entities = head["entities"]
        shots = [(f"scenes[{i}].shots[{j}]", shot) for i, scene in enumerate(scenes)
                 for j, shot in enumerate(scene.shots)]
        counts = frame_counts([shot.duration for _, shot in shots], fps)
        for (where, shot), frames in zip(shots, counts, strict=True):
            shot.keyframes = complete_keyframes(shot.keyframes, frames, shot.description,
                                                repairs, where)
        layouts = self._layouts(chat, scenes, entities, seed, repairs, notes)
        board = self._storyboard(head, scenes, layouts, seed, counts, repairs)
        notes[:0] = repairs.summary()
        return PlanResult(board, notes)

    # -- stage (a) -------------------------------------------------------------------
    @staticmethod
    def _with_target(system: str, target: float | None) -> str:
        if not target:
            return system + "\nTarget length: what the story needs (about 4 s per shot)."
        return system + f"\nTarget length: {target:g} seconds in all."

    def _film(self, draft: PlanDraft, repairs: Repairs) -> tuple[dict, list[_ScenePlan]]:
        repairs_here = Repairs()
        entities = build_entities(draft.entities, repairs_here)
        index = EntityIndex(entities)
        scenes = [
            _ScenePlan(s.setting.strip(), s.time_of_day.strip() or "day",
                       [self._shot(sh, index, repairs_here, f"scenes[{i}].shots[{j}]")
                        for j, sh in enumerate(s.shots)])
            for i, s in enumerate(draft.scenes)
        ]
        repairs.extend(repairs_here)  # only the answer that was used counts
        head = {"title": draft.title.strip(), "logline": draft.logline.strip(),
                "style": draft.style.strip(), "entities": entities}
        return head, scenes

    def _shot(self, draft: ShotDraft, index: EntityIndex, repairs: Repairs,
              where: str) -> _ShotPlan:
        duration = shot_duration(draft.duration, repairs, f"{where}.duration")
        times = keyframe_times([k.t for k in draft.keyframes], duration, repairs, where)
        keyframes = [(t, k.prompt.strip()) for t, k in zip(times, draft.keyframes, strict=True)
                     if t is not None and k.prompt.strip()]
        frames = round_frames(duration, self.format.fps)
        keyframes = complete_keyframes(keyframes, frames, draft.description, repairs, where)
        visible: list[str] = []
        for name in draft.entities:
            entity_id = index.resolve(name)
            if entity_id is None:
                repairs.add("unknown entity in a shot's entity list dropped", f"{where} {name!r}")
            elif entity_id not in visible:
                visible.append(entity_id)
        return _ShotPlan(
            description=draft.description.strip(),
            duration=duration,
            camera={"size": choose(draft.camera_size, CAMERA_SIZES, "medium", repairs,
                                   f"{where}.camera.size"),
                    "movement": choose(draft.camera_movement, CAMERA_MOVEMENTS, "static",
                                       repairs, f"{where}.camera.movement")},
            transition=choose(draft.transition, TRANSITIONS, "cut", repairs,
                              f"{where}.transition"),
            narration=draft.narration.strip(),
            entities=visible,
            keyframes=keyframes,
        )

    def _plan_long(self, chat: _Conversation, story: str, target: float, seed: int,
                   repairs: Repairs, notes: list[str]):
        """Outline (scenes with durations summing to ``target``), then each scene's shots
        in a request of its own; a scene whose shots never come is planned offline."""
        def outline(draft: OutlineDraft):
            here = Repairs()
            entities = build_entities(draft.entities, here)
            repairs.extend(here)
            head = {"title": draft.title.strip(), "logline": draft.logline.strip(),
                    "style": draft.style.strip(), "entities": entities}
            return head, draft.scenes

        head, outline_scenes = chat.ask("outline", self._with_target(prompts.OUTLINE, target),
                                        story, OutlineDraft, outline)
        raw = [d.duration if math.isfinite(d.duration) and d.duration > 0 else 0.0
               for d in outline_scenes]
        if any(d <= 0 for d in raw):
            repairs.add("impossible scene duration replaced by an equal share",
                        f"{sum(d <= 0 for d in raw)} scene(s)")
            share = target / len(raw)
            raw = [d if d > 0 else share for d in raw]
        floor = min(MIN_SCENE_SECONDS, target / len(raw))
        durations = fit_durations(raw, target, [floor] * len(raw), cap=target)
        index = EntityIndex(head["entities"])
        cast = [{"id": e.id, "name": e.name, "appearance": e.appearance}
                for e in head["entities"]]
        scenes: list[_ScenePlan] = []
        seen: set[str] = set()
        unavailable: str | None = None
        for i, (draft, seconds) in enumerate(zip(outline_scenes, durations, strict=True)):
            context = {"film": head["title"], "logline": head["logline"], "entities": cast,
                       "scene": {"number": i + 1, "of": len(durations),
                                 "setting": draft.setting, "time_of_day": draft.time_of_day,
                                 "summary": draft.summary, "duration_seconds": seconds}}
            scene = _ScenePlan(draft.setting.strip(), draft.time_of_day.strip() or "day", [],
                               draft.summary.strip())
            if unavailable is None:
                try:
                    scene.shots = chat.ask(
                        f"shot list of scene {i + 1}", prompts.SCENE_SHOTS,
                        json.dumps(context, ensure_ascii=False), SceneShotsDraft,
                        lambda d, i=i: self._scene_shots(d, index, repairs, i))
                except ModelUnavailable as error:
                    unavailable = str(error)
                except UnusableAnswer as error:
                    notes.append(f"scene {i + 1}: {error}")
            if not scene.shots:
                scene.shots = self._offline_scene_shots(scene, index, seed)
                notes.append(f"scene {i + 1}: shots planned by the offline director"
                             " (the model gave none)")
            _drop_duplicate_shots([scene], repairs, seen, first_scene=i)
            _fit_scenes([scene], seconds, self.format.fps, repairs, first_scene=i)
            scenes.append(scene)
        if unavailable:
            notes.append(f"the model stopped answering ({unavailable}); the remaining"
                         " scenes were planned by the offline director")
        return head, scenes

    def _scene_shots(self, draft: SceneShotsDraft, index: EntityIndex, repairs: Repairs,
                     scene: int) -> list[_ShotPlan]:
        here = Repairs()
        shots = [self._shot(s, index, here, f"scenes[{scene}].shots[{j}]")
                 for j, s in enumerate(draft.shots)]
        repairs.extend(here)
        return shots

    def _offline_scene_shots(self, scene: _ScenePlan, index: EntityIndex,
                             seed: int) -> list[_ShotPlan]:
        from agents.offline import plan_offline

        board = None
        for text in (scene.summary, scene.setting, "a quiet moment"):
            try:  # a summary like 'Two hours.' names a length, not a story
                board = plan_offline(find_length(text)[1], seed=seed)
                break
            except UserError:
                continue
        shots = []
        for _, shot in board.iter_shots() if board else ():
            visible = [i for i in (index.resolve(e.name) for e in board.entities
                                   if e.name.lower() in shot.description.lower()) if i]
            shots.append(_ShotPlan(shot.description, shot.duration, shot.camera.model_dump(),
                                   shot.transition, shot.narration, visible,
                                   [(k.t, k.prompt) for k in shot.keyframes]))
        return shots

    # -- stage (b) -------------------------------------------------------------------
    def _layouts(self, chat: _Conversation, scenes: list[_ScenePlan], entities: list[Entity],
                 seed: int, repairs: Repairs, notes: list[str]):
        """Per shot, per keyframe: (placements, relations); offline where the model fails."""
        index = EntityIndex(entities)
        by_id = {e.id: e for e in entities}
        result: dict[tuple[int, int], list[tuple[list[Placement], list[Relation]]]] = {}
        offline: list[str] = []
        unavailable: str | None = None
        for i, scene in enumerate(scenes):
            for j, shot in enumerate(scene.shots):
                where = f"scenes[{i}].shots[{j}]"
                if unavailable is None:
                    request = {
                        "shot": {"description": shot.description,
                                 "camera": f"{shot.camera['size']}, {shot.camera['movement']}",
                                 "setting": scene.setting,
                                 "entities": [{"id": e, "name": by_id[e].name,
                                               "appearance": by_id[e].appearance}
                                              for e in shot.entities],
                                 "keyframes": [{"t": t, "prompt": p} for t, p in shot.keyframes]},
                        "all_entity_ids": list(by_id),
                    }
                    try:
                        result[i, j] = chat.ask(
                            f"layout of {where}", prompts.LAYOUT,
                            json.dumps(request, ensure_ascii=False), ShotLayoutDraft,
                            lambda d, shot=shot, where=where: self._shot_layout(
                                d, shot, index, repairs, where))
                        continue
                    except ModelUnavailable as error:
                        unavailable = str(error)
                    except UnusableAnswer as error:
                        log.info("%s", error)
                result[i, j] = _offline_layout(shot, scene, entities, seed)
                offline.append(where)
        if offline:
            why = f" (the model stopped answering: {unavailable})" if unavailable else \
                " (the model's layouts were unusable)"
            shown = ", ".join(offline[:5]) + (", ..." if len(offline) > 5 else "")
            notes.append(f"layouts of {len(offline)} shot(s) made by the offline director"
                         f"{why}: {shown}")
        return result

    def _shot_layout(self, draft: ShotLayoutDraft, shot: _ShotPlan, index: EntityIndex,
                     repairs: Repairs, where: str):
        """The model's keyframe layouts matched to the shot's keyframe times (the nearest
        answer copied where a time has none)."""
        here = Repairs()
        answers = []
        for k, keyframe in enumerate(draft.keyframes):
            at = f"{where}.keyframes[{k}]"
            t = keyframe.t if math.isfinite(keyframe.t) else 0.0
            answers.append((t, placements(keyframe.layout, index, self.format, here, at),
                            relations(keyframe.relations, index, here, at)))
        if not any(p for _, p, _ in answers) and shot.entities:
            raise StoryboardError([_problem(where, "no keyframe has a usable box: give each"
                                            " visible entity a box [x0, y0, x1, y1] in 0..1")])
        layouts = []
        for t, _ in shot.keyframes:
            nearest = min(answers, key=lambda a: abs(a[0] - t))
            if abs(nearest[0] - t) > 1e-3:
                here.add("keyframe layout missing, copied from the nearest", f"{where} t={t}")
            layouts.append((nearest[1], nearest[2]))
        repairs.extend(here)
        return layouts

    # -- the document ----------------------------------------------------------------
    def _storyboard(self, head: dict, scenes: list[_ScenePlan], layouts, seed: int,
                    counts: list[int], repairs: Repairs) -> Storyboard:
        shots = [(f"scenes[{i}].shots[{j}]", shot) for i, scene in enumerate(scenes)
                 for j, shot in enumerate(scene.shots)]
        fades = {}
        for k, (where, shot) in enumerate(shots):
            before = max(0, k - 1)  # the first shot's fade joins it to nothing before it
            fades[id(shot)] = transition_seconds(
                TRANSITION_SECONDS, (counts[before], counts[k]),
                (shots[before][1].duration, shot.duration), self.format.fps)
            if fades[id(shot)] < TRANSITION_SECONDS and shot.transition != "cut":
                repairs.add("transition shortened to a quarter of the shorter shot it joins",
                            f"{where}.transition_duration {fades[id(shot)]:g} s")
        data = {
            "title": head["title"] or "Untitled",
            "logline": head["logline"],
            "style": {"prompt": head["style"]},
            "format": self.format.model_dump(),
            "seed": seed,
            "entities": [e.model_dump() for e in head["entities"]],
            "scenes": [
                {"id": f"scene-{i + 1}", "setting": scene.setting,
                 "time_of_day": scene.time_of_day,
                 "shots": [
                     {"id": f"scene-{i + 1}-shot-{j + 1}", "description": shot.description,
                      "duration": shot.duration, "camera": shot.camera,
                      "transition": shot.transition, "narration": shot.narration,
                      "transition_duration": fades[id(shot)],
                      "keyframes": [
                          {"t": t, "prompt": prompt,
                           "layout": [p.model_dump() for p in layouts[i, j][k][0]],
                           "relations": [r.model_dump() for r in layouts[i, j][k][1]]}
                          for k, (t, prompt) in enumerate(shot.keyframes)]}
                     for j, shot in enumerate(scene.shots)]}
                for i, scene in enumerate(scenes)
            ],
        }
        return validate(data, source="the planned storyboard")


def _problem(path: str, message: str):
    from storyboard.errors import Problem

    return Problem(path, message)


def _check_length(target: float | None) -> None:
    """UserError for a requested length outside what the director makes (the offline
    director's bounds, so that both planners take the same requests)."""
    config = DirectorConfig()
    if target is not None and not config.min_length_seconds <= target <= \
            config.max_length_seconds:
        raise UserError(f"the request asks for a {target:g}-second film; the director makes"
                        f" films of {config.min_length_seconds:g} s to"
                        f" {config.max_length_seconds / 60:g} minutes: ask for a length in"
                        " that range")


def _fit_scenes(scenes: list[_ScenePlan], target: float, fps: int, repairs: Repairs,
                first_scene: int = 0) -> None:
    """The shots of ``scenes`` timed to sum to ``target`` seconds, each long enough for
    its keyframes: the last shots dropped while the target has no room for them, the
    longest shot split in two while the shots cannot fill it within the format's longest
    shot, then the durations scaled (``fit_durations``). Scenes left empty are removed."""
    placed = [(scene, shot) for scene in scenes for shot in scene.shots]

    def floor(shot: _ShotPlan) -> float:
        return min(target, min_shot_seconds([t for t, _ in shot.keyframes], fps))

    while len(placed) > 1 and sum(floor(shot) for _, shot in placed) > target + 1e-9:
        scene, shot = placed.pop()
        where = f"scenes[{first_scene + scenes.index(scene)}].shots[{len(scene.shots) - 1}]"
        scene.shots.pop()  # the last shot of the film (of the last scene that has shots)
        repairs.add(f"shot dropped: {target:g} s has no room for it", where)
    scenes[:] = [scene for scene in scenes if scene.shots]
    while len(placed) * FORMAT_MAX_SHOT_SECONDS < target:
        k = max(range(len(placed)), key=lambda i: placed[i][1].duration)
        scene, shot = placed[k]
        at = next(j for j, s in enumerate(scene.shots) if s is shot)
        halves = _split_shot(shot)
        scene.shots[at:at + 1] = halves
        placed[k:k + 1] = [(scene, half) for half in halves]
        repairs.add(f"shot split in two to keep within {FORMAT_MAX_SHOT_SECONDS:g} s a shot",
                    f"scenes[{first_scene + scenes.index(scene)}].shots[{at}]")
    fitted = fit_durations([shot.duration for _, shot in placed], target,
                           [floor(shot) for _, shot in placed])
    for (_, shot), seconds in zip(placed, fitted, strict=True):
        shot.duration = seconds


def _split_shot(shot: _ShotPlan) -> list[_ShotPlan]:
    """``shot`` as two shots of half its length each, its keyframes shared between them
    (the one nearest the middle ends the first and starts the second)."""
    middle = min(shot.keyframes, key=lambda k: abs(k[0] - 0.5))[1]
    first = [(round(t * 2, 4), p) for t, p in shot.keyframes if t < 0.5] + [(1.0, middle)]
    second = [(0.0, middle)] + [(round(t * 2 - 1, 4), p) for t, p in shot.keyframes if t > 0.5]
    return [replace(shot, duration=shot.duration / 2, keyframes=first,
                    entities=list(shot.entities)),
            replace(shot, duration=shot.duration / 2, keyframes=second, transition="cut",
                    narration="", entities=list(shot.entities))]


def _drop_duplicate_shots(scenes: list[_ScenePlan], repairs: Repairs, seen: set[str],
                          first_scene: int = 0) -> None:
    """The same shot repeated is dropped (its time given to the shot before it), before
    the durations are fitted to the requested length. ``seen``: signatures of the shots
    kept so far (earlier scenes of the film)."""
    for i, scene in enumerate(scenes, start=first_scene):
        kept: list[_ShotPlan] = []
        for j, shot in enumerate(scene.shots):
            signature = shot_signature(shot.description, (p for _, p in shot.keyframes))
            if signature in seen and (kept or j < len(scene.shots) - 1):
                repairs.add("repeated shot dropped", f"scenes[{i}].shots[{j}]")
                if kept:  # within the format's cap: a film with no requested length is not
                    # fitted again
                    kept[-1].duration = round(min(FORMAT_MAX_SHOT_SECONDS,
                                                  kept[-1].duration + shot.duration), 2)
                continue
            seen.add(signature)
            kept.append(shot)
        scene.shots = kept


def _offline_layout(shot: _ShotPlan, scene: _ScenePlan, entities: list[Entity],
                    seed: int) -> list[tuple[list[Placement], list[Relation]]]:
    """Layouts from the offline director for a shot the model could not lay out: its
    layout of the shot's text, entities matched by name; entities it does not place are
    set side by side on the ground."""
    from agents.offline import plan_offline

    index = EntityIndex(entities)
    names = {e.id: e.name for e in entities}
    text = shot.description or (shot.keyframes[0][1] if shot.keyframes else scene.setting)
    try:
        board = plan_offline(text, seed=seed)
        offline_shot = next(s for _, s in board.iter_shots())
        offline_names = {e.id: e.name for e in board.entities}
    except (UserError, StopIteration):
        offline_shot, offline_names = None, {}
    def ours(offline_id: str) -> str | None:
        return index.resolve(offline_names.get(offline_id, offline_id))

    layouts = []
    for t, _ in shot.keyframes:
        placed: list[Placement] = []
        edges: list[Relation] = []
        if offline_shot is not None:
            for p in offline_shot.layout_at(t):
                entity_id = ours(p.entity)
                if entity_id and entity_id not in {q.entity for q in placed}:
                    placed.append(Placement(entity=entity_id, phrase=names[entity_id],
                                            box=p.box))
            for r in offline_shot.keyframe_at(t).relations:
                ends = ours(r.subject), ours(r.object)
                if None not in ends and ends[0] != ends[1]:
                    edges.append(Relation(subject=ends[0], predicate=r.predicate,
                                          object=ends[1]))
        missing = [e for e in shot.entities if e not in {p.entity for p in placed}]
        for n, entity_id in enumerate(missing):
            width = min(0.3, 0.9 / len(missing))
            x0 = 0.05 + n * (0.9 / len(missing))
            placed.append(Placement(entity=entity_id, phrase=names[entity_id],
                                    box=(round(x0, 4), 0.45, round(x0 + width, 4), 0.95)))
        layouts.append((placed, edges))
    return layouts


def plan_with_llm(request: str, settings: LLMSettings, *, seed: int = 0,
                  chat_model=None) -> PlanResult:
    """A storyboard planned by the chat model of ``settings`` (see :class:`LLMPlanner`)."""
    return LLMPlanner(settings, chat_model=chat_model).plan(request, seed=seed)
