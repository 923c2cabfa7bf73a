# Right: built from `shuffled` (the exercise's set-up cell) by position, data first.
pipeline = [shuffled[3], shuffled[1], shuffled[2], shuffled[0]]  # noqa: F821
