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

from pydantic import BaseModel

from agents import prompts
from agents.chat_models import LLMSettings, key_note, make_chat_model
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
)
from agents.structured_output import (
    ModelUnavailable,
    OutOfTime,
    Progress,
    StructuredChat,
    UnusableAnswer,
    stderr_progress,
)
from storyboard.errors import Problem, StoryboardError, UserError
from storyboard.models import Entity, Format, Placement, Relation, Storyboard
from storyboard.timing import round_frames
from storyboard.validation import validate

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
    model_steps: list[str] = field(default_factory=list)
    """the planning steps the model's answers filled ('plan', 'layout of scenes[0]...')"""
    offline_steps: list[str] = field(default_factory=list)
    """the steps the offline director filled instead"""


MAX_PLANNED_SHOTS = 24
"""the most shots one request is sized for (its token limit)"""


def plan_tokens(shots: int) -> int:
    """The token limit of a whole short film's plan of about ``shots`` shots."""
    return 600 + 280 * shots


def outline_tokens(scenes: int) -> int:
    return 500 + 160 * scenes


def scene_tokens(shots: int) -> int:
    return 200 + 280 * shots


def layout_tokens(keyframes: int, entities: int) -> int:
    """The token limit of one shot's layouts: a box and a relation or two per entity
    and keyframe."""
    return 120 + 70 * max(1, keyframes) * max(1, entities)


