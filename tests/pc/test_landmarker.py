"""The PC landmarker (FaceMesh V2): which model says whether a crop is a face, on real
video frames and stills."""
from __future__ import annotations

import pytest

from app.core.face.geometry import crop_transform
from app.core.settings import Settings
from app.pc.landmarker import SURE_LOGIT, FaceMeshLandmarker
from conftest import load_rgb, load_video


class Counting(FaceMeshLandmarker):
    """Records V2's own face logit and whether the second model ran."""

    def __init__(self, models_dir) -> None:
        settings = Settings()
        super().__init__(models_dir, crop_scale=settings.pc_crop_scale, threads=settings.pc_threads)
        self.logits: list[float] = []
        self.asked = 0

    def infer(self, frame, request):
        out = super().infer(frame, request)
        self.logits.append(float(self.model.output(self._flag).reshape(-1)[0]))
        return out

    def presence_logit(self) -> float:
        self.asked += 1
        return super().presence_logit()


@pytest.fixture(scope="module")
def landmarker(models_dir):
    return Counting(models_dir)


@pytest.mark.parametrize("clip, index", [("no_face.mp4", 87), ("face_noface.mov", 161)])
def test_a_cartoon_blob_that_v2_takes_for_a_face_is_refused(pc_tracker, landmarker, clip, index):
    """Cartoon frames where the full-range detector proposes a pink blob: V2's flag says
    face (logit ~10, p > 0.9999), the 468-point model's flag says not (logit ~ -4)."""
    pipeline = pc_tracker().pipeline
    rgb = load_video(clip)[index]
    detections = pipeline.detect(rgb)
    assert detections, "the detectors no longer propose the blob: pick another frame"
    landmarker.asked, landmarker.logits = 0, []
    scores = [landmarker.infer(rgb, pipeline.request_for(d)).score for d in detections]
    assert max(landmarker.logits) > 9.0  # V2's flag alone would pass it
    assert max(landmarker.logits) < SURE_LOGIT and landmarker.asked == len(detections)
    assert max(scores) < pipeline.landmark_threshold  # refused as a face


def test_real_faces_need_no_second_opinion(pc_tracker, landmarker):
    pipeline = pc_tracker().pipeline
    landmarker.asked, landmarker.logits = 0, []
    for rgb in load_video("single_face.mp4")[::6]:
        detection = pipeline.detect(rgb)[0]
        out = landmarker.infer(rgb, pipeline.request_for(detection))
        assert out.score > 0.99
        assert out.transform.size == crop_transform(pipeline.request_for(detection)).size == (256, 256)
    assert landmarker.asked == 0 and min(landmarker.logits) > SURE_LOGIT


def test_an_unsure_real_face_is_kept(find_faces):
    """One of the five faces of multi_face.jpg: V2's flag is unsure (logit ~8); the
    468-point model is sure (~19), so the face stays (the lower logit: p > 0.999)."""
    faces = find_faces(load_rgb("multi_face.jpg"))
    assert len(faces) == 5
    assert min(face.score for face in faces) < 1 / (1 + 2.718 ** -SURE_LOGIT)  # one was unsure
