"""The blendshape model's tables: data only.

``BLENDSHAPE_NAMES`` is ``kBlendshapeNames`` and the model's input subset is
``kLandmarksSubsetIdxs`` (``topology.SUBSET_146``), both from
``mediapipe/tasks/cc/vision/face_landmarker/face_blendshapes_graph.cc``
(https://github.com/google-ai-edge/mediapipe), Copyright The MediaPipe Authors,
Apache License 2.0. The model's 52 outputs are in this order.
"""

from app.core.face.topology import SUBSET_146

BLENDSHAPE_INPUT_POINTS = SUBSET_146

BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral",
    "browDownLeft", "browDownRight", "browInnerUp",
    "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "eyeBlinkLeft", "eyeBlinkRight",
    "eyeLookDownLeft", "eyeLookDownRight",
    "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight",
    "eyeLookUpLeft", "eyeLookUpRight",
    "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight",
    "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose",
    "mouthDimpleLeft", "mouthDimpleRight",
    "mouthFrownLeft", "mouthFrownRight",
    "mouthFunnel", "mouthLeft",
    "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight",
    "mouthPucker", "mouthRight",
    "mouthRollLower", "mouthRollUpper",
    "mouthShrugLower", "mouthShrugUpper",
    "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)

BLENDSHAPE_INDEX: dict[str, int] = {name: i for i, name in enumerate(BLENDSHAPE_NAMES)}

# ---- ids on the wire (app/core/report.py) -----------------------------------------------
# The named expressions' u8 ids in the face report: Sipeed's 7 face-emotion classes in the
# order MaixPy's face-emotion doc lists them (docs/doc/en/vision/face_emotion.md, the
# FER-2013 order), so a receiver built on Sipeed's emotion app keeps its class numbers, and
# the ids hold even for classes this app never names. The device's classifier label
# ("emotion") uses the same ids, found by name. New names are only ever appended.
EXPRESSION_NAMES: tuple[str, ...] = (
    "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral",
)
EXPRESSION_ID: dict[str, int] = {name: i for i, name in enumerate(EXPRESSION_NAMES)}

# The events' bits in the face report's events byte: bit i = EVENT_NAMES[i]. Appended
# only; at most 8.
EVENT_NAMES: tuple[str, ...] = (
    "wink_left", "wink_right", "smile", "mouth_open", "brows_up",
)
EVENT_BIT: dict[str, int] = {name: 1 << i for i, name in enumerate(EVENT_NAMES)}
