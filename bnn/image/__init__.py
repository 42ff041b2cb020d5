"""Images in: decoding untrusted files, paper, light and ruling, MNIST's geometry, segmenting a number."""
