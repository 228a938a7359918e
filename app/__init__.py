"""Face Landmarks for MaixCAM: 478 MediaPipe face landmarks per face, in real time.

Layers (imports only point downwards):
    app.core    pure logic: geometry, decoding, pipeline, tracking, smoothing,
                rendering, UI state, settings. numpy (+ cv2 for pixels); never maix.
    app.pc      PC adapter: LiteRT inference, OpenCV capture/window/files.
    app.device  MaixCAM adapter: maix.nn inference, camera, display, touch.
"""
