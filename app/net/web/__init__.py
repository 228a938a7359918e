"""Live view and control in a browser: a small HTTP server on Python's standard library
(the device has nothing else). Imported only when WEB is on."""
from .server import WebView, start_web_view

__all__ = ["WebView", "start_web_view"]
