"""Generated inputs for measuring (never for training): photos and crops of digits, whole numbers,
things that are not digits."""
