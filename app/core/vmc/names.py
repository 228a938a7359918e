"""The VMC blendshape names of MediaPipe's blendshapes: data only.

MediaPipe's face blendshapes (expressions/tables.py BLENDSHAPE_NAMES) are ARKit's
ARFaceAnchor.BlendShapeLocation names in camelCase ("browDownLeft"), without ARKit's
`tongueOut` and with a `_neutral` of their own. "Perfect Sync" avatars (VMagicMirror's
name for a VRM 0.x model with one BlendShapeClip per ARKit blendshape, after hinzka's
setup; VSeeFace, Warudo and others use the same clips) name those clips with the first
letter capitalised ("BrowDownLeft"): VMagicMirror's `ExternalTrackerPerfectSync.Keys`
(https://github.com/malaybaku/VMagicMirror). The VMC protocol sends a clip by name in
`/VMC/Ext/Blend/Val`, case-sensitively (protocol.vmc.info), so these exact spellings.

Left and Right are the subject's own sides in both (MediaPipe's `eyeLookOutRight` is
high when the subject looks to their right, tests/fixtures: obama2.jpg).

`_neutral` has no clip and is not sent; `TongueOut` has no MediaPipe value and is not
sent either: 51 clips.
"""

# (MediaPipe name, Perfect Sync clip name), in MediaPipe's order, `_neutral` left out.
PERFECT_SYNC: tuple[tuple[str, str], ...] = (
    ("browDownLeft", "BrowDownLeft"),
    ("browDownRight", "BrowDownRight"),
    ("browInnerUp", "BrowInnerUp"),
    ("browOuterUpLeft", "BrowOuterUpLeft"),
    ("browOuterUpRight", "BrowOuterUpRight"),
    ("cheekPuff", "CheekPuff"),
    ("cheekSquintLeft", "CheekSquintLeft"),
    ("cheekSquintRight", "CheekSquintRight"),
    ("eyeBlinkLeft", "EyeBlinkLeft"),
    ("eyeBlinkRight", "EyeBlinkRight"),
    ("eyeLookDownLeft", "EyeLookDownLeft"),
    ("eyeLookDownRight", "EyeLookDownRight"),
    ("eyeLookInLeft", "EyeLookInLeft"),
    ("eyeLookInRight", "EyeLookInRight"),
    ("eyeLookOutLeft", "EyeLookOutLeft"),
    ("eyeLookOutRight", "EyeLookOutRight"),
    ("eyeLookUpLeft", "EyeLookUpLeft"),
    ("eyeLookUpRight", "EyeLookUpRight"),
    ("eyeSquintLeft", "EyeSquintLeft"),
    ("eyeSquintRight", "EyeSquintRight"),
    ("eyeWideLeft", "EyeWideLeft"),
    ("eyeWideRight", "EyeWideRight"),
    ("jawForward", "JawForward"),
    ("jawLeft", "JawLeft"),
    ("jawOpen", "JawOpen"),
    ("jawRight", "JawRight"),
    ("mouthClose", "MouthClose"),
    ("mouthDimpleLeft", "MouthDimpleLeft"),
    ("mouthDimpleRight", "MouthDimpleRight"),
    ("mouthFrownLeft", "MouthFrownLeft"),
    ("mouthFrownRight", "MouthFrownRight"),
    ("mouthFunnel", "MouthFunnel"),
    ("mouthLeft", "MouthLeft"),
    ("mouthLowerDownLeft", "MouthLowerDownLeft"),
    ("mouthLowerDownRight", "MouthLowerDownRight"),
    ("mouthPressLeft", "MouthPressLeft"),
    ("mouthPressRight", "MouthPressRight"),
    ("mouthPucker", "MouthPucker"),
    ("mouthRight", "MouthRight"),
    ("mouthRollLower", "MouthRollLower"),
    ("mouthRollUpper", "MouthRollUpper"),
    ("mouthShrugLower", "MouthShrugLower"),
    ("mouthShrugUpper", "MouthShrugUpper"),
    ("mouthSmileLeft", "MouthSmileLeft"),
    ("mouthSmileRight", "MouthSmileRight"),
    ("mouthStretchLeft", "MouthStretchLeft"),
    ("mouthStretchRight", "MouthStretchRight"),
    ("mouthUpperUpLeft", "MouthUpperUpLeft"),
    ("mouthUpperUpRight", "MouthUpperUpRight"),
    ("noseSneerLeft", "NoseSneerLeft"),
    ("noseSneerRight", "NoseSneerRight"),
)

# The VMC humanoid bone the head pose drives (Unity's HumanBodyBones name).
HEAD_BONE = "Head"
