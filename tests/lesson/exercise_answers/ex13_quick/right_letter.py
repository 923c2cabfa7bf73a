# Right: the letter.
quick_check = "C"
