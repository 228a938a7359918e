"""Expressions: MediaPipe's 52 blendshapes per face and what they are read as."""
