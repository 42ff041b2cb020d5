"""What the page and the CLI say about an input: the verdict and "not sure", a whole number, what-if
variants."""
