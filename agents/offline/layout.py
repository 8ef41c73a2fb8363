"""Layout: boxes for what a shot shows, placed by relation and moved by motion."""

from __future__ import annotations

from agents.offline.entities import Draft
from agents.offline.text import verb_base
from agents.offline.words import CARRY

SIZE_SCALE = {"extreme-wide": 0.35, "wide": 0.55, "full": 0.85, "medium": 1.1}
MIN_W, MIN_H = 0.07, 0.10  # the smallest box, so that it can be seen (45 x 36 px at 640 x 360)
MARGIN, GAP = 0.03, 0.02  # from the frame's edge; between boxes set beside or above each other
Box = list[float]


def base_layout(shown: list[Draft], size: str, focus: Draft | None, aspect: float) -> dict:
    """Boxes before motion: a close-up fills the frame with ``focus``; otherwise the
    first-named is on the left, figures stand on the ground and sky things are high."""
    if size in {"close-up", "extreme-close-up"} and focus is not None:
        w = 0.9 if size == "extreme-close-up" else min(0.8, max(0.5, focus.noun.aspect * aspect))
        return {focus: [0.5 - w / 2, 0.0 if size == "extreme-close-up" else 0.08, 0.5 + w / 2, 1.0]}
    boxes = {}
    for i, e in enumerate(shown):
        h = min(0.85, max(MIN_H, e.noun.height * SIZE_SCALE[size]))
        w = min(0.95, max(MIN_W, h * e.noun.aspect * aspect))
        cx = 0.5 if len(shown) == 1 else 0.18 + 0.64 * i / (len(shown) - 1)
        y0 = 0.1 + 0.08 * (i % 2) if e.noun.prior == "sky" else (
            0.85 if e.noun.prior == "landmark" else 0.9) - h
        boxes[e] = [cx - w / 2, y0, cx + w / 2, y0 + h]
    return boxes


def place(sub: Box, obj: Box, predicate: str) -> Box:
    """The subject's box moved into ``predicate`` relation with the object's box."""
    w, h, ocx = sub[2] - sub[0], sub[3] - sub[1], (obj[0] + obj[2]) / 2
    x0, y1 = ocx - w / 2, sub[3]
    if predicate == "on":
        y1 = obj[1] + 0.01
    elif predicate in {"under", "in"}:
        k = 0.8 if predicate == "under" else 0.6
        w = max(MIN_W, min(w, k * (obj[2] - obj[0])))
        h = max(MIN_H, min(h, k * (obj[3] - obj[1])))
        x0, y1 = ocx - w / 2, obj[3] - (0 if predicate == "under" else 0.1 * (obj[3] - obj[1]))
    elif predicate in {"next to", "with"}:
        x0 = obj[2] + 0.02 if obj[2] + 0.02 + w <= 1 else obj[0] - 0.02 - w
        y1 = obj[3]
    elif predicate == "behind":  # further back: smaller, a little higher, beside
        w, h, x0, y1 = max(MIN_W, 0.8 * w), max(MIN_H, 0.8 * h), ocx + 0.05, obj[3] - 0.05
    elif predicate == "in front of":
        x0, y1 = ocx - w / 2 - 0.06, min(1.0, obj[3] + 0.05)
    elif predicate == "above":  # inside the frame: beside the object if there is no room over it
        y1 = max(obj[1] - GAP, MARGIN + h)
        if y1 > obj[1]:
            x0 = obj[0] - GAP - w if ocx > 0.5 else obj[2] + GAP
    elif predicate == "below":
        y1 = obj[3] + 0.02 + h
    else:
        return sub
    return [x0, y1 - h, x0 + w, y1]


def shift(box: Box, dx: float = 0.0, dy: float = 0.0, scale: float = 1.0) -> Box:
    """Moved by (dx, dy) and scaled about its bottom centre (where a figure stands)."""
    cx, w, h = (box[0] + box[2]) / 2 + dx, (box[2] - box[0]) * scale, (box[3] - box[1]) * scale
    return [cx - w / 2, box[3] + dy - h, cx + w / 2, box[3] + dy]


def sized(box: Box, w: float, h: float) -> Box:
    """``box`` resized to w x h about its bottom centre."""
    cx = (box[0] + box[2]) / 2
    return [cx - w / 2, box[3] - h, cx + w / 2, box[3]]


