"""PC adapter: MediaPipe's models through LiteRT, frames through OpenCV."""
