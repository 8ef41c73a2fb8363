"""How fast the offline director plans, from one line to a very long request.

For each request it prints the characters in, the scenes, shots and entities out, and the
best of three planning times (validation included; for the Spanish request the first of
the three also loads simplemma's Spanish data). Goal: under 1 s for 20 paragraphs.
It ends with ``offline_director_20_paragraphs_s: <seconds>``.

    python benchmarks/offline_director.py       # a few seconds
"""

from __future__ import annotations

import time

from agents.offline import plan_offline

PARAGRAPH = ("A small red fox lives in a snowy forest with her friend, an old owl. One night "
             "she watches the owl fly over the moon, and she wants to fly too. She climbs a "
             "hill, jumps over a rock and falls into the snow. The owl laughs. Next morning "
             "the fox runs to the left, chases a rabbit under a tree and finds a kite. ")
PARRAFO = ("Una pequeña zorra roja vive en un bosque nevado con su amigo, un viejo búho. Una "
           "noche ve al búho volar sobre la luna y quiere volar también. Sube a una colina, "
           "salta sobre una roca y cae en la nieve. El búho se ríe. A la mañana siguiente la "
           "zorra corre hacia el río, persigue a un conejo bajo un árbol y encuentra una cometa. ")
REQUESTS = {
    "one line": "a fox who learns to fly",
    "three sentences": ". ".join(PARAGRAPH.split(". ")[:3]) + ".",
    "10-minute film, one sentence": "A 10-minute film about a fox who learns to fly.",
    "20 paragraphs": "\n\n".join([PARAGRAPH] * 20),
    "200 paragraphs": "\n\n".join([PARAGRAPH] * 200),
    "20 paragraphs in Spanish": "\n\n".join([PARRAFO] * 20),  # read through its English gloss
}


def best_of(request: str, repeats: int = 3) -> tuple[float, object]:
    times, board = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        board = plan_offline(request)
        times.append(time.perf_counter() - start)
    return min(times), board


if __name__ == "__main__":
    print(f"{'request':32} {'chars':>7} {'scenes':>6} {'shots':>5} {'ents':>4} {'seconds':>8}")
    results = {}
    for name, request in REQUESTS.items():
        seconds, board = best_of(request)
        results[name] = seconds
        shots = sum(len(scene.shots) for scene in board.scenes)
        print(f"{name:32} {len(request):7} {len(board.scenes):6} {shots:5}"
              f" {len(board.entities):4} {seconds:8.4f}")
    print(f"offline_director_20_paragraphs_s: {results['20 paragraphs']:.4f}")
