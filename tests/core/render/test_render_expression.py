"""The SIG layer's expression: the caption by the face and its three strongest
blendshapes as bars, on real faces (replayed landmarks, the numpy blendshape network),
readable on the device's 552 x 368 frame, drawn from cached sprites."""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from app.core.render import sprites
from app.core.render.painters import short_name
from app.core.render.renderer import Renderer
from app.core.render.styles import DEFAULT_STYLES
from app.core.render.view import ViewState
from app.core.settings import Settings, View
from tests.core._factories import numpy_network, replay_tracker
from tests.replay import ReplayFrame, load_clip

SIG = ViewState(View.MESH, show_hud=False, show_signals=True)


def device_frame_faces():
    """The smiling man's frame 50 at the device's 552 x 368 and his tracked face."""
    tracker = replay_tracker(Settings(expressions_rate_hz=10.0, max_faces=1), blendshapes=numpy_network())
    clip = load_clip("single_face.mp4")
    for i in range(51):
        (face,) = tracker.update(ReplayFrame(clip, i), i / 30)
    w, h = clip.size
    rgb = cv2.resize(np.zeros((h, w, 3), np.uint8) + 96, (552, 368))
    k = np.float32(552 / w)
    scaled = dataclasses.replace(face, xy=face.xy * k)
    return rgb, scaled


def test_the_caption_and_three_bars_under_the_face():
    rgb, face = device_frame_faces()
    assert face.expression is not None and face.expression.name == "happy"
    without = rgb.copy()
    Renderer().draw(without, [dataclasses.replace(face, expression=None)], SIG)
    drawn = rgb.copy()
    Renderer().draw(drawn, [face], SIG)
    diff = (drawn != without).any(axis=2)
    x, y, w, h = np.rint(face.mesh_box).astype(int)
    below = diff[y + h:, max(0, x - 2):]
    assert below.sum() > 400  # caption, bars and names
    assert not diff[:y + h].any()  # nothing over the face (there is room below)
    rows = np.flatnonzero(below.any(axis=1))
    # readable at 552 x 368: a caption 13 px tall, then three bar rows
    assert rows.max() - rows.min() >= 40
    # the bars are filled to the strongest values: both mouthSmile shapes lead
    top = np.argsort(face.expression.blendshapes[1:])[::-1][:3] + 1
    from app.core.expressions.tables import BLENDSHAPE_NAMES

    assert {BLENDSHAPE_NAMES[i] for i in top[:2]} == {"mouthSmileLeft", "mouthSmileRight"}
    cyan = (drawn == DEFAULT_STYLES.expression.bar_rgb).all(axis=2)[y + h:]
    assert cyan.sum() >= 3 * 0.7 * round(0.16 * 368) * round(0.018 * 368)


def test_captions_follow_the_language_and_text_is_drawn_from_the_cache():
    rgb, face = device_frame_faces()
    sprites.text_sprite.cache_clear()
    Renderer().draw(rgb.copy(), [face], SIG)
    first = sprites.text_sprite.cache_info()
    for _ in range(5):
        Renderer().draw(rgb.copy(), [face], SIG)
    again = sprites.text_sprite.cache_info()
    assert again.misses == first.misses  # no text rasterised after the first frame
    calls = []

    def font(text, rect, cap, color):  # the device's CJK font: where it is asked to draw
        calls.append((text, rect.x, rect.y, round(cap)))
        return True

    Renderer().draw(rgb.copy(), [face], SIG._replace(locale="zh"), text=font)
    assert [c[0] for c in calls] == ["开心"]
    assert calls[0][3] == round(DEFAULT_STYLES.expression.caption.height * 368)
    english, fallback = rgb.copy(), rgb.copy()
    Renderer().draw(english, [face], SIG)
    Renderer().draw(fallback, [face], SIG._replace(locale="zh"))  # no font: English
    assert (english == fallback).all()


def test_short_names():
    assert short_name("mouthSmileLeft") == "mouthSmile L"
    assert short_name("eyeBlinkRight") == "eyeBlink R"
    assert short_name("jawOpen") == "jawOpen"


def test_at_the_frames_bottom_the_block_goes_above_the_face():
    rgb, face = device_frame_faces()
    x, y, w, h = np.rint(face.mesh_box).astype(int)
    low = dataclasses.replace(face, xy=face.xy + np.float32([0, 368 - (y + h) - 2]))
    without, drawn = rgb.copy(), rgb.copy()
    Renderer().draw(without, [dataclasses.replace(low, expression=None)], SIG)
    Renderer().draw(drawn, [low], SIG)
    diff = (drawn != without).any(axis=2)
    ly = int(round(float(low.mesh_box[1])))
    assert diff[:ly].sum() > 400
