"""Overlay drawing: styles (data), colormap, painters (one function per layer), renderer.

Import the modules you need (`from app.core.render.renderer import Renderer`); this
package file stays empty so that `render.view` and `render.styles` (no cv2) can be used
by the pure UI logic without pulling in cv2.
"""
