"""Touch UI logic: layout on real screen/image sizes, FIT_CONTAIN mapping, taps, reduce()."""
from __future__ import annotations

import itertools

import pytest

from app.core.platform import Touch
from app.core.settings import MAX_FACES_LIMIT, Settings
from app.core.ui import (KEYS, SMOOTHING_LEVELS, Action, Button, Fire, Hold, Rect, TouchTracker,
                         remote_change,
                         UiState, display_to_image, fit_scale, hit, image_rect_to_display,
                         key_event, labels, layout, reduce)

SCREENS = [(552, 368), (640, 480)]  # MaixCAM, MaixCAM-Pro / MaixCAM2
IMAGES = [(320, 224), (320, 240), (640, 480), (640, 360)]
STATES = {
    "default": UiState(),
    "points+panel": UiState(Settings(view="points"), panel_open=True),
    "depth+panel": UiState(Settings(view="depth", max_faces=10), panel_open=True),
}
CASES = [pytest.param(img, scr, st, id=f"{img[0]}x{img[1]}-on-{scr[0]}x{scr[1]}-{name}")
         for img, scr, (name, st) in itertools.product(IMAGES, SCREENS, STATES.items())]


def _inner_points(r: Rect) -> list[tuple[int, int]]:
    """Corners (inset by 1 px: truncation may land the outer ring on the neighbour) and centre."""
    x0, y0, x1, y1 = r.x + 1, r.y + 1, r.x + r.w - 2, r.y + r.h - 2
    return [(x0, y0), (x1, y0), (x0, y1), (x1, y1), (r.x + r.w // 2, r.y + r.h // 2)]


@pytest.mark.parametrize("image, screen, state", CASES)
def test_buttons_are_big_enough_apart_and_map_back(image, screen, state):
    iw, ih = image
    buttons = layout(iw, ih, *screen, state)
    assert len({b.action for b in buttons if b.action}) == len([b for b in buttons if b.action])
    for b in buttons:
        r = b.rect
        assert 0 <= r.x and r.x + r.w <= iw and 0 <= r.y and r.y + r.h <= ih, b
        d = image_rect_to_display(r, iw, ih, *screen)
        assert d.w >= 40 and d.h >= 40, (b.label, d)
        for px, py in _inner_points(d):
            x, y = display_to_image(px, py, iw, ih, *screen)
            assert r.contains(x, y), (b.label, (px, py), (x, y), r)
            if b.action is not None:
                assert hit(buttons, x, y) is b
    for a, b in itertools.combinations(buttons, 2):
        assert not a.rect.overlaps(b.rect), (a, b)


@pytest.mark.parametrize("image, screen, full", [
    # Hand-checked float32 FIT_CONTAIN results (maix resize_map_pos) of the whole frame.
    ((320, 240), (552, 368), Rect(30, 0, 490, 368)),
    ((640, 480), (552, 368), Rect(30, 0, 490, 368)),
    ((320, 224), (552, 368), Rect(13, 0, 525, 368)),
    ((640, 360), (552, 368), Rect(0, 28, 552, 310)),
    ((320, 224), (640, 480), Rect(0, 16, 640, 448)),
    ((640, 480), (640, 480), Rect(0, 0, 640, 480)),
])
def test_fit_contain_matches_maix(image, screen, full):
    assert image_rect_to_display(Rect(0, 0, *image), *image, *screen) == full
    s = fit_scale(*image, *screen)
    assert s == pytest.approx(min(screen[0] / image[0], screen[1] / image[1]), rel=1e-6)
    # The padded axis is centred; points on the bars map outside the image.
    x, y = display_to_image(screen[0] // 2, screen[1] // 2, *image, *screen)
    assert abs(x - image[0] / 2) <= 1 and abs(y - image[1] / 2) <= 1
    if full.x > 1:
        assert display_to_image(0, 10, *image, *screen)[0] < 0
    if full.y > 1:
        assert display_to_image(10, 0, *image, *screen)[1] < 0


def test_display_to_image_truncates_like_maix():
    # 320x240 on 552x368: s = 1.5333334, pad_x = 30.666666; C++ static_cast<int> truncates
    # toward zero, so -0.43 -> 0 (not -1).
    assert display_to_image(30, 0, 320, 240, 552, 368) == (0, 0)
    assert display_to_image(551, 367, 320, 240, 552, 368) == (339, 239)


# --- touch ------------------------------------------------------------------------

IMG, SCR = (320, 224), (552, 368)


def _centre_on_screen(b: Button) -> tuple[int, int]:
    d = image_rect_to_display(b.rect, *IMG, *SCR)
    return d.x + d.w // 2, d.y + d.h // 2


def _run(readings, state=UiState()):
    tracker = TouchTracker()
    events = []
    for t in readings:
        events += tracker.update(t, layout(*IMG, *SCR, state), IMG, SCR)
    return events


def _button(action, state=UiState()) -> Button:
    return next(b for b in layout(*IMG, *SCR, state) if b.action is action)


def test_tap_fires_once_on_release():
    x, y = _centre_on_screen(_button(Action.LIMIT_UP))
    events = _run([Touch(x, y, True), Touch(x, y, True), Touch(x + 3, y, True),
                   Touch(x + 3, y, False), Touch(x + 3, y, False)])
    assert events == [Hold(Action.LIMIT_UP), Hold(None), Fire(Action.LIMIT_UP)]


def test_drag_away_cancels_and_drag_back_rearms():
    x, y = _centre_on_screen(_button(Action.VIEW))
    far = (x, y - 150)
    cancelled = _run([Touch(x, y, True), Touch(*far, True), Touch(*far, False)])
    assert cancelled == [Hold(Action.VIEW), Hold(None)]
    assert not [e for e in cancelled if isinstance(e, Fire)]
    back = _run([Touch(x, y, True), Touch(*far, True), Touch(x, y, True), Touch(x, y, False)])
    assert [e for e in back if isinstance(e, Fire)] == [Fire(Action.VIEW)]


def test_release_on_another_button_does_not_fire_it():
    a = _centre_on_screen(_button(Action.LIMIT_DOWN))
    b = _centre_on_screen(_button(Action.LIMIT_UP))
    assert not [e for e in _run([Touch(*a, True), Touch(*b, True), Touch(*b, False)])
                if isinstance(e, Fire)]
    # A press that starts on nothing never fires, wherever it ends.
    assert _run([Touch(276, 180, True), Touch(*b, True), Touch(*b, False)]) == []


def test_no_touch_device_and_idle_readings_give_no_events():
    assert _run([None, None]) == []
    assert _run([Touch(5, 5, False)] * 3) == []


def test_letterbox_bar_is_not_a_button():
    # 320x224 on 552x368 leaves 13-px bars left and right; the back button starts after it.
    assert _run([Touch(5, 20, True), Touch(5, 20, False)]) == []


# --- reduce -----------------------------------------------------------------------


def _fire(state: UiState, *actions: Action) -> UiState:
    for a in actions:
        state = reduce(state, Fire(a))
    return state


def test_view_cycles_mesh_points_depth():
    seen = [UiState().settings.view]
    state = UiState()
    for _ in range(3):
        state = _fire(state, Action.VIEW)
        seen.append(state.settings.view)
    assert seen == ["mesh", "points", "depth", "mesh"]


def test_subset_cycles_in_points_view_and_switches_to_it_elsewhere():
    state = UiState(Settings(view="points"))
    sizes = [state.settings.points_subset]
    for _ in range(4):
        state = _fire(state, Action.SUBSET)
        sizes.append(state.settings.points_subset)
    assert sizes == [478, 146, 68, 5, 478]
    from_mesh = _fire(UiState(Settings(view="mesh", points_subset=68)), Action.SUBSET)
    assert (from_mesh.settings.view, from_mesh.settings.points_subset) == ("points", 68)


def test_subset_button_only_in_points_view():
    for view, expected in [("mesh", False), ("points", True), ("depth", False)]:
        buttons = layout(*IMG, *SCR, UiState(Settings(view=view)))
        assert any(b.action is Action.SUBSET for b in buttons) is expected


@pytest.mark.parametrize("start, action, expected", [
    (1, Action.LIMIT_DOWN, 1), (2, Action.LIMIT_DOWN, 1), (1, Action.LIMIT_UP, 2),
    (MAX_FACES_LIMIT, Action.LIMIT_UP, MAX_FACES_LIMIT), (9, Action.LIMIT_UP, 10),
])
def test_face_limit_clamped(start, action, expected):
    state = _fire(UiState(Settings(max_faces=start)), action)
    assert state.settings.max_faces == expected
    label = next(b for b in layout(*IMG, *SCR, state) if b.action is None)
    assert label.label == str(expected)


def test_toggles_and_panel():
    s0 = UiState(Settings(show_hud=True, show_box=False, show_signals=True))
    s1 = _fire(s0, Action.HUD, Action.BOX, Action.SIGNALS)
    assert (s1.settings.show_hud, s1.settings.show_box, s1.settings.show_signals) == (
        False, True, False)
    assert _fire(s1, Action.HUD, Action.BOX, Action.SIGNALS).settings == s0.settings
    assert not any(b.action is Action.HUD for b in layout(*IMG, *SCR, s0))
    opened = _fire(s0, Action.SETTINGS)
    assert opened.panel_open
    panel = {b.action: b for b in layout(*IMG, *SCR, opened)}
    assert {Action.HUD, Action.BOX, Action.SIGNALS, Action.SMOOTHING} <= panel.keys()
    assert panel[Action.HUD].active and not panel[Action.BOX].active
    assert panel[Action.SIGNALS].active and panel[Action.SIGNALS].label == "SIG"
    assert not _fire(opened, Action.SETTINGS).panel_open
    assert _fire(s0, Action.EXIT).exit_requested


def test_smoothing_cycles_off_low_high():
    state = UiState(Settings(smoothing=0.0))
    values = []
    for _ in range(3):
        state = _fire(state, Action.SMOOTHING)
        values.append(state.settings.smoothing)
    assert values == [0.5, 0.9, 0.0]
    assert list(SMOOTHING_LEVELS.values()) == [0.0, 0.5, 0.9]
    # A value from the config file between presets moves on from the nearest one.
    assert _fire(UiState(Settings(smoothing=0.3)), Action.SMOOTHING).settings.smoothing == 0.9


def test_hold_highlights_and_fire_clears_it():
    held = reduce(UiState(), Hold(Action.VIEW))
    assert held.held is Action.VIEW and held.settings == UiState().settings
    assert reduce(held, Fire(Action.VIEW)).held is None
    assert reduce(held, Hold(None)).held is None


def test_reduce_is_pure():
    state = UiState()
    before = tuple(state)
    reduce(state, Fire(Action.VIEW))
    assert tuple(state) == before


# --- keys and labels --------------------------------------------------------------


@pytest.mark.parametrize("key, action", [
    ("v", Action.VIEW), (ord("v"), Action.VIEW), ("V", Action.VIEW), ("s", Action.SUBSET),
    ("+", Action.LIMIT_UP), ("=", Action.LIMIT_UP), ("-", Action.LIMIT_DOWN),
    ("h", Action.HUD), ("b", Action.BOX), ("g", Action.SIGNALS), ("m", Action.SMOOTHING),
    ("q", Action.EXIT), (27, Action.EXIT),
])
def test_keys(key, action):
    assert key_event(key) == Fire(action)


def test_unmapped_keys():
    assert key_event(-1) is None
    assert key_event("x") is None
    assert set(KEYS.values()) <= set(Action)


def test_labels_cover_both_locales():
    en, zh = labels("en_US"), labels("zh_CN")
    assert en.keys() == zh.keys()
    assert zh["btn.depth"] == "深度" and en["btn.depth"] == "DEPTH"
    assert labels("fr") is en or labels("fr") == en
    # Buttons drawn by cv2 carry ASCII only (cv2 has no CJK glyphs).
    state = UiState(Settings(view="points"), panel_open=True)
    assert all(b.label.isascii() for b in layout(*IMG, *SCR, state))


def test_ui_logic_needs_no_cv2():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'cv2':\n"
            "            raise ImportError('blocked')\n"
            "sys.meta_path.insert(0, Block())\n"
            "import app.core.ui, app.core.persist, app.core.render.view, app.core.render.styles\n"
            "print('ok')\n")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_captions_follow_the_locale_with_an_english_fallback():
    from app.core.ui import Action, UiState, layout
    state = UiState(Settings(view="points"), panel_open=True, locale="zh_CN")
    by_action = {b.action: b for b in layout(640, 480, 640, 480, state)}
    assert by_action[Action.VIEW].label == "点" and by_action[Action.VIEW].ascii_label == "PTS"
    assert by_action[Action.BOX].label == "人脸框" and by_action[Action.BOX].ascii_label == "BOX"
    assert by_action[Action.SMOOTHING].label == "平滑 低"
    english = {b.action: b for b in layout(640, 480, 640, 480, UiState(Settings()))}
    assert english[Action.VIEW].label == "MESH" and english[Action.VIEW].ascii_label == "MESH"


def test_non_ascii_captions_go_to_the_text_painter_or_fall_back():
    import numpy as np
    from app.core.render.ui_paint import draw_ui
    from app.core.ui import UiState, layout
    state = UiState(Settings(), panel_open=True, locale="zh")
    buttons = layout(320, 224, 552, 368, state)
    seen = []
    img = np.zeros((224, 320, 3), np.uint8)
    draw_ui(img, buttons, state, text=lambda s, rect, cap, color: seen.append(s) or True)
    assert sorted(seen) == sorted(b.label for b in buttons if not b.label.isascii())
    fallback = np.zeros_like(img)
    draw_ui(fallback, buttons, state)  # no painter: English captions, still drawn
    declined = np.zeros_like(img)
    draw_ui(declined, buttons, state, text=lambda *a: False)
    # The same English captions (blended in a second step: within a rounding step).
    assert np.abs(fallback.astype(int) - declined).max() <= 1 and fallback.any()


# --- the network view's toggle and its changes --------------------------------------


def test_web_toggle_in_the_panel():
    opened = UiState(Settings(), panel_open=True)
    panel = {b.action: b for b in layout(*IMG, *SCR, opened)}
    assert panel[Action.WEB].label == "WEB" and not panel[Action.WEB].active
    on = _fire(opened, Action.WEB)
    assert on.settings.web_enabled and {b.action: b for b in layout(*IMG, *SCR, on)}[Action.WEB].active
    assert not _fire(on, Action.WEB).settings.web_enabled
    assert key_event("w") == Fire(Action.WEB)
    zh = {b.action: b for b in layout(*IMG, *SCR, opened._replace(locale="zh"))}
    assert zh[Action.WEB].label == "网页" and zh[Action.WEB].ascii_label == "WEB"


def test_a_remote_change_goes_through_the_reducer():
    state = UiState(Settings(), held=Action.VIEW)
    change = remote_change({"view": "depth", "max_faces": 4, "show_box": True,
                            "smoothing": "high", "points_subset": 68.0})
    after = reduce(state, change)
    s = after.settings
    assert (s.view, s.max_faces, s.show_box, s.smoothing, s.points_subset) == \
        ("depth", 4, True, 0.9, 68)
    assert type(s.points_subset) is int
    assert after.held is Action.VIEW and state.settings == Settings()  # pure


@pytest.mark.parametrize("body, reason", [
    ({"view": "wire"}, "view: expected one of mesh, points, depth, got 'wire'"),
    ({"max_faces": 0}, "max_faces: expected 1..10, got 0"),
    ({"max_faces": True}, "max_faces: expected int, got 'True'"),
    ({"show_hud": 1}, "show_hud: expected bool, got '1'"),
    ({"smoothing": "medium"}, "smoothing: expected a number, got 'medium'"),
    ({"smoothing": float("nan")}, "smoothing: expected a finite number"),
    ({"points_subset": 100}, "points_subset: expected one of 478, 146, 68, 5, got 100"),
    ({"view": None}, "view: expected str"),
    ({"view": ["mesh"]}, "view: expected str"),
    ({"detector.interval": 3}, "unknown or read-only key 'detector.interval'"),
    ({"web.enabled": False}, "unknown or read-only key 'web.enabled'"),
    ({}, "expected a JSON object of changes"),
    ([("view", "mesh")], "expected a JSON object of changes"),
    ("view=mesh", "expected a JSON object of changes"),
])
def test_a_bad_remote_change_says_why(body, reason):
    with pytest.raises(ValueError) as err:
        remote_change(body)
    assert reason in str(err.value)
