"""QR codes drawn by segno (spec/tickets.md, rule 6)."""

import io

import segno

SCALE = 8  # pixels (PNG) or user units (SVG) per module
BORDER = 4  # the quiet zone the QR standard asks for, in modules


class SegnoQrRenderer:
    """Error correction M (15 % of the symbol may be damaged), never a Micro QR."""

    def _draw(self, data: str, kind: str) -> bytes:
        out = io.BytesIO()
        segno.make(data, error="m", micro=False).save(out, kind=kind, scale=SCALE, border=BORDER)
        return out.getvalue()

    def png(self, data: str) -> bytes:
        """A PNG image of `data`'s QR code."""
        return self._draw(data, "png")

    def svg(self, data: str) -> bytes:
        """An SVG document of `data`'s QR code."""
        return self._draw(data, "svg")