class _Steps:
    """The plan's steps as they are asked. Each gets a share of the time left, in
    proportion to its token limit among the steps still to come (an estimate, corrected
    as the plan takes shape); a step whose share runs out, or that the model keeps
    failing, is left to the offline director (``ask`` returns None) and planning goes
    on. The model is not asked again once it stopped answering or the budget is spent.
    Only a model that gives nothing usable for any step is an error (UserError)."""

    def __init__(self, chat: StructuredChat) -> None:
        self.chat = chat
        self.done = 0
        self.count = 1
        self.tokens_ahead = 0
        self.by_model: list[str] = []
        self.by_offline: list[str] = []
        self.reasons: dict[str, str] = {}
        self.failure: UserError | None = None
        self.stopped: str | None = None

    def expect(self, count: int, tokens_ahead: int) -> None:
        """From here on: ``count`` steps in all, ``tokens_ahead`` tokens still to come."""
        self.count, self.tokens_ahead = count, tokens_ahead

    def ask(self, step: str, system: str, user: str, schema: type[T],
            build: Callable[[T], R], *, tokens: int, shorter: str,
            head: bool = False) -> R | None:
        """``build`` of the model's answer, or None for the offline director to fill.
        ``head``: the film's plan or outline, which every later step rests on, gets at
        least half of the time left."""
        self.done += 1
        self.tokens_ahead = max(0, self.tokens_ahead - tokens)
        if self.stopped is None and self.chat.remaining <= 0:
            self.stopped = f"the time budget of {self.chat.settings.llm_timeout:g} s is spent"
        if self.stopped is not None:
            self.by_offline.append(step)
            self.reasons[step] = self.stopped
            return None
        share = self.chat.remaining * max(tokens / (tokens + self.tokens_ahead),
                                          0.5 if head else 0.0)
        label = f"step {self.done} of {max(self.count, self.done)} ({step})"
        try:
            result = self.chat.ask(step, system, user, schema, build, max_tokens=tokens,
                                   seconds=share, shorter=shorter, label=label)
        except ModelUnavailable as error:
            if not self.by_model:
                raise
            self.stopped = f"the model stopped answering: {error}"
            self.reasons[step] = self.stopped
        except (UnusableAnswer, OutOfTime) as error:
            log.info("%s", error)
            if not self.by_model:  # two steps failed and none done: the model gives nothing
                if self.failure is not None:
                    raise self.failure from None
                self.failure = error
            self.reasons[step] = ("the model's answers were unusable"
                                  if isinstance(error, UnusableAnswer) else
                                  "the model's answer did not come within the step's share"
                                  " of --llm-timeout")
        else:
            self.by_model.append(step)
            return result
        self.by_offline.append(step)
        return None

    def why(self, steps) -> str:
        """The reasons the offline director filled ``steps``, each once."""
        return "; ".join(dict.fromkeys(self.reasons.get(s, "no answer") for s in steps))

    def finish(self) -> None:
        """UserError when the model planned no step at all."""
        if not self.by_model:
            raise self.failure or ModelUnavailable(
                f"the model {self.chat.settings.llm!r} planned nothing within --llm-timeout"
                f" ({self.chat.settings.llm_timeout:g} s): raise --llm-timeout for a slow"
                " model, or use --llm offline")

    def summary(self) -> list[str]:
        if not self.by_offline:
            return []
        planned = f"{len(self.by_model)} of {self.done} planning steps"
        return [f"the model planned {planned}; the offline director filled the other"
                f" {len(self.by_offline)}"]


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
                 sleep: Callable[[float], None] = time.sleep,
                 progress: Progress | None = None) -> None:
        self.settings = settings
        self.model = chat_model if chat_model is not None else make_chat_model(settings)
        self.key_note = key_note(settings) if chat_model is None else None
        self.clock = clock
        self.sleep = sleep
        self.progress = progress if progress is not None else stderr_progress()
        self.format = Format()

    def plan(self, request: str, seed: int = 0) -> PlanResult:
        """A validated storyboard and notes on what was repaired, what the model planned
        and what the offline director filled in. UserError for a requested length the
        director does not make, and when the model gave nothing usable for any step."""
        from agents.offline import plan_offline

        target = requested_seconds(request)
        _check_length(target)
        chat = StructuredChat(self.model, self.settings, self.clock, self.sleep,
                              self.progress)
        repairs, notes = Repairs(), [self.key_note] if self.key_note else []
        # '<' escaped, so that the request cannot close its own <story> wrapper
        story = f"<story>\n{request.strip().replace('<', '‹')}\n</story>"
        fps = self.format.fps
        offline = plan_offline(request, seed=seed)  # the fallback, and the size of the plan
        offline_shots = len(list(offline.iter_shots()))
        steps = _Steps(chat)
        fallback: dict[tuple[int, int], Any] = {}
        if target and target > LONG_FILM_SECONDS:
            planned = self._plan_long(steps, story, target, seed, repairs, notes)
        else:
            shots = max(2, min(MAX_PLANNED_SHOTS, offline_shots))
            steps.expect(1 + shots, plan_tokens(shots) + shots * layout_tokens(3, 2))
            planned = steps.ask(
                "plan", self._with_target(prompts.PLAN, target), story, PlanDraft,
                lambda d: self._film(d, repairs, bool(offline.entities)),
                tokens=plan_tokens(shots), head=True,
                shorter=f"plan at most {max(2, shots // 2)} shots, with short descriptions,"
                        " narration and prompts")
            if planned is not None:
                _drop_duplicate_shots(planned[1], repairs, set())
                if target:
                    _fit_scenes(planned[1], target, fps, repairs)
        if planned is None:  # the offline director's film, whose layouts serve as fallback
            planned, fallback = _from_offline(offline)
            notes.append("the film's scenes and shots were planned by the offline director"
                         f" ({steps.reasons['plan' if 'plan' in steps.reasons else 'outline']})")
        head, scenes = planned
        entities = head["entities"]
        shots = [(f"scenes[{i}].shots[{j}]", shot) for i, scene in enumerate(scenes)
                 for j, shot in enumerate(scene.shots)]
        counts = frame_counts([shot.duration for _, shot in shots], fps)
        for (where, shot), frames in zip(shots, counts, strict=True):
            shot.keyframes = complete_keyframes(shot.keyframes, frames, shot.description,
                                                repairs, where)
        layouts = self._layouts(steps, scenes, entities, seed, repairs, notes, fallback)
        steps.finish()
        board = self._storyboard(head, scenes, layouts, seed, counts, repairs)
        notes[:0] = repairs.summary()
        notes += chat.notes + steps.summary()
        return PlanResult(board, notes, steps.by_model, steps.by_offline)

    # -- stage (a) -------------------------------------------------------------------
    @staticmethod
    def _with_target(system: str, target: float | None) -> str:
        if not target:
            return system + "\nTarget length: what the story needs (about 4 s per shot)."
        return system + f"\nTarget length: {target:g} seconds in all."

    def _film(self, draft: PlanDraft, repairs: Repairs, story_shows_things: bool = False
              ) -> tuple[dict, list[_ScenePlan]]:
        """The plan's head and scenes. A plan that names no entity where the story shows
        things (``story_shows_things``) ignores the story (a small model copying the
        schema): it goes back to the model."""
        if story_shows_things and not draft.entities:
            raise StoryboardError([Problem("entities", "no entity: list the characters, things"
                                                       " and places the story shows")], "plan")
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

    def _plan_long(self, steps: _Steps, story: str, target: float, seed: int,
                   repairs: Repairs, notes: list[str]):
        """Outline (scenes with durations summing to ``target``), then each scene's shots
        in a request of its own; a scene whose shots never come is planned offline.
        None when the outline never comes."""
        def outline(draft: OutlineDraft):
            here = Repairs()
            entities = build_entities(draft.entities, here)
            repairs.extend(here)
            head = {"title": draft.title.strip(), "logline": draft.logline.strip(),
                    "style": draft.style.strip(), "entities": entities}
            return head, draft.scenes

        expected_scenes = max(2, min(MAX_PLANNED_SHOTS, round(target / 60)))
        shots_per_scene = max(1, min(MAX_PLANNED_SHOTS, round(target / expected_scenes / 5)))
        steps.expect(1 + expected_scenes * (1 + shots_per_scene),
                     outline_tokens(expected_scenes) + expected_scenes * (
                         scene_tokens(shots_per_scene) + shots_per_scene * layout_tokens(3, 2)))
        answer = steps.ask("outline", self._with_target(prompts.OUTLINE, target), story,
                           OutlineDraft, outline, tokens=outline_tokens(expected_scenes),
                           head=True,
                           shorter="at most 8 scenes, each summary one short sentence")
        if answer is None:
            return None
        head, outline_scenes = answer
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
        per_scene = [max(1, min(MAX_PLANNED_SHOTS, round(d / 5))) for d in durations]
        steps.expect(steps.done + len(durations) + sum(per_scene),
                     sum(scene_tokens(n) + n * layout_tokens(3, 2) for n in per_scene))
        scenes: list[_ScenePlan] = []
        seen: set[str] = set()
        for i, (draft, seconds) in enumerate(zip(outline_scenes, durations, strict=True)):
            context = {"film": head["title"], "logline": head["logline"], "entities": cast,
                       "scene": {"number": i + 1, "of": len(durations),
                                 "setting": draft.setting, "time_of_day": draft.time_of_day,
                                 "summary": draft.summary, "duration_seconds": seconds}}
            scene = _ScenePlan(draft.setting.strip(), draft.time_of_day.strip() or "day", [],
                               draft.summary.strip())
            step = f"shot list of scene {i + 1}"
            scene.shots = steps.ask(
                step, prompts.SCENE_SHOTS, json.dumps(context, ensure_ascii=False),
                SceneShotsDraft, lambda d, i=i: self._scene_shots(d, index, repairs, i),
                tokens=scene_tokens(per_scene[i]),
                shorter=f"at most {max(1, per_scene[i] // 2)} shots, short texts") or []
            if not scene.shots:
                scene.shots = self._offline_scene_shots(scene, index, seed)
                notes.append(f"scene {i + 1}: shots planned by the offline director"
                             f" ({steps.reasons.get(step, 'the model gave none')})")
            _drop_duplicate_shots([scene], repairs, seen, first_scene=i)
            _fit_scenes([scene], seconds, self.format.fps, repairs, first_scene=i)
            scenes.append(scene)
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
    def _layouts(self, steps: _Steps, scenes: list[_ScenePlan], entities: list[Entity],
                 seed: int, repairs: Repairs, notes: list[str],
                 fallback: dict[tuple[int, int], Any]):
        """Per shot, per keyframe: (placements, relations); where the model gives none,
        ``fallback``'s layouts (the offline director's film) or the offline director's
        layout of the shot's text."""
        index = EntityIndex(entities)
        by_id = {e.id: e for e in entities}
        result: dict[tuple[int, int], list[tuple[list[Placement], list[Relation]]]] = {}
        offline: list[str] = []
        planned = [(i, j, scene, shot) for i, scene in enumerate(scenes)
                   for j, shot in enumerate(scene.shots)]
        steps.expect(steps.done + len(planned), sum(
            layout_tokens(len(shot.keyframes), len(shot.entities)) for *_, shot in planned))
        for i, j, scene, shot in planned:
            where = f"scenes[{i}].shots[{j}]"
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
            layout = steps.ask(
                f"layout of {where}", prompts.LAYOUT, json.dumps(request, ensure_ascii=False),
                ShotLayoutDraft, lambda d, shot=shot, where=where: self._shot_layout(
                    d, shot, index, repairs, where),
                tokens=layout_tokens(len(shot.keyframes), len(shot.entities)),
                shorter="only the boxes, no relations")
            if layout is None:
                layout = fallback.get((i, j)) or _offline_layout(shot, scene, entities, seed)
                offline.append(where)
            result[i, j] = layout
        if offline:
            why = f" ({steps.why(f'layout of {w}' for w in offline)})"
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


def _from_offline(board: Storyboard):
    """The offline director's film as the planner's (head, scenes), and its layouts by
    (scene, shot) index."""
    head = {"title": board.title, "logline": board.logline, "style": board.style.prompt,
            "entities": list(board.entities)}
    scenes, layouts = [], {}
    for i, scene in enumerate(board.scenes):
        shots = []
        for j, shot in enumerate(scene.shots):
            visible = list(dict.fromkeys(p.entity for k in shot.keyframes for p in k.layout))
            shots.append(_ShotPlan(shot.description, shot.duration, shot.camera.model_dump(),
                                   shot.transition, shot.narration, visible,
                                   [(k.t, k.prompt) for k in shot.keyframes]))
            layouts[i, j] = [(list(k.layout), list(k.relations)) for k in shot.keyframes]
        scenes.append(_ScenePlan(scene.setting, scene.time_of_day, shots))
    return (head, scenes), layouts


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