def fit(*tracks: list[Box]) -> list[list[Box]]:
    """Trajectories inside the frame: all their boxes moved together (a carrier and what it
    carries keep their places), then each clipped, never below the smallest visible size."""
    boxes = [b for track in tracks for b in track]
    dx = max(0.0, -min(b[0] for b in boxes)) - max(0.0, max(b[2] for b in boxes) - 1)
    dy = max(0.0, -min(b[1] for b in boxes)) - max(0.0, max(b[3] for b in boxes) - 1)

    def clip(b: Box) -> Box:
        x0, x1 = (min(1.0, max(0.0, v + dx)) for v in (b[0], b[2]))
        y0, y1 = (min(1.0, max(0.0, v + dy)) for v in (b[1], b[3]))
        x0, y0 = min(x0, 1 - MIN_W), min(y0, 1 - MIN_H)
        return [round(v, 4) for v in (x0, y0, max(x1, x0 + MIN_W), max(y1, y0 + MIN_H))]
    return [[clip(b) for b in track] for track in tracks]


def arrange(boxes: dict, edges: list, skip: tuple) -> None:
    """Each relation's subject moved into place beside its object ('the cat on the table'), but
    ``skip`` (a jump's mover and what it jumps). What is carried goes beside its carrier, and
    smaller; several subjects of one relation stand side by side ('they sleep in the house');
    a high sky thing is lowered to make room for what is above it."""
    placed: dict[tuple, list] = {}
    for subject, predicate, obj in edges:
        if subject not in boxes or obj not in boxes or (subject, obj) == skip or (
                obj.noun.prior == "sky" and predicate in {"under", "below", "in"}):
            continue
        if verb_base(predicate.split()[0]) in CARRY:
            carrier, item = boxes[subject], boxes[obj]
            boxes[obj] = place(sized(item, min(item[2] - item[0], max(MIN_W, 0.8 * (
                carrier[2] - carrier[0]))), min(item[3] - item[1], max(MIN_H, 0.5 * (
                    carrier[3] - carrier[1])))), carrier, "with")
            continue
        if predicate == "above" and obj.noun.prior == "sky":
            room = MARGIN + boxes[subject][3] - boxes[subject][1] + GAP - boxes[obj][1]
            boxes[obj] = shift(boxes[obj], 0, max(0.0, room))
        box, siblings = place(boxes[subject], boxes[obj], predicate), placed.setdefault(
            (predicate, obj), [])
        if siblings:  # to the right of the last one, the whole row re-centred
            width, right = box[2] - box[0], boxes[siblings[-1]][2] + GAP
            box = [right, box[1], right + width, box[3]]
            for e in siblings:
                boxes[e] = shift(boxes[e], -(width + GAP) / 2)
            box = shift(box, -(width + GAP) / 2)
        boxes[subject] = box
        siblings.append(subject)


def trajectory(box: Box, kind: str, d: float, close: bool, target: Box | None,
               over: Box | None) -> list[Box]:
    """The mover's boxes at t=0, (t=0.5 for a jump's arc,) t=1; ``over``: what it passes."""
    reach = 0.08 if close else 0.28
    if target is not None:  # towards the target
        d = 1.0 if target[0] + target[2] >= box[0] + box[2] else -1.0
    if over is not None:  # centred on the thing it jumps or goes over, its feet above it
        box = shift(box, (over[0] + over[2] - box[0] - box[2]) / 2,
                    over[3] - box[3] if kind == "jump" else min(0.0, over[1] - box[3]))
    rise = max(0.8 * reach, box[3] - over[1] + 0.04) if over and kind == "jump" else 0.8 * reach
    return {"across": [shift(box, -d * reach), shift(box, d * reach)],
            "up": [box, shift(box, 0.05 * d, -1.3 * reach, 0.85)],
            "climb": [box, shift(box, 0.5 * d * reach, -reach)],
            "down": [box, shift(box, 0, 1.3 * reach)],
            "jump": [shift(box, -d * reach), shift(box, 0, -rise), shift(box, d * reach)],
            "approach": [box, shift(box, 0.5 - (box[0] + box[2]) / 2, 0.05, 1.1 if close else 1.7)],
            "recede": [box, shift(box, 0.25 - (box[0] + box[2]) / 4, -0.15, 0.5)]}[kind]


def follow(lead: Box, track: list[Box], box: Box) -> list[Box]:
    """``box`` moved along with the lead's trajectory (a group walking, the chased ahead)."""
    return [shift(box, (b[0] + b[2] - lead[0] - lead[2]) / 2, b[3] - lead[3],
                  (b[2] - b[0]) / (lead[2] - lead[0])) for b in track]


def where(box: Box) -> str:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    side = "on the left" if cx < 0.4 else "on the right" if cx > 0.6 else "in the centre"
    return ("high " if cy < 0.35 else "") + side
