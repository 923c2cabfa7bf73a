# Right: built by an expression.
quick_check = "ABCD"[2]
