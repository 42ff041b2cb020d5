"""Images in: decoding untrusted files, paper, light and ruling, MNIST's geometry, segmenting a number.

x = preprocess_image(image)       # any image of one digit -> (28, 28) float32 in [0, 1]
steps = preprocess_steps(image)   # every stage, for display
ink = ink_image(image)            # (H, W) white ink on black: the stage a number is segmented from
"""

from bnn.image.decode import ImageInput
from bnn.image.errors import BlankImageError, InvalidImageError
from bnn.image.geometry import CROP_THRESHOLD, DIGIT_SIZE, FIELD_CENTRE, NetworkInput, digit_field, is_blank_ink
from bnn.image.pipeline import PreprocessSteps, ink_image, preprocess_image, preprocess_steps

__all__ = [
    "CROP_THRESHOLD",
    "DIGIT_SIZE",
    "FIELD_CENTRE",
    "BlankImageError",
    "ImageInput",
    "InvalidImageError",
    "NetworkInput",
    "PreprocessSteps",
    "digit_field",
    "ink_image",
    "is_blank_ink",
    "preprocess_image",
    "preprocess_steps",
]
