"""Fonts and text fitting shared by the contact sheet, the animatic and the subtitles."""

from __future__ import annotations

from storyboard.fonts import fit_text, font, wrap_text


def test_fit_text_cuts_with_an_ellipsis():
    face = font(14)
    assert fit_text("short", face, 200) == "short"
    cut = fit_text("a rather long line of text that cannot fit", face, 120)
    assert cut.endswith("…") and face.getlength(cut) <= 120


def test_wrap_text_respects_width_and_line_count():
    face = font(13)
    text = "word " * 60 + "supercalifragilisticexpialidocious" * 4
    lines = wrap_text(text, face, 150, 3)
    assert len(lines) == 3
    assert all(face.getlength(line) <= 150 for line in lines)
    assert lines[-1].endswith("…")
    assert wrap_text("fits on one line", face, 300, 3) == ["fits on one line"]
    long_word = wrap_text("x" * 80, face, 100, 10)
    assert "".join(long_word) == "x" * 80 and all(face.getlength(s) <= 100 for s in long_word)


def test_dejavu_fonts_are_used_when_installed():
    face = font(14, "bold")
    assert "DejaVu" in face.getname()[0]


def test_wrap_text_without_a_line_limit_keeps_every_word():
    face = font(12)
    text = "the fox climbs the tallest hill and jumps into the night sky " * 5
    lines = wrap_text(text, face, 120)
    assert " ".join(lines).split() == text.split()
    assert all(face.getlength(line) <= 120 for line in lines)
