"""The face pipeline: detection, crops, the landmark stage, tracking and smoothing,
and the values and mesh tables they pass on (MediaPipe's index order)."""
