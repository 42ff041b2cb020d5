"""Compare teaching recipes on validation digits only (the teaching report's styles are never used to choose).

    python -m scripts.teaching_recipe '[{}, {"NEW_SHARE": 0.9, "KL_SCALE": 0.1}]'

Each recipe sets module constants of `bnn.model.teach` (LEARNING_RATE, TEACH_STEPS, NEW_SHARE, KL_SCALE; the rest
keep their shipped values) and is scored with the shipped variational MLP:

- learning: on two styles made from the first 1,500 validation digits, black-and-white thick crops (a crop of
  `bnn.corpora.photos`) and 8 x 8 low-resolution scans made as scikit-learn's optical digits were (cropped to the
  ink, 8 x 8, 17 grey levels, enlarged and read as an upload), one lesson of k = 5 and 10 examples per class
  (three draws): the error left on the rest of the style, as a share of the untaught network's;
- forgetting: the accuracy lost on validation digits 2,000-2,999 after those lessons, and after a lesson of one
  validation digit taught with a wrong label (eight of them), which is what one mistaken correction on the page does.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from PIL import Image

import bnn
from bnn.corpora.photos import crop_corpus
from bnn.data import load_mnist
from bnn.evaluation.photos import read_uploads
from bnn.image import preprocess_image
from bnn.model import teach as teaching

KNOBS = ("LEARNING_RATE", "TEACH_STEPS", "NEW_SHARE", "KL_SCALE")
CROP = "binary 16 px, thick 1 px, light on dark, nearest x4"
STYLE_DIGITS, FORGET = 1500, slice(2000, 3000)
SINGLE = range(3000, 3008)  # validation digits each taught alone with a wrong label
NUM_SAMPLES = 30


def low_resolution(images: np.ndarray) -> np.ndarray:
    """Network inputs as 8 x 8 scans of 17 grey levels, enlarged to 64 x 64 and read as an upload."""
    inputs = []
    for image in images:
        rows, columns = np.nonzero(image > 0.1)
        crop = image[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
        side = max(crop.shape)
        square = np.zeros((side, side), np.float32)
        top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
        square[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
        small = np.asarray(Image.fromarray(np.uint8(square * 255)).resize((8, 8), Image.Resampling.BOX)) / 255
        levels = Image.fromarray(np.round(np.round(small * 16) / 16 * 255).astype(np.uint8))
        inputs.append(preprocess_image(levels.resize((64, 64), Image.Resampling.BILINEAR)))
    return np.stack(inputs)


def main(argv: list[str] | None = None) -> int:
    recipes = json.loads((argv or sys.argv[1:] or ["[{}]"])[0])
    validation = load_mnist().validation
    images, labels = validation.images[:STYLE_DIGITS], validation.labels[:STYLE_DIGITS]
    crops, _ = crop_corpus(images, seed=0, crops=(CROP,))
    crop_inputs, read = read_uploads(crops[CROP])
    styles = {"crops": (crop_inputs[read], labels[read]), "8 x 8": (low_resolution(images), labels)}
    forget_x, forget_y = validation.images[FORGET], validation.labels[FORGET]
    model, coreset = bnn.load_model("bayesian", "mlp"), teaching.training_coreset()
    shipped = {knob: getattr(teaching, knob) for knob in KNOBS}

    def accuracy(taught, x, y) -> float:
        return float((taught.predict(x, NUM_SAMPLES, seed=0).label == y).mean())

    untaught = accuracy(model, forget_x, forget_y)
    for recipe in recipes:
        for knob, value in {**shipped, **recipe}.items():
            setattr(teaching, knob, value)
        teaching._teacher_for.cache_clear()  # a teacher reads the recipe when it is built
        row = []
        for name, (x, y) in styles.items():
            for k in (5, 10):
                left, lost = [], []
                for draw in range(3):
                    rng = np.random.default_rng([k, draw])
                    chosen = np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in range(10)])
                    rest = np.setdiff1d(np.arange(len(y)), chosen)
                    taught = teaching.teach(model, x[chosen], y[chosen], seed=draw, coreset=coreset)
                    left.append((1 - accuracy(taught, x[rest], y[rest])) / (1 - accuracy(model, x[rest], y[rest])))
                    lost.append(untaught - accuracy(taught, forget_x, forget_y))
                row.append(f"{name} k={k}: error left {np.mean(left):.3f}, lost {100 * np.mean(lost):+.2f} pts")
        single = [
            untaught
            - accuracy(
                teaching.teach(model, validation.images[[i]], [(validation.labels[i] + 1) % 10], coreset=coreset),
                forget_x,
                forget_y,
            )
            for i in SINGLE
        ]
        row.append(f"one wrong lesson: lost {100 * np.mean(single):+.2f} pts (most {100 * max(single):.2f})")
        print(json.dumps(recipe), " | ".join(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
