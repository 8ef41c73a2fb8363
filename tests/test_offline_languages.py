"""Stories in Spanish, French and German: read in their English gloss by the offline director
(agents/offline/languages.py), narrated in their own words."""

from __future__ import annotations

import pytest

from agents.offline import plan_offline
from agents.offline.languages import gloss, language_of
from agents.offline.words import TOKEN
from storyboard import validate

STORIES = {
    "es": ("Una zorra roja llamada Vixie vive en un bosque nevado. Una noche ve un búho blanco "
           "que vuela sobre la luna. Al día siguiente, Vixie camina hasta el río helado. Dos "
           "hombres pescan en el río. Más tarde, la zorra entra en una cueva oscura."),
    "fr": ("Une renarde rousse nommée Vixie vit dans une forêt enneigée. Une nuit, elle voit un "
           "hibou blanc qui vole au-dessus de la lune. Le lendemain, Vixie marche jusqu'à la "
           "rivière gelée. Deux hommes pêchent dans la rivière. Plus tard, la renarde entre "
           "dans une grotte sombre."),
    "de": ("Eine rote Füchsin namens Vixie lebt in einem verschneiten Wald. Eines Nachts sieht "
           "sie eine weiße Eule, die über den Mond fliegt. Am nächsten Tag läuft Vixie zum "
           "gefrorenen Fluss. Zwei Männer angeln im Fluss. Später geht die Füchsin in eine "
           "dunkle Höhle."),
}


@pytest.mark.parametrize("language", sorted(STORIES))
def test_a_story_in_another_language_has_its_entities_places_and_times(language):
    story = STORIES[language]
    assert language_of(story) == language
    sb = plan_offline(story)
    assert validate(sb.model_dump(mode="json")) == sb
    entities = sb.entity_map
    assert {"vixie", "owl", "moon", "river", "first-man", "second-man"} <= set(entities), \
        sorted(entities)
    assert entities["vixie"].kind == "character" and "fox" in entities["vixie"].appearance
    assert "red" in entities["vixie"].appearance  # the adjective, glossed, after the noun too
    assert "white" in entities["owl"].appearance
    assert entities["first-man"].appearance != entities["second-man"].appearance
    settings = [scene.setting for scene in sb.scenes]
    assert "forest" in settings[0] and "snowy" in settings[0]
    assert any("river" in s for s in settings) and "cave" in settings[-1]
    assert "night" in [scene.time_of_day for scene in sb.scenes]
    night = next(shot for _, shot in sb.iter_shots() if "owl" in {
        p.entity for p in shot.keyframes[0].layout})
    assert "vixie" in {p.entity for p in night.keyframes[0].layout}  # she sees it, subject or not
    narration = [shot.narration for _, shot in sb.iter_shots()]
    assert narration[0] == story.split(". ")[0] + "."  # the story's own words for subtitles


def test_english_stays_english_with_foreign_names_in_it():
    for story in ("Mia and José walk to the lighthouse.", "A fox lives in a snowy forest.",
                  "El Niño, a storm, hits the coast.", "Ein"):
        assert language_of(story) == "en", story


def test_contractions_elisions_and_dictionary_forms_are_glossed():
    assert gloss(TOKEN.findall("El zorro salta del árbol al río."), "es") == [
        "the", "fox", "jump", "of", "the", "tree", "to", "the", "river", "."]
    assert gloss(TOKEN.findall("L'oiseau vole au-dessus de l'arbre."), "fr")[:2] == [
        "the", "bird"]
    assert gloss(TOKEN.findall("Die Füchse schlafen im Wald."), "de") == [
        "the", "fox", "sleep", "in", "the", "forest", "."]


def test_a_german_noun_the_glossary_lacks_is_a_thing_not_a_name():
    sb = plan_offline("Ein Fuchs findet eine Laterne und eine Schatzkiste im Wald.")
    kinds = {e.id: e.kind for e in sb.entities}
    assert kinds.get("schatzkiste") == "object", kinds
    assert kinds["fox"] == "character"
