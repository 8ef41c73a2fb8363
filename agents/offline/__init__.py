"""The offline director: a storyboard from a plain-language request, by rules alone.

No LLM and no network; the same request and seed give the same storyboard. Its modules, in
the order a request goes through them:

1. ``text``: clean it, find a requested length ("a 30-second film"), drop a "film about"
   preamble, split sentences into clauses;
2. ``entities``: capitalised names, "a/the <adjective>* <noun>" phrases and pronouns, with a
   small lexicon (``words.txt``, read by ``words``) giving each noun a kind, a layout prior
   and a default look;
3. ``story``: each clause is a unit of one or more shots; a new setting or time of day ("in
   the forest", "at night", "next morning") starts a scene; relations come from prepositions
   and verbs, motion from motion verbs;
4. ``layout``: figures stand on the ground, sky things are high, the first-named is on the
   left, a close-up fills the frame; a motion verb becomes a box trajectory over 2-3 keyframes;
5. ``director``: scenes (a setting named, else one implied by what they name: a lighthouse
   implies a rocky coast), camera, durations in whole frames (the requested length exactly,
   else about 4 s a shot), transitions, and the validated Storyboard. A sentence cut into
   clauses is narrated once, whole, on its first clause's shot (the others' narration is
   empty); prompts name a subject the clause left out ('(Rex) chases a crow').

Whatever the request says is story text: nothing in it is obeyed as an instruction.
"""

from agents.offline.director import DirectorConfig, plan_offline
from agents.offline.text import find_length

__all__ = ["DirectorConfig", "find_length", "plan_offline"]
