"""Write docs/photo-examples.png: three hard uploads and what the network sees of each.

    .venv/bin/python -m scripts.photo_examples [OUTPUT]

Rows: a 4000 x 3000 phone photo of ruled paper with light falling away and a hard shadow; a digit cropped
to its ink, dark on light; a digit in blue ballpoint on squared paper. Columns: the upload, the paper the
pipeline estimated under the light, the ruled lines it took out, and the 28 x 28 input. The digits are
Pillow strokes, not MNIST's (nothing from the data set is committed).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from bnn.corpora.photos import phone_photo, photo
from bnn.image import preprocess_steps

HEIGHT = 160  # px per panel
GAP = 6


def drawn_digit(points: list[list[tuple[float, float]]]) -> np.ndarray:
    """(28, 28) float32 white-on-black digit from strokes on a 100 x 100 page, MNIST-sized (20 px of ink)."""
    image = Image.new("L", (280, 280), 0)
    draw = ImageDraw.Draw(image)
    for stroke in points:
        draw.line([(40 + 2 * x, 40 + 2 * y) for x, y in stroke], fill=255, width=22, joint="curve")
    return np.asarray(image.resize((28, 28), Image.Resampling.BOX), np.float32) / 255


def panel(values: np.ndarray) -> Image.Image:
    image = Image.fromarray(np.round(np.clip(values, 0, 1) * 255).astype(np.uint8))
    width = max(1, round(image.width * HEIGHT / image.height))
    resample = Image.Resampling.NEAREST if image.height < HEIGHT else Image.Resampling.BOX
    return image.resize((width, HEIGHT), resample).convert("RGB")


def main(output: Path) -> None:
    four = drawn_digit([[(60, 0), (10, 60), (90, 60)], [(62, 25), (62, 100)]])
    two = drawn_digit([[(10, 20), (50, 0), (90, 25), (10, 100), (95, 100)]])
    uploads = [
        phone_photo(),
        photo(two, "tight, dark on light, bilinear x7, JPEG", np.random.default_rng(0)),
        photo(four, "squared, blue", np.random.default_rng(0)),
    ]
    rows = []
    for upload in uploads:
        steps = preprocess_steps(upload)
        picture = Image.open(io.BytesIO(upload)).convert("RGB")
        picture = picture.resize((round(picture.width * HEIGHT / picture.height), HEIGHT), Image.Resampling.BOX)
        rows.append([picture, panel(steps.background), panel(steps.ruling.astype(np.float32)), panel(steps.final)])
    widths = [max(row[column].width for row in rows) for column in range(4)]
    sheet = Image.new("RGB", (sum(widths) + GAP * 5, len(rows) * (HEIGHT + GAP) + GAP), "white")
    for index, row in enumerate(rows):
        left = GAP
        for column, image in enumerate(row):
            sheet.paste(image, (left, GAP + index * (HEIGHT + GAP)))
            left += widths[column] + GAP
    output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(output, optimize=True)
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/photo-examples.png"))
