"""The two ways an image can fail: not a readable, allowed image; or read, but blank."""

BLANK_MESSAGE = "The image is blank: draw or upload a digit."


class InvalidImageError(ValueError):
    """The input is not a readable image of an allowed format, size and type; the message says what to do."""


class BlankImageError(ValueError):
    """The image was read but holds no ink: a blank canvas or a uniform picture."""
