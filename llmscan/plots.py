"""matplotlib, headless: the pyplot module with the Agg backend, and figures as self-contained <img> tags."""

from __future__ import annotations

import base64
import html
import io
from types import ModuleType


def pyplot() -> ModuleType:
    """matplotlib.pyplot on the Agg backend (no display needed); imported on first use, as it is slow."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png_img(fig, alt: str) -> str:
    """A figure as an inline PNG <img> (closes the figure)."""
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    pyplot().close(fig)
    return png_tag(buf.getvalue(), alt)


def png_tag(png: bytes, alt: str) -> str:
    """PNG bytes as a self-contained <img> tag."""
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
