"""MNIST and Fashion-MNIST: loading, the fixed 55,000 / 5,000 / 10,000 split, and training-time augmentation."""
